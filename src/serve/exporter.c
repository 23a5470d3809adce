// SPDX-License-Identifier: GPL-2.0
/*
 * serve's metrics. After every pass the engine's thread takes its cursor's
 * interval of the model (deltas since its last take, closed sockets
 * included) and adds each row to the series of its label set: counters
 * only grow and never reset, whatever becomes of the sockets (the model
 * folds closed ones into aggregates that keep their label values). Gauges
 * are made afresh from the open sockets. A scrape writes what the last
 * pass left, under the same lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kernel/cgroups.h"
#include "kernel/drop_reasons.h"
#include "kernel/hooks.h"
#include "model/hist.h"
#include "serve/exporter.h"
#include "util/array.h"
#include "util/fmt.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sanitize.h"
#include "workload.h"

static const char *const label_names[LABEL__N] = {
	[LABEL_PROCESS] = "process", [LABEL_CGROUP] = "cgroup",
	[LABEL_CONTAINER] = "container", [LABEL_PORT] = "port",
	[LABEL_PID] = "pid", [LABEL_PEER] = "peer",
	[LABEL_LOCAL_PORT] = "local_port",
};

const char *labels_known(void)
{
	return "process, cgroup, container, port, pid, peer, local_port";
}

int labels_parse(const char *list, unsigned *mask, char *err, size_t errlen)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		int i;

		for (i = 0; i < LABEL__N; i++)
			if (strlen(label_names[i]) == n && !strncmp(p, label_names[i], n))
				break;
		if (i == LABEL__N) {
			char word[64];

			sanitize_text(word, sizeof(word), p, n);
			snprintf(err, errlen, "unknown label '%s' (labels: %s)", word,
				 labels_known());
			return -1;
		}
		*mask |= 1u << i;
		p += n + (p[n] == ',');
	}
	if (!*mask) {
		snprintf(err, errlen, "no label given (labels: %s)", labels_known());
		return -1;
	}
	return 0;
}

/* Drops of one reason in a series; REASON_OTHER: of reasons not named. */
#define REASON_OTHER UINT32_MAX
struct reason_count {
	uint32_t reason;
	uint64_t n;
};

/* Gauges of the open sockets of a label set, as the last pass found them. */
struct gauges {
	uint64_t sockets, waiting, queued, queued_max, rcvbuf, rcvbuf_max;
	uint64_t zw_open[BS_ZW_N];
};

struct series {
	char *labels;		/* `name="value",...`, escaped */
	uint64_t hash;
	struct counts c;	/* accumulated deltas (drops_expected unused) */
	/* sized reads less full ones, never less than before: the kernel's
	 * two counts are copied apart, one may be a read ahead of the other */
	uint64_t partial;
	uint64_t drops_lost, drops_expected;
	struct reason_count *reasons;
	size_t nreasons, capreasons;
	uint64_t hist[BS_HIST_N][BS_HIST_SLOTS];
	struct gauges g;
};

struct exporter {
	struct exporter_config cfg;
	pthread_mutex_t lock;
	struct model *model;	/* the engine's: engine thread only */
	int cursor;
	const struct drop_reasons *reasons;	/* read-only once loaded */
	struct cgroups *cgroups;	/* the engine's: engine thread only */
	struct series *series;
	size_t n, cap;
	uint32_t *slots;	/* open addressing: index + 1; nslots = 2^k */
	size_t nslots;
	/* label sets refused by --max-series: their hashes, for counting
	 * each once; at most FOLDED_SEEN_MAX remembered */
	uint64_t *folded_seen;
	size_t nfolded_seen, folded_nslots;
	uint64_t series_folded;
	bool folded_saturated;
	/* bufscope's own, as of the last pass */
	struct losses losses;
	struct map_usage maps[COLLECTOR_MAPS];
	size_t nmaps;
	const struct hook_status *hooks;
	uint64_t passes;
	size_t episodes;	/* in the model's episode log */
};

#define FOLDED_SEEN_MAX 65536

