// SPDX-License-Identifier: GPL-2.0
/* `bufscope top`: a table (or JSON frame) of the sockets every interval. */
#include <stdlib.h>
#include <unistd.h>
#include "cmd/cmd.h"

struct top {
	const struct options *opt;
	struct render render;
	struct frame_mark mark;
};

static int top_start(void *ctx, struct engine *e)
{
	struct top *t = ctx;

	cmd_render_open(&t->render, t->opt, e);
	t->mark.cursor = model_cursor_open(engine_model(e), 0);
	return cmd_cursor_check(t->mark.cursor);
}

static int top_pass(void *ctx, struct engine *e, double elapsed_s)
{
	struct top *t = ctx;
	struct frame f;
	int err = cmd_frame(&f, e, &t->mark, elapsed_s);

	if (err)
		return err;
	view_frame_order(&f, t->opt->sort, cmd_rows_ordered(t->opt));
	render_interval(&t->render, &f);
	model_mark_episodes_reported(engine_model(e), t->mark.cursor);
	view_frame_free(&f);
	return 0;
}

static int top_finish(void *ctx, struct engine *e, double elapsed_s)
{
	struct top *t = ctx;

	return cmd_summary(&t->render, t->opt, e, elapsed_s);
}

int top_run(const struct options *opt, int (*on_ready)(void *ctx), void *ctx)
{
	struct top t = { .opt = opt };
	struct sink sink = {
		.ctx = &t, .on_start = top_start, .on_pass = top_pass,
		.on_finish = top_finish,
	};
	struct engine_config cfg;

	cmd_engine_config(opt, &cfg);
	cfg.kernel.ringbuf_bytes = CMD_RINGBUF;
	/* a table redrawn in place would wipe a hint printed during the run */
	cfg.hint_at_end = opt->output == OUT_TABLE && isatty(STDOUT_FILENO);
	cfg.on_ready = on_ready;
	cfg.ready_ctx = ctx;
	return engine_run(&cfg, &sink, 1);
}

static int run(const struct options *opt)
{
	return top_run(opt, NULL, NULL);
}

const char cmd_top_options_help[] =
	"top options:\n"
	"  -s, --sort COLUMN    queue (default), peak, bytes, reads, req, ret, fill,\n"
	"                       rcvbuf, pid, comm, zw (time in zero window), drops\n"
	"                       (data lost)\n"
	"  -n, --rows N         show at most N rows (default 20, 0 = all)\n"
	"  -b, --by WHAT        socket (default) or process\n"
	"  -w, --wide           every column; otherwise a terminal gets the columns\n"
	"                       that fit its width (a pipe gets them all)\n";

const struct cmd cmd_top = {
	.name = "top",
	.summary = "live table of TCP sockets: reads, read sizes, receive queue",
	.examples =
		"  bufscope top                      every socket, refreshed each second\n"
		"  bufscope top -p 1234 --by process  one process, rolled up\n"
		"  bufscope top -P 443 -o json -d 60  port 443 as JSON lines for a minute\n",
	.options_help = cmd_top_options_help,
	.own_options = "snbw",
	.run = run,
};
