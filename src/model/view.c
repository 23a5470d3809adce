// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "model/hist.h"
#include "model/view.h"

double view_avg_req(const struct counts *d)
{
	return d->req_reads ? (double)d->req_bytes / d->req_reads : NAN;
}

double view_avg_ret(const struct counts *d)
{
	return d->reads ? (double)d->bytes / d->reads : NAN;
}

double view_fill_pct(uint64_t rmem_alloc, uint64_t rcvbuf)
{
	return rcvbuf ? 100.0 * (double)rmem_alloc / (double)rcvbuf : NAN;
}

uint64_t view_partial_reads(const struct counts *d)
{
	return d->req_reads >= d->full_reads ? d->req_reads - d->full_reads : 0;
}

/* The fields a sort looks at, common to socket and process rows. */
struct sort_view {
	const struct counts *d;
	uint64_t queue, peak, rcvbuf, rmem;
	uint64_t drops_lost;	/* --sort drops: the drops that cost data */
	uint32_t pid;
	const char *comm;
};

static double nan_low(double v)
{
	return isnan(v) ? -1.0 : v;
}

/* Larger first for quantities; pid and comm ascending; ties by bytes. */
static int compare_views(const struct sort_view *a, const struct sort_view *b,
			 enum sort_key key)
{
	double x = 0, y = 0;

	switch (key) {
	case SORT_QUEUE: x = a->queue; y = b->queue; break;
	case SORT_PEAK: x = a->peak; y = b->peak; break;
	case SORT_BYTES: x = a->d->bytes; y = b->d->bytes; break;
	case SORT_READS: x = a->d->reads; y = b->d->reads; break;
	case SORT_REQ: x = nan_low(view_avg_req(a->d)); y = nan_low(view_avg_req(b->d)); break;
	case SORT_RET: x = nan_low(view_avg_ret(a->d)); y = nan_low(view_avg_ret(b->d)); break;
	case SORT_FILL:
		x = nan_low(view_fill_pct(a->rmem, a->rcvbuf));
		y = nan_low(view_fill_pct(b->rmem, b->rcvbuf));
		break;
	case SORT_RCVBUF: x = a->rcvbuf; y = b->rcvbuf; break;
	case SORT_ZW:
		x = a->d->zw_ns[BS_ZW_SENT] + a->d->zw_ns[BS_ZW_RECV];
		y = b->d->zw_ns[BS_ZW_SENT] + b->d->zw_ns[BS_ZW_RECV];
		break;
	case SORT_DROPS: x = a->drops_lost; y = b->drops_lost; break;
	case SORT_PID:
		if (a->pid != b->pid)
			return a->pid < b->pid ? -1 : 1;
		break;
	case SORT_COMM: {
		int c = strncmp(a->comm, b->comm, BS_COMM_LEN);

		if (c)
			return c;
		break;
	}
	default:
		break;
	}
	if (x != y)
		return x > y ? -1 : 1;
	if (key != SORT_BYTES && a->d->bytes != b->d->bytes)
		return a->d->bytes > b->d->bytes ? -1 : 1;
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static struct sort_view sock_view(const struct sock_row *r)
{
	return (struct sort_view){
		.d = &r->d, .queue = r->s->closed ? 0 : r->s->queue_bytes,
		.peak = r->peak, .rcvbuf = r->s->rcvbuf, .rmem = r->s->rmem_alloc,
		.drops_lost = r->drops_lost, .pid = r->s->pid, .comm = r->s->comm,
	};
}

static struct sort_view proc_view(const struct proc_row *r)
{
	return (struct sort_view){
		.d = &r->d, .queue = r->queue_bytes, .peak = r->peak,
		.rcvbuf = r->rcvbuf, .rmem = r->rmem_alloc,
		.drops_lost = r->drops_lost, .pid = r->pid, .comm = r->comm,
	};
}

static int cmp_socks(const void *a, const void *b, void *key)
{
	struct sort_view x = sock_view(a), y = sock_view(b);

	return compare_views(&x, &y, *(enum sort_key *)key);
}

static int cmp_procs(const void *a, const void *b, void *key)
{
	struct sort_view x = proc_view(a), y = proc_view(b);

	return compare_views(&x, &y, *(enum sort_key *)key);
}

void view_sort_socks(struct sock_row *rows, size_t n, enum sort_key key)
{
	if (n > 1)	/* rows may be NULL when empty */
		qsort_r(rows, n, sizeof(*rows), cmp_socks, &key);
}

/* Is row a after row b in the order (b kept, a not, when only k are)? */
static bool sock_after(const struct sock_row *a, const struct sock_row *b,
		       enum sort_key key)
{
	return cmp_socks(a, b, &key) > 0;
}

/* Max-heap of row indices, the row last in the order on top. */
static void heap_down(size_t *h, size_t n, size_t i, const struct sock_row *rows,
		      enum sort_key key)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && sock_after(&rows[h[l]], &rows[h[m]], key))
			m = l;
		if (r < n && sock_after(&rows[h[r]], &rows[h[m]], key))
			m = r;
		if (m == i)
			return;
		size_t t = h[i];

		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

