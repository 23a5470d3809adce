// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include "out/columns.h"
#include "model/hist.h"
#include "util/fmt.h"
#include "out/render.h"
#include "util/sanitize.h"
#include "model/view.h"
#include "kernel/drop_reasons.h"

#define SIZE_LEN 16

static const char *size_or_dash(char *buf, double v)
{
	if (isnan(v))
		return "-";
	return fmt_size(buf, SIZE_LEN, v);
}

static const char *pct_or_dash(char *buf, double v)
{
	if (isnan(v))
		return "-";
	snprintf(buf, SIZE_LEN, "%.0f", v);
	return buf;
}

static const char *safe_comm(char *buf, size_t len, const char *comm)
{
	if (!comm[0])
		return "-";
	return sanitize_text(buf, len, comm, BS_COMM_LEN);
}

static void clear_screen(struct render *r)
{
	if (r->redraw)
		fputs("\033[H\033[2J", r->out);
}

/* A line of a frame, fitted to its width (continuation lines indented). */
static void text_line(struct render *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void text_line(struct render *r, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	col_print_text(r->out, line, r->line_width, 4);
}

/* The rarer losses, only when there are some: a header stays short. */
static const char *loss_more(char *buf, size_t len, const struct losses *l)
{
	size_t m = 0;

	buf[0] = 0;
	if (l->missed_reads)
		m += snprintf(buf + m, len - m, "  missed reads %llu",
			      (unsigned long long)l->missed_reads);
	if (l->untracked_sockets && m < len)
		m += snprintf(buf + m, len - m, "  untracked sockets %llu",
			      (unsigned long long)l->untracked_sockets);
	if (l->hook_misses && m < len)
		snprintf(buf + m, len - m, "  hook misses %llu",
			 (unsigned long long)l->hook_misses);
	return buf;
}

/*
 * Any of the first three: the counts shown are lower than the kernel's. A
 * hook miss may be an event of a socket not watched: they may be.
 */
static const char *losses_low_note(const struct losses *l)
{
	if (l->events || l->missed_reads || l->untracked_sockets)
		return " (counts are low)";
	return l->hook_misses ? " (counts may be low)" : "";
}

static void frame_header(struct render *r, const struct frame *f, size_t shown)
{
	char hooks[256], now[16];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(now, sizeof(now), "%H:%M:%S", &tm);
	hooks_describe(r->hooks, hooks, sizeof(hooks));
	char more[160];

	text_line(r, "bufscope %s  %s  %.1fs  %zu %s (%zu shown)  lost events %llu%s%s"
		  "  folded closes %llu%s",
		  r->cfg.command, now, f->elapsed_s,
		  r->cfg.by == BY_PROCESS ? f->np : f->n,
		  r->cfg.by == BY_PROCESS ? "processes" : "sockets", shown,
		  (unsigned long long)f->lost.events, loss_more(more, sizeof(more), &f->lost),
		  losses_low_note(&f->lost),
		  (unsigned long long)f->lost.close_folded,
		  f->lost.close_fold_unowned ? " (some without owner: filtered counts are low)" : "");
	if (r->cfg.verbose)
		text_line(r, "attach: %s", hooks);
}

static size_t rows_to_show(const struct render *r, size_t n)
{
	return r->cfg.rows && r->cfg.rows < n ? r->cfg.rows : n;
}

/* Zero-window episodes begun, ours/peer's ('+' after it: at least that
 * many, some were not seen), and '!' while one is open. */
static void zw_text(char *buf, size_t len, const struct counts *d,
		    bool incomplete, bool open)
{
	snprintf(buf, len, "%llu/%llu%s%s",
		 (unsigned long long)d->zw_episodes[BS_ZW_SENT],
		 (unsigned long long)d->zw_episodes[BS_ZW_RECV],
		 incomplete ? "+" : "", open ? "!" : "");
}

static bool sock_zw_open(const struct sock_entry *s)
{
	return !s->closed && (s->zw_open_ns[BS_ZW_SENT] || s->zw_open_ns[BS_ZW_RECV]);
}

/* Time inside zero-window episodes, both directions. */
static void zw_ms_text(char *buf, size_t len, const struct counts *d)
{
	uint64_t ns = d->zw_ns[BS_ZW_SENT] + d->zw_ns[BS_ZW_RECV];

	if (!ns)
		snprintf(buf, len, "0");
	else if (ns < 10000000000ULL)
		snprintf(buf, len, "%.0fms", ns / 1e6);
	else
		snprintf(buf, len, "%.0fs", ns / 1e9);
}

/* A count only the drops hook makes: '-' (unknown) without it. */
static void drops_text(const struct render *r, char *buf, size_t len, uint64_t v)
{
	if (render_hook_on(r, HOOK_DROPS))
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "-");
}