/* Never 0: 0 marks an empty slot of folded_seen. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = fnv1a_str(FNV1A_INIT, s, SIZE_MAX);

	return h ? h : 1;
}

struct exporter *exporter_new(const struct exporter_config *cfg)
{
	struct exporter *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->cfg = *cfg;
	x->cursor = -1;
	pthread_mutex_init(&x->lock, NULL);
	return x;
}

void exporter_free(struct exporter *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++) {
		free(x->series[i].labels);
		free(x->series[i].reasons);
	}
	free(x->series);
	free(x->slots);
	free(x->folded_seen);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

int exporter_start(struct exporter *x, struct engine *e)
{
	return exporter_attach(x, engine_model(e), engine_drop_reasons(e),
			       engine_hooks(e), engine_cgroups(e));
}

int exporter_attach(struct exporter *x, struct model *m,
		    const struct drop_reasons *reasons,
		    const struct hook_status *hooks, struct cgroups *cgroups)
{
	x->model = m;
	x->cgroups = cgroups;
	x->reasons = reasons;
	x->hooks = hooks;
	x->cursor = model_cursor_open(x->model, MODEL_CURSOR_HIST);
	if (x->cursor < 0) {
		log_error(NULL, "no cursor left on the model for the metrics");
		return -1;
	}
	return 0;
}

/* --- label values ------------------------------------------------------ */

struct labels_buf {
	char s[8192];
	size_t len;
	bool full;
};

static void lb_put(struct labels_buf *b, const char *s, size_t n)
{
	if (b->len + n >= sizeof(b->s)) {
		b->full = true;
		return;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

/*
 * A label value as the exposition formats escape it (backslash, quote,
 * newline), and made printable: a process chooses its name and its
 * cgroup's, so control bytes and invalid UTF-8 are written as the text
 * \xNN (its backslash escaped), never raw.
 */
static void lb_value(struct labels_buf *b, const char *v)
{
	size_t n = strlen(v);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		uint32_t cp;
		size_t k;
		char hex[8];

		if (c == '\\' || c == '"') {
			char esc[2] = { '\\', (char)c };

			lb_put(b, esc, 2);
		} else if (c >= 0x20 && c < 0x7f) {
			lb_put(b, (const char *)&v[i], 1);
		} else if (c >= 0x80 && (k = utf8_char(v + i, n - i, &cp))) {
			lb_put(b, v + i, k);
			i += k - 1;
		} else {
			snprintf(hex, sizeof(hex), "\\\\x%02x", c);
			lb_put(b, hex, strlen(hex));
		}
	}
}

static void lb_label(struct labels_buf *b, const char *name, const char *value)
{
	if (b->len)
		lb_put(b, ",", 1);
	lb_put(b, name, strlen(name));
	lb_put(b, "=\"", 2);
	lb_value(b, value);
	lb_put(b, "\"", 1);
}

/* The remote address, as text; "" for folds and aggregates. */
static void peer_text(const struct sock_entry *s, char *buf, size_t len)
{
	buf[0] = 0;
	if (s->folded || !s->ep.family)
		return;
	fmt_addr_unmapped(buf, len, s->ep.family, s->ep.daddr);
}

/* The label set of an entry (socket, fold or aggregate). */
static void entry_labels(const struct exporter *x, const struct sock_entry *s,
			 struct labels_buf *b)
{
	static char path[4096], container[80];	/* engine thread only */
	char num[32], peer[INET6_ADDRSTRLEN];
	char comm[BS_COMM_LEN];
	uint32_t pid = model_row_pid(s);
	uint64_t cg = model_cgroup_id(s);
	const char *v;

	b->len = 0;
	b->s[0] = 0;
	b->full = false;
	path[0] = container[0] = 0;
	/* each lookup's text lasts until the next: copied at once */
	if (x->cgroups && cg && (x->cfg.labels & (1u << LABEL_CGROUP)) &&
	    (v = cgroups_path(x->cgroups, cg)))
		snprintf(path, sizeof(path), "%s", v);
	if (x->cgroups && cg && (x->cfg.labels & (1u << LABEL_CONTAINER)) &&
	    (v = cgroups_container(x->cgroups, cg)))
		snprintf(container, sizeof(container), "%s", v);
	memset(comm, 0, sizeof(comm));
	if (s->owner != OWNER_UNKNOWN || s->aggregate == AGG_OTHER)
		memcpy(comm, s->comm, BS_COMM_LEN - 1);
	for (int i = 0; i < LABEL__N; i++) {
		v = "";
		if (!(x->cfg.labels & (1u << i)))
			continue;
		switch (i) {
		case LABEL_PROCESS: v = comm; break;
		case LABEL_CGROUP: v = path; break;
		case LABEL_CONTAINER: v = container; break;
		case LABEL_PORT:
			snprintf(num, sizeof(num), "%u", s->service_port);
			v = s->service_port ? num : "ephemeral";
			break;
		case LABEL_PID:
			snprintf(num, sizeof(num), "%u", pid);
			v = pid ? num : "";
			break;
		case LABEL_PEER:
			peer_text(s, peer, sizeof(peer));
			v = peer;
			break;
		case LABEL_LOCAL_PORT:
			snprintf(num, sizeof(num), "%u", s->ep.sport);
			v = s->folded || !s->ep.family ? "" : num;
			break;
		}
		lb_label(b, label_names[i], v);
	}
}

/* The set beyond --max-series: every label "other". */
static void other_labels(const struct exporter *x, struct labels_buf *b)
{
	b->len = 0;
	b->s[0] = 0;
	for (int i = 0; i < LABEL__N; i++)
		if (x->cfg.labels & (1u << i))
			lb_label(b, label_names[i], "other");
}

/* --- series ------------------------------------------------------------ */

static long series_find(const struct exporter *x, const char *labels, uint64_t h)
{
	if (!x->nslots)
		return -1;
	for (size_t k = h & (x->nslots - 1); x->slots[k]; k = (k + 1) & (x->nslots - 1)) {
		const struct series *s = &x->series[x->slots[k] - 1];

		if (s->hash == h && !strcmp(s->labels, labels))
			return (long)(x->slots[k] - 1);
	}
	return -1;
}

static int slots_grow(struct exporter *x)
{
	size_t n = x->nslots ? x->nslots * 2 : 64;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < x->n; i++) {
		size_t k = x->series[i].hash & (n - 1);

		while (slots[k])
			k = (k + 1) & (n - 1);
		slots[k] = (uint32_t)i + 1;
	}
	free(x->slots);
	x->slots = slots;
	x->nslots = n;
	return 0;
}

