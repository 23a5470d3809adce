// SPDX-License-Identifier: GPL-2.0
/*
 * The validation run's timeline as an SVG picture (--svg FILE), written with
 * plain fprintf. Two panels share the time axis: the receiving socket's
 * queue depth, advertised window and receive buffer above; the cumulative
 * bytes sent and read below. The receiver's zero-window episodes are shaded
 * across both, the phases are vertical lines with labels.
 *
 * The picture's scale is in data- attributes (the plot group's data-t0-ms,
 * data-ms-per-px, data-x0; each episode's data-start-ms, data-end-ms) so a
 * test can check that the shapes are where the data says
 * (tests/integration/scen_svg.py).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/array.h"
#include "util/sanitize.h"
#include "validate/report.h"
#include "util/wfile.h"

#define MS 1e6

/* The page: a 1200x700 browser window shows it all, up to nine phases; a
 * longer list of phases goes on below. */
#define W 1200
#define PLOT_X0 90.0
#define PLOT_W 1070.0
#define BAND_Y 58.0		/* phase labels: rows above the plots */
#define BAND_ROWS 4
#define BAND_ROW_H 13.0
#define TOP_Y 116.0		/* panel 1: queue, window, receive buffer */
#define TOP_H 200.0
#define BOT_Y 340.0		/* panel 2: cumulative bytes */
#define BOT_H 170.0
#define LEGEND_Y 568.0
#define PHASES_Y 626.0
#define PHASE_ROW_H 14.0
#define CHAR_W 6.2		/* a label's width per character, font-size 11 */
#define MARKERS_MAX 60		/* fewer points than this: each gets a dot */

#define C_QUEUE "#1f77b4"
#define C_WINDOW "#2ca02c"
#define C_RCVBUF "#7f7f7f"
#define C_SENT "#ff7f0e"
#define C_READ "#9467bd"
#define C_EPISODE "#f4cccc"	/* the receiver advertised a zero window */
#define C_EPISODE_TX "#d9d2e9"	/* the sender did (it rarely does) */
#define C_PHASE "#555555"
#define C_GRID "#e4e4e4"

struct pt {
	uint64_t t_ns;
	double v;
	size_t seq;		/* the order points were added: ties keep it */
};

struct series {
	struct pt *p;
	size_t n, cap;
	int err;
};

/* Time to x: one scale for every shape, and the one the data- attributes
 * give. */
struct xscale {
	double ms_per_px;
	uint64_t end_ns;	/* the right edge */
};

struct panel {
	double y, h;		/* top and height */
	double vmax;		/* the top's value, in bytes */
	double step;		/* between ticks, in bytes */
};

/* ------------------------------------------------------------ text */

/* s as XML character data or an attribute's value: the five markup
 * characters as entities; control characters and bytes that are not UTF-8
 * (a scenario's name and phases come from users) as '?'. */
static void xml_text(FILE *f, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t len;

		switch (c) {
		case '&': fputs("&amp;", f); continue;
		case '<': fputs("&lt;", f); continue;
		case '>': fputs("&gt;", f); continue;
		case '"': fputs("&quot;", f); continue;
		case '\'': fputs("&apos;", f); continue;
		}
		if (c < 0x80) {
			fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
			continue;
		}
		len = utf8_char(s + i, n - i, &cp);
		/* XML 1.0 excludes U+FFFE and U+FFFF */
		if (!len || cp == 0xfffe || cp == 0xffff) {
			fputc('?', f);
			continue;
		}
		fwrite(s + i, 1, len, f);
		i += len - 1;
	}
}

/* ------------------------------------------------------------ series */

static void add(struct series *s, uint64_t t_ns, double v)
{
	if (s->err || (s->err = array_reserve(&s->p, &s->cap, s->n, sizeof(*s->p), 256)))
		return;
	s->p[s->n] = (struct pt){ .t_ns = t_ns, .v = v, .seq = s->n };
	s->n++;
}

