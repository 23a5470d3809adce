// SPDX-License-Identifier: GPL-2.0
/*
 * The report of a validation run: verdicts, notes, timeline (text, JSON).
 * The SVG picture of the same timeline is in report_svg.c.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "util/fmt.h"
#include "util/json.h"
#include "util/sanitize.h"
#include "validate/report.h"

#define MS 1e6

/* Text from a scenario file or a program, for a terminal: no control byte
 * (sanitize_text). Each call needs its own buffer. */
#define CLEAN(buf, s) sanitize_text(buf, sizeof(buf), s, sizeof(buf) - 1)

static const char *verdict_name(enum verdict v)
{
	return v == V_PASS ? "PASS" : v == V_FAIL ? "FAIL" : "NOT OBSERVABLE";
}

static void note(struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nnotes >= REPORT_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
}

/* Where the kernel differs from the simple story, with the measured values. */
static void kernel_notes(struct report *r)
{
	const struct scenario *s = r->s;
	const struct obs_side *rx = &r->o->side[SIDE_RECEIVER];

	if (!s->receiver.command && s->receiver.rcvbuf && rx->rcvbuf_first &&
	    rx->rcvbuf_first != s->receiver.rcvbuf)
		note(r, "SO_RCVBUF %llu was asked for; the kernel's receive buffer "
		     "was %u (it doubles the value for its bookkeeping)",
		     (unsigned long long)s->receiver.rcvbuf, rx->rcvbuf_first);
	if (rx->total.rcvbuf_changes && rx->rcvbuf_max != rx->rcvbuf_first)
		note(r, "the receive buffer changed %llu times during the run (%u to "
		     "%u bytes: autotuning, or SO_RCVBUF)",
		     (unsigned long long)rx->total.rcvbuf_changes, rx->rcvbuf_first,
		     rx->rcvbuf_max);
	if (rx->sockets && rx->queue_peak && rx->rcvbuf_max &&
	    rx->total.zw_episodes[BS_ZW_SENT])
		note(r, "the window closed with %u bytes queued, %.0f%% of the %u-byte "
		     "receive buffer (the kernel counts memory, not payload)",
		     rx->neps[BS_ZW_SENT] ? rx->eps[BS_ZW_SENT][0].queue : rx->queue_peak,
		     100.0 * (rx->neps[BS_ZW_SENT] ? rx->eps[BS_ZW_SENT][0].queue
			      : rx->queue_peak) / rx->rcvbuf_max, rx->rcvbuf_max);
	if (rx->queue_peak > rx->rcvbuf_max && rx->rcvbuf_max)
		note(r, "the queue held %u bytes, more than the %u-byte receive buffer: "
		     "the kernel checks the limit before it queues a segment, and "
		     "collapses the queue to make room", rx->queue_peak, rx->rcvbuf_max);
	/* the window reopens once a read frees enough, not at the first byte */
	for (size_t i = 0; i < rx->neps[BS_ZW_SENT]; i++) {
		const struct obs_episode *ep = &rx->eps[BS_ZW_SENT][i];
		uint64_t freed = 0;
		unsigned reads = 0;

		if (!ep->end_ns)
			continue;
		for (size_t j = 0; j < rx->nreads; j++)
			if (rx->reads[j].t_ns >= ep->start_ns &&
			    rx->reads[j].t_ns <= ep->end_ns) {
				freed += rx->reads[j].ret;
				reads++;
			}
		if (reads > 1) {
			note(r, "the window reopened only after %u reads had freed %llu "
			     "bytes (episode %zu): the receiver waits for enough space "
			     "before advertising it", reads, (unsigned long long)freed,
			     i + 1);
			break;
		}
	}
	if (r->o->losses.events)
		note(r, "%llu ring-buffer records were lost: lists of reads and "
		     "episodes are incomplete", (unsigned long long)r->o->losses.events);
	if (r->o->losses.close_folded)
		note(r, "%llu closes were folded in the kernel: their sockets' side is "
		     "unknown, their counts are in neither side",
		     (unsigned long long)r->o->losses.close_folded);
	if (r->o->losses.hook_misses)
		note(r, "%llu runs of bufscope's programs were skipped by the kernel "
		     "(hook misses, maybe of other sockets): counts of arrivals and of "
		     "windows and probes received may be low",
		     (unsigned long long)r->o->losses.hook_misses);
}