static void size_cell(char *cell, double v)
{
	char b[SIZE_LEN];

	snprintf(cell, COL_CELL_LEN, "%s", size_or_dash(b, v));
}

static void pct_cell(char *cell, double v)
{
	char b[SIZE_LEN];

	snprintf(cell, COL_CELL_LEN, "%s", pct_or_dash(b, v));
}

/*
 * The columns, and the order in which a table too wide for its terminal
 * leaves them out (`drop`, highest first; docs/bufscope.8, "The table"):
 * the socket's identity stays, then how much waits and flows, who is stalled
 * and what was lost; sizes, windows and expected discards go first.
 */
enum sock_col {
	SC_PID, SC_COMM, SC_CGROUP, SC_LOCAL, SC_REMOTE, SC_READS, SC_BYTES, SC_AVG_REQ,
	SC_AVG_RD, SC_QUEUE, SC_PEAK, SC_RCVBUF, SC_FILL, SC_WND, SC_ZW,
	SC_ZW_TIME, SC_DROPS, SC_DISC, SC__COUNT
};

static const struct col_spec sock_cols[SC__COUNT] = {
	[SC_PID] = { "PID", 5, COL_LEFT, 0, 0 },
	[SC_COMM] = { "COMM", 0, COL_LEFT, 0, 6 },
	/* the first to go: the widest, and for hosts with containers */
	[SC_CGROUP] = { "CGROUP", 0, COL_LEFT, 15, 0 },
	[SC_LOCAL] = { "LOCAL", 0, COL_LEFT, 0, 0 },
	[SC_REMOTE] = { "REMOTE", 0, COL_LEFT, 1, 0 },
	[SC_READS] = { "READS/s", 7, COL_RIGHT, 6, 0 },
	[SC_BYTES] = { "BYTES/s", 7, COL_RIGHT, 3, 0 },
	[SC_AVG_REQ] = { "AVG_REQ", 7, COL_RIGHT, 9, 0 },
	[SC_AVG_RD] = { "AVG_RD", 7, COL_RIGHT, 8, 0 },
	[SC_QUEUE] = { "QUEUE", 7, COL_RIGHT, 2, 0 },
	[SC_PEAK] = { "PEAK", 7, COL_RIGHT, 12, 0 },
	[SC_RCVBUF] = { "RCVBUF", 7, COL_RIGHT, 10, 0 },
	[SC_FILL] = { "FILL%", 5, COL_RIGHT, 7, 0 },
	[SC_WND] = { "WND", 7, COL_RIGHT, 11, 0 },
	[SC_ZW] = { "ZW", 5, COL_RIGHT, 4, 0 },
	[SC_ZW_TIME] = { "ZW_TIME", 7, COL_RIGHT, 13, 0 },
	[SC_DROPS] = { "DROPS", 5, COL_RIGHT, 5, 0 },
	[SC_DISC] = { "DISC", 5, COL_RIGHT, 14, 0 },
};

enum proc_col {
	PC_PID, PC_COMM, PC_SOCKS, PC_READS, PC_BYTES, PC_AVG_REQ, PC_AVG_RD,
	PC_QUEUE, PC_PEAK, PC_RCVBUF, PC_FILL, PC_ZW, PC_ZW_TIME, PC_DROPS,
	PC_DISC, PC__COUNT
};

