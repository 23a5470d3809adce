// SPDX-License-Identifier: GPL-2.0
/*
 * The records the model applies (model/model.c). The input is a list of
 * operations: a byte naming one, an argument byte (for records, their
 * length in 16 bytes), and the record's bytes, cut short and zero-filled when the input
 * ends: socket, close and sample records, alive marks, flow records,
 * folds, per-reason drops, passes, a cursor's interval, the summary, and a
 * burst of closed sockets (past MODEL_MAX_CLOSED, so that eviction into
 * aggregates runs).
 *
 * The first byte's low bit picks the mode. Raw: records as they come
 * (anything must be survived: no crash, no leak, no UB). Kernel-like: the
 * same records with what the kernel guarantees imposed (8 sockets, 8 fold
 * keys, cumulative counters that only grow, drops one at a time with their
 * reason as the drop hook counts them, a clock that only advances),
 * and then the model's own promises are checked after each interval:
 * every cursor's deltas add up to the summary's totals (nothing lost or
 * counted twice, eviction into aggregates included), the summary never
 * goes down, a fold key has one entry. In both: a row's drops split into
 * lost and expected add up, a rollup's processes add up to its rows.
 */
#define FUZZ_REASONS
#include "model/model.h"
#include "fuzzlib.h"

#define NCOOKIES 8
#define NKEYS 8
#define NCURSORS 2
#define MAX_OPS 128

enum op { OP_SOCK, OP_CLOSE, OP_SAMPLE, OP_ALIVE, OP_FLOW, OP_FOLD, OP_DROPS,
	  OP_PASS, OP_TAKE, OP_SUMMARY, OP_BURST, OP__N };

struct run {
	struct model m;
	bool kernel_like;
	int cursor[NCURSORS];
	struct counts taken[NCURSORS];	/* every delta each cursor took */
	uint64_t taken_split[NCURSORS][2];	/* and their drops: lost, expected */
	struct counts last_summary;
	uint64_t clock;
	/* kernel-like: what each socket and fold key counted so far */
	struct bs_totals sock[NCOOKIES], fold[NKEYS + 1];	/* [NKEYS]: the spill slot */
	struct bs_fold_key key[NKEYS + 1];
	bool key_used[NKEYS + 1];
	unsigned nkeys;		/* keys used, the spill slot included */
	uint64_t drops_by[NCOOKIES][16];
	bool closed[NCOOKIES];	/* its close record went: nothing counts more */
	uint64_t burst_cookie;
};

static struct drop_reasons reasons;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const names[] = { "SKB_DROP_REASON_NOT_SPECIFIED",
		"SKB_DROP_REASON_SOCKET_RCVBUFF", "SKB_DROP_REASON_TCP_OLD_SEQUENCE",
		"SKB_DROP_REASON_QUEUE_PURGE" };

	(void)argc, (void)argv;
	fuzz_reasons(&reasons, names, 4);
	return 0;
}

/* n bytes of a record into dst (size cap), zero-filled past what the input
 * has or what n asks: a truncated record. */
static void next_record(struct fuzz_input *in, void *dst, size_t cap, size_t n)
{
	fuzz_bytes(in, dst, n < cap ? n : cap);
	if (n < cap)
		memset((char *)dst + n, 0, cap - n);
}

/* ---- kernel-like: what the kernel guarantees, imposed ---- */

static uint64_t tick(struct run *r, uint64_t raw)
{
	r->clock += 1 + raw % 1000000000ULL;
	return r->clock;
}

/* Each counter of t grows from was by a little (the record's value, cut),
 * or not at all (a closed socket). */
static void grow(__u64 *t, __u64 *was, size_t n, bool frozen)
{
	for (size_t i = 0; i < n; i++)
		t[i] = was[i] += frozen ? 0 : t[i] % 65536;
}

