/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-socket state shared by the BPF programs (bpf/) and the collector (src/).
 *
 * Only fixed-width types, enums and flag masks: both sides must agree on the
 * layout byte for byte. BPF code includes vmlinux.h first, which provides
 * __u8..__u64; user space gets them from <linux/types.h>.
 */
#ifndef BUFSCOPE_SOCK_H
#define BUFSCOPE_SOCK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BS_COMM_LEN 16
#define BS_HIST_SLOTS 32	/* log2 buckets: slot k holds values in [2^(k-1), 2^k) */
#define BS_MAX_PIDS 16		/* -p/--pid may be given this many times */
#define BS_MAX_NETNS 4		/* network namespaces a run may be limited to */

#define BS_ARRIVAL_MARKS 8	/* recent arrivals remembered, for byte ages */
#define BS_HASH_SOCKETS 65536	/* sockets with state when a kprobe hook is used */
/* Values of enum skb_drop_reason that have a class (cfg_drop_expected): the
 * kernel's core reasons are far fewer; larger values (none yet, or a
 * subsystem's, whose values start at 1 << 16) count as lost on both sides. */
#define BS_DROP_REASON_MAX 1024

enum bs_hist_kind {
	BS_HIST_RET = 0,	/* bytes returned by each data read */
	BS_HIST_REQ = 1,	/* bytes requested (the application's buffer size) */
	BS_HIST_QUEUE = 2,	/* bytes waiting in the receive queue when the read began */
	BS_HIST_AGE = 3,	/* microseconds the oldest byte a read took had waited */
	BS_HIST_GAP = 4,	/* microseconds since the socket's previous data read
				 * (its first read seen adds nothing) */
	BS_HIST_N = 5,
};

/*
 * Cumulative read-side counters of one socket, counted from the moment bufscope
 * attached (or the socket appeared, if later). Never reset in the kernel: user
 * space derives per-interval deltas.
 */
struct bs_read_counters {
	__u64 reads;		/* reads that returned data (ret > 0); peeks excluded */
	__u64 bytes;		/* sum of bytes returned by those reads */
	__u64 req_reads;	/* of those reads, the ones whose requested size is known */
	__u64 req_bytes;	/* sum of requested sizes over req_reads */
	__u64 full_reads;	/* reads that filled the buffer: returned == requested */
	__u64 eof_reads;	/* reads that returned 0: the peer closed (FIN) */
	__u64 eagain_reads;	/* reads that found nothing: -EAGAIN */
	__u64 error_reads;	/* reads that failed with another error */
	__u64 peek_reads;	/* MSG_PEEK reads that returned data (do not drain) */
	__u64 peek_bytes;
	__u64 queue_peak;	/* most bytes seen waiting: at a read, at an arrival */
	__u64 arrivals;		/* data-ready wake-ups: data arrived for the reader */
	__u64 first_ns;		/* CLOCK_MONOTONIC of the first event, 0 if none */
	__u64 last_read_ns;	/* CLOCK_MONOTONIC of the last data read, 0 if none */
	/* the sums of what the queue, age and gap histograms hold (their
	 * exact means): bytes waiting as each data read began; how long the
	 * oldest byte each took had waited, ns; the gaps between data reads */
	__u64 queue_sum;
	__u64 age_sum_ns;
	__u64 gap_sum_ns;
};

/* The process that last read from the socket. */
struct bs_reader {
	__u32 pid;		/* tgid */
	__u32 tid;
	__u64 cgroup_id;
	char comm[BS_COMM_LEN];
};

enum bs_zw_dir {
	BS_ZW_SENT = 0,	/* this socket advertised a zero window: its reader is slow */
	BS_ZW_RECV = 1,	/* the peer advertised one: this socket's writes stall */
	BS_ZW_N = 2,
};

/* Zero windows in one direction. */
struct bs_zw_side {
	__u64 segments;		/* window-0 segments, SYN/FIN/RST excluded */
	__u64 episodes;		/* episodes begun */
	__u64 ended;		/* episodes ended */
	__u64 total_ns;		/* time inside the ended episodes */
	__u64 start_ns;		/* CLOCK_MONOTONIC start of the open episode, 0: none */
	__u64 probes;		/* zero-window probes (received on SENT, sent on RECV) */
	__u32 start_queue;	/* at the open episode's start: bytes in the receive
				 * queue (SENT) or not yet acknowledged (RECV) */
	__u32 start_probes;	/* probes (low 32 bits) when it began */
};

/*
 * Counts of a socket that miss events bufscope could not see: shown as
 * incomplete ("at least") rather than as exact.
 */
enum bs_incomplete {
	/* received windows (segments, episodes, and so the probes sent) after
	 * it left ESTABLISHED with data to send: the closing-socket map was full */
	BS_INC_ZW_RECV = 1 << 0,
};