static int by_time(const void *a, const void *b)
{
	const struct pt *x = a, *y = b;

	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void sort_series(struct series *s)
{
	if (s->n > 1)
		qsort(s->p, s->n, sizeof(*s->p), by_time);
}

static double series_max(const struct series *s)
{
	double m = 0;

	for (size_t i = 0; i < s->n; i++)
		m = s->p[i].v > m ? s->p[i].v : m;
	return m;
}

/* A sample's time is the sockets' when a pass saw one of them; one that saw
 * neither (both closed) carries the previous time and is left out. */
static bool sample_timed(const struct obs_sample *x)
{
	return x->rx_seen || x->tx_seen;
}

struct lines {
	struct series queue, window, rcvbuf, read, sent;
	bool reads_used;	/* the queue and sent lines have the reads' points */
	bool read_exact;	/* the read line is the reads' own steps */
};

/* The queue before and after each read (after = before - returned: the
 * socket is locked during the read) between the samples, and what had
 * reached the receiver by then (read + queued). */
static void add_read_points(struct lines *l, const struct obs_side *rx)
{
	uint64_t cum = 0;

	for (size_t i = 0; i < rx->nreads; i++) {
		const struct obs_read *rd = &rx->reads[i];
		uint32_t after = rd->queue_before > rd->ret ? rd->queue_before - rd->ret : 0;

		add(&l->queue, rd->t_ns, rd->queue_before);
		add(&l->queue, rd->t_ns, after);
		add(&l->sent, rd->t_ns, (double)(cum + rd->queue_before));
		cum += rd->ret;
	}
}

/* The read line as steps: nothing before the first read, each read's bytes
 * at its time, the total until the end. Exact when every read was kept. */
static void add_read_steps(struct series *s, const struct obs_side *rx, uint64_t end)
{
	uint64_t cum = 0;

	add(s, 0, 0);
	for (size_t i = 0; i < rx->nreads; i++) {
		add(s, rx->reads[i].t_ns, (double)cum);
		cum += rx->reads[i].ret;
		add(s, rx->reads[i].t_ns, (double)cum);
	}
	add(s, end, (double)cum);
}

static int build_lines(struct lines *l, const struct observation *o, uint64_t end)
{
	const struct obs_side *rx = &o->side[SIDE_RECEIVER];
	bool complete = observe_reads_complete(rx);

	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < o->nsamples; i++) {
		const struct obs_sample *x = &o->samples[i];

		if (x->rx_seen) {
			add(&l->queue, x->t_ns, x->queue);
			add(&l->window, x->t_ns, x->rcv_wnd);
			add(&l->rcvbuf, x->t_ns, x->rcvbuf);
			add(&l->sent, x->t_ns, (double)(x->bytes_read + x->queue));
		}
	}
	/* a read's queue is its socket's: with more sockets, the samples'
	 * sum only */
	l->reads_used = complete && rx->sockets == 1;
	if (l->reads_used)
		add_read_points(l, rx);
	l->read_exact = complete;
	if (complete) {
		add_read_steps(&l->read, rx, end);
	} else {
		add(&l->read, 0, 0);
		for (size_t i = 0; i < o->nsamples; i++)
			if (sample_timed(&o->samples[i]))
				add(&l->read, o->samples[i].t_ns,
				    (double)o->samples[i].bytes_read);
	}
	sort_series(&l->queue);
	sort_series(&l->sent);
	sort_series(&l->read);
	return l->queue.err ? l->queue.err : l->window.err ? l->window.err :
	       l->rcvbuf.err ? l->rcvbuf.err : l->read.err ? l->read.err : l->sent.err;
}

static void free_lines(struct lines *l)
{
	free(l->queue.p);
	free(l->window.p);
	free(l->rcvbuf.p);
	free(l->read.p);
	free(l->sent.p);
}

/* ------------------------------------------------------------ scales */

