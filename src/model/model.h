/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket model: the sockets the kernel side reported, keyed by cookie,
 * with their cumulative counters, and what each consumer (cursor) already
 * took of them. Bounded: closed sockets stay individually while recent
 * (MODEL_MAX_CLOSED), then their totals go to their process's aggregate
 * (MODEL_MAX_AGGREGATES, then per command, then one "(other)"), exactly.
 * Fed with records (struct bs_sock_rec), so it is tested without a kernel.
 */
#ifndef BUFSCOPE_MODEL_H
#define BUFSCOPE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bufscope/sock.h"
#include "model/counts.h"

struct drop_reasons;

#define MODEL_DROP_REASONS 8	/* distinct reasons named per socket; more are
				 * shown together as OTHER */

struct drop_count {
	uint32_t reason;
	bool expected;		/* drop_reason_class() is DROP_EXPECTED */
	uint64_t total;
};

/*
 * Consumers of intervals (a table, a metrics endpoint...): each takes its
 * own deltas at its own pace through a cursor (model_cursor_open).
 */
#define MODEL_CURSORS 4
#define MODEL_CURSOR_HIST 1u	/* its interval rows carry histogram deltas */

/* A zero-window episode, as its start and end records told it. */
struct episode {
	uint64_t cookie;
	uint32_t dir;		/* enum bs_zw_dir */
	uint64_t start_ns, end_ns;	/* end 0: still open */
	uint32_t queue;		/* bytes queued at the start */
	uint64_t probes;
	uint8_t shown_open;	/* cursors (bit = id) whose interval showed it open */
	uint8_t shown_end;	/* cursors whose interval showed it ended */
	/* its socket was evicted (see struct sock_entry's `aggregate`): the
	 * owner it had, for the filter */
	bool gone;
	uint32_t pid;
	char comm[BS_COMM_LEN];
	uint8_t owner;		/* enum owner_source */
};

/* OWNER_CLOSER: nobody read the socket; the process that closed it (its
 * writer, usually) is known from the kernel (reader.tid 0 in the state). */
enum owner_source { OWNER_UNKNOWN, OWNER_FD, OWNER_READER, OWNER_CLOSER };

/* What one cursor took of an entry at its last interval. */
struct cursor_mark {
	struct counts reported;	/* total at that cursor's last take */
	uint64_t drops_reported[MODEL_DROP_REASONS];	/* per drops_by[k] */
	/* a socket's drops without a listed reason, lost and expected, of its
	 * totals, the most taken (row_interval: deltas of the totals' split,
	 * not a split of deltas; folded entries use `reported`) */
	uint64_t other_reported, lost_reported, expected_reported;
	uint64_t folded_reported;	/* folded_sockets at the last take */
	/* histogram baseline, [BS_HIST_N][BS_HIST_SLOTS]; MODEL_CURSOR_HIST
	 * cursors only, NULL: zeros */
	uint64_t *hist;
	uint64_t age_max_interval_ns;	/* oldest byte read since the last take */
	uint32_t peak_interval;	/* most bytes waiting since the last take */
	bool close_reported;	/* an interval of this cursor showed it closed */
};

