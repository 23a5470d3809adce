// SPDX-License-Identifier: GPL-2.0
/*
 * The validation run's sink: every read and episode record as it comes, a
 * timeline sample at each pass, and at the end each side's counts from the
 * model. A socket's side is its local address: the sender's and the
 * receiver's namespaces each have one (validate/netenv.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include "kernel/hooks.h"
#include "util/array.h"
#include "validate/observe.h"
#include "workload.h"

struct observer {
	struct observe_config cfg;
	struct observation *o;
	int err;
};

/* The side a socket is on, by its local address; -1: neither. */
static int side_of(const struct observer *ob, const struct bs_endpoints *ep)
{
	size_t n = ep->family == AF_INET6 ? 16 : 4;

	if (ep->family != ob->cfg.family)
		return -1;
	for (int s = 0; s < SIDE__N; s++)
		if (!memcmp(ep->saddr, ob->cfg.addr[s], n))
			return s;
	return -1;
}

static uint64_t rel(const struct observer *ob, uint64_t ns)
{
	return ns > ob->o->t0_ns ? ns - ob->o->t0_ns : 0;
}

/* Room for element n of a list kept up to max elements (array_reserve). */
static int grow(void *arr, size_t *cap, size_t n, size_t size, size_t max)
{
	return n >= max ? -ENOSPC : array_reserve(arr, cap, n, size, 64);
}

static void on_read(struct observer *ob, const struct bs_read_rec *r)
{
	int side = side_of(ob, &r->ep);
	struct obs_side *s;
	struct obs_read *x;
	int err;

	if (side < 0 || r->ret <= 0 || (r->flags & BS_RF_PEEK))
		return;		/* data reads only, as the reads count */
	s = &ob->o->side[side];
	err = grow(&s->reads, &s->reads_cap, s->nreads, sizeof(*x),
		   OBS_MAX_READS);
	if (err) {
		s->reads_not_kept++;
		return;
	}
	x = &s->reads[s->nreads++];
	x->t_ns = rel(ob, r->ts_ns);
	x->ret = (uint32_t)r->ret;
	x->req = (r->flags & BS_RF_REQ_KNOWN) ? r->req : 0;
	x->queue_before = r->queue_before;
	x->queue_after = r->queue_after;
}

static void on_flow(struct observer *ob, const struct bs_flow_rec *f)
{
	int side = side_of(ob, &f->ep);
	struct obs_side *s;
	struct obs_episode *ep = NULL;
	unsigned d = f->dir;

	if (side < 0 || d >= BS_ZW_N)
		return;
	s = &ob->o->side[side];
	if (f->kind == BS_REC_RCVBUF) {
		if (f->new_rcvbuf > s->rcvbuf_max)
			s->rcvbuf_max = f->new_rcvbuf;
		return;
	}
	if (f->kind == BS_REC_ZW_PROBE) {
		for (size_t i = s->neps[d]; i-- > 0; )
			if (s->eps[d][i].start_ns == rel(ob, f->start_ns)) {
				if (!s->eps[d][i].first_probe_ns)
					s->eps[d][i].first_probe_ns = rel(ob, f->ts_ns);
				break;
			}
		return;
	}
	if (f->kind != BS_REC_ZW_START && f->kind != BS_REC_ZW_END)
		return;
	/* an end finds its start; one without (its start lost) is made whole */
	for (size_t i = s->neps[d]; i-- > 0 && f->kind == BS_REC_ZW_END; )
		if (!s->eps[d][i].end_ns && s->eps[d][i].start_ns == rel(ob, f->start_ns)) {
			ep = &s->eps[d][i];
			break;
		}
	if (!ep) {
		if (grow(&s->eps[d], &s->eps_cap[d], s->neps[d], sizeof(*ep),
			 OBS_MAX_READS)) {
			ob->err = -ENOMEM;
			return;
		}
		ep = &s->eps[d][s->neps[d]++];
		memset(ep, 0, sizeof(*ep));
		ep->start_ns = rel(ob, f->start_ns ? f->start_ns : f->ts_ns);
		ep->queue = f->queue;
	}
	if (f->kind == BS_REC_ZW_END) {
		ep->end_ns = rel(ob, f->ts_ns);
		if (!ep->end_ns)
			ep->end_ns = 1;
		ep->probes = f->probes;
	}
}

static void record(void *ctx, struct engine *e, const struct engine_record *r)
{
	struct observer *ob = ctx;

	(void)e;
	if (r->kind == BS_REC_READ && r->read)
		on_read(ob, r->read);
	else if (r->flow)
		on_flow(ob, r->flow);
}

/* The model's entries of a side: open and closed sockets, not folds. */
static bool entry_side(const struct observer *ob, const struct sock_entry *s,
		       int side)
{
	return !s->folded && side_of(ob, &s->ep) == side;
}

