// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the flow-control half of src/model/model.c: zero-window counters and
 * gauges from the iterator's records, the episode log fed with bs_flow_rec
 * records, per-reason drops, peers and the reader's stall time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "model/model.h"
#include "testlib.h"

#define UNUSED __attribute__((unused))
#define MS 1000000ULL
#define SEC 1000000000ULL

/* ---- builders -------------------------------------------------------------- */

/* An iterator record with state but no reads: flow fields are set by callers. */
static void sock_rec(struct bs_sock_rec *r, uint32_t kind, uint64_t cookie,
		     uint64_t ts_ns)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->cookie = cookie;
	r->ts_ns = ts_ns;
	r->inode = 9000 + cookie;
	set_ep(&r->ep, "10.1.0.1", (uint16_t)(6000 + cookie), "10.1.0.2", 7000);
	r->rcvbuf = 131072;
	r->flags = BS_SF_HAS_STATE;
}

static void with_reader(struct bs_sock_rec *r, uint32_t pid, const char *comm)
{
	r->flags |= BS_SF_HAS_READER;
	r->state.reader.pid = pid;
	r->state.reader.tid = pid + 1;
	r->state.reader.cgroup_id = 55;
	strncpy(r->state.reader.comm, comm, BS_COMM_LEN - 1);
}

static void flow_rec(struct bs_flow_rec *f, uint32_t kind, uint64_t cookie,
		     uint32_t dir, uint64_t ts_ns, uint64_t start_ns)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->cookie = cookie;
	f->dir = dir;
	f->ts_ns = ts_ns;
	f->start_ns = start_ns;
	f->duration_ns = kind == BS_REC_ZW_END ? ts_ns - start_ns : 0;
	set_ep(&f->ep, "10.1.0.1", (uint16_t)(6000 + cookie), "10.1.0.2", 7000);
}

static void zw_start(struct model *m, uint64_t cookie, uint32_t dir, uint64_t ts,
		     uint32_t queue)
{
	struct bs_flow_rec f;

	flow_rec(&f, BS_REC_ZW_START, cookie, dir, ts, ts);
	f.queue = queue;
	assert_int_equal(model_apply_flow(m, &f), 0);
}

static void zw_end(struct model *m, uint64_t cookie, uint32_t dir, uint64_t start,
		   uint64_t end, uint32_t queue, uint64_t probes)
{
	struct bs_flow_rec f;

	flow_rec(&f, BS_REC_ZW_END, cookie, dir, end, start);
	f.queue = queue;
	f.probes = probes;
	assert_int_equal(model_apply_flow(m, &f), 0);
}

static void feed(struct model *m, const struct bs_sock_rec *r)
{
	assert_int_equal(model_apply(m, r), 0);
}

static int setup(void **state)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m || model_init(m) || model_cursor_open(m, 0) != 0)
		return -1;
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct model *m = *state;

	model_free(m);
	free(m);
	return 0;
}

static const struct sock_row *row_of(const struct sock_row *rows, long n,
				     uint64_t cookie)
{
	for (long i = 0; i < n; i++)
		if (rows[i].s->cookie == cookie)
			return &rows[i];
	return NULL;
}

/* ---- counters and gauges from the iterator's records ---------------------- */

static void test_flow_state_copied(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;
	struct bs_flow_state *f = &r.state.f;

	sock_rec(&r, BS_REC_SOCK, 1, 10 * SEC);
	r.queue_bytes = 500;
	r.rcv_wnd = 1000;
	r.snd_wnd = 2000;
	r.send_queue = 3000;
	f->zw[BS_ZW_SENT].segments = 7;
	f->zw[BS_ZW_SENT].episodes = 3;
	f->zw[BS_ZW_SENT].ended = 2;
	f->zw[BS_ZW_SENT].total_ns = 40 * MS;
	f->zw[BS_ZW_SENT].start_ns = 10 * SEC - 5 * MS;	/* open for 5 ms */
	f->zw[BS_ZW_SENT].probes = 11;
	f->zw[BS_ZW_RECV].segments = 13;
	f->zw[BS_ZW_RECV].episodes = 4;
	f->zw[BS_ZW_RECV].ended = 4;
	f->zw[BS_ZW_RECV].total_ns = 17 * MS;
	f->zw[BS_ZW_RECV].probes = 19;
	f->drops = 23;
	f->rcvbuf_changes = 29;
	f->nonempty_since_ns = 9 * SEC;
	f->age_max_ns = 31 * MS;
	r.state.c.last_read_ns = 8 * SEC;
	feed(m, &r);

	s = model_find(m, 1);
	assert_non_null(s);
	assert_int_equal(s->total.zw_segments[BS_ZW_SENT], 7);
	assert_int_equal(s->total.zw_segments[BS_ZW_RECV], 13);
	assert_int_equal(s->total.zw_episodes[BS_ZW_SENT], 3);
	assert_int_equal(s->total.zw_episodes[BS_ZW_RECV], 4);
	assert_int_equal(s->total.zw_ns[BS_ZW_SENT], 45 * MS);	/* 40 + open 5 */
	assert_int_equal(s->total.zw_ns[BS_ZW_RECV], 17 * MS);
	assert_int_equal(s->total.zw_probes[BS_ZW_SENT], 11);
	assert_int_equal(s->total.zw_probes[BS_ZW_RECV], 19);
	assert_int_equal(s->total.drops, 23);
	assert_int_equal(s->total.rcvbuf_changes, 29);
	assert_int_equal(s->rcv_wnd, 1000);
	assert_int_equal(s->snd_wnd, 2000);
	assert_int_equal(s->send_queue, 3000);
	assert_int_equal(s->zw_open_ns[BS_ZW_SENT], 10 * SEC - 5 * MS);
	assert_int_equal(s->zw_open_ns[BS_ZW_RECV], 0);
	assert_int_equal(s->last_read_ns, 8 * SEC);
	assert_int_equal(s->nonempty_since_ns, 9 * SEC);
	assert_int_equal(s->mark[0].age_max_interval_ns, 31 * MS);
	assert_int_equal(s->age_max_run_ns, 31 * MS);
	assert_int_equal(s->sample_ns, 10 * SEC);
	assert_true(s->active);

	/* gauges follow the latest sample, both ways */
	r.ts_ns = 11 * SEC;
	r.rcv_wnd = 0;
	r.snd_wnd = 65535;
	r.send_queue = 0;
	f->zw[BS_ZW_SENT].start_ns = 0;
	f->zw[BS_ZW_SENT].ended = 3;
	f->zw[BS_ZW_SENT].total_ns = 50 * MS;
	f->zw[BS_ZW_RECV].start_ns = 11 * SEC - 1 * MS;
	f->nonempty_since_ns = 0;
	feed(m, &r);
	assert_int_equal(s->rcv_wnd, 0);
	assert_int_equal(s->snd_wnd, 65535);
	assert_int_equal(s->send_queue, 0);
	assert_int_equal(s->zw_open_ns[BS_ZW_SENT], 0);
	assert_int_equal(s->zw_open_ns[BS_ZW_RECV], 11 * SEC - 1 * MS);
	assert_int_equal(s->total.zw_ns[BS_ZW_SENT], 50 * MS);
	assert_int_equal(s->total.zw_ns[BS_ZW_RECV], 18 * MS);
	assert_int_equal(s->nonempty_since_ns, 0);
}

