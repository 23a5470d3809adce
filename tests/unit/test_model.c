// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/model/model.c, fed with hand-built bs_sock_rec records. */
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

/* ---- record builders ---------------------------------------------------- */

static void rec_init(struct bs_sock_rec *r, uint32_t kind, uint64_t cookie)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->cookie = cookie;
	r->ts_ns = 1000000;
	r->inode = 10000 + cookie;
	r->ep.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", r->ep.saddr);
	inet_pton(AF_INET, "127.0.0.1", r->ep.daddr);
	r->ep.sport = 5000;
	r->ep.dport = (uint16_t)(40000 + cookie % 1000);
	r->ep.tcp_state = 1;
	r->rcvbuf = 131072;
}

/* A socket that has been read by pid/comm: state and reader valid. */
static void rec_read(struct bs_sock_rec *r, uint32_t kind, uint64_t cookie,
		     uint32_t pid, const char *comm, uint64_t reads, uint64_t bytes,
		     uint32_t queue)
{
	rec_init(r, kind, cookie);
	r->flags = BS_SF_HAS_STATE | BS_SF_HAS_READER;
	r->queue_bytes = queue;
	r->rmem_alloc = queue * 2;
	r->state.c.reads = reads;
	r->state.c.bytes = bytes;
	r->state.c.req_reads = reads;
	r->state.c.req_bytes = reads * 4096;
	r->state.c.full_reads = reads / 2;
	r->state.c.eof_reads = 1;
	r->state.c.eagain_reads = reads / 3;
	r->state.c.error_reads = 0;
	r->state.c.peek_reads = reads / 4;
	r->state.c.peek_bytes = reads * 10;
	r->state.c.arrivals = reads + 2;
	r->state.c.queue_peak = queue;
	r->state.c.first_ns = 5;
	r->state.c.last_read_ns = 6;
	r->state.reader.pid = pid;
	r->state.reader.tid = pid + 1;
	r->state.reader.cgroup_id = 777;
	strncpy(r->state.reader.comm, comm, BS_COMM_LEN - 1);
	r->state.hist[BS_HIST_RET][11] = reads;
}

static struct model *new_model(void)
{
	struct model *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	assert_int_equal(model_init(m), 0);
	assert_int_equal(model_cursor_open(m, 0), 0);
	return m;
}

static int setup_model(void **state)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m || model_init(m) || model_cursor_open(m, 0) != 0)
		return -1;
	*state = m;
	return 0;
}

static int teardown_model(void **state)
{
	struct model *m = *state;

	model_free(m);
	free(m);
	return 0;
}

static void apply(struct model *m, const struct bs_sock_rec *r)
{
	assert_int_equal(model_apply(m, r), 0);
}

/* The row of a cookie in a row array, NULL if absent. */
static const struct sock_row *row_of(const struct sock_row *rows, long n,
				     uint64_t cookie)
{
	for (long i = 0; i < n; i++)
		if (rows[i].s->cookie == cookie)
			return &rows[i];
	return NULL;
}

/* Ends an interval whose rows the test does not look at. */
static void take_and_free(struct model *m)
{
	struct sock_row *rows;

	assert_true(model_take_interval(m, 0, &rows) >= 0);
	free(rows);
}

/* ---- tests -------------------------------------------------------------- */

static void test_empty_model(void **state)
{
	struct model *m = *state;
	struct sock_row *rows = (struct sock_row *)1;
	struct proc_row *procs = (struct proc_row *)1;

	assert_null(model_find(m, 1));
	assert_int_equal(model_take_interval(m, 0, &rows), 0);
	assert_null(rows);
	assert_int_equal(model_summary(m, &rows), 0);
	assert_null(rows);
	assert_int_equal(model_rollup(NULL, 0, &procs), 0);
	assert_null(procs);
}

static void test_bad_kind_rejected(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;

	rec_init(&r, BS_REC_READ, 5);
	assert_int_equal(model_apply(m, &r), -EINVAL);
	rec_init(&r, 0, 5);
	assert_int_equal(model_apply(m, &r), -EINVAL);
	/* flow records are not socket records */
	for (uint32_t k = BS_REC_ZW_START; k <= BS_REC_RCVBUF; k++) {
		rec_init(&r, k, 5);
		assert_int_equal(model_apply(m, &r), -EINVAL);
	}
	assert_null(model_find(m, 5));
}

static void test_socket_appears_with_counters(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;

	rec_read(&r, BS_REC_SOCK, 42, 1234, "reader", 5, 5000, 300);
	apply(m, &r);
	s = model_find(m, 42);
	assert_non_null(s);
	assert_int_equal(s->cookie, 42);
	assert_int_equal(s->inode, 10042);
	assert_int_equal(s->owner, OWNER_READER);
	assert_int_equal(s->pid, 1234);
	assert_int_equal(s->tid, 1235);
	assert_int_equal(s->cgroup_id, 777);
	assert_string_equal(s->comm, "reader");
	assert_int_equal(s->total.reads, 5);
	assert_int_equal(s->total.bytes, 5000);
	assert_int_equal(s->total.req_reads, 5);
	assert_int_equal(s->total.req_bytes, 5 * 4096);
	assert_int_equal(s->total.full_reads, 2);
	assert_int_equal(s->total.eof_reads, 1);
	assert_int_equal(s->total.eagain_reads, 1);
	assert_int_equal(s->total.peek_reads, 1);
	assert_int_equal(s->total.peek_bytes, 50);
	assert_int_equal(s->total.arrivals, 7);
	assert_int_equal(s->queue_bytes, 300);
	assert_int_equal(s->rcvbuf, 131072);
	assert_int_equal(s->rmem_alloc, 600);
	assert_non_null(s->hist);
	assert_int_equal(s->hist[BS_HIST_RET * BS_HIST_SLOTS + 11], 5);
	assert_int_equal(s->ep.sport, 5000);
	assert_int_equal(s->ep.dport, 40042);
	assert_int_equal(s->ep.tcp_state, 1);
	assert_true(s->active);
	assert_false(s->closed);
	assert_int_equal(s->peak_run, 300);
	assert_null(model_find(m, 43));
}

static void test_interval_deltas_sum_to_totals(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	/* cumulative (reads, bytes) per interval for two sockets */
	static const uint64_t a[][2] = { { 3, 300 }, { 10, 1500 }, { 10, 1500 }, { 25, 9000 } };
	static const uint64_t b[][2] = { { 1, 10 }, { 4, 40 }, { 9, 90 }, { 9, 95 } };
	uint64_t sum_a[2] = { 0, 0 }, sum_b[2] = { 0, 0 }, arr_a = 0;
	long n;

	for (size_t i = 0; i < 4; i++) {
		const struct sock_row *ra, *rb;

		rec_read(&r, BS_REC_SOCK, 1, 100, "a", a[i][0], a[i][1], 0);
		apply(m, &r);
		rec_read(&r, BS_REC_SOCK, 2, 200, "b", b[i][0], b[i][1], 0);
		apply(m, &r);
		n = model_take_interval(m, 0, &rows);
		assert_true(n >= 0);
		ra = row_of(rows, n, 1);
		rb = row_of(rows, n, 2);
		/* socket a: interval 3 had no change, so no row */
		if (i == 2) {
			assert_null(ra);
		} else {
			assert_non_null(ra);
			assert_int_equal(ra->d.reads, a[i][0] - (i ? a[i - 1][0] : 0));
			assert_int_equal(ra->d.bytes, a[i][1] - (i ? a[i - 1][1] : 0));
			sum_a[0] += ra->d.reads;
			sum_a[1] += ra->d.bytes;
			arr_a += ra->d.arrivals;
		}
		assert_non_null(rb);
		assert_int_equal(rb->d.reads, b[i][0] - (i ? b[i - 1][0] : 0));
		assert_int_equal(rb->d.bytes, b[i][1] - (i ? b[i - 1][1] : 0));
		sum_b[0] += rb->d.reads;
		sum_b[1] += rb->d.bytes;
		free(rows);
	}

	n = model_summary(m, &rows);
	assert_int_equal(n, 2);
	assert_int_equal(row_of(rows, n, 1)->d.reads, sum_a[0]);
	assert_int_equal(row_of(rows, n, 1)->d.bytes, sum_a[1]);
	assert_int_equal(row_of(rows, n, 1)->d.arrivals, arr_a);
	assert_int_equal(row_of(rows, n, 1)->d.reads, 25);
	assert_int_equal(row_of(rows, n, 1)->d.bytes, 9000);
	assert_int_equal(row_of(rows, n, 2)->d.reads, sum_b[0]);
	assert_int_equal(row_of(rows, n, 2)->d.bytes, sum_b[1]);
	free(rows);

	/* The summary does not move the interval baseline. */
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 0);
	assert_null(rows);
}

static void test_every_counter_delta(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r1, r2;
	struct sock_row *rows;
	long n;

	rec_read(&r1, BS_REC_SOCK, 9, 1, "x", 12, 1200, 0);
	apply(m, &r1);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	free(rows);

	rec_read(&r2, BS_REC_SOCK, 9, 1, "x", 30, 7000, 0);
	r2.state.c.error_reads = 4;
	apply(m, &r2);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].d.reads, 18);
	assert_int_equal(rows[0].d.bytes, 5800);
	assert_int_equal(rows[0].d.req_reads, 18);
	assert_int_equal(rows[0].d.req_bytes, 18 * 4096);
	assert_int_equal(rows[0].d.full_reads, 15 - 6);
	assert_int_equal(rows[0].d.eof_reads, 0);
	assert_int_equal(rows[0].d.eagain_reads, 10 - 4);
	assert_int_equal(rows[0].d.error_reads, 4);
	assert_int_equal(rows[0].d.peek_reads, 7 - 3);
	assert_int_equal(rows[0].d.peek_bytes, 300 - 120);
	assert_int_equal(rows[0].d.arrivals, 32 - 14);
	free(rows);
}

static void test_counter_going_backwards_clamps(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	long n;

	rec_read(&r, BS_REC_SOCK, 3, 1, "x", 10, 1000, 0);
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	free(rows);
	assert_int_equal(n, 1);
	/* A smaller cumulative value never gives a huge unsigned delta. */
	rec_read(&r, BS_REC_SOCK, 3, 1, "x", 8, 900, 0);
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	for (long i = 0; i < n; i++) {
		assert_int_equal(rows[i].d.reads, 0);
		assert_int_equal(rows[i].d.bytes, 0);
	}
	free(rows);
}