static int sample(void *ctx, struct engine *e, double elapsed_s)
{
	struct observer *ob = ctx;
	struct observation *o = ob->o;
	const struct model *m = engine_model(e);
	struct obs_side *rx = &o->side[SIDE_RECEIVER];
	struct obs_sample *x;
	uint64_t now = 0;
	int err;

	(void)elapsed_s;
	err = grow(&o->samples, &o->samples_cap, o->nsamples, sizeof(*x),
		   OBS_MAX_SAMPLES);
	if (err)
		return 0;	/* the timeline ends there; the counts go on */
	x = &o->samples[o->nsamples];
	memset(x, 0, sizeof(*x));
	for (size_t i = 0; i < m->n; i++) {
		const struct sock_entry *s = &m->socks[i];

		if (entry_side(ob, s, SIDE_RECEIVER)) {
			x->bytes_read += s->total.bytes;
			if (s->closed)
				continue;
			x->rx_seen = true;
			x->queue += s->queue_bytes;
			if (s->rcv_wnd > x->rcv_wnd)
				x->rcv_wnd = s->rcv_wnd;
			if (s->rcvbuf > x->rcvbuf)
				x->rcvbuf = s->rcvbuf;
			if (!rx->rcvbuf_first)
				rx->rcvbuf_first = s->rcvbuf;
			if (s->sample_ns > now)
				now = s->sample_ns;
		} else if (entry_side(ob, s, SIDE_SENDER) && !s->closed) {
			x->tx_seen = true;
			x->send_queue += s->send_queue;
			if (s->snd_wnd > x->snd_wnd)
				x->snd_wnd = s->snd_wnd;
			if (!o->side[SIDE_SENDER].rcvbuf_first)
				o->side[SIDE_SENDER].rcvbuf_first = s->rcvbuf;
			if (s->sample_ns > now)
				now = s->sample_ns;
		}
	}
	if (x->rcvbuf > rx->rcvbuf_max)
		rx->rcvbuf_max = x->rcvbuf;
	if (x->rcv_wnd > rx->rcv_wnd_max)
		rx->rcv_wnd_max = x->rcv_wnd;
	/* the sockets' own time; none seen: the clock's, now */
	x->t_ns = rel(ob, now ? now : wl_mono_ns());
	o->nsamples++;
	return 0;
}

static void tick(void *ctx, struct engine *e)
{
	struct observer *ob = ctx;

	if (ob->cfg.on_tick)
		ob->cfg.on_tick(ob->cfg.tick_ctx, e);
}

/* One entry's totals added to a side's (or a process's). */
static void add_entry(struct obs_side *side, const struct sock_entry *s)
{
	struct sock_row row;

	model_row_totals(s, &row);
	side->sockets++;
	counts_add(&side->total, &row.d);
	side->drops_lost += row.drops_lost;
	side->drops_expected += row.drops_expected;
	if (s->peak_run > side->queue_peak)
		side->queue_peak = s->peak_run;
	if (s->rcvbuf) {
		side->rcvbuf_last = s->rcvbuf;
		if (!side->rcvbuf_first)
			side->rcvbuf_first = s->rcvbuf;
		if (s->rcvbuf > side->rcvbuf_max)
			side->rcvbuf_max = s->rcvbuf;
	}
}

/* The process an entry counts for, by name; NULL: none, or no room. */
static struct obs_proc *proc_of(struct observation *o, const struct sock_entry *s)
{
	if (!s->comm[0])
		return NULL;
	for (size_t i = 0; i < o->nprocs; i++)
		if (!strncmp(o->procs[i].comm, s->comm, BS_COMM_LEN))
			return &o->procs[i];
	if (o->nprocs >= OBS_MAX_PROCS) {
		o->procs_not_kept++;
		return NULL;
	}
	memcpy(o->procs[o->nprocs].comm, s->comm, BS_COMM_LEN);
	o->procs[o->nprocs].comm[BS_COMM_LEN - 1] = 0;
	return &o->procs[o->nprocs++];
}

/* The run's totals per side, from the model's entries. */
static int finish(void *ctx, struct engine *e, double elapsed_s)
{
	struct observer *ob = ctx;
	struct observation *o = ob->o;
	const struct model *m = engine_model(e);
	const struct hook_status *h = engine_hooks(e);

	sample(ctx, e, elapsed_s);
	o->duration_ns = (uint64_t)(elapsed_s * 1e9);
	o->cpu_us = observe_cpu_us() - o->cpu0_us;
	engine_losses(e, false, &o->losses);
	o->drops_hook = h[HOOK_DROPS].attached;
	o->arrival_hook = h[HOOK_ARRIVAL].attached;
	hooks_describe(h, o->hooks, sizeof(o->hooks));
	for (size_t i = 0; i < m->n; i++) {
		const struct sock_entry *s = &m->socks[i];
		struct obs_proc *p;

		for (int d = 0; d < SIDE__N; d++) {
			if (!entry_side(ob, s, d))
				continue;
			add_entry(&o->side[d], s);
			p = proc_of(o, s);
			if (p)
				add_entry(&p->s, s);
		}
	}
	return ob->err;
}

struct observer *observe_new(const struct observe_config *cfg, struct observation *o)
{
	struct observer *ob = calloc(1, sizeof(*ob));

	if (!ob)
		return NULL;
	ob->cfg = *cfg;
	ob->o = o;
	return ob;
}

struct sink observe_sink(struct observer *ob)
{
	return (struct sink){
		.ctx = ob, .on_record = record, .on_tick = tick,
		.on_pass = sample, .on_finish = finish,
	};
}

void observe_destroy(struct observer *ob)
{
	free(ob);
}

void observe_free(struct observation *o)
{
	for (int d = 0; d < SIDE__N; d++) {
		free(o->side[d].reads);
		for (int z = 0; z < BS_ZW_N; z++)
			free(o->side[d].eps[z]);
	}
	free(o->samples);
	memset(o, 0, sizeof(*o));
}

bool observe_reads_complete(const struct obs_side *s)
{
	uint64_t bytes = 0;

	if (s->reads_not_kept || s->nreads != s->total.reads)
		return false;
	for (size_t i = 0; i < s->nreads; i++)
		bytes += s->reads[i].ret;
	return bytes == s->total.bytes;
}

uint64_t observe_cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

void observe_phase(struct observation *o, uint64_t mono_ns, const char *what)
{
	struct obs_phase *p;

	if (o->nphases >= OBS_MAX_PHASES)
		return;
	p = &o->phases[o->nphases++];
	p->t_ns = mono_ns > o->t0_ns ? mono_ns - o->t0_ns : 0;
	snprintf(p->what, sizeof(p->what), "%s", what);
}
