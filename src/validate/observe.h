/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bufscope observed of a scenario's run, per side: the sockets' counts
 * as the kernel made them, every read, every zero-window episode, and a
 * timeline sampled at each pass. Filled by the engine sink observe_sink()
 * makes; the expectations and the report read it.
 */
#ifndef BUFSCOPE_VALIDATE_OBSERVE_H
#define BUFSCOPE_VALIDATE_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/engine.h"
#include "model/counts.h"

enum side { SIDE_SENDER, SIDE_RECEIVER, SIDE__N };

/* At most this many reads are kept per side (read_sizes, queue_before);
 * beyond, counted in reads_not_kept: those expectations become unobservable. */
#define OBS_MAX_READS 200000
#define OBS_MAX_SAMPLES 100000
#define OBS_MAX_PHASES 64

struct obs_read {
	uint64_t t_ns;		/* from the run's start */
	uint32_t ret, req;	/* returned, requested (req 0: unknown) */
	uint32_t queue_before, queue_after;
};

struct obs_episode {
	uint64_t start_ns, end_ns;	/* from the run's start; end 0: open */
	uint32_t queue;		/* bytes queued at its start */
	uint64_t probes;
	uint64_t first_probe_ns;	/* from the run's start; 0: no probe */
};

/* One pass: the receiving socket and the sending socket as they were. */
struct obs_sample {
	uint64_t t_ns;
	uint32_t queue, rcv_wnd, rcvbuf;	/* the receiving socket */
	uint32_t snd_wnd, send_queue;	/* the sending socket */
	uint64_t bytes_read;		/* the receiving side, so far */
	bool rx_seen, tx_seen;
};

struct obs_phase {
	uint64_t t_ns;
	char what[160];
};

/* What an application told of itself (the built-in sender and receiver). */
struct obs_app {
	bool known;
	uint64_t bytes;		/* written, or read */
	uint64_t calls;		/* write or read calls that moved data */
	uint64_t blocked_ns;	/* time inside calls that waited (> 1 ms) */
	int exit_status;	/* as waitpid() said, -1: still running/killed */
};

struct obs_side {
	unsigned sockets;	/* sockets of this side bufscope saw */
	struct counts total;	/* their counts, summed */
	uint64_t drops_lost, drops_expected;
	uint32_t queue_peak;
	uint32_t rcvbuf_first, rcvbuf_last, rcvbuf_max;
	uint32_t rcv_wnd_max;
	struct obs_read *reads;
	size_t nreads, reads_cap;
	uint64_t reads_not_kept;
	struct obs_episode *eps[BS_ZW_N];	/* [BS_ZW_SENT]: advertised */
	size_t neps[BS_ZW_N], eps_cap[BS_ZW_N];
	struct obs_app app;
};

/* A process's sockets (by its name: a user's command's pid is not known
 * beforehand), counts only. */
#define OBS_MAX_PROCS 16
struct obs_proc {
	char comm[BS_COMM_LEN];
	struct obs_side s;
};

struct observation {
	uint64_t t0_ns;		/* CLOCK_MONOTONIC at the run's start (the
				 * roles set it when they start) */
	uint64_t duration_ns;
	struct obs_side side[SIDE__N];
	struct obs_proc procs[OBS_MAX_PROCS];
	size_t nprocs;
	uint64_t procs_not_kept;	/* sockets of processes beyond the 16 */
	struct obs_sample *samples;
	size_t nsamples, samples_cap;
	struct obs_phase phases[OBS_MAX_PHASES];
	size_t nphases;
	struct losses losses;	/* the engine's, at the end */
	bool drops_hook, arrival_hook;	/* those counts are observable */
	char hooks[256];	/* the hooks' tiers (hooks_describe) */
	/* bufscope's own CPU time (not its children's) from the start of
	 * the run to its end: what observing cost; cpu0_us set at the start */
	uint64_t cpu0_us, cpu_us;
	bool timed_out, interrupted;
};

/* Which side a socket is on: its local address, one per side's namespace. */
struct observe_config {
	int family;
	uint8_t addr[SIDE__N][16];	/* network order, as bs_endpoints has it */
	/* called each tick (~100 ms) with the engine: the roles reap their
	 * children here and stop the run when done */
	void (*on_tick)(void *ctx, struct engine *e);
	void *tick_ctx;
};

struct observer;

/* A sink that fills o; observe_free() releases o's arrays. */
struct observer *observe_new(const struct observe_config *cfg, struct observation *o);
struct sink observe_sink(struct observer *ob);
void observe_destroy(struct observer *ob);
void observe_free(struct observation *o);

/* Was every read of data of the side kept (as many, and as many bytes, as
 * the kernel counted)? Then the reads give the exact cumulative count and,
 * from one socket, the queue around each read. */
bool observe_reads_complete(const struct obs_side *s);

/* bufscope's own CPU time so far, user and system, in microseconds. */
uint64_t observe_cpu_us(void);

/* A phase of the run (stall begins, reads resume, the sender ends). */
void observe_phase(struct observation *o, uint64_t mono_ns, const char *what);

#endif