static void test_unread_socket_with_queue(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;
	struct sock_row *rows;
	long n;

	/* No state (never read while we watched) but bytes waiting. */
	rec_init(&r, BS_REC_SOCK, 77);
	r.queue_bytes = 65536;
	r.rmem_alloc = 100000;
	apply(m, &r);
	s = model_find(m, 77);
	assert_non_null(s);
	assert_true(s->active);
	assert_int_equal(s->owner, OWNER_UNKNOWN);
	assert_int_equal(s->pid, 0);
	assert_int_equal(s->total.reads, 0);
	assert_true(model_visible(m, s));

	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_ptr_equal(rows[0].s, s);
	assert_int_equal(rows[0].s->owner, OWNER_UNKNOWN);
	assert_int_equal(rows[0].d.reads, 0);
	assert_int_equal(rows[0].peak, 65536);
	free(rows);

	/* /proc found the holder. */
	model_set_owner(s, 4321, "stalled");
	assert_int_equal(s->owner, OWNER_FD);
	assert_int_equal(s->pid, 4321);
	assert_int_equal(s->tid, 0);
	assert_string_equal(s->comm, "stalled");

	/* Still waiting: listed again, now with its owner. */
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].s->owner, OWNER_FD);
	assert_int_equal(rows[0].s->pid, 4321);
	free(rows);

	/* A later sample without a reader keeps what /proc said. */
	apply(m, &r);
	assert_int_equal(s->owner, OWNER_FD);
	assert_int_equal(s->pid, 4321);
}

static void test_set_owner_does_not_override_reader(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;

	rec_read(&r, BS_REC_SOCK, 8, 55, "realreader", 1, 10, 0);
	apply(m, &r);
	s = model_find(m, 8);
	model_set_owner(s, 66, "holder");
	assert_int_equal(s->owner, OWNER_READER);
	assert_int_equal(s->pid, 55);
	assert_string_equal(s->comm, "realreader");
}

static void test_set_owner_truncates_comm(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;

	rec_init(&r, BS_REC_SOCK, 12);
	r.queue_bytes = 1;
	apply(m, &r);
	s = model_find(m, 12);
	model_set_owner(s, 1, "a-name-longer-than-fifteen");
	assert_int_equal(strnlen(s->comm, sizeof(s->comm)), BS_COMM_LEN - 1);
	assert_string_equal(s->comm, "a-name-longer-t");
}

static void test_reader_replaces_fd_owner(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;

	rec_init(&r, BS_REC_SOCK, 13);
	r.queue_bytes = 10;
	apply(m, &r);
	s = model_find(m, 13);
	model_set_owner(s, 1, "holder");
	rec_read(&r, BS_REC_SOCK, 13, 2, "reader", 1, 10, 0);
	apply(m, &r);
	s = model_find(m, 13);
	assert_int_equal(s->owner, OWNER_READER);
	assert_int_equal(s->pid, 2);
	assert_string_equal(s->comm, "reader");
}

/*
 * --cgroup: the kernel let through only readers and closers in the cgroup;
 * a socket placed by /proc counts when its holder is in it, an unknown owner
 * never. With -p too, both must hold.
 */
static void test_visible_cgroup(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *a, *in, *out, *u;
	struct sock_row *rows;
	long n;

	rec_read(&r, BS_REC_SOCK, 1, 100, "alpha", 1, 10, 0);
	apply(m, &r);
	for (uint64_t cookie = 2; cookie <= 4; cookie++) {
		rec_init(&r, BS_REC_SOCK, cookie);
		r.queue_bytes = 5;
		apply(m, &r);
	}
	a = model_find(m, 1);
	in = model_find(m, 2);
	out = model_find(m, 3);
	u = model_find(m, 4);
	model_set_owner(in, 300, "held");
	in->holder_in_cgroup = true;
	model_set_owner(out, 400, "held");
	m->filter.has_cgroup = true;
	assert_true(model_visible(m, a));
	assert_true(model_visible(m, in));
	assert_false(model_visible(m, out));
	assert_false(model_visible(m, u));
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 2);
	assert_non_null(row_of(rows, n, 1));
	assert_non_null(row_of(rows, n, 2));
	free(rows);
	/* and -p */
	m->filter.pids[0] = 300;
	m->filter.npids = 1;
	assert_false(model_visible(m, a));
	assert_true(model_visible(m, in));
	/* the cgroup id of each kind of owner */
	assert_int_equal(model_cgroup_id(a), 777);
	in->cgroup_id = 55;
	assert_int_equal(model_cgroup_id(in), 55);
	u->cgroup_id = 66;	/* (never set so; an unknown owner has none) */
	assert_int_equal(model_cgroup_id(u), 0);
}

static void test_visible_filters(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *a, *b, *u;
	struct sock_row *rows;
	long n;

	rec_read(&r, BS_REC_SOCK, 1, 100, "alpha", 1, 10, 0);
	apply(m, &r);
	rec_read(&r, BS_REC_SOCK, 2, 200, "beta", 1, 10, 0);
	apply(m, &r);
	rec_init(&r, BS_REC_SOCK, 3);
	r.queue_bytes = 5;
	apply(m, &r);
	a = model_find(m, 1);
	b = model_find(m, 2);
	u = model_find(m, 3);

	/* No filter: everything, including the unknown owner. */
	assert_true(model_visible(m, a));
	assert_true(model_visible(m, b));
	assert_true(model_visible(m, u));

	/* pid filter */
	m->filter.pids[0] = 200;
	m->filter.npids = 1;
	assert_false(model_visible(m, a));
	assert_true(model_visible(m, b));
	assert_false(model_visible(m, u));
	m->filter.pids[1] = 100;
	m->filter.npids = 2;
	assert_true(model_visible(m, a));
	assert_true(model_visible(m, b));
	assert_false(model_visible(m, u));

	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 2);
	assert_non_null(row_of(rows, n, 1));
	assert_non_null(row_of(rows, n, 2));
	assert_null(row_of(rows, n, 3));
	free(rows);

	/* comm filter (exact) */
	m->filter.npids = 0;
	strcpy(m->filter.comm, "alpha");
	m->filter.has_comm = true;
	assert_true(model_visible(m, a));
	assert_false(model_visible(m, b));
	assert_false(model_visible(m, u));
	strcpy(m->filter.comm, "alph");
	assert_false(model_visible(m, a));

	/* both: must match both */
	strcpy(m->filter.comm, "alpha");
	m->filter.pids[0] = 200;
	m->filter.npids = 1;
	assert_false(model_visible(m, a));
	assert_false(model_visible(m, b));
	m->filter.pids[0] = 100;
	assert_true(model_visible(m, a));

	/* an unknown owner that /proc placed passes the filter */
	model_set_owner(u, 100, "alpha");
	assert_true(model_visible(m, u));
	n = model_summary(m, &rows);
	assert_int_equal(n, 2);
	assert_non_null(row_of(rows, n, 1));
	assert_non_null(row_of(rows, n, 3));
	free(rows);
}

/*
 * With a filter, a socket counted before its owner is known (arrivals of a
 * socket nobody read yet) is hidden; once /proc places it with a selected
 * process, the cursor's next row has what it counted meanwhile: the
 * cursor's deltas add up to the summary.
 */
static void test_hidden_counts_shown_once_visible(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	int c = model_cursor_open(m, 0);
	uint64_t arrivals = 0;
	long n;

	assert_true(c >= 0);
	m->filter.pids[0] = 100;
	m->filter.npids = 1;
	rec_init(&r, BS_REC_SOCK, 3);
	r.flags = BS_SF_HAS_STATE;	/* state, no reader yet */
	r.queue_bytes = 5;
	r.state.c.arrivals = 4;
	apply(m, &r);
	n = model_take_interval(m, c, &rows);
	assert_int_equal(n, 0);		/* hidden: owner unknown */
	free(rows);
	r.state.c.arrivals = 6;
	apply(m, &r);
	n = model_take_interval(m, c, &rows);
	assert_int_equal(n, 0);
	free(rows);
	model_set_owner(model_find(m, 3), 100, "alpha");
	for (int pass = 0; pass < 2; pass++) {
		n = model_take_interval(m, c, &rows);
		for (long i = 0; i < n; i++)
			arrivals += rows[i].d.arrivals;
		free(rows);
	}
	assert_int_equal(arrivals, 6);
	n = model_summary(m, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].d.arrivals, 6);
	free(rows);
}

static void test_close_record(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;
	struct sock_row *rows;
	long n;

	rec_read(&r, BS_REC_SOCK, 50, 10, "app", 4, 400, 100);
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	free(rows);

	/* Destroyed with final totals. */
	rec_read(&r, BS_REC_CLOSE, 50, 10, "app", 9, 950, 0);
	apply(m, &r);
	s = model_find(m, 50);
	assert_true(s->closed);
	assert_int_equal(s->total.reads, 9);
	assert_int_equal(s->total.bytes, 950);

	/* A late iterator sample of the same cookie changes nothing. */
	rec_read(&r, BS_REC_SOCK, 50, 10, "app", 3, 300, 7777);
	apply(m, &r);
	s = model_find(m, 50);
	assert_true(s->closed);
	assert_int_equal(s->total.reads, 9);
	assert_int_equal(s->total.bytes, 950);
	assert_int_equal(s->queue_bytes, 0);
	assert_true(s->peak_run < 7777);

	/* The interval shows it once, closed, with the last deltas. */
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_true(rows[0].s->closed);
	assert_int_equal(rows[0].d.reads, 5);
	assert_int_equal(rows[0].d.bytes, 550);
	free(rows);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 0);
	assert_null(rows);

	/* The summary still has it, with its totals. */
	n = model_summary(m, &rows);
	assert_int_equal(n, 1);
	assert_true(rows[0].s->closed);
	assert_int_equal(rows[0].d.reads, 9);
	assert_int_equal(rows[0].d.bytes, 950);
	free(rows);
}

static void test_close_without_change_still_shown_once(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	long n;

	rec_read(&r, BS_REC_SOCK, 60, 10, "app", 4, 400, 0);
	apply(m, &r);
	take_and_free(m);
	/* Closes with the same totals: the interval must still say so. */
	rec_read(&r, BS_REC_CLOSE, 60, 10, "app", 4, 400, 0);
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_true(rows[0].s->closed);
	assert_int_equal(rows[0].d.reads, 0);
	free(rows);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 0);
}

static void test_close_of_unseen_socket(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	long n;

	/* Opened and closed between two iterator passes. */
	rec_read(&r, BS_REC_CLOSE, 70, 10, "brief", 2, 20, 0);
	apply(m, &r);
	assert_non_null(model_find(m, 70));
	assert_true(model_find(m, 70)->closed);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].d.reads, 2);
	assert_true(rows[0].s->closed);
	free(rows);
}