/* The run's end: its duration, or a later point (a phase taken at exit). */
static uint64_t run_end(const struct observation *o)
{
	const struct obs_side *rx = &o->side[SIDE_RECEIVER];
	uint64_t end = o->duration_ns;

	for (size_t i = 0; i < o->nphases; i++)
		end = o->phases[i].t_ns > end ? o->phases[i].t_ns : end;
	for (size_t i = 0; i < o->nsamples; i++)
		if (sample_timed(&o->samples[i]) && o->samples[i].t_ns > end)
			end = o->samples[i].t_ns;
	if (rx->nreads && rx->reads[rx->nreads - 1].t_ns > end)
		end = rx->reads[rx->nreads - 1].t_ns;
	return end ? end : 1000000;	/* nothing ran: a 1 ms axis */
}

static double px_x(const struct xscale *xs, uint64_t t_ns)
{
	return PLOT_X0 + (double)t_ns / MS / xs->ms_per_px;
}

static double px_y(const struct panel *p, double v)
{
	return p->y + p->h - v / p->vmax * p->h;
}

/* A step of 1, 2 or 5 times a power of ten, for at most max ticks. */
static double nice_step(double span, int max)
{
	double raw = span / max, mag = pow(10, floor(log10(raw)));

	if (raw <= mag)
		return mag;
	if (raw <= 2 * mag)
		return 2 * mag;
	if (raw <= 5 * mag)
		return 5 * mag;
	return 10 * mag;
}

/* Bytes tick on powers of two (buffers are sized so); the top at a tick
 * above the largest value. */
static void panel_scale(struct panel *p, double vmax)
{
	double step = 1;

	vmax = vmax > 0 ? vmax * 1.05 : 1024;
	while (vmax / step > 6)
		step *= 2;
	p->step = step;
	p->vmax = ceil(vmax / step) * step;
}

static void fmt_bytes(char *buf, size_t len, double v)
{
	if (v >= 1048576)
		snprintf(buf, len, "%g MiB", v / 1048576);
	else if (v >= 1024)
		snprintf(buf, len, "%g KiB", v / 1024);
	else
		snprintf(buf, len, "%g B", v);
}

/* ------------------------------------------------------------ drawing */

/* The panel's scale is in its data- attributes: value v is at
 * y = data-y + data-h - v / data-vmax * data-h. */
static void draw_panel_axes(FILE *f, const struct panel *p, const char *name,
			    const char *title)
{
	char label[32];

	fprintf(f, "<g class=\"y-axis\" data-panel=\"%s\" data-y=\"%.1f\" "
		"data-h=\"%.1f\" data-vmax=\"%.0f\">\n", name, p->y, p->h, p->vmax);
	for (double v = 0; v <= p->vmax + p->step / 2; v += p->step) {
		double y = px_y(p, v);

		fmt_bytes(label, sizeof(label), v);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"%s\"/>\n", PLOT_X0, y, PLOT_X0 + PLOT_W, y, C_GRID);
		fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"end\">%s</text>\n", PLOT_X0 - 6, y + 4, label);
	}
	fprintf(f, "<text class=\"axis-label\" transform=\"translate(%.1f %.1f) "
		"rotate(-90)\" text-anchor=\"middle\">", 22.0, p->y + p->h / 2);
	xml_text(f, title);
	fprintf(f, "</text>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		"fill=\"none\" stroke=\"#000\"/>\n</g>\n", PLOT_X0, p->y, PLOT_W, p->h);
}

/* Time ticks on both panels, labelled under the lower one: ms, or s for
 * runs of 10 s and more. */
static void draw_time_axis(FILE *f, const struct xscale *xs)
{
	double end_ms = (double)xs->end_ns / MS;
	bool secs = end_ms >= 10000;
	double div = secs ? 1000 : 1;
	double step = nice_step(end_ms / div, 10) * div;

	fprintf(f, "<g class=\"x-axis\">\n");
	for (double t = 0; t <= end_ms * 1.0001; t += step) {
		double x = PLOT_X0 + t / xs->ms_per_px;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"%s\"/>\n", x, TOP_Y, x, TOP_Y + TOP_H, C_GRID);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"%s\"/>\n", x, BOT_Y, x, BOT_Y + BOT_H, C_GRID);
		fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"middle\">%g</text>\n", x, BOT_Y + BOT_H + 16,
			t / div);
	}
	fprintf(f, "<text class=\"axis-label\" x=\"%.1f\" y=\"%.1f\" "
		"text-anchor=\"middle\">time since the run's start (%s)</text>\n</g>\n",
		PLOT_X0 + PLOT_W / 2, BOT_Y + BOT_H + 36, secs ? "s" : "ms");
}

