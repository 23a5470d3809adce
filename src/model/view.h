/* SPDX-License-Identifier: GPL-2.0 */
/* Derived values of rows (rates, averages, fill) and their ordering. */
#ifndef BUFSCOPE_VIEW_H
#define BUFSCOPE_VIEW_H

#include <stddef.h>
#include "kernel/collector.h"
#include "model/model.h"

enum sort_key {
	SORT_QUEUE, SORT_PEAK, SORT_BYTES, SORT_READS, SORT_REQ, SORT_RET,
	SORT_FILL, SORT_RCVBUF, SORT_PID, SORT_COMM, SORT_ZW, SORT_DROPS,
	SORT__COUNT
};

/* What one interval, or the whole run, looks like. */
struct frame {
	bool summary;		/* the whole run, not an interval */
	int cursor;		/* the model cursor of an interval's rows */
	double elapsed_s;	/* length of the interval or of the run */
	struct losses lost;	/* what was not counted: in the interval, or run */
	struct sock_row *rows;
	size_t n;
	struct proc_row *procs;
	size_t np;
};

/* NAN when there is nothing to average. */
double view_avg_req(const struct counts *d);
double view_avg_ret(const struct counts *d);
/* 100 * rmem_alloc / rcvbuf, NAN without a buffer size. */
double view_fill_pct(uint64_t rmem_alloc, uint64_t rcvbuf);
uint64_t view_partial_reads(const struct counts *d);

void view_sort_socks(struct sock_row *rows, size_t n, enum sort_key key);
/* Only the first k rows in order (k 0: all of them); the others follow in
 * no particular order. O(n log k) instead of a sort of all n. */
void view_top_socks(struct sock_row *rows, size_t n, enum sort_key key, size_t k);
void view_sort_procs(struct proc_row *rows, size_t n, enum sort_key key);

/* The histograms of one process (or socket), summed over its rows. */
struct hist_group {
	const struct sock_entry *s;	/* by socket: the socket; by process:
					 * the first of its sockets (owner) */
	uint32_t pid;			/* model_row_pid(); 0: no process known */
	uint64_t sockets;	/* folded closes included */
	uint64_t hist[BS_HIST_N][BS_HIST_SLOTS];
};

struct hist_frame {
	bool summary;		/* the whole run, not an interval */
	bool by_socket;
	double elapsed_s;
	struct losses lost;
	struct hist_group *groups;	/* most reads first */
	size_t n;
};

/* Groups the frame's rows with histograms by process or socket. 0 or
 * -ENOMEM; hf->groups is freed with free(). */
int view_hist_frame(struct hist_frame *hf, const struct frame *f, bool by_socket);

/* A consumer of intervals: its model cursor, and the losses it has shown. */
struct frame_mark {
	int cursor;
	struct losses lost;
};

/*
 * The interval since mk's last one: the rows with deltas, rolled up by
 * process, and the losses since (now - mk->lost); mk moves forward.
 * 0, or -ENOMEM.
 */
int view_frame_interval(struct frame *f, struct model *m, struct frame_mark *mk,
			const struct losses *now, double elapsed_s);
/* The whole run: every socket the model holds with its totals. */
int view_frame_summary(struct frame *f, struct model *m, const struct losses *now,
		       double elapsed_s);
/* The sockets' first k rows (0: all) and the processes in key's order. */
void view_frame_order(struct frame *f, enum sort_key key, size_t k);
void view_frame_free(struct frame *f);

#endif
