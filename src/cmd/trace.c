// SPDX-License-Identifier: GPL-2.0
/* `bufscope trace`: one line per read, episode edge, drop, buffer change or
 * close, as they happen; the run's summary at the end. */
#include <stdio.h>
#include "cmd/cmd.h"
#include "workload.h"

/* Every read crosses to user space: a larger ring. */
#define TRACE_RINGBUF (16 * 1024 * 1024)

struct trace {
	const struct options *opt;
	struct render render;
	struct losses shown;	/* losses as of the last `lost` line */
	unsigned long long lost_at;	/* when that line was printed (wl_mono_ns) */
};

static unsigned event_of(uint32_t kind)
{
	switch (kind) {
	case BS_REC_READ: return EV_READ;
	case BS_REC_ZW_START:
	case BS_REC_ZW_END: return EV_ZW;
	case BS_REC_DROP: return EV_DROP;
	case BS_REC_RCVBUF: return EV_RCVBUF;
	case BS_REC_CLOSE: return EV_CLOSE;
	default: return 0;
	}
}

static int trace_start(void *ctx, struct engine *e)
{
	struct trace *t = ctx;

	cmd_render_open(&t->render, t->opt, e);
	render_trace_header(&t->render);
	return 0;
}

static void trace_record(void *ctx, struct engine *e, const struct engine_record *r)
{
	struct trace *t = ctx;

	(void)e;
	if (!(t->opt->events & event_of(r->kind)) || !r->visible)
		return;
	if (r->read)
		render_read(&t->render, r->read);
	else if (r->flow)
		render_flow(&t->render, r->flow);
	else if (r->sock)
		render_close(&t->render, r->sock);
}

/*
 * A `lost` record (a line in a table) where losses are noticed, so that a
 * stream cut short still says where it has gaps; then what was printed goes
 * out (a reader of a pipe sees lines live). Hook misses alone, which may
 * not concern the sockets traced, wait until a second has passed since the
 * last record (or the end: `final`), so that a sustained load does not fill
 * the stream with them; they are kept for the next record, not dropped.
 */
static void trace_losses(struct trace *t, struct engine *e, bool final)
{
	struct losses now, d;
	unsigned long long at = wl_mono_ns();
	bool lost;

	engine_losses(e, false, &now);
	losses_sub(&d, &now, &t->shown);
	/* a folded close is a close line the stream will not have */
	if (!(t->opt->events & EV_CLOSE))
		d.close_folded = 0;
	lost = d.events || d.missed_reads || d.untracked_sockets || d.close_folded;
	if (!lost && !final && at - t->lost_at < 1000000000ULL) {
		d.hook_misses = 0;
		now.hook_misses = t->shown.hook_misses;
	}
	t->shown = now;
	if (lost || d.hook_misses) {
		render_lost(&t->render, &d);
		t->lost_at = at;
	}
	fflush(t->render.out);
}

static void trace_tick(void *ctx, struct engine *e)
{
	trace_losses(ctx, e, false);
}

static int trace_finish(void *ctx, struct engine *e, double elapsed_s)
{
	struct trace *t = ctx;

	trace_losses(t, e, true);
	return cmd_summary(&t->render, t->opt, e, elapsed_s);
}

static int run(const struct options *opt)
{
	struct trace t = { .opt = opt };
	struct sink sink = {
		.ctx = &t, .on_start = trace_start, .on_record = trace_record,
		.on_tick = trace_tick, .on_finish = trace_finish,
	};
	struct engine_config cfg;

	cmd_engine_config(opt, &cfg);
	cfg.interval_s = 0;	/* records as they come; one pass at the end */
	cfg.kernel.trace_reads = opt->events & EV_READ;
	cfg.kernel.flow_records = (opt->events & EV_DROP ? BS_FR_DROP : 0) |
				  (opt->events & EV_RCVBUF ? BS_FR_RCVBUF : 0);
	cfg.kernel.ringbuf_bytes = TRACE_RINGBUF;
	return engine_run(&cfg, &sink, 1);
}

const struct cmd cmd_trace = {
	.name = "trace",
	.summary = "one line per read: requested, returned, queue before and after",
	.examples =
		"  bufscope trace -p 1234            every read of process 1234\n"
		"  bufscope trace -P 5432 -o json    reads on port 5432 as JSON lines\n"
		"  bufscope trace -e zw,drop         only zero-window episodes and drops\n",
	.options_help =
		"trace options:\n"
		"  -e, --events LIST    what to print: read, zw (zero-window episodes), drop,\n"
		"                       rcvbuf, close, or all (default), comma-separated\n",
	.own_options = "e",
	.run = run,
};
