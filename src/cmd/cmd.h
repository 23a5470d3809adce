/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command table (after bpftool's cmds[]): each command is one file in
 * src/cmd/ with its name, help, its own options and its run function; the
 * options every command shares are parsed once, by cli.c. A command's run
 * is a sink of the engine (src/engine.h) and an output config.
 */
#ifndef BUFSCOPE_CMD_H
#define BUFSCOPE_CMD_H

#include "cli.h"
#include "engine.h"
#include "render.h"

struct cmd {
	const char *name;
	const char *summary;		/* one line, for the command list */
	const char *examples;		/* lines of "  bufscope ...  what" */
	const char *options_help;	/* its own options, NULL: none */
	const char *own_options;	/* their short letters, e.g. "snbw" */
	double default_duration_s;	/* 0: until a signal */
	void (*defaults)(struct options *o);	/* NULL: the shared ones */
	int (*run)(const struct options *opt);	/* the exit status */
};

extern const struct cmd cmd_top, cmd_trace, cmd_hist, cmd_demo;
/* Indexed by enum command. */
extern const struct cmd *const commands[CMD__COUNT];

/* The engine's configuration from the shared options (filters, attach,
 * duration, interval); the command adds its own. */
void cmd_engine_config(const struct options *opt, struct engine_config *cfg);
/* The output's configuration from the options: backend, table shape. */
void cmd_render_config(const struct options *opt, struct render_config *cfg);

/* A table shows its first rows only: how many need an order (0: all). */
size_t cmd_rows_ordered(const struct options *opt);
/* The run's summary frame, rendered (top, trace, demo). 0 or -ENOMEM. */
int cmd_summary(struct render *r, const struct options *opt, struct engine *e,
		double elapsed_s);
/* top's options, which demo takes too */
extern const char cmd_top_options_help[];

/* top's sink on the engine, with a hook once attached (demo's workload). */
int top_run(const struct options *opt, int (*on_ready)(void *ctx), void *ctx);

#endif