/* When data arrived: rcv_nxt after an arrival, and the time. */
struct bs_arrival_mark {
	__u32 seq;
	__u32 pad;
	__u64 ns;
};

struct bs_flow_state {
	struct bs_zw_side zw[BS_ZW_N];
	__u64 drops;		/* receive-path drops charged to the socket */
	__u64 drops_expected;	/* of those, expected discards (by reason, as
				 * cfg_drop_expected classes them): the class
				 * travels with the counts, into a fold too */
	__u64 rcvbuf_changes;	/* sk_rcvbuf changes seen (autotuning, SO_RCVBUF) */
	__u64 nonempty_since_ns;	/* the queue has held data since; 0: empty */
	__u64 age_max_ns;	/* oldest byte a read took: how long it had waited,
				 * since the iterator's last pass */
	__u32 last_rcvbuf;	/* sk_rcvbuf as last seen */
	__u32 mark_next;	/* next slot of marks[] to write */
	__u32 incomplete;	/* enum bs_incomplete: counts known to be short */
	__u32 pad;
	struct bs_arrival_mark marks[BS_ARRIVAL_MARKS];
};

/*
 * A socket's monotonic counts as user space's model derives them from a
 * record (src/model/model.c: struct counts has the same members in the same
 * order): the read counters, and per zero-window direction the segments,
 * episodes, time in episodes (the open one up to the record's time) and
 * probes, then drops (and of them the expected discards) and rcvbuf changes.
 */
struct bs_totals {
	__u64 reads, bytes, req_reads, req_bytes, full_reads, eof_reads,
	      eagain_reads, error_reads, peek_reads, peek_bytes, arrivals;
	__u64 queue_sum, age_sum_ns, gap_sum_ns;
	__u64 zw_segments[BS_ZW_N];
	__u64 zw_episodes[BS_ZW_N];
	__u64 zw_ns[BS_ZW_N];
	__u64 zw_probes[BS_ZW_N];
	__u64 drops;
	__u64 drops_expected;
	__u64 rcvbuf_changes;
};

#define BS_TOTALS_N (sizeof(struct bs_totals) / sizeof(__u64))

/* bs_sock_state.gate: who may touch `reported` (see bpf/sockets.bpf.c). */
enum bs_gate {
	BS_GATE_FREE = 0,	/* nobody: the iterator may report the socket */
	BS_GATE_REPORTING = 1,	/* the iterator is sending a record of it */
	BS_GATE_CLOSED = 2,	/* destroyed; its close record is in the ring */
	BS_GATE_FOLDED = 3,	/* destroyed; its unreported tail was folded */
};

/* The BPF_MAP_TYPE_SK_STORAGE value. */
struct bs_sock_state {
	__u64 cookie;		/* the socket's cookie, 0 until first known */
	struct bs_read_counters c;
	struct bs_reader reader;
	struct bs_flow_state f;
	__u64 hist[BS_HIST_N][BS_HIST_SLOTS];
	/* The socket iterator's own mark: bs_sample_sum() of what it last sent
	 * user space (0: nothing yet). Equal now means nothing changed. */
	__u64 sample_sum;
	/* What user space has: the totals of the last record the iterator
	 * sent. A socket destroyed when the ring buffer is full folds only
	 * its totals beyond these into close_folds (user space has the rest). */
	struct bs_totals reported;
	__u32 gate;		/* enum bs_gate */
	__u32 hist_sent;	/* a full record (histograms) was sent (the last
				 * pass's, or any with cfg_hist_every_pass): user
				 * space has the histograms as of that record */
	/* the port it serves (BS_SF_SERVICE), 0: ephemeral; decided once, at
	 * its first record or fold (port_known), so that all its records and
	 * folds agree whatever listeners come and go */
	__u16 service_port;
	__u16 port_known;
	/* the reader (tgid) of the last record sent, 0: it had none. A folded
	 * close whose reader is another tells user space its row's owner
	 * through close_owners (see bpf/sockets.bpf.c: note_close_owner) */
	__u32 reported_pid;
};

/*
 * Every hook that changes a socket's state increments one of these monotonic
 * counters, so their sum moves whenever anything a sample shows has changed
 * (the reader, peak, byte age, arrival marks and histograms change only
 * together with one of them). Plus one, so that 0 means "never sent".
 */
static inline __u64 bs_sample_sum(const struct bs_read_counters *c,
				  const struct bs_flow_state *f)
{
	return 1 + c->reads + c->eof_reads + c->eagain_reads + c->error_reads +
	       c->peek_reads + c->arrivals + f->drops + f->rcvbuf_changes +
	       f->zw[0].segments + f->zw[0].episodes + f->zw[0].ended + f->zw[0].probes +
	       f->zw[1].segments + f->zw[1].episodes + f->zw[1].ended + f->zw[1].probes +
	       f->incomplete;
}

