// SPDX-License-Identifier: GPL-2.0
/*
 * `bufscope hist`: how big the application's reads are next to what waits
 * in the kernel, as log2 distributions per process (or socket): requested
 * and returned sizes, the queue depth before each read, how long the oldest
 * byte waited, the time between reads. Once at the end, or every -i.
 */
#include <stdlib.h>
#include "cmd/cmd.h"

/* The same ring as top: closes that do not fit are folded, histograms and
 * all (their reads after the last pass are counted as missing). */
#define HIST_RINGBUF (2 * 1024 * 1024)

struct hist {
	const struct options *opt;
	struct render render;
	struct frame_mark mark;
};

static int hist_start(void *ctx, struct engine *e)
{
	struct hist *h = ctx;
	struct render_config rc;

	cmd_render_config(h->opt, &rc);
	render_init(&h->render, stdout, &rc, engine_hooks(e));
	h->render.model = engine_model(e);
	h->render.reasons = engine_drop_reasons(e);
	/* its intervals' rows carry histogram deltas */
	h->mark.cursor = model_cursor_open(engine_model(e), MODEL_CURSOR_HIST);
	return cmd_cursor_check(h->mark.cursor);
}

static int show(struct hist *h, const struct frame *f)
{
	struct hist_frame hf;
	int err = view_hist_frame(&hf, f, h->opt->by == BY_SOCKET);

	if (err)
		return err;
	render_hist(&h->render, &hf);
	free(hf.groups);
	return 0;
}

static int hist_pass(void *ctx, struct engine *e, double elapsed_s)
{
	struct hist *h = ctx;
	struct losses now;
	struct frame f;
	int err;

	engine_losses(e, true, &now);
	err = view_frame_interval(&f, engine_model(e), &h->mark, &now, elapsed_s);
	if (err)
		return err;
	err = show(h, &f);
	view_frame_free(&f);
	return err;
}

static int hist_finish(void *ctx, struct engine *e, double elapsed_s)
{
	struct hist *h = ctx;
	struct losses now;
	struct frame f;
	int err;

	engine_losses(e, true, &now);
	err = view_frame_summary(&f, engine_model(e), &now, elapsed_s);
	if (err)
		return err;
	err = show(h, &f);
	view_frame_free(&f);
	return err;
}

static int run(const struct options *opt)
{
	struct hist h = { .opt = opt };
	struct sink sink = {
		.ctx = &h, .on_start = hist_start, .on_pass = hist_pass,
		.on_finish = hist_finish,
	};
	struct engine_config cfg;

	cmd_engine_config(opt, &cfg);
	/* without -i, one table at the end: the last pass's whole records */
	cfg.interval_s = opt->interval_given ? opt->interval_s : 0;
	cfg.kernel.ringbuf_bytes = HIST_RINGBUF;
	/* intervals need each socket's histograms at every pass */
	cfg.kernel.hist_every_pass = opt->interval_given;
	return engine_run(&cfg, &sink, 1);
}

/* Per process unless --by socket. */
static void defaults(struct options *o)
{
	o->by = BY_PROCESS;
}

const struct cmd cmd_hist = {
	.name = "hist",
	.summary = "log2 histograms of read sizes, queue depth, byte wait and read gaps",
	.examples =
		"  bufscope hist -p 1234 -d 10       ten seconds of one process, then the histograms\n"
		"  bufscope hist -P 443 -i 5          every five seconds for port 443\n"
		"  bufscope hist --by socket -o json  per socket, as JSON, until Ctrl-C\n",
	.options_help =
		"hist options:\n"
		"  -b, --by WHAT        process (default) or socket\n"
		"  -i, --interval S     print the histograms of every S seconds (default:\n"
		"                       once, for the whole run, at the end)\n",
	.own_options = "b",
	.defaults = defaults,
	.run = run,
};