static long series_add(struct exporter *x, const char *labels, uint64_t h)
{
	struct series *s;
	size_t k;

	if ((x->n + 1) * 2 > x->nslots && slots_grow(x))
		return -ENOMEM;
	if (array_reserve(&x->series, &x->cap, x->n, sizeof(*x->series), 16))
		return -ENOMEM;
	s = &x->series[x->n];
	memset(s, 0, sizeof(*s));
	s->labels = strdup(labels);
	if (!s->labels)
		return -ENOMEM;
	s->hash = h;
	for (k = h & (x->nslots - 1); x->slots[k]; k = (k + 1) & (x->nslots - 1))
		;
	x->slots[k] = (uint32_t)x->n + 1;
	return (long)x->n++;
}

/* Count a refused label set once (up to FOLDED_SEEN_MAX of them). */
static void note_folded(struct exporter *x, uint64_t h)
{
	size_t k;

	if (x->nfolded_seen * 2 >= x->folded_nslots) {
		size_t n = x->folded_nslots ? x->folded_nslots * 2 : 256;
		uint64_t *t;

		if (x->nfolded_seen >= FOLDED_SEEN_MAX || !(t = calloc(n, sizeof(*t)))) {
			x->folded_saturated = true;
			return;
		}
		for (size_t i = 0; i < x->folded_nslots; i++) {
			uint64_t v = x->folded_seen[i];

			if (!v)
				continue;
			for (k = v & (n - 1); t[k]; k = (k + 1) & (n - 1))
				;
			t[k] = v;
		}
		free(x->folded_seen);
		x->folded_seen = t;
		x->folded_nslots = n;
	}
	for (k = h & (x->folded_nslots - 1); x->folded_seen[k];
	     k = (k + 1) & (x->folded_nslots - 1))
		if (x->folded_seen[k] == h)
			return;
	x->folded_seen[k] = h;
	x->nfolded_seen++;
	x->series_folded++;
}