static void test_open_episode_time_grows(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;
	struct sock_row *rows;
	const struct sock_row *row;
	long n;

	sock_rec(&r, BS_REC_SOCK, 2, 100 * MS);
	r.state.f.zw[BS_ZW_RECV].segments = 1;
	r.state.f.zw[BS_ZW_RECV].episodes = 1;
	r.state.f.zw[BS_ZW_RECV].start_ns = 100 * MS;	/* begins at the sample */
	r.state.f.zw[BS_ZW_RECV].total_ns = 3 * MS;	/* an earlier one */
	feed(m, &r);
	s = model_find(m, 2);
	assert_int_equal(s->total.zw_ns[BS_ZW_RECV], 3 * MS);

	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].d.zw_ns[BS_ZW_RECV], 3 * MS);
	free(rows);

	/* the same kernel state sampled later: the open episode has run on */
	for (uint64_t t = 1; t <= 3; t++) {
		r.ts_ns = 100 * MS + t * 250 * MS;
		feed(m, &r);
		assert_int_equal(s->total.zw_ns[BS_ZW_RECV], 3 * MS + t * 250 * MS);
		n = model_take_interval(m, 0, &rows);
		/* no other change: listed for the time alone */
		assert_int_equal(n, 1);
		row = row_of(rows, n, 2);
		assert_non_null(row);
		assert_int_equal(row->d.zw_ns[BS_ZW_RECV], 250 * MS);
		assert_int_equal(row->d.zw_episodes[BS_ZW_RECV], 0);
		assert_int_equal(row->d.zw_ns[BS_ZW_SENT], 0);
		free(rows);
	}

	/* a sample taken before the recorded start adds nothing, never wraps */
	sock_rec(&r, BS_REC_SOCK, 3, 5 * MS);
	r.state.f.zw[BS_ZW_SENT].episodes = 1;
	r.state.f.zw[BS_ZW_SENT].start_ns = 6 * MS;
	r.state.f.zw[BS_ZW_SENT].total_ns = 1 * MS;
	feed(m, &r);
	assert_int_equal(model_find(m, 3)->total.zw_ns[BS_ZW_SENT], 1 * MS);
}

/* Several intervals of flow activity: the deltas add up to the summary. */
static void test_flow_deltas_sum_to_summary(void **state)
{
	struct model *m = *state;
	struct counts sum = { 0 };
	struct bs_sock_rec r;
	struct sock_row *rows;
	const struct sock_row *row;
	long n;
	/* cumulative kernel values per step: segments, episodes, ended, total,
	 * start (0: none open), probes, drops, rcvbuf changes */
	static const struct {
		uint64_t seg, ep, ended, total_ms, start_ms, probes, drops, rcvbuf;
	} steps[] = {
		{ 1, 1, 0, 0, 900, 0, 0, 1 },		/* open since 0.9 s */
		{ 4, 1, 0, 0, 900, 2, 1, 1 },
		{ 5, 1, 1, 1600, 0, 3, 1, 2 },		/* ended at 2.5 s */
		{ 9, 3, 2, 1700, 3700, 5, 4, 2 },	/* 0.1 s one, then open */
		{ 9, 3, 3, 2500, 0, 6, 6, 5 },		/* ended at 4.5 s */
		{ 9, 3, 3, 2500, 0, 6, 6, 5 },		/* nothing new */
	};
	uint64_t ts = 1000 * MS;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		sock_rec(&r, BS_REC_SOCK, 7, ts);
		for (int d = 0; d < BS_ZW_N; d++) {
			struct bs_zw_side *z = &r.state.f.zw[d];

			/* the peer's side lags by one segment, to tell them apart */
			z->segments = steps[i].seg + (uint64_t)d * 100;
			z->episodes = steps[i].ep;
			z->ended = steps[i].ended;
			z->total_ns = steps[i].total_ms * MS;
			z->start_ns = steps[i].start_ms * MS;
			z->probes = steps[i].probes * (d + 1);
		}
		r.state.f.drops = steps[i].drops;
		r.state.f.rcvbuf_changes = steps[i].rcvbuf;
		feed(m, &r);
		n = model_take_interval(m, 0, &rows);
		assert_true(n >= 0);
		row = row_of(rows, n, 7);
		if (row) {
			for (int d = 0; d < BS_ZW_N; d++) {
				sum.zw_segments[d] += row->d.zw_segments[d];
				sum.zw_episodes[d] += row->d.zw_episodes[d];
				sum.zw_ns[d] += row->d.zw_ns[d];
				sum.zw_probes[d] += row->d.zw_probes[d];
			}
			sum.drops += row->d.drops;
			sum.rcvbuf_changes += row->d.rcvbuf_changes;
		}
		/* the last step changes nothing: not listed again */
		if (i == sizeof(steps) / sizeof(steps[0]) - 1)
			assert_null(row);
		else
			assert_non_null(row);
		free(rows);
		ts += 1000 * MS;
	}
	n = model_summary(m, &rows);
	assert_int_equal(n, 1);
	for (int d = 0; d < BS_ZW_N; d++) {
		assert_int_equal(sum.zw_segments[d], rows[0].d.zw_segments[d]);
		assert_int_equal(sum.zw_episodes[d], rows[0].d.zw_episodes[d]);
		assert_int_equal(sum.zw_ns[d], rows[0].d.zw_ns[d]);
		assert_int_equal(sum.zw_probes[d], rows[0].d.zw_probes[d]);
	}
	assert_int_equal(rows[0].d.zw_segments[BS_ZW_SENT], 9);
	assert_int_equal(rows[0].d.zw_segments[BS_ZW_RECV], 109);
	assert_int_equal(rows[0].d.zw_ns[BS_ZW_SENT], 2500 * MS);
	assert_int_equal(rows[0].d.zw_probes[BS_ZW_RECV], 12);
	assert_int_equal(sum.drops, rows[0].d.drops);
	assert_int_equal(sum.drops, 6);
	assert_int_equal(sum.rcvbuf_changes, rows[0].d.rcvbuf_changes);
	assert_int_equal(sum.rcvbuf_changes, 5);
	free(rows);
}