static void kernel_sock(struct run *r, struct bs_sock_rec *rec)
{
	unsigned i = (unsigned)(rec->cookie % NCOOKIES);
	struct bs_totals *was = &r->sock[i];
	struct bs_read_counters *c = &rec->state.c;
	struct bs_flow_state *f = &rec->state.f;
	bool frozen = r->closed[i];

	rec->cookie = 1 + i;
	rec->ts_ns = tick(r, rec->ts_ns);
	/* the counters of struct bs_totals, as the state has them */
	grow(&c->reads, &was->reads, 10, frozen);	/* reads .. peek_bytes */
	grow(&c->arrivals, &was->arrivals, 1, frozen);
	grow(&c->queue_sum, &was->queue_sum, 3, frozen);
	for (int d = 0; d < BS_ZW_N; d++) {
		grow(&f->zw[d].segments, &was->zw_segments[d], 1, frozen);
		grow(&f->zw[d].episodes, &was->zw_episodes[d], 1, frozen);
		grow(&f->zw[d].total_ns, &was->zw_ns[d], 1, frozen);
		grow(&f->zw[d].probes, &was->zw_probes[d], 1, frozen);
		f->zw[d].ended = f->zw[d].episodes;
		f->zw[d].start_ns = 0;	/* no open episode: its time grows with the clock */
	}
	/* drops come one by one with their reason (kernel_drops): the
	 * record has what the counters hold now */
	f->drops = was->drops;
	f->drops_expected = was->drops_expected;
	grow(&f->rcvbuf_changes, &was->rcvbuf_changes, 1, frozen);
	if (rec->kind == BS_REC_CLOSE)
		r->closed[i] = true;
}

/*
 * As the kernel's drop hook (bpf/flow.bpf.c: handle_drop): a few drops of one
 * reason on an open socket add to its counter, to its expected counter when
 * the reason is of that class, and to the reason's count, which user space
 * reads after the walk that took the counters (so it may be ahead of the
 * socket's last record). Reasons 12-15 find the per-reason table full: the
 * counters only.
 */
static void kernel_drops(struct run *r, unsigned i, uint32_t reason, uint8_t inc)
{
	uint64_t n = inc % 4;

	if (r->closed[i])
		return;
	r->sock[i].drops += n;
	if (drop_reason_class(&reasons, reason) == DROP_EXPECTED)
		r->sock[i].drops_expected += n;
	if (reason >= 12)
		return;
	r->drops_by[i][reason] += n;
	model_set_drops(&r->m, 1 + i, reason, r->drops_by[i][reason]);
}

static void kernel_flow(struct run *r, struct bs_flow_rec *rec)
{
	rec->cookie = 1 + rec->cookie % NCOOKIES;
	rec->ts_ns = tick(r, rec->ts_ns);
	if (rec->start_ns > rec->ts_ns)
		rec->start_ns = rec->ts_ns;
}

/* The fold key: one of NKEYS, as first seen (any bytes in its comm); the
 * kernel's one spill slot when unowned (the key is not looked at). */
static void kernel_fold(struct run *r, struct bs_fold_key *key, bool unowned,
			struct bs_fold *f)
{
	unsigned i = unowned ? NKEYS : key->pid % NKEYS;
	uint64_t sockets = f->sockets % 256;

	if (!r->key_used[i]) {
		r->key[i] = *key;
		r->key_used[i] = true;
		r->nkeys++;
	}
	if (!unowned)
		*key = r->key[i];
	grow((__u64 *)&f->t, (__u64 *)&r->fold[i], BS_TOTALS_N, false);
	/* expected drops are some of the drops (the kernel counts both) */
	if (r->fold[i].drops_expected > r->fold[i].drops)
		r->fold[i].drops_expected = r->fold[i].drops;
	f->t.drops_expected = r->fold[i].drops_expected;
	f->sockets = sockets + (uint64_t)(r->fold[i].reads & 0xff);
}

/* ---- checks ---- */

static void check_rows(const struct sock_row *rows, long n)
{
	struct proc_row *procs = NULL;
	struct counts sum, psum;
	uint64_t sockets = 0, psockets = 0;
	long np;

	FUZZ_CHECK(n >= 0);
	memset(&sum, 0, sizeof(sum));
	memset(&psum, 0, sizeof(psum));
	for (long i = 0; i < n; i++) {
		const struct sock_row *w = &rows[i];

		FUZZ_CHECK(w->drops_lost + w->drops_expected >= w->d.drops);
		if (w->s->folded || w->s->vanished)
			FUZZ_CHECK(w->drops_lost + w->drops_expected == w->d.drops);
		counts_add(&sum, &w->d);
		sockets += w->s->folded ? w->folded : 1;
	}
	np = model_rollup(rows, (size_t)n, &procs);
	FUZZ_CHECK(np >= 0 && np <= n);
	for (long i = 0; i < np; i++) {
		counts_add(&psum, &procs[i].d);
		psockets += procs[i].sockets;
	}
	/* a rollup by process adds up to its rows */
	FUZZ_CHECK(!memcmp(&sum, &psum, sizeof(sum)));
	FUZZ_CHECK(psockets == sockets);
	free(procs);
}