struct sock_entry {
	uint64_t cookie;
	uint64_t inode;
	struct bs_endpoints ep;
	enum owner_source owner;
	uint32_t pid, tid;
	uint64_t cgroup_id;	/* its reader's cgroup (v2 id), 0: unknown */
	/* its local port if a listener has it (it serves that port), else 0:
	 * ephemeral; folds and aggregates keep their sockets' */
	uint16_t service_port;
	char comm[BS_COMM_LEN];
	struct counts total;	/* cumulative, as the kernel counted */
	struct cursor_mark mark[MODEL_CURSORS];
	/* [BS_HIST_N][BS_HIST_SLOTS] from the last full record (close, last
	 * pass); NULL until one had any (samples carry none) */
	uint64_t *hist;
	uint32_t queue_bytes, rcvbuf, rmem_alloc;
	uint32_t rcv_wnd, snd_wnd, send_queue;
	uint64_t sample_ns;	/* CLOCK_MONOTONIC of the latest record */
	uint64_t zw_open_ns[BS_ZW_N];	/* start of the open episode, 0: none */
	uint32_t open_episode[BS_ZW_N];	/* its index in the log + 1, 0: none */
	uint64_t last_read_ns, nonempty_since_ns, first_seen_ns;
	uint64_t age_max_run_ns;
	struct drop_count drops_by[MODEL_DROP_REASONS];
	uint32_t peak_run;	/* most bytes waiting during the run */
	uint32_t owner_misses;	/* /proc scans that did not find its holder */
	/* OWNER_FD: its holder was in the --cgroup cgroup (or below) when
	 * /proc named it (the engine looks; cgroup_id is the holder's then) */
	bool holder_in_cgroup;
	uint32_t incomplete;	/* enum bs_incomplete, as the kernel flagged */
	bool closed;		/* destroyed, or gone from the socket table */
	bool destroyed;		/* its close record came: nothing more will */
	uint64_t closed_pass;	/* model pass in which it closed */
	uint64_t closed_seq;	/* closing order, for eviction */
	bool seen_in_pass;
	bool active;		/* had reads or bytes waiting: worth reporting */
	bool peer_indexed;	/* its endpoints are in the model's peer index */
	/* gone from the socket table without its close record: its totals
	 * are those of its last record, at least; the rest of them went to
	 * its reader's folded entry (see model_apply_fold) */
	bool vanished;
	/* not a socket: the closes of one reader that the kernel folded
	 * (struct bs_fold), with their totals; cookie MODEL_FOLD_COOKIE(i) */
	bool folded;
	bool fold_spill;	/* the kernel's spill slot: owner lost */
	uint64_t folded_sockets;	/* sockets folded into it */
	/*
	 * Not a socket either (`folded` is set too): the totals of closed
	 * sockets the model evicted to stay bounded, per process (level
	 * AGG_PROCESS: pid, comm), per command (AGG_COMM: pid 0) or all the
	 * rest (AGG_OTHER); cookie MODEL_AGG_COOKIE(i). Its drops are split
	 * by total.drops_expected, which holds the expected part of them.
	 */
	uint8_t aggregate;	/* enum model_agg, 0: none */
	bool evicting;		/* going into an aggregate in this pass */
	uint64_t agg_pass;	/* the pass it last grew, for folding the oldest */
};

enum model_agg { AGG_NONE, AGG_PROCESS, AGG_COMM, AGG_OTHER };

/* Folded entries' cookies: from the top down, far above any socket's. */
#define MODEL_FOLD_COOKIE(i) (UINT64_MAX - (uint64_t)(i))
/* Aggregates' cookies: below the folded entries', far above any socket's. */
#define MODEL_AGG_COOKIE(i) (UINT64_MAX - (1ULL << 32) - (uint64_t)(i))

/*
 * Bounds. Closed sockets stay as entries (listed individually in the
 * summary) up to MODEL_MAX_CLOSED, oldest evicted first; one that had drops
 * never before one whole pass after its close (its last per-reason drop
 * counts are read in that pass): at most MODEL_MAX_CLOSED plus those closed
 * since the last pass began, and those with drops of the pass before. Per-process aggregates: MODEL_MAX_AGGREGATES, beyond which the
 * least recently grown go to their command's (pid 0), of which there are
 * MODEL_MAX_COMM_AGGREGATES, beyond which to one "(other)" entry.
 */
#define MODEL_MAX_CLOSED 1024
#define MODEL_MAX_AGGREGATES 256
#define MODEL_MAX_COMM_AGGREGATES 64

struct model_filter {
	uint32_t pids[BS_MAX_PIDS];
	unsigned npids;
	char comm[BS_COMM_LEN];
	bool has_comm;
	/* --cgroup: the kernel recorded only readers and closers in it; a
	 * socket whose holder /proc found is shown when the holder is in it
	 * (sock_entry.holder_in_cgroup), one with no owner known is not */
	bool has_cgroup;
};