static void test_pass_marks_missing_closed(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	long n;

	model_begin_pass(m);
	rec_read(&r, BS_REC_SOCK, 1, 10, "a", 1, 10, 50);
	apply(m, &r);
	rec_read(&r, BS_REC_SOCK, 2, 10, "a", 1, 10, 60);
	apply(m, &r);
	model_end_pass(m);
	assert_false(model_find(m, 1)->closed);
	assert_false(model_find(m, 2)->closed);
	take_and_free(m);

	/* Next pass: socket 2 is gone (e.g. its close record was lost). */
	model_begin_pass(m);
	rec_read(&r, BS_REC_SOCK, 1, 10, "a", 2, 20, 50);
	apply(m, &r);
	model_end_pass(m);
	assert_false(model_find(m, 1)->closed);
	assert_true(model_find(m, 2)->closed);
	assert_int_equal(model_find(m, 2)->queue_bytes, 0);

	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 2);
	assert_true(row_of(rows, n, 2)->s->closed);
	assert_int_equal(row_of(rows, n, 1)->d.reads, 1);
	free(rows);

	/* Already closed: a later pass changes nothing, and it is not shown. */
	model_begin_pass(m);
	rec_read(&r, BS_REC_SOCK, 1, 10, "a", 2, 20, 50);
	apply(m, &r);
	model_end_pass(m);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].s->cookie, 1);
	free(rows);
}

static void test_peak_interval_vs_run(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	long n;

	/* Interval 1: 800 bytes waited at a read, 100 wait now. */
	rec_read(&r, BS_REC_SOCK, 5, 1, "p", 1, 10, 100);
	r.state.c.queue_peak = 800;
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].peak, 800);
	free(rows);

	/* Interval 2: the kernel's peak restarted; at most 300. */
	rec_read(&r, BS_REC_SOCK, 5, 1, "p", 2, 20, 50);
	r.state.c.queue_peak = 300;
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].peak, 300);
	assert_int_equal(rows[0].s->queue_bytes, 50);
	free(rows);

	/* Interval 3: two samples, the larger one counts. */
	rec_read(&r, BS_REC_SOCK, 5, 1, "p", 3, 30, 400);
	r.state.c.queue_peak = 400;
	apply(m, &r);
	rec_read(&r, BS_REC_SOCK, 5, 1, "p", 4, 40, 20);
	r.state.c.queue_peak = 20;
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].peak, 400);
	free(rows);

	/* Interval 4: no sample at all; 20 bytes still wait: that is the peak. */
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].peak, 20);
	assert_int_equal(rows[0].d.reads, 0);
	free(rows);

	/* The run's peak is the largest of them all. */
	n = model_summary(m, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].peak, 800);
	assert_int_equal(rows[0].s->peak_run, 800);
	free(rows);
}

static void test_peak_huge_value_saturates(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;

	rec_read(&r, BS_REC_SOCK, 5, 1, "p", 1, 10, 0);
	r.state.c.queue_peak = 1ULL << 40;
	apply(m, &r);
	assert_int_equal(model_find(m, 5)->peak_run, UINT32_MAX);
}

static void test_idle_socket_not_listed(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	long n;

	/* Seen by the iterator, never read, nothing waiting. */
	rec_init(&r, BS_REC_SOCK, 90);
	apply(m, &r);
	/* A state with only zeros is idle too. */
	rec_init(&r, BS_REC_SOCK, 91);
	r.flags = BS_SF_HAS_STATE;
	apply(m, &r);
	/* no state, nothing waiting: not even an entry (a host has thousands) */
	assert_null(model_find(m, 90));
	assert_non_null(model_find(m, 91));
	assert_false(model_find(m, 91)->active);

	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 0);
	assert_null(rows);
	n = model_summary(m, &rows);
	assert_int_equal(n, 0);
	assert_null(rows);

	/* An arrival alone makes it active. */
	rec_init(&r, BS_REC_SOCK, 91);
	r.flags = BS_SF_HAS_STATE;
	r.state.c.arrivals = 1;
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].s->cookie, 91);
	assert_int_equal(rows[0].d.arrivals, 1);
	free(rows);
}

static void test_waiting_socket_listed_each_interval(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	long n;

	rec_read(&r, BS_REC_SOCK, 33, 1, "slow", 1, 100, 4096);
	apply(m, &r);
	take_and_free(m);
	/* No read since, but 4096 bytes still waiting: still listed. */
	for (int i = 0; i < 3; i++) {
		apply(m, &r);
		n = model_take_interval(m, 0, &rows);
		assert_int_equal(n, 1);
		assert_int_equal(rows[0].d.reads, 0);
		assert_int_equal(rows[0].s->queue_bytes, 4096);
		free(rows);
	}
	/* Drained by a read: listed with the read; then not at all. */
	rec_read(&r, BS_REC_SOCK, 33, 1, "slow", 2, 4196, 0);
	r.state.c.queue_peak = 0;
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].d.reads, 1);
	free(rows);
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 0);
}

static void test_many_sockets_hash_growth(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	const uint64_t base = 1ULL << 32;
	const uint64_t sparse = 0xdead000000000000ULL;
	const int N = 5000;
	long n;

	for (int i = 0; i < N; i++) {
		rec_read(&r, BS_REC_SOCK, base + (uint64_t)i, (uint32_t)(1 + i % 7),
			 "many", (uint64_t)i + 1, ((uint64_t)i + 1) * 10, 0);
		apply(m, &r);
	}
	/* some sparse, non-sequential cookies as well */
	for (int i = 0; i < 100; i++) {
		rec_read(&r, BS_REC_SOCK, sparse + (uint64_t)i * 0x10001ULL, 9,
			 "sparse", 1, 1, 0);
		apply(m, &r);
	}
	assert_int_equal(m->n, (size_t)N + 100);
	assert_true(m->nslots >= 2 * m->n);
	for (int i = 0; i < N; i++) {
		struct sock_entry *s = model_find(m, base + (uint64_t)i);

		assert_non_null(s);
		assert_int_equal(s->cookie, base + (uint64_t)i);
		assert_int_equal(s->total.reads, (uint64_t)i + 1);
	}
	for (int i = 0; i < 100; i++)
		assert_non_null(model_find(m, sparse + (uint64_t)i * 0x10001ULL));
	assert_null(model_find(m, base + (uint64_t)N));
	assert_null(model_find(m, 3));

	/* Updating an existing cookie does not add an entry. */
	rec_read(&r, BS_REC_SOCK, base + 17, 1, "many", 1000, 1, 0);
	apply(m, &r);
	assert_int_equal(m->n, (size_t)N + 100);
	assert_int_equal(model_find(m, base + 17)->total.reads, 1000);

	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, N + 100);
	free(rows);
}

static void test_rollup(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	struct proc_row *procs;
	const struct proc_row *p100 = NULL, *p200 = NULL, *p0 = NULL;
	long n, np;

	rec_read(&r, BS_REC_SOCK, 1, 100, "web", 10, 1000, 300);
	apply(m, &r);
	rec_read(&r, BS_REC_SOCK, 2, 100, "web", 5, 500, 700);
	apply(m, &r);
	rec_read(&r, BS_REC_SOCK, 3, 200, "db", 1, 1, 0);
	apply(m, &r);
	rec_init(&r, BS_REC_SOCK, 4);	/* unknown owner, bytes waiting */
	r.queue_bytes = 64;
	r.rmem_alloc = 128;
	apply(m, &r);
	/* a closed socket of pid 100: counts, but no queue or buffer */
	rec_read(&r, BS_REC_CLOSE, 5, 100, "web", 2, 20, 999);
	apply(m, &r);

	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 5);
	np = model_rollup(rows, (size_t)n, &procs);
	assert_int_equal(np, 3);
	for (long i = 0; i < np; i++) {
		if (procs[i].pid == 100)
			p100 = &procs[i];
		else if (procs[i].pid == 200)
			p200 = &procs[i];
		else if (procs[i].pid == 0)
			p0 = &procs[i];
	}
	assert_non_null(p100);
	assert_non_null(p200);
	assert_non_null(p0);

	assert_string_equal(p100->comm, "web");
	assert_int_equal(p100->sockets, 3);
	assert_int_equal(p100->d.reads, 17);
	assert_int_equal(p100->d.bytes, 1520);
	assert_int_equal(p100->d.req_reads, 17);
	assert_int_equal(p100->d.req_bytes, 17 * 4096);
	assert_int_equal(p100->d.arrivals, 12 + 7 + 4);
	assert_int_equal(p100->queue_bytes, 300 + 700);
	assert_int_equal(p100->rmem_alloc, 600 + 1400);
	assert_int_equal(p100->rcvbuf, 2 * 131072);
	assert_int_equal(p100->peak, 999);

	assert_string_equal(p200->comm, "db");
	assert_int_equal(p200->sockets, 1);
	assert_int_equal(p200->d.reads, 1);
	assert_int_equal(p200->queue_bytes, 0);

	assert_int_equal(p0->sockets, 1);
	assert_int_equal(p0->d.reads, 0);
	assert_int_equal(p0->queue_bytes, 64);
	assert_int_equal(p0->rmem_alloc, 128);
	assert_int_equal(p0->peak, 64);

	free(procs);
	free(rows);
}

static void test_counts_helpers(void **state UNUSED)
{
	struct counts a, b, d;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_false(counts_any(&a));
	a.arrivals = 1;
	assert_true(counts_any(&a));
	a.reads = 10;
	a.bytes = 5;
	b.reads = 4;
	b.bytes = 9;
	b.arrivals = 1;
	counts_sub(&d, &a, &b);
	assert_int_equal(d.reads, 6);
	assert_int_equal(d.bytes, 0);	/* clamped, not wrapped */
	assert_int_equal(d.arrivals, 0);
	assert_true(counts_any(&b));

	/* the flow-control members are counts like the others */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.rcvbuf_changes = 1;		/* the last member */
	assert_true(counts_any(&a));
	a.rcvbuf_changes = 0;
	a.zw_ns[BS_ZW_RECV] = 1;
	assert_true(counts_any(&a));
	a.zw_segments[BS_ZW_SENT] = 9;
	a.zw_episodes[BS_ZW_RECV] = 3;
	a.zw_probes[BS_ZW_RECV] = 2;
	a.drops = 7;
	a.rcvbuf_changes = 5;
	b.zw_segments[BS_ZW_SENT] = 4;
	b.zw_ns[BS_ZW_RECV] = 6;
	b.drops = 7;
	b.rcvbuf_changes = 1;
	counts_sub(&d, &a, &b);
	assert_int_equal(d.zw_segments[BS_ZW_SENT], 5);
	assert_int_equal(d.zw_segments[BS_ZW_RECV], 0);
	assert_int_equal(d.zw_episodes[BS_ZW_RECV], 3);
	assert_int_equal(d.zw_ns[BS_ZW_RECV], 0);	/* clamped */
	assert_int_equal(d.zw_probes[BS_ZW_RECV], 2);
	assert_int_equal(d.drops, 0);
	assert_int_equal(d.rcvbuf_changes, 4);
}

