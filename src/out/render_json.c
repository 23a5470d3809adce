// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include "util/fmt.h"
#include "model/hist.h"
#include "model/counts.h"
#include "out/render.h"
#include "model/view.h"
#include "kernel/drop_reasons.h"

/* num / den, null when den is 0 */
static void kv_ratio(struct json_writer *jw, const char *k, uint64_t num,
		     uint64_t den, int decimals)
{
	jw_key(jw, k);
	jw_ratio(jw, num, den, decimals);
}

static bool count_known(const struct render *r, const struct count_info *ci)
{
	return ci->hook == CH_ALWAYS ||
	       render_hook_on(r, ci->hook == CH_ARRIVAL ? HOOK_ARRIVAL : HOOK_DROPS);
}

static void kv_ms(struct json_writer *jw, const char *k, uint64_t ns);

/*
 * Every count of COUNTS_TABLE (null when its hook is off), then what is
 * derived from them: partial reads, averages, time in zero window both ways.
 */
static void json_counts(struct render *r, const struct counts *d)
{
	struct json_writer *jw = &r->jw;

	for (size_t i = 0; i < count_infos_n; i++) {
		const struct count_info *ci = &count_infos[i];

		if (!ci->key)
			continue;
		if (!count_known(r, ci))
			jw_kv_null(jw, ci->key);
		else
			count_json(jw, ci, d);
	}
	jw_kv_u64(jw, "partial_reads", view_partial_reads(d));
	/* view_avg_req() and view_avg_ret(), printed without printf */
	kv_ratio(jw, "avg_req_bytes", d->req_bytes, d->req_reads, 1);
	kv_ratio(jw, "avg_read_bytes", d->bytes, d->reads, 1);
	kv_ms(jw, "zero_window_ms", d->zw_ns[BS_ZW_SENT] + d->zw_ns[BS_ZW_RECV]);
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
	return o == OWNER_READER ? "reader" : o == OWNER_FD ? "fd" :
	       o == OWNER_CLOSER ? "closer" : "unknown";
}