/* One rect per zero-window episode a side advertised, across both panels;
 * at least a pixel wide, so the shortest stay visible. */
static void draw_episodes(FILE *f, const struct xscale *xs, const struct observation *o)
{
	static const char *const fill[SIDE__N] = { C_EPISODE_TX, C_EPISODE };
	static const char *const name[SIDE__N] = { "sender", "receiver" };

	fprintf(f, "<g class=\"episodes\">\n");
	for (int side = 0; side < SIDE__N; side++) {
		const struct obs_side *s = &o->side[side];

		for (size_t i = 0; i < s->neps[BS_ZW_SENT]; i++) {
			const struct obs_episode *ep = &s->eps[BS_ZW_SENT][i];
			uint64_t end = ep->end_ns ? ep->end_ns : xs->end_ns;
			double x = px_x(xs, ep->start_ns), w = px_x(xs, end) - x;

			fprintf(f, "<rect class=\"episode\" data-side=\"%s\" "
				"data-start-ms=\"%.3f\" data-end-ms=\"%.3f\" "
				"data-open=\"%s\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
				"height=\"%.1f\" fill=\"%s\"><title>zero window advertised "
				"by the %s: %.3f ms to %.3f ms%s</title></rect>\n",
				name[side], (double)ep->start_ns / MS, (double)end / MS,
				ep->end_ns ? "false" : "true", x, TOP_Y, w < 1 ? 1 : w,
				BOT_Y + BOT_H - TOP_Y, fill[side], name[side],
				(double)ep->start_ns / MS, (double)end / MS,
				ep->end_ns ? "" : " (still open at the end)");
		}
	}
	fprintf(f, "</g>\n");
}