/* The series of an entry: its label set's, made if there is room, else
 * the "other" set's. NULL on ENOMEM. */
static struct series *series_of(struct exporter *x, const struct sock_entry *e)
{
	static struct labels_buf b;	/* engine thread only */
	uint64_t h;
	long i;

	entry_labels(x, e, &b);
	h = hash_str(b.s);
	i = b.full ? -1 : series_find(x, b.s, h);
	if (i >= 0)
		return &x->series[i];
	if (b.full || x->n + 1 >= x->cfg.max_series) {
		/* the last place is the "other" set's */
		note_folded(x, h);
		other_labels(x, &b);
		h = hash_str(b.s);
		i = series_find(x, b.s, h);
	}
	if (i < 0)
		i = series_add(x, b.s, h);
	return i < 0 ? NULL : &x->series[i];
}

static int add_reason(struct series *s, uint32_t reason, uint64_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < s->nreasons; i++)
		if (s->reasons[i].reason == reason) {
			s->reasons[i].n += n;
			return 0;
		}
	if (array_reserve(&s->reasons, &s->capreasons, s->nreasons,
			  sizeof(*s->reasons), 4))
		return -ENOMEM;
	s->reasons[s->nreasons].reason = reason;
	s->reasons[s->nreasons++].n = n;
	return 0;
}

/* One row of the interval into its series. */
static int add_row(struct exporter *x, const struct sock_row *r)
{
	struct series *s = series_of(x, r->s);
	int err = 0;

	if (!s)
		return -ENOMEM;
	counts_add(&s->c, &r->d);
	if (s->c.req_reads >= s->c.full_reads &&
	    s->c.req_reads - s->c.full_reads > s->partial)
		s->partial = s->c.req_reads - s->c.full_reads;
	s->drops_lost += r->drops_lost;
	s->drops_expected += r->drops_expected;
	for (int k = 0; k < MODEL_DROP_REASONS && !err; k++)
		if (r->drops_by[k])
			err = add_reason(s, r->s->drops_by[k].reason, r->drops_by[k]);
	if (!err)
		err = add_reason(s, REASON_OTHER, r->drops_other);
	if (r->hist) {
		uint64_t *h = &s->hist[0][0];

		for (size_t i = 0; i < BS_HIST_N * BS_HIST_SLOTS; i++)
			h[i] += r->hist[i];
	}
	return err;
}

/* The open sockets' gauges, made afresh. */
static int take_gauges(struct exporter *x)
{
	const struct model *m = x->model;

	for (size_t i = 0; i < x->n; i++)
		memset(&x->series[i].g, 0, sizeof(x->series[i].g));
	for (size_t i = 0; i < m->n; i++) {
		const struct sock_entry *e = &m->socks[i];
		struct gauges *g;
		struct series *s;

		if (e->closed || e->folded || !model_visible(m, e))
			continue;
		s = series_of(x, e);
		if (!s)
			return -ENOMEM;
		g = &s->g;
		g->sockets++;
		g->waiting += e->queue_bytes != 0;
		g->queued += e->queue_bytes;
		if (e->queue_bytes > g->queued_max)
			g->queued_max = e->queue_bytes;
		g->rcvbuf += e->rcvbuf;
		if (e->rcvbuf > g->rcvbuf_max)
			g->rcvbuf_max = e->rcvbuf;
		for (int d = 0; d < BS_ZW_N; d++)
			g->zw_open[d] += e->zw_open_ns[d] != 0;
	}
	return 0;
}

int exporter_pass(struct exporter *x, struct engine *e)
{
	struct map_usage maps[COLLECTOR_MAPS];
	size_t nmaps = engine_map_usage(e, maps, COLLECTOR_MAPS);
	struct losses l;

	engine_losses(e, true, &l);
	return exporter_update(x, &l, maps, nmaps);
}