/* No read ever, nothing waiting: flow activity alone makes a socket worth
 * listing, in its interval and in the summary. */
static void test_flow_only_socket_listed(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	long n;

	sock_rec(&r, BS_REC_SOCK, 10, SEC);	/* zero-window segments only */
	r.state.f.zw[BS_ZW_RECV].segments = 2;
	feed(m, &r);
	sock_rec(&r, BS_REC_SOCK, 11, SEC);	/* drops only */
	r.state.f.drops = 1;
	feed(m, &r);
	sock_rec(&r, BS_REC_SOCK, 12, SEC);	/* buffer changes only */
	r.state.f.rcvbuf_changes = 1;
	feed(m, &r);
	sock_rec(&r, BS_REC_SOCK, 13, SEC);	/* probes only */
	r.state.f.zw[BS_ZW_SENT].probes = 1;
	feed(m, &r);
	sock_rec(&r, BS_REC_SOCK, 14, SEC);	/* an idle socket with state */
	feed(m, &r);

	for (uint64_t c = 10; c <= 13; c++)
		assert_true(model_find(m, c)->active);
	assert_false(model_find(m, 14)->active);

	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 4);
	for (uint64_t c = 10; c <= 13; c++)
		assert_non_null(row_of(rows, n, c));
	assert_null(row_of(rows, n, 14));
	assert_int_equal(row_of(rows, n, 10)->d.zw_segments[BS_ZW_RECV], 2);
	assert_int_equal(row_of(rows, n, 11)->d.drops, 1);
	assert_int_equal(row_of(rows, n, 12)->d.rcvbuf_changes, 1);
	assert_int_equal(row_of(rows, n, 13)->d.zw_probes[BS_ZW_SENT], 1);
	free(rows);

	/* quiet afterwards: gone from intervals, kept in the summary */
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 0);
	n = model_summary(m, &rows);
	assert_int_equal(n, 4);
	free(rows);
}

/* The per-interval byte age is the largest of the interval, not of the run:
 * the kernel's age_max_ns only ever grows. */
static void test_byte_age_interval_vs_run(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;
	struct sock_row *rows;

	sock_rec(&r, BS_REC_SOCK, 20, SEC);
	with_reader(&r, 300, "app");
	r.state.c.reads = 1;
	r.state.f.age_max_ns = 8 * MS;
	feed(m, &r);
	s = model_find(m, 20);
	assert_int_equal(s->mark[0].age_max_interval_ns, 8 * MS);
	assert_int_equal(s->age_max_run_ns, 8 * MS);
	assert_true(model_take_interval(m, 0, &rows) >= 0);
	free(rows);
	assert_int_equal(s->mark[0].age_max_interval_ns, 0);

	/* more reads, none older: the kernel restarted its maximum at the pass */
	r.ts_ns = 2 * SEC;
	r.state.c.reads = 5;
	r.state.f.age_max_ns = 0;
	feed(m, &r);
	assert_int_equal(s->age_max_run_ns, 8 * MS);
	if (s->mark[0].age_max_interval_ns == 8 * MS)
		fail_msg("interval 2 has no read older than 8 ms was seen in interval 1, "
			 "yet its byte age maximum is the run's 8 ms (age_max_ns is "
			 "cumulative in the kernel; the interval maximum must not be "
			 "taken from it as is)");
	assert_int_equal(s->mark[0].age_max_interval_ns, 0);
	assert_true(model_take_interval(m, 0, &rows) >= 0);
	free(rows);

	/* an older byte: the new maximum belongs to this interval and the run */
	r.ts_ns = 3 * SEC;
	r.state.c.reads = 6;
	r.state.f.age_max_ns = 12 * MS;
	feed(m, &r);
	assert_int_equal(s->mark[0].age_max_interval_ns, 12 * MS);
	assert_int_equal(s->age_max_run_ns, 12 * MS);
}

/* A closed socket's open episode is counted up to its close. */
static void test_close_with_open_episode(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;

	sock_rec(&r, BS_REC_SOCK, 21, 2 * SEC);
	r.state.f.zw[BS_ZW_SENT].episodes = 1;
	r.state.f.zw[BS_ZW_SENT].start_ns = 1 * SEC;
	feed(m, &r);
	s = model_find(m, 21);
	assert_int_equal(s->total.zw_ns[BS_ZW_SENT], 1 * SEC);
	r.kind = BS_REC_CLOSE;
	r.ts_ns = 3 * SEC;
	feed(m, &r);
	assert_true(s->closed);
	assert_int_equal(s->total.zw_ns[BS_ZW_SENT], 2 * SEC);
	/* a late iterator sample changes nothing */
	r.kind = BS_REC_SOCK;
	r.ts_ns = 9 * SEC;
	feed(m, &r);
	assert_int_equal(s->total.zw_ns[BS_ZW_SENT], 2 * SEC);
}

/*
 * A socket destroyed in the middle of an episode: the kernel sends its close
 * record, and no end record (the hooks only end an episode on a segment with
 * a non-zero window). The episode cannot outlive its socket: once an interval
 * has shown the close, it is not due, as "open", in every interval after.
 */