/* The summary's totals, and its drops split: lost, expected. */
static void summary_sum(struct run *r, struct counts *sum, uint64_t split[2])
{
	struct sock_row *rows = NULL;
	long n = model_summary(&r->m, &rows);

	check_rows(rows, n);
	memset(sum, 0, sizeof(*sum));
	split[0] = split[1] = 0;
	for (long i = 0; i < n; i++) {
		counts_add(sum, &rows[i].d);
		split[0] += rows[i].drops_lost;
		split[1] += rows[i].drops_expected;
	}
	free(rows);
}

static bool counts_le(const struct counts *a, const struct counts *b)
{
	struct counts d;

	counts_sub(&d, a, b);
	return !counts_any(&d);
}

static void check_summary(struct run *r)
{
	struct counts sum;
	uint64_t split[2];

	summary_sum(r, &sum, split);
	if (!r->kernel_like)
		return;
	FUZZ_CHECK(counts_le(&r->last_summary, &sum));
	r->last_summary = sum;
	FUZZ_CHECK(r->m.nfolds <= r->nkeys);	/* one entry per key */
}

/* The counts a cursor took and the summary's agree; drops_expected by the
 * split only (an aggregate's counter holds its sockets' split, not theirs). */
static void check_taken(struct run *r, unsigned c, const struct counts *sum,
			const uint64_t split[2])
{
	struct counts a = r->taken[c], b = *sum;

	a.drops_expected = b.drops_expected = 0;
	for (size_t i = 0; i < BS_TOTALS_N; i++)
		if (((uint64_t *)&a)[i] != ((uint64_t *)&b)[i])
			fprintf(stderr, "count %zu: cursor %u took %llu, the summary has %llu\n",
				i, c, (unsigned long long)((uint64_t *)&a)[i],
				(unsigned long long)((uint64_t *)&b)[i]);
	FUZZ_CHECK(!memcmp(&a, &b, sizeof(a)));
	if (r->taken_split[c][0] != split[0] || r->taken_split[c][1] != split[1])
		fprintf(stderr, "drops: cursor %u took %llu lost, %llu expected; the summary "
			"has %llu, %llu\n", c, (unsigned long long)r->taken_split[c][0],
			(unsigned long long)r->taken_split[c][1], (unsigned long long)split[0],
			(unsigned long long)split[1]);
	FUZZ_CHECK(r->taken_split[c][0] == split[0] && r->taken_split[c][1] == split[1]);
}

static void take(struct run *r, unsigned which)
{
	struct sock_row *rows = NULL;
	unsigned c = which % NCURSORS;
	long n = model_take_interval(&r->m, r->cursor[c], &rows);
	struct counts sum;
	uint64_t split[2];

	check_rows(rows, n);
	for (long i = 0; i < n; i++) {
		counts_add(&r->taken[c], &rows[i].d);
		r->taken_split[c][0] += rows[i].drops_lost;
		r->taken_split[c][1] += rows[i].drops_expected;
	}
	free(rows);
	model_mark_episodes_reported(&r->m, r->cursor[c]);
	if (!r->kernel_like)
		return;
	/* what the cursor took since the start is the whole run */
	summary_sum(r, &sum, split);
	check_taken(r, c, &sum, split);
}

/* ---- operations ---- */

static void sock_op(struct run *r, struct fuzz_input *in, uint32_t kind, size_t len)
{
	struct bs_sock_rec *rec = malloc(sizeof(*rec));

	FUZZ_CHECK(rec);
	next_record(in, rec, sizeof(*rec), kind == BS_REC_SAMPLE && len > BS_SAMPLE_SIZE ?
		    BS_SAMPLE_SIZE : len);
	rec->kind = kind;	/* the operation says which: the rest is the input's */
	if (r->kernel_like)
		kernel_sock(r, rec);
	if (kind == BS_REC_SAMPLE)	/* the kernel sends no more of it */
		memset((char *)rec + BS_SAMPLE_SIZE, 0, sizeof(*rec) - BS_SAMPLE_SIZE);
	(void)model_apply(&r->m, rec);
	free(rec);
}

/* Sockets made by bursts in one input: past MODEL_MAX_CLOSED, not much
 * more (each costs every later check a row). */
#define BURST_MAX (MODEL_MAX_CLOSED + MODEL_MAX_CLOSED / 4)