/* Each capture: where, how many packets, and whether it is whole. */
static void capture_notes(struct report *r)
{
	for (int side = 0; r->cap && side < SIDE__N; side++) {
		const struct capture *c = &r->cap[side];
		char path[160];

		if (!c->path)
			continue;
		sanitize_text(path, sizeof(path), c->path, strlen(c->path));
		if (!c->stats)
			note(r, "capture of the %s's side in %s: tcpdump printed no "
			     "statistics (it was killed): it may lack the last packets",
			     side == SIDE_RECEIVER ? "receiver" : "sender", path);
		else
			note(r, "capture of the %s's side in %s: %llu packets, %llu "
			     "dropped by the kernel%s",
			     side == SIDE_RECEIVER ? "receiver" : "sender", path,
			     (unsigned long long)c->captured, (unsigned long long)c->dropped,
			     c->dropped ? " (the capture is incomplete)" : "");
	}
}

void report_judge(struct report *r)
{
	r->passed = r->failed = r->unobservable = 0;
	for (unsigned i = 0; i < r->s->nexpect; i++) {
		expect_eval(&r->s->expect[i], r->o, &r->res[i]);
		switch (r->res[i].verdict) {
		case V_PASS: r->passed++; break;
		case V_FAIL: r->failed++; break;
		default: r->unobservable++; break;
		}
	}
	kernel_notes(r);
	capture_notes(r);
}

static void fmt_at(char *buf, size_t len, int64_t at_ns)
{
	if (at_ns < 0)
		snprintf(buf, len, "end");
	else
		snprintf(buf, len, "%.0f ms", (double)at_ns / MS);
}

/* ------------------------------------------------------------ timeline */

/* The sample at or just before t. */
static const struct obs_sample *sample_at(const struct observation *o, uint64_t t)
{
	const struct obs_sample *best = NULL;

	for (size_t i = 0; i < o->nsamples; i++) {
		if (o->samples[i].t_ns > t)
			break;
		best = &o->samples[i];
	}
	return best;
}

static bool in_episode(const struct obs_side *s, int dir, uint64_t a, uint64_t b,
		       uint64_t end)
{
	for (size_t i = 0; i < s->neps[dir]; i++) {
		const struct obs_episode *ep = &s->eps[dir][i];
		uint64_t e = ep->end_ns ? ep->end_ns : end;

		if (ep->start_ns < b && e >= a)
			return true;
	}
	return false;
}

#define BAR 20

/* One row of the timeline: [t, next). */
struct row {
	uint32_t queue;		/* most bytes seen waiting in it */
	uint32_t window;	/* the advertised window last sampled in it */
	uint64_t read;		/* bytes read by its end */
	bool zw;
};

/*
 * The reads are exact (each read's queue before it, and what it took); the
 * samples fill in between them (the queue while nobody reads, the window).
 */