static void test_close_ends_open_episode(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	long n;

	sock_rec(&r, BS_REC_SOCK, 130, 2 * SEC);
	with_reader(&r, 300, "app");
	r.state.c.reads = 1;
	r.state.f.zw[BS_ZW_SENT].episodes = 1;
	r.state.f.zw[BS_ZW_SENT].start_ns = 1 * SEC;
	feed(m, &r);
	zw_start(m, 130, BS_ZW_SENT, 1 * SEC, 5000);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	free(rows);
	model_mark_episodes_reported(m, 0);

	r.kind = BS_REC_CLOSE;
	r.ts_ns = 3 * SEC;
	feed(m, &r);
	assert_true(model_find(m, 130)->closed);
	assert_int_equal(model_find(m, 130)->zw_open_ns[BS_ZW_SENT], 1 * SEC);
	/* the interval that shows the close */
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	free(rows);
	model_mark_episodes_reported(m, 0);
	/* afterwards: a closed socket has no open episode to show */
	for (int i = 0; i < 3; i++) {
		n = model_take_interval(m, 0, &rows);
		assert_int_equal(n, 0);
		if (model_episode_due(&m->episodes[0], 0))
			fail_msg("interval %d after socket 130 closed: its episode is still "
				 "due (end_ns %llu, open), and is listed as open forever", i + 1,
				 (unsigned long long)m->episodes[0].end_ns);
		model_mark_episodes_reported(m, 0);
	}
}

/* ---- the episode log ------------------------------------------------------- */

static void test_episode_start_and_end(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;
	struct episode *e;

	sock_rec(&r, BS_REC_SOCK, 30, SEC);
	with_reader(&r, 300, "app");
	feed(m, &r);
	s = model_find(m, 30);

	zw_start(m, 30, BS_ZW_SENT, 2 * SEC, 65536);
	assert_int_equal(m->nepisodes, 1);
	e = &m->episodes[0];
	assert_int_equal(e->cookie, 30);
	assert_int_equal(e->dir, BS_ZW_SENT);
	assert_int_equal(e->start_ns, 2 * SEC);
	assert_int_equal(e->end_ns, 0);
	assert_int_equal(e->queue, 65536);
	assert_int_equal(e->probes, 0);
	assert_false((e->shown_open & 1));
	assert_false((e->shown_end & 1));
	assert_int_equal(s->zw_open_ns[BS_ZW_SENT], 2 * SEC);
	assert_int_equal(s->zw_open_ns[BS_ZW_RECV], 0);
	assert_true(s->active);
	/* the record does not replace what the iterator said */
	assert_int_equal(s->owner, OWNER_READER);
	assert_int_equal(s->pid, 300);

	zw_end(m, 30, BS_ZW_SENT, 2 * SEC, 2 * SEC + 7 * MS, 65536, 4);
	assert_int_equal(m->nepisodes, 1);	/* the same episode, now ended */
	e = &m->episodes[0];
	assert_int_equal(e->start_ns, 2 * SEC);
	assert_int_equal(e->end_ns, 2 * SEC + 7 * MS);
	assert_int_equal(e->probes, 4);
	assert_int_equal(e->queue, 65536);
	assert_int_equal(s->zw_open_ns[BS_ZW_SENT], 0);

	/* the next one is a new entry */
	zw_start(m, 30, BS_ZW_SENT, 3 * SEC, 1000);
	assert_int_equal(m->nepisodes, 2);
	assert_int_equal(m->episodes[1].start_ns, 3 * SEC);
	assert_int_equal(m->episodes[1].end_ns, 0);
	assert_int_equal(m->episodes[0].end_ns, 2 * SEC + 7 * MS);
}

/* Ends close the open episode of the same socket and direction only. */
static void test_episode_matching(void **state)
{
	struct model *m = *state;

	zw_start(m, 40, BS_ZW_SENT, 1 * SEC, 1);
	zw_start(m, 40, BS_ZW_RECV, 2 * SEC, 2);
	zw_start(m, 41, BS_ZW_SENT, 3 * SEC, 3);
	zw_start(m, 41, BS_ZW_RECV, 4 * SEC, 4);
	assert_int_equal(m->nepisodes, 4);

	zw_end(m, 40, BS_ZW_RECV, 2 * SEC, 5 * SEC, 2, 1);
	assert_int_equal(m->nepisodes, 4);
	assert_int_equal(m->episodes[0].end_ns, 0);
	assert_int_equal(m->episodes[1].end_ns, 5 * SEC);
	assert_int_equal(m->episodes[2].end_ns, 0);
	assert_int_equal(m->episodes[3].end_ns, 0);
	assert_int_equal(model_find(m, 40)->zw_open_ns[BS_ZW_RECV], 0);
	assert_int_equal(model_find(m, 40)->zw_open_ns[BS_ZW_SENT], 1 * SEC);
	assert_int_equal(model_find(m, 41)->zw_open_ns[BS_ZW_RECV], 4 * SEC);

	zw_end(m, 41, BS_ZW_SENT, 3 * SEC, 6 * SEC, 3, 2);
	assert_int_equal(m->nepisodes, 4);
	assert_int_equal(m->episodes[0].end_ns, 0);
	assert_int_equal(m->episodes[2].end_ns, 6 * SEC);
	assert_int_equal(m->episodes[2].probes, 2);
	assert_int_equal(m->episodes[3].end_ns, 0);

	/* a second start on 40/recv: a new open episode; its end closes it,
	 * not the old ended one */
	zw_start(m, 40, BS_ZW_RECV, 7 * SEC, 5);
	assert_int_equal(m->nepisodes, 5);
	zw_end(m, 40, BS_ZW_RECV, 7 * SEC, 8 * SEC, 5, 3);
	assert_int_equal(m->nepisodes, 5);
	assert_int_equal(m->episodes[1].end_ns, 5 * SEC);
	assert_int_equal(m->episodes[1].probes, 1);
	assert_int_equal(m->episodes[4].end_ns, 8 * SEC);
	assert_int_equal(m->episodes[4].probes, 3);
	assert_int_equal(m->episodes[4].dir, BS_ZW_RECV);
	assert_int_equal(m->episodes[4].cookie, 40);
}

