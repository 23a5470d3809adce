// SPDX-License-Identifier: GPL-2.0
/*
 * Expectations: parsing one [expect] line, and judging it against what was
 * observed. A metric is a count of the model (model/counts.h, under its JSON
 * key) or one of the derived metrics below; a value the run could not observe
 * (a hook not attached, records lost, no socket on that side) is reported as
 * such, never as a pass or a false failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/sanitize.h"
#include "validate/expect.h"
#include "validate/units.h"

#define MS 1000000.0
/* A read returning this soon after an episode's end may have ended it. */
#define REOPEN_SLACK_NS (10 * 1000000ULL)

/* Derived metrics: what a value is, and how it is got. */
enum derived {
	M_BYTES_READ, M_PARTIAL_READS, M_DROPS_LOST, M_DROPS_EXPECTED,
	M_QUEUE_PEAK, M_RCVBUF, M_RCVBUF_FIRST, M_RCVBUF_MAX, M_RCV_WND_MAX,
	M_ZW_EPISODES, M_ZW_RECEIVED, M_EPISODE_MS, M_RECV_EPISODE_MS,
	M_EPISODES_OPEN, M_REOPEN_MS, M_FIRST_PROBE_MS, M_READ_SIZES, M_READ_REQUESTS,
	M_QUEUE_BEFORE, M_SOCKETS, M_APP_BYTES, M_APP_CALLS, M_APP_BLOCKED_MS,
	M_READ_SPAN_MS,
	M__N,
};

static const struct metric_info derived_info[M__N] = {
	[M_BYTES_READ] = { "bytes_read", "bytes", "bytes the side's reads returned "
			   "(the count bytes)" },
	[M_PARTIAL_READS] = { "partial_reads", "", "reads that returned less than "
			      "they asked for (req_reads - full_reads)" },
	[M_DROPS_LOST] = { "drops.lost", "", "drops the kernel classed as losses" },
	[M_DROPS_EXPECTED] = { "drops.expected", "", "drops the kernel classed as "
			       "expected discards" },
	[M_QUEUE_PEAK] = { "queue_peak", "bytes", "most bytes seen waiting to be read" },
	[M_RCVBUF] = { "rcvbuf", "bytes", "sk_rcvbuf at the end (the receive "
		       "buffer's limit)" },
	[M_RCVBUF_FIRST] = { "rcvbuf_first", "bytes", "sk_rcvbuf when first seen" },
	[M_RCVBUF_MAX] = { "rcvbuf_max", "bytes", "the largest sk_rcvbuf seen" },
	[M_RCV_WND_MAX] = { "rcv_wnd_max", "bytes", "the largest window the side "
			    "advertised, as sampled" },
	[M_ZW_EPISODES] = { "zero_window_episodes", "", "zero-window episodes this "
			    "side advertised (its reader was slow)" },
	[M_ZW_RECEIVED] = { "zero_window_received_episodes", "", "zero-window "
			    "episodes the peer advertised (this side's writes "
			    "stalled)" },
	[M_EPISODE_MS] = { "episode_ms", "ms", "each episode this side advertised: "
			   "its length (every one must satisfy the bound)" },
	[M_RECV_EPISODE_MS] = { "received_episode_ms", "ms", "each episode the peer "
				"advertised: its length" },
	[M_EPISODES_OPEN] = { "episodes_open", "", "advertised episodes still open "
			      "at the end" },
	[M_REOPEN_MS] = { "window_reopens_within_ms", "ms", "each advertised "
			  "episode with reads in it: from the read that resumed "
			  "reading (the one after the longest pause inside the "
			  "episode) to the episode's end" },
	[M_FIRST_PROBE_MS] = { "first_probe_ms", "ms", "each advertised episode "
			       "that was probed: from the window closing to the "
			       "first zero-window probe" },
	[M_READ_SIZES] = { "read_sizes", "bytes", "the bytes each read returned, in "
			   "order (reads of data)" },
	[M_READ_REQUESTS] = { "read_requests", "bytes", "the size each read asked "
			      "for, in order" },
	[M_QUEUE_BEFORE] = { "queue_before", "bytes", "bytes waiting before each "
			     "read, in order" },
	[M_SOCKETS] = { "sockets", "", "sockets bufscope saw on the side" },
	[M_APP_BYTES] = { "app_bytes", "bytes", "the built-in program's own count: "
			  "bytes it wrote (sender) or read (receiver)" },
	[M_APP_CALLS] = { "app_calls", "", "the built-in program's own count of "
			  "write or read calls that moved data" },
	[M_READ_SPAN_MS] = { "read_span_ms", "ms", "from the first read that returned "
			     "data to the last: how long the data took to come in "
			     "(a slow link paces it)" },
	[M_APP_BLOCKED_MS] = { "app_blocked_ms", "ms", "the built-in program's time "
			       "inside calls that waited more than 1 ms" },
};

