/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command table (after bpftool's cmds[]): each command is one file in
 * src/cmd/ with its name, help, its own options and its run function; the
 * options every command shares are parsed once, by cli.c. A command's run
 * is a sink of the engine (engine/engine.h) and an output config.
 */
#ifndef BUFSCOPE_CMD_H
#define BUFSCOPE_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include "bufscope/sock.h"
#include "engine/engine.h"
#include "kernel/hooks.h"
#include "out/render.h"
#include "model/view.h"

enum command { CMD_TOP, CMD_TRACE, CMD_HIST, CMD_DEMO, CMD_VALIDATE, CMD_SERVE, CMD__COUNT };
enum output_mode { OUT_TABLE, OUT_JSON };

/* What `trace` prints (-e/--events). */
enum event_kind {
	EV_READ = 1 << 0,	/* each read */
	EV_ZW = 1 << 1,		/* zero-window episode start and end */
	EV_DROP = 1 << 2,	/* receive-path drops */
	EV_RCVBUF = 1 << 3,	/* receive buffer size changes */
	EV_CLOSE = 1 << 4,	/* a socket's final totals */
	EV_ALL = (1 << 5) - 1,
};

struct options {
	enum command cmd;
	unsigned events;	/* enum event_kind mask */
	uint32_t pids[BS_MAX_PIDS];
	unsigned npids;
	char comm[BS_COMM_LEN];
	bool has_comm;
	uint16_t port;
	/* --cgroup as given; cgroup_dir: the directory it names (main.c) */
	const char *cgroup;
	char cgroup_dir[4096];
	/* sockets in these network namespaces only (demo's), none: any */
	uint32_t netns[BS_MAX_NETNS];
	unsigned nnetns;
	double interval_s;
	bool interval_given;	/* -i was given (hist: intervals, not one table) */
	double duration_s;	/* 0: until SIGINT/SIGTERM */
	enum output_mode output;
	enum sort_key sort;
	unsigned rows;		/* 0: all */
	enum group_by by;
	bool wide;		/* -w: every column, whatever the width */
	enum attach_mode attach;	/* --attach */
	bool verbose;
	bool help;
	bool version;
	/* the words after the options (validate: scenarios), in argv */
	char **args;
	int nargs;
	/* validate's own options */
	bool list, dry_run, all, metrics, no_timeline, cleanup;
	const char *show;	/* --show NAME */
	const char *svg;	/* --svg FILE */
	unsigned repeat;	/* --repeat N, 0: once */
	/* serve's own options */
	const char *listen;	/* --listen ADDR:PORT */
	const char *web_config;	/* --web.config.file FILE, NULL: none */
	const char *labels;	/* --labels LIST, NULL: the default ones */
	unsigned max_series;	/* --max-series N, 0: the default */
};

/* Long-only options of one command (validate's), past the letters. */
enum long_option {
	OPT_LIST = 256, OPT_SHOW, OPT_DRY_RUN, OPT_ALL, OPT_SVG, OPT_REPEAT,
	OPT_METRICS, OPT_NO_TIMELINE, OPT_CLEANUP,
	OPT_LISTEN, OPT_WEB_CONFIG, OPT_LABELS, OPT_MAX_SERIES,	/* serve's */
};

struct cmd {
	const char *name;
	const char *summary;		/* one line, for the command list */
	const char *examples;		/* lines of "  bufscope ...  what" */
	const char *options_help;	/* its own options, NULL: none */
	const char *own_options;	/* their short letters, e.g. "snbw" */
	unsigned own_long;		/* long-only ones: 1 << (OPT_x - OPT_LIST) */
	bool takes_args;		/* words after the options (scenarios) */
	const char *args_help;		/* their name in the usage line */
	/* shared options it does not take (validate: the scenario sets the
	 * filters, the time limit and the sampling) */
	const char *refused_options;
	/* how it takes the shared options, under them in its help; NULL: as
	 * they say */
	const char *shared_note;
	double default_duration_s;	/* 0: until a signal */
	void (*defaults)(struct options *o);	/* NULL: the shared ones */
	int (*run)(const struct options *opt);	/* the exit status */
};

extern const struct cmd cmd_top, cmd_trace, cmd_hist, cmd_demo, cmd_validate, cmd_serve;
/* Indexed by enum command. */
extern const struct cmd *const commands[CMD__COUNT];

/* The engine's configuration from the shared options (filters, attach,
 * duration, interval); the command adds its own. */
void cmd_engine_config(const struct options *opt, struct engine_config *cfg);
/* The output's configuration from the options: backend, table shape. */
void cmd_render_config(const struct options *opt, struct render_config *cfg);

/* The command's output on standard output, for the engine's hooks and model. */
void cmd_render_open(struct render *r, const struct options *opt, struct engine *e);
/*
 * A frame of the engine's model with the losses as of its last pass: the
 * interval since mk's last one (mk moves), or the whole run (mk NULL).
 * 0, or -ENOMEM; view_frame_free() it.
 */
int cmd_frame(struct frame *f, struct engine *e, struct frame_mark *mk,
	      double elapsed_s);
/* The ring buffer of top and hist. A close record is ~2 KiB: room for ~1,000
 * between two polls (100 ms). Closes beyond that are folded in the kernel
 * (exact, without their per-socket detail): a matter of detail, not of
 * exactness. */
#define CMD_RINGBUF (2 * 1024 * 1024)

/* A table shows its first rows only: how many need an order (0: all). */
size_t cmd_rows_ordered(const struct options *opt);
/* The run's summary frame, rendered (top, trace, demo). 0 or -ENOMEM. */
int cmd_summary(struct render *r, const struct options *opt, struct engine *e,
		double elapsed_s);
/* A cursor model_cursor_open() gave: 0, or -1 with the reason logged. */
int cmd_cursor_check(int cursor);
/* top's options, which demo takes too */
extern const char cmd_top_options_help[];

/* top's sink on the engine, with a hook once attached (demo's workload). */
int top_run(const struct options *opt, int (*on_ready)(void *ctx), void *ctx);

#endif
