/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine: one run of bufscope. It attaches, then waits in one epoll loop
 * on the ring buffer, a timer for the passes and any descriptor a command
 * adds; it feeds the model and hands every record and every pass to the
 * sinks, which are the commands. It knows no command: what a command wants
 * (reads traced, passes every interval, histograms each pass) is in its
 * configuration.
 */
#ifndef BUFSCOPE_ENGINE_H
#define BUFSCOPE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/collector.h"
#include "model/model.h"

struct engine;
struct drop_reasons;
struct cgroups;

/* A ring-buffer record, after the model took it. */
struct engine_record {
	uint32_t kind;				/* enum bs_rec_kind */
	const struct bs_read_rec *read;		/* BS_REC_READ */
	const struct bs_flow_rec *flow;		/* episode edges, drops, rcvbuf */
	/* the socket's model entry: a BS_REC_CLOSE's always, a flow record's
	 * when the model has it; NULL otherwise */
	const struct sock_entry *sock;
	bool visible;		/* passes -p/-c (a socket not in the model: yes) */
};

/* A command's side of the run; every callback is optional. */
struct sink {
	void *ctx;
	/* attached, before anything is read: the hooks and the model exist */
	int (*on_start)(void *ctx, struct engine *e);
	void (*on_record)(void *ctx, struct engine *e, const struct engine_record *r);
	/* after each wake-up of the loop (records read, or a slice elapsed) */
	void (*on_tick)(void *ctx, struct engine *e);
	/* a pass ended an interval of elapsed_s seconds (not the last one) */
	int (*on_pass)(void *ctx, struct engine *e, double elapsed_s);
	/* (a callback's non-zero return, -errno, ends the run: status 1, the
	 * reason logged) */
	/* the run is over, its last pass taken: the run lasted elapsed_s */
	int (*on_finish)(void *ctx, struct engine *e, double elapsed_s);
	/* whatever ended the run (on_finish or not), after on_start was
	 * called, before the engine goes: no thread may use it after this */
	void (*on_stop)(void *ctx);
};

struct engine_config {
	struct collector_config kernel;
	/* sinks get a pass every interval_s; 0: only the last (passes still
	 * run every second, unseen, to keep the model and maps bounded) */
	double interval_s;
	double duration_s;	/* 0: until SIGINT, SIGTERM or SIGHUP */
	/* -p/-c found processes that never read: say so only at the end (a
	 * table redrawn in place would wipe a line printed during the run) */
	bool hint_at_end;
	/* once attached, before the first pass (demo starts its workload);
	 * non-zero ends the run with that exit status */
	int (*on_ready)(void *ctx);
	void *ready_ctx;
};

/* Returns the process's exit status (0, or 1 with the reason logged). */
int engine_run(const struct engine_config *cfg, struct sink *sinks, size_t nsinks);

/* A sink's work is done (its workload ended): the run ends as at the end
 * of its duration, with the last pass and on_finish. */
void engine_stop(struct engine *e);
/* The kernel's bounded tables and their fill (collector_map_usage). */
size_t engine_map_usage(const struct engine *e, struct map_usage *out, size_t max);
/*
 * From any thread: a pass now, with the sinks' on_pass (a scrape wants fresh
 * values). Returns its ticket: the pass that answers it is the first whose
 * on_pass sees engine_requests_served() >= ticket.
 */
uint64_t engine_request_pass(struct engine *e);
/* In on_pass: the requests made before this pass began (tickets up to it). */
uint64_t engine_requests_served(const struct engine *e);
/* Did a signal (SIGINT, SIGTERM, SIGHUP) end the run? */
bool engine_interrupted(void);

struct model *engine_model(struct engine *e);
const struct hook_status *engine_hooks(const struct engine *e);
/* The run's cgroup resolver (kernel/cgroups.h: cgroups_path(),
 * cgroups_container()); it may walk the cgroup tree again once per pass. */
struct cgroups *engine_cgroups(struct engine *e);
const struct drop_reasons *engine_drop_reasons(const struct engine *e);
/*
 * What was not counted since the start: now, or as the last pass read them
 * (before its folds: the folds it read hold at least the closes counted).
 */
void engine_losses(const struct engine *e, bool as_of_pass, struct losses *out);

#endif