int exporter_update(struct exporter *x, const struct losses *losses,
		    const struct map_usage *maps, size_t nmaps)
{
	struct sock_row *rows;
	long n;
	int err = 0;

	pthread_mutex_lock(&x->lock);
	n = model_take_interval(x->model, x->cursor, &rows);
	if (n < 0)
		err = -ENOMEM;
	for (long i = 0; i < n && !err; i++)
		err = add_row(x, &rows[i]);
	free(rows);
	if (!err)
		err = take_gauges(x);
	x->losses = *losses;
	x->episodes = x->model->nepisodes;
	x->nmaps = nmaps < COLLECTOR_MAPS ? nmaps : COLLECTOR_MAPS;
	if (x->nmaps)	/* maps may be NULL when there are none */
		memcpy(x->maps, maps, x->nmaps * sizeof(*maps));
	x->passes++;
	pthread_mutex_unlock(&x->lock);
	return err;
}

/* --- the exposition ---------------------------------------------------- */

struct writer {
	FILE *f;
	bool om;	/* OpenMetrics */
};

/*
 * A family's HELP and TYPE. Counters are named without _total in
 * OpenMetrics (their samples have it), with it in the text format; info
 * metrics are gauges in the text format.
 */
static void family(struct writer *w, const char *name, const char *type,
		   const char *help)
{
	bool counter = !strcmp(type, "counter"), info = !strcmp(type, "info");

	if (w->om) {
		fprintf(w->f, "# TYPE bufscope_%s %s\n# HELP bufscope_%s ", name, type, name);
		/* OpenMetrics escapes quotes in HELP too (the texts have no
		 * backslash nor newline) */
		for (const char *p = help; *p; p++)
			fputs(*p == '"' ? "\\\"" : (char[2]){ *p, 0 }, w->f);
		fputc('\n', w->f);
		return;
	}
	fprintf(w->f, "# HELP bufscope_%s%s %s\n# TYPE bufscope_%s%s %s\n",
		name, counter ? "_total" : info ? "_info" : "", help,
		name, counter ? "_total" : info ? "_info" : "",
		info ? "gauge" : type);
}

/* A sample's name and labels: the series', then one more (extra). */
static void sample_head(struct writer *w, const char *name, const char *suffix,
			const char *labels, const char *extra)
{
	bool any = labels && *labels, more = extra && *extra;

	fprintf(w->f, "bufscope_%s%s", name, suffix);
	if (any || more)
		fprintf(w->f, "{%s%s%s}", any ? labels : "", any && more ? "," : "",
			more ? extra : "");
}

static void sample_u64(struct writer *w, const char *name, const char *suffix,
		       const char *labels, const char *extra, uint64_t v)
{
	sample_head(w, name, suffix, labels, extra);
	fprintf(w->f, " %llu\n", (unsigned long long)v);
}

/* Nanoseconds as seconds, exactly. */
static void sample_ns(struct writer *w, const char *name, const char *suffix,
		      const char *labels, const char *extra, uint64_t ns)
{
	sample_head(w, name, suffix, labels, extra);
	fprintf(w->f, " %llu.%09llu\n", (unsigned long long)(ns / 1000000000ULL),
		(unsigned long long)(ns % 1000000000ULL));
}

static const char *const dir_label[BS_ZW_N] = {
	[BS_ZW_SENT] = "direction=\"sent\"", [BS_ZW_RECV] = "direction=\"received\"",
};

/* The counts of the table that have a metric: one family each (a D()
 * entry's two directions in one). */
static void write_counts(struct writer *w, const struct exporter *x)
{
	for (size_t i = 0; i < count_infos_n; i++) {
		const struct count_info *ci = &count_infos[i];

		if (!ci->metric || ci->dir > 0)
			continue;	/* derived, or the second direction */
		family(w, ci->metric, "counter", ci->help);
		for (size_t j = 0; j < x->n; j++) {
			const struct series *s = &x->series[j];

			for (int d = 0; d < (ci->dir < 0 ? 1 : BS_ZW_N); d++) {
				const struct count_info *c = ci + d;
				const char *extra = ci->dir < 0 ? NULL : dir_label[d];

				if (c->unit == UNIT_NS)
					sample_ns(w, c->metric, "_total", s->labels, extra,
						  count_get(&s->c, c));
				else
					sample_u64(w, c->metric, "_total", s->labels, extra,
						   count_get(&s->c, c));
			}
		}
	}
}