static void row_at(const struct observation *o, const struct obs_side *rx,
		   uint64_t t, uint64_t next, struct row *r)
{
	const struct obs_sample *x = sample_at(o, t);
	bool reads_whole = observe_reads_complete(rx);

	memset(r, 0, sizeof(*r));
	if (x) {
		r->queue = x->queue;
		r->window = x->rcv_wnd;
		r->read = x->bytes_read;
	}
	for (size_t i = 0; i < o->nsamples && o->samples[i].t_ns < next; i++)
		if (o->samples[i].t_ns >= t) {
			x = &o->samples[i];
			if (x->queue > r->queue)
				r->queue = x->queue;
			r->window = x->rcv_wnd;
			r->read = x->bytes_read;
		}
	if (reads_whole) {
		uint64_t read = 0;

		for (size_t i = 0; i < rx->nreads && rx->reads[i].t_ns < next; i++) {
			read += rx->reads[i].ret;
			if (rx->reads[i].t_ns >= t && rx->reads[i].queue_before > r->queue)
				r->queue = rx->reads[i].queue_before;
		}
		r->read = read;
	}
	r->zw = in_episode(rx, BS_ZW_SENT, t, next, o->duration_ns);
}

/* A round step giving about 30 rows, 1 ms at least. */
static uint64_t row_step(uint64_t end)
{
	static const uint64_t rounds_ms[] = { 1, 2, 5, 10, 20, 50, 100, 200, 250, 500,
					      1000, 2000, 5000, 10000, 30000, 60000 };
	uint64_t want = end / 30;

	for (size_t i = 0; i < sizeof(rounds_ms) / sizeof(rounds_ms[0]); i++)
		if (rounds_ms[i] * 1000000ULL >= want)
			return rounds_ms[i] * 1000000ULL;
	return 60000 * 1000000ULL;
}

static void timeline(FILE *out, const struct report *r)
{
	const struct observation *o = r->o;
	const struct obs_side *rx = &o->side[SIDE_RECEIVER];
	uint64_t end = o->duration_ns, step = row_step(end);
	uint32_t scale = rx->rcvbuf_max ? rx->rcvbuf_max : 1;
	size_t ph = 0;

	if (!o->nsamples || !end) {
		fprintf(out, "\n(no timeline: no pass sampled the sockets)\n");
		return;
	}
	fprintf(out, "\nTimeline of the receiving side, a row every %.0f ms (queue: the "
		"most bytes waiting in the row, of the %u-byte receive buffer; window: "
		"as last advertised; read: bytes read by the row's end)\n",
		(double)step / MS, rx->rcvbuf_max);
	fprintf(out, "%8s  %-*s %9s %9s %11s %4s  %s\n", "t(ms)", BAR, "queue",
		"bytes", "window", "read", "zw", "phases");
	for (uint64_t t = 0; t < end; t += step) {
		char bar[BAR + 1], phases[160] = "";
		uint64_t next = t + step < end ? t + step : end + 1;
		struct row w;
		unsigned fill;
		size_t off = 0;

		row_at(o, rx, t, next, &w);
		fill = (unsigned)((uint64_t)w.queue * BAR / scale);
		if (fill > BAR)
			fill = BAR;
		memset(bar, '#', fill);
		memset(bar + fill, '.', BAR - fill);
		bar[BAR] = 0;
		for (; ph < o->nphases && (o->phases[ph].t_ns < next || next > end); ph++) {
			char what[sizeof(o->phases[ph].what)];

			off += (size_t)snprintf(phases + off, sizeof(phases) - off, "%s%s",
						off ? "; " : "",
						CLEAN(what, o->phases[ph].what));
		}
		if (off >= sizeof(phases))
			strcpy(phases + sizeof(phases) - 4, "...");
		fprintf(out, "%8.0f  %s %9u %9u %11llu %4s  %s\n", (double)t / MS, bar,
			w.queue, w.window, (unsigned long long)w.read, w.zw ? "ZW" : "",
			phases);
	}
}

/* ------------------------------------------------------------ text */