static void test_init_free_reinit(void **state UNUSED)
{
	struct model *m = new_model();
	struct bs_sock_rec r;

	rec_read(&r, BS_REC_SOCK, 1, 1, "x", 1, 1, 0);
	apply(m, &r);
	model_free(m);
	assert_int_equal(m->n, 0);
	assert_null(m->socks);
	assert_int_equal(model_init(m), 0);
	assert_null(model_find(m, 1));
	model_free(m);
	free(m);
}

/* A sample is a record cut at BS_SAMPLE_SIZE: the model must read no further. */
static void apply_sample(struct model *m, const struct bs_sock_rec *full)
{
	char *buf = malloc(BS_SAMPLE_SIZE);
	uint32_t kind = BS_REC_SAMPLE;

	assert_non_null(buf);
	memcpy(buf, full, BS_SAMPLE_SIZE);
	memcpy(buf, &kind, sizeof(kind));	/* kind is the first field */
	assert_int_equal(model_apply(m, (const struct bs_sock_rec *)buf), 0);
	free(buf);
}

static void test_sample_counts_without_histograms(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	struct sock_entry *s;
	long n;

	rec_read(&r, BS_REC_SOCK, 1, 100, "app", 5, 500, 0);
	apply_sample(m, &r);
	s = model_find(m, 1);
	assert_non_null(s);
	assert_int_equal(s->total.reads, 5);
	assert_int_equal(s->total.bytes, 500);
	assert_int_equal(s->pid, 100);
	assert_null(s->hist);	/* samples carry none */
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].d.reads, 5);
	free(rows);
	/* the last pass's full record brings them, and later samples keep them */
	rec_read(&r, BS_REC_SOCK, 1, 100, "app", 7, 700, 0);
	apply(m, &r);
	assert_non_null(s->hist);
	assert_int_equal(s->hist[BS_HIST_RET * BS_HIST_SLOTS + 11], 7);
	rec_read(&r, BS_REC_SOCK, 1, 100, "app", 9, 900, 0);
	apply_sample(m, &r);
	assert_int_equal(s->total.reads, 9);
	assert_int_equal(s->hist[BS_HIST_RET * BS_HIST_SLOTS + 11], 7);
	/* a full record without any histogram allocates nothing */
	rec_read(&r, BS_REC_SOCK, 2, 100, "app", 0, 0, 10);
	apply(m, &r);
	assert_null(model_find(m, 2)->hist);
}

static void test_alive_keeps_socket_open(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	long n;

	rec_read(&r, BS_REC_SOCK, 1, 100, "app", 5, 500, 0);
	apply_sample(m, &r);
	rec_read(&r, BS_REC_SOCK, 2, 100, "app", 3, 300, 0);
	apply_sample(m, &r);
	take_and_free(m);
	/* next pass: 1 unchanged (alive only), 2 not reported at all: gone */
	model_begin_pass(m);
	model_alive(m, 1);
	model_alive(m, 99);	/* unknown: ignored */
	model_end_pass(m);
	assert_false(model_find(m, 1)->closed);
	assert_true(model_find(m, 2)->closed);
	assert_null(model_find(m, 99));
	/* the unchanged socket is not listed; the gone one is, once */
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].s->cookie, 2);
	free(rows);
	assert_true(model_find(m, 2)->vanished);
	/* it was only missed: a later record is what the kernel counts as
	 * sent (a fold at its close subtracts it), so it is taken */
	rec_read(&r, BS_REC_SOCK, 2, 100, "app", 4, 400, 0);
	apply_sample(m, &r);
	assert_int_equal(model_find(m, 2)->total.reads, 4);
	assert_false(model_find(m, 2)->closed);
	assert_false(model_find(m, 2)->vanished);
	/* a late sample of a destroyed one changes nothing */
	rec_read(&r, BS_REC_CLOSE, 2, 100, "app", 5, 500, 0);
	assert_int_equal(model_apply(m, &r), 0);
	rec_read(&r, BS_REC_SOCK, 2, 100, "app", 6, 600, 0);
	apply_sample(m, &r);
	assert_int_equal(model_find(m, 2)->total.reads, 5);
}

static void test_sample_queue_listed(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	long n;

	/* an unread socket with bytes waiting, first seen in a sample */
	rec_init(&r, BS_REC_SOCK, 3);
	r.flags = BS_SF_HAS_STATE;
	r.queue_bytes = 4000;
	apply_sample(m, &r);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].s->queue_bytes, 4000);
	assert_int_equal(rows[0].s->inode, 10003);
	free(rows);
	/* drained by a read: the sample says so, the socket leaves the list */
	rec_read(&r, BS_REC_SOCK, 3, 100, "app", 1, 4000, 0);
	r.inode = 0;	/* not sent once the reader is known */
	apply_sample(m, &r);
	assert_int_equal(model_find(m, 3)->inode, 10003);
	take_and_free(m);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 0);
}

/* ---- local peers ------------------------------------------------------- */

/* A socket from laddr:lport to raddr:rport, in the family of its addresses,
 * applied to the model. */
static void apply_ends(struct model *m, uint64_t cookie, const char *laddr,
		       uint16_t lport, const char *raddr, uint16_t rport)
{
	struct bs_sock_rec r;

	rec_read(&r, BS_REC_SOCK, cookie, (uint32_t)cookie, "peer", 1, 1, 0);
	set_ep(&r.ep, laddr, lport, raddr, rport);
	apply(m, &r);
}

static const struct sock_entry *peer_of(struct model *m, uint64_t cookie)
{
	const struct sock_entry *s = model_find(m, cookie);

	assert_non_null(s);
	return model_peer(m, s);
}

static uint64_t peer_cookie(struct model *m, uint64_t cookie)
{
	const struct sock_entry *p = peer_of(m, cookie);

	return p ? p->cookie : 0;
}

static void test_peer_same_family(void **state)
{
	struct model *m = *state;

	apply_ends(m, 1, "127.0.0.1", 40001, "127.0.0.1", 5201);
	assert_null(peer_of(m, 1));	/* its peer is not known yet */
	apply_ends(m, 2, "127.0.0.1", 5201, "127.0.0.1", 40001);
	apply_ends(m, 3, "::1", 5201, "::1", 40002);
	apply_ends(m, 4, "::1", 40002, "::1", 5201);
	assert_int_equal(peer_cookie(m, 1), 2);
	assert_int_equal(peer_cookie(m, 2), 1);
	assert_int_equal(peer_cookie(m, 3), 4);
	assert_int_equal(peer_cookie(m, 4), 3);
}

/* An IPv4 client of an IPv6 listener: its peer has v4-mapped addresses. */
static void test_peer_v4_mapped(void **state)
{
	struct model *m = *state;

	apply_ends(m, 1, "127.0.0.1", 40001, "127.0.0.1", 5201);
	apply_ends(m, 2, "::ffff:127.0.0.1", 5201, "::ffff:127.0.0.1", 40001);
	assert_int_equal(peer_cookie(m, 1), 2);
	assert_int_equal(peer_cookie(m, 2), 1);
}

/* Near misses: another port, another address, IPv4-compatible (not mapped)
 * IPv6, and the socket itself (a connection to itself) are no peers. */
static void test_peer_mismatches(void **state)
{
	struct model *m = *state;

	apply_ends(m, 1, "127.0.0.1", 40001, "127.0.0.1", 5201);
	apply_ends(m, 2, "::ffff:127.0.0.1", 5201, "::ffff:127.0.0.1", 40002);
	apply_ends(m, 3, "::ffff:127.0.0.2", 5201, "::ffff:127.0.0.1", 40001);
	apply_ends(m, 4, "::127.0.0.1", 5201, "::127.0.0.1", 40001);
	apply_ends(m, 5, "127.0.0.1", 5201, "127.0.0.1", 5201);
	assert_int_equal(peer_cookie(m, 1), 0);
	assert_int_equal(peer_cookie(m, 5), 0);
}

/* Endpoints reused by a later connection: the newest socket is the peer; a
 * socket whose endpoints a later record changes is found under the new ones. */
static void test_peer_newest_and_moved(void **state)
{
	struct model *m = *state;

	apply_ends(m, 1, "127.0.0.1", 40001, "127.0.0.1", 5201);
	apply_ends(m, 2, "127.0.0.1", 5201, "127.0.0.1", 40001);
	apply_ends(m, 3, "::ffff:127.0.0.1", 5201, "::ffff:127.0.0.1", 40001);
	assert_int_equal(peer_cookie(m, 1), 3);
	apply_ends(m, 3, "::ffff:127.0.0.1", 5202, "::ffff:127.0.0.1", 40001);
	assert_int_equal(peer_cookie(m, 1), 2);
	apply_ends(m, 6, "127.0.0.1", 40001, "127.0.0.1", 5202);
	assert_int_equal(peer_cookie(m, 6), 3);
}

/* Thousands of connected pairs, the index grown many times: each finds its own. */
static void test_peer_many_pairs(void **state)
{
	struct model *m = *state;
	const int N = 3000;

	for (int i = 0; i < N; i++) {
		uint16_t port = (uint16_t)(20000 + i);

		apply_ends(m, 2 * (uint64_t)i + 1, "10.0.0.1", port, "10.0.0.2", 80);
		apply_ends(m, 2 * (uint64_t)i + 2, "::ffff:10.0.0.2", 80, "::ffff:10.0.0.1",
			   port);
	}
	for (int i = 0; i < N; i++) {
		assert_int_equal(peer_cookie(m, 2 * (uint64_t)i + 1), 2 * (uint64_t)i + 2);
		assert_int_equal(peer_cookie(m, 2 * (uint64_t)i + 2), 2 * (uint64_t)i + 1);
	}
}

/* A socket nobody read, closed by its writer: the kernel records the closer
 * with tid 0. It is the owner until someone reads; /proc does not replace it. */
