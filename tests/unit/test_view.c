// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/model/view.c: derived values and the orders of rows. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/view.h"

#define UNUSED __attribute__((unused))

static void test_avg_req(void **state UNUSED)
{
	struct counts d;

	memset(&d, 0, sizeof(d));
	assert_true(isnan(view_avg_req(&d)));
	d.req_bytes = 100;	/* bytes without reads: still nothing to average */
	assert_true(isnan(view_avg_req(&d)));
	d.req_reads = 4;
	d.req_bytes = 4 * 4096 + 2;
	assert_float_equal(view_avg_req(&d), 4096.5, 1e-9);
	/* uses req_reads, not reads */
	d.reads = 1000;
	assert_float_equal(view_avg_req(&d), 4096.5, 1e-9);
}

static void test_avg_ret(void **state UNUSED)
{
	struct counts d;

	memset(&d, 0, sizeof(d));
	assert_true(isnan(view_avg_ret(&d)));
	d.req_reads = 3;
	d.req_bytes = 300;
	assert_true(isnan(view_avg_ret(&d)));
	d.reads = 3;
	d.bytes = 1000;
	assert_float_equal(view_avg_ret(&d), 1000.0 / 3, 1e-9);
	d.reads = 1;
	d.bytes = 0;
	assert_float_equal(view_avg_ret(&d), 0.0, 0);
}

static void test_fill_pct(void **state UNUSED)
{
	assert_true(isnan(view_fill_pct(0, 0)));
	assert_true(isnan(view_fill_pct(1000, 0)));
	assert_float_equal(view_fill_pct(0, 1000), 0.0, 0);
	assert_float_equal(view_fill_pct(500, 1000), 50.0, 1e-9);
	assert_float_equal(view_fill_pct(1000, 1000), 100.0, 1e-9);
	/* rmem_alloc counts overhead: can exceed the limit */
	assert_float_equal(view_fill_pct(3000, 2000), 150.0, 1e-9);
	assert_float_equal(view_fill_pct(1, 3), 100.0 / 3, 1e-9);
}

static void test_partial_reads(void **state UNUSED)
{
	struct counts d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(view_partial_reads(&d), 0);
	d.req_reads = 10;
	d.full_reads = 3;
	assert_int_equal(view_partial_reads(&d), 7);
	d.full_reads = 10;
	assert_int_equal(view_partial_reads(&d), 0);
	/* inconsistent counters never wrap */
	d.full_reads = 12;
	assert_int_equal(view_partial_reads(&d), 0);
}

/* ---- sorting ------------------------------------------------------------- */

#define NS 6

struct fixture {
	struct sock_entry s[NS];
	struct sock_row rows[NS];
};

static void sock(struct fixture *f, int i, uint32_t pid, const char *comm,
		 uint32_t queue, uint32_t peak, uint64_t bytes, uint64_t reads)
{
	struct sock_entry *s = &f->s[i];

	memset(s, 0, sizeof(*s));
	s->cookie = (uint64_t)i + 1;
	s->owner = OWNER_READER;
	s->pid = pid;
	strncpy(s->comm, comm, BS_COMM_LEN - 1);
	s->queue_bytes = queue;
	s->rcvbuf = 1000;
	s->rmem_alloc = queue;
	memset(&f->rows[i], 0, sizeof(f->rows[i]));
	f->rows[i].s = s;
	f->rows[i].peak = peak;
	f->rows[i].d.bytes = bytes;
	f->rows[i].d.reads = reads;
}

static void order_is(const struct sock_row *rows, size_t n, const uint64_t *want)
{
	for (size_t i = 0; i < n; i++) {
		if (rows[i].s->cookie != want[i]) {
			char got[128];
			size_t off = 0;

			for (size_t j = 0; j < n && off < sizeof(got) - 8; j++)
				off += (size_t)snprintf(got + off, sizeof(got) - off, "%llu ",
							(unsigned long long)rows[j].s->cookie);
			fail_msg("position %zu: cookie %llu, want %llu (order: %s)", i,
				 (unsigned long long)rows[i].s->cookie,
				 (unsigned long long)want[i], got);
		}
	}
}

static void build(struct fixture *f)
{
	/*      i  pid  comm     queue peak bytes reads */
	sock(f, 0, 300, "zeta", 100, 900, 5000, 5);
	sock(f, 1, 100, "alpha", 500, 500, 100, 1);
	sock(f, 2, 200, "mid", 100, 100, 9000, 9);
	sock(f, 3, 100, "alpha", 0, 50, 7000, 70);
	sock(f, 4, 50, "beta", 800, 800, 0, 0);
	sock(f, 5, 400, "Zed", 100, 200, 20, 2);
}

static void test_sort_queue_desc(void **state UNUSED)
{
	struct fixture f;
	/* 800, 500, then three at 100 by bytes desc (9000, 5000, 20), then 0 */
	static const uint64_t want[NS] = { 5, 2, 3, 1, 6, 4 };

	build(&f);
	view_sort_socks(f.rows, NS, SORT_QUEUE);
	order_is(f.rows, NS, want);
}