void report_text(FILE *out, const struct report *r, bool with_timeline)
{
	const struct scenario *s = r->s;
	const struct observation *o = r->o;
	char at[32], name[64], origin[256], desc[256], text[256], v0[96], v1[96],
	     key[96];

	fprintf(out, "Scenario %s (%s)%s%s\n", CLEAN(name, s->name),
		CLEAN(origin, s->origin), s->description[0] ? ": " : "",
		CLEAN(desc, s->description));
	fprintf(out, "Kernel %s; hooks: %s\n", r->kernel, r->o->hooks);
	fprintf(out, "Network: %s %s <-> %s", s->family == AF_INET6 ? "IPv6" : "IPv4",
		scenario_addr(s, SIDE_SENDER), scenario_addr(s, SIDE_RECEIVER));
	fprintf(out, "; to the receiver: %s; to the sender: %s\n",
		r->net->qdisc[TO_RECEIVER], r->net->qdisc[TO_SENDER]);
	for (unsigned i = 0; i < r->net->nsysctls; i++) {
		const struct netenv_sysctl *x = &r->net->sysctls[i];

		CLEAN(key, x->key);
		if (!strcmp(x->value[0], x->value[1]))
			fprintf(out, "  %s = %s\n", key, CLEAN(v0, x->value[0]));
		else
			fprintf(out, "  %s = %s (sender), %s (receiver)\n", key,
				CLEAN(v0, x->value[SIDE_SENDER]),
				CLEAN(v1, x->value[SIDE_RECEIVER]));
	}
	fprintf(out, "Ran %.0f ms (setup %.0f ms, teardown %.0f ms); observing cost "
		"bufscope %.0f ms of CPU (%.1f%% of a core)%s%s\n\n",
		(double)o->duration_ns / MS, r->net->setup_s * 1000,
		r->net->teardown_s * 1000, (double)o->cpu_us / 1000,
		o->duration_ns ? 100.0 * (double)o->cpu_us * 1000 / (double)o->duration_ns : 0,
		o->timed_out ? ", stopped at the time limit" : "",
		o->interrupted ? ", interrupted" : "");
	for (unsigned i = 0; i < s->nexpect; i++) {
		const struct expect_result *x = &r->res[i];

		fmt_at(at, sizeof(at), x->at_ns);
		fprintf(out, "%-4s  %s\n", verdict_name(x->verdict),
			CLEAN(text, s->expect[i].text));
		if (x->verdict == V_UNOBSERVABLE) {
			fprintf(out, "        not observable: %s\n", x->why);
			continue;
		}
		fprintf(out, "        observed %s, expected %s, at %s%s%s\n", x->observed,
			x->bound, at, x->why[0] ? "; " : "", x->why);
	}
	for (unsigned i = 0; i < r->nnotes; i++)
		fprintf(out, "%s%s\n", i ? "      " : "\nNote: ", r->notes[i]);
	if (with_timeline)
		timeline(out, r);
	fprintf(out, "\n%u passed, %u failed", r->passed, r->failed);
	if (r->unobservable)
		fprintf(out, ", %u not observable", r->unobservable);
	fprintf(out, "\n");
}

/* ------------------------------------------------------------ JSON */

/* A side's or a process's counts (the object is left open). */
static void json_counts(struct json_writer *jw, const struct obs_side *s)
{
	jw_begin_object(jw);
	jw_kv_u64(jw, "sockets", s->sockets);
	for (size_t i = 0; i < count_infos_n; i++)
		if (count_infos[i].key)
			count_json(jw, &count_infos[i], &s->total);
	jw_kv_u64(jw, "drops_lost", s->drops_lost);
	jw_kv_u64(jw, "drops_expected", s->drops_expected);
	jw_kv_u64(jw, "queue_peak", s->queue_peak);
	jw_kv_u64(jw, "rcvbuf_first", s->rcvbuf_first);
	jw_kv_u64(jw, "rcvbuf", s->rcvbuf_last);
	jw_kv_u64(jw, "rcvbuf_max", s->rcvbuf_max);
}

