// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "util/array.h"
#include "util/hash.h"
#include "kernel/drop_reasons.h"
#include "model/hist.h"
#include "model/model.h"

#define MODEL_MIN_SLOTS 1024

static size_t slot_of(uint64_t cookie, size_t nslots)
{
	/* cookies are sequential: mix them before masking */
	cookie ^= cookie >> 33;
	cookie *= 0xff51afd7ed558ccdULL;
	cookie ^= cookie >> 33;
	return (size_t)(cookie & (nslots - 1));
}

/*
 * A socket's endpoints, the address of either family in IPv6 form (IPv4 as
 * v4-mapped, ::ffff:a.b.c.d), so that an IPv4 socket and its peer accepted
 * by an IPv6 listener name the same addresses.
 */
struct tuple {
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
};

static void addr_as_v6(uint8_t out[16], uint16_t family, const uint8_t *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET6) {
		memcpy(out, a, 16);
		return;
	}
	memcpy(out, mapped, sizeof(mapped));
	memcpy(out + 12, a, 4);
}

/* The tuple as the socket sees it, or as its peer does (`reversed`). */
static void tuple_of(struct tuple *t, const struct bs_endpoints *ep, bool reversed)
{
	memset(t, 0, sizeof(*t));
	addr_as_v6(reversed ? t->raddr : t->laddr, ep->family, ep->saddr);
	addr_as_v6(reversed ? t->laddr : t->raddr, ep->family, ep->daddr);
	t->lport = reversed ? ep->dport : ep->sport;
	t->rport = reversed ? ep->sport : ep->dport;
}

static size_t tuple_slot(const struct tuple *t, size_t nslots)
{
	return slot_of(fnv1a(FNV1A_INIT, t, sizeof(*t)), nslots);
}

static bool tuple_eq(const struct tuple *a, const struct tuple *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static void peer_insert(uint32_t *slots, size_t nslots, const struct sock_entry *s,
			uint32_t idx)
{
	struct tuple t;
	size_t k;

	tuple_of(&t, &s->ep, false);
	k = tuple_slot(&t, nslots);
	while (slots[k])
		k = (k + 1) & (nslots - 1);
	slots[k] = idx + 1;
}

/*
 * Both indexes from the entries: by cookie, and by endpoints for those whose
 * endpoints are known. Rebuilding also drops the index's stale slots (a
 * socket whose endpoints changed is indexed again under the new ones).
 */
static void index_fill(struct model *m, uint32_t *slots, uint32_t *peers,
		       size_t nslots)
{
	m->peer_used = 0;
	for (size_t i = 0; i < m->n; i++) {
		size_t k = slot_of(m->socks[i].cookie, nslots);

		while (slots[k])
			k = (k + 1) & (nslots - 1);
		slots[k] = (uint32_t)(i + 1);
		if (m->socks[i].peer_indexed) {
			peer_insert(peers, nslots, &m->socks[i], (uint32_t)i);
			m->peer_used++;
		}
	}
}

static int rehash(struct model *m, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));
	uint32_t *peers = calloc(nslots, sizeof(*peers));

	if (!slots || !peers) {
		free(slots);
		free(peers);
		return -ENOMEM;
	}
	index_fill(m, slots, peers, nslots);
	free(m->slots);
	free(m->peer_slots);
	m->slots = slots;
	m->peer_slots = peers;
	m->nslots = nslots;
	return 0;
}

/* The endpoints a record gives; indexed for model_peer when they are new. */
static int set_endpoints(struct model *m, struct sock_entry *s,
			 const struct bs_endpoints *ep)
{
	struct tuple was, now;

	tuple_of(&was, &s->ep, false);
	tuple_of(&now, ep, false);
	s->ep = *ep;
	if (s->peer_indexed && (tuple_eq(&was, &now) || !ep->family))
		return 0;
	s->peer_indexed = ep->family != 0;
	if (!s->peer_indexed)
		return 0;
	/* the slots of changed endpoints stay until a rebuild clears them */
	if ((m->peer_used + 1) * 2 > m->nslots)
		return rehash(m, m->nslots);
	peer_insert(m->peer_slots, m->nslots, s, (uint32_t)(s - m->socks));
	m->peer_used++;
	return 0;
}

int model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	return rehash(m, MODEL_MIN_SLOTS);
}

/* The memory an entry owns besides itself. */
static void entry_free(struct sock_entry *s)
{
	free(s->hist);
	for (int c = 0; c < MODEL_CURSORS; c++)
		free(s->mark[c].hist);
}

void model_free(struct model *m)
{
	for (size_t i = 0; i < m->n; i++)
		entry_free(&m->socks[i]);
	free(m->socks);
	free(m->slots);
	free(m->peer_slots);
	free(m->episodes);
	free(m->fold_slots);
	memset(m, 0, sizeof(*m));
}

struct sock_entry *model_find(const struct model *m, uint64_t cookie)
{
	size_t k = slot_of(cookie, m->nslots);

	while (m->slots[k]) {
		struct sock_entry *s = &m->socks[m->slots[k] - 1];

		if (s->cookie == cookie)
			return s;
		k = (k + 1) & (m->nslots - 1);
	}
	return NULL;
}

static struct sock_entry *model_add(struct model *m, uint64_t cookie)
{
	struct sock_entry *s;
	size_t k;

	if (m->n >= UINT32_MAX - 1)
		return NULL;
	if ((m->n + 1) * 2 > m->nslots && rehash(m, m->nslots * 2))
		return NULL;
	if (array_reserve(&m->socks, &m->cap, m->n, sizeof(*m->socks), 256))
		return NULL;
	s = &m->socks[m->n];
	memset(s, 0, sizeof(*s));
	s->cookie = cookie;
	k = slot_of(cookie, m->nslots);
	while (m->slots[k])
		k = (k + 1) & (m->nslots - 1);
	m->slots[k] = (uint32_t)(m->n + 1);
	m->n++;
	return s;
}

/* Time in zero-window episodes up to `now`, the open one included. */
static uint64_t zw_time(const struct bs_zw_side *z, uint64_t now)
{
	return z->total_ns + (z->start_ns && now > z->start_ns ? now - z->start_ns : 0);
}

static void counts_from_flow(struct counts *c, const struct bs_flow_state *f,
			     uint64_t now)
{
	for (int d = 0; d < BS_ZW_N; d++) {
		c->zw_segments[d] = f->zw[d].segments;
		c->zw_episodes[d] = f->zw[d].episodes;
		c->zw_ns[d] = zw_time(&f->zw[d], now);
		c->zw_probes[d] = f->zw[d].probes;
	}
	c->drops = f->drops;
	c->drops_expected = f->drops_expected;
	c->rcvbuf_changes = f->rcvbuf_changes;
}