/* Aliases: what users write, for a derived metric. */
static const struct { const char *alias; enum derived m; } aliases[] = {
	{ "bytes_written", M_APP_BYTES }, { "bytes_sent", M_APP_BYTES },
	{ "drops_lost", M_DROPS_LOST }, { "drops_expected", M_DROPS_EXPECTED },
};

/* Metric ids: 0 .. M__N-1 derived, then the counts with a key. */
static int count_metric(size_t i)
{
	return M__N + (int)i;
}

static const struct count_info *count_of(int metric)
{
	if (metric < M__N || (size_t)(metric - M__N) >= count_infos_n)
		return NULL;
	return &count_infos[metric - M__N];
}

static const char *metric_name(int metric)
{
	const struct count_info *ci = count_of(metric);

	return ci ? ci->key : derived_info[metric].name;
}

/* A value per read of data, in order (a list, compared whole with =). */
static bool per_read(int metric)
{
	return metric == M_READ_SIZES || metric == M_READ_REQUESTS ||
	       metric == M_QUEUE_BEFORE;
}

/* A value per episode (every one must satisfy the bound). */
static bool per_episode(int metric)
{
	return metric == M_EPISODE_MS || metric == M_RECV_EPISODE_MS ||
	       metric == M_REOPEN_MS || metric == M_FIRST_PROBE_MS;
}

static bool is_seq(int metric)
{
	return per_read(metric) || per_episode(metric);
}

/* An operator as written (OP_EQ .. OP_GE). */
static const char *op_name(enum expect_op op)
{
	static const char *const names[] = { [OP_EQ] = "=", [OP_NE] = "!=",
					     [OP_LE] = "<=", [OP_GE] = ">=" };

	return op <= OP_GE ? names[op] : "=";
}

static int find_metric(const char *name)
{
	for (int i = 0; i < M__N; i++)
		if (!strcmp(name, derived_info[i].name))
			return i;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(name, aliases[i].alias))
			return aliases[i].m;
	for (size_t i = 0; i < count_infos_n; i++)
		if (count_infos[i].key && !strcmp(name, count_infos[i].key))
			return count_metric(i);
	return -1;
}

/* What a process's sockets have: counts, not the per-read lists, nor what
 * only a built-in program tells. */
static bool per_process(int metric)
{
	return count_of(metric) || metric == M_BYTES_READ || metric == M_PARTIAL_READS ||
	       metric == M_DROPS_LOST || metric == M_DROPS_EXPECTED ||
	       metric == M_QUEUE_PEAK || metric == M_RCVBUF || metric == M_RCVBUF_FIRST ||
	       metric == M_RCVBUF_MAX || metric == M_ZW_EPISODES ||
	       metric == M_ZW_RECEIVED || metric == M_SOCKETS;
}

/* "receiver.reads", "process[socat].reads": 0; -1 no subject, -2 no such
 * metric, -3 a metric a process does not have. */
