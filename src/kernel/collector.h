/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side's lifecycle: probe, open, set filters, load, attach, read
 * the ring buffer and the socket iterator, detach. One cleanup path.
 */
#ifndef BUFSCOPE_COLLECTOR_H
#define BUFSCOPE_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bufscope/sock.h"
#include "kernel/hooks.h"

struct collector_config {
	const uint32_t *pids;
	unsigned npids;
	const char *comm;	/* NULL: any */
	uint16_t port;		/* 0: any */
	/* sockets in these network namespaces only (inode numbers of
	 * /proc/PID/ns/net); nnetns 0: any */
	uint32_t netns[BS_MAX_NETNS];
	unsigned nnetns;
	/* --cgroup: readers in this cgroup v2 directory or below only
	 * (cgroups_resolve_arg's result); NULL: any */
	const char *cgroup_dir;
	bool trace_reads;	/* a ring-buffer record for every read */
	uint8_t flow_records;	/* enum bs_flow_records: drop, rcvbuf records */
	uint32_t ringbuf_bytes;	/* power of two; 0: default */
	enum attach_mode attach;	/* --attach */
	/*
	 * Every pass sends a whole record (BS_REC_SOCK: the histograms and
	 * arrival marks too) for each socket that changed since its last
	 * record, instead of a BS_REC_SAMPLE; an unchanged one is still only
	 * BS_REC_ALIVE. For `hist`; `top` keeps samples (smaller, cheaper).
	 * A close folded in the kernel then adds to its fold only what its
	 * histograms gained since its last record (kstats.hist_reads_unfolded
	 * counts the reads a fold could not deliver so).
	 */
	bool hist_every_pass;
};

struct drop_reasons;

/* Returns 0 for each record consumed; data is a bs_*_rec (see kind). */
typedef int (*record_fn)(void *ctx, const void *data, size_t size);

struct collector;

/* Checks BTF and hooks, loads and attaches; on failure logs why and returns
 * a negative errno. */
int collector_open(struct collector **out, const struct collector_config *cfg);
void collector_close(struct collector *c);

/* Ring-buffer records (reads, closes) to fn, waiting up to timeout_ms. */
int collector_poll(struct collector *c, int timeout_ms, record_fn fn, void *ctx);
/* A descriptor that polls readable when the ring buffer has records. */
int collector_fd(const struct collector *c);
struct netns_set;

/*
 * One pass over the sockets, a record each to fn: BS_REC_SAMPLE (a
 * bs_sock_rec without arrival marks and histograms) for a socket that changed
 * since its last sample or has bytes waiting or an open zero-window episode
 * (a full BS_REC_SOCK instead with collector_config.hist_every_pass),
 * BS_REC_ALIVE for one that did not; with `records` (the last pass), a full
 * BS_REC_SOCK for every socket instead. `full`: the whole socket table of each namespace of
 * ns (NULL: ours only), which finds sockets with bytes waiting that had no
 * event; otherwise only the sockets with state (all namespaces), when the
 * kernel has that iterator.
 */
/*
 * Before the first interval: one pass over the sockets of every namespace
 * for what the chosen tiers need at start (the kprobe tier: every existing
 * socket's cookie, which its programs cannot make) and the ports listeners
 * have (serve's port label). Nothing is reported.
 */
void collector_prime(struct collector *c, const struct netns_set *ns);

int collector_scan(struct collector *c, const struct netns_set *ns, bool full,
		   bool records, record_fn fn, void *ctx);

/* The per-socket, per-reason drop totals; fn returns true to forget the
 * entry (its socket is gone). */
typedef bool (*drop_fn)(void *ctx, uint64_t cookie, uint32_t reason,
			uint64_t total);
int collector_scan_drops(struct collector *c, drop_fn fn, void *ctx);
const struct drop_reasons *collector_drop_reasons(const struct collector *c);

/* What was not counted, since the start (docs/json.md); every member a
 * uint64_t (losses_sub relies on it). */
struct losses {
	uint64_t events;		/* ring-buffer records that could not be sent */
	uint64_t missed_reads;		/* kprobe tier: reads whose return was missed */
	uint64_t untracked_sockets;	/* sockets that could not get state */
	uint64_t close_folded;		/* closes folded in the kernel: their
					 * close records never came */
	uint64_t close_fold_unowned;	/* of those, folded without their owner */
	uint64_t drops_after_close;	/* drops after a socket's final totals */
	uint64_t hist_reads_unfolded;	/* data reads missing from the histograms
					 * (a folded close could not add them) */
	uint64_t hook_misses;		/* events a hook did not see: the kernel
					 * skipped the program, re-entered on a
					 * CPU where it was running (any socket's,
					 * watched or not) */
};
void collector_losses(const struct collector *c, struct losses *l);
/* d = now - mark, member by member: what a consumer has not seen yet. */
void losses_sub(struct losses *d, const struct losses *now,
		const struct losses *mark);

/*
 * kprobe tier: reads whose return was missed and that no later read of their
 * thread will reveal: the thread is gone (its stash is deleted), or, at the
 * end of the run (`final`), it is not inside any read. Counted in
 * missed_reads.
 */
void collector_sweep_calls(struct collector *c, bool final);
/*
 * The kernel's close folds (struct bs_fold): one call per reader with closes
 * folded, and one for the spill slot (unowned) if it holds any. Cumulative:
 * nothing is deleted, the kernel may be adding to them meanwhile.
 */
typedef int (*fold_fn)(void *ctx, const struct bs_fold_key *key, bool unowned,
		       const struct bs_fold *f);
int collector_scan_folds(struct collector *c, fold_fn fn, void *ctx);
/*
 * Folded closes whose rows their folds do not count (close_owners): one
 * call per socket cookie, each entry deleted once given. Read after the
 * folds.
 */
typedef void (*owner_fn)(void *ctx, uint64_t cookie, const struct bs_close_owner *o);
void collector_scan_close_owners(struct collector *c, owner_fn fn, void *ctx);

/* A bounded table of the kernel side, and how full it is. */
struct map_usage {
	const char *name;	/* the BPF map's name */
	uint64_t entries, capacity;
};
#define COLLECTOR_MAPS 3
/* The close folds and per-socket drop counts as the last pass's scans found
 * them, the closing sockets now; returns how many were filled. */
size_t collector_map_usage(const struct collector *c, struct map_usage *out,
			   size_t max);

/* The kernel side's own counters: losses, folds. */
struct bs_kstats collector_kstats(const struct collector *c);
const struct hook_status *collector_hooks(const struct collector *c);

/* Fills hooks[] with the tier each hook would get (trials need root). */
int collector_probe(enum attach_mode mode, struct hook_status hooks[HOOK__COUNT]);

/* 0 if we may load BPF (root, or CAP_BPF+CAP_PERFMON), else logs -EPERM. */
int collector_check_privileges(void);

/* The capabilities the passes still use once everything is attached (the
 * others may be given up then: util/caps.h). */
uint64_t collector_caps_after_attach(void);

#endif