/* The start record was lost: the end alone makes an ended episode. */
static void test_end_without_start(void **state)
{
	struct model *m = *state;
	struct episode *e;

	zw_start(m, 50, BS_ZW_SENT, 1 * SEC, 10);	/* the other direction is open */
	zw_end(m, 50, BS_ZW_RECV, 2 * SEC, 2 * SEC + 300 * MS, 4096, 9);
	assert_int_equal(m->nepisodes, 2);
	e = &m->episodes[1];
	assert_int_equal(e->cookie, 50);
	assert_int_equal(e->dir, BS_ZW_RECV);
	assert_int_equal(e->start_ns, 2 * SEC);
	assert_int_equal(e->end_ns, 2 * SEC + 300 * MS);
	assert_int_equal(e->queue, 4096);
	assert_int_equal(e->probes, 9);
	/* the open one in the other direction is untouched */
	assert_int_equal(m->episodes[0].end_ns, 0);
	assert_int_equal(model_find(m, 50)->zw_open_ns[BS_ZW_SENT], 1 * SEC);
	assert_int_equal(model_find(m, 50)->zw_open_ns[BS_ZW_RECV], 0);

	/* for a socket never seen before */
	zw_end(m, 51, BS_ZW_SENT, 5 * SEC, 6 * SEC, 1, 0);
	assert_int_equal(m->nepisodes, 3);
	assert_non_null(model_find(m, 51));
	assert_int_equal(m->episodes[2].end_ns, 6 * SEC);
	assert_int_equal(m->episodes[2].start_ns, 5 * SEC);
}

/* A socket first heard of through an episode: what the record tells. */
static void test_unknown_cookie_entry(void **state)
{
	struct model *m = *state;
	struct bs_flow_rec f;
	struct sock_entry *s;

	flow_rec(&f, BS_REC_ZW_START, 60, BS_ZW_SENT, 4 * SEC, 4 * SEC);
	set_ep(&f.ep, "fd00::1", 443, "fd00::2", 55555);
	f.reader.pid = 4242;
	f.reader.tid = 4243;
	f.reader.cgroup_id = 99;
	strcpy(f.reader.comm, "slowpoke");
	assert_int_equal(model_apply_flow(m, &f), 0);
	assert_int_equal(m->n, 1);
	s = model_find(m, 60);
	assert_non_null(s);
	assert_int_equal(s->ep.family, AF_INET6);
	assert_int_equal(s->ep.sport, 443);
	assert_int_equal(s->ep.dport, 55555);
	assert_memory_equal(s->ep.saddr, f.ep.saddr, 16);
	assert_memory_equal(s->ep.daddr, f.ep.daddr, 16);
	assert_int_equal(s->owner, OWNER_READER);
	assert_int_equal(s->pid, 4242);
	assert_int_equal(s->tid, 4243);
	assert_int_equal(s->cgroup_id, 99);
	assert_string_equal(s->comm, "slowpoke");
	assert_int_equal(s->first_seen_ns, 4 * SEC);
	assert_int_equal(s->sample_ns, 4 * SEC);
	assert_int_equal(s->zw_open_ns[BS_ZW_SENT], 4 * SEC);
	assert_true(s->active);
	assert_false(s->closed);
	/* the summary lists it */
	{
		struct sock_row *rows;
		long n = model_summary(m, &rows);

		assert_int_equal(n, 1);
		assert_ptr_equal(rows[0].s, s);
		free(rows);
	}

	/* no reader in the record: the owner stays unknown */
	flow_rec(&f, BS_REC_ZW_START, 61, BS_ZW_RECV, 5 * SEC, 5 * SEC);
	assert_int_equal(model_apply_flow(m, &f), 0);
	s = model_find(m, 61);
	assert_non_null(s);
	assert_int_equal(s->owner, OWNER_UNKNOWN);
	assert_int_equal(s->ep.sport, 6061);

	/* the iterator's record, when it comes, fills in the rest */
	{
		struct bs_sock_rec r;

		sock_rec(&r, BS_REC_SOCK, 61, 6 * SEC);
		r.queue_bytes = 77;
		r.state.f.zw[BS_ZW_RECV].episodes = 1;
		r.state.f.zw[BS_ZW_RECV].start_ns = 5 * SEC;
		feed(m, &r);
		assert_int_equal(m->n, 2);
		assert_int_equal(s->queue_bytes, 77);
		assert_int_equal(s->first_seen_ns, 5 * SEC);
		assert_int_equal(s->total.zw_ns[BS_ZW_RECV], 1 * SEC);
	}
}

/* Drops and buffer changes are counted from the socket state: their records
 * leave the model as it was, known socket or not. */
static void test_drop_and_rcvbuf_records_change_nothing(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct bs_flow_rec f;
	struct sock_entry before;
	struct sock_entry *s;
	static const uint32_t kinds[] = { BS_REC_DROP, BS_REC_RCVBUF };

	sock_rec(&r, BS_REC_SOCK, 70, SEC);
	r.state.f.drops = 2;
	r.state.f.rcvbuf_changes = 1;
	feed(m, &r);
	s = model_find(m, 70);
	memcpy(&before, s, sizeof(before));
	for (size_t k = 0; k < 2; k++) {
		flow_rec(&f, kinds[k], 70, BS_ZW_RECV, 2 * SEC, 0);
		f.reason = 32;
		f.old_rcvbuf = 1000;
		f.new_rcvbuf = 2000;
		f.reader.pid = 5;
		assert_int_equal(model_apply_flow(m, &f), 0);
		assert_memory_equal(s, &before, sizeof(before));
		/* unknown cookie: no entry made */
		f.cookie = 71;
		assert_int_equal(model_apply_flow(m, &f), 0);
		assert_null(model_find(m, 71));
	}
	assert_int_equal(m->n, 1);
	assert_int_equal(m->nepisodes, 0);
	assert_int_equal(s->total.drops, 2);
	assert_int_equal(s->total.rcvbuf_changes, 1);
}