static void test_closer_owner(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_entry *s;

	rec_read(&r, BS_REC_SOCK, 7, 4321, "socat", 0, 0, 0);
	r.state.reader.tid = 0;
	r.state.f.incomplete = BS_INC_ZW_RECV;
	apply(m, &r);
	s = model_find(m, 7);
	assert_non_null(s);
	assert_int_equal(s->owner, OWNER_CLOSER);
	assert_int_equal(s->pid, 4321);
	assert_string_equal(s->comm, "socat");
	assert_int_equal(s->cgroup_id, 777);
	assert_int_equal(s->incomplete, BS_INC_ZW_RECV);
	model_set_owner(s, 99, "other");
	assert_int_equal(s->owner, OWNER_CLOSER);
	assert_int_equal(s->pid, 4321);
	/* the flag stays once set, even if a later record lacks it */
	r.state.f.incomplete = 0;
	rec_read(&r, BS_REC_SOCK, 7, 555, "reader", 1, 1, 0);
	apply(m, &r);
	assert_int_equal(s->owner, OWNER_READER);
	assert_int_equal(s->pid, 555);
	assert_int_equal(s->tid, 556);
	assert_int_equal(s->incomplete, BS_INC_ZW_RECV);
}

/* ---- closes folded in the kernel ------------------------------------------ */

/* A fold as the kernel keeps it: every count is `base` times its weight. */
static void fold_init(struct bs_fold *f, uint64_t base, uint64_t sockets)
{
	uint64_t *p = (uint64_t *)&f->t;

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < BS_TOTALS_N; i++)
		p[i] = base * (i + 1);
	f->sockets = sockets;
	f->hist[BS_HIST_RET][7] = base;
}

static const struct sock_entry *fold_of(const struct model *m, uint32_t pid)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->socks[i].folded && m->socks[i].pid == pid)
			return &m->socks[i];
	return NULL;
}

/* The kernel's fold of one reader (no cgroup, no served port). */
static int apply_fold(struct model *m, uint32_t pid, const char *comm,
		      bool unowned, const struct bs_fold *f)
{
	struct bs_fold_key key = { .pid = pid };

	strncpy(key.comm, comm, sizeof(key.comm) - 1);
	return model_apply_fold(m, &key, unowned, f);
}

/* Reader 100 "web"'s fold: 3 reads, 2 sockets; its entry. */
static const struct sock_entry *web_fold(struct model *m, struct bs_fold *f)
{
	const struct sock_entry *s;

	fold_init(f, 3, 2);
	assert_int_equal(apply_fold(m, 100, "web", false, f), 0);
	s = fold_of(m, 100);
	assert_non_null(s);
	return s;
}

static void test_fold_entry(void **state)
{
	struct model *m = *state;
	struct bs_fold f;
	const struct sock_entry *s = web_fold(m, &f);

	assert_true(s->folded);
	assert_true(s->closed);
	assert_true(s->active);
	assert_false(s->vanished);
	assert_int_equal(s->owner, OWNER_READER);
	assert_string_equal(s->comm, "web");
	assert_int_equal(s->folded_sockets, 2);
	/* struct counts takes bs_totals member for member */
	assert_int_equal(s->total.reads, 3);
	assert_int_equal(s->total.bytes, 6);
	assert_int_equal(s->total.arrivals, 33);
	assert_int_equal(s->total.zw_segments[BS_ZW_RECV], 3 * 16);
	assert_int_equal(s->total.zw_ns[BS_ZW_SENT], 3 * 19);
	assert_int_equal(s->total.rcvbuf_changes, 3 * BS_TOTALS_N);
	assert_non_null(s->hist);
	assert_int_equal(s->hist[BS_HIST_RET * BS_HIST_SLOTS + 7], 3);
	/* cumulative: the same reader's entry is updated, not a second one */
	fold_init(&f, 5, 4);
	assert_int_equal(apply_fold(m, 100, "web", false, &f), 0);
	assert_ptr_equal(fold_of(m, 100), s);
	assert_int_equal(s->total.reads, 5);
	assert_int_equal(s->folded_sockets, 4);
	assert_int_equal(m->nfolds, 1);
	/* another process with the same pid (a new name after exec): its own */
	assert_int_equal(apply_fold(m, 100, "other", false, &f), 0);
	assert_int_equal(m->nfolds, 2);
	assert_null(model_find(m, 1));
}

/* A fold read while the kernel had taken out before adding (a count, the
 * sockets or a histogram slot below zero) is not taken: the entry keeps
 * what it had until a whole one comes (else a counter would leap to 2^64). */
static void test_fold_torn_reading_kept(void **state)
{
	struct model *m = *state;
	struct bs_fold f;
	const struct sock_entry *s = web_fold(m, &f);

	for (int torn = 0; torn < 3; torn++) {
		fold_init(&f, 4, 3);
		if (torn == 0)
			f.t.bytes = (uint64_t)-2;
		else if (torn == 1)
			f.sockets = (uint64_t)-1;
		else
			f.hist[BS_HIST_RET][7] = (uint64_t)-1;
		assert_int_equal(apply_fold(m, 100, "web", false, &f), 0);
		assert_int_equal(s->total.reads, 3);
		assert_int_equal(s->total.bytes, 6);
		assert_int_equal(s->folded_sockets, 2);
		assert_int_equal(s->hist[BS_HIST_RET * BS_HIST_SLOTS + 7], 3);
	}
	fold_init(&f, 4, 3);
	assert_int_equal(apply_fold(m, 100, "web", false, &f), 0);
	assert_int_equal(s->total.reads, 4);
	assert_int_equal(s->folded_sockets, 3);
	/* a torn first reading makes no entry */
	fold_init(&f, 1, 1);
	f.t.reads = (uint64_t)-1;
	assert_int_equal(apply_fold(m, 200, "new", false, &f), 0);
	assert_null(fold_of(m, 200));
}

/* As many readers as the kernel's fold map holds, read back each pass: each
 * goes to its own entry, found again (through the index) every time. */
static void test_fold_many_readers(void **state)
{
	struct model *m = *state;
	const uint32_t n = 4096;
	struct bs_fold f;

	for (int pass = 1; pass <= 3; pass++) {
		for (uint32_t pid = 1; pid <= n; pid++) {
			fold_init(&f, pass * pid, 1);
			assert_int_equal(apply_fold(m, pid, pid % 2 ? "a" : "b",
							  false, &f), 0);
		}
		fold_init(&f, pass, 1);
		assert_int_equal(apply_fold(m, 0, "", true, &f), 0);
		assert_int_equal(apply_fold(m, 0, "", false, &f), 0);
		assert_int_equal(m->nfolds, n + 2);
	}
	for (uint32_t pid = 1; pid <= n; pid++) {
		const struct sock_entry *s = fold_of(m, pid);

		assert_non_null(s);
		assert_int_equal(s->total.reads, 3 * pid);
		assert_string_equal(s->comm, pid % 2 ? "a" : "b");
	}
}

/* A key finds its entry again whatever bytes it has beyond what the entry
 * keeps (a name of 16 bytes without NUL, a never-read key with a name or a
 * cgroup): a second entry would count the cumulative fold twice; and a
 * rollup counts billions of folded sockets (tests/fuzz/regress/model). */
static void test_fold_key_found_again(void **state)
{
	struct model *m = *state;
	struct bs_fold_key full = { .pid = 7 }, never = { .pid = 0, .cgroup_id = 9 };
	struct sock_row *rows = NULL;
	struct proc_row *procs = NULL;
	struct bs_fold f;
	long n;

	memcpy(full.comm, "sixteen-bytes-xx", BS_COMM_LEN);
	memcpy(never.comm, "junk", 4);
	for (int pass = 1; pass <= 2; pass++) {
		fold_init(&f, pass, 5000000000ULL);
		assert_int_equal(model_apply_fold(m, &full, false, &f), 0);
		assert_int_equal(model_apply_fold(m, &never, false, &f), 0);
		assert_int_equal(m->nfolds, 2);
	}
	n = model_summary(m, &rows);
	assert_int_equal(n, 2);
	assert_int_equal(model_rollup(rows, (size_t)n, &procs), 2);
	assert_true(procs[0].sockets == 5000000000ULL && procs[1].sockets == 5000000000ULL);
	free(rows);
	free(procs);
}

/* Never read (pid 0) and spilled (the map was full): owner unknown, apart. */
static void test_fold_unowned(void **state)
{
	struct model *m = *state;
	struct bs_fold f;
	const struct sock_entry *web = NULL, *unread = NULL, *spill = NULL;

	fold_init(&f, 1, 1);
	assert_int_equal(apply_fold(m, 100, "web", false, &f), 0);
	assert_int_equal(apply_fold(m, 0, "", false, &f), 0);
	fold_init(&f, 2, 1);
	assert_int_equal(apply_fold(m, 0, "", true, &f), 0);
	for (size_t i = 0; i < m->n; i++) {
		const struct sock_entry *s = &m->socks[i];

		if (s->owner == OWNER_READER)
			web = s;
		else if (s->total.reads == 1)
			unread = s;
		else
			spill = s;
	}
	assert_non_null(web);
	assert_non_null(unread);
	assert_non_null(spill);
	assert_int_equal(unread->owner, OWNER_UNKNOWN);
	assert_int_equal(spill->owner, OWNER_UNKNOWN);
	/* a filter shows the owned one only */
	m->filter.npids = 1;
	m->filter.pids[0] = 100;
	assert_true(model_visible(m, web));
	assert_false(model_visible(m, unread));
	assert_false(model_visible(m, spill));
}

/*
 * A socket sampled, then gone without its close record: its row keeps the
 * last sample (at least), the rest is in the fold; the process's totals
 * are exact, and so are the intervals' deltas.
 */