void view_top_socks(struct sock_row *rows, size_t n, enum sort_key key, size_t k)
{
	size_t *h, *front, nfront = 0;

	if (!k || k >= n / 4) {
		view_sort_socks(rows, n, key);
		return;
	}
	h = malloc(2 * k * sizeof(*h));
	if (!h) {
		view_sort_socks(rows, n, key);
		return;
	}
	front = h + k;
	/* the first k rows of the order: a heap of k, its last row on top */
	for (size_t i = 0; i < k; i++)
		h[i] = i;
	for (size_t i = k / 2; i-- > 0;)
		heap_down(h, k, i, rows, key);
	for (size_t i = k; i < n; i++) {
		if (!sock_after(&rows[h[0]], &rows[i], key))
			continue;
		h[0] = i;
		heap_down(h, k, 0, rows, key);
	}
	/* Move them to the front: each chosen row beyond it trades places with
	 * a front row that was not chosen. */
	qsort(h, k, sizeof(*h), cmp_size);
	for (size_t i = 0, j = 0; i < k; i++) {
		while (j < k && h[j] < i)
			j++;
		if (j < k && h[j] == i)
			continue;
		front[nfront++] = i;	/* a front slot to fill */
	}
	for (size_t i = 0, f = 0; i < k; i++) {
		if (h[i] < k)
			continue;
		struct sock_row t = rows[front[f]];

		rows[front[f++]] = rows[h[i]];
		rows[h[i]] = t;
	}
	free(h);
	view_sort_socks(rows, k, key);
}

void view_sort_procs(struct proc_row *rows, size_t n, enum sort_key key)
{
	if (n > 1)
		qsort_r(rows, n, sizeof(*rows), cmp_procs, &key);
}

/* Rows, then their rollup by process. */
static int frame_fill(struct frame *f, long n)
{
	long np;

	if (n < 0)
		return -ENOMEM;
	f->n = (size_t)n;
	np = model_rollup(f->rows, f->n, &f->procs);
	if (np < 0) {
		view_frame_free(f);
		return -ENOMEM;
	}
	f->np = (size_t)np;
	return 0;
}

int view_frame_interval(struct frame *f, struct model *m, struct frame_mark *mk,
			const struct losses *now, double elapsed_s)
{
	memset(f, 0, sizeof(*f));
	f->elapsed_s = elapsed_s;
	f->cursor = mk->cursor;
	losses_sub(&f->lost, now, &mk->lost);
	mk->lost = *now;
	return frame_fill(f, model_take_interval(m, mk->cursor, &f->rows));
}

int view_frame_summary(struct frame *f, struct model *m, const struct losses *now,
		       double elapsed_s)
{
	memset(f, 0, sizeof(*f));
	f->summary = true;
	f->cursor = -1;
	f->elapsed_s = elapsed_s;
	f->lost = *now;
	return frame_fill(f, model_summary(m, &f->rows));
}

void view_frame_order(struct frame *f, enum sort_key key, size_t k)
{
	view_top_socks(f->rows, f->n, key, k);
	view_sort_procs(f->procs, f->np, key);
}

void view_frame_free(struct frame *f)
{
	free(f->rows);
	free(f->procs);
	f->rows = NULL;
	f->procs = NULL;
}

static uint64_t group_reads(const struct hist_group *g)
{
	return hist_total(g->hist[BS_HIST_RET]);
}

static int cmp_groups(const void *a, const void *b)
{
	uint64_t x = group_reads(a), y = group_reads(b);

	return x > y ? -1 : x < y;
}

int view_hist_frame(struct hist_frame *hf, const struct frame *f, bool by_socket)
{
	const size_t cells = (size_t)BS_HIST_N * BS_HIST_SLOTS;

	memset(hf, 0, sizeof(*hf));
	hf->summary = f->summary;
	hf->by_socket = by_socket;
	hf->elapsed_s = f->elapsed_s;
	hf->lost = f->lost;
	if (!f->n)
		return 0;
	hf->groups = calloc(f->n, sizeof(*hf->groups));
	if (!hf->groups)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++) {
		const struct sock_row *r = &f->rows[i];
		struct hist_group *g = NULL;

		if (!r->hist || !hist_any(r->hist, cells))
			continue;
		/* by process as top's rollup: model_row_pid() */
		for (size_t j = 0; !by_socket && j < hf->n && !g; j++)
			if (hf->groups[j].pid == model_row_pid(r->s))
				g = &hf->groups[j];
		if (!g) {
			g = &hf->groups[hf->n++];
			g->s = r->s;
			g->pid = model_row_pid(r->s);
		}
		g->sockets += r->s->folded ? r->folded : 1;
		hist_add_all(&g->hist[0][0], r->hist);
	}
	if (hf->n > 1)	/* groups may be NULL when empty */
		qsort(hf->groups, hf->n, sizeof(*hf->groups), cmp_groups);
	return 0;
}