static void json_side(struct json_writer *jw, const struct obs_side *s)
{
	json_counts(jw, s);
	jw_key(jw, "app");
	if (s->app.known) {
		jw_begin_object(jw);
		jw_kv_u64(jw, "bytes", s->app.bytes);
		jw_kv_u64(jw, "calls", s->app.calls);
		jw_key(jw, "blocked_ms");
		jw_double(jw, (double)s->app.blocked_ns / MS, 3);
		jw_end_object(jw);
	} else {
		jw_null(jw);
	}
	jw_key(jw, "read_log");	/* [t_ms, requested, returned, queue_before] */
	jw_begin_array(jw);
	for (size_t i = 0; i < s->nreads; i++) {
		jw_begin_array(jw);
		jw_double(jw, (double)s->reads[i].t_ns / MS, 3);
		jw_u64(jw, s->reads[i].req);
		jw_u64(jw, s->reads[i].ret);
		jw_u64(jw, s->reads[i].queue_before);
		jw_end_array(jw);
	}
	jw_end_array(jw);
	jw_kv_u64(jw, "reads_not_kept", s->reads_not_kept);
	jw_key(jw, "episodes");
	jw_begin_array(jw);
	for (int d = 0; d < BS_ZW_N; d++)
		for (size_t i = 0; i < s->neps[d]; i++) {
			const struct obs_episode *ep = &s->eps[d][i];

			jw_begin_object(jw);
			jw_kv_str(jw, "dir", d == BS_ZW_SENT ? "advertised" : "received");
			jw_key(jw, "start_ms");
			jw_double(jw, (double)ep->start_ns / MS, 3);
			jw_key(jw, "end_ms");
			if (ep->end_ns)
				jw_double(jw, (double)ep->end_ns / MS, 3);
			else
				jw_null(jw);
			jw_kv_u64(jw, "queue", ep->queue);
			jw_kv_u64(jw, "probes", ep->probes);
			jw_key(jw, "first_probe_ms");
			if (ep->first_probe_ns)
				jw_double(jw, (double)ep->first_probe_ns / MS, 3);
			else
				jw_null(jw);
			jw_end_object(jw);
		}
	jw_end_array(jw);
	jw_end_object(jw);
}

/* "captures": {"receiver": {"file", "packets", "dropped"}}; packets and
 * dropped null when tcpdump said nothing of them (killed). */
static void json_captures(struct json_writer *jw, const struct report *r)
{
	jw_key(jw, "captures");
	jw_begin_object(jw);
	for (int side = 0; r->cap && side < SIDE__N; side++) {
		const struct capture *c = &r->cap[side];

		if (!c->path)
			continue;
		jw_key(jw, side == SIDE_RECEIVER ? "receiver" : "sender");
		jw_begin_object(jw);
		jw_kv_str(jw, "file", c->path);
		jw_key(jw, "packets");
		if (c->stats)
			jw_u64(jw, c->captured);
		else
			jw_null(jw);
		jw_key(jw, "dropped");
		if (c->stats)
			jw_u64(jw, c->dropped);
		else
			jw_null(jw);
		jw_end_object(jw);
	}
	jw_end_object(jw);
}

/*
 * "bpf_loss": the loss program's own counts per direction that had one (no
 * netem), null counts if they could not be read; left out without any.
 */
static void json_bpf_loss(struct json_writer *jw, const struct netenv *n)
{
	static const char *const dir[PATH__N] = { "to_receiver", "to_sender" };
	bool any = false;

	for (unsigned d = 0; d < PATH__N; d++) {
		if (n->loss_pct[d] <= 0)
			continue;
		if (!any) {
			jw_key(jw, "bpf_loss");
			jw_begin_object(jw);
			any = true;
		}
		jw_key(jw, dir[d]);
		jw_begin_object(jw);
		jw_key(jw, "percent");
		jw_double(jw, n->loss_pct[d], 3);
		jw_key(jw, "dropped");
		if (n->loss_counted[d])
			jw_u64(jw, n->loss_dropped[d]);
		else
			jw_null(jw);
		jw_key(jw, "packets");
		if (n->loss_counted[d])
			jw_u64(jw, n->loss_dropped[d] + n->loss_passed[d]);
		else
			jw_null(jw);
		jw_end_object(jw);
	}
	if (any)
		jw_end_object(jw);
}