static void counts_from_kernel(struct counts *c, const struct bs_read_counters *k)
{
	c->reads = k->reads;
	c->bytes = k->bytes;
	c->req_reads = k->req_reads;
	c->req_bytes = k->req_bytes;
	c->full_reads = k->full_reads;
	c->eof_reads = k->eof_reads;
	c->eagain_reads = k->eagain_reads;
	c->error_reads = k->error_reads;
	c->peek_reads = k->peek_reads;
	c->peek_bytes = k->peek_bytes;
	c->arrivals = k->arrivals;
	c->queue_sum = k->queue_sum;
	c->age_sum_ns = k->age_sum_ns;
	c->gap_sum_ns = k->gap_sum_ns;
}


static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static struct episode *episode_open(struct model *m, uint64_t cookie, uint32_t dir);

/*
 * A socket destroyed inside an episode sends no end: the episode ends with it.
 * Its probes come from the final state when there is one.
 */
static void end_episodes_of(struct model *m, struct sock_entry *s,
			    uint64_t when, const struct bs_flow_state *f)
{
	for (uint32_t d = 0; d < BS_ZW_N; d++) {
		struct episode *e = episode_open(m, s->cookie, d);

		s->open_episode[d] = 0;
		if (!e)
			continue;
		e->end_ns = when > e->start_ns ? when : e->start_ns;
		if (f)
			e->probes = (uint32_t)f->zw[d].probes - f->zw[d].start_probes;
	}
}

#define HIST_BYTES (BS_HIST_N * BS_HIST_SLOTS * sizeof(uint64_t))

/* A full record's (or a fold's) histograms, [BS_HIST_N][BS_HIST_SLOTS];
 * an entry without any stays without memory. */
static int take_hist(struct sock_entry *s, const uint64_t *h)
{
	if (!s->hist) {
		if (!hist_any(h, BS_HIST_N * BS_HIST_SLOTS))
			return 0;
		s->hist = malloc(HIST_BYTES);
		if (!s->hist)
			return -ENOMEM;
	}
	memcpy(s->hist, h, HIST_BYTES);
	return 0;
}

/*
 * A socket without a peer port is no connection: a listener (the kernel side
 * gives listeners no state, but a record of one must not list it either) or
 * a socket that never connected. Neither has anything to report.
 */
static bool is_connection(const struct bs_endpoints *ep)
{
	return ep->dport != 0;
}

/* The most bytes waiting and the oldest byte read, for every cursor's
 * interval and for the run. */
static void note_peak(struct sock_entry *s, uint32_t peak, uint64_t age_ns)
{
	for (int c = 0; c < MODEL_CURSORS; c++) {
		struct cursor_mark *k = &s->mark[c];

		k->peak_interval = max_u32(k->peak_interval, peak);
		if (age_ns > k->age_max_interval_ns)
			k->age_max_interval_ns = age_ns;
	}
	s->peak_run = max_u32(s->peak_run, peak);
	if (age_ns > s->age_max_run_ns)
		s->age_max_run_ns = age_ns;
}

/* Closed now: the pass and order that eviction goes by. */
static void set_closed(struct model *m, struct sock_entry *s)
{
	if (!s->closed) {
		s->closed_pass = m->pass;
		s->closed_seq = ++m->close_seq;
	}
	s->closed = true;
}

void model_alive(struct model *m, uint64_t cookie)
{
	struct sock_entry *s = model_find(m, cookie);

	if (s)
		s->seen_in_pass = true;
}

/* The reader the kernel recorded, or (tid 0) the process that closed a
 * socket nobody read. */
static void owner_from_kernel(struct sock_entry *s, const struct bs_reader *r)
{
	if (!r->pid)
		return;
	s->owner = r->tid ? OWNER_READER : OWNER_CLOSER;
	s->pid = r->pid;
	s->tid = r->tid;
	s->cgroup_id = r->cgroup_id;
	memcpy(s->comm, r->comm, sizeof(s->comm));
}

int model_apply(struct model *m, const struct bs_sock_rec *rec)
{
	bool sample = rec->kind == BS_REC_SAMPLE;
	uint32_t peak = rec->queue_bytes;
	uint64_t age_ns = 0;
	struct sock_entry *s;

	if (rec->kind != BS_REC_SOCK && rec->kind != BS_REC_CLOSE && !sample)
		return -EINVAL;
	s = model_find(m, rec->cookie);
	if (s && s->destroyed && rec->kind != BS_REC_CLOSE)
		return 0;	/* a late sample of a socket already closed */
	if (s && s->vanished) {
		/* missed by a pass, or its close record came: the kernel
		 * counts it as having what this record says */
		s->closed = false;
		s->vanished = false;
	}
	/* An idle socket (no state, nothing waiting) is not worth an entry:
	 * a host has thousands, and they would only be listed as idle. */
	if (!s && !(rec->flags & BS_SF_HAS_STATE) && !rec->queue_bytes)
		return 0;
	if (!s && !is_connection(&rec->ep))
		return 0;
	if (!s) {
		s = model_add(m, rec->cookie);
		if (!s)
			return -ENOMEM;
	}
	s->inode = rec->inode ? rec->inode : s->inode;
	s->service_port = rec->flags & BS_SF_SERVICE ? rec->ep.sport : 0;
	if (set_endpoints(m, s, &rec->ep))
		return -ENOMEM;
	s->queue_bytes = rec->queue_bytes;
	s->rcvbuf = rec->rcvbuf;
	s->rmem_alloc = rec->rmem_alloc;
	s->rcv_wnd = rec->rcv_wnd;
	s->snd_wnd = rec->snd_wnd;
	s->send_queue = rec->send_queue;
	s->sample_ns = rec->ts_ns;
	if (!s->first_seen_ns)
		s->first_seen_ns = rec->ts_ns;
	s->seen_in_pass = true;
	if (rec->flags & BS_SF_HAS_STATE) {
		const struct bs_sock_state *st = &rec->state;
		uint64_t qpeak = st->c.queue_peak;

		counts_from_kernel(&s->total, &st->c);
		counts_from_flow(&s->total, &st->f, rec->ts_ns);
		if (!sample && take_hist(s, (const uint64_t *)&st->hist[0][0]))
			return -ENOMEM;
		for (int d = 0; d < BS_ZW_N; d++)
			s->zw_open_ns[d] = st->f.zw[d].start_ns;
		s->last_read_ns = st->c.last_read_ns;
		s->incomplete |= st->f.incomplete;
		s->nonempty_since_ns = st->f.nonempty_since_ns;
		/* the kernel restarts it each pass: a maximum since the last one */
		age_ns = st->f.age_max_ns;
		peak = max_u32(peak, qpeak > UINT32_MAX ? UINT32_MAX : (uint32_t)qpeak);
	}
	note_peak(s, peak, age_ns);
	if (rec->flags & BS_SF_HAS_READER)
		owner_from_kernel(s, &rec->state.reader);
	/* a socket whose counts are known short is shown, even at zero: its
	 * activity may be what the kernel could not count (a full table) */
	if (counts_any(&s->total) || s->peak_run || s->incomplete)
		s->active = true;
	if (rec->kind == BS_REC_CLOSE) {
		set_closed(m, s);
		s->destroyed = true;
		end_episodes_of(m, s, rec->ts_ns,
				(rec->flags & BS_SF_HAS_STATE) ? &rec->state.f : NULL);
	}
	return 0;
}