static void test_episode_due_and_reported(void **state)
{
	struct model *m = *state;

	zw_start(m, 80, BS_ZW_SENT, 1 * SEC, 1);	/* stays open */
	zw_start(m, 80, BS_ZW_RECV, 1 * SEC, 1);
	zw_end(m, 80, BS_ZW_RECV, 1 * SEC, 2 * SEC, 1, 0);	/* ended */
	zw_start(m, 81, BS_ZW_SENT, 1 * SEC, 1);	/* open, ends later */
	assert_true(model_episode_due(&m->episodes[0], 0));
	assert_true(model_episode_due(&m->episodes[1], 0));
	assert_true(model_episode_due(&m->episodes[2], 0));

	model_mark_episodes_reported(m, 0);
	assert_true((m->episodes[0].shown_open & 1));
	assert_false((m->episodes[0].shown_end & 1));
	assert_true((m->episodes[1].shown_end & 1));
	assert_true(model_episode_due(&m->episodes[0], 0));	/* still open */
	assert_false(model_episode_due(&m->episodes[1], 0));	/* shown once */
	assert_true(model_episode_due(&m->episodes[2], 0));

	zw_end(m, 81, BS_ZW_SENT, 1 * SEC, 3 * SEC, 1, 0);
	assert_true(model_episode_due(&m->episodes[2], 0));	/* ended: once more */
	model_mark_episodes_reported(m, 0);
	assert_false(model_episode_due(&m->episodes[2], 0));
	assert_true(model_episode_due(&m->episodes[0], 0));
	model_mark_episodes_reported(m, 0);
	assert_false(model_episode_due(&m->episodes[1], 0));
	assert_false(model_episode_due(&m->episodes[2], 0));

	/* an episode that begins and ends between two intervals is due once */
	zw_start(m, 82, BS_ZW_SENT, 4 * SEC, 1);
	zw_end(m, 82, BS_ZW_SENT, 4 * SEC, 4 * SEC + 1, 1, 0);
	assert_true(model_episode_due(&m->episodes[3], 0));
	assert_false((m->episodes[3].shown_open & 1));
	model_mark_episodes_reported(m, 0);
	assert_false(model_episode_due(&m->episodes[3], 0));
}

/* The log keeps at most MODEL_MAX_EPISODES: at the bound the oldest ended
 * ones go, MODEL_FORGET_EPISODES at once, never an open one. */
static void test_episode_log_bound(void **state)
{
	struct model *m = *state;
	uint64_t t = SEC;

	zw_start(m, 1, BS_ZW_SENT, t, 11);	/* the oldest, and open throughout */
	for (size_t i = 1; i < MODEL_MAX_EPISODES; i++, t += 10)
		zw_end(m, 2 + i % 3, (uint32_t)(i & 1), t, t + 5, (uint32_t)i, 0);
	assert_int_equal(m->nepisodes, MODEL_MAX_EPISODES);
	assert_int_equal(m->episodes_forgotten, 0);

	zw_end(m, 9, BS_ZW_SENT, t, t + 5, 777777, 0);
	assert_int_equal(m->nepisodes, MODEL_MAX_EPISODES - MODEL_FORGET_EPISODES + 1);
	assert_int_equal(m->episodes_forgotten, MODEL_FORGET_EPISODES);
	/* the open one is still first; the oldest ended ones (queue 1...) are gone */
	assert_int_equal(m->episodes[0].cookie, 1);
	assert_int_equal(m->episodes[0].end_ns, 0);
	assert_int_equal(m->episodes[0].queue, 11);
	assert_int_equal(m->episodes[1].queue, MODEL_FORGET_EPISODES + 1);
	assert_int_equal(m->episodes[m->nepisodes - 1].queue, 777777);
	assert_int_equal(m->episodes[m->nepisodes - 1].cookie, 9);

	/* a start appends; nothing is forgotten until the bound again */
	zw_start(m, 10, BS_ZW_RECV, t + 100, 888888);
	assert_int_equal(m->episodes_forgotten, MODEL_FORGET_EPISODES);
	assert_int_equal(m->episodes[m->nepisodes - 1].queue, 888888);

	/* and the open one from the start can still be ended */
	zw_end(m, 1, BS_ZW_SENT, SEC, t + 200, 11, 6);
	assert_int_equal(m->episodes[0].end_ns, t + 200);
	assert_int_equal(m->episodes[0].probes, 6);
	assert_int_equal(m->episodes_forgotten, MODEL_FORGET_EPISODES);
	/* at the bound again, it is among the oldest ended ones: it goes */
	while (m->nepisodes < MODEL_MAX_EPISODES) {	/* distinct episodes */
		t += 1000;
		zw_end(m, 12, BS_ZW_SENT, t, t + 300, 999999, 0);
	}
	zw_end(m, 12, BS_ZW_SENT, t + 1000, t + 1300, 999999, 0);
	assert_int_equal(m->episodes_forgotten, 2 * MODEL_FORGET_EPISODES);
	assert_int_not_equal(m->episodes[0].cookie, 1);
}

/* When every episode in the log is open, none is forgotten. */
static void test_episode_log_full_of_open(void **state)
{
	struct model *m = *state;

	for (uint64_t c = 0; c < MODEL_MAX_EPISODES; c++)
		zw_start(m, 1000 + c, BS_ZW_SENT, SEC + c, (uint32_t)c);
	assert_int_equal(m->nepisodes, MODEL_MAX_EPISODES);
	{
		struct bs_flow_rec f;

		flow_rec(&f, BS_REC_ZW_START, 99999, BS_ZW_SENT, 2 * SEC, 2 * SEC);
		assert_true(model_apply_flow(m, &f) < 0);
		flow_rec(&f, BS_REC_ZW_END, 99998, BS_ZW_SENT, 3 * SEC, 2 * SEC);
		assert_true(model_apply_flow(m, &f) < 0);
	}
	assert_int_equal(m->nepisodes, MODEL_MAX_EPISODES);
	assert_int_equal(m->episodes_forgotten, 0);
	for (size_t i = 0; i < MODEL_MAX_EPISODES; i++) {
		assert_int_equal(m->episodes[i].end_ns, 0);
		assert_int_equal(m->episodes[i].cookie, 1000 + i);
	}
	/* an end for one in the log still works, and then there is room */
	zw_end(m, 1500, BS_ZW_SENT, SEC + 500, 4 * SEC, 500, 1);
	assert_int_equal(m->episodes[500].end_ns, 4 * SEC);
	zw_start(m, 99999, BS_ZW_SENT, 5 * SEC, 1);
	assert_int_equal(m->episodes_forgotten, 1);
	assert_int_equal(m->episodes[500].cookie, 1501);
	assert_int_equal(m->episodes[MODEL_MAX_EPISODES - 1].cookie, 99999);
}