void report_json(FILE *out, const struct report *r)
{
	const struct scenario *s = r->s;
	const struct observation *o = r->o;
	struct json_writer jw;

	jw_init(&jw, out);
	jw_begin_object(&jw);
	jw_kv_str(&jw, "type", "validate");
	if (r->run)
		jw_kv_u64(&jw, "run", r->run);
	jw_key(&jw, "scenario");
	jw_begin_object(&jw);
	jw_kv_str(&jw, "name", s->name);
	jw_kv_str(&jw, "origin", s->origin);
	jw_kv_str(&jw, "description", s->description);
	jw_end_object(&jw);
	jw_key(&jw, "environment");
	jw_begin_object(&jw);
	jw_kv_str(&jw, "kernel", r->kernel);
	jw_kv_str(&jw, "hooks", r->o->hooks);
	jw_kv_str(&jw, "bufscope", BUFSCOPE_VERSION);
	jw_kv_str(&jw, "family", s->family == AF_INET6 ? "ipv6" : "ipv4");
	jw_kv_str(&jw, "to_receiver", r->net->qdisc[TO_RECEIVER]);
	jw_kv_str(&jw, "to_sender", r->net->qdisc[TO_SENDER]);
	json_bpf_loss(&jw, r->net);
	jw_key(&jw, "sysctl");
	jw_begin_object(&jw);
	for (unsigned i = 0; i < r->net->nsysctls; i++) {
		jw_key(&jw, r->net->sysctls[i].key);
		jw_begin_object(&jw);
		jw_kv_str(&jw, "sender", r->net->sysctls[i].value[SIDE_SENDER]);
		jw_kv_str(&jw, "receiver", r->net->sysctls[i].value[SIDE_RECEIVER]);
		jw_end_object(&jw);
	}
	jw_end_object(&jw);
	jw_key(&jw, "setup_ms");
	jw_double(&jw, r->net->setup_s * 1000, 1);
	jw_key(&jw, "teardown_ms");
	jw_double(&jw, r->net->teardown_s * 1000, 1);
	jw_key(&jw, "cpu_ms");	/* bufscope's own, during the run */
	jw_double(&jw, (double)o->cpu_us / 1000, 1);
	json_captures(&jw, r);
	jw_end_object(&jw);
	jw_key(&jw, "duration_ms");
	jw_double(&jw, (double)o->duration_ns / MS, 3);
	jw_kv_bool(&jw, "timed_out", o->timed_out);
	jw_kv_bool(&jw, "interrupted", o->interrupted);
	jw_key(&jw, "verdicts");
	jw_begin_array(&jw);
	for (unsigned i = 0; i < s->nexpect; i++) {
		const struct expect_result *x = &r->res[i];

		jw_begin_object(&jw);
		jw_kv_str(&jw, "expect", s->expect[i].text);
		jw_kv_u64(&jw, "line", (uint64_t)s->expect[i].line);
		jw_kv_str(&jw, "verdict", x->verdict == V_PASS ? "pass" :
			  x->verdict == V_FAIL ? "fail" : "not_observable");
		jw_kv_str(&jw, "observed", x->observed);
		jw_kv_str(&jw, "bound", x->bound);
		jw_key(&jw, "at_ms");
		if (x->at_ns >= 0)
			jw_double(&jw, (double)x->at_ns / MS, 3);
		else
			jw_null(&jw);
		jw_kv_str(&jw, "why", x->why);
		jw_end_object(&jw);
	}
	jw_end_array(&jw);
	jw_kv_u64(&jw, "passed", r->passed);
	jw_kv_u64(&jw, "failed", r->failed);
	jw_kv_u64(&jw, "not_observable", r->unobservable);
	jw_key(&jw, "notes");
	jw_begin_array(&jw);
	for (unsigned i = 0; i < r->nnotes; i++)
		jw_str(&jw, r->notes[i]);
	jw_end_array(&jw);
	jw_key(&jw, "sender");
	json_side(&jw, &o->side[SIDE_SENDER]);
	jw_key(&jw, "receiver");
	json_side(&jw, &o->side[SIDE_RECEIVER]);
	jw_key(&jw, "processes");	/* by name, counts only */
	jw_begin_array(&jw);
	for (size_t i = 0; i < o->nprocs; i++) {
		json_counts(&jw, &o->procs[i].s);
		jw_kv_str(&jw, "comm", o->procs[i].comm);
		jw_end_object(&jw);
	}
	jw_end_array(&jw);
	jw_kv_u64(&jw, "processes_not_kept", o->procs_not_kept);
	jw_key(&jw, "phases");
	jw_begin_array(&jw);
	for (size_t i = 0; i < o->nphases; i++) {
		jw_begin_object(&jw);
		jw_key(&jw, "t_ms");
		jw_double(&jw, (double)o->phases[i].t_ns / MS, 3);
		jw_kv_str(&jw, "what", o->phases[i].what);
		jw_end_object(&jw);
	}
	jw_end_array(&jw);
	jw_key(&jw, "samples");	/* [t_ms, queue, rcv_wnd, rcvbuf, bytes_read,
				 * snd_wnd, send_queue] */
	jw_begin_array(&jw);
	for (size_t i = 0; i < o->nsamples; i++) {
		const struct obs_sample *x = &o->samples[i];

		jw_begin_array(&jw);
		jw_double(&jw, (double)x->t_ns / MS, 3);
		jw_u64(&jw, x->queue);
		jw_u64(&jw, x->rcv_wnd);
		jw_u64(&jw, x->rcvbuf);
		jw_u64(&jw, x->bytes_read);
		jw_u64(&jw, x->snd_wnd);
		jw_u64(&jw, x->send_queue);
		jw_end_array(&jw);
	}
	jw_end_array(&jw);
	jw_end_object(&jw);
	jw_newline(&jw);
}