static void test_fold_vanished_and_rollup(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	struct proc_row *procs;
	struct bs_fold f;
	uint64_t reads = 0, bytes = 0;
	long n, np;

	rec_read(&r, BS_REC_SOCK, 1, 100, "web", 3, 300, 0);
	apply(m, &r);
	rec_read(&r, BS_REC_SOCK, 2, 100, "web", 1, 100, 0);
	apply(m, &r);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 2);
	for (long i = 0; i < n; i++)
		reads += rows[i].d.reads, bytes += rows[i].d.bytes;
	free(rows);
	/* socket 1 closes with 2 more reads (200 bytes) folded, and two
	 * sockets never seen with 5 reads (500 bytes); socket 2 lives on */
	model_begin_pass(m);
	model_alive(m, 2);
	model_end_pass(m);
	assert_true(model_find(m, 1)->vanished);
	assert_true(model_find(m, 1)->closed);
	assert_false(model_find(m, 2)->vanished);
	memset(&f, 0, sizeof(f));
	f.t.reads = 7;
	f.t.bytes = 700;
	f.sockets = 2;
	assert_int_equal(apply_fold(m, 100, "web", false, &f), 0);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 2);	/* socket 1 closed, and the fold */
	assert_non_null(row_of(rows, n, 1));
	assert_int_equal(row_of(rows, n, MODEL_FOLD_COOKIE(0))->d.reads, 7);
	assert_int_equal(row_of(rows, n, MODEL_FOLD_COOKIE(0))->folded, 2);
	np = model_rollup(rows, (size_t)n, &procs);
	assert_int_equal(np, 1);
	assert_int_equal(procs[0].d.reads, 7);
	assert_int_equal(procs[0].sockets, 1 + 2);
	for (long i = 0; i < n; i++)
		reads += rows[i].d.reads, bytes += rows[i].d.bytes;
	free(procs);
	free(rows);
	/* more folds later: only the difference is the next interval's */
	f.t.reads = 9;
	f.t.bytes = 900;
	f.sockets = 3;
	assert_int_equal(apply_fold(m, 100, "web", false, &f), 0);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].d.reads, 2);
	assert_int_equal(rows[0].folded, 1);
	reads += rows[0].d.reads, bytes += rows[0].d.bytes;
	free(rows);
	/* unchanged: not listed again */
	assert_int_equal(apply_fold(m, 100, "web", false, &f), 0);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 0);
	/* the intervals add up to the summary, which is exact: 3 + 1 + 9 */
	n = model_summary(m, &rows);
	assert_int_equal(n, 3);
	np = model_rollup(rows, (size_t)n, &procs);
	assert_int_equal(np, 1);
	assert_int_equal(procs[0].d.reads, 13);
	assert_int_equal(procs[0].d.bytes, 1300);
	assert_int_equal(procs[0].sockets, 2 + 3);
	assert_int_equal(reads, 13);
	assert_int_equal(bytes, 1300);
	assert_true(model_find(m, 1)->vanished);
	free(procs);
	free(rows);
}

/* A process's sockets and reads in the summary's rollup. */
static void summary_of_pid(struct model *m, uint32_t pid, unsigned *sockets,
			   uint64_t *reads)
{
	struct sock_row *rows;
	struct proc_row *procs;
	long n = model_summary(m, &rows), np;

	*sockets = 0;
	*reads = 0;
	assert_true(n >= 0);
	np = model_rollup(rows, (size_t)n, &procs);
	assert_true(np >= 0);
	for (long i = 0; i < np; i++) {
		if (procs[i].pid != pid)
			continue;
		*sockets = procs[i].sockets;
		*reads = procs[i].d.reads;
	}
	free(procs);
	free(rows);
}

/*
 * Churn (issue 13): a pass sent a socket's record before its first read
 * (request waiting, or an arrival gave it state): the row has no owner, or
 * no counts at all. Its close is then folded under its reader, which counts
 * the socket only in its row (the row exists): the kernel's close_owners
 * tells the row its owner, and to be listed. Without it, under -p the
 * socket was in no process's count while its reads were in the fold.
 */
static void test_fold_owner_of_unowned_row(void **state)
{
	struct model *m = *state;
	struct bs_reader rd = { .pid = 100, .tid = 101, .cgroup_id = 777 };
	struct bs_sock_rec r;
	struct bs_fold f;
	unsigned socks;
	uint64_t reads;

	strncpy(rd.comm, "web", sizeof(rd.comm) - 1);
	m->filter.pids[0] = 100;	/* -p 100 */
	m->filter.npids = 1;
	/* 1: the request waiting, not read yet: no reader */
	rec_init(&r, BS_REC_SAMPLE, 1);
	r.flags = BS_SF_HAS_STATE;
	r.queue_bytes = 93;
	r.state.c.arrivals = 1;
	r.state.c.queue_peak = 93;
	apply(m, &r);
	/* 2: state made by its read, the record taken before the read's
	 * counts: its reader, and nothing to show */
	rec_init(&r, BS_REC_SAMPLE, 2);
	r.flags = BS_SF_HAS_STATE | BS_SF_HAS_READER;
	r.state.reader = rd;
	apply(m, &r);
	/* both read once (93 bytes) and closed, folded under pid 100: the
	 * fold counts neither socket (user space has rows of both) */
	model_begin_pass(m);
	model_end_pass(m);
	memset(&f, 0, sizeof(f));
	f.t.reads = 2;
	f.t.bytes = 186;
	assert_int_equal(apply_fold(m, 100, "web", false, &f), 0);
	summary_of_pid(m, 100, &socks, &reads);
	assert_int_equal(reads, 2);
	assert_int_equal(socks, 0);	/* what the churn tests saw */
	model_close_owner(m, 1, &rd, false);
	model_close_owner(m, 2, &rd, true);
	summary_of_pid(m, 100, &socks, &reads);
	assert_int_equal(reads, 2);
	assert_int_equal(socks, 2);
	assert_int_equal(model_find(m, 1)->owner, OWNER_READER);
	assert_int_equal(model_find(m, 1)->pid, 100);
	/* given again (an entry not deleted in time): still once */
	model_close_owner(m, 1, &rd, false);
	model_close_owner(m, 2, &rd, true);
	summary_of_pid(m, 100, &socks, &reads);
	assert_int_equal(socks, 2);
	/* a cookie the model does not have, or a folded entry: nothing */
	model_close_owner(m, 99, &rd, true);
	model_close_owner(m, MODEL_FOLD_COOKIE(0), &rd, true);
	summary_of_pid(m, 100, &socks, &reads);
	assert_int_equal(socks, 2);
	assert_int_equal(reads, 2);
}

/* Gone from one pass, then its close record comes: complete after all. */
static void test_vanished_then_close_record(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;

	rec_read(&r, BS_REC_SOCK, 1, 100, "web", 3, 300, 0);
	apply(m, &r);
	model_begin_pass(m);
	model_end_pass(m);
	assert_true(model_find(m, 1)->vanished);
	rec_read(&r, BS_REC_CLOSE, 1, 100, "web", 4, 400, 0);
	apply(m, &r);
	assert_false(model_find(m, 1)->vanished);
	assert_true(model_find(m, 1)->closed);
	assert_true(model_find(m, 1)->destroyed);
	assert_int_equal(model_find(m, 1)->total.reads, 4);
}

/* A fold's drops have no reasons (its sockets were never listed): OTHER. */
static void test_fold_drops_unlisted(void **state)
{
	struct model *m = *state;
	struct sock_row *rows;
	struct bs_fold f;
	long n;

	memset(&f, 0, sizeof(f));
	f.t.drops = 4;
	f.sockets = 1;
	assert_int_equal(apply_fold(m, 100, "web", false, &f), 0);
	n = model_summary(m, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].d.drops, 4);
	assert_int_equal(rows[0].drops_other, 4);
	assert_int_equal(rows[0].folded, 1);
	free(rows);
}

/* A socket gone without its close record: the kernel's per-reason counts
 * include drops after its last record, which went to its reader's fold, so
 * its reasons are held to the drops of that record (no drop shown twice). */
static void test_vanished_drops_capped(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	const struct sock_entry *s;

	rec_read(&r, BS_REC_SOCK, 1, 100, "web", 3, 300, 0);
	r.state.f.drops = 1;
	apply(m, &r);
	model_set_drops(m, 1, 5, 1);
	model_begin_pass(m);
	model_end_pass(m);
	s = model_find(m, 1);
	assert_true(s->vanished);
	model_set_drops(m, 1, 5, 2);	/* one more drop, folded by the kernel */
	model_set_drops(m, 1, 7, 1);	/* another reason, also folded */
	assert_int_equal(s->drops_by[0].total + s->drops_by[1].total, 1);
	/* a live socket takes the kernel's counts as they are */
	rec_read(&r, BS_REC_SOCK, 2, 100, "web", 1, 100, 0);
	r.state.f.drops = 1;
	apply(m, &r);
	model_set_drops(m, 2, 5, 2);
	assert_int_equal(model_find(m, 2)->drops_by[0].total, 2);
}

/*
 * A reason's total that goes down (a vanished socket's held to its last
 * record after a cursor took more) gives no delta, never a wrapped one; a
 * slot held to 0 and taken by another reason counts that reason from 0.
 */
static void test_vanished_drops_never_negative(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows;
	int c = model_cursor_open(m, 0);
	long n;

	assert_true(c >= 0);
	rec_read(&r, BS_REC_SOCK, 1, 100, "web", 3, 300, 0);
	r.state.f.drops = 4;
	apply(m, &r);
	model_set_drops(m, 1, 5, 5);	/* the map, read after the walk: one more */
	n = model_take_interval(m, c, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].drops_by[0], 5);
	free(rows);
	model_begin_pass(m);
	model_end_pass(m);		/* closed, its record folded: vanished */
	model_set_drops(m, 1, 5, 5);	/* held to the record's 4 */
	assert_int_equal(model_find(m, 1)->drops_by[0].total, 4);
	n = model_take_interval(m, c, &rows);
	for (long i = 0; i < n; i++)
		for (int j = 0; j < MODEL_DROP_REASONS; j++)
			assert_int_equal(rows[i].drops_by[j], 0);
	free(rows);

	/* a socket whose reason is held to 0, its slot taken by another */
	rec_read(&r, BS_REC_SOCK, 2, 100, "web", 3, 300, 0);
	r.state.f.drops = 0;
	apply(m, &r);
	model_set_drops(m, 2, 5, 3);
	n = model_take_interval(m, c, &rows);
	free(rows);
	model_begin_pass(m);
	model_end_pass(m);		/* one walk missed it */
	model_set_drops(m, 2, 5, 3);	/* held to its record's 0 */
	assert_int_equal(model_find(m, 2)->drops_by[0].total, 0);
	r.state.f.drops = 2;		/* found again, with drops of another reason */
	apply(m, &r);
	model_set_drops(m, 2, 7, 2);
	n = model_take_interval(m, c, &rows);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].s->drops_by[0].reason, 7);
	assert_int_equal(rows[0].drops_by[0], 2);
	free(rows);
}

/*
 * A drop counted between the walk (the socket's drop counter in its record)
 * and the scan of the per-reason counts: one interval has the reason ahead
 * of the counter, the next the counter catching up. The cursor's split and
 * its OTHER, summed, are the summary's: the drop counts once.
 */
static void test_drop_between_walk_and_scan_once(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	struct sock_row *rows, t;
	int c = model_cursor_open(m, 0);
	uint64_t lost = 0, expected = 0, other = 0, by = 0;
	long n;

	assert_true(c >= 0);
	rec_read(&r, BS_REC_SOCK, 1, 100, "web", 3, 300, 0);
	r.state.f.drops = 0;
	apply(m, &r);
	model_set_drops(m, 1, 5, 1);	/* the drop, after the walk read 0 */
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 1) {
			r.state.f.drops = 1;	/* the next walk has it */
			apply(m, &r);
			model_set_drops(m, 1, 5, 1);
		}
		n = model_take_interval(m, c, &rows);
		for (long i = 0; i < n; i++) {
			lost += rows[i].drops_lost;
			expected += rows[i].drops_expected;
			other += rows[i].drops_other;
			by += rows[i].drops_by[0];
		}
		free(rows);
	}
	model_row_totals(model_find(m, 1), &t);
	assert_int_equal(t.drops_lost + t.drops_expected, 1);
	assert_int_equal(lost, t.drops_lost);
	assert_int_equal(expected, t.drops_expected);
	assert_int_equal(by + other, 1);
}