/* What the table's counts imply: partial reads, drops by class and by
 * reason. */
static void write_derived(struct writer *w, const struct exporter *x)
{
	char extra[128], buf[64];

	family(w, "partial_reads", "counter",
	       "reads that returned less than requested (sized reads - full reads)");
	for (size_t j = 0; j < x->n; j++) {
		const struct series *s = &x->series[j];

		sample_u64(w, "partial_reads", "_total", s->labels, NULL, s->partial);
	}
	family(w, "drops", "counter",
	       "received segments the kernel dropped for the sockets, by class: "
	       "data lost, or an expected discard");
	for (size_t j = 0; j < x->n; j++) {
		const struct series *s = &x->series[j];

		sample_u64(w, "drops", "_total", s->labels, "class=\"lost\"", s->drops_lost);
		sample_u64(w, "drops", "_total", s->labels, "class=\"expected\"",
			   s->drops_expected);
	}
	family(w, "drops_by_reason", "counter",
	       "received segments the kernel dropped for the sockets, by its reason "
	       "(OTHER: reasons beyond the ones kept per socket, or that the kernel's "
	       "table had no room for)");
	for (size_t j = 0; j < x->n; j++) {
		const struct series *s = &x->series[j];

		for (size_t k = 0; k < s->nreasons; k++) {
			uint32_t r = s->reasons[k].reason;
			const char *name = r == REASON_OTHER ? "OTHER"
				: drop_reason_name(x->reasons, r, buf, sizeof(buf));

			snprintf(extra, sizeof(extra), "reason=\"%s\"", name);
			sample_u64(w, "drops_by_reason", "_total", s->labels, extra,
				   s->reasons[k].n);
		}
	}
}

struct gauge_info {
	const char *name, *help;
	size_t offset;		/* in struct gauges */
	bool per_dir;
};

static const struct gauge_info gauge_infos[] = {
	{ "sockets", "open sockets bufscope tracks (those with reads or bytes "
	  "waiting since it started)", offsetof(struct gauges, sockets), false },
	{ "sockets_waiting", "open sockets with bytes waiting to be read",
	  offsetof(struct gauges, waiting), false },
	{ "queued_bytes", "bytes waiting in the receive queues, summed",
	  offsetof(struct gauges, queued), false },
	{ "queued_max_bytes", "bytes waiting in the fullest receive queue",
	  offsetof(struct gauges, queued_max), false },
	{ "receive_buffer_bytes", "receive buffer sizes (sk_rcvbuf), summed",
	  offsetof(struct gauges, rcvbuf), false },
	{ "receive_buffer_max_bytes", "the largest receive buffer (sk_rcvbuf)",
	  offsetof(struct gauges, rcvbuf_max), false },
	{ "zero_window_open_episodes", "sockets inside a zero-window episode now, "
	  "each way", offsetof(struct gauges, zw_open), true },
};

static void write_gauges(struct writer *w, const struct exporter *x)
{
	for (size_t i = 0; i < sizeof(gauge_infos) / sizeof(gauge_infos[0]); i++) {
		const struct gauge_info *gi = &gauge_infos[i];

		family(w, gi->name, "gauge", gi->help);
		for (size_t j = 0; j < x->n; j++) {
			const struct series *s = &x->series[j];
			const uint64_t *v = (const uint64_t *)((const char *)&s->g + gi->offset);

			for (int d = 0; d < (gi->per_dir ? BS_ZW_N : 1); d++)
				sample_u64(w, gi->name, "", s->labels,
					   gi->per_dir ? dir_label[d] : NULL, v[d]);
		}
	}
}