static const struct col_spec proc_cols[PC__COUNT] = {
	[PC_PID] = { "PID", 5, COL_LEFT, 0, 0 },
	[PC_COMM] = { "COMM", 0, COL_LEFT, 0, 6 },
	[PC_SOCKS] = { "SOCKS", 5, COL_RIGHT, 6, 0 },
	[PC_READS] = { "READS/s", 7, COL_RIGHT, 5, 0 },
	[PC_BYTES] = { "BYTES/s", 7, COL_RIGHT, 2, 0 },
	[PC_AVG_REQ] = { "AVG_REQ", 7, COL_RIGHT, 9, 0 },
	[PC_AVG_RD] = { "AVG_RD", 7, COL_RIGHT, 8, 0 },
	[PC_QUEUE] = { "QUEUE", 7, COL_RIGHT, 1, 0 },
	[PC_PEAK] = { "PEAK", 7, COL_RIGHT, 11, 0 },
	[PC_RCVBUF] = { "RCVBUF", 7, COL_RIGHT, 10, 0 },
	[PC_FILL] = { "FILL%", 5, COL_RIGHT, 7, 0 },
	[PC_ZW] = { "ZW", 5, COL_RIGHT, 3, 0 },
	[PC_ZW_TIME] = { "ZW_TIME", 7, COL_RIGHT, 12, 0 },
	[PC_DROPS] = { "DROPS", 5, COL_RIGHT, 4, 0 },
	[PC_DISC] = { "DISC", 5, COL_RIGHT, 13, 0 },
};

/* How a frame shows its rows: per second (an interval) or totals. */
struct frame_view {
	struct render *r;
	const struct frame *f;
	double div;		/* rates: the interval's seconds; totals: 1 */
	bool rates;
};

/*
 * The reader's cgroup (id cg: model_cgroup_id() of a socket, a record's
 * reader's) in a cell of COL_CELL_LEN, as top and trace show it: a
 * container's id as `docker ps` shows it (its first 12 hex digits), else the
 * path, its end when it is too long ('~' first), '-' when unknown; escaped
 * (a path is any bytes but '/').
 */
static void cgroup_cell(const struct render *r, uint64_t cg, char *cell)
{
	/* a container id implies a known path; each lookup's text lasts until
	 * the next (cgroups_path), so the path is looked up last */
	const char *id = render_container_of(r, cg), *path;
	size_t n;

	if (id) {
		snprintf(cell, COL_CELL_LEN, "%.12s", id);
		return;
	}
	path = render_cgroup_of(r, cg);
	if (!path) {
		snprintf(cell, COL_CELL_LEN, "-");
		return;
	}
	n = strlen(path);
	if (n < COL_CELL_LEN) {
		sanitize_text(cell, COL_CELL_LEN, path, n);
		return;
	}
	cell[0] = '~';
	sanitize_text(cell + 1, COL_CELL_LEN - 1, path + n - (COL_CELL_LEN - 2),
		      COL_CELL_LEN - 2);
}

static void sock_cells(const struct frame_view *v, const struct sock_row *row,
		       struct col_row *c)
{
	const struct sock_entry *s = row->s;
	char comm[BS_COMM_LEN];
	struct sock_now now;