static int side_metric(const char *text, enum side *side, char proc[16], int *metric)
{
	const char *dot = strchr(text, '.');

	proc[0] = 0;
	if (!strncmp(text, "process[", 8)) {
		const char *close = strstr(text, "].");
		size_t n = close ? (size_t)(close - text - 8) : 0;

		/* printable: the name is shown in verdicts as it is */
		if (!n || n > 15 || memchr(text + 8, '[', n))
			return -1;
		for (size_t i = 0; i < n; i++)
			if (text[8 + i] < 0x20 || text[8 + i] > 0x7e)
				return -1;
		memcpy(proc, text + 8, n);
		proc[n] = 0;
		*side = SIDE_RECEIVER;	/* unused */
		*metric = find_metric(close + 2);
		return *metric < 0 ? -2 : per_process(*metric) ? 0 : -3;
	}
	if (!dot)
		return -1;
	if ((size_t)(dot - text) == 8 && !strncmp(text, "receiver", 8))
		*side = SIDE_RECEIVER;
	else if ((size_t)(dot - text) == 6 && !strncmp(text, "sender", 6))
		*side = SIDE_SENDER;
	else
		return -1;
	*metric = find_metric(dot + 1);
	return *metric < 0 ? -2 : 0;
}

static void trim(char *s)
{
	size_t n = strlen(s);
	char *b = s;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	while (*b == ' ' || *b == '\t')
		b++;
	memmove(s, b, strlen(b) + 1);
}

/* "VALUE +- 20%": the tolerance cut off; 0, or -1 if malformed. */
static int tolerance(char *v, double *tol)
{
	char *pm = strstr(v, "+-");
	double pct;

	*tol = 0;
	if (!pm)
		return 0;
	if (units_percent(pm + 2, &pct) || pct <= 0)
		return -1;
	*tol = pct / 100;
	*pm = 0;
	trim(v);
	return 0;
}

int expect_parse(struct expectation *e, const char *key, const char *value,
		 char *err, size_t errlen)
{
	char k[128], v[512];
	size_t n;
	int rc;

	memset(e, 0, sizeof(*e));
	if (strlen(key) >= sizeof(k) || strlen(value) >= sizeof(v)) {
		snprintf(err, errlen, "too long");
		return -1;
	}
	snprintf(k, sizeof(k), "%s", key);
	snprintf(v, sizeof(v), "%s", value);
	trim(k);
	trim(v);
	e->op = OP_EQ;
	n = strlen(k);
	if (n && strchr("<>!", k[n - 1])) {
		e->op = k[n - 1] == '<' ? OP_LE : k[n - 1] == '>' ? OP_GE : OP_NE;
		k[--n] = 0;
		trim(k);
	}
	{
		char text[sizeof(e->text)];

		/* kept printable: it goes to terminals (the report, --dry-run) */
		snprintf(text, sizeof(text), "%.100s %s %.140s", k, op_name(e->op), v);
		sanitize_text(e->text, sizeof(e->text), text, sizeof(text));
	}
	rc = side_metric(k, &e->side, e->proc, &e->metric);
	if (rc == -1) {
		snprintf(err, errlen, "'%.100s': an expectation names receiver.METRIC, "
			 "sender.METRIC or process[NAME].METRIC (docs/validate.md lists "
			 "the metrics)", k);
		return -1;
	}
	if (rc == -2) {
		snprintf(err, errlen, "'%.100s': no such metric (bufscope validate "
			 "--metrics lists them)", strrchr(k, '.') + 1);
		return -1;
	}
	if (rc == -3) {
		snprintf(err, errlen, "'%.100s': a process has its sockets' counts, not "
			 "the per-read or per-episode lists nor a program's own counts",
			 strrchr(k, '.') + 1);
		return -1;
	}
	if (tolerance(v, &e->tol)) {
		snprintf(err, errlen, "'%s': a tolerance is +- N%% (e.g. 1000 +- 20%%)",
			 value);
		return -1;
	}
	if (v[0] == '[') {
		char *comma = strchr(v, ','), *close = strchr(v, ']');

		if (e->op != OP_EQ || e->tol || !comma || !close || close[1] ||
		    comma > close)
			goto bad_value;
		*comma = *close = 0;
		if (units_bound(v + 1, &e->lo) || units_bound(comma + 1, &e->hi) ||
		    e->lo > e->hi)
			goto bad_value;
		e->op = OP_RANGE;
		return 0;
	}
	if (strchr(v, ',')) {
		char *save = NULL, *tok;

		if (e->op != OP_EQ || e->tol || !per_read(e->metric)) {
			snprintf(err, errlen, "a list is compared with = to read_sizes, "
				 "read_requests or queue_before only");
			return -1;
		}
		for (tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (e->nseq >= EXPECT_MAX_SEQ || units_bytes(tok, &e->seq[e->nseq])) {
				snprintf(err, errlen, "'%s': up to %d sizes, e.g. 4096, 4096, "
					 "2048", value, EXPECT_MAX_SEQ);
				return -1;
			}
			e->nseq++;
		}
		e->op = OP_SEQ;
		return 0;
	}
	if (!side_metric(v, &e->ref_side, e->ref_proc, &e->ref_metric)) {
		if (is_seq(e->ref_metric)) {
			snprintf(err, errlen, "'%s': a list metric cannot be a bound", v);
			return -1;
		}
		e->ref = true;
		return 0;
	}
	if (units_bound(v, &e->value))
		goto bad_value;
	if (per_read(e->metric) && e->op == OP_EQ && !e->tol) {
		/* one read: a list of one, a whole number of bytes as a list's */
		if (units_bytes(v, &e->seq[0]))
			goto bad_value;
		e->nseq = 1;
		e->op = OP_SEQ;
	}
	return 0;
bad_value:
	snprintf(err, errlen, "'%s': a number (with bytes or a time unit), "
		 "[LOW, HIGH], N +- P%%, a list, or side.metric", value);
	return -1;
}