enum bs_rec_kind {
	BS_REC_SOCK = 1,	/* struct bs_sock_rec from the socket iterator */
	BS_REC_CLOSE = 2,	/* struct bs_sock_rec: final totals of a closing socket */
	BS_REC_READ = 3,	/* struct bs_read_rec: one read, only when tracing */
	BS_REC_ZW_START = 4,	/* struct bs_flow_rec: a zero-window episode began */
	BS_REC_ZW_END = 5,	/* struct bs_flow_rec: ... and ended */
	BS_REC_DROP = 6,	/* struct bs_flow_rec: a receive-path drop */
	BS_REC_RCVBUF = 7,	/* struct bs_flow_rec: sk_rcvbuf changed */
	BS_REC_SAMPLE = 8,	/* the first BS_SAMPLE_SIZE bytes of a bs_sock_rec
				 * from the socket iterator: no arrival marks, no
				 * histograms (only the last pass sends them,
				 * unless cfg_hist_every_pass) */
	BS_REC_ALIVE = 9,	/* struct bs_alive_rec: a socket the iterator
				 * passed, unchanged since its last sample */
	BS_REC_ZW_PROBE = 10,	/* struct bs_flow_rec: the first zero-window
				 * probe of an episode (BS_FR_PROBE only) */
};

enum bs_sock_flags {
	BS_SF_HAS_STATE = 1 << 0,	/* state is valid (the socket had events) */
	BS_SF_HAS_READER = 1 << 1,	/* state.reader is valid (it was read from) */
	/* ep.sport is a port a listener has had: the socket serves it (see
	 * listen_ports in bpf/maps.bpf.c); else its port is ephemeral */
	BS_SF_SERVICE = 1 << 2,
};

/* Addresses in network byte order; IPv4 uses the first 4 bytes of each. */
struct bs_endpoints {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;		/* host byte order */
	__u16 dport;		/* host byte order */
	__u16 family;		/* AF_INET or AF_INET6 */
	__u8 tcp_state;		/* TCP_ESTABLISHED, ... as in the kernel */
	__u8 pad;
};

/*
 * One socket as the iterator sees it now, or as it closes. The iterator sends
 * only sockets with state: those with events since bufscope attached, and
 * those it found with bytes waiting (it gives them state).
 */
struct bs_sock_rec {
	__u32 kind;		/* BS_REC_SOCK or BS_REC_CLOSE */
	__u32 flags;		/* enum bs_sock_flags */
	__u64 cookie;		/* socket cookie: unique for the boot, never reused */
	__u64 ts_ns;		/* CLOCK_MONOTONIC when sampled */
	__u64 inode;		/* socket inode (as in /proc/PID/fd), 0 if none */
	struct bs_endpoints ep;
	__u32 queue_bytes;	/* rcv_nxt - copied_seq: bytes waiting to be read */
	__u32 rcvbuf;		/* sk_rcvbuf: the receive buffer limit */
	__u32 rmem_alloc;	/* sk_rmem_alloc: memory charged to the queue now */
	__u32 rcv_wnd;		/* receive window this socket last advertised, bytes */
	__u32 snd_wnd;		/* the window the peer advertised, bytes */
	__u32 send_queue;	/* write_seq - snd_una: written, not yet acknowledged */
	struct bs_sock_state state;
};

/* A BS_REC_SAMPLE record: a bs_sock_rec cut before the arrival marks. */
#define BS_SAMPLE_SIZE __builtin_offsetof(struct bs_sock_rec, state.f.marks)

/* A socket still there and unchanged: only its cookie. */
struct bs_alive_rec {
	__u32 kind;		/* BS_REC_ALIVE */
	__u32 pad;
	__u64 cookie;
};


enum bs_read_flags {
	BS_RF_PEEK = 1 << 0,		/* MSG_PEEK */
	BS_RF_REQ_KNOWN = 1 << 1,	/* req is the requested size */
	BS_RF_DONTWAIT = 1 << 2,	/* non-blocking read */
};

/* One read, sent only when `trace` asks for per-read records. */
struct bs_read_rec {
	__u32 kind;		/* BS_REC_READ */
	__u32 flags;		/* enum bs_read_flags */
	__u64 cookie;
	__u64 ts_ns;
	__u32 pid;
	__u32 tid;
	char comm[BS_COMM_LEN];
	__s32 ret;		/* bytes returned, 0 for EOF, -errno on failure */
	__u32 req;		/* requested bytes, if BS_RF_REQ_KNOWN */
	__u32 queue_before;	/* bytes waiting before the read */
	__u32 queue_after;	/* bytes waiting after it */
	__u32 syscall_nr;	/* the system call that read, -1 if unknown */
	__u32 pad;
	__u64 cgroup_id;	/* the reading task's cgroup (v2 id) */
	struct bs_endpoints ep;
};