/* The first k of view_top_socks are the first k of the full sort, and the
 * rest are the other rows: for every key, sizes around the cut-over, ties. */
#define TOP_N 203

static void top_case(enum sort_key key, size_t n, size_t k, unsigned seed)
{
	static struct sock_entry s[TOP_N];
	static struct sock_row full[TOP_N], top[TOP_N];
	static const char *const comms[] = { "a", "b", "c" };
	uint64_t seen[TOP_N] = { 0 };

	srand(seed);
	memset(s, 0, sizeof(s));
	memset(full, 0, sizeof(full));
	for (size_t i = 0; i < n; i++) {
		s[i].cookie = i + 1;
		s[i].pid = (uint32_t)(rand() % 5);
		strcpy(s[i].comm, comms[rand() % 3]);
		s[i].queue_bytes = (uint32_t)(rand() % 4) * 100;	/* many ties */
		s[i].rcvbuf = (uint32_t)(rand() % 3) * 1000;
		s[i].rmem_alloc = (uint32_t)(rand() % 3) * 100;
		full[i].s = &s[i];
		/* unique bytes: the order is then total, whatever the key */
		full[i].d.bytes = (uint64_t)(rand() % 50) * 1000 + i;
		full[i].d.reads = (uint64_t)(rand() % 7);
		full[i].d.req_reads = (uint64_t)(rand() % 3);
		full[i].d.req_bytes = full[i].d.req_reads * 512;
		full[i].peak = (uint32_t)(rand() % 4);
	}
	memcpy(top, full, sizeof(full));
	view_sort_socks(full, n, key);
	view_top_socks(top, n, key, k);
	for (size_t i = 0; i < (k && k < n ? k : n); i++)
		assert_int_equal(top[i].s->cookie, full[i].s->cookie);
	for (size_t i = 0; i < n; i++) {	/* the same rows, each once */
		assert_int_equal(seen[top[i].s->cookie - 1], 0);
		seen[top[i].s->cookie - 1] = 1;
	}
}

static void test_top_socks_matches_sort(void **state UNUSED)
{
	static const size_t ns[] = { 0, 1, 2, 7, 20, 21, 80, 81, 100, 203 };
	static const size_t ks[] = { 0, 1, 3, 5, 20, 250 };

	for (int key = 0; key < SORT__COUNT; key++)
		for (size_t a = 0; a < sizeof(ns) / sizeof(ns[0]); a++)
			for (size_t b = 0; b < sizeof(ks) / sizeof(ks[0]); b++)
				top_case((enum sort_key)key, ns[a], ks[b],
					 (unsigned)(key * 100 + a * 10 + b));
}

static void test_sort_queue_closed_counts_as_zero(void **state UNUSED)
{
	struct fixture f;
	static const uint64_t want[NS] = { 2, 3, 1, 6, 4, 5 };

	build(&f);
	f.s[4].closed = true;	/* its stale 800 must not put it first */
	view_sort_socks(f.rows, NS, SORT_QUEUE);
	order_is(f.rows, NS, want);
}

static void test_sort_peak_bytes_reads(void **state UNUSED)
{
	struct fixture f;
	static const uint64_t by_peak[NS] = { 1, 5, 2, 6, 3, 4 };
	static const uint64_t by_bytes[NS] = { 3, 4, 1, 2, 6, 5 };
	static const uint64_t by_reads[NS] = { 4, 3, 1, 6, 2, 5 };

	build(&f);
	view_sort_socks(f.rows, NS, SORT_PEAK);
	order_is(f.rows, NS, by_peak);
	view_sort_socks(f.rows, NS, SORT_BYTES);
	order_is(f.rows, NS, by_bytes);
	view_sort_socks(f.rows, NS, SORT_READS);
	order_is(f.rows, NS, by_reads);
}

static void test_sort_pid_asc(void **state UNUSED)
{
	struct fixture f;
	/* 50, 100 (x2: bytes 7000 before 100), 200, 300, 400 */
	static const uint64_t want[NS] = { 5, 4, 2, 3, 1, 6 };

	build(&f);
	view_sort_socks(f.rows, NS, SORT_PID);
	order_is(f.rows, NS, want);
}

static void test_sort_comm_asc(void **state UNUSED)
{
	struct fixture f;
	/* byte order: "Zed" < "alpha"(x2, bytes desc) < "beta" < "mid" < "zeta" */
	static const uint64_t want[NS] = { 6, 4, 2, 5, 3, 1 };

	build(&f);
	view_sort_socks(f.rows, NS, SORT_COMM);
	order_is(f.rows, NS, want);
}