/* Forgets the oldest ended episodes; open ones stay, and their sockets are
 * told where they moved. */
static void episodes_compact(struct model *m)
{
	size_t kept = 0, forgotten = 0;

	for (size_t i = 0; i < m->nepisodes; i++) {
		struct episode *e = &m->episodes[i];

		if (e->end_ns && forgotten < MODEL_FORGET_EPISODES) {
			forgotten++;
			continue;
		}
		m->episodes[kept++] = *e;
	}
	m->nepisodes = kept;
	m->episodes_forgotten += forgotten;
	for (size_t i = 0; i < m->nepisodes; i++) {
		const struct episode *e = &m->episodes[i];
		struct sock_entry *s;

		if (!e->end_ns && (s = model_find(m, e->cookie)))
			s->open_episode[e->dir] = (uint32_t)(i + 1);
	}
}

static struct episode *episode_add(struct model *m)
{
	if (m->nepisodes >= MODEL_MAX_EPISODES) {
		episodes_compact(m);
		if (m->nepisodes >= MODEL_MAX_EPISODES)
			return NULL;	/* all open: nothing to forget */
	}
	if (array_reserve(&m->episodes, &m->episodes_cap, m->nepisodes,
			  sizeof(*m->episodes), 64))
		return NULL;
	memset(&m->episodes[m->nepisodes], 0, sizeof(*m->episodes));
	return &m->episodes[m->nepisodes++];
}

/* The socket's open episode in direction dir: no search, its index is kept. */
static struct episode *episode_open(struct model *m, uint64_t cookie, uint32_t dir)
{
	struct sock_entry *s = model_find(m, cookie);
	uint32_t i = s ? s->open_episode[dir] : 0;
	struct episode *e;

	if (!i || i > m->nepisodes)
		return NULL;
	e = &m->episodes[i - 1];
	return e->cookie == cookie && e->dir == dir && !e->end_ns ? e : NULL;
}

static struct episode *episode_started(struct model *m, uint64_t cookie,
				       uint32_t dir, uint64_t start_ns)
{
	for (size_t i = m->nepisodes; i-- > 0;) {
		struct episode *e = &m->episodes[i];

		if (e->cookie == cookie && e->dir == dir && e->start_ns == start_ns)
			return e;
	}
	return NULL;
}

/* A socket first heard of through a flow record: what the record knows. */
static struct sock_entry *entry_from_flow(struct model *m,
					  const struct bs_flow_rec *rec)
{
	struct sock_entry *s = model_find(m, rec->cookie);

	if (s)
		return s;
	s = model_add(m, rec->cookie);
	if (!s || set_endpoints(m, s, &rec->ep))
		return NULL;
	s->first_seen_ns = rec->ts_ns;
	s->sample_ns = rec->ts_ns;
	owner_from_kernel(s, &rec->reader);
	return s;
}

/* A new episode in the log, as a start or end record describes it. */
static struct episode *episode_from(struct model *m, const struct bs_flow_rec *rec,
				    uint32_t dir)
{
	struct episode *e = episode_add(m);

	if (e) {
		e->cookie = rec->cookie;
		e->dir = dir;
		e->start_ns = rec->start_ns;
		e->queue = rec->queue;
	}
	return e;
}

int model_apply_flow(struct model *m, const struct bs_flow_rec *rec)
{
	struct sock_entry *s;
	struct episode *e;
	uint32_t dir = rec->dir < BS_ZW_N ? rec->dir : 0;

	if (rec->kind != BS_REC_ZW_START && rec->kind != BS_REC_ZW_END)
		return 0;	/* drops and rcvbuf changes are counted in the state */
	if (!model_find(m, rec->cookie) && !is_connection(&rec->ep))
		return 0;
	s = entry_from_flow(m, rec);
	if (!s)
		return -ENOMEM;
	s->active = true;
	e = episode_open(m, rec->cookie, dir);
	if (rec->kind == BS_REC_ZW_START) {
		if (!e)
			e = episode_from(m, rec, dir);
		if (!e)
			return -ENOMEM;
		s->open_episode[dir] = (uint32_t)(e - m->episodes + 1);
		if (!s->closed)
			s->zw_open_ns[dir] = rec->start_ns;
		return 0;
	}
	if (!e)	/* ended early when its socket seemed gone: the same episode */
		e = episode_started(m, rec->cookie, dir, rec->start_ns);
	if (!e)	/* its start record was lost */
		e = episode_from(m, rec, dir);
	if (!e)
		return -ENOMEM;
	e->end_ns = rec->ts_ns;
	e->probes = rec->probes;
	s->zw_open_ns[dir] = 0;
	s->open_episode[dir] = 0;
	return 0;
}

/* struct counts is struct bs_totals member for member (bs_totals_to_counts). */
_Static_assert(sizeof(struct counts) == sizeof(struct bs_totals), "counts layout");
_Static_assert(offsetof(struct counts, zw_ns) == offsetof(struct bs_totals, zw_ns),
	       "counts layout");
_Static_assert(offsetof(struct counts, rcvbuf_changes) ==
	       offsetof(struct bs_totals, rcvbuf_changes), "counts layout");
_Static_assert(offsetof(struct counts, drops_expected) ==
	       offsetof(struct bs_totals, drops_expected), "counts layout");

/* Where a reader's fold starts its probe in fold_slots. */
static size_t fold_slot(uint32_t pid, const char *comm, bool unowned, size_t nslots)
{
	/* pid low byte first, whatever the host's byte order */
	const uint8_t pb[4] = { pid, pid >> 8, pid >> 16, pid >> 24 };
	uint64_t h = FNV1A_INIT;

	if (unowned)
		return slot_of(h, nslots);
	h = fnv1a(h, pb, sizeof(pb));
	/* what fold_entry keeps of the key: a reader's name, NUL-terminated */
	if (pid)
		h = fnv1a_str(h, comm, BS_COMM_LEN - 1);
	return slot_of(h, nslots);
}

/* The entry of this key: compared as fold_entry kept it (the name and
 * cgroup of a reader only, the name NUL-terminated), so that a key always
 * finds its entry again, whatever bytes it has beyond that: a fold is
 * cumulative, a second entry would count it twice. */
static bool fold_is(const struct sock_entry *s, const struct bs_fold_key *key,
		    bool unowned)
{
	return s && s->fold_spill == unowned &&
	       (unowned || (s->pid == key->pid && s->service_port == key->port &&
			    (!key->pid || (s->cgroup_id == key->cgroup_id &&
					   !strncmp(s->comm, key->comm, BS_COMM_LEN - 1)))));
}

/* Folded entry i in the index of n slots. */
static void fold_insert(struct model *m, uint32_t *slots, size_t n, size_t i)
{
	const struct sock_entry *s = model_find(m, MODEL_FOLD_COOKIE(i));
	size_t k;

	if (!s)
		return;
	k = fold_slot(s->pid, s->comm, s->fold_spill, n);
	while (slots[k])
		k = (k + 1) & (n - 1);
	slots[k] = (uint32_t)(i + 1);
}