	render_sock_now(s, &now);
	/* '*' closed; '+' closed without its record: counts at least these */
	if (s->owner == OWNER_UNKNOWN || !s->pid)	/* !pid: a command's aggregate */
		snprintf(c->cell[SC_PID], COL_CELL_LEN, "-%s%s", s->closed ? "*" : "",
			 s->vanished ? "+" : "");
	else
		snprintf(c->cell[SC_PID], COL_CELL_LEN, "%u%s%s", s->pid, s->closed ? "*" : "",
			 s->vanished ? "+" : "");
	snprintf(c->cell[SC_COMM], COL_CELL_LEN, "%s", safe_comm(comm, sizeof(comm), s->comm));
	cgroup_cell(v->r, model_cgroup_id(s), c->cell[SC_CGROUP]);
	if (s->folded) {
		snprintf(c->cell[SC_LOCAL], COL_CELL_LEN, s->aggregate ?
			 "(evicted closes)" : "(folded closes)");
		snprintf(c->cell[SC_REMOTE], COL_CELL_LEN, "%llu sockets",
			 (unsigned long long)row->folded);
	} else {
		fmt_endpoint(c->cell[SC_LOCAL], COL_CELL_LEN, s->ep.family, s->ep.saddr,
			     s->ep.sport);
		fmt_endpoint(c->cell[SC_REMOTE], COL_CELL_LEN, s->ep.family, s->ep.daddr,
			     s->ep.dport);
	}
	snprintf(c->cell[SC_READS], COL_CELL_LEN, "%.*f", v->rates ? 1 : 0,
		 row->d.reads / v->div);
	size_cell(c->cell[SC_BYTES], row->d.bytes / v->div);
	size_cell(c->cell[SC_AVG_REQ], view_avg_req(&row->d));
	size_cell(c->cell[SC_AVG_RD], view_avg_ret(&row->d));
	size_cell(c->cell[SC_QUEUE], now.queue_bytes);
	size_cell(c->cell[SC_PEAK], row->peak);
	size_cell(c->cell[SC_RCVBUF], s->rcvbuf);
	pct_cell(c->cell[SC_FILL], view_fill_pct(now.rmem_alloc, s->rcvbuf));
	/* a closed socket advertises no window: '-' rather than 0 */
	size_cell(c->cell[SC_WND], s->closed ? NAN : now.rcv_wnd);
	zw_text(c->cell[SC_ZW], COL_CELL_LEN, &row->d, s->incomplete & BS_INC_ZW_RECV,
		sock_zw_open(s));
	zw_ms_text(c->cell[SC_ZW_TIME], COL_CELL_LEN, &row->d);
	drops_text(v->r, c->cell[SC_DROPS], COL_CELL_LEN, row->drops_lost);
	drops_text(v->r, c->cell[SC_DISC], COL_CELL_LEN, row->drops_expected);
}

static void proc_cells(const struct frame_view *v, const struct proc_row *p,
		       struct col_row *c)
{
	char comm[BS_COMM_LEN];

	snprintf(c->cell[PC_PID], COL_CELL_LEN, p->pid ? "%u" : "-", p->pid);
	snprintf(c->cell[PC_COMM], COL_CELL_LEN, "%s", safe_comm(comm, sizeof(comm), p->comm));
	snprintf(c->cell[PC_SOCKS], COL_CELL_LEN, "%llu", (unsigned long long)p->sockets);
	snprintf(c->cell[PC_READS], COL_CELL_LEN, "%.*f", v->rates ? 1 : 0,
		 p->d.reads / v->div);
	size_cell(c->cell[PC_BYTES], p->d.bytes / v->div);
	size_cell(c->cell[PC_AVG_REQ], view_avg_req(&p->d));
	size_cell(c->cell[PC_AVG_RD], view_avg_ret(&p->d));
	size_cell(c->cell[PC_QUEUE], p->queue_bytes);
	size_cell(c->cell[PC_PEAK], p->peak);
	size_cell(c->cell[PC_RCVBUF], p->rcvbuf);
	pct_cell(c->cell[PC_FILL], view_fill_pct(p->rmem_alloc, p->rcvbuf));
	zw_text(c->cell[PC_ZW], COL_CELL_LEN, &p->d, p->zw_recv_incomplete, p->zw_open);
	zw_ms_text(c->cell[PC_ZW_TIME], COL_CELL_LEN, &p->d);
	drops_text(v->r, c->cell[PC_DROPS], COL_CELL_LEN, p->drops_lost);
	drops_text(v->r, c->cell[PC_DISC], COL_CELL_LEN, p->drops_expected);
}

/* The first n rows of a frame as a table fitted to the frame's width. */
static void print_table(const struct frame_view *v, struct col_spec *cols,
			size_t ncols, size_t n, bool procs)
{
	struct col_layout l;
	struct col_row row;

	cols[procs ? PC_READS : SC_READS].header = v->rates ? "READS/s" : "READS";
	cols[procs ? PC_BYTES : SC_BYTES].header = v->rates ? "BYTES/s" : "BYTES";
	col_layout_init(&l, cols, ncols);
	for (int pass = 0; pass < 2; pass++) {	/* measure, then print */
		if (pass) {
			col_fit(&l, v->r->line_width);
			col_print_header(v->r->out, &l);
		}
		for (size_t i = 0; i < n; i++) {
			memset(&row, 0, sizeof(row));
			if (procs)
				proc_cells(v, &v->f->procs[i], &row);
			else
				sock_cells(v, &v->f->rows[i], &row);
			if (pass)
				col_print_row(v->r->out, &l, &row);
			else
				col_measure(&l, &row);
		}
	}
}

