/* SPDX-License-Identifier: GPL-2.0 */
/* Output: the same frames as JSON lines or as text tables. Formatting only. */
#ifndef BUFSCOPE_RENDER_H
#define BUFSCOPE_RENDER_H

#include <stdbool.h>
#include <stdio.h>
#include "cli.h"
#include "collector.h"
#include "fmt.h"
#include "json.h"
#include "model.h"

struct drop_reasons;

struct render {
	FILE *out;
	const struct options *opt;
	const struct hook_status *hooks;
	const struct model *model;	/* episodes, and peers of sockets */
	const struct drop_reasons *reasons;
	bool redraw;		/* a terminal: redraw the table in place */
	bool tty;		/* out is a terminal: tables fit its width */
	unsigned line_width;	/* the frame being printed fits this; 0: any */
	struct json_writer jw;
	struct wallclock clock;	/* event timestamps as wall-clock text */
};

/* What one interval, or the whole run, looks like. */
struct frame {
	bool summary;		/* the whole run, not an interval */
	int cursor;		/* the model cursor of an interval's rows */
	double elapsed_s;	/* length of the interval or of the run */
	uint64_t lost_events;	/* in the interval, or in the run */
	uint64_t missed_reads;	/* kprobe tier: reads not seen, likewise */
	uint64_t untracked_sockets;	/* sockets without state, likewise */
	uint64_t close_folded;	/* closes folded in the kernel (no record) */
	uint64_t close_fold_unowned;	/* of those, folded without their owner */
	uint64_t drops_after_close;	/* drops after a socket's final totals */
	struct sock_row *rows;
	size_t n;
	struct proc_row *procs;
	size_t np;
};

void render_init(struct render *r, FILE *out, const struct options *opt,
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
/* trace: records were lost (d: since the last such line), noticed now. */
void render_lost(struct render *r, const struct losses *d);

/* Who held the reading side of an episode: "reader"/"fd" of this socket
 * (sent) or of its local peer (recv), "remote" when the peer is elsewhere. */
const char *render_episode_owner(const struct render *r, const struct episode *e,
				 const struct sock_entry **owner);

/* Per mode (render_json.c, render_table.c). */
void json_interval(struct render *r, const struct frame *f);
void json_summary(struct render *r, const struct frame *f);
void json_read(struct render *r, const struct bs_read_rec *rec);
void json_close(struct render *r, const struct sock_entry *s);
void json_flow(struct render *r, const struct bs_flow_rec *rec);
void json_lost(struct render *r, const struct losses *d);
void table_interval(struct render *r, const struct frame *f);
void table_summary(struct render *r, const struct frame *f);
void table_trace_header(struct render *r);
void table_read(struct render *r, const struct bs_read_rec *rec);
void table_close(struct render *r, const struct sock_entry *s);
void table_flow(struct render *r, const struct bs_flow_rec *rec);
void table_lost(struct render *r, const struct losses *d);

#endif