/* Room for one more folded entry in the index: rebuilt twice as large. */
static int fold_reserve(struct model *m)
{
	size_t n = m->fold_nslots ? m->fold_nslots : 64;
	uint32_t *slots;

	if ((m->nfolds + 1) * 2 <= m->fold_nslots)
		return 0;
	while ((m->nfolds + 1) * 2 > n)
		n *= 2;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->nfolds; i++)
		fold_insert(m, slots, n, i);
	free(m->fold_slots);
	m->fold_slots = slots;
	m->fold_nslots = n;
	return 0;
}

/* The folded entry of a reader, made the first time its closes are folded;
 * found through fold_slots, not a scan of the folded entries. */
static struct sock_entry *fold_entry(struct model *m, const struct bs_fold_key *key,
				     bool unowned)
{
	size_t n = m->fold_nslots;
	struct sock_entry *s;

	for (size_t k = n ? fold_slot(key->pid, key->comm, unowned, n) : 0;
	     n && m->fold_slots[k]; k = (k + 1) & (n - 1)) {
		s = model_find(m, MODEL_FOLD_COOKIE(m->fold_slots[k] - 1));
		if (fold_is(s, key, unowned))
			return s;
	}
	if (fold_reserve(m))
		return NULL;
	s = model_add(m, MODEL_FOLD_COOKIE(m->nfolds));
	if (!s)
		return NULL;
	m->nfolds++;
	s->folded = true;
	s->fold_spill = unowned;
	s->closed = true;
	s->destroyed = true;
	if (key->pid && !unowned) {
		s->owner = OWNER_READER;
		s->pid = key->pid;
		s->cgroup_id = key->cgroup_id;
		memcpy(s->comm, key->comm, BS_COMM_LEN);
		s->comm[BS_COMM_LEN - 1] = 0;
	}
	if (!unowned)
		s->service_port = key->port;
	fold_insert(m, m->fold_slots, m->fold_nslots, m->nfolds - 1);
	return s;
}

int model_apply_fold(struct model *m, const struct bs_fold_key *key,
		     bool unowned, const struct bs_fold *f)
{
	struct sock_entry *s;
	struct counts t;

	/*
	 * A close folded while the iterator gives its gate back: the iterator
	 * may take out what user space had before the close adds the whole
	 * (bpf/sockets.bpf.c: gate_give, fold_close), and a read in between
	 * sees values below zero. Kept as it was; the next pass reads it whole.
	 */
	memcpy(&t, &f->t, sizeof(t));
	if (counts_torn(&t) || f->sockets >> 63)
		return 0;
	for (size_t i = 0; i < BS_HIST_N * BS_HIST_SLOTS; i++)
		if ((&f->hist[0][0])[i] >> 63)
			return 0;
	s = fold_entry(m, key, unowned);
	if (!s)
		return -ENOMEM;
	memcpy(&s->total, &t, sizeof(s->total));
	s->folded_sockets = f->sockets;
	s->incomplete |= f->incomplete;
	if (take_hist(s, (const uint64_t *)&f->hist[0][0]))
		return -ENOMEM;
	if (f->sockets || counts_any(&s->total))
		s->active = true;
	return 0;
}

/*
 * The kernel folded the close of a socket under its reader, and counts the
 * socket only in its row (it has one), which an earlier record left without
 * an owner (sent before the first read) or not listed (sent without
 * counts): the row takes the fold's owner, as from a close record, and is
 * listed if the fold has its counts, so that the socket counts once, in
 * the process that has them.
 */
void model_close_owner(struct model *m, uint64_t cookie, const struct bs_reader *r,
		       bool counted)
{
	struct sock_entry *s = model_find(m, cookie);

	if (!s || s->folded)
		return;
	owner_from_kernel(s, r);
	if (counted)
		s->active = true;
}

void model_set_drops(struct model *m, uint64_t cookie, uint32_t reason,
		     uint64_t total)
{
	struct sock_entry *s = model_find(m, cookie);
	uint64_t others = 0;

	if (!s)
		return;
	for (int k = 0; k < MODEL_DROP_REASONS; k++)
		if (s->drops_by[k].total && s->drops_by[k].reason != reason)
			others += s->drops_by[k].total;
	/* A socket gone without its close record keeps the drops of its last
	 * record; the kernel folded the rest into its reader's folded entry,
	 * so its listed reasons may not add up to more (its split comes from
	 * the kernel's class counter instead: split_by_counter). */
	if (s->vanished && total + others > s->total.drops)
		total = s->total.drops > others ? s->total.drops - others : 0;
	for (int k = 0; k < MODEL_DROP_REASONS; k++) {
		struct drop_count *d = &s->drops_by[k];

		if (d->total && d->reason != reason)
			continue;
		if (d->reason != reason)	/* a slot held to 0, reused: */
			for (int c = 0; c < MODEL_CURSORS; c++)	/* its own baseline */
				s->mark[c].drops_reported[k] = 0;
		d->reason = reason;
		d->expected = drop_reason_class(m->reasons, reason) == DROP_EXPECTED;
		d->total = total;
		s->active = true;
		return;
	}
}

const struct sock_entry *model_peer(const struct model *m,
				    const struct sock_entry *s)
{
	const struct sock_entry *best = NULL;
	struct tuple want, t;
	size_t k;

	if (!s->ep.family)
		return NULL;
	tuple_of(&want, &s->ep, true);
	/* the cluster holds every socket with these endpoints: take the newest */
	for (k = tuple_slot(&want, m->nslots); m->peer_slots[k];
	     k = (k + 1) & (m->nslots - 1)) {
		const struct sock_entry *p = &m->socks[m->peer_slots[k] - 1];

		if (p == s || p->folded || !p->peer_indexed || (best && p < best))
			continue;
		tuple_of(&t, &p->ep, false);
		if (tuple_eq(&t, &want))
			best = p;
	}
	return best;
}

static bool cursor_valid(const struct model *m, int cursor)
{
	return cursor >= 0 && cursor < MODEL_CURSORS &&
	       (m->cursors_open & (1u << cursor));
}

bool model_episode_due(const struct episode *e, int cursor)
{
	return !e->end_ns || !(e->shown_end & (1u << cursor));
}

static bool owner_visible(const struct model *m, enum owner_source owner,
			  uint32_t pid, const char *comm, bool holder_in_cgroup);

bool model_episode_shown(const struct model *m, const struct episode *e,
			 int cursor, bool summary)
{
	const struct sock_entry *s = model_find(m, e->cookie);

	if (!summary && !model_episode_due(e, cursor))
		return false;
	if (s)
		return model_visible(m, s);
	/* its socket was evicted: the owner it had; never in the model: shown */
	return !e->gone || owner_visible(m, e->owner, e->pid, e->comm, false);
}

uint64_t model_episode_ns(const struct model *m, const struct episode *e)
{
	const struct sock_entry *s = model_find(m, e->cookie);
	uint64_t end = e->end_ns ? e->end_ns : (s ? s->sample_ns : e->start_ns);

	return end > e->start_ns ? end - e->start_ns : 0;
}