#define EPISODE_LINES 5

static void episode_line(struct render *r, const struct episode *e)
{
	const struct sock_entry *s = model_find(r->model, e->cookie), *owner;
	const char *src = render_episode_owner(r, e, &owner);
	char l[FMT_ENDPOINT_LEN] = "?", rem[FMT_ENDPOINT_LEN] = "?", comm[BS_COMM_LEN];
	char q[SIZE_LEN], who[64];

	if (s) {
		fmt_endpoint(l, sizeof(l), s->ep.family, s->ep.saddr, s->ep.sport);
		fmt_endpoint(rem, sizeof(rem), s->ep.family, s->ep.daddr, s->ep.dport);
	}
	if (owner)
		snprintf(who, sizeof(who), "reader %u %s", owner->pid,
			 safe_comm(comm, sizeof(comm), owner->comm));
	else
		snprintf(who, sizeof(who), "reader %s", src);
	text_line(r, "  %s %s>%s: %s %.1f ms, %s queued at start, %s",
		  e->dir == BS_ZW_SENT ? "window 0 sent    " : "window 0 received",
		  l, rem, e->end_ns ? "lasted" : "OPEN for",
		  model_episode_ns(r->model, e) / 1e6,
		  fmt_size(q, sizeof(q), e->queue), who);
}
/* Episodes begun, from the kernel's counters (the model's log is bounded). */
static uint64_t episodes_in(const struct frame *f, int dir)
{
	uint64_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += f->rows[i].d.zw_episodes[dir];
	return n;
}

/*
 * An interval lists its episodes (open, or ended since the last interval), the
 * first few of them; the summary counts them all and lists the longest.
 */
static void episode_lines(struct render *r, const struct frame *f)
{
	const struct model *m = r->model;
	const struct episode *top[EPISODE_LINES];
	size_t due = 0, ntop = 0;

	for (size_t i = 0; m && i < m->nepisodes; i++) {
		const struct episode *e = &m->episodes[i];
		size_t k;

		if (!model_episode_shown(m, e, f->cursor, f->summary))
			continue;
		due++;
		if (!f->summary) {	/* the first few */
			if (ntop < EPISODE_LINES)
				top[ntop++] = e;
			continue;
		}
		/* the longest few, longest first: insertion into a short list */
		for (k = ntop; k > 0 && model_episode_ns(m, top[k - 1]) < model_episode_ns(m, e); k--)
			if (k < EPISODE_LINES)
				top[k] = top[k - 1];
		if (k < EPISODE_LINES) {
			top[k] = e;
			if (ntop < EPISODE_LINES)
				ntop++;
		}
	}
	if (!due)
		return;
	if (f->summary)
		text_line(r, "zero-window episodes: %llu sent, %llu received; the longest:",
			  (unsigned long long)episodes_in(f, BS_ZW_SENT),
			  (unsigned long long)episodes_in(f, BS_ZW_RECV));
	else
		text_line(r, "zero-window episodes:");
	for (size_t k = 0; k < ntop; k++)
		episode_line(r, top[k]);
	if (!f->summary && due > ntop)
		text_line(r, "  ... and %zu more", due - ntop);
}

/* rates: an interval (per-second values); otherwise the run's totals. */
static void frame_body(struct render *r, const struct frame *f, bool rates)
{
	struct frame_view v = {
		.r = r, .f = f, .rates = rates,
		.div = rates && f->elapsed_s > 0 ? f->elapsed_s : 1.0,
	};
	struct col_spec cols[COL_MAX];
	size_t shown;

	r->line_width = render_width(r);
	if (r->cfg.by == BY_PROCESS) {
		shown = rows_to_show(r, f->np);
		frame_header(r, f, shown);
		memcpy(cols, proc_cols, sizeof(proc_cols));
		print_table(&v, cols, PC__COUNT, shown, true);
	} else {
		shown = rows_to_show(r, f->n);
		frame_header(r, f, shown);
		memcpy(cols, sock_cols, sizeof(sock_cols));
		print_table(&v, cols, SC__COUNT, shown, false);
		for (size_t i = 0; i < shown; i++) {
			if (f->rows[i].s->closed) {
				text_line(r, "* closed during the %s", rates ? "interval" : "run");
				break;
			}
		}
		for (size_t i = 0; i < shown; i++) {
			if (f->rows[i].s->vanished) {
				text_line(r, "+ closed without its final record: counts are at "
					  "least these; the rest is in its process's folded closes");
				break;
			}
		}
		episode_lines(r, f);
	}
	if (!f->n)
		text_line(r, "(no TCP socket read from or holding unread data)");
}