/* ------------------------------------------------------------ values */

/* One metric's value(s) on a side: a scalar, or a list. */
struct value {
	bool ok;
	char why[160];		/* !ok: why it cannot be observed */
	bool fail_unseen;	/* !ok because the side had no socket: a FAIL */
	double x;
	const double *list;	/* is_seq(): n values */
	size_t n;
	const int64_t *at;	/* when each list value was seen */
	int64_t at_ns;		/* scalar: when (-1: the end) */
};

static void unobservable(struct value *v, const char *why)
{
	v->ok = false;
	snprintf(v->why, sizeof(v->why), "%s", why);
}

/* The list metrics, made when asked (freed with the value). */
struct lists {
	double *vals;
	int64_t *at;
};

/*
 * The read that resumed reading in an ended episode: the one after the
 * longest pause in reading during it (from its start, or the read before
 * it). A read's time is its return: the read that reopens the window returns
 * after the update it made, so reads just past the end count. NULL: none.
 */
static const struct obs_read *resume_read(const struct obs_side *s,
					  const struct obs_episode *ep)
{
	const struct obs_read *first = NULL;
	uint64_t prev = 0, gap_max = 0;

	for (size_t j = 0; j < s->nreads; j++) {
		uint64_t t = s->reads[j].t_ns, gap;

		if (t > ep->end_ns + REOPEN_SLACK_NS)
			break;
		if (t >= ep->start_ns) {
			gap = t - (prev > ep->start_ns ? prev : ep->start_ns);
			if (!first || gap > gap_max) {
				first = &s->reads[j];
				gap_max = gap;
			}
		}
		prev = t;
	}
	return first;
}

static const struct obs_side *proc_side(const struct observation *o,
					       const char *proc)
{
	for (size_t i = 0; i < o->nprocs; i++)
		if (!strcmp(o->procs[i].comm, proc))
			return &o->procs[i].s;
	return NULL;
}