/* ---- drops by reason ------------------------------------------------------- */

static const struct drop_count *drop_slot(const struct sock_entry *s,
					  uint32_t reason)
{
	for (int k = 0; k < MODEL_DROP_REASONS; k++)
		if (s->drops_by[k].total && s->drops_by[k].reason == reason)
			return &s->drops_by[k];
	return NULL;
}

/* What cursor 0 took of a reason's drops at its last interval. */
static uint64_t drop_taken(const struct sock_entry *s, uint32_t reason)
{
	const struct drop_count *d = drop_slot(s, reason);

	assert_non_null(d);
	return s->mark[0].drops_reported[d - s->drops_by];
}

static void test_drops_by_reason(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;
	struct sock_row *rows;

	sock_rec(&r, BS_REC_SOCK, 90, SEC);
	feed(m, &r);
	s = model_find(m, 90);
	assert_false(s->active);

	model_set_drops(m, 90, 32, 3);
	model_set_drops(m, 90, 6, 1);
	assert_true(s->active);
	assert_non_null(drop_slot(s, 32));
	assert_int_equal(drop_slot(s, 32)->total, 3);
	assert_int_equal(drop_taken(s, 32), 0);
	assert_int_equal(drop_slot(s, 6)->total, 1);

	/* totals are the kernel's: set, not added */
	model_set_drops(m, 90, 32, 5);
	model_set_drops(m, 90, 32, 5);
	assert_int_equal(drop_slot(s, 32)->total, 5);
	assert_int_equal(drop_slot(s, 6)->total, 1);

	/* the interval boundary moves the baseline */
	assert_true(model_take_interval(m, 0, &rows) >= 0);
	free(rows);
	assert_int_equal(drop_taken(s, 32), 5);
	assert_int_equal(drop_taken(s, 6), 1);
	model_set_drops(m, 90, 32, 9);
	model_set_drops(m, 90, 41, 2);
	assert_int_equal(drop_slot(s, 32)->total - drop_taken(s, 32), 4);
	assert_int_equal(drop_slot(s, 6)->total - drop_taken(s, 6), 0);
	assert_int_equal(drop_slot(s, 41)->total - drop_taken(s, 41), 2);
	assert_true(model_take_interval(m, 0, &rows) >= 0);
	free(rows);
	assert_int_equal(drop_taken(s, 32), 9);
	assert_int_equal(drop_taken(s, 41), 2);

	/* an unknown socket: ignored, nothing created */
	model_set_drops(m, 12345, 32, 1);
	assert_null(model_find(m, 12345));
	assert_int_equal(m->n, 1);
}

static void test_drops_more_reasons_than_slots(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;

	sock_rec(&r, BS_REC_SOCK, 91, SEC);
	feed(m, &r);
	s = model_find(m, 91);
	for (uint32_t k = 0; k < MODEL_DROP_REASONS; k++)
		model_set_drops(m, 91, 100 + k, 10 + k);
	/* one reason too many: the eight kept ones are not disturbed */
	model_set_drops(m, 91, 200, 4);
	for (uint32_t k = 0; k < MODEL_DROP_REASONS; k++) {
		assert_non_null(drop_slot(s, 100 + k));
		assert_int_equal(drop_slot(s, 100 + k)->total, 10 + k);
	}
	assert_null(drop_slot(s, 200));
	/* known reasons still update */
	model_set_drops(m, 91, 103, 50);
	assert_int_equal(drop_slot(s, 103)->total, 50);
	/* the extra reason's drops are not lost: rows report them as unlisted */
	{
		struct sock_row *rows;
		uint64_t listed = 0;
		long n;

		for (uint32_t k = 0; k < MODEL_DROP_REASONS; k++)
			listed += k == 3 ? 50 : 10 + k;
		r.ts_ns = 2 * SEC;
		r.state.f.drops = listed + 6;	/* the kernel's total: 6 of reason 200 */
		feed(m, &r);
		model_set_drops(m, 91, 200, 6);
		n = model_summary(m, &rows);
		assert_int_equal(n, 1);
		if (rows[0].drops_other != 6)
			fail_msg("a 9th drop reason with 6 drops: drops_other is %llu, want 6",
				 (unsigned long long)rows[0].drops_other);
		assert_int_equal(rows[0].drops_by[3], 50);
		free(rows);
	}
}

/* A socket taken for gone (missing from a scan) inside an episode: the episode
 * ends there, and when the real end arrives it is the same episode. */
static void test_vanished_then_end_is_one_episode(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	size_t count = 0;

	sock_rec(&r, BS_REC_SOCK, 140, 2 * SEC);
	r.state.c.reads = 1;
	r.state.f.zw[BS_ZW_SENT].episodes = 1;
	r.state.f.zw[BS_ZW_SENT].start_ns = 1 * SEC;
	feed(m, &r);
	zw_start(m, 140, BS_ZW_SENT, 1 * SEC, 100);
	model_begin_pass(m);
	model_end_pass(m);	/* not seen: closed, its episode ended */
	assert_true(model_find(m, 140)->closed);
	zw_end(m, 140, BS_ZW_SENT, 1 * SEC, 3 * SEC, 100, 0);
	for (size_t i = 0; i < m->nepisodes; i++)
		count += m->episodes[i].cookie == 140;
	assert_int_equal(count, 1);
	assert_int_equal(m->episodes[0].end_ns, 3 * SEC);
	/* not destroyed: its drop entries are kept */
	assert_false(model_find(m, 140)->destroyed);
	r.kind = BS_REC_CLOSE;
	r.ts_ns = 4 * SEC;
	feed(m, &r);
	assert_true(model_find(m, 140)->destroyed);
}

/* ---- peers ------------------------------------------------------------------- */

static struct sock_entry *add_sock(struct model *m, uint64_t cookie,
				   const char *laddr, uint16_t lport,
				   const char *raddr, uint16_t rport)
{
	struct bs_sock_rec r;

	sock_rec(&r, BS_REC_SOCK, cookie, SEC);
	set_ep(&r.ep, laddr, lport, raddr, rport);
	feed(m, &r);
	return model_find(m, cookie);
}