void model_mark_episodes_reported(struct model *m, int cursor)
{
	if (!cursor_valid(m, cursor))
		return;
	for (size_t i = 0; i < m->nepisodes; i++) {
		struct episode *e = &m->episodes[i];

		if (e->end_ns)
			e->shown_end |= 1u << cursor;
		else
			e->shown_open |= 1u << cursor;
	}
}

int64_t model_reader_stall_ns(const struct sock_entry *s)
{
	uint64_t since = s->last_read_ns > s->nonempty_since_ns ? s->last_read_ns
							       : s->nonempty_since_ns;

	if (s->closed || !s->queue_bytes)
		return -1;
	if (!since)
		since = s->first_seen_ns;	/* waiting since before we looked */
	return s->sample_ns > since ? (int64_t)(s->sample_ns - since) : 0;
}

static int model_evict(struct model *m);

void model_begin_pass(struct model *m)
{
	m->pass++;
	/* a failure leaves more entries than the bound, nothing miscounted */
	(void)model_evict(m);
	for (size_t i = 0; i < m->n; i++)
		m->socks[i].seen_in_pass = false;
}

void model_end_pass(struct model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct sock_entry *s = &m->socks[i];

		if (!s->seen_in_pass && !s->closed) {
			set_closed(m, s);
			s->vanished = true;
			s->queue_bytes = 0;
			end_episodes_of(m, s, s->sample_ns, NULL);
		}
	}
}

uint64_t model_cgroup_id(const struct sock_entry *s)
{
	bool known = s->owner == OWNER_READER || s->owner == OWNER_CLOSER ||
		     s->owner == OWNER_FD;

	return known ? s->cgroup_id : 0;
}

void model_set_owner(struct sock_entry *s, uint32_t pid, const char *comm)
{
	if (s->owner == OWNER_READER || s->owner == OWNER_CLOSER)
		return;
	s->owner = OWNER_FD;
	s->pid = pid;
	s->tid = 0;
	memset(s->comm, 0, sizeof(s->comm));
	strncpy(s->comm, comm, sizeof(s->comm) - 1);
}

/*
 * --cgroup: the kernel recorded only readers and closers in the cgroup; a
 * holder /proc found (OWNER_FD) is in it when the engine said so.
 */
static bool cgroup_owner(const struct model *m, enum owner_source owner,
			 bool holder_in_cgroup)
{
	return !m->filter.has_cgroup || owner == OWNER_READER ||
	       owner == OWNER_CLOSER || (owner == OWNER_FD && holder_in_cgroup);
}

static bool owner_visible(const struct model *m, enum owner_source owner,
			  uint32_t pid, const char *comm, bool holder_in_cgroup)
{
	const struct model_filter *f = &m->filter;

	if (!cgroup_owner(m, owner, holder_in_cgroup))
		return false;
	if (!f->npids && !f->has_comm)
		return true;
	if (owner == OWNER_UNKNOWN)
		return false;
	if (f->npids) {
		bool hit = false;

		for (unsigned i = 0; i < f->npids; i++)
			hit |= f->pids[i] == pid;
		if (!hit)
			return false;
	}
	return !f->has_comm || !strncmp(f->comm, comm, BS_COMM_LEN);
}

bool model_visible(const struct model *m, const struct sock_entry *s)
{
	return owner_visible(m, s->owner, s->pid, s->comm, s->holder_in_cgroup);
}

bool model_any_read(const struct model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct sock_entry *s = &m->socks[i];
		const struct counts *c = &s->total;

		if (c->reads + c->eof_reads + c->eagain_reads + c->error_reads +
		    c->peek_reads && model_visible(m, s))
			return true;
	}
	return false;
}

/* Drops the per-reason slots do not account for: reasons beyond the slots. */
static uint64_t unlisted_drops(const struct sock_row *r)
{
	uint64_t listed = 0;

	for (int k = 0; k < MODEL_DROP_REASONS; k++)
		listed += r->drops_by[k];
	/* the counter and the per-reason map are read a moment apart */
	return r->d.drops > listed ? r->d.drops - listed : 0;
}

/*
 * A row whose per-reason counts are not those of its drops: a folded entry
 * has none (the kernel keeps no reasons in a fold), and a socket gone
 * without its close record has them up to its close, while its drops stop
 * at its last sample (the rest is in the fold). Their drops are split by
 * the kernel's own class counter, which the fold carries.
 */
static bool split_by_counter(const struct sock_entry *s)
{
	return s->folded || s->vanished;
}

/*
 * Drops without their reason (OTHER: the kernel's table of drops per reason
 * was full, a reason beyond the ones kept, or the counter read after the
 * table) are of the class the kernel counted beyond the listed ones.
 */
static void class_unlisted(struct sock_row *r)
{
	uint64_t more = r->d.drops_expected > r->drops_expected ?
			r->d.drops_expected - r->drops_expected : 0;

	if (more > r->drops_other)
		more = r->drops_other;
	r->drops_expected += more;
	r->drops_lost -= more;
}

/* The row's drops by class: what its per-reason counts say, or the
 * kernel's counter of expected discards (split_by_counter). */
static void split_drops(struct sock_row *r)
{
	if (split_by_counter(r->s)) {
		r->drops_expected = r->d.drops_expected < r->d.drops ?
				    r->d.drops_expected : r->d.drops;
		r->drops_lost = r->d.drops - r->drops_expected;
		return;
	}
	r->drops_lost = r->drops_other;
	r->drops_expected = 0;
	for (int k = 0; k < MODEL_DROP_REASONS; k++) {
		if (r->s->drops_by[k].expected)
			r->drops_expected += r->drops_by[k];
		else
			r->drops_lost += r->drops_by[k];
	}
	class_unlisted(r);
}

void model_row_totals(const struct sock_entry *s, struct sock_row *r)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->d = s->total;
	r->peak = s->peak_run;
	r->age_max_ns = s->age_max_run_ns;
	for (int k = 0; k < MODEL_DROP_REASONS; k++)
		r->drops_by[k] = s->drops_by[k].total;
	r->drops_other = unlisted_drops(r);
	split_drops(r);
	r->folded = s->folded_sockets;
	r->hist = s->hist;
}

static uint64_t above(uint64_t now, uint64_t taken)
{
	return now > taken ? now - taken : 0;
}

/* Any drop in its totals (most sockets have none: their split is zeros). */
static bool any_drops(const struct sock_entry *s)
{
	if (s->total.drops)
		return true;
	for (int k = 0; k < MODEL_DROP_REASONS; k++)
		if (s->drops_by[k].total)
			return true;
	return false;
}

