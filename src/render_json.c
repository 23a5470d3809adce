// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include "fmt.h"
#include "hist.h"
#include "render.h"
#include "view.h"

static void kv_double_or_null(struct json_writer *jw, const char *k, double v,
			      int decimals)
{
	jw_key(jw, k);
	jw_double(jw, v, decimals);	/* NAN prints as null */
}

static void json_counts(struct json_writer *jw, const struct counts *d)
{
	jw_kv_u64(jw, "reads", d->reads);
	jw_kv_u64(jw, "bytes", d->bytes);
	jw_kv_u64(jw, "req_reads", d->req_reads);
	jw_kv_u64(jw, "req_bytes", d->req_bytes);
	jw_kv_u64(jw, "full_reads", d->full_reads);
	jw_kv_u64(jw, "partial_reads", view_partial_reads(d));
	kv_double_or_null(jw, "avg_req_bytes", view_avg_req(d), 1);
	kv_double_or_null(jw, "avg_read_bytes", view_avg_ret(d), 1);
	jw_kv_u64(jw, "eof_reads", d->eof_reads);
	jw_kv_u64(jw, "eagain_reads", d->eagain_reads);
	jw_kv_u64(jw, "error_reads", d->error_reads);
	jw_kv_u64(jw, "peek_reads", d->peek_reads);
	jw_kv_u64(jw, "peek_bytes", d->peek_bytes);
	jw_kv_u64(jw, "arrivals", d->arrivals);
}

static void json_endpoints(struct json_writer *jw, const struct bs_endpoints *ep)
{
	char a[FMT_ADDR_LEN];

	jw_kv_str(jw, "family", fmt_family(ep->family));
	jw_kv_str(jw, "laddr", fmt_addr(a, sizeof(a), ep->family, ep->saddr));
	jw_kv_u64(jw, "lport", ep->sport);
	jw_kv_str(jw, "raddr", fmt_addr(a, sizeof(a), ep->family, ep->daddr));
	jw_kv_u64(jw, "rport", ep->dport);
}

static const char *owner_name(enum owner_source o)
{
	return o == OWNER_READER ? "reader" : o == OWNER_FD ? "fd" : "unknown";
}

static void json_hist(struct json_writer *jw, const char *name, const uint64_t *slots)
{
	jw_key(jw, name);
	jw_begin_array(jw);
	for (unsigned i = 0; i < BS_HIST_SLOTS; i++) {
		uint64_t high = hist_slot_high(i);

		if (!slots[i])
			continue;
		jw_begin_array(jw);
		jw_u64(jw, hist_slot_low(i));
		if (high)
			jw_u64(jw, high);
		else
			jw_null(jw);
		jw_u64(jw, slots[i]);
		jw_end_array(jw);
	}
	jw_end_array(jw);
}

/* The socket object of docs/json.md; the caller has opened the object. */
static void json_socket_fields(struct json_writer *jw, const struct sock_entry *s,
			       const struct counts *d, uint32_t peak, bool hist)
{
	jw_kv_u64(jw, "cookie", s->cookie);
	if (s->owner == OWNER_UNKNOWN) {
		jw_kv_null(jw, "pid");
		jw_kv_null(jw, "tid");
		jw_kv_null(jw, "comm");
	} else {
		jw_kv_u64(jw, "pid", s->pid);
		if (s->owner == OWNER_READER)
			jw_kv_u64(jw, "tid", s->tid);
		else
			jw_kv_null(jw, "tid");
		jw_key(jw, "comm");
		jw_strn(jw, s->comm, sizeof(s->comm));
	}
	jw_kv_str(jw, "owner", owner_name(s->owner));
	if (s->owner == OWNER_READER)
		jw_kv_u64(jw, "cgroup_id", s->cgroup_id);
	else
		jw_kv_null(jw, "cgroup_id");
	json_endpoints(jw, &s->ep);
	jw_kv_str(jw, "state", s->closed ? "CLOSED" : fmt_tcp_state(s->ep.tcp_state));
	jw_kv_bool(jw, "closed", s->closed);
	json_counts(jw, d);
	jw_kv_u64(jw, "queue_bytes", s->closed ? 0 : s->queue_bytes);
	jw_kv_u64(jw, "queue_peak", peak);
	jw_kv_u64(jw, "rcvbuf", s->rcvbuf);
	jw_kv_u64(jw, "rmem_alloc", s->closed ? 0 : s->rmem_alloc);
	kv_double_or_null(jw, "fill_pct",
			  view_fill_pct(s->closed ? 0 : s->rmem_alloc, s->rcvbuf), 1);
	/* Flow control is not measured yet: null, never a made-up zero. */
	jw_kv_null(jw, "zero_window_sent");
	jw_kv_null(jw, "zero_window_recv");
	jw_kv_null(jw, "zero_window_ms");
	jw_kv_null(jw, "drops");
	if (hist) {
		jw_key(jw, "hist");
		jw_begin_object(jw);
		json_hist(jw, "read_bytes", s->hist[BS_HIST_RET]);
		json_hist(jw, "req_bytes", s->hist[BS_HIST_REQ]);
		json_hist(jw, "queue_bytes", s->hist[BS_HIST_QUEUE]);
		jw_end_object(jw);
	}
}