struct model {
	struct sock_entry *socks;
	size_t n, cap;
	uint32_t *slots;	/* open addressing: index + 1, 0 = empty */
	size_t nslots;
	/* The same, keyed by the endpoints (IPv4 and v4-mapped IPv6 alike), so
	 * a socket's local peer is found without a scan; nslots long too. */
	uint32_t *peer_slots;
	size_t peer_used;	/* slots taken in peer_slots, stale ones included */
	struct model_filter filter;
	struct episode *episodes;	/* oldest first */
	size_t nepisodes, episodes_cap;
	uint64_t episodes_forgotten;	/* dropped from the log to bound memory */
	/* the running kernel's drop reasons, which classify drops as lost or
	 * expected; NULL: every drop counts as lost */
	const struct drop_reasons *reasons;
	size_t nfolds;		/* folded entries made so far */
	/* folded entries by reader: index + 1 (their cookie), 0 = empty; a
	 * pass reads every fold of the kernel's map (up to its 4,096) */
	uint32_t *fold_slots;
	size_t fold_nslots;
	unsigned cursors_open;	/* bit = cursor id */
	unsigned cursor_flags[MODEL_CURSORS];
	uint64_t pass;		/* model_begin_pass calls */
	uint64_t close_seq;	/* closes so far */
	size_t naggs_made;	/* aggregates made so far (their cookies) */
	uint64_t evicted;	/* sockets evicted into aggregates so far */
};

#define MODEL_MAX_EPISODES 10000
/* At the bound, this many of the oldest ended episodes are forgotten at once:
 * one compaction per batch, not a shift of the whole log per episode. */
#define MODEL_FORGET_EPISODES (MODEL_MAX_EPISODES / 10)

/* One line of a view: a socket and its figures for the view, taken before
 * the interval's baselines move. */
struct sock_row {
	const struct sock_entry *s;
	struct counts d;	/* deltas (interval) or totals (summary) */
	uint32_t peak;
	uint64_t age_max_ns;	/* oldest byte a read took, in the view */
	uint64_t drops_by[MODEL_DROP_REASONS];	/* per s->drops_by[k].reason */
	uint64_t drops_other;	/* drops of reasons without a slot (all of a
				 * folded entry's: their reasons are not kept) */
	/* d.drops split by class: by the per-reason counts, or by the kernel's
	 * count of expected discards, d.drops_expected (folded entries and
	 * sockets gone without their close record: see model.c) */
	uint64_t drops_lost, drops_expected;
	uint64_t folded;	/* a folded entry: the sockets it holds, in the view */
	/* [BS_HIST_N][BS_HIST_SLOTS]: the summary's totals, or a
	 * MODEL_CURSOR_HIST cursor's deltas; NULL: none. In the rows' own
	 * allocation: free(rows) frees them. */
	uint64_t *hist;
};

struct proc_row {
	uint32_t pid;		/* 0: owner unknown */
	char comm[BS_COMM_LEN];
	uint64_t sockets;	/* folded closes included: a run may have billions */
	struct counts d;
	uint64_t queue_bytes;
	uint32_t peak;
	uint64_t rcvbuf;
	uint64_t rmem_alloc;
	uint64_t drops_lost, drops_expected;	/* sums of the rows' */
	bool zw_open;		/* one of its open sockets is in an episode */
	bool zw_recv_incomplete;	/* one of its rows' received windows are
					 * short (BS_INC_ZW_RECV) */
};

int model_init(struct model *m);
void model_free(struct model *m);
struct sock_entry *model_find(const struct model *m, uint64_t cookie);

/* A BS_REC_SOCK (iterator) or BS_REC_CLOSE (destroyed) record, or a
 * BS_REC_SAMPLE (its first BS_SAMPLE_SIZE bytes only: no arrival marks, no
 * histograms); `state` is used only when BS_SF_HAS_STATE says it is valid.
 * A socket without state and without bytes waiting gets no entry. */
int model_apply(struct model *m, const struct bs_sock_rec *rec);
/* A BS_REC_ALIVE record: the socket is still there, nothing changed since
 * its last sample. */
void model_alive(struct model *m, uint64_t cookie);

