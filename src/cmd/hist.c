// SPDX-License-Identifier: GPL-2.0
/*
 * `bufscope hist`: how big the application's reads are next to what waits
 * in the kernel, as log2 distributions per process (or socket): requested
 * and returned sizes, the queue depth before each read, how long the oldest
 * byte waited, the time between reads. Once at the end, or every -i.
 */
#include <stdlib.h>
#include "cmd/cmd.h"

struct hist {
	const struct options *opt;
	struct render render;
	struct frame_mark mark;
};

static int hist_start(void *ctx, struct engine *e)
{
	struct hist *h = ctx;

	cmd_render_open(&h->render, h->opt, e);
	/* its intervals' rows carry histogram deltas */
	h->mark.cursor = model_cursor_open(engine_model(e), MODEL_CURSOR_HIST);
	return cmd_cursor_check(h->mark.cursor);
}

/* The histograms of a frame: the interval since the last (mk), or the run. */
static int show(struct hist *h, struct engine *e, struct frame_mark *mk,
		double elapsed_s)
{
	struct hist_frame hf;
	struct frame f;
	int err = cmd_frame(&f, e, mk, elapsed_s);

	if (!err)
		err = view_hist_frame(&hf, &f, h->opt->by == BY_SOCKET);
	if (!err) {
		render_hist(&h->render, &hf);
		free(hf.groups);
	}
	view_frame_free(&f);
	return err;
}

static int hist_pass(void *ctx, struct engine *e, double elapsed_s)
{
	struct hist *h = ctx;

	return show(h, e, &h->mark, elapsed_s);
}

static int hist_finish(void *ctx, struct engine *e, double elapsed_s)
{
	return show(ctx, e, NULL, elapsed_s);
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
	cfg.kernel.ringbuf_bytes = CMD_RINGBUF;
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
		"  bufscope hist -p 1234 -d 10       one process for 10 s, then its histograms\n"
		"  bufscope hist -P 443 -i 5         port 443's, every five seconds\n"
		"  bufscope hist --by socket -o json per socket, as JSON, until Ctrl-C\n",
	.options_help =
		"hist options:\n"
		"  -b, --by WHAT        process (default) or socket\n"
		"  (without -i, one set of histograms for the whole run, at the end;\n"
		"  with -i S, the histograms of every S seconds, then the run's)\n",
	.own_options = "b",
	.defaults = defaults,
	.run = run,
};
