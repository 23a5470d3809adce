// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "array.h"
#include "collector.h"
#include "filter_hint.h"
#include "log.h"
#include "model.h"
#include "netns.h"
#include "output.h"
#include "owners.h"
#include "render.h"
#include "session.h"
#include "view.h"

#define POLL_SLICE_MS 100
/* A close record is ~1.8 KiB: room for ~1,100 between two polls (100 ms).
 * Closes beyond that are folded in the kernel (exact, but without their
 * per-socket detail), so this is a matter of detail, not of exactness. */
#define TOP_RINGBUF (2 * 1024 * 1024)
#define TRACE_RINGBUF (16 * 1024 * 1024)

static volatile sig_atomic_t stop_signal;

/*
 * The first signal asks for the summary; a second one ends bufscope at once,
 * by that signal (a run blocked writing to a reader that never reads again
 * can still be stopped).
 */
static void on_signal(int sig)
{
	if (stop_signal) {
		signal(sig, SIG_DFL);
		raise(sig);	/* delivered when the handler returns */
		return;
	}
	stop_signal = sig;
}

bool session_stopping(void)
{
	return stop_signal != 0;
}

/*
 * SIGINT, SIGTERM and SIGHUP (a closed terminal or a service manager's
 * reload) end the run with its summary. SA_RESTART: a write blocked on a slow
 * reader goes on after the handler (a line cut there would be spliced with
 * the next); poll() and epoll_wait() still return EINTR, and the loop looks
 * at the flag at least every POLL_SLICE_MS anyway.
 */
static int install_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct session {
	const struct options *opt;
	struct collector *col;
	struct model model;
	int cursor;		/* the intervals' model cursor */
	struct owners owners;
	struct render render;
	struct losses lost_interval;	/* at the last interval (top) */
	struct losses lost_traced;	/* at the last `lost` record (trace) */
	struct bs_kstats kstats_pass;	/* as the last pass read them */
	struct bs_kstats kstats_reported;	/* as the last interval showed them */
	/* Cookies of per-reason drop counts with no socket in the model, at
	 * the last drop scan [0] and this one [1] (see on_drops). */
	uint64_t *unknown[2];
	size_t nunknown[2], capunknown[2];
	uint64_t passes;
	bool final;		/* the last pass walks everything */
	bool hinted;		/* the filter hint was considered */
	double start;		/* CLOCK_MONOTONIC seconds at the first pass */
	struct netns_set netns;
	int err;
	int out_err;		/* standard output failed: this errno */
};

/*
 * The whole socket table (every namespace) is walked this often, to find
 * sockets with bytes waiting that had no event (a stalled reader); the passes
 * between walk only sockets bufscope already tracks. Namespaces, which come
 * and go with containers, are looked for again at the same pace.
 */
#define FULL_WALK_PASSES 5

/* A socket /proc could not place is looked for again only this often. */
#define OWNER_RETRY_PASSES 8

static bool tracing(const struct session *s, unsigned event)
{
	return s->opt->cmd == CMD_TRACE && (s->opt->events & event);
}

static unsigned flow_event(uint32_t kind)
{
	switch (kind) {
	case BS_REC_ZW_START:
	case BS_REC_ZW_END: return EV_ZW;
	case BS_REC_DROP: return EV_DROP;
	case BS_REC_RCVBUF: return EV_RCVBUF;
	default: return 0;
	}
}

static int on_flow_record(struct session *s, const struct bs_flow_rec *fr)
{
	const struct sock_entry *e;
	int err = model_apply_flow(&s->model, fr);

	if (err || !tracing(s, flow_event(fr->kind)))
		return err;
	e = model_find(&s->model, fr->cookie);
	if (!e || model_visible(&s->model, e))
		render_flow(&s->render, fr);
	return 0;
}