/* slots NULL: an empty histogram */
static void json_hist(struct json_writer *jw, const char *name, const uint64_t *slots)
{
	jw_key(jw, name);
	jw_begin_array(jw);
	for (unsigned i = 0; slots && i < BS_HIST_SLOTS; i++) {
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

static void kv_ms(struct json_writer *jw, const char *k, uint64_t ns)
{
	kv_ratio(jw, k, ns, 1000000, 3);	/* ns / 1e6 */
}

static const char *zw_open_name(const struct sock_entry *s)
{
	bool sent = s->zw_open_ns[BS_ZW_SENT], recv = s->zw_open_ns[BS_ZW_RECV];

	if (s->closed || (!sent && !recv))
		return NULL;
	return sent && recv ? "both" : sent ? "sent" : "recv";
}

static void json_drop_reasons(struct render *r, const struct sock_row *row)
{
	struct json_writer *jw = &r->jw;
	char buf[32];

	jw_key(jw, "drop_reasons");
	jw_begin_object(jw);
	for (int k = 0; k < MODEL_DROP_REASONS; k++)
		if (row->drops_by[k])
			jw_kv_u64(jw, drop_reason_name(r->reasons,
						       row->s->drops_by[k].reason, buf,
						       sizeof(buf)),
				  row->drops_by[k]);
	if (row->drops_other)
		jw_kv_u64(jw, "OTHER", row->drops_other);
	jw_end_object(jw);
}

/* The drops split into data lost and expected discards; null without the
 * drops hook. */
static void json_drop_split(struct render *r, uint64_t lost, uint64_t expected)
{
	struct json_writer *jw = &r->jw;

	if (!render_hook_on(r, HOOK_DROPS)) {
		jw_kv_null(jw, "drops_lost");
		jw_kv_null(jw, "drops_expected");
		return;
	}
	jw_kv_u64(jw, "drops_lost", lost);
	jw_kv_u64(jw, "drops_expected", expected);
}

/* Flow control: zero windows both ways, window sizes, drops, buffer changes. */
static void json_flow_fields(struct render *r, const struct sock_row *row)
{
	struct json_writer *jw = &r->jw;
	const struct sock_entry *s = row->s;
	const char *open = zw_open_name(s);
	int64_t stall = model_reader_stall_ns(s);
	struct sock_now now;

	render_sock_now(s, &now);

	/* the received windows above are a lower bound (see docs/metrics.md) */
	jw_kv_bool(jw, "zero_window_recv_incomplete",
		   (s->incomplete & BS_INC_ZW_RECV) != 0);
	if (open)
		jw_kv_str(jw, "zero_window_open", open);
	else
		jw_kv_null(jw, "zero_window_open");
	json_drop_split(r, row->drops_lost, row->drops_expected);
	if (render_hook_on(r, HOOK_DROPS))
		json_drop_reasons(r, row);
	else
		jw_kv_null(jw, "drop_reasons");
	jw_kv_u64(jw, "rcv_wnd", now.rcv_wnd);
	jw_kv_u64(jw, "peer_rcv_wnd", now.peer_rcv_wnd);
	jw_kv_u64(jw, "send_queue", now.send_queue);
	if (stall >= 0)
		kv_ms(jw, "reader_stall_ms", (uint64_t)stall);
	else
		jw_kv_null(jw, "reader_stall_ms");
	if (row->age_max_ns)
		kv_ms(jw, "byte_age_max_ms", row->age_max_ns);
	else
		jw_kv_null(jw, "byte_age_max_ms");
}

static const uint64_t *hist_of(const struct sock_entry *s, int kind)
{
	return s->hist ? s->hist + (size_t)kind * BS_HIST_SLOTS : NULL;
}

/* A reader's cgroup id, path and container id (docs/json.md), or nulls. */
static void json_cgroup(struct render *r, uint64_t id)
{
	/* each lookup's text lasts until the next: written at once */
	const char *path = render_cgroup_of(r, id), *ctr;

	if (id)
		jw_kv_u64(&r->jw, "cgroup_id", id);
	else
		jw_kv_null(&r->jw, "cgroup_id");
	if (path)
		jw_kv_str(&r->jw, "cgroup", path);
	else
		jw_kv_null(&r->jw, "cgroup");
	ctr = path ? render_container_of(r, id) : NULL;
	if (ctr)
		jw_kv_str(&r->jw, "container", ctr);
	else
		jw_kv_null(&r->jw, "container");
}

/* The socket object of docs/json.md; the caller has opened the object. */
static void json_socket_fields(struct render *r, const struct sock_row *row,
			       bool hist)
{
	struct json_writer *jw = &r->jw;
	const struct sock_entry *s = row->s;
	const struct counts *d = &row->d;
	struct sock_now now;

	render_sock_now(s, &now);
	jw_kv_u64(jw, "cookie", s->cookie);
	if (s->owner == OWNER_UNKNOWN) {
		jw_kv_null(jw, "pid");
		jw_kv_null(jw, "tid");
		jw_kv_null(jw, "comm");
	} else {
		/* a command's aggregate (model.h) has no pid, none a thread */
		if (s->pid)
			jw_kv_u64(jw, "pid", s->pid);
		else
			jw_kv_null(jw, "pid");
		if (s->owner == OWNER_READER && !s->aggregate)
			jw_kv_u64(jw, "tid", s->tid);
		else
			jw_kv_null(jw, "tid");
		jw_key(jw, "comm");
		jw_strn(jw, s->comm, sizeof(s->comm));
	}
	jw_kv_str(jw, "owner", owner_name(s->owner));
	json_cgroup(r, model_cgroup_id(s));
	json_endpoints(jw, &s->ep);
	jw_kv_str(jw, "state", s->closed ? "CLOSED" : fmt_tcp_state(s->ep.tcp_state));
	jw_kv_bool(jw, "closed", s->closed);
	/* false: closed without its final record, counts are at least these */
	jw_kv_bool(jw, "totals_complete", !s->vanished);
	jw_kv_bool(jw, "folded", s->folded);
	/* folded by the model, not the kernel: closed sockets it evicted */
	jw_kv_bool(jw, "evicted", s->aggregate != AGG_NONE);
	if (s->folded)
		jw_kv_u64(jw, "folded_sockets", row->folded);
	else
		jw_kv_null(jw, "folded_sockets");
	json_counts(r, d);
	jw_kv_u64(jw, "queue_bytes", now.queue_bytes);
	jw_kv_u64(jw, "queue_peak", row->peak);
	jw_kv_u64(jw, "rcvbuf", s->rcvbuf);
	jw_kv_u64(jw, "rmem_alloc", now.rmem_alloc);
	/* view_fill_pct(): 100 * rmem_alloc / rcvbuf */
	kv_ratio(jw, "fill_pct", 100 * (uint64_t)now.rmem_alloc,
		 s->rcvbuf, 1);
	json_flow_fields(r, row);
	if (hist) {
		jw_key(jw, "hist");
		jw_begin_object(jw);
		for (unsigned k = 0; k < BS_HIST_N; k++)
			json_hist(jw, hist_kind(k)->key, hist_of(s, (int)k));
		jw_end_object(jw);
	}
}

static void json_process(struct render *r, const struct proc_row *p)
{
	struct json_writer *jw = &r->jw;

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
	json_counts(r, &p->d);
	jw_kv_u64(jw, "queue_bytes", p->queue_bytes);
	jw_kv_u64(jw, "queue_peak", p->peak);
	/* one of its sockets' received windows are a lower bound */
	jw_kv_bool(jw, "zero_window_recv_incomplete", p->zw_recv_incomplete);
	json_drop_split(r, p->drops_lost, p->drops_expected);
	jw_end_object(jw);
}

static const char *dir_name(uint32_t dir)
{
	return dir == BS_ZW_RECV ? "recv" : "sent";
}

static void json_episode(struct render *r, const struct episode *e)
{
	struct json_writer *jw = &r->jw;
	const struct sock_entry *s = model_find(r->model, e->cookie), *owner;
	const char *src = render_episode_owner(r, e, &owner);

	jw_begin_object(jw);
	jw_kv_u64(jw, "cookie", e->cookie);
	jw_kv_str(jw, "direction", dir_name(e->dir));
	if (s)
		json_endpoints(jw, &s->ep);
	jw_kv_u64(jw, "start_ns", e->start_ns);
	if (e->end_ns)
		jw_kv_u64(jw, "end_ns", e->end_ns);
	else
		jw_kv_null(jw, "end_ns");
	jw_kv_bool(jw, "open", !e->end_ns);
	/* an open episode: its running duration at the socket's last sample */
	kv_ms(jw, "duration_ms", model_episode_ns(r->model, e));
	jw_kv_u64(jw, "queued_bytes", e->queue);
	if (e->end_ns)
		jw_kv_u64(jw, "probes", e->probes);
	else
		jw_kv_null(jw, "probes");
	jw_kv_str(jw, "reader_owner", src);
	if (owner) {
		jw_kv_u64(jw, "reader_pid", owner->pid);
		jw_key(jw, "reader_comm");
		jw_strn(jw, owner->comm, sizeof(owner->comm));
	} else {
		jw_kv_null(jw, "reader_pid");
		jw_kv_null(jw, "reader_comm");
	}
	jw_end_object(jw);
}

/* Episodes of visible sockets: open or ended since the last interval, or all. */
static void json_episodes(struct render *r, int cursor, bool summary)
{
	const struct model *m = r->model;
	struct json_writer *jw = &r->jw;

	jw_key(jw, "episodes");
	jw_begin_array(jw);
	for (size_t i = 0; m && i < m->nepisodes; i++) {
		if (model_episode_shown(m, &m->episodes[i], cursor, summary))
			json_episode(r, &m->episodes[i]);
	}
	jw_end_array(jw);
	if (summary && m)
		jw_kv_u64(jw, "episodes_forgotten", m->episodes_forgotten);
}

/* What was not counted: the same three fields in frames and `lost` records. */
static void json_losses(struct json_writer *jw, uint64_t events, uint64_t missed,
			uint64_t untracked)
{
	jw_kv_u64(jw, "lost_events", events);
	jw_kv_u64(jw, "missed_reads", missed);
	jw_kv_u64(jw, "untracked_sockets", untracked);
}

/* A frame's losses (interval, summary, hist); with_hist: the reads that
 * are in no histogram too (frames that show histograms). */
static void json_frame_losses(struct json_writer *jw, const struct losses *l,
			      bool with_hist)
{
	json_losses(jw, l->events, l->missed_reads, l->untracked_sockets);
	jw_kv_u64(jw, "close_folded", l->close_folded);
	jw_kv_u64(jw, "close_fold_unowned", l->close_fold_unowned);
	jw_kv_u64(jw, "drops_after_close", l->drops_after_close);
	jw_kv_u64(jw, "hook_misses", l->hook_misses);
	if (with_hist)
		jw_kv_u64(jw, "hist_reads_unfolded", l->hist_reads_unfolded);
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
	json_frame_losses(jw, &f->lost, summary);
	jw_key(jw, "sockets");
	jw_begin_array(jw);
	for (size_t i = 0; i < f->n; i++) {
		jw_begin_object(jw);
		json_socket_fields(r, &f->rows[i], summary);
		jw_end_object(jw);
	}
	jw_end_array(jw);
	jw_key(jw, "processes");
	jw_begin_array(jw);
	for (size_t i = 0; i < f->np; i++)
		json_process(r, &f->procs[i]);
	jw_end_array(jw);
	json_episodes(r, f->cursor, summary);
	jw_end_object(jw);
	jw_newline(jw);
}

static void json_interval(struct render *r, const struct frame *f)
{
	json_frame(r, f, false);
}

static void json_summary(struct render *r, const struct frame *f)
{
	json_frame(r, f, true);
}

static void json_read(struct render *r, const struct bs_read_rec *rec)
{
	struct json_writer *jw = &r->jw;
	const char *sc = fmt_syscall((int32_t)rec->syscall_nr);
	char t[40];

	jw_begin_object(jw);
	jw_kv_str(jw, "type", "read");
	jw_kv_str(jw, "time", wallclock_iso(&r->clock, rec->ts_ns, t, sizeof(t)));
	jw_kv_u64(jw, "ts_ns", rec->ts_ns);
	jw_kv_u64(jw, "pid", rec->pid);
	jw_kv_u64(jw, "tid", rec->tid);
	jw_key(jw, "comm");
	jw_strn(jw, rec->comm, sizeof(rec->comm));
	json_cgroup(r, rec->cgroup_id);
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

static void json_flow(struct render *r, const struct bs_flow_rec *rec)
{
	static const char *const types[] = {
		[BS_REC_ZW_START] = "zero_window_start", [BS_REC_ZW_END] = "zero_window_end",
		[BS_REC_DROP] = "drop", [BS_REC_RCVBUF] = "rcvbuf",
	};
	struct json_writer *jw = &r->jw;
	char t[40], buf[32];

	if (rec->kind < BS_REC_ZW_START || rec->kind > BS_REC_RCVBUF)
		return;
	jw_begin_object(jw);
	jw_kv_str(jw, "type", types[rec->kind]);
	jw_kv_str(jw, "time", wallclock_iso(&r->clock, rec->ts_ns, t, sizeof(t)));
	jw_kv_u64(jw, "ts_ns", rec->ts_ns);
	jw_kv_u64(jw, "cookie", rec->cookie);
	json_endpoints(jw, &rec->ep);
	if (rec->reader.pid) {
		jw_kv_u64(jw, "pid", rec->reader.pid);
		jw_key(jw, "comm");
		jw_strn(jw, rec->reader.comm, sizeof(rec->reader.comm));
	} else {
		jw_kv_null(jw, "pid");
		jw_kv_null(jw, "comm");
	}
	json_cgroup(r, rec->reader.pid ? rec->reader.cgroup_id : 0);
	switch (rec->kind) {
	case BS_REC_ZW_START:
	case BS_REC_ZW_END:
		jw_kv_str(jw, "direction", dir_name(rec->dir));
		jw_kv_u64(jw, "start_ns", rec->start_ns);
		jw_kv_u64(jw, "queued_bytes", rec->queue);
		if (rec->kind == BS_REC_ZW_END) {
			kv_ms(jw, "duration_ms", rec->duration_ns);
			jw_kv_u64(jw, "probes", rec->probes);
		}
		break;
	case BS_REC_DROP:
		jw_kv_u64(jw, "reason_code", rec->reason);
		jw_kv_str(jw, "reason", drop_reason_name(r->reasons, rec->reason, buf,
							 sizeof(buf)));
		break;
	case BS_REC_RCVBUF:
		jw_kv_u64(jw, "old_rcvbuf", rec->old_rcvbuf);
		jw_kv_u64(jw, "new_rcvbuf", rec->new_rcvbuf);
		break;
	}
	jw_end_object(jw);
	jw_newline(jw);
}

static void json_close(struct render *r, const struct sock_entry *s)
{
	struct json_writer *jw = &r->jw;
	struct sock_row row;

	model_row_totals(s, &row);
	jw_begin_object(jw);
	jw_kv_str(jw, "type", "close");
	json_socket_fields(r, &row, false);	/* totals, without histograms */
	jw_end_object(jw);
	jw_newline(jw);
}

static void json_lost(struct render *r, const struct losses *d)
{
	struct json_writer *jw = &r->jw;
	char t[40];

	jw_begin_object(jw);
	jw_kv_str(jw, "type", "lost");
	jw_kv_str(jw, "time", fmt_time_iso(t, sizeof(t)));
	json_losses(jw, d->events, d->missed_reads, d->untracked_sockets);
	jw_kv_u64(jw, "close_folded", d->close_folded);
	jw_kv_u64(jw, "hook_misses", d->hook_misses);
	jw_end_object(jw);
	jw_newline(jw);
}

/* A percentile as the bucket that holds it: [low, high], high null when
 * open-ended; null for an empty histogram. */
static void json_percentile(struct json_writer *jw, const char *k,
			    const uint64_t *slots, double p)
{
	uint64_t low, high;

	jw_key(jw, k);
	if (!hist_percentile(slots, p, &low, &high)) {
		jw_null(jw);
		return;
	}
	jw_begin_array(jw);
	jw_u64(jw, low);
	if (high)
		jw_u64(jw, high);
	else
		jw_null(jw);
	jw_end_array(jw);
}

static void json_hist_group(struct render *r, const struct hist_frame *hf,
			    const struct hist_group *g)
{
	struct json_writer *jw = &r->jw;

	jw_begin_object(jw);
	if (g->pid) {
		jw_kv_u64(jw, "pid", g->pid);
		jw_key(jw, "comm");
		jw_strn(jw, g->s->comm, sizeof(g->s->comm));
	} else {
		jw_kv_null(jw, "pid");
		jw_kv_null(jw, "comm");
	}
	jw_kv_u64(jw, "sockets", g->sockets);
	if (hf->by_socket) {
		jw_kv_u64(jw, "cookie", g->s->cookie);
		jw_kv_bool(jw, "folded", g->s->folded);
		jw_kv_bool(jw, "evicted", g->s->aggregate != AGG_NONE);
		json_endpoints(jw, &g->s->ep);
	}
	jw_key(jw, "hist");
	jw_begin_object(jw);
	for (unsigned i = 0; i < BS_HIST_N; i++) {
		unsigned k = hist_kind_order[i];
		const uint64_t *slots = g->hist[k];

		jw_key(jw, hist_kind(k)->key);
		jw_begin_object(jw);
		jw_kv_u64(jw, "count", hist_total(slots));
		json_percentile(jw, "p50", slots, 50);
		json_percentile(jw, "p90", slots, 90);
		json_percentile(jw, "p99", slots, 99);
		json_hist(jw, "buckets", slots);
		jw_end_object(jw);
	}
	jw_end_object(jw);
	jw_end_object(jw);
}

static void json_hist_frame(struct render *r, const struct hist_frame *hf)
{
	struct json_writer *jw = &r->jw;
	char t[40];

	jw_begin_object(jw);
	jw_kv_str(jw, "type", hf->summary ? "hist_summary" : "hist_interval");
	jw_kv_str(jw, "time", fmt_time_iso(t, sizeof(t)));
	jw_kv_u64(jw, hf->summary ? "duration_ms" : "interval_ms",
		  (uint64_t)llround(hf->elapsed_s * 1000));
	jw_kv_str(jw, "by", hf->by_socket ? "socket" : "process");
	json_frame_losses(jw, &hf->lost, true);
	jw_key(jw, "groups");
	jw_begin_array(jw);
	for (size_t i = 0; i < hf->n; i++)
		json_hist_group(r, hf, &hf->groups[i]);
	jw_end_array(jw);
	jw_end_object(jw);
	jw_newline(jw);
}

const struct render_ops render_json_ops = {
	.redraws = false,
	.interval = json_interval,
	.summary = json_summary,
	.read = json_read,
	.close = json_close,
	.flow = json_flow,
	.lost = json_lost,
	.hist = json_hist_frame,
};