static void table_interval(struct render *r, const struct frame *f)
{
	clear_screen(r);
	frame_body(r, f, true);
	if (!r->redraw)
		fputc('\n', r->out);
}

static void table_summary(struct render *r, const struct frame *f)
{
	r->line_width = render_width(r);
	fputc('\n', r->out);
	text_line(r, "Summary of the whole run (totals, not rates):");
	frame_body(r, f, false);
}

/*
 * trace's lines: a cell wider than its column (a long cgroup path, as top's
 * CGROUP shows it) pushes the rest of its line right rather than being cut.
 */
#define TRACE_CGROUP_W "20"

static void table_trace_header(struct render *r)
{
	fprintf(r->out, "%-15s %-7s %-15s %-" TRACE_CGROUP_W "s %-47s %-8s %8s %8s %s\n",
		"TIME", "PID", "COMM", "CGROUP", "SOCKET (local>remote)", "SYSCALL", "REQ",
		"RET", "QUEUE before>after");
}

static const char *ret_text(char *buf, size_t len, int32_t ret)
{
	const char *name;

	if (ret > 0)
		snprintf(buf, len, "%d", ret);
	else if (ret == 0)
		snprintf(buf, len, "EOF");
	else if (ret >= -4095 && (name = strerrorname_np(-ret)))	/* an errno */
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%d", ret);
	return buf;
}

static void table_read(struct render *r, const struct bs_read_rec *rec)
{
	char t[24], comm[BS_COMM_LEN], l[FMT_ENDPOINT_LEN], rem[FMT_ENDPOINT_LEN];
	char sock[2 * FMT_ENDPOINT_LEN], req[16], ret[24], cg[COL_CELL_LEN];
	const char *sc = fmt_syscall((int32_t)rec->syscall_nr);

	snprintf(sock, sizeof(sock), "%s>%s",
		 fmt_endpoint(l, sizeof(l), rec->ep.family, rec->ep.saddr, rec->ep.sport),
		 fmt_endpoint(rem, sizeof(rem), rec->ep.family, rec->ep.daddr, rec->ep.dport));
	if (rec->flags & BS_RF_REQ_KNOWN)
		snprintf(req, sizeof(req), "%u", rec->req);
	else
		snprintf(req, sizeof(req), "?");
	cgroup_cell(r, rec->cgroup_id, cg);
	fprintf(r->out, "%-15s %-7u %-15s %-" TRACE_CGROUP_W "s %-47s %-8s %8s %8s %u>%u%s\n",
		wallclock_hms(&r->clock, rec->ts_ns, t, sizeof(t)), rec->pid,
		sanitize_text(comm, sizeof(comm), rec->comm, sizeof(rec->comm)), cg, sock,
		sc ? sc : "other", req, ret_text(ret, sizeof(ret), rec->ret),
		rec->queue_before, rec->queue_after,
		rec->flags & BS_RF_PEEK ? " peek" : "");
}