/* A row of what cursor c would take of s now: deltas since its last take. */
static void row_interval(const struct sock_entry *s, int c, struct sock_row *r)
{
	const struct cursor_mark *k = &s->mark[c];
	struct sock_row t;

	memset(r, 0, sizeof(*r));
	r->s = s;
	counts_sub(&r->d, &s->total, &k->reported);
	r->peak = k->peak_interval;
	r->age_max_ns = k->age_max_interval_ns;
	/* a reason's total can go down (a vanished socket's held to its last
	 * record, model_set_drops): never a huge unsigned delta */
	for (int j = 0; j < MODEL_DROP_REASONS; j++)
		r->drops_by[j] = above(s->drops_by[j].total, k->drops_reported[j]);
	r->folded = s->folded_sockets - k->folded_reported;
	if (s->folded) {	/* no reasons: its counters split it (as totals) */
		r->drops_other = unlisted_drops(r);
		split_drops(r);
		return;
	}
	/*
	 * A socket's counter and its per-reason counts are read a moment
	 * apart: a drop in between is in one interval's reasons and the next
	 * one's counter. Split per interval, it would count twice (listed, then
	 * OTHER); the split of the totals counts it once.
	 */
	if (!any_drops(s))
		return;
	model_row_totals(s, &t);
	r->drops_other = above(t.drops_other, k->other_reported);
	r->drops_lost = above(t.drops_lost, k->lost_reported);
	r->drops_expected = above(t.drops_expected, k->expected_reported);
}

/* What cursor c has taken of s's drop split: the most of the totals' yet
 * (a vanished socket's may go down, then up again: counted once). */
static void mark_split(const struct sock_entry *s, struct cursor_mark *k)
{
	struct sock_row t;

	if (s->folded || !any_drops(s))
		return;
	model_row_totals(s, &t);
	k->other_reported = t.drops_other > k->other_reported ? t.drops_other : k->other_reported;
	k->lost_reported = t.drops_lost > k->lost_reported ? t.drops_lost : k->lost_reported;
	k->expected_reported = t.drops_expected > k->expected_reported ?
			       t.drops_expected : k->expected_reported;
}

/* Does the interval show it: anything new, bytes waiting, or its close? */
static bool row_due(const struct sock_row *r, int c)
{
	const struct sock_entry *s = r->s;

	return r->folded || counts_any(&r->d) || r->peak ||
	       (!s->closed && s->queue_bytes) ||
	       (s->closed && !s->mark[c].close_reported);
}

/* a - b per bucket into out (0 where b is ahead); b NULL: zeros.
 * Returns whether any is non-zero. */
static bool hist_delta(uint64_t *out, const uint64_t *a, const uint64_t *b)
{
	bool any = false;

	for (size_t i = 0; i < BS_HIST_N * BS_HIST_SLOTS; i++) {
		uint64_t base = b ? b[i] : 0;

		out[i] = a[i] > base ? a[i] - base : 0;
		any |= out[i] != 0;
	}
	return any;
}

/* Does this view give rows histograms: the summary (cursor -1), or a
 * cursor opened with MODEL_CURSOR_HIST? */
static bool view_hist(const struct model *m, int cursor)
{
	return cursor < 0 || (m->cursor_flags[cursor] & MODEL_CURSOR_HIST);
}

/*
 * The rows of a view, cursor -1 for the summary's totals; with their
 * histograms in the same allocation, after the rows.
 */
static long collect_rows(struct model *m, struct sock_row **out, int cursor)
{
	bool hist = view_hist(m, cursor);
	struct sock_row *rows;
	uint64_t *hbuf;
	size_t n = 0, cand = 0, nhist = 0;

	*out = NULL;
	for (size_t i = 0; i < m->n; i++) {
		const struct sock_entry *s = &m->socks[i];

		if (!s->active || !model_visible(m, s))
			continue;
		cand++;
		nhist += hist && s->hist;
	}
	if (!cand)
		return 0;
	/* every kept row is filled in */
	rows = malloc(cand * sizeof(*rows) + nhist * HIST_BYTES);
	if (!rows)
		return -1;
	hbuf = (uint64_t *)(rows + cand);
	for (size_t i = 0; i < m->n; i++) {
		struct sock_entry *s = &m->socks[i];
		struct sock_row *r = &rows[n];

		if (!s->active || !model_visible(m, s))
			continue;
		if (cursor >= 0) {
			row_interval(s, cursor, r);
			if (!row_due(r, cursor))
				continue;
		} else {
			model_row_totals(s, r);
		}
		if (hist && s->hist) {
			if (hist_delta(hbuf, s->hist, cursor >= 0 ? s->mark[cursor].hist
							       : NULL)) {
				r->hist = hbuf;
				hbuf += BS_HIST_N * BS_HIST_SLOTS;
			}
		}
		n++;
	}
	if (!n) {
		free(rows);
		return 0;
	}
	*out = rows;
	return (long)n;
}

int model_cursor_open(struct model *m, unsigned flags)
{
	for (int c = 0; c < MODEL_CURSORS; c++) {
		if (m->cursors_open & (1u << c))
			continue;
		m->cursors_open |= 1u << c;
		m->cursor_flags[c] = flags;
		return c;
	}
	return -1;
}

/* Its marks stay as they are: a cursor opened again under this id goes on
 * from them (nothing counts twice or is missed between its takes). */
void model_cursor_close(struct model *m, int cursor)
{
	if (!cursor_valid(m, cursor))
		return;
	m->cursors_open &= ~(1u << cursor);
	for (size_t i = 0; i < m->n; i++) {
		free(m->socks[i].mark[cursor].hist);
		m->socks[i].mark[cursor].hist = NULL;
	}
	m->cursor_flags[cursor] = 0;
}

/* Memory for the histogram baselines a take will copy, before anything
 * moves: a take either moves every baseline or none. */
static int mark_hist_reserve(struct model *m, int cursor)
{
	for (size_t i = 0; i < m->n; i++) {
		struct sock_entry *s = &m->socks[i];

		if (s->hist && !s->mark[cursor].hist &&
		    !(s->mark[cursor].hist = calloc(1, HIST_BYTES)))
			return -ENOMEM;
	}
	return 0;
}

long model_take_interval(struct model *m, int cursor, struct sock_row **rows)
{
	bool hist;
	long n;

	*rows = NULL;
	if (!cursor_valid(m, cursor))
		return -1;
	hist = view_hist(m, cursor);
	if (hist && mark_hist_reserve(m, cursor))
		return -1;
	n = collect_rows(m, rows, cursor);
	if (n < 0)
		return n;
	/* The rows keep their deltas; this cursor's baseline moves, for every
	 * entry shown (no other cursor's). One the filters hide keeps its
	 * baseline: when its owner is found to be one of theirs (a socket
	 * counted before its first read, placed by /proc), its next row has
	 * what it counted meanwhile, as the summary does. */
	for (size_t i = 0; i < m->n; i++) {
		struct sock_entry *s = &m->socks[i];
		struct cursor_mark *k = &s->mark[cursor];

		if (!model_visible(m, s))
			continue;

		k->reported = s->total;
		k->folded_reported = s->folded_sockets;
		k->peak_interval = s->closed ? 0 : s->queue_bytes;
		k->age_max_interval_ns = 0;
		for (int j = 0; j < MODEL_DROP_REASONS; j++)
			k->drops_reported[j] = s->drops_by[j].total;
		mark_split(s, k);
		if (s->closed && s->active && model_visible(m, s))
			k->close_reported = true;
		if (hist && s->hist)
			memcpy(k->hist, s->hist, HIST_BYTES);
	}
	return n;
}

