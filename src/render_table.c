// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <math.h>
#include <string.h>
#include <time.h>
#include "fmt.h"
#include "render.h"
#include "sanitize.h"
#include "view.h"
#include "drop_reasons.h"

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

static void frame_header(struct render *r, const struct frame *f, size_t shown)
{
	char hooks[256], now[16];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(now, sizeof(now), "%H:%M:%S", &tm);
	hooks_describe(r->hooks, hooks, sizeof(hooks));
	fprintf(r->out, "bufscope %s  %s  %.1fs  %zu %s (%zu shown)  lost events %llu%s"
		"  folded closes %llu%s\n",
		cli_command_name(r->opt->cmd), now, f->elapsed_s,
		r->opt->by == BY_PROCESS ? f->np : f->n,
		r->opt->by == BY_PROCESS ? "processes" : "sockets", shown,
		(unsigned long long)f->lost_events,
		f->lost_events ? " (counts are low)" : "",
		(unsigned long long)f->close_folded,
		f->close_fold_unowned ? " (some without owner: filtered counts are low)" : "");
	if (r->opt->verbose)
		fprintf(r->out, "attach: %s\n", hooks);
}

static size_t rows_to_show(const struct render *r, size_t n)
{
	return r->opt->rows && r->opt->rows < n ? r->opt->rows : n;
}

/* Zero-window episodes begun, ours/peer's, and '!' while one is open. */
static const char *zw_text(char *buf, size_t len, const struct counts *d,
			   const struct sock_entry *s)
{
	bool open = !s->closed && (s->zw_open_ns[BS_ZW_SENT] || s->zw_open_ns[BS_ZW_RECV]);

	snprintf(buf, len, "%llu/%llu%s",
		 (unsigned long long)d->zw_episodes[BS_ZW_SENT],
		 (unsigned long long)d->zw_episodes[BS_ZW_RECV], open ? "!" : "");
	return buf;
}

/* Time inside zero-window episodes, both directions. */
static const char *zw_ms_text(char *buf, const struct counts *d)
{
	uint64_t ns = d->zw_ns[BS_ZW_SENT] + d->zw_ns[BS_ZW_RECV];

	if (!ns)
		return "0";
	if (ns < 10000000000ULL)
		snprintf(buf, SIZE_LEN, "%.0fms", ns / 1e6);
	else
		snprintf(buf, SIZE_LEN, "%.0fs", ns / 1e9);
	return buf;
}

static void sock_line(struct render *r, const struct sock_row *row, double secs,
		      bool rates)
{
	const struct sock_entry *s = row->s;
	char comm[BS_COMM_LEN], l[FMT_ENDPOINT_LEN], rem[FMT_ENDPOINT_LEN];
	char b1[SIZE_LEN], b2[SIZE_LEN], b3[SIZE_LEN], b4[SIZE_LEN], b5[SIZE_LEN],
	     b6[SIZE_LEN], b7[SIZE_LEN], b8[SIZE_LEN], b9[SIZE_LEN], zw[SIZE_LEN];
	double div = rates && secs > 0 ? secs : 1.0;
	char pid[16], drops[24] = "-";

	if (render_hook_on(r, HOOK_DROPS))
		snprintf(drops, sizeof(drops), "%llu", (unsigned long long)row->d.drops);
	/* '*' closed; '+' closed without its record: counts at least these */
	if (s->owner == OWNER_UNKNOWN)
		snprintf(pid, sizeof(pid), "-%s%s", s->closed ? "*" : "",
			 s->vanished ? "+" : "");
	else
		snprintf(pid, sizeof(pid), "%u%s%s", s->pid, s->closed ? "*" : "",
			 s->vanished ? "+" : "");
	if (s->folded) {
		snprintf(l, sizeof(l), "(folded closes)");
		snprintf(rem, sizeof(rem), "%llu sockets", (unsigned long long)row->folded);
	} else {
		fmt_endpoint(l, sizeof(l), s->ep.family, s->ep.saddr, s->ep.sport);
		fmt_endpoint(rem, sizeof(rem), s->ep.family, s->ep.daddr, s->ep.dport);
	}
	fprintf(r->out, "%-8s %-15s %-22s %-22s %8.*f %7s %7s %7s %7s %7s %7s %5s %7s %7s %7s %5s\n",
		pid, safe_comm(comm, sizeof(comm), s->comm), l, rem, rates ? 1 : 0, row->d.reads / div,
		size_or_dash(b1, row->d.bytes / div),
		size_or_dash(b2, view_avg_req(&row->d)),
		size_or_dash(b3, view_avg_ret(&row->d)),
		size_or_dash(b4, s->closed ? 0 : s->queue_bytes),
		size_or_dash(b5, row->peak),
		size_or_dash(b6, s->rcvbuf),
		pct_or_dash(b7, view_fill_pct(s->closed ? 0 : s->rmem_alloc, s->rcvbuf)),
		size_or_dash(b8, s->closed ? NAN : s->rcv_wnd),
		zw_text(zw, sizeof(zw), &row->d, s), zw_ms_text(b9, &row->d),
		drops);
}