static int get(const struct observation *o, enum side side, const char *proc,
	       int metric, struct value *v, struct lists *l)
{
	const struct obs_side *s = proc[0] ? proc_side(o, proc) : &o->side[side];
	const struct count_info *ci = count_of(metric);
	const struct obs_episode *eps;
	size_t neps;
	int dir;

	memset(v, 0, sizeof(*v));
	v->ok = true;
	v->at_ns = -1;
	if (!s) {
		snprintf(v->why, sizeof(v->why), "no socket of a process named %s was "
			 "seen%s", proc, o->procs_not_kept ? " (more than 16 processes: "
			 "not all were kept)" : "");
		v->ok = false;
		v->fail_unseen = !o->procs_not_kept;
		return 0;
	}
	if (metric >= M_APP_BYTES && metric <= M_APP_BLOCKED_MS) {
		if (!s->app.known) {
			unobservable(v, "the program is the user's own: bufscope knows "
				     "only what the kernel saw");
			return 0;
		}
		v->x = metric == M_APP_BYTES ? (double)s->app.bytes :
		       metric == M_APP_CALLS ? (double)s->app.calls :
		       (double)s->app.blocked_ns / MS;
		return 0;
	}
	if (metric == M_SOCKETS) {
		v->x = s->sockets;
		return 0;
	}
	/* a count this kernel cannot give is not observable, whether or not
	 * the side's socket was seen (a sender seen only through its drops
	 * is not seen at all without the drop hook) */
	if (((ci && ci->hook == CH_DROPS) || metric == M_DROPS_LOST ||
	     metric == M_DROPS_EXPECTED) && !o->drops_hook) {
		unobservable(v, "the drop hook is not attached on this kernel");
		return 0;
	}
	if (ci && ci->hook == CH_ARRIVAL && !o->arrival_hook) {
		unobservable(v, "the arrival hook is not attached on this kernel");
		return 0;
	}
	if (!s->sockets) {
		unobservable(v, side == SIDE_RECEIVER ? "bufscope saw no socket on the "
			     "receiver's side" : "bufscope saw no socket on the "
			     "sender's side");
		v->fail_unseen = true;
		return 0;
	}
	if (ci) {
		v->x = (double)count_get(&s->total, ci);
		if (ci->unit == UNIT_NS)
			v->x /= MS;
		return 0;
	}
	switch (metric) {
	case M_BYTES_READ:
		v->x = (double)s->total.bytes;
		return 0;
	case M_PARTIAL_READS:
		v->x = (double)(s->total.req_reads - s->total.full_reads);
		return 0;
	case M_DROPS_LOST:
	case M_DROPS_EXPECTED:
		v->x = (double)(metric == M_DROPS_LOST ? s->drops_lost : s->drops_expected);
		return 0;
	case M_QUEUE_PEAK: v->x = s->queue_peak; return 0;
	case M_RCVBUF: v->x = s->rcvbuf_last; return 0;
	case M_RCVBUF_FIRST: v->x = s->rcvbuf_first; return 0;
	case M_RCVBUF_MAX: v->x = s->rcvbuf_max; return 0;
	case M_RCV_WND_MAX: v->x = s->rcv_wnd_max; return 0;
	case M_ZW_EPISODES: v->x = (double)s->total.zw_episodes[BS_ZW_SENT]; return 0;
	case M_ZW_RECEIVED: v->x = (double)s->total.zw_episodes[BS_ZW_RECV]; return 0;
	case M_EPISODES_OPEN: {
		size_t open = 0;

		for (size_t i = 0; i < s->neps[BS_ZW_SENT]; i++)
			open += !s->eps[BS_ZW_SENT][i].end_ns;
		v->x = (double)open;
		return 0;
	}
	default:
		break;
	}
	/* the lists: from ring-buffer records, which may have been lost */
	if (o->losses.events) {
		char why[160];

		snprintf(why, sizeof(why), "%llu ring-buffer records were lost: the "
			 "list is incomplete", (unsigned long long)o->losses.events);
		unobservable(v, why);
		return 0;
	}
	if (metric == M_READ_SPAN_MS) {
		/* the kept reads are the first ones: the last may be missing */
		if (s->reads_not_kept) {
			unobservable(v, "more reads than bufscope keeps for a list");
			return 0;
		}
		if (!s->nreads) {
			unobservable(v, "no read returned data");
			return 0;
		}
		{
			uint64_t first = s->reads[0].t_ns, last = first;

			/* records of two CPUs may come slightly out of order */
			for (size_t i = 1; i < s->nreads; i++) {
				first = s->reads[i].t_ns < first ? s->reads[i].t_ns : first;
				last = s->reads[i].t_ns > last ? s->reads[i].t_ns : last;
			}
			v->x = (double)(last - first) / MS;
			v->at_ns = (int64_t)last;
		}
		return 0;
	}
	if (per_read(metric)) {
		if (s->reads_not_kept) {
			unobservable(v, "more reads than bufscope keeps for a list");
			return 0;
		}
		l->vals = calloc(s->nreads + 1, sizeof(double));
		l->at = calloc(s->nreads + 1, sizeof(int64_t));
		if (!l->vals || !l->at)
			return -1;
		for (size_t i = 0; i < s->nreads; i++) {
			const struct obs_read *r = &s->reads[i];

			l->vals[v->n] = metric == M_READ_SIZES ? r->ret :
					metric == M_READ_REQUESTS ? r->req : r->queue_before;
			l->at[v->n++] = (int64_t)r->t_ns;
		}
		v->list = l->vals;
		v->at = l->at;
		return 0;
	}
	dir = metric == M_RECV_EPISODE_MS ? BS_ZW_RECV : BS_ZW_SENT;
	eps = s->eps[dir];
	neps = s->neps[dir];
	l->vals = calloc(neps + 1, sizeof(double));
	l->at = calloc(neps + 1, sizeof(int64_t));
	if (!l->vals || !l->at)
		return -1;
	for (size_t i = 0; i < neps; i++) {
		const struct obs_episode *ep = &eps[i];
		uint64_t end = ep->end_ns ? ep->end_ns : o->duration_ns;

		if (metric == M_REOPEN_MS) {
			const struct obs_read *first;

			if (!ep->end_ns)
				continue;	/* never reopened: not a time */
			first = resume_read(s, ep);
			if (!first)
				continue;	/* reopened without a read: netem, probes */
			l->vals[v->n] = first->t_ns >= ep->end_ns ? 0 :
					(double)(ep->end_ns - first->t_ns) / MS;
		} else if (metric == M_FIRST_PROBE_MS) {
			if (!ep->first_probe_ns)
				continue;	/* never probed (a short episode) */
			l->vals[v->n] = (double)(ep->first_probe_ns - ep->start_ns) / MS;
		} else {
			l->vals[v->n] = (double)(end - ep->start_ns) / MS;
		}
		l->at[v->n++] = (int64_t)ep->start_ns;
	}
	v->list = l->vals;
	v->at = l->at;
	return 0;
}