/* An episode edge, drop or rcvbuf record (struct bs_flow_rec). */
int model_apply_flow(struct model *m, const struct bs_flow_rec *rec);
/*
 * The kernel's fold of the closes of one reader, cgroup and served port
 * (pid 0 and "" for sockets never read; `unowned`: the spill slot, owner
 * unknown), cumulative: its totals become those of one folded entry,
 * closed, with that owner.
 */
int model_apply_fold(struct model *m, const struct bs_fold_key *key,
		     bool unowned, const struct bs_fold *f);
/*
 * A folded close that the socket's row must count in the fold's process
 * (the kernel's close_owners): the row takes the fold's reader (or closer)
 * as its owner, and is listed if `counted` (the fold has counts of it).
 */
void model_close_owner(struct model *m, uint64_t cookie, const struct bs_reader *r,
		       bool counted);
/* The kernel's per-socket count of drops for one reason. */
void model_set_drops(struct model *m, uint64_t cookie, uint32_t reason,
		     uint64_t total);
/* The socket that is the other end of s on this host, if bufscope sees it:
 * IPv4 and v4-mapped IPv6 addresses (an IPv6 socket talking to an IPv4 one)
 * match; the newest socket when an old one had the same endpoints. */
const struct sock_entry *model_peer(const struct model *m,
				    const struct sock_entry *s);
/* Should this cursor's interval show this episode: open, or ended since
 * its last one? */
bool model_episode_due(const struct episode *e, int cursor);
/* Is it in a view: due (or any, for the summary), of a visible socket? */
bool model_episode_shown(const struct model *m, const struct episode *e,
			 int cursor, bool summary);
/* Its duration; an open one's up to its socket's latest sample. */
uint64_t model_episode_ns(const struct model *m, const struct episode *e);
void model_mark_episodes_reported(struct model *m, int cursor);
/* How long the reader has left data waiting, at the socket's last sample;
 * -1 when the queue is empty. */
int64_t model_reader_stall_ns(const struct sock_entry *s);

/* A pass of the socket iterator: sockets not seen in it are gone. A pass
 * begins by evicting closed sockets beyond the bounds (see MODEL_MAX_CLOSED):
 * entry pointers taken before it are invalid after it. */
void model_begin_pass(struct model *m);
void model_end_pass(struct model *m);

/* The cgroup v2 id of the socket's reader, closer or (never read, placed by
 * /proc) holder; 0: none known. kernel/cgroups.h turns it into a path. */
uint64_t model_cgroup_id(const struct sock_entry *s);

void model_set_owner(struct sock_entry *s, uint32_t pid, const char *comm);
/* The process a row counts for, in every rollup by process: its owner's
 * pid, 0 when unknown (and for an aggregate of a command, or of the rest). */
uint32_t model_row_pid(const struct sock_entry *s);
/* Does the socket pass -p/-c? Unknown owners pass only without filters. */
bool model_visible(const struct model *m, const struct sock_entry *s);
/* Did a visible socket see a read call of any kind (data, EOF, EAGAIN,
 * error, peek)? */
bool model_any_read(const struct model *m);

/*
 * A consumer of intervals: a cursor id (0 .. MODEL_CURSORS - 1), or -1 when
 * all are taken. flags: MODEL_CURSOR_HIST. Its first take has everything
 * since the start of the run.
 */
int model_cursor_open(struct model *m, unsigned flags);
void model_cursor_close(struct model *m, int cursor);

/*
 * The interval that just ended for this cursor: rows for sockets with
 * activity or bytes waiting, with deltas since its last take; then its
 * baseline (only its own) moves forward. Returns the row count; *rows is
 * malloc'ed (NULL when 0), or -1 on ENOMEM or a cursor not open.
 */
long model_take_interval(struct model *m, int cursor, struct sock_row **rows);
/* The whole run: every active entry the model holds (live and recently
 * closed sockets, folded entries, aggregates) with its totals. */
long model_summary(struct model *m, struct sock_row **rows);

/* A row with the socket's totals for the whole run. */
void model_row_totals(const struct sock_entry *s, struct sock_row *row);

/* Per-process rollup of rows; returns count, -1 on ENOMEM. */
long model_rollup(const struct sock_row *rows, size_t n, struct proc_row **out);


#endif