static void test_sort_avg_and_fill_nan_last(void **state UNUSED)
{
	struct fixture f;

	build(&f);
	/* req averages: only rows 0 and 2 have req_reads */
	f.rows[0].d.req_reads = 2;
	f.rows[0].d.req_bytes = 2000;	/* 1000 */
	f.rows[2].d.req_reads = 1;
	f.rows[2].d.req_bytes = 65536;	/* 65536 */
	view_sort_socks(f.rows, NS, SORT_REQ);
	assert_int_equal(f.rows[0].s->cookie, 3);
	assert_int_equal(f.rows[1].s->cookie, 1);
	/* the rows without an average follow, by bytes */
	assert_int_equal(f.rows[2].s->cookie, 4);
	assert_int_equal(f.rows[NS - 1].s->cookie, 5);

	build(&f);
	/* read averages: row 4 has none (NAN) and sorts last */
	view_sort_socks(f.rows, NS, SORT_RET);
	{
		/* bytes/reads: 1000, 100, 1000, 100, NAN, 10 -> ties by bytes */
		static const uint64_t want[NS] = { 3, 1, 4, 2, 6, 5 };

		order_is(f.rows, NS, want);
	}

	build(&f);
	f.s[1].rcvbuf = 0;	/* no buffer size: fill is NAN, last */
	view_sort_socks(f.rows, NS, SORT_FILL);
	{
		/* fills: 10, NAN, 10, 0, 80, 10 */
		static const uint64_t want[NS] = { 5, 3, 1, 6, 4, 2 };

		order_is(f.rows, NS, want);
	}
}

static void test_sort_rcvbuf(void **state UNUSED)
{
	struct fixture f;

	build(&f);
	f.s[3].rcvbuf = 1 << 20;
	f.s[5].rcvbuf = 1 << 16;
	view_sort_socks(f.rows, NS, SORT_RCVBUF);
	assert_int_equal(f.rows[0].s->cookie, 4);
	assert_int_equal(f.rows[1].s->cookie, 6);
	/* the rest: equal rcvbuf, by bytes desc */
	assert_int_equal(f.rows[2].s->cookie, 3);
	assert_int_equal(f.rows[3].s->cookie, 1);
	assert_int_equal(f.rows[4].s->cookie, 2);
	assert_int_equal(f.rows[5].s->cookie, 5);
}

static void test_sort_empty_and_single(void **state UNUSED)
{
	struct fixture f;

	view_sort_socks(NULL, 0, SORT_QUEUE);
	view_sort_procs(NULL, 0, SORT_QUEUE);
	build(&f);
	view_sort_socks(f.rows, 1, SORT_COMM);
	assert_int_equal(f.rows[0].s->cookie, 1);
}

static void proc(struct proc_row *p, uint32_t pid, const char *comm,
		 uint64_t queue, uint32_t peak, uint64_t bytes)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	strncpy(p->comm, comm, BS_COMM_LEN - 1);
	p->sockets = 1;
	p->queue_bytes = queue;
	p->peak = peak;
	p->d.bytes = bytes;
	p->d.reads = bytes / 10;
	p->rcvbuf = 1000;
	p->rmem_alloc = queue;
}

static void procs_are(const struct proc_row *p, size_t n, const uint32_t *want)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].pid != want[i])
			fail_msg("position %zu: pid %u, want %u", i, p[i].pid, want[i]);
}

static void test_sort_procs(void **state UNUSED)
{
	struct proc_row p[5];

	proc(&p[0], 30, "c", 100, 100, 10);
	proc(&p[1], 10, "e", 300, 300, 50);
	proc(&p[2], 20, "a", 100, 900, 90);
	proc(&p[3], 0, "", 200, 200, 0);
	proc(&p[4], 40, "b", 0, 0, 1000);

	{
		static const uint32_t want[] = { 10, 0, 20, 30, 40 };

		view_sort_procs(p, 5, SORT_QUEUE);
		procs_are(p, 5, want);
	}
	{
		static const uint32_t want[] = { 0, 10, 20, 30, 40 };

		view_sort_procs(p, 5, SORT_PID);
		procs_are(p, 5, want);
	}
	{
		static const uint32_t want[] = { 0, 20, 40, 30, 10 };

		view_sort_procs(p, 5, SORT_COMM);
		procs_are(p, 5, want);
	}
	{
		static const uint32_t want[] = { 20, 10, 0, 30, 40 };

		view_sort_procs(p, 5, SORT_PEAK);
		procs_are(p, 5, want);
	}
	{
		static const uint32_t want[] = { 40, 20, 10, 30, 0 };

		view_sort_procs(p, 5, SORT_BYTES);
		procs_are(p, 5, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_avg_req),
		cmocka_unit_test(test_avg_ret),
		cmocka_unit_test(test_fill_pct),
		cmocka_unit_test(test_partial_reads),
		cmocka_unit_test(test_sort_queue_desc),
		cmocka_unit_test(test_sort_queue_closed_counts_as_zero),
		cmocka_unit_test(test_sort_peak_bytes_reads),
		cmocka_unit_test(test_sort_pid_asc),
		cmocka_unit_test(test_sort_comm_asc),
		cmocka_unit_test(test_sort_avg_and_fill_nan_last),
		cmocka_unit_test(test_sort_rcvbuf),
		cmocka_unit_test(test_sort_empty_and_single),
		cmocka_unit_test(test_sort_procs),
		cmocka_unit_test(test_top_socks_matches_sort),
	};

	return cmocka_run_group_tests_name("view", tests, NULL, NULL);
}