/* The phases in time order (the roles report them as they hear of them). */
static void phase_order(const struct observation *o, size_t *idx)
{
	for (size_t i = 0; i < o->nphases; i++) {
		size_t j = i;

		while (j > 0 && o->phases[idx[j - 1]].t_ns > o->phases[i].t_ns) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
}

/* A label in the first row of the band where it does not overlap the one
 * before; the number alone when the text fits nowhere. The list under the
 * legend names each phase in full. */
static void draw_phase_label(FILE *f, double x, unsigned num, const char *what,
			     double *row_end)
{
	double full = CHAR_W * (double)(strlen(what) + 4), small = CHAR_W * 3;
	int row = -1;
	bool text = true;

	for (int r = 0; r < BAND_ROWS && row < 0; r++)
		if (x >= row_end[r] && x + full <= W)
			row = r;
	if (row < 0) {
		text = false;
		row = BAND_ROWS - 1;
		for (int r = 0; r < BAND_ROWS; r++)
			if (row_end[r] < row_end[row])
				row = r;
	}
	row_end[row] = x + (text ? full : small);
	fprintf(f, "<text class=\"phase-label\" x=\"%.1f\" y=\"%.1f\">%u", x + 2,
		BAND_Y + BAND_ROW_H * (row + 1) - 3, num);
	if (text) {
		fputs(" ", f);
		xml_text(f, what);
	}
	fputs("</text>\n", f);
}

static void draw_phases(FILE *f, const struct xscale *xs, const struct observation *o,
			const size_t *order)
{
	double row_end[BAND_ROWS];

	for (int r = 0; r < BAND_ROWS; r++)
		row_end[r] = 0;
	fprintf(f, "<g class=\"phases\">\n");
	for (size_t k = 0; k < o->nphases; k++) {
		const struct obs_phase *ph = &o->phases[order[k]];
		double x = px_x(xs, ph->t_ns);

		fprintf(f, "<line class=\"phase\" data-t-ms=\"%.3f\" x1=\"%.2f\" y1=\"%.1f\" "
			"x2=\"%.2f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"4 3\"/>\n",
			(double)ph->t_ns / MS, x, BAND_Y, x, BOT_Y + BOT_H, C_PHASE);
		draw_phase_label(f, x, (unsigned)k + 1, ph->what, row_end);
	}
	fprintf(f, "</g>\n");
}

/* Where several points fall in one pixel column, its first, lowest,
 * highest and last, in their order: the line looks the same and the file
 * stays small however many reads there were. */
static void polyline_points(FILE *f, const struct xscale *xs, const struct panel *p,
			    const struct series *s)
{
	size_t i = 0, out = 0;

	while (i < s->n) {
		long col = lround(floor(px_x(xs, s->p[i].t_ns)));
		size_t j = i, lo = i, hi = i, keep[4];
		size_t nk = 0;

		while (j < s->n && lround(floor(px_x(xs, s->p[j].t_ns))) == col) {
			if (s->p[j].v < s->p[lo].v)
				lo = j;
			if (s->p[j].v > s->p[hi].v)
				hi = j;
			j++;
		}
		keep[nk++] = i;
		if (lo != i)
			keep[nk++] = lo;
		if (hi != i && hi != lo)
			keep[nk++] = hi;
		if (j - 1 != i && j - 1 != lo && j - 1 != hi)
			keep[nk++] = j - 1;
		/* lo and hi may be either way round */
		if (nk >= 3 && keep[1] > keep[2]) {
			size_t t = keep[1];

			keep[1] = keep[2];
			keep[2] = t;
		}
		for (size_t k = 0; k < nk; k++, out++)
			fprintf(f, "%s%.2f,%.2f", out ? (out % 8 ? " " : "\n") : "",
				px_x(xs, s->p[keep[k]].t_ns), px_y(p, s->p[keep[k]].v));
		i = j;
	}
}

static void draw_line(FILE *f, const struct xscale *xs, const struct panel *p,
		      const struct series *s, const char *cls, const char *color,
		      double width, const char *dash)
{
	if (!s->n)
		return;
	fprintf(f, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" "
		"stroke-width=\"%.1f\" stroke-linejoin=\"round\"%s%s%s points=\"", cls,
		color, width, dash ? " stroke-dasharray=\"" : "", dash ? dash : "",
		dash ? "\"" : "");
	polyline_points(f, xs, p, s);
	fprintf(f, "\"/>\n");
	if (s->n >= MARKERS_MAX)
		return;
	/* few points: each is a measurement, shown as one */
	fprintf(f, "<g class=\"%s-points\" fill=\"%s\">\n", cls, color);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\"/>\n",
			px_x(xs, s->p[i].t_ns), px_y(p, s->p[i].v));
	fprintf(f, "</g>\n");
}

/* The sender's own count of what it wrote: a total, not a time course, so a
 * level across the run. */
static void draw_sender_total(FILE *f, const struct panel *p, const struct obs_app *app)
{
	double y = px_y(p, (double)app->bytes);

	fprintf(f, "<line class=\"sender-total\" data-bytes=\"%llu\" x1=\"%.1f\" "
		"y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"1\" "
		"stroke-dasharray=\"6 4\"/>\n", (unsigned long long)app->bytes, PLOT_X0,
		y, PLOT_X0 + PLOT_W, y, C_SENT);
	/* on the left, where the cumulative lines are still low */
	fprintf(f, "<text class=\"sender-total-label\" x=\"%.1f\" y=\"%.1f\" "
		"fill=\"%s\">the sender wrote %llu bytes</text>\n", PLOT_X0 + 6, y - 4,
		C_SENT, (unsigned long long)app->bytes);
}

struct legend_item {
	const char *color, *dash, *text;
	bool box;		/* a shaded box, not a line */
};