/* ---- cursors ------------------------------------------------------------ */

/* Per-cursor sums of deltas, and what was applied. */
struct sums {
	uint64_t bytes, reads, drops_lost, sockets, hist_ret;
};

/* One take of a cursor: its deltas added to *s, rolled up by process (as a
 * consumer does: folded entries and aggregates count their sockets). */
static void take_into(struct model *m, int cursor, struct sums *s)
{
	struct sock_row *rows;
	struct proc_row *procs;
	long n = model_take_interval(m, cursor, &rows);
	long np;

	assert_true(n >= 0);
	for (long i = 0; i < n; i++) {
		s->bytes += rows[i].d.bytes;
		s->reads += rows[i].d.reads;
		s->drops_lost += rows[i].drops_lost;
		if (rows[i].hist)
			for (int k = 0; k < BS_HIST_SLOTS; k++)
				s->hist_ret += rows[i].hist[BS_HIST_RET * BS_HIST_SLOTS + k];
	}
	np = model_rollup(rows, (size_t)n, &procs);
	assert_true(np >= 0);
	for (long i = 0; i < np; i++)
		s->sockets += procs[i].sockets;
	free(rows);
	free(procs);
}

static void test_cursor_open_bounds(void **state)
{
	struct model *m = *state;
	struct sock_row *rows = (struct sock_row *)1;

	for (int c = 1; c < MODEL_CURSORS; c++)
		assert_int_equal(model_cursor_open(m, 0), c);
	assert_int_equal(model_cursor_open(m, 0), -1);
	model_cursor_close(m, 2);
	assert_int_equal(model_cursor_open(m, 0), 2);
	assert_int_equal(model_take_interval(m, MODEL_CURSORS, &rows), -1);
	assert_null(rows);
	assert_int_equal(model_take_interval(m, -1, &rows), -1);
}

/* Two cursors taken at different paces: each one's deltas add up to the
 * totals, and neither moves the other's baseline. */
static void test_cursors_independent(void **state)
{
	struct model *m = *state;
	struct sums a = { 0 }, b = { 0 };
	struct bs_sock_rec r;
	int cb = model_cursor_open(m, 0);

	assert_int_equal(cb, 1);
	for (uint64_t step = 1; step <= 10; step++) {
		rec_read(&r, BS_REC_SOCK, 1, 100, "web", step * 3, step * 300, 0);
		apply(m, &r);
		rec_read(&r, BS_REC_SOCK, 2, 101, "db", step, step * 7, 0);
		apply(m, &r);
		take_into(m, 0, &a);
		if (step % 3 == 0)
			take_into(m, cb, &b);
	}
	take_into(m, cb, &b);
	assert_int_equal(a.bytes, 10 * 300 + 10 * 7);
	assert_int_equal(b.bytes, 10 * 300 + 10 * 7);
	assert_int_equal(a.reads, 30 + 10);
	assert_int_equal(b.reads, 30 + 10);
	/* nothing new: both empty */
	memset(&a, 0, sizeof(a));
	take_into(m, 0, &a);
	take_into(m, cb, &a);
	assert_int_equal(a.bytes, 0);
}

/* Episodes are due per cursor: one shown to a cursor is still due to the
 * other until it shows it. */
static void test_cursor_episodes(void **state)
{
	struct model *m = *state;
	struct bs_flow_rec f;
	int cb = model_cursor_open(m, 0);

	memset(&f, 0, sizeof(f));
	f.kind = BS_REC_ZW_START;
	f.cookie = 7;
	f.ep.family = AF_INET;
	f.ep.dport = 80;
	f.start_ns = 10;
	f.ts_ns = 10;
	assert_int_equal(model_apply_flow(m, &f), 0);
	f.kind = BS_REC_ZW_END;
	f.ts_ns = 20;
	assert_int_equal(model_apply_flow(m, &f), 0);
	assert_int_equal(m->nepisodes, 1);
	assert_true(model_episode_due(&m->episodes[0], 0));
	assert_true(model_episode_due(&m->episodes[0], cb));
	model_mark_episodes_reported(m, 0);
	assert_false(model_episode_due(&m->episodes[0], 0));
	assert_true(model_episode_due(&m->episodes[0], cb));
	assert_true(model_episode_shown(m, &m->episodes[0], cb, false));
	assert_false(model_episode_shown(m, &m->episodes[0], 0, false));
	assert_true(model_episode_shown(m, &m->episodes[0], 0, true));
	model_mark_episodes_reported(m, cb);
	assert_false(model_episode_due(&m->episodes[0], cb));
}

/* A MODEL_CURSOR_HIST cursor's rows carry histogram deltas; another's none;
 * the summary's rows the totals. */
static void test_cursor_hist(void **state)
{
	struct model *m = *state;
	struct sock_row *rows;
	struct bs_sock_rec r;
	int ch = model_cursor_open(m, MODEL_CURSOR_HIST);
	long n;

	rec_read(&r, BS_REC_SOCK, 1, 100, "web", 4, 400, 0);
	apply(m, &r);
	n = model_take_interval(m, ch, &rows);
	assert_int_equal(n, 1);
	assert_non_null(rows[0].hist);
	assert_int_equal(rows[0].hist[BS_HIST_RET * BS_HIST_SLOTS + 11], 4);
	free(rows);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 1);
	assert_null(rows[0].hist);
	free(rows);
	rec_read(&r, BS_REC_SOCK, 1, 100, "web", 9, 900, 0);
	r.state.hist[BS_HIST_REQ][13] = 2;
	apply(m, &r);
	n = model_take_interval(m, ch, &rows);
	assert_int_equal(n, 1);
	assert_non_null(rows[0].hist);
	assert_int_equal(rows[0].hist[BS_HIST_RET * BS_HIST_SLOTS + 11], 5);
	assert_int_equal(rows[0].hist[BS_HIST_REQ * BS_HIST_SLOTS + 13], 2);
	free(rows);
	/* read again, nothing new: a row for its bytes? none; no histogram */
	n = model_take_interval(m, ch, &rows);
	assert_int_equal(n, 0);
	n = model_summary(m, &rows);
	assert_int_equal(n, 1);
	assert_non_null(rows[0].hist);
	assert_int_equal(rows[0].hist[BS_HIST_RET * BS_HIST_SLOTS + 11], 9);
	free(rows);
}

/* ---- bounds ------------------------------------------------------------- */

#define CHURN_PASSES 30
#define CHURN_PER_PASS 200	/* closed a pass: 6000 in all, the bound 1024 */
#define CHURN_PIDS 3

/*
 * Connections closed at a steady rate for many passes, by a few processes:
 * the model holds at most its bounds, and for each of two cursors (one
 * taking each pass, one every third, with histograms) the deltas add up to
 * what was applied; the summary's processes have every socket, byte, drop
 * and histogram count.
 */
static void test_eviction_exact(void **state)
{
	struct model *m = *state;
	struct sums a = { 0 }, b = { 0 }, want = { 0 };
	uint64_t per_pid_bytes[CHURN_PIDS] = { 0 }, cookie = 0;
	int cb = model_cursor_open(m, MODEL_CURSOR_HIST);
	struct bs_sock_rec r;
	struct sock_row *rows;
	struct proc_row *procs;
	long n, np;

	for (int pass = 0; pass < CHURN_PASSES; pass++) {
		model_begin_pass(m);
		for (int i = 0; i < CHURN_PER_PASS; i++) {
			uint32_t pid = 100 + (uint32_t)(cookie % CHURN_PIDS);
			uint64_t reads = 1 + cookie % 5, bytes = 100 + cookie % 77;

			cookie++;
			/* seen open by a pass, or not at all: closed between */
			if (i % 2) {
				rec_read(&r, BS_REC_SOCK, cookie, pid, "web", reads - 1,
					 bytes / 2, 10);
				apply(m, &r);
			}
			rec_read(&r, BS_REC_CLOSE, cookie, pid, "web", reads, bytes, 0);
			r.state.f.drops = cookie % 3;
			apply(m, &r);
			if (cookie % 3)
				model_set_drops(m, cookie, 5, cookie % 3);
			want.bytes += bytes;
			want.reads += reads;
			want.drops_lost += cookie % 3;
			want.sockets++;
			want.hist_ret += reads;
			per_pid_bytes[pid - 100] += bytes;
		}
		model_end_pass(m);
		take_into(m, 0, &a);
		if (pass % 3 == 2)
			take_into(m, cb, &b);
		/* live + closed kept + the last two passes' + aggregates */
		assert_true(m->n <= MODEL_MAX_CLOSED + 2 * CHURN_PER_PASS + CHURN_PIDS);
	}
	assert_true(m->evicted > 0);
	take_into(m, 0, &a);
	take_into(m, cb, &b);
	assert_int_equal(a.bytes, want.bytes);
	assert_int_equal(b.bytes, want.bytes);
	assert_int_equal(a.reads, want.reads);
	assert_int_equal(b.reads, want.reads);
	assert_int_equal(a.drops_lost, want.drops_lost);
	assert_int_equal(b.drops_lost, want.drops_lost);
	assert_int_equal(b.hist_ret, want.hist_ret);
	/* each socket counted once per cursor, as a row or in an aggregate */
	assert_int_equal(a.sockets, want.sockets);
	assert_int_equal(b.sockets, want.sockets);

	n = model_summary(m, &rows);
	assert_true(n > 0 && (size_t)n <= MODEL_MAX_CLOSED + 2 * CHURN_PER_PASS + CHURN_PIDS);
	np = model_rollup(rows, (size_t)n, &procs);
	assert_int_equal(np, CHURN_PIDS);
	uint64_t socks = 0, drops = 0, hret = 0;

	for (long i = 0; i < np; i++) {
		assert_int_equal(procs[i].d.bytes, per_pid_bytes[procs[i].pid - 100]);
		socks += procs[i].sockets;
		drops += procs[i].drops_lost;
	}
	for (long i = 0; i < n; i++)
		for (int k = 0; rows[i].hist && k < BS_HIST_SLOTS; k++)
			hret += rows[i].hist[BS_HIST_RET * BS_HIST_SLOTS + k];
	assert_int_equal(socks, want.sockets);
	assert_int_equal(drops, want.drops_lost);
	assert_int_equal(hret, want.hist_ret);
	free(rows);
	free(procs);
}