/* ------------------------------------------------------------ judging */

static void fmt_num(char *buf, size_t len, double x)
{
	if (x == floor(x) && fabs(x) < 1e15)
		snprintf(buf, len, "%.0f", x);
	else if (fabs(x) >= 100)
		snprintf(buf, len, "%.1f", x);
	else
		snprintf(buf, len, "%.3g", x);
}

static bool holds(const struct expectation *e, double x, double bound,
		  double lo, double hi)
{
	switch (e->op) {
	case OP_EQ:
		if (e->tol)
			return x >= lo && x <= hi;
		return x == bound;
	case OP_NE: return x != bound;
	case OP_LE: return x <= bound * (1 + e->tol);
	case OP_GE: return x >= bound * (1 - e->tol);
	case OP_RANGE: return x >= lo && x <= hi;
	default: return false;
	}
}

static void list_text(char *buf, size_t len, const double *v, size_t n)
{
	size_t off = 0;

	buf[0] = 0;
	if (!n) {
		snprintf(buf, len, "none");
		return;
	}
	for (size_t i = 0; i < n && off + 24 < len; i++) {
		char num[32];

		fmt_num(num, sizeof(num), v[i]);
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", num);
	}
	if (off + 24 >= len)
		snprintf(buf + len - 5, 5, "...");
}

void expect_eval(const struct expectation *e, const struct observation *o,
		 struct expect_result *r)
{
	struct lists l = { 0 }, lr = { 0 };
	struct value v, ref;
	double bound = e->value, lo = e->lo, hi = e->hi;
	char num[48], num2[48];

