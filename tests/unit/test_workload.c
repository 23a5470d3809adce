// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the workload library (workloads/): errors returned, never
 * exits; the reader's sizes, limits, callback and checks over a real loopback
 * connection inside this process (small amounts, so the socket buffers hold
 * them without a second process).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "workload.h"

#define UNUSED __attribute__((unused))
#define SMALL 30000	/* fits loopback's socket buffers unread */

static void test_parse(void **state UNUSED)
{
	unsigned long long v = 7;

	assert_int_equal(wl_parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(wl_parse_u64("18446744073709551615", &v), 0);
	assert_true(v == 18446744073709551615ULL);
	assert_int_equal(wl_parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(wl_parse_u64("-1", &v), -EINVAL);
	assert_int_equal(wl_parse_u64("", &v), -EINVAL);
	assert_int_equal(wl_parse_u64("12x", &v), -EINVAL);
	assert_int_equal(wl_parse_u64(" 1", &v), -EINVAL);
}

static void test_log2_slot(void **state UNUSED)
{
	assert_int_equal(wl_log2_slot(0, 32), 0);
	assert_int_equal(wl_log2_slot(1, 32), 1);
	assert_int_equal(wl_log2_slot(1023, 32), 10);
	assert_int_equal(wl_log2_slot(1024, 32), 11);
	assert_int_equal(wl_log2_slot(65536, 32), 17);
	assert_int_equal(wl_log2_slot(1ULL << 40, 32), 31);
}

static void test_pattern(void **state UNUSED)
{
	unsigned char b[600];

	wl_pattern_fill(b, sizeof(b), 1000);
	assert_int_equal(b[0], 1000 % WL_PATTERN);
	assert_int_equal(b[599], 1599 % WL_PATTERN);
	assert_int_equal(wl_pattern_check(b, sizeof(b), 1000), -1);
	assert_int_equal(wl_pattern_check(b + 10, 100, 1010), -1);
	b[77] ^= 1;
	assert_int_equal(wl_pattern_check(b, sizeof(b), 1000), 77);
	assert_int_equal(wl_pattern_check(b, sizeof(b), 1001), 0);
}

static void test_bad_input(void **state UNUSED)
{
	static const size_t zero = 0, big = 4096;
	struct wl_read_stats st = { 0, 0, 0, 0 };
	struct wl_read_opts o = { .sizes = NULL, .nsizes = 0 };
	char small[16];
	struct wl_conn c;

	assert_int_equal(wl_read_run(0, &o, &st), -EINVAL);
	o.sizes = &zero;
	o.nsizes = 1;
	assert_int_equal(wl_read_run(0, &o, &st), -EINVAL);
	o.sizes = &big;
	o.buf = small;
	o.buf_size = sizeof(small);
	assert_int_equal(wl_read_run(0, &o, &st), -EINVAL);
	assert_int_equal(wl_listen(AF_INET, "not-an-address", 0, 0, 1, NULL), -EINVAL);
	assert_int_equal(wl_listen(AF_INET, NULL, 70000, 0, 1, NULL), -EINVAL);
	assert_int_equal(wl_conn_open(&c, AF_UNIX, NULL, 0, 0), -EAFNOSUPPORT);
	assert_int_equal(c.rfd, -1);
	assert_int_equal(c.sfd, -1);
	assert_true(wl_inq(-1) == -EBADF);
}

struct seen {
	size_t req[64];
	long ret[64];
	int inq[64];
	unsigned n;
};

static int record(void *ctx, const struct wl_read_info *r)
{
	struct seen *s = ctx;

	assert_int_equal(r->index, s->n);
	if (r->index)
		assert_true(r->gap_ns > 0);
	else
		assert_int_equal(r->gap_ns, 0);
	s->req[s->n] = r->req;
	s->ret[s->n] = r->ret;
	s->inq[s->n] = r->inq;
	s->n++;
	return 0;
}

/* Sends n pattern bytes on c and waits until the reader's queue holds them all. */
static void send_queued(struct wl_conn *c, unsigned long long n, unsigned long long *off)
{
	struct wl_send_opts so = { .bytes = n, .chunk = 4096, .pattern_off = off };
	struct wl_send_stats ss = { 0, 0, 0 };

	assert_int_equal(wl_send(c->sfd, &so, &ss), 0);
	assert_int_equal(ss.bytes, n);
	assert_int_equal(ss.sends, (n + 4095) / 4096);
	for (int i = 0; i < 1000 && (unsigned long long)wl_inq(c->rfd) < n; i++)
		wl_sleep_ns(1000000);
	assert_int_equal(wl_inq(c->rfd), (int)n);
}

/* Sizes in turn, cut to what is left; FIONREAD before each; the stream checked. */
static void test_reader_cycle(void **state UNUSED)
{
	static const size_t sizes[] = { 1000, 7, 20000 };
	struct wl_read_stats st = { 0, 0, 0, 0 };
	unsigned long long soff = 0, roff = 0;
	struct seen s = { .n = 0 };
	struct wl_read_opts o = {
		.sizes = sizes, .nsizes = 3, .bytes = SMALL, .measure_inq = 1,
		.verify_off = &roff, .on_read = record, .ctx = &s,
	};
	struct wl_conn c;

	assert_int_equal(wl_conn_open(&c, AF_INET, NULL, 0, 0), 0);
	assert_true(c.lport > 0 && c.rport > 0);
	assert_int_equal(wl_port(c.sfd, 0), (int)c.rport);
	send_queued(&c, SMALL, &soff);
	assert_int_equal(wl_read_run(c.rfd, &o, &st), 0);
	/* 30000 = (1000 + 7 + 20000) + 1000 + 7 + 7986 (the last cut to what is left) */
	assert_int_equal(st.reads, 6);
	assert_int_equal(st.bytes, SMALL);
	assert_int_equal(st.short_reads, 0);
	assert_int_equal(st.eof, 0);
	assert_int_equal(roff, SMALL);
	assert_int_equal(s.n, 6);
	assert_int_equal(s.req[0], 1000);
	assert_int_equal(s.req[1], 7);
	assert_int_equal(s.req[2], 20000);
	assert_int_equal(s.req[5], 7986);
	assert_int_equal(s.inq[0], SMALL);
	assert_int_equal(s.inq[1], SMALL - 1000);
	assert_int_equal(s.inq[5], 7986);

	/* a read count, then EOF: short read, eof counted, the callback sees 0 */
	send_queued(&c, 500, &soff);
	assert_int_equal(wl_close(c.sfd, WL_SHUT_WR), 0);
	o.bytes = 0;
	o.reads = 0;
	s.n = 0;
	memset(&st, 0, sizeof(st));
	assert_int_equal(wl_read_run(c.rfd, &o, &st), 0);
	assert_int_equal(st.reads, 1);
	assert_int_equal(st.bytes, 500);
	assert_int_equal(st.short_reads, 1);
	assert_int_equal(st.eof, 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ret[1], 0);
	close(c.sfd);
	close(c.rfd);
}

/* The stream ends before `bytes`: -ENODATA; a byte out of place: -EILSEQ at its offset. */
static void test_reader_errors(void **state UNUSED)
{
	static const size_t size = 4096;
	struct wl_read_stats st = { 0, 0, 0, 0 };
	unsigned long long soff = 0, roff = 0;
	struct wl_read_opts o = { .sizes = &size, .nsizes = 1, .bytes = 2000 };
	struct wl_conn c;

	assert_int_equal(wl_conn_open(&c, AF_INET6, NULL, 0, 0), 0);
	send_queued(&c, 1000, &soff);
	assert_int_equal(wl_close(c.sfd, WL_CLOSE_FIN), 0);
	assert_int_equal(wl_read_run(c.rfd, &o, &st), -ENODATA);
	assert_int_equal(st.bytes, 1000);
	assert_int_equal(st.eof, 1);
	close(c.rfd);

	/* the sender's pattern from offset 0, the reader expecting it from 5 */
	assert_int_equal(wl_conn_open(&c, AF_INET, NULL, 0, 0), 0);
	soff = 0;
	roff = 5;
	send_queued(&c, 100, &soff);
	o.bytes = 100;
	o.verify_off = &roff;
	memset(&st, 0, sizeof(st));
	assert_int_equal(wl_read_run(c.rfd, &o, &st), -EILSEQ);
	assert_int_equal(roff, 5);
	/* a reset: the reader's next read fails with ECONNRESET */
	assert_int_equal(wl_close(c.sfd, WL_CLOSE_RST), 0);
	wl_sleep_ns(10 * 1000000);
	o.verify_off = NULL;
	assert_int_equal(wl_read_run(c.rfd, &o, &st), -ECONNRESET);
	close(c.rfd);
}

/* The sender's limits: a duration, a stop flag, a peer that went away. */
static void test_sender_limits(void **state UNUSED)
{
	volatile sig_atomic_t stop = 1;
	struct wl_send_opts so = { .stop = &stop };
	struct wl_send_stats ss = { 0, 0, 0 };
	struct wl_conn c;
	unsigned long long t0;

	assert_int_equal(wl_conn_open(&c, AF_INET, NULL, 0, 0), 0);
	assert_int_equal(wl_send(c.sfd, &so, &ss), 0);
	assert_int_equal(ss.bytes, 0);
	/* 1000 bytes/s for 50 ms, 10-byte chunks: about 50 bytes, paced */
	so.stop = NULL;
	so.rate = 1000;
	so.chunk = 10;
	so.duration_ns = 50 * 1000000ULL;
	t0 = wl_mono_ns();
	assert_int_equal(wl_send(c.sfd, &so, &ss), 0);
	assert_true(wl_mono_ns() - t0 >= so.duration_ns);
	assert_true(ss.bytes >= 40 && ss.bytes <= 70);
	/* the reader gone with data unread: a RST, then EPIPE or ECONNRESET */
	close(c.rfd);
	memset(&so, 0, sizeof(so));
	memset(&ss, 0, sizeof(ss));
	so.bytes = 1000000;
	assert_true(wl_send(c.sfd, &so, &ss) < 0);
	so.peer_gone_ok = 1;
	memset(&ss, 0, sizeof(ss));
	assert_int_equal(wl_send(c.sfd, &so, &ss), 0);
	assert_int_equal(ss.peer_gone, 1);
	close(c.sfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_log2_slot),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_reader_cycle),
		cmocka_unit_test(test_reader_errors),
		cmocka_unit_test(test_sender_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