struct hist_metric {
	unsigned kind;		/* enum bs_hist_kind */
	const char *name, *help;
	/* slots of microseconds (truncated from ns), shown as seconds; the
	 * sum is in ns */
	bool micro;
	size_t sum_offset;	/* its exact sum: a count of the table */
};

static const struct hist_metric hist_metrics[] = {
	{ BS_HIST_REQ, "read_requested_bytes", "requested size of each read whose "
	  "size is known (the application's buffer)", false,
	  offsetof(struct counts, req_bytes) },
	{ BS_HIST_RET, "read_returned_bytes", "bytes each data read returned",
	  false, offsetof(struct counts, bytes) },
	{ BS_HIST_QUEUE, "read_queue_bytes", "bytes waiting in the receive queue "
	  "when each data read began", false, offsetof(struct counts, queue_sum) },
	{ BS_HIST_AGE, "read_residence_seconds", "how long the oldest byte each "
	  "data read took had waited in the queue", true,
	  offsetof(struct counts, age_sum_ns) },
	{ BS_HIST_GAP, "read_interval_seconds", "time since the socket's previous "
	  "data read", true, offsetof(struct counts, gap_sum_ns) },
};

/*
 * le of slot k: the highest value it holds, 2^k - 1 (slot 0: 0); for
 * microsecond slots, whose values were truncated from nanoseconds, 2^k us
 * less 1 ns. The last slot is +Inf.
 */
static void bucket_le(char *buf, size_t len, unsigned k, bool micro, bool om)
{
	uint64_t high = hist_slot_high(k);

	if (k == BS_HIST_SLOTS - 1 || !high)
		snprintf(buf, len, "le=\"+Inf\"");
	else if (micro)
		snprintf(buf, len, "le=\"%llu.%09llu\"",
			 (unsigned long long)((high * 1000 - 1) / 1000000000ULL),
			 (unsigned long long)((high * 1000 - 1) % 1000000000ULL));
	else
		snprintf(buf, len, "le=\"%llu%s\"", (unsigned long long)(high - 1),
			 om ? ".0" : "");
}

static void write_hists(struct writer *w, const struct exporter *x)
{
	char le[64];

	for (size_t i = 0; i < sizeof(hist_metrics) / sizeof(hist_metrics[0]); i++) {
		const struct hist_metric *hm = &hist_metrics[i];

		family(w, hm->name, "histogram", hm->help);
		for (size_t j = 0; j < x->n; j++) {
			const struct series *s = &x->series[j];
			const uint64_t *h = s->hist[hm->kind];
			uint64_t cum = 0;

			/* a label set without observations has none (it
			 * appears with its first; buckets only grow) */
			if (!hist_total(h))
				continue;
			for (unsigned k = 0; k < BS_HIST_SLOTS; k++) {
				cum += h[k];
				bucket_le(le, sizeof(le), k, hm->micro, w->om);
				sample_u64(w, hm->name, "_bucket", s->labels, le, cum);
			}
			uint64_t sum = *(const uint64_t *)((const char *)&s->c +
							   hm->sum_offset);

			sample_u64(w, hm->name, "_count", s->labels, NULL, cum);
			if (hm->micro)
				sample_ns(w, hm->name, "_sum", s->labels, NULL, sum);
			else
				sample_u64(w, hm->name, "_sum", s->labels, NULL, sum);
		}
	}
}

/* bufscope's own counters of what it could not see (struct losses). */
static const struct {
	const char *name, *help;
	size_t offset;		/* in struct losses */
} loss_metrics[] = {
	{ "lost_events", "records the kernel could not send (ring buffer full): "
	  "the counts they carried are missing", offsetof(struct losses, events) },
	{ "missed_reads", "reads whose return was not seen (kprobe tier)",
	  offsetof(struct losses, missed_reads) },
	{ "untracked_sockets", "sockets that could not get state: none of their "
	  "reads is counted", offsetof(struct losses, untracked_sockets) },
	{ "closes_folded", "closes folded in the kernel (ring buffer full): "
	  "counted, without per-socket detail", offsetof(struct losses, close_folded) },
	{ "hist_reads_unfolded", "data reads of folded closes missing from the "
	  "histograms", offsetof(struct losses, hist_reads_unfolded) },
	{ "hook_misses", "runs of bufscope's programs the kernel skipped (a hook "
	  "re-entered on a CPU where it was running): events not seen, of any "
	  "socket (watched or not), so counts may be low",
	  offsetof(struct losses, hook_misses) },
};