static int on_record(void *ctx, const void *data, size_t size)
{
	struct session *s = ctx;
	const struct bs_read_rec *rd = data;
	const struct bs_sock_rec *sr = data;
	const uint32_t kind = *(const uint32_t *)data;
	struct sock_entry *e;
	int err;

	if (kind == BS_REC_READ && size >= sizeof(*rd)) {
		if (tracing(s, EV_READ))
			render_read(&s->render, rd);
		return 0;
	}
	if (flow_event(kind) && size >= sizeof(struct bs_flow_rec))
		return on_flow_record(s, data);
	if (kind == BS_REC_ALIVE && size >= sizeof(struct bs_alive_rec)) {
		model_alive(&s->model, ((const struct bs_alive_rec *)data)->cookie);
		return 0;
	}
	if (size < (kind == BS_REC_SAMPLE ? BS_SAMPLE_SIZE : sizeof(*sr)))
		return 0;
	err = model_apply(&s->model, sr);
	if (err)
		return err;
	if (sr->kind == BS_REC_CLOSE && tracing(s, EV_CLOSE)) {
		e = model_find(&s->model, sr->cookie);
		if (e && model_visible(&s->model, e))
			render_close(&s->render, e);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * A socket with state is in the model after the pass that follows its first
 * event; one still unknown at two drop scans in a row is gone without ever
 * being reported (its close folded, or another reader's): its counts can go.
 */
static bool unknown_twice(struct session *s, uint64_t cookie)
{
	if (s->nunknown[0] &&
	    bsearch(&cookie, s->unknown[0], s->nunknown[0], sizeof(cookie), cmp_u64))
		return true;
	if (!array_reserve(&s->unknown[1], &s->capunknown[1], s->nunknown[1],
			   sizeof(cookie), 64))
		s->unknown[1][s->nunknown[1]++] = cookie;
	return false;
}

/* This scan's unknown cookies become the last scan's. */
static void unknown_rotate(struct session *s)
{
	uint64_t *p = s->unknown[0];
	size_t cap = s->capunknown[0];

	qsort(s->unknown[1], s->nunknown[1], sizeof(uint64_t), cmp_u64);
	s->unknown[0] = s->unknown[1];
	s->capunknown[0] = s->capunknown[1];
	s->nunknown[0] = s->nunknown[1];
	s->unknown[1] = p;
	s->capunknown[1] = cap;
	s->nunknown[1] = 0;
}

/*
 * Per-reason drop totals; the entries of a socket that nothing will update
 * again are then forgotten, so that the kernel's map does not fill: closed
 * with its record, gone without it (its close folded), or never reported.
 */
static bool on_drops(void *ctx, uint64_t cookie, uint32_t reason, uint64_t total)
{
	struct session *s = ctx;
	const struct sock_entry *e = model_find(&s->model, cookie);

	if (!e)
		return unknown_twice(s, cookie);
	model_set_drops(&s->model, cookie, reason, total);
	return e->destroyed || e->vanished;
}

/* One reader's folded closes: cumulative totals for its folded entry. */
static int on_fold(void *ctx, const struct bs_fold_key *key, bool unowned,
		   const struct bs_fold *f)
{
	struct session *s = ctx;

	return model_apply_fold(&s->model, key->pid, key->comm, unowned, f);
}

/*
 * Sockets nobody read from while we watched: find their holder in /proc.
 * A full scan costs time on a busy host, so it runs only for a socket not yet
 * looked for, or every few passes while one stays unplaced.
 */
static void resolve_owners(struct session *s)
{
	bool scan = false;

	for (size_t i = 0; i < s->model.n && !scan; i++) {
		const struct sock_entry *e = &s->model.socks[i];

		if (e->owner == OWNER_UNKNOWN && e->active && !e->closed && e->inode)
			scan = !e->owner_misses || s->passes % OWNER_RETRY_PASSES == 0;
	}
	if (!scan)
		return;
	int err = owners_scan(&s->owners, s->opt->pids, s->opt->npids);

	if (err)
		log_debug("scanning /proc for socket owners: %s", strerror(-err));
	for (size_t i = 0; i < s->model.n; i++) {
		struct sock_entry *e = &s->model.socks[i];
		const struct owner_ent *o;

		if (e->owner != OWNER_UNKNOWN || !e->active || e->closed || !e->inode)
			continue;
		o = owners_lookup(&s->owners, e->inode);
		if (o)
			model_set_owner(e, o->pid, o->comm);
		else
			e->owner_misses++;
	}
}

/* Everything the kernel has now: pending records, then every socket. */
static int take_pass(struct session *s)
{
	int err = collector_poll(s->col, 0, on_record, s);

	if (err && err != -EINTR)
		return err;
	bool walk_due = s->passes % FULL_WALK_PASSES == 0;
	bool full = walk_due || s->final;

	if (walk_due) {	/* the namespaces a full walk will visit */
		int n = netns_refresh(&s->netns, s->opt->pids, s->opt->npids);

		if (n < 0)
			log_debug("looking for network namespaces: %s", strerror(-n));
	}
	model_begin_pass(&s->model);
	/* the last pass sends whole records: the summary's histograms */
	err = collector_scan(s->col, &s->netns, full, s->final, on_record, s);
	if (err)
		return err;
	model_end_pass(&s->model);
	/* closes during the walk: records, or else folds, both read after it
	 * (the last pass's are otherwise never read) */
	err = collector_poll(s->col, 0, on_record, s);
	if (err && err != -EINTR)
		return err;
	/* before the folds: each close counted has been folded by then, so
	 * the folds read next hold at least the closes counted */
	s->kstats_pass = collector_kstats(s->col);
	err = collector_scan_folds(s->col, on_fold, s);
	if (err)
		return err;
	err = collector_scan_drops(s->col, on_drops, s);
	if (err)
		return err;
	collector_sweep_calls(s->col, s->final);
	unknown_rotate(s);
	s->passes++;
	resolve_owners(s);
	return 0;
}

/* A filter's processes get this long to read before the hint. */
#define HINT_AFTER_S 5.0

/*
 * -p/-c selected processes that hold TCP sockets but have not read from one
 * (nginx's master, not its workers): say so, once, on stderr; after a few
 * seconds of the run, or at its end; only at the end when the table is
 * redrawn on the terminal, which would clear it at once.
 */
static void filter_hint(struct session *s, bool summary)
{
	const struct options *o = s->opt;
	struct filter_census c;
	char text[512];

	if (s->hinted || (!o->npids && !o->has_comm))
		return;
	if (model_any_read(&s->model)) {
		s->hinted = true;	/* a selected process reads: nothing to say */
		return;
	}
	if (!summary && (s->render.redraw || now_s() - s->start < HINT_AFTER_S))
		return;
	s->hinted = true;
	if (filter_census("/proc", o->pids, o->npids, o->has_comm ? o->comm : NULL, &c)) {
		log_debug("looking in /proc for the filter's processes failed");
		return;
	}
	if (filter_hint_text(&c, o->pids, o->npids, o->has_comm ? o->comm : NULL,
			     text, sizeof(text)))
		log_info("hint: %s", text);
}

/* What was lost since *mark (everything with mark NULL); *mark moves to now. */
static void take_losses(struct session *s, struct losses *d, struct losses *mark)
{
	struct losses now;

	collector_losses(s->col, &now);
	*d = now;
	if (!mark)
		return;
	d->events -= mark->events;
	d->missed_reads -= mark->missed_reads;
	d->untracked_sockets -= mark->untracked_sockets;
	d->close_folded -= mark->close_folded;
	*mark = now;
}

static void frame_losses(struct frame *f, const struct losses *d)
{
	f->lost_events = d->events;
	f->missed_reads = d->missed_reads;
	f->untracked_sockets = d->untracked_sockets;
}

static void emit(struct session *s, bool summary, double elapsed)
{
	struct frame f = { .summary = summary, .elapsed_s = elapsed,
			   .cursor = s->cursor };
	struct losses lost;
	long n, np;

	n = summary ? model_summary(&s->model, &f.rows)
		    : model_take_interval(&s->model, s->cursor, &f.rows);
	if (n < 0) {
		s->err = -ENOMEM;
		return;
	}
	f.n = (size_t)n;
	filter_hint(s, summary);
	np = model_rollup(f.rows, f.n, &f.procs);
	if (np < 0) {
		free(f.rows);
		s->err = -ENOMEM;
		return;
	}
	f.np = (size_t)np;
	/* a table shows its first rows only: the rest need no order */
	view_top_socks(f.rows, f.n, s->opt->sort,
		       s->opt->output == OUT_TABLE && s->opt->by != BY_PROCESS
		       ? s->opt->rows : 0);
	view_sort_procs(f.procs, f.np, s->opt->sort);
	struct bs_kstats k = s->kstats_pass;

	take_losses(s, &lost, summary ? NULL : &s->lost_interval);
	frame_losses(&f, &lost);
	if (summary) {
		f.close_folded = k.close_folded;
		f.close_fold_unowned = k.close_fold_unowned;
		f.drops_after_close = k.drops_after_close;
		render_summary(&s->render, &f);
	} else {
		f.close_folded = k.close_folded - s->kstats_reported.close_folded;
		f.close_fold_unowned = k.close_fold_unowned -
				       s->kstats_reported.close_fold_unowned;
		f.drops_after_close = k.drops_after_close -
				      s->kstats_reported.drops_after_close;
		s->kstats_reported = k;
		render_interval(&s->render, &f);
		model_mark_episodes_reported(&s->model, s->cursor);
	}
	free(f.rows);
	free(f.procs);
}

static void collector_config_from(struct collector_config *cfg,
				  const struct options *opt)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pids = opt->pids;
	cfg->npids = opt->npids;
	cfg->comm = opt->has_comm ? opt->comm : NULL;
	cfg->port = opt->port;
	cfg->trace_reads = opt->cmd == CMD_TRACE && (opt->events & EV_READ);
	if (opt->cmd == CMD_TRACE)
		cfg->flow_records = (opt->events & EV_DROP ? BS_FR_DROP : 0) |
				    (opt->events & EV_RCVBUF ? BS_FR_RCVBUF : 0);
	cfg->ringbuf_bytes = opt->cmd == CMD_TRACE ? TRACE_RINGBUF : TOP_RINGBUF;
	cfg->attach = opt->attach;
}

static void model_filter_from(struct model_filter *f, const struct options *opt)
{
	memcpy(f->pids, opt->pids, sizeof(f->pids));
	f->npids = opt->npids;
	memcpy(f->comm, opt->comm, sizeof(f->comm));
	f->has_comm = opt->has_comm;
}

/*
 * trace: a `lost` record (a line in a table) where losses are noticed, so
 * that a stream cut short still says where it has gaps.
 */
static void trace_losses(struct session *s)
{
	struct losses d;

	if (s->opt->cmd != CMD_TRACE)
		return;
	take_losses(s, &d, &s->lost_traced);
	/* a folded close is a close line the stream will not have */
	if (!tracing(s, EV_CLOSE))
		d.close_folded = 0;
	if (d.events || d.missed_reads || d.untracked_sockets || d.close_folded)
		render_lost(&s->render, &d);
}

/*
 * A failed write, or a reader of standard output that went away (found
 * without writing: a trace with nothing to say still ends promptly), ends
 * the run: nothing more can be delivered.
 */
static bool output_lost(struct session *s)
{
	if (!output_closed())
		return false;
	s->out_err = output_error();
	return true;
}

/* Polls the ring buffer until `until` (or a signal, or lost output). */
static int wait_until(struct session *s, double until)
{
	double left;

	while (!stop_signal && (left = until - now_s()) > 0 && !output_lost(s)) {
		int ms = (int)(left * 1000) + 1;
		int err = collector_poll(s->col, ms < POLL_SLICE_MS ? ms : POLL_SLICE_MS,
					 on_record, s);

		if (err && err != -EINTR)
			return err;
		trace_losses(s);
		if (s->opt->cmd == CMD_TRACE)
			fflush(s->render.out);	/* a reader of a pipe sees lines live */
	}
	return 0;
}

static int run_loop(struct session *s, double start)
{
	const struct options *opt = s->opt;
	double end = opt->duration_s > 0 ? start + opt->duration_s : 0;
	double last = start;
	bool top = opt->cmd != CMD_TRACE;
	int err = 0;

	for (;;) {
		double next = top ? last + opt->interval_s : (end ? end : last + 3600);
		double t;

		if (end && next > end)
			next = end;
		err = wait_until(s, next);
		if (err || s->out_err)
			return err;
		t = now_s();
		if (top || stop_signal || (end && t >= end)) {
			s->final = stop_signal || (end && t >= end);
			err = take_pass(s);
			if (err)
				return err;
			trace_losses(s);
		}
		if (top) {
			emit(s, false, t - last);
			last = t;
		}
		if (output_lost(s))
			return 0;
		if (stop_signal || (end && t >= end) || s->err)
			return s->err;
	}
}

int session_run(const struct options *opt, const struct session_hooks *hooks)
{
	struct collector_config cfg;
	struct session s = { .opt = opt };
	char desc[256];
	double start;
	int err, status = 1;

	if (collector_check_privileges())
		return 1;
	if (install_signals())
		return 1;
	collector_config_from(&cfg, opt);
	if (collector_open(&s.col, &cfg))
		return 1;
	if (model_init(&s.model)) {
		collector_close(s.col);
		return 1;
	}
	model_filter_from(&s.model.filter, opt);
	s.cursor = model_cursor_open(&s.model, 0);	/* the first: cannot fail */
	owners_init(&s.owners, "/proc");
	if (netns_init(&s.netns, "/proc", "/run/netns"))
		log_warn("cannot read /proc/self/ns/net: other namespaces not scanned");
	collector_prime(s.col, &s.netns);
	render_init(&s.render, stdout, opt, collector_hooks(s.col));
	s.render.model = &s.model;
	s.render.reasons = collector_drop_reasons(s.col);
	s.model.reasons = s.render.reasons;	/* drops lost or expected */
	hooks_describe(collector_hooks(s.col), desc, sizeof(desc));
	log_info("ready: attached %s", desc);
	fflush(stderr);
	if (hooks && hooks->on_ready && (status = hooks->on_ready(hooks->ctx)))
		goto out;
	status = 1;
	if (opt->cmd == CMD_TRACE)
		render_trace_header(&s.render);
	start = s.start = now_s();
	err = run_loop(&s, start);
	if (err) {
		log_error("-v shows more", "collection failed: %s", strerror(-err));
		goto out;
	}
	if (!s.out_err) {
		emit(&s, true, now_s() - start);
		output_lost(&s);
	}
	if (s.out_err) {
		log_error("check where standard output goes: a full disk, a closed pipe",
			  "cannot write to standard output: %s", strerror(s.out_err));
		goto out;
	}
	status = s.err ? 1 : 0;
out:
	free(s.unknown[0]);
	free(s.unknown[1]);
	owners_free(&s.owners);
	netns_free(&s.netns);
	model_free(&s.model);
	collector_close(s.col);
	return status;
}