static void table_flow(struct render *r, const struct bs_flow_rec *rec)
{
	char t[24], comm[BS_COMM_LEN], l[FMT_ENDPOINT_LEN], rem[FMT_ENDPOINT_LEN];
	char sock[2 * FMT_ENDPOINT_LEN], pid[16], what[96], buf[32], cg[COL_CELL_LEN];

	snprintf(sock, sizeof(sock), "%s>%s",
		 fmt_endpoint(l, sizeof(l), rec->ep.family, rec->ep.saddr, rec->ep.sport),
		 fmt_endpoint(rem, sizeof(rem), rec->ep.family, rec->ep.daddr, rec->ep.dport));
	snprintf(pid, sizeof(pid), rec->reader.pid ? "%u" : "-", rec->reader.pid);
	switch (rec->kind) {
	case BS_REC_ZW_START:
		snprintf(what, sizeof(what), "zero window %s: begins, %u bytes queued",
			 rec->dir == BS_ZW_SENT ? "sent" : "received", rec->queue);
		break;
	case BS_REC_ZW_END:
		snprintf(what, sizeof(what), "zero window %s: ends after %.3f ms, %llu probes",
			 rec->dir == BS_ZW_SENT ? "sent" : "received",
			 rec->duration_ns / 1e6, (unsigned long long)rec->probes);
		break;
	case BS_REC_DROP:
		snprintf(what, sizeof(what), "drop: %s",
			 drop_reason_name(r->reasons, rec->reason, buf, sizeof(buf)));
		break;
	case BS_REC_RCVBUF:
		snprintf(what, sizeof(what), "rcvbuf %u -> %u", rec->old_rcvbuf,
			 rec->new_rcvbuf);
		break;
	default:
		return;
	}
	/* no reader: no cgroup either ('-') */
	cgroup_cell(r, rec->reader.pid ? rec->reader.cgroup_id : 0, cg);
	fprintf(r->out, "%-15s %-7s %-15s %-" TRACE_CGROUP_W "s %-47s %s\n",
		wallclock_hms(&r->clock, rec->ts_ns, t, sizeof(t)), pid,
		rec->reader.pid ? sanitize_text(comm, sizeof(comm), rec->reader.comm,
						sizeof(rec->reader.comm)) : "-",
		cg, sock, what);
}

static void table_close(struct render *r, const struct sock_entry *s)
{
	char comm[BS_COMM_LEN], l[FMT_ENDPOINT_LEN], rem[FMT_ENDPOINT_LEN], pid[16];
	char cg[COL_CELL_LEN];

	if (s->owner == OWNER_UNKNOWN)
		snprintf(pid, sizeof(pid), "-");
	else
		snprintf(pid, sizeof(pid), "%u", s->pid);
	cgroup_cell(r, model_cgroup_id(s), cg);
	fprintf(r->out, "close: pid %s %s %s>%s cgroup %s: %llu reads, %llu bytes, "
		"peak queue %u\n",
		pid, safe_comm(comm, sizeof(comm), s->comm),
		fmt_endpoint(l, sizeof(l), s->ep.family, s->ep.saddr, s->ep.sport),
		fmt_endpoint(rem, sizeof(rem), s->ep.family, s->ep.daddr, s->ep.dport), cg,
		(unsigned long long)s->total.reads, (unsigned long long)s->total.bytes,
		s->peak_run);
}