static void json_process(struct json_writer *jw, const struct proc_row *p)
{
	jw_begin_object(jw);
	if (p->pid) {
		jw_kv_u64(jw, "pid", p->pid);
		jw_key(jw, "comm");
		jw_strn(jw, p->comm, sizeof(p->comm));
	} else {
		jw_kv_null(jw, "pid");
		jw_kv_null(jw, "comm");
	}
	jw_kv_u64(jw, "sockets", p->sockets);
	json_counts(jw, &p->d);
	jw_kv_u64(jw, "queue_bytes", p->queue_bytes);
	jw_kv_u64(jw, "queue_peak", p->peak);
	jw_end_object(jw);
}

static void json_frame(struct render *r, const struct frame *f, bool summary)
{
	struct json_writer *jw = &r->jw;
	char t[40];

	jw_begin_object(jw);
	jw_kv_str(jw, "type", summary ? "summary" : "interval");
	jw_kv_str(jw, "time", fmt_time_iso(t, sizeof(t)));
	jw_kv_u64(jw, summary ? "duration_ms" : "interval_ms",
		  (uint64_t)llround(f->elapsed_s * 1000));
	if (summary) {
		jw_key(jw, "attach");
		jw_begin_object(jw);
		for (int i = 0; i < HOOK__COUNT; i++)
			jw_kv_str(jw, r->hooks[i].name, r->hooks[i].tier);
		jw_end_object(jw);
	}
	jw_kv_u64(jw, "lost_events", f->lost_events);
	jw_key(jw, "sockets");
	jw_begin_array(jw);
	for (size_t i = 0; i < f->n; i++) {
		jw_begin_object(jw);
		json_socket_fields(jw, f->rows[i].s, &f->rows[i].d, f->rows[i].peak,
				   summary);
		jw_end_object(jw);
	}
	jw_end_array(jw);
	jw_key(jw, "processes");
	jw_begin_array(jw);
	for (size_t i = 0; i < f->np; i++)
		json_process(jw, &f->procs[i]);
	jw_end_array(jw);
	jw_end_object(jw);
	jw_newline(jw);
}

void json_interval(struct render *r, const struct frame *f)
{
	json_frame(r, f, false);
}

void json_summary(struct render *r, const struct frame *f)
{
	json_frame(r, f, true);
}

void json_read(struct render *r, const struct bs_read_rec *rec)
{
	struct json_writer *jw = &r->jw;
	const char *sc = fmt_syscall((int32_t)rec->syscall_nr);
	char t[40];

	jw_begin_object(jw);
	jw_kv_str(jw, "type", "read");
	jw_kv_str(jw, "time", fmt_time_iso(t, sizeof(t)));
	jw_kv_u64(jw, "ts_ns", rec->ts_ns);
	jw_kv_u64(jw, "pid", rec->pid);
	jw_kv_u64(jw, "tid", rec->tid);
	jw_key(jw, "comm");
	jw_strn(jw, rec->comm, sizeof(rec->comm));
	jw_kv_u64(jw, "cookie", rec->cookie);
	json_endpoints(jw, &rec->ep);
	if (sc)
		jw_kv_str(jw, "syscall", sc);
	else
		jw_kv_null(jw, "syscall");
	if (rec->flags & BS_RF_REQ_KNOWN)
		jw_kv_u64(jw, "req", rec->req);
	else
		jw_kv_null(jw, "req");
	jw_kv_i64(jw, "ret", rec->ret);
	jw_kv_bool(jw, "peek", rec->flags & BS_RF_PEEK);
	jw_kv_bool(jw, "nonblock", rec->flags & BS_RF_DONTWAIT);
	jw_kv_u64(jw, "queue_before", rec->queue_before);
	jw_kv_u64(jw, "queue_after", rec->queue_after);
	jw_end_object(jw);
	jw_newline(jw);
}

void json_close(struct render *r, const struct sock_entry *s)
{
	struct json_writer *jw = &r->jw;

	jw_begin_object(jw);
	jw_kv_str(jw, "type", "close");
	json_socket_fields(jw, s, &s->total, s->peak_run, false);
	jw_end_object(jw);
	jw_newline(jw);
}