static void write_self(struct writer *w, const struct exporter *x,
		       double elapsed_s)
{
	char extra[160];

	for (size_t i = 0; i < sizeof(loss_metrics) / sizeof(loss_metrics[0]); i++) {
		family(w, loss_metrics[i].name, "counter", loss_metrics[i].help);
		sample_u64(w, loss_metrics[i].name, "_total", NULL, NULL,
			   *(const uint64_t *)((const char *)&x->losses +
					       loss_metrics[i].offset));
	}
	family(w, "map_entries", "gauge", "entries in bufscope's bounded tables");
	for (size_t i = 0; i < x->nmaps; i++) {
		snprintf(extra, sizeof(extra), "map=\"%s\"", x->maps[i].name);
		sample_u64(w, "map_entries", "", NULL, extra, x->maps[i].entries);
	}
	sample_u64(w, "map_entries", "", NULL, "map=\"series\"", x->n);
	sample_u64(w, "map_entries", "", NULL, "map=\"episodes\"", x->episodes);
	family(w, "map_capacity", "gauge", "capacity of bufscope's bounded tables");
	for (size_t i = 0; i < x->nmaps; i++) {
		snprintf(extra, sizeof(extra), "map=\"%s\"", x->maps[i].name);
		sample_u64(w, "map_capacity", "", NULL, extra, x->maps[i].capacity);
	}
	sample_u64(w, "map_capacity", "", NULL, "map=\"series\"", x->cfg.max_series);
	sample_u64(w, "map_capacity", "", NULL, "map=\"episodes\"", MODEL_MAX_EPISODES);
	family(w, "series", "gauge", "label sets exposed (--max-series bounds them)");
	sample_u64(w, "series", "", NULL, NULL, x->n);
	family(w, "series_folded", "counter",
	       "label sets beyond --max-series, whose counts went to the set "
	       "labelled \"other\" (each counted once; at least, past 65536)");
	sample_u64(w, "series_folded", "_total", NULL, NULL, x->series_folded);
	family(w, "attach", "info", "the tier each hook attached with");
	for (int i = 0; i < HOOK__COUNT && x->hooks; i++) {
		snprintf(extra, sizeof(extra), "hook=\"%s\",tier=\"%s\"", x->hooks[i].name,
			 x->hooks[i].tier);
		sample_u64(w, "attach", "_info", NULL, extra, 1);
	}
	family(w, "build", "info", "bufscope's version");
	sample_u64(w, "build", "_info", NULL, "version=\"" BUFSCOPE_VERSION "\"", 1);
	family(w, "scrape_duration_seconds", "gauge",
	       "time this scrape took until this line: its pass and the writing");
	sample_head(w, "scrape_duration_seconds", "", NULL, NULL);
	fprintf(w->f, " %.6f\n", elapsed_s);
}

int exporter_render(struct exporter *x, bool openmetrics, double pass_s,
		    char **body, size_t *len)
{
	unsigned long long t0 = wl_mono_ns();
	struct writer w = { .om = openmetrics };
	int err = 0;

	*body = NULL;
	*len = 0;
	w.f = open_memstream(body, len);
	if (!w.f)
		return -ENOMEM;
	pthread_mutex_lock(&x->lock);
	write_counts(&w, x);
	write_derived(&w, x);
	write_gauges(&w, x);
	write_hists(&w, x);
	write_self(&w, x, pass_s + (double)(wl_mono_ns() - t0) / 1e9);
	pthread_mutex_unlock(&x->lock);
	if (openmetrics)
		fputs("# EOF\n", w.f);
	if (ferror(w.f))
		err = -ENOMEM;
	if (fclose(w.f) || err) {
		free(*body);
		*body = NULL;
		return -ENOMEM;
	}
	return 0;
}