/* A closed socket with drops stays until a whole pass after its close (its
 * last per-reason drops are read in that pass), even beyond the bound; one
 * whose close record says it had none may go at the next pass. */
static void test_eviction_waits_a_pass(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;

	model_begin_pass(m);
	for (uint64_t c = 1; c <= MODEL_MAX_CLOSED + 10; c++) {
		rec_read(&r, BS_REC_CLOSE, c, 100, "web", 1, 10, 0);
		r.state.f.drops = c > 5;	/* the first five without drops */
		apply(m, &r);
	}
	model_end_pass(m);
	model_begin_pass(m);
	assert_int_equal(m->evicted, 5);	/* the others closed in the last pass */
	assert_null(model_find(m, 5));
	model_set_drops(m, 6, 5, 2);		/* still counted */
	assert_int_equal(model_find(m, 6)->drops_by[0].total, 2);
	model_end_pass(m);
	model_begin_pass(m);
	assert_int_equal(m->evicted, 10);	/* the oldest */
	assert_null(model_find(m, 1));
	assert_null(model_find(m, 10));
	assert_non_null(model_find(m, 11));
	model_end_pass(m);
}

/* An aggregate shows in a cursor's interval only with something the cursor
 * has not shown: nothing for one that had shown its sockets closed, their
 * sockets and counts for one that had not. */
static void test_aggregate_shown_when_new(void **state)
{
	struct model *m = *state;
	int cb = model_cursor_open(m, 0);
	struct bs_sock_rec r;
	struct sock_row *rows;
	const struct sock_row *agg;
	long n;

	model_begin_pass(m);
	for (uint64_t c = 1; c <= MODEL_MAX_CLOSED + 30; c++) {
		rec_read(&r, BS_REC_CLOSE, c, 100, "web", 1, 10, 0);
		apply(m, &r);
	}
	model_end_pass(m);
	take_and_free(m);	/* cursor 0 shows them all closed */
	model_begin_pass(m);
	model_end_pass(m);
	assert_int_equal(m->evicted, 30);
	n = model_take_interval(m, 0, &rows);
	assert_int_equal(n, 0);
	n = model_take_interval(m, cb, &rows);
	assert_int_equal(n, MODEL_MAX_CLOSED + 1);
	agg = row_of(rows, n, MODEL_AGG_COOKIE(0));
	assert_non_null(agg);
	assert_int_equal(agg->folded, 30);
	assert_int_equal(agg->d.bytes, 300);
	free(rows);
}

/* After evictions move the entries, every index still finds them: by
 * cookie, and local peers by endpoints. */
static void test_eviction_lookups(void **state)
{
	struct model *m = *state;
	struct bs_sock_rec r;
	const int pairs = 50;

	model_begin_pass(m);
	for (uint64_t c = 1; c <= 2 * MODEL_MAX_CLOSED; c++) {
		rec_read(&r, BS_REC_CLOSE, 100000 + c, 100, "web", 1, 10, 0);
		apply(m, &r);
	}
	for (int i = 0; i < pairs; i++) {
		uint16_t port = (uint16_t)(20000 + i);

		apply_ends(m, 2 * (uint64_t)i + 1, "10.0.0.1", port, "10.0.0.2", 80);
		apply_ends(m, 2 * (uint64_t)i + 2, "10.0.0.2", 80, "10.0.0.1", port);
	}
	model_end_pass(m);
	for (int pass = 0; pass < 2; pass++) {
		model_begin_pass(m);
		for (uint64_t c = 1; c <= 2 * (uint64_t)pairs; c++)
			model_alive(m, c);
		model_end_pass(m);
	}
	assert_int_equal(m->evicted, MODEL_MAX_CLOSED);
	for (uint64_t c = 1; c <= MODEL_MAX_CLOSED; c++)
		assert_null(model_find(m, 100000 + c));
	for (uint64_t c = MODEL_MAX_CLOSED + 1; c <= 2 * MODEL_MAX_CLOSED; c++)
		assert_int_equal(model_find(m, 100000 + c)->cookie, 100000 + c);
	for (int i = 0; i < pairs; i++) {
		assert_int_equal(peer_cookie(m, 2 * (uint64_t)i + 1), 2 * (uint64_t)i + 2);
		assert_int_equal(peer_cookie(m, 2 * (uint64_t)i + 2), 2 * (uint64_t)i + 1);
	}
}

/* Many short-lived processes: their aggregates beyond MODEL_MAX_AGGREGATES
 * go to their command's, those beyond MODEL_MAX_COMM_AGGREGATES to one
 * "(other)"; the sum of bytes and sockets stays that of everything, in the
 * summary and for each of two cursors taken at different paces. */
static void test_aggregate_bounds(void **state)
{
	struct model *m = *state;
	const uint32_t procs = MODEL_MAX_AGGREGATES + 200;
	const unsigned comms = MODEL_MAX_COMM_AGGREGATES + 20;
	uint64_t bytes = 0, cookie = 0, sum = 0, socks = 0;
	struct sums a = { 0 }, b = { 0 };
	int cb = model_cursor_open(m, MODEL_CURSOR_HIST);
	struct sock_row *rows;
	struct bs_sock_rec r;
	size_t level[4] = { 0 };
	long n;

	for (uint32_t p = 0; p < procs; p++) {
		char comm[8];	/* shorter than BS_COMM_LEN */

		snprintf(comm, sizeof(comm), "cmd%u", p % comms);
		model_begin_pass(m);
		for (int i = 0; i < 20; i++) {
			rec_read(&r, BS_REC_CLOSE, ++cookie, 1000 + p, comm, 1, 10 + p, 0);
			apply(m, &r);
			bytes += 10 + p;
		}
		model_end_pass(m);
		take_into(m, 0, &a);
		if (p % 7 == 3)
			take_into(m, cb, &b);
	}
	for (int pass = 0; pass < 3; pass++) {	/* the last ones' turn */
		model_begin_pass(m);
		model_end_pass(m);
	}
	take_into(m, 0, &a);
	take_into(m, cb, &b);
	assert_int_equal(a.bytes, bytes);
	assert_int_equal(b.bytes, bytes);
	assert_int_equal(a.sockets, cookie);
	assert_int_equal(b.sockets, cookie);
	assert_int_equal(b.hist_ret, cookie);	/* one read each */
	for (size_t i = 0; i < m->n; i++)
		level[m->socks[i].aggregate]++;
	assert_true(level[AGG_PROCESS] <= MODEL_MAX_AGGREGATES);
	assert_true(level[AGG_COMM] <= MODEL_MAX_COMM_AGGREGATES);
	assert_int_equal(level[AGG_OTHER], 1);
	assert_true(level[AGG_NONE] <= MODEL_MAX_CLOSED);
	n = model_summary(m, &rows);
	assert_true(n > 0);
	for (long i = 0; i < n; i++) {
		sum += rows[i].d.bytes;
		socks += rows[i].s->folded ? rows[i].folded : 1;
	}
	assert_int_equal(sum, bytes);
	assert_int_equal(socks, cookie);
	free(rows);
}

/* An evicted socket's episode keeps its owner for the filter. */
static void test_eviction_episode_owner(void **state)
{
	struct model *m = *state;
	struct bs_flow_rec f;
	struct bs_sock_rec r;

	memset(&f, 0, sizeof(f));
	f.kind = BS_REC_ZW_START;
	f.cookie = 1;
	f.ep.family = AF_INET;
	f.ep.dport = 80;
	f.start_ns = 10;
	f.ts_ns = 10;
	model_begin_pass(m);
	assert_int_equal(model_apply_flow(m, &f), 0);
	for (uint64_t c = 1; c <= MODEL_MAX_CLOSED + 1; c++) {
		rec_read(&r, BS_REC_CLOSE, c, c == 1 ? 200 : 100, "web", 1, 10, 0);
		apply(m, &r);
	}
	model_end_pass(m);
	for (int pass = 0; pass < 2; pass++) {
		model_begin_pass(m);
		model_end_pass(m);
	}
	assert_null(model_find(m, 1));
	assert_true(m->episodes[0].gone);
	assert_int_equal(m->episodes[0].pid, 200);
	m->filter.pids[0] = 100;
	m->filter.npids = 1;
	assert_false(model_episode_shown(m, &m->episodes[0], 0, true));
	m->filter.pids[0] = 200;
	assert_true(model_episode_shown(m, &m->episodes[0], 0, true));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_model, teardown_model)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_empty_model),
		T(test_bad_kind_rejected),
		T(test_socket_appears_with_counters),
		T(test_interval_deltas_sum_to_totals),
		T(test_every_counter_delta),
		T(test_counter_going_backwards_clamps),
		T(test_unread_socket_with_queue),
		T(test_set_owner_does_not_override_reader),
		T(test_set_owner_truncates_comm),
		T(test_reader_replaces_fd_owner),
		T(test_visible_filters),
		T(test_hidden_counts_shown_once_visible),
		T(test_visible_cgroup),
		T(test_close_record),
		T(test_close_without_change_still_shown_once),
		T(test_close_of_unseen_socket),
		T(test_pass_marks_missing_closed),
		T(test_peak_interval_vs_run),
		T(test_peak_huge_value_saturates),
		T(test_idle_socket_not_listed),
		T(test_waiting_socket_listed_each_interval),
		T(test_many_sockets_hash_growth),
		T(test_rollup),
		T(test_sample_counts_without_histograms),
		T(test_alive_keeps_socket_open),
		T(test_sample_queue_listed),
		T(test_peer_same_family),
		T(test_peer_v4_mapped),
		T(test_peer_mismatches),
		T(test_peer_newest_and_moved),
		T(test_peer_many_pairs),
		T(test_closer_owner),
		T(test_fold_key_found_again),
		T(test_fold_entry),
		T(test_fold_torn_reading_kept),
		T(test_fold_unowned),
		T(test_fold_many_readers),
		T(test_fold_vanished_and_rollup),
		T(test_fold_owner_of_unowned_row),
		T(test_vanished_then_close_record),
		T(test_fold_drops_unlisted),
		T(test_vanished_drops_capped),
		T(test_vanished_drops_never_negative),
		T(test_drop_between_walk_and_scan_once),
		T(test_cursor_open_bounds),
		T(test_cursors_independent),
		T(test_cursor_episodes),
		T(test_cursor_hist),
		T(test_eviction_exact),
		T(test_eviction_waits_a_pass),
		T(test_eviction_lookups),
		T(test_aggregate_shown_when_new),
		T(test_aggregate_bounds),
		T(test_eviction_episode_owner),
		cmocka_unit_test(test_counts_helpers),
		cmocka_unit_test(test_init_free_reinit),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