long model_summary(struct model *m, struct sock_row **rows)
{
	return collect_rows(m, rows, -1);
}

/* dst += src per bucket (src NULL: nothing); dst allocated (zeros) the
 * first time. */
static int hist_add(uint64_t **dst, const uint64_t *src)
{
	if (!*dst) {
		*dst = calloc(1, HIST_BYTES);
		if (!*dst)
			return -ENOMEM;
	}
	if (src)
		hist_add_all(*dst, src);
	return 0;
}

/*
 * A row's counts as an aggregate keeps them: drops_expected is the row's
 * expected drops as split (by reason or by the kernel's counter), so that an
 * aggregate, split by that count, splits them as its sockets did.
 */
static void row_counts(const struct sock_row *r, struct counts *c)
{
	*c = r->d;
	c->drops_expected = r->drops_expected;
}

/*
 * Entry x's totals into aggregate a, and for each cursor what it had taken
 * of x into a's baseline for it: whatever it had not taken yet of x, its
 * next take of a has, so each cursor's deltas add up to the totals still.
 */
static int merge_into(struct model *m, size_t ai, size_t xi)
{
	struct sock_entry *a = &m->socks[ai];
	const struct sock_entry *x = &m->socks[xi];
	uint64_t nsock = x->folded ? x->folded_sockets : 1;
	struct counts tc, pc, seen;
	struct sock_row t, p;

	/* memory first: nothing is added unless all of it is */
	if (x->hist && hist_add(&a->hist, NULL))
		return -ENOMEM;
	for (int c = 0; c < MODEL_CURSORS; c++)
		if (x->hist && x->mark[c].hist && hist_add(&a->mark[c].hist, NULL))
			return -ENOMEM;
	model_row_totals(x, &t);
	row_counts(&t, &tc);
	counts_add(&a->total, &tc);
	a->folded_sockets += nsock;
	a->peak_run = max_u32(a->peak_run, x->peak_run);
	if (x->age_max_run_ns > a->age_max_run_ns)
		a->age_max_run_ns = x->age_max_run_ns;
	a->incomplete |= x->incomplete;
	a->active = true;
	a->agg_pass = m->pass;
	if (x->hist && hist_add(&a->hist, x->hist))
		return -ENOMEM;
	for (int c = 0; c < MODEL_CURSORS; c++) {
		struct cursor_mark *ak = &a->mark[c];
		const struct cursor_mark *xk = &x->mark[c];

		row_interval(x, c, &p);
		row_counts(&p, &pc);
		counts_sub(&seen, &tc, &pc);
		counts_add(&ak->reported, &seen);
		ak->folded_reported += x->folded ?
			(xk->folded_reported < nsock ? xk->folded_reported : nsock) :
			xk->close_reported;
		ak->peak_interval = max_u32(ak->peak_interval, p.peak);
		if (p.age_max_ns > ak->age_max_interval_ns)
			ak->age_max_interval_ns = p.age_max_ns;
		if (xk->hist && x->hist && hist_add(&ak->hist, xk->hist))
			return -ENOMEM;
	}
	return 0;
}

struct agg_list {
	size_t *idx;	/* entries that are aggregates, not being evicted */
	size_t n, cap;
};

static bool agg_is(const struct sock_entry *a, enum model_agg level,
		   uint32_t pid, const char *comm, uint64_t cgroup_id, uint16_t port)
{
	return a->aggregate == level && !a->evicting && a->pid == pid &&
	       a->cgroup_id == cgroup_id && a->service_port == port &&
	       !strncmp(a->comm, comm, BS_COMM_LEN);
}

/* The aggregate of this level and owner, made when there is none yet. */
static long agg_get(struct model *m, struct agg_list *l, enum model_agg level,
		    const struct sock_entry *x)
{
	uint32_t pid = level == AGG_PROCESS && x->owner != OWNER_UNKNOWN ? x->pid : 0;
	/* the command's and the rest's stand for processes gone: their owner
	 * is the command only, or none (read now: model_add may move x) */
	enum owner_source owner = level == AGG_OTHER ? OWNER_UNKNOWN : x->owner;
	/* what serve labels it with: the rest's has none */
	uint64_t cgroup_id = level == AGG_OTHER ? 0 : x->cgroup_id;
	uint16_t port = level == AGG_OTHER ? 0 : x->service_port;
	char comm[BS_COMM_LEN] = "(other)";
	struct sock_entry *a;
	size_t ai;

	if (level != AGG_OTHER) {
		memset(comm, 0, sizeof(comm));
		if (x->owner != OWNER_UNKNOWN)
			memcpy(comm, x->comm, BS_COMM_LEN - 1);
	}
	for (size_t i = 0; i < l->n; i++)
		if (agg_is(&m->socks[l->idx[i]], level, pid, comm, cgroup_id, port))
			return (long)l->idx[i];
	if (array_reserve(&l->idx, &l->cap, l->n, sizeof(*l->idx), 64))
		return -ENOMEM;
	a = model_add(m, MODEL_AGG_COOKIE(m->naggs_made));
	if (!a)
		return -ENOMEM;
	m->naggs_made++;
	a->aggregate = level;
	a->folded = true;
	a->closed = true;
	a->destroyed = true;
	/* not a socket whose close is news: shown when sockets go into it */
	for (int c = 0; c < MODEL_CURSORS; c++)
		a->mark[c].close_reported = true;
	a->owner = owner;
	a->pid = pid;
	memcpy(a->comm, comm, BS_COMM_LEN);
	a->cgroup_id = cgroup_id;
	a->service_port = port;
	ai = (size_t)(a - m->socks);
	l->idx[l->n++] = ai;
	return (long)ai;
}

/* Entry xi into its aggregate of this level; it leaves at the compaction. */
static int evict_into(struct model *m, struct agg_list *l, size_t xi,
		      enum model_agg level)
{
	long ai = agg_get(m, l, level, &m->socks[xi]);

	if (ai < 0 || merge_into(m, (size_t)ai, xi))
		return -ENOMEM;
	m->socks[xi].evicting = true;
	return 0;
}

struct evict_cand {
	uint64_t key;	/* closing order, or the pass an aggregate last grew */
	size_t idx;
};

static int cmp_cand(const void *a, const void *b)
{
	uint64_t x = ((const struct evict_cand *)a)->key;
	uint64_t y = ((const struct evict_cand *)b)->key;

	return x < y ? -1 : x > y;
}

/* A closed socket: destroyed, or gone without its record; no aggregate. */
static bool closed_socket(const struct sock_entry *s)
{
	return s->closed && !s->folded && !s->evicting;
}

/*
 * May a closed socket go: nothing more will come for it. Its last per-reason
 * drop counts are read in the pass after its close (or it is seen again, if a
 * walk only missed it), unless its close record said it had no drops.
 */
static bool evictable(const struct model *m, const struct sock_entry *s)
{
	return s->closed_pass + 2 <= m->pass || (s->destroyed && !s->total.drops);
}