static void draw_legend(FILE *f, const struct legend_item *it, size_t n)
{
	double x = PLOT_X0, y = LEGEND_Y;

	fprintf(f, "<g class=\"legend\">\n");
	for (size_t i = 0; i < n; i++) {
		double w = 30 + CHAR_W * (double)strlen(it[i].text);

		if (x + w > PLOT_X0 + PLOT_W) {
			x = PLOT_X0;
			y += 18;
		}
		if (it[i].box)
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"10\" "
				"fill=\"%s\"/>\n", x, y - 9, it[i].color);
		else
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				"stroke=\"%s\" stroke-width=\"2\"%s%s%s/>\n", x, y - 4,
				x + 20, y - 4, it[i].color,
				it[i].dash ? " stroke-dasharray=\"" : "",
				it[i].dash ? it[i].dash : "", it[i].dash ? "\"" : "");
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 26, y);
		xml_text(f, it[i].text);
		fprintf(f, "</text>\n");
		x += w + 16;
	}
	fprintf(f, "</g>\n");
}

/* Each phase in full, numbered as on the plot, in three columns. */
static void draw_phase_list(FILE *f, const struct observation *o, const size_t *order)
{
	size_t rows = (o->nphases + 2) / 3;

	fprintf(f, "<g class=\"phase-list\">\n<text x=\"%.1f\" y=\"%.1f\" "
		"font-weight=\"bold\">Phases</text>\n", PLOT_X0, PHASES_Y - 18);
	for (size_t k = 0; k < o->nphases; k++) {
		const struct obs_phase *ph = &o->phases[order[k]];

		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%zu  %.1f ms  ",
			PLOT_X0 + (double)(k / rows) * 360,
			PHASES_Y + (double)(k % rows) * PHASE_ROW_H, k + 1,
			(double)ph->t_ns / MS);
		xml_text(f, ph->what);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "</g>\n");
}

static void draw_title(FILE *f, const struct report *r)
{
	fprintf(f, "<text class=\"title\" x=\"%.1f\" y=\"22\" font-size=\"16\" "
		"font-weight=\"bold\">bufscope validate: ", PLOT_X0);
	xml_text(f, r->s->name);
	fprintf(f, " (kernel ");
	xml_text(f, r->kernel);
	fprintf(f, ")</text>\n<text class=\"subtitle\" x=\"%.1f\" y=\"40\">", PLOT_X0);
	if (r->s->description[0]) {
		xml_text(f, r->s->description);
		fputs("; ", f);
	}
	fprintf(f, "ran %.0f ms%s; %u passed, %u failed", (double)r->o->duration_ns / MS,
		r->o->timed_out ? " (stopped at the time limit)" : "", r->passed, r->failed);
	if (r->unobservable)
		fprintf(f, ", %u not observable", r->unobservable);
	fputs("</text>\n", f);
}

static void item(struct legend_item *it, size_t *n, const char *color,
		 const char *dash, const char *text, bool box)
{
	it[(*n)++] = (struct legend_item){ .color = color, .dash = dash, .text = text,
					   .box = box };
}

/* The legend says where each line's points come from. */
static size_t legend_items(struct legend_item *it, const struct lines *l,
			   const struct observation *o)
{
	size_t n = 0;

	item(it, &n, C_QUEUE, NULL, !l->queue.n ?
	     "queue depth (not measured: no pass saw the socket open, no read kept)" :
	     l->reads_used ? "queue depth (at each pass and around each read)" :
	     "queue depth (at each pass)", false);
	item(it, &n, C_WINDOW, NULL, l->window.n ? "advertised window (at each pass)" :
	     "advertised window (no pass saw the socket open)", false);
	if (l->rcvbuf.n)
		item(it, &n, C_RCVBUF, "5 3", "receive buffer", false);
	item(it, &n, C_SENT, NULL, "sent: bytes the receiver got (read + queued)", false);
	if (o->side[SIDE_SENDER].app.known)
		item(it, &n, C_SENT, "6 4", "sent: the sender's own count (its total)",
		     false);
	item(it, &n, C_READ, NULL, l->read_exact ? "read (every read)" :
	     "read (at each pass: some reads were not kept)", false);
	item(it, &n, C_EPISODE, NULL, "zero window advertised by the receiver", true);
	if (o->side[SIDE_SENDER].neps[BS_ZW_SENT])
		item(it, &n, C_EPISODE_TX, NULL, "zero window advertised by the sender",
		     true);
	return n;
}

