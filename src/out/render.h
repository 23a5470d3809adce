/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output: the same frames and records as JSON lines or as text tables, by
 * one interface (struct render_ops) with a backend each. The rules both
 * follow (what is unknown, what a closed socket shows) are here. Formatting
 * only.
 */
#ifndef BUFSCOPE_RENDER_H
#define BUFSCOPE_RENDER_H

#include <stdbool.h>
#include <stdio.h>
#include "kernel/collector.h"
#include "util/fmt.h"
#include "kernel/hooks.h"
#include "util/json.h"
#include "model/model.h"
#include "model/view.h"

struct drop_reasons;
struct cgroups;
struct render;

enum group_by { BY_SOCKET, BY_PROCESS };

/* What a backend (render_json.c, render_table.c) does with each output. */
struct render_ops {
	bool redraws;		/* on a terminal, each interval replaces the last */
	void (*interval)(struct render *r, const struct frame *f);
	void (*summary)(struct render *r, const struct frame *f);
	void (*trace_header)(struct render *r);		/* may be NULL */
	void (*read)(struct render *r, const struct bs_read_rec *rec);
	void (*close)(struct render *r, const struct sock_entry *s);
	void (*flow)(struct render *r, const struct bs_flow_rec *rec);
	void (*lost)(struct render *r, const struct losses *d);
	void (*hist)(struct render *r, const struct hist_frame *hf);
};

extern const struct render_ops render_json_ops, render_table_ops;

/* How a command wants its output: the backend and the table's shape. */
struct render_config {
	const struct render_ops *ops;
	const char *command;	/* a table's header names it */
	enum group_by by;
	unsigned rows;		/* a table shows at most this many; 0: all */
	bool wide;		/* every column, whatever the width */
	bool verbose;		/* a table's header says what is attached */
};

struct render {
	FILE *out;
	struct render_config cfg;
	const struct hook_status *hooks;
	const struct model *model;	/* episodes, and peers of sockets */
	const struct drop_reasons *reasons;
	/* readers' cgroup ids to paths; NULL: every one unknown (tests) */
	struct cgroups *cgroups;
	bool redraw;		/* a terminal: redraw the table in place */
	bool tty;		/* out is a terminal: tables fit its width */
	unsigned line_width;	/* the frame being printed fits this; 0: any */
	struct json_writer jw;
	struct wallclock clock;	/* event timestamps as wall-clock text */
};

/*
 * The cgroup path (NULL: unknown) and container id (NULL: none) of cgroup id
 * (a socket's reader or closer: model_cgroup_id(); a read record's), as the
 * resolver has them; not escaped.
 */
const char *render_cgroup_of(const struct render *r, uint64_t id);
const char *render_container_of(const struct render *r, uint64_t id);
void render_init(struct render *r, FILE *out, const struct render_config *cfg,
		 const struct hook_status *hooks);
/*
 * The width a table must fit, 0 for none: none with --wide; a terminal's
 * width (winsize_cols, else $COLUMNS, else 80); when out is not a terminal,
 * $COLUMNS when it is set, else none, so that a pipe or a file gets every
 * column whatever terminal started it.
 */
unsigned render_fit_width(bool wide, bool tty, unsigned winsize_cols,
			  const char *columns_env);
/* render_fit_width() for r's stream now (a terminal may have been resized). */
unsigned render_width(const struct render *r);
/*
 * Is the hook attached? Counts only it makes (arrivals, drops) are shown as
 * unknown, not 0, when it is not. Without hook information (tests), yes.
 */
bool render_hook_on(const struct render *r, enum hook_id id);
void render_interval(struct render *r, const struct frame *f);
void render_summary(struct render *r, const struct frame *f);
void render_trace_header(struct render *r);
void render_read(struct render *r, const struct bs_read_rec *rec);
void render_close(struct render *r, const struct sock_entry *s);
void render_flow(struct render *r, const struct bs_flow_rec *rec);
/* What a socket holds now, as both backends show it: a closed socket holds
 * nothing (its last sample's values are history, not the present). */
struct sock_now {
	uint32_t queue_bytes, rmem_alloc, rcv_wnd, peer_rcv_wnd, send_queue;
};
void render_sock_now(const struct sock_entry *s, struct sock_now *n);

/* hist: the distributions of an interval or of the run. */
void render_hist(struct render *r, const struct hist_frame *hf);
/* trace: records were lost (d: since the last such line), noticed now. */
void render_lost(struct render *r, const struct losses *d);

/* Who held the reading side of an episode: "reader"/"fd" of this socket
 * (sent) or of its local peer (recv), "remote" when the peer is elsewhere. */
const char *render_episode_owner(const struct render *r, const struct episode *e,
				 const struct sock_entry **owner);

#endif