/*
 * Candidates of a kind, oldest first: closed sockets that may go (evictable),
 * or aggregates of a level. *total: how many of the kind there are, eligible
 * or not.
 */
static long candidates(const struct model *m, enum model_agg level,
		       struct evict_cand **out, size_t *total)
{
	struct evict_cand *c;
	size_t n = 0;

	*out = NULL;
	*total = 0;
	c = malloc((m->n ? m->n : 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		const struct sock_entry *s = &m->socks[i];

		if (level == AGG_NONE ? !closed_socket(s)
				      : s->aggregate != level || s->evicting)
			continue;
		(*total)++;
		if (level == AGG_NONE && !evictable(m, s))
			continue;
		c[n].key = level == AGG_NONE ? s->closed_seq : s->agg_pass;
		c[n++].idx = i;
	}
	qsort(c, n, sizeof(*c), cmp_cand);
	*out = c;
	return (long)n;
}

/* Evicts the oldest candidates of a kind beyond `bound` into the next level. */
static int evict_level(struct model *m, struct agg_list *l, enum model_agg level,
		       size_t bound)
{
	struct evict_cand *c;
	size_t total, extra;
	long n = candidates(m, level, &c, &total);
	int err = 0;

	if (n < 0)
		return (int)n;
	extra = total > bound ? total - bound : 0;
	for (size_t i = 0; i < extra && i < (size_t)n && !err; i++) {
		err = evict_into(m, l, c[i].idx, (enum model_agg)(level + 1));
		if (!err && level == AGG_NONE)
			m->evicted++;
	}
	free(c);
	return err;
}

/* Episodes of sockets being evicted keep their owner, for the filter. */
static void episodes_orphan(struct model *m)
{
	for (size_t i = 0; i < m->nepisodes; i++) {
		struct episode *e = &m->episodes[i];
		const struct sock_entry *s;

		if (e->gone || !(s = model_find(m, e->cookie)) || !s->evicting)
			continue;
		e->gone = true;
		e->owner = (uint8_t)s->owner;
		e->pid = s->pid;
		memcpy(e->comm, s->comm, BS_COMM_LEN);
	}
}

/* Drops the evicted entries; the indexes are rebuilt for those kept, at a
 * size for them (a peak of connections does not keep its memory). */
static int compact(struct model *m)
{
	size_t kept = 0, nslots = MODEL_MIN_SLOTS;

	for (size_t i = 0; i < m->n; i++) {
		if (m->socks[i].evicting) {
			entry_free(&m->socks[i]);
			continue;
		}
		if (kept != i)
			m->socks[kept] = m->socks[i];
		kept++;
	}
	m->n = kept;
	/* after a burst, the array's memory goes back (with hysteresis) */
	if (m->cap > 1024 && m->n * 4 < m->cap) {
		size_t cap = m->n * 2 > 256 ? m->n * 2 : 256;
		struct sock_entry *p = realloc(m->socks, cap * sizeof(*p));

		if (p) {
			m->socks = p;
			m->cap = cap;
		}
	}
	while (nslots < m->n * 4)
		nslots *= 2;
	if (nslots < m->nslots && !rehash(m, nslots))
		return 0;
	/* the same size (or no memory for a smaller one): in place */
	memset(m->slots, 0, m->nslots * sizeof(*m->slots));
	memset(m->peer_slots, 0, m->nslots * sizeof(*m->peer_slots));
	index_fill(m, m->slots, m->peer_slots, m->nslots);
	return 0;
}

/*
 * Keeps the model bounded: closed sockets beyond MODEL_MAX_CLOSED into
 * their process's aggregate, aggregates beyond their bounds into the next
 * level's. Costs a few walks of the entries kept, and only when there is
 * something to evict.
 */
static int model_evict(struct model *m)
{
	struct agg_list l = { 0 };
	size_t nclosed = 0;
	int err = 0;

	for (size_t i = 0; i < m->n; i++)
		nclosed += closed_socket(&m->socks[i]);
	if (nclosed <= MODEL_MAX_CLOSED)
		return 0;
	for (size_t i = 0; i < m->n; i++) {
		if (!m->socks[i].aggregate)
			continue;
		if (array_reserve(&l.idx, &l.cap, l.n, sizeof(*l.idx), 64)) {
			free(l.idx);
			return -ENOMEM;
		}
		l.idx[l.n++] = i;
	}
	err = evict_level(m, &l, AGG_NONE, MODEL_MAX_CLOSED);
	if (!err)
		err = evict_level(m, &l, AGG_PROCESS, MODEL_MAX_AGGREGATES);
	if (!err)
		err = evict_level(m, &l, AGG_COMM, MODEL_MAX_COMM_AGGREGATES);
	free(l.idx);
	/* what was merged must go, or it would count twice */
	episodes_orphan(m);
	return compact(m) ? -ENOMEM : err;
}

uint32_t model_row_pid(const struct sock_entry *s)
{
	return s->owner == OWNER_UNKNOWN ? 0 : s->pid;
}

long model_rollup(const struct sock_row *rows, size_t n, struct proc_row **out)
{
	struct proc_row *procs;
	size_t np = 0;

	size_t nslots = 16;
	uint32_t *slot;		/* open addressing: pid -> 1 + index in procs */

	*out = NULL;
	if (!n)
		return 0;
	while (nslots < 2 * n)
		nslots *= 2;
	procs = calloc(n, sizeof(*procs));
	slot = calloc(nslots, sizeof(*slot));
	if (!procs || !slot) {
		free(procs);
		free(slot);
		return -1;
	}
	/* each row's process found through the index: a linear search made
	 * this rows x processes, every interval */
	for (size_t i = 0; i < n; i++) {
		const struct sock_entry *s = rows[i].s;
		uint32_t pid = model_row_pid(s);
		size_t k = slot_of(pid, nslots);
		struct proc_row *p;

		while (slot[k] && procs[slot[k] - 1].pid != pid)
			k = (k + 1) & (nslots - 1);
		if (!slot[k]) {
			slot[k] = (uint32_t)++np;
			procs[np - 1].pid = pid;
			memcpy(procs[np - 1].comm, s->comm, sizeof(procs[np - 1].comm));
		}
		p = &procs[slot[k] - 1];
		/* a folded entry stands for the sockets folded into it */
		p->sockets += s->folded ? rows[i].folded : 1;
		counts_add(&p->d, &rows[i].d);
		p->drops_lost += rows[i].drops_lost;
		p->drops_expected += rows[i].drops_expected;
		if (!s->closed) {
			p->queue_bytes += s->queue_bytes;
			p->rcvbuf += s->rcvbuf;
			p->rmem_alloc += s->rmem_alloc;
			p->zw_open |= s->zw_open_ns[BS_ZW_SENT] || s->zw_open_ns[BS_ZW_RECV];
		}
		/* as its rows show it: a lower bound in one is one in the sum */
		p->zw_recv_incomplete |= (s->incomplete & BS_INC_ZW_RECV) != 0;
		p->peak = max_u32(p->peak, rows[i].peak);
	}
	free(slot);
	*out = procs;
	return (long)np;
}