/* k closed sockets of new cookies, owned by a few hundred processes of 80
 * names: beyond the aggregates' bounds too. */
static void burst(struct run *r, unsigned k, uint8_t seed)
{
	struct bs_sock_rec *rec = calloc(1, sizeof(*rec));

	FUZZ_CHECK(rec);
	for (unsigned i = 0; i < k && r->burst_cookie < BURST_MAX; i++) {
		memset(rec, 0, sizeof(*rec));
		rec->kind = BS_REC_CLOSE;
		rec->flags = BS_SF_HAS_STATE | BS_SF_HAS_READER;
		rec->cookie = 1000 + r->burst_cookie++;
		rec->ts_ns = tick(r, i);
		rec->ep.family = 2;
		rec->ep.sport = 80;
		rec->ep.dport = (uint16_t)(1024 + i);
		rec->state.c.reads = 1 + (i + seed) % 7;
		rec->state.c.bytes = 100 * rec->state.c.reads;
		rec->state.f.drops = (i + seed) % 3;
		rec->state.f.drops_expected = (i + seed) % 2 ? rec->state.f.drops : 0;
		rec->state.reader.pid = 100 + (i * 7 + seed) % 300;
		rec->state.reader.tid = rec->state.reader.pid;
		snprintf(rec->state.reader.comm, BS_COMM_LEN, "w%u", (i + seed) % 80);
		(void)model_apply(&r->m, rec);
	}
	free(rec);
}

static void step(struct run *r, struct fuzz_input *in)
{
	uint8_t op = fuzz_byte(in) % OP__N, arg = fuzz_byte(in);
	size_t len = (size_t)arg * 16;	/* a record's bytes: up to 4080 */

	switch (op) {
	case OP_SOCK: sock_op(r, in, BS_REC_SOCK, len); break;
	case OP_CLOSE: sock_op(r, in, BS_REC_CLOSE, len); break;
	case OP_SAMPLE: sock_op(r, in, BS_REC_SAMPLE, len); break;
	case OP_ALIVE:
		model_alive(&r->m, r->kernel_like ? 1 + arg % NCOOKIES : arg);
		break;
	case OP_FLOW: {
		struct bs_flow_rec rec;

		next_record(in, &rec, sizeof(rec), len);
		if (r->kernel_like)
			kernel_flow(r, &rec);
		(void)model_apply_flow(&r->m, &rec);
		break;
	}
	case OP_FOLD: {
		struct bs_fold_key key;
		struct bs_fold *f = malloc(sizeof(*f));
		bool unowned = arg & 1;

		FUZZ_CHECK(f);
		next_record(in, &key, sizeof(key), sizeof(key));
		next_record(in, f, sizeof(*f), len);
		if (r->kernel_like)
			kernel_fold(r, &key, unowned, f);
		(void)model_apply_fold(&r->m, &key, unowned, f);
		free(f);
		break;
	}
	case OP_DROPS: {
		uint32_t reason = fuzz_byte(in) % 16;
		uint8_t v = fuzz_byte(in);

		if (r->kernel_like)
			kernel_drops(r, arg % NCOOKIES, reason, v);
		else
			model_set_drops(&r->m, arg, reason, v);
		break;
	}
	case OP_PASS:
		model_begin_pass(&r->m);
		if (arg & 1)	/* the pass saw the sockets whose records came */
			model_end_pass(&r->m);
		break;
	case OP_TAKE: take(r, arg); break;
	case OP_SUMMARY: check_summary(r); break;
	case OP_BURST: burst(r, (unsigned)arg * 8, fuzz_byte(in)); break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run *r = calloc(1, sizeof(*r));
	struct fuzz_input in = { data, size };

	FUZZ_CHECK(r && !model_init(&r->m));
	r->m.reasons = &reasons;
	r->kernel_like = fuzz_byte(&in) & 1;
	r->cursor[0] = model_cursor_open(&r->m, 0);
	r->cursor[1] = model_cursor_open(&r->m, MODEL_CURSOR_HIST);
	FUZZ_CHECK(r->cursor[0] >= 0 && r->cursor[1] >= 0);
	/* a bounded run: each check walks every entry, bursts make a thousand */
	for (int ops = 0; in.left && ops < MAX_OPS; ops++)
		step(r, &in);
	/* the end of a run: both cursors' last intervals, and the summary */
	take(r, 0);
	take(r, 1);
	check_summary(r);
	model_free(&r->m);
	free(r);
	return 0;
}