/* Where the trace lost records: a line in the stream, at the place noticed. */
static void table_lost(struct render *r, const struct losses *d)
{
	char t[24];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(r->out, "%-15s lost: %llu events (ring buffer full), %llu reads missed, "
		"%llu sockets untracked, %llu close records folded, %llu hook misses "
		"(events of any socket): the trace %sincomplete here\n",
		wallclock_hms(&r->clock, (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec,
			      t, sizeof(t)),
		(unsigned long long)d->events, (unsigned long long)d->missed_reads,
		(unsigned long long)d->untracked_sockets,
		(unsigned long long)d->close_folded, (unsigned long long)d->hook_misses,
		d->events || d->missed_reads || d->untracked_sockets || d->close_folded
			? "is " : "may be ");
}

#define HIST_BAR 40

/* A percentile as "p50 < 8192" (the upper bound of its bucket). */
static void percentile_text(char *buf, size_t len, const uint64_t *slots, double p)
{
	uint64_t low, high;

	if (!hist_percentile(slots, p, &low, &high))
		snprintf(buf, len, "p%.0f -", p);
	else if (high)
		snprintf(buf, len, "p%.0f < %llu", p, (unsigned long long)high);
	else
		snprintf(buf, len, "p%.0f >= %llu", p, (unsigned long long)low);
}

/* One log2 histogram: its buckets from the first to the last non-empty one,
 * each with its count and a bar scaled to the largest. */
static void hist_lines(struct render *r, unsigned kind, const uint64_t *slots)
{
	const struct hist_kind_info *ki = hist_kind(kind);
	char p50[40], p90[40], p99[40], bar[HIST_BAR + 1];
	int first = -1, last = -1;
	uint64_t max = 0;

	for (int i = 0; i < BS_HIST_SLOTS; i++) {
		if (!slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	percentile_text(p50, sizeof(p50), slots, 50);
	percentile_text(p90, sizeof(p90), slots, 90);
	percentile_text(p99, sizeof(p99), slots, 99);
	fprintf(r->out, "  %s (%s): %llu reads, %s, %s, %s\n", ki->title, ki->unit,
		(unsigned long long)hist_total(slots), p50, p90, p99);
	for (int i = first; i >= 0 && i <= last; i++) {
		uint64_t low = hist_slot_low((unsigned)i), high = hist_slot_high((unsigned)i);
		unsigned w = (unsigned)((slots[i] * HIST_BAR + max - 1) / max);
		char hi[24];

		memset(bar, '*', w);
		bar[w] = 0;
		if (high)
			snprintf(hi, sizeof(hi), "%llu", (unsigned long long)(high - 1));
		else
			snprintf(hi, sizeof(hi), "...");
		fprintf(r->out, "    %12llu -> %-12s : %-10llu |%-*s|\n",
			(unsigned long long)low, hi, (unsigned long long)slots[i],
			HIST_BAR, bar);
	}
}

static void hist_group_title(struct render *r, const struct hist_frame *hf,
			     const struct hist_group *g)
{
	char comm[BS_COMM_LEN], l[FMT_ENDPOINT_LEN], rem[FMT_ENDPOINT_LEN], pid[16];
	const struct sock_entry *s = g->s;

	snprintf(pid, sizeof(pid), g->pid ? "%u" : "-", g->pid);
	if (!hf->by_socket)
		fprintf(r->out, "pid %s %s: %llu socket%s\n", pid,
			g->pid ? safe_comm(comm, sizeof(comm), s->comm) : "(owner unknown)",
			(unsigned long long)g->sockets, g->sockets == 1 ? "" : "s");
	else if (s->folded)
		fprintf(r->out, "pid %s %s: %s %llu sockets\n", pid,
			safe_comm(comm, sizeof(comm), s->comm),
			s->aggregate ? "(evicted closes)" : "(folded closes)",
			(unsigned long long)g->sockets);
	else
		fprintf(r->out, "pid %s %s: %s>%s\n", pid,
			safe_comm(comm, sizeof(comm), s->comm),
			fmt_endpoint(l, sizeof(l), s->ep.family, s->ep.saddr, s->ep.sport),
			fmt_endpoint(rem, sizeof(rem), s->ep.family, s->ep.daddr, s->ep.dport));
}

static void table_hist(struct render *r, const struct hist_frame *hf)
{
	char now[16], more[160];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(now, sizeof(now), "%H:%M:%S", &tm);
	fprintf(r->out, "%sbufscope hist  %s  %.1fs%s  lost events %llu%s  folded closes %llu%s\n",
		hf->summary ? "\n" : "", now, hf->elapsed_s,
		hf->summary ? " (the whole run)" : "",
		(unsigned long long)hf->lost.events, loss_more(more, sizeof(more), &hf->lost),
		(unsigned long long)hf->lost.close_folded,
		losses_low_note(&hf->lost));
	if (hf->lost.hist_reads_unfolded)
		fprintf(r->out, "(%llu reads of folded closes are in no histogram: the "
			"counts below are that much low)\n",
			(unsigned long long)hf->lost.hist_reads_unfolded);
	for (size_t i = 0; i < hf->n; i++) {
		hist_group_title(r, hf, &hf->groups[i]);
		for (unsigned k = 0; k < BS_HIST_N; k++)
			hist_lines(r, hist_kind_order[k], hf->groups[i].hist[hist_kind_order[k]]);
	}
	if (!hf->n)
		fprintf(r->out, "(no read returned data%s)\n",
			hf->summary ? " during the run" : " in this interval");
}

const struct render_ops render_table_ops = {
	.redraws = true,
	.interval = table_interval,
	.summary = table_summary,
	.trace_header = table_trace_header,
	.read = table_read,
	.close = table_close,
	.flow = table_flow,
	.lost = table_lost,
	.hist = table_hist,
};