	memset(r, 0, sizeof(*r));
	r->at_ns = -1;
	if (get(o, e->side, e->proc, e->metric, &v, &l)) {
		r->verdict = V_UNOBSERVABLE;
		snprintf(r->why, sizeof(r->why), "out of memory");
		goto out;
	}
	if (e->ref) {
		if (get(o, e->ref_side, e->ref_proc, e->ref_metric, &ref, &lr)) {
			r->verdict = V_UNOBSERVABLE;
			snprintf(r->why, sizeof(r->why), "out of memory");
			goto out;
		}
		if (!ref.ok) {
			r->verdict = ref.fail_unseen ? V_FAIL : V_UNOBSERVABLE;
			snprintf(r->why, sizeof(r->why), "the bound: %s", ref.why);
			goto out;
		}
		bound = ref.x;
	}
	if (e->tol && (e->op == OP_EQ)) {
		lo = bound * (1 - e->tol);
		hi = bound * (1 + e->tol);
	}
	/* the bound, as asked */
	if (e->op == OP_SEQ) {
		double seq[EXPECT_MAX_SEQ];

		for (unsigned i = 0; i < e->nseq; i++)
			seq[i] = (double)e->seq[i];
		list_text(num, sizeof(num), seq, e->nseq);
		snprintf(r->bound, sizeof(r->bound), "= %s", num);
	} else if (e->op == OP_RANGE || (e->op == OP_EQ && e->tol)) {
		fmt_num(num, sizeof(num), lo);
		fmt_num(num2, sizeof(num2), hi);
		snprintf(r->bound, sizeof(r->bound), "in [%s, %s]", num, num2);
	} else {
		/* <= and >= with a tolerance: the bound as it was applied */
		double eff = e->op == OP_LE ? bound * (1 + e->tol) :
			     e->op == OP_GE ? bound * (1 - e->tol) : bound;
		char who[96] = "", tol[32] = "";

		fmt_num(num, sizeof(num), eff);
		if (e->ref) {
			struct expectation bound_of = { .side = e->ref_side,
							.metric = e->ref_metric };

			memcpy(bound_of.proc, e->ref_proc, sizeof(bound_of.proc));
			expect_describe(&bound_of, who, sizeof(who));
		}
		if (e->tol)
			snprintf(tol, sizeof(tol), " %s %g%%", e->op == OP_GE ? "-" : "+",
				 e->tol * 100);
		if (e->ref || e->tol)
			snprintf(r->bound, sizeof(r->bound), "%s %s (%s%s)", op_name(e->op), num,
				 e->ref ? who : "", tol + (e->ref ? 0 : 1));
		else
			snprintf(r->bound, sizeof(r->bound), "%s %s", op_name(e->op), num);
	}
	if (!v.ok) {
		r->verdict = v.fail_unseen ? V_FAIL : V_UNOBSERVABLE;
		snprintf(r->why, sizeof(r->why), "%s", v.why);
		snprintf(r->observed, sizeof(r->observed), "-");
		goto out;
	}
	if (!is_seq(e->metric)) {
		fmt_num(r->observed, sizeof(r->observed), v.x);
		r->at_ns = v.at_ns;
		r->verdict = holds(e, v.x, bound, lo, hi) ? V_PASS : V_FAIL;
		goto out;
	}
	list_text(r->observed, sizeof(r->observed), v.list, v.n);
	if (e->op == OP_SEQ) {
		r->verdict = V_PASS;
		if (v.n != e->nseq) {
			r->verdict = V_FAIL;
			snprintf(r->why, sizeof(r->why), "%zu values, not %u", v.n, e->nseq);
		}
		for (size_t i = 0; i < v.n && i < e->nseq; i++)
			if (v.list[i] != (double)e->seq[i]) {
				r->verdict = V_FAIL;
				r->at_ns = v.at[i];
				snprintf(r->why, sizeof(r->why), "value %zu differs", i + 1);
				break;
			}
		goto out;
	}
	/* every value of the list must satisfy the bound; none is a failure */
	if (!v.n) {
		r->verdict = V_FAIL;
		snprintf(r->why, sizeof(r->why), "none happened");
		goto out;
	}
	r->verdict = V_PASS;
	for (size_t i = 0; i < v.n; i++)
		if (!holds(e, v.list[i], bound, lo, hi)) {
			r->verdict = V_FAIL;
			r->at_ns = v.at[i];
			snprintf(r->why, sizeof(r->why), "value %zu of %zu is outside",
				 i + 1, v.n);
			break;
		}
	if (r->verdict == V_PASS)
		r->at_ns = v.at[0];
out:
	free(l.vals);
	free(l.at);
	free(lr.vals);
	free(lr.at);
}

void expect_describe(const struct expectation *e, char *buf, size_t len)
{
	if (e->proc[0])
		snprintf(buf, len, "process[%s].%s", e->proc, metric_name(e->metric));
	else
		snprintf(buf, len, "%s.%s", e->side == SIDE_RECEIVER ? "receiver" : "sender",
			 metric_name(e->metric));
}

size_t expect_metrics(const struct metric_info **out)
{
	*out = derived_info;
	return M__N;
}