static void proc_line(struct render *r, const struct proc_row *p, double secs,
		      bool rates)
{
	char comm[BS_COMM_LEN], pid[16];
	char b1[SIZE_LEN], b2[SIZE_LEN], b3[SIZE_LEN], b4[SIZE_LEN], b5[SIZE_LEN],
	     b6[SIZE_LEN], b7[SIZE_LEN];
	double div = rates && secs > 0 ? secs : 1.0;

	snprintf(pid, sizeof(pid), p->pid ? "%u" : "-", p->pid);
	fprintf(r->out, "%-8s %-15s %5u %8.*f %7s %7s %7s %7s %7s %7s %5s\n", pid,
		safe_comm(comm, sizeof(comm), p->comm), p->sockets, rates ? 1 : 0,
		p->d.reads / div, size_or_dash(b1, p->d.bytes / div),
		size_or_dash(b2, view_avg_req(&p->d)),
		size_or_dash(b3, view_avg_ret(&p->d)),
		size_or_dash(b4, p->queue_bytes), size_or_dash(b5, p->peak),
		size_or_dash(b6, p->rcvbuf),
		pct_or_dash(b7, view_fill_pct(p->rmem_alloc, p->rcvbuf)));
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
	fprintf(r->out, "  %s %s>%s: %s %.1f ms, %s queued at start, %s\n",
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

		if (!model_episode_shown(m, e, f->summary))
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
		fprintf(r->out, "zero-window episodes: %llu sent, %llu received; the longest:\n",
			(unsigned long long)episodes_in(f, BS_ZW_SENT),
			(unsigned long long)episodes_in(f, BS_ZW_RECV));
	else
		fputs("zero-window episodes:\n", r->out);
	for (size_t k = 0; k < ntop; k++)
		episode_line(r, top[k]);
	if (!f->summary && due > ntop)
		fprintf(r->out, "  ... and %zu more\n", due - ntop);
}

/* rates: an interval (per-second values); otherwise the run's totals. */
static void frame_body(struct render *r, const struct frame *f, bool rates)
{
	const char *reads = rates ? "READS/s" : "READS";
	const char *bytes = rates ? "BYTES/s" : "BYTES";
	size_t shown;

	if (r->opt->by == BY_PROCESS) {
		shown = rows_to_show(r, f->np);
		frame_header(r, f, shown);
		fprintf(r->out, "%-8s %-15s %5s %8s %7s %7s %7s %7s %7s %7s %5s\n",
			"PID", "COMM", "SOCKS", reads, bytes, "AVG_REQ", "AVG_RD",
			"QUEUE", "PEAK", "RCVBUF", "FILL%");
		for (size_t i = 0; i < shown; i++)
			proc_line(r, &f->procs[i], f->elapsed_s, rates);
	} else {
		shown = rows_to_show(r, f->n);
		frame_header(r, f, shown);
		fprintf(r->out, "%-8s %-15s %-22s %-22s %8s %7s %7s %7s %7s %7s %7s %5s %7s %7s %7s %5s\n",
			"PID", "COMM", "LOCAL", "REMOTE", reads, bytes, "AVG_REQ",
			"AVG_RD", "QUEUE", "PEAK", "RCVBUF", "FILL%", "WND", "ZW",
			"ZW_TIME", "DROPS");
		for (size_t i = 0; i < shown; i++)
			sock_line(r, &f->rows[i], f->elapsed_s, rates);
		for (size_t i = 0; i < shown; i++) {
			if (f->rows[i].s->closed) {
				fprintf(r->out, "* closed during the %s\n",
					rates ? "interval" : "run");
				break;
			}
		}
		for (size_t i = 0; i < shown; i++) {
			if (f->rows[i].s->vanished) {
				fputs("+ closed without its final record: counts are at least "
				      "these; the rest is in its process's folded closes\n",
				      r->out);
				break;
			}
		}
		episode_lines(r, f);
	}
	if (!f->n)
		fputs("(no TCP socket read from or holding unread data)\n", r->out);
}

void table_interval(struct render *r, const struct frame *f)
{
	clear_screen(r);
	frame_body(r, f, true);
	if (!r->redraw)
		fputc('\n', r->out);
}

void table_summary(struct render *r, const struct frame *f)
{
	fputs("\nSummary of the whole run (totals, not rates):\n", r->out);
	frame_body(r, f, false);
}

void table_trace_header(struct render *r)
{
	fprintf(r->out, "%-15s %-7s %-15s %-47s %-8s %8s %8s %s\n", "TIME", "PID",
		"COMM", "SOCKET (local>remote)", "SYSCALL", "REQ", "RET",
		"QUEUE before>after");
}

static const char *ret_text(char *buf, size_t len, int32_t ret)
{
	const char *name;

	if (ret > 0)
		snprintf(buf, len, "%d", ret);
	else if (ret == 0)
		snprintf(buf, len, "EOF");
	else if ((name = strerrorname_np(-ret)))
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%d", ret);
	return buf;
}

void table_read(struct render *r, const struct bs_read_rec *rec)
{
	char t[24], comm[BS_COMM_LEN], l[FMT_ENDPOINT_LEN], rem[FMT_ENDPOINT_LEN];
	char sock[2 * FMT_ENDPOINT_LEN], req[16], ret[24];
	const char *sc = fmt_syscall((int32_t)rec->syscall_nr);

	snprintf(sock, sizeof(sock), "%s>%s",
		 fmt_endpoint(l, sizeof(l), rec->ep.family, rec->ep.saddr, rec->ep.sport),
		 fmt_endpoint(rem, sizeof(rem), rec->ep.family, rec->ep.daddr, rec->ep.dport));
	if (rec->flags & BS_RF_REQ_KNOWN)
		snprintf(req, sizeof(req), "%u", rec->req);
	else
		snprintf(req, sizeof(req), "?");
	fprintf(r->out, "%-15s %-7u %-15s %-47s %-8s %8s %8s %u>%u%s\n",
		wallclock_hms(&r->clock, rec->ts_ns, t, sizeof(t)), rec->pid,
		sanitize_text(comm, sizeof(comm), rec->comm, sizeof(rec->comm)), sock,
		sc ? sc : "other", req, ret_text(ret, sizeof(ret), rec->ret),
		rec->queue_before, rec->queue_after,
		rec->flags & BS_RF_PEEK ? " peek" : "");
}

void table_flow(struct render *r, const struct bs_flow_rec *rec)
{
	char t[24], comm[BS_COMM_LEN], l[FMT_ENDPOINT_LEN], rem[FMT_ENDPOINT_LEN];
	char sock[2 * FMT_ENDPOINT_LEN], pid[16], what[96], buf[32];

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
	fprintf(r->out, "%-15s %-7s %-15s %-47s %s\n",
		wallclock_hms(&r->clock, rec->ts_ns, t, sizeof(t)), pid,
		rec->reader.pid ? sanitize_text(comm, sizeof(comm), rec->reader.comm,
						sizeof(rec->reader.comm)) : "-",
		sock, what);
}

void table_close(struct render *r, const struct sock_entry *s)
{
	char comm[BS_COMM_LEN], l[FMT_ENDPOINT_LEN], rem[FMT_ENDPOINT_LEN], pid[16];

	if (s->owner == OWNER_UNKNOWN)
		snprintf(pid, sizeof(pid), "-");
	else
		snprintf(pid, sizeof(pid), "%u", s->pid);
	fprintf(r->out, "close: pid %s %s %s>%s: %llu reads, %llu bytes, peak queue %u\n",
		pid, safe_comm(comm, sizeof(comm), s->comm),
		fmt_endpoint(l, sizeof(l), s->ep.family, s->ep.saddr, s->ep.sport),
		fmt_endpoint(rem, sizeof(rem), s->ep.family, s->ep.daddr, s->ep.dport),
		(unsigned long long)s->total.reads, (unsigned long long)s->total.bytes,
		s->peak_run);
}