static int write_svg(FILE *f, const struct report *r)
{
	const struct observation *o = r->o;
	struct xscale xs;
	struct panel top = { .y = TOP_Y, .h = TOP_H }, bot = { .y = BOT_Y, .h = BOT_H };
	struct legend_item items[8];
	size_t order[OBS_MAX_PHASES], nitems;
	struct lines l;
	double m;
	int height, err;

	xs.end_ns = run_end(o);
	xs.ms_per_px = (double)xs.end_ns / MS / PLOT_W;
	err = build_lines(&l, o, xs.end_ns);
	if (err) {
		free_lines(&l);
		return err;
	}
	m = fmax(series_max(&l.queue), fmax(series_max(&l.window), series_max(&l.rcvbuf)));
	panel_scale(&top, m);
	m = fmax(series_max(&l.read), series_max(&l.sent));
	if (o->side[SIDE_SENDER].app.known)
		m = fmax(m, (double)o->side[SIDE_SENDER].app.bytes);
	panel_scale(&bot, m);
	phase_order(o, order);
	height = (int)(PHASES_Y + (double)((o->nphases + 2) / 3) * PHASE_ROW_H + 10);

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n"
		"<title>", W, height, W, height);
	xml_text(f, r->s->name);
	fprintf(f, ": bufscope validate timeline</title>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
	draw_title(f, r);
	fprintf(f, "<g id=\"plot\" data-t0-ms=\"0\" data-ms-per-px=\"%.9g\" "
		"data-x0=\"%.1f\" data-width=\"%.1f\" data-end-ms=\"%.3f\">\n",
		xs.ms_per_px, PLOT_X0, PLOT_W, (double)xs.end_ns / MS);
	/* under everything: the shading, then the grid */
	draw_episodes(f, &xs, o);
	draw_panel_axes(f, &top, "top", "queue, window (bytes)");
	draw_panel_axes(f, &bot, "bottom", "cumulative (bytes)");
	draw_time_axis(f, &xs);
	draw_phases(f, &xs, o, order);
	draw_line(f, &xs, &top, &l.rcvbuf, "rcvbuf", C_RCVBUF, 1, "5 3");
	draw_line(f, &xs, &top, &l.window, "window", C_WINDOW, 1.5, NULL);
	draw_line(f, &xs, &top, &l.queue, "queue", C_QUEUE, 2, NULL);
	if (o->side[SIDE_SENDER].app.known)
		draw_sender_total(f, &bot, &o->side[SIDE_SENDER].app);
	draw_line(f, &xs, &bot, &l.sent, "sent", C_SENT, 2, NULL);
	draw_line(f, &xs, &bot, &l.read, "read", C_READ, 2, NULL);
	fprintf(f, "</g>\n");
	nitems = legend_items(items, &l, o);
	draw_legend(f, items, nitems);
	draw_phase_list(f, o, order);
	fprintf(f, "</svg>\n");
	free_lines(&l);
	return 0;
}

/* ------------------------------------------------------------ the file */

int report_svg(const char *path, const struct report *r)
{
	/* a link planted where the picture goes is refused, not followed to
	 * overwrite what it names (util/wfile.h) */
	int fd = wfile_create(path);
	FILE *f;
	int err;

	if (fd < 0)
		return fd;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	errno = 0;
	err = write_svg(f, r);
	if (!err && (fflush(f) || ferror(f)))
		err = errno ? -errno : -EIO;
	if (fclose(f) && !err)
		err = errno ? -errno : -EIO;
	return err;
}