static void test_peer_ipv4(void **state)
{
	struct model *m = *state;
	struct sock_entry *a, *b, *c, *d, *e, *lone;

	a = add_sock(m, 100, "127.0.0.1", 5000, "127.0.0.2", 40000);
	c = add_sock(m, 102, "127.0.0.2", 40000, "127.0.0.3", 5000);	/* other addr */
	d = add_sock(m, 103, "127.0.0.2", 40001, "127.0.0.1", 5000);	/* other port */
	e = add_sock(m, 104, "127.0.0.1", 5000, "127.0.0.2", 40000);	/* same way */
	b = add_sock(m, 101, "127.0.0.2", 40000, "127.0.0.1", 5000);
	lone = add_sock(m, 105, "10.9.9.9", 1, "10.9.9.8", 2);
	assert_ptr_equal(model_peer(m, a), b);
	/* e has a's endpoints and came later: a's successor, b's peer now */
	assert_ptr_equal(model_peer(m, b), e);
	assert_ptr_equal(model_peer(m, e), b);
	assert_null(model_peer(m, c));
	assert_null(model_peer(m, d));
	assert_null(model_peer(m, lone));

	/* IPv4 compares 4 bytes: garbage after them does not matter */
	a->ep.saddr[7] = 0xaa;
	b->ep.daddr[9] = 0xbb;
	assert_ptr_equal(model_peer(m, a), b);
	assert_ptr_equal(model_peer(m, b), e);
}

static void test_peer_ipv6_and_family(void **state)
{
	struct model *m = *state;
	struct sock_entry *a, *b, *near, *v4;

	a = add_sock(m, 110, "fd00::1:1", 443, "fd00::2:2", 50000);
	/* same first 4 bytes, different rest: not the peer */
	near = add_sock(m, 111, "fd00::2:3", 50000, "fd00::1:1", 443);
	b = add_sock(m, 112, "fd00::2:2", 50000, "fd00::1:1", 443);
	assert_ptr_equal(model_peer(m, a), b);
	assert_ptr_equal(model_peer(m, b), a);
	assert_null(model_peer(m, near));

	/* a socket connected to itself is not its own peer */
	{
		struct sock_entry *self = add_sock(m, 113, "::1", 7777, "::1", 7777);

		assert_null(model_peer(m, self));
	}
	/* the same 4 bytes and ports under another family are not the peer */
	v4 = add_sock(m, 114, "10.0.0.1", 80, "10.0.0.2", 90);
	{
		struct sock_entry *v6 = add_sock(m, 115, "::1", 90, "::1", 80);

		memset(v6->ep.saddr, 0, 16);
		memset(v6->ep.daddr, 0, 16);
		memcpy(v6->ep.saddr, v4->ep.daddr, 4);
		memcpy(v6->ep.daddr, v4->ep.saddr, 4);
		assert_null(model_peer(m, v4));
		assert_null(model_peer(m, v6));
	}
}

/* ---- the reader's stall -------------------------------------------------------- */

static void test_reader_stall(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;

	/* queue empty: no stall */
	sock_rec(&r, BS_REC_SOCK, 120, 10 * SEC);
	r.state.c.last_read_ns = 2 * SEC;
	r.state.f.nonempty_since_ns = 3 * SEC;
	feed(m, &r);
	s = model_find(m, 120);
	assert_int_equal(model_reader_stall_ns(s), -1);

	/* data waiting since 3 s, last read at 2 s: waiting counts */
	r.queue_bytes = 100;
	feed(m, &r);
	assert_int_equal(model_reader_stall_ns(s), 7 * SEC);

	/* a later read: counts from it */
	r.state.c.last_read_ns = 6 * SEC;
	feed(m, &r);
	assert_int_equal(model_reader_stall_ns(s), 4 * SEC);

	/* nothing known of either: since bufscope first saw the socket */
	sock_rec(&r, BS_REC_SOCK, 121, 4 * SEC);
	r.queue_bytes = 1;
	feed(m, &r);
	s = model_find(m, 121);
	r.ts_ns = 9 * SEC;
	feed(m, &r);
	assert_int_equal(s->first_seen_ns, 4 * SEC);
	assert_int_equal(model_reader_stall_ns(s), 5 * SEC);

	/* only a read known */
	r.state.c.last_read_ns = 8 * SEC;
	feed(m, &r);
	assert_int_equal(model_reader_stall_ns(s), 1 * SEC);

	/* a timestamp after the sample (clock races) gives 0, not a wrap */
	r.state.c.last_read_ns = 12 * SEC;
	feed(m, &r);
	assert_int_equal(model_reader_stall_ns(s), 0);

	/* closed: no stall, whatever was waiting */
	r.kind = BS_REC_CLOSE;
	r.queue_bytes = 50;
	feed(m, &r);
	assert_int_equal(model_reader_stall_ns(s), -1);

	/* gone from the iterator: closed as well */
	sock_rec(&r, BS_REC_SOCK, 122, 4 * SEC);
	r.queue_bytes = 10;
	r.state.f.nonempty_since_ns = 3 * SEC;
	feed(m, &r);
	s = model_find(m, 122);
	assert_int_equal(model_reader_stall_ns(s), 1 * SEC);
	model_begin_pass(m);
	model_end_pass(m);
	assert_int_equal(model_reader_stall_ns(s), -1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_flow_state_copied),
		T(test_open_episode_time_grows),
		T(test_flow_deltas_sum_to_summary),
		T(test_flow_only_socket_listed),
		T(test_byte_age_interval_vs_run),
		T(test_close_with_open_episode),
		T(test_close_ends_open_episode),
		T(test_episode_start_and_end),
		T(test_episode_matching),
		T(test_end_without_start),
		T(test_unknown_cookie_entry),
		T(test_drop_and_rcvbuf_records_change_nothing),
		T(test_episode_due_and_reported),
		T(test_episode_log_bound),
		T(test_episode_log_full_of_open),
		T(test_drops_by_reason),
		T(test_drops_more_reasons_than_slots),
		T(test_vanished_then_end_is_one_episode),
		T(test_peer_ipv4),
		T(test_peer_ipv6_and_family),
		T(test_reader_stall),
	};

	return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