/* A flow-control event: zero-window episode edges, drops, rcvbuf changes. */
struct bs_flow_rec {
	__u32 kind;		/* BS_REC_ZW_START, _ZW_END, _DROP, _RCVBUF */
	__u32 dir;		/* enum bs_zw_dir, for episodes */
	__u64 cookie;
	__u64 ts_ns;		/* when it happened */
	__u64 start_ns;		/* episodes: when the episode began */
	__u64 duration_ns;	/* ZW_END: how long it lasted */
	__u32 queue;		/* episodes: bytes queued at the start (see bs_zw_side) */
	__u32 reason;		/* DROP: enum skb_drop_reason value */
	__u32 old_rcvbuf;	/* RCVBUF */
	__u32 new_rcvbuf;
	__u64 probes;		/* ZW_END: probes during the episode */
	struct bs_reader reader;	/* the socket's last reader, if any */
	struct bs_endpoints ep;
};

/* cfg_flow_records: which optional flow records the kernel sends. */
enum bs_flow_records {
	BS_FR_DROP = 1 << 0,
	BS_FR_RCVBUF = 1 << 1,
	BS_FR_PROBE = 1 << 2,	/* BS_REC_ZW_PROBE records (validate) */
};

/* Key of the per-socket, per-reason drop counters (BPF hash map). */
struct bs_drop_key {
	__u64 cookie;
	__u32 reason;		/* enum skb_drop_reason of the running kernel */
	__u32 pad;
};

/*
 * Key of the close folds (BPF hash map): the process that last read the
 * sockets folded there, with its cgroup, and the port they served; pid 0,
 * an empty name and cgroup 0 for sockets never read.
 */
struct bs_fold_key {
	__u32 pid;		/* tgid */
	char comm[BS_COMM_LEN];
	__u16 port;		/* their local port if it served (BS_SF_SERVICE), else 0 */
	__u16 pad;
	__u64 cgroup_id;
};

/*
 * Sockets destroyed while the ring buffer was full: the sum of what their
 * close records would have added to what user space already had. Only ever
 * added to (atomically), in the kernel; user space reads it each pass.
 */
struct bs_fold {
	struct bs_totals t;
	__u64 sockets;		/* sockets folded here that user space never
				 * had a record of (the others have a row) */
	__u32 incomplete;	/* enum bs_incomplete of any socket folded here
				 * (OR-ed in): some of the counts are short */
	__u32 pad;
	__u64 hist[BS_HIST_N][BS_HIST_SLOTS];	/* their whole histograms */
};

/*
 * Value of close_owners (BPF hash map, key: the socket's cookie): a folded
 * close of a socket whose row in user space the fold does not count in
 * its reader's process. The fold counts a socket with a row only in the
 * row, and a row from a record sent before the first read has no owner;
 * one from a record with no counts is not listed (src/model: `active`).
 */
struct bs_close_owner {
	struct bs_reader reader;	/* the fold's reader or closer (pid 0: none) */
	__u32 counted;		/* the fold has counts of the socket: list its row */
	__u32 pad;
};

/* Counters the BPF side keeps about itself (in .bss). */
struct bs_kstats {
	__u64 lost_events;	/* ring-buffer records that could not be reserved */
	__u64 storage_failures;	/* events of sockets whose state could not be
				 * allocated (one socket may fail many times) */
	__u64 untracked_sockets;	/* sockets that could not get state: none of
					 * their reads or segments is counted */
	__u64 missed_reads;	/* kprobe tier: reads whose return was not seen
				 * (kretprobe instances exhausted, recv_calls full) */
	__u64 close_folded;	/* close records replaced by a fold: nothing lost */
	__u64 close_fold_unowned;	/* of those, folded without their owner
					 * (the fold map was full) */
	__u64 drops_after_close;	/* drops charged to a socket after its
					 * final totals went out */
	__u64 hist_reads_unfolded;	/* data reads of folded closes that are
					 * in no histogram user space gets: read
					 * after the socket's last full record,
					 * and that record's histograms were
					 * not kept to subtract (see fold_close) */
};

/*
 * The histograms of the last full record the iterator sent of a socket
 * (socket storage of its own, made only when every pass sends full
 * records): a close folded later adds what its histograms gained since.
 */
struct bs_hist_copy {
	__u64 hist[BS_HIST_N][BS_HIST_SLOTS];
};

#endif /* BUFSCOPE_SOCK_H */