/* ------------------------------------------------------------ --repeat */

void report_tally_add(struct tally *t, const struct report *r)
{
	for (unsigned i = 0; i < r->s->nexpect; i++) {
		t->pass[i] += r->res[i].verdict == V_PASS;
		t->fail[i] += r->res[i].verdict == V_FAIL;
		t->unobs[i] += r->res[i].verdict == V_UNOBSERVABLE;
	}
	t->runs++;
}

void report_tally(FILE *out, const struct scenario *s, const struct tally *t,
		  bool json)
{
	struct json_writer jw;

	if (!json) {
		fprintf(out, "\n%s: pass rates over %u runs\n", s->name, t->runs);
		for (unsigned i = 0; i < s->nexpect; i++)
			fprintf(out, "  %3u/%-3u %s%s\n", t->pass[i], t->runs,
				s->expect[i].text,
				t->unobs[i] ? " (sometimes not observable)" : "");
		return;
	}
	jw_init(&jw, out);
	jw_begin_object(&jw);
	jw_kv_str(&jw, "type", "validate_repeat");
	jw_kv_str(&jw, "scenario", s->name);
	jw_kv_u64(&jw, "runs", t->runs);
	jw_key(&jw, "expectations");
	jw_begin_array(&jw);
	for (unsigned i = 0; i < s->nexpect; i++) {
		jw_begin_object(&jw);
		jw_kv_u64(&jw, "line", (uint64_t)s->expect[i].line);
		jw_kv_u64(&jw, "passed", t->pass[i]);
		jw_kv_u64(&jw, "failed", t->fail[i]);
		jw_kv_u64(&jw, "not_observable", t->unobs[i]);
		jw_end_object(&jw);
	}
	jw_end_array(&jw);
	jw_end_object(&jw);
	jw_newline(&jw);
}
