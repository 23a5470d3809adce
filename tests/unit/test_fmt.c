// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/util/fmt.c: addresses, sizes, TCP states, system calls. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <cmocka.h>

#include "util/fmt.h"
#include "bufscope/syscalls.h"

#define UNUSED __attribute__((unused))

static void addr4(uint8_t out[16], const char *text)
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(AF_INET, text, out), 1);
}

static void addr6(uint8_t out[16], const char *text)
{
	assert_int_equal(inet_pton(AF_INET6, text, out), 1);
}

static void test_addr_ipv4(void **state UNUSED)
{
	char buf[FMT_ADDR_LEN];
	uint8_t a[16];

	addr4(a, "127.0.0.1");
	assert_ptr_equal(fmt_addr(buf, sizeof(buf), AF_INET, a), buf);
	assert_string_equal(buf, "127.0.0.1");
	addr4(a, "255.255.255.255");
	assert_string_equal(fmt_addr(buf, sizeof(buf), AF_INET, a), "255.255.255.255");
	addr4(a, "10.1.2.3");
	assert_string_equal(fmt_addr(buf, sizeof(buf), AF_INET, a), "10.1.2.3");
	memset(a, 0, sizeof(a));
	assert_string_equal(fmt_addr(buf, sizeof(buf), AF_INET, a), "0.0.0.0");
}

/* fmt_addr writes IPv4 itself: byte for byte what inet_ntop writes. */
static void test_addr_ipv4_as_inet_ntop(void **state UNUSED)
{
	char buf[FMT_ADDR_LEN], want[INET_ADDRSTRLEN];
	uint8_t a[16] = { 0 };

	for (unsigned v = 0; v < 256; v++) {
		for (int i = 0; i < 4; i++) {
			memset(a, 0, 4);
			a[i] = (uint8_t)v;
			a[(i + 1) % 4] = (uint8_t)(255 - v);
			assert_non_null(inet_ntop(AF_INET, a, want, sizeof(want)));
			assert_string_equal(fmt_addr(buf, sizeof(buf), AF_INET, a), want);
		}
	}
	/* a buffer too small: "?" as before, never a cut address */
	a[0] = 192, a[1] = 168, a[2] = 100, a[3] = 200;
	assert_string_equal(fmt_addr(buf, 15, AF_INET, a), "?");
	assert_string_equal(fmt_addr(buf, 16, AF_INET, a), "192.168.100.200");
}

static void test_addr_ipv6(void **state UNUSED)
{
	char buf[FMT_ADDR_LEN];
	uint8_t a[16];

	addr6(a, "::1");
	assert_string_equal(fmt_addr(buf, sizeof(buf), AF_INET6, a), "::1");
	addr6(a, "2001:db8::42:1");
	assert_string_equal(fmt_addr(buf, sizeof(buf), AF_INET6, a), "2001:db8::42:1");
	addr6(a, "::ffff:192.0.2.7");
	assert_string_equal(fmt_addr(buf, sizeof(buf), AF_INET6, a), "::ffff:192.0.2.7");
	addr6(a, "fe80:1:2:3:4:5:6:7");
	assert_string_equal(fmt_addr(buf, sizeof(buf), AF_INET6, a), "fe80:1:2:3:4:5:6:7");
	memset(a, 0xff, sizeof(a));
	assert_string_equal(fmt_addr(buf, sizeof(buf), AF_INET6, a),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_addr_too_small_buffer(void **state UNUSED)
{
	char buf[4];
	uint8_t a[16];

	addr4(a, "192.168.100.200");
	/* Does not fit: a marker, still a string. */
	assert_string_equal(fmt_addr(buf, sizeof(buf), AF_INET, a), "?");
}

static void test_endpoint(void **state UNUSED)
{
	char buf[FMT_ENDPOINT_LEN];
	uint8_t a[16];

	addr4(a, "127.0.0.1");
	assert_ptr_equal(fmt_endpoint(buf, sizeof(buf), AF_INET, a, 5000), buf);
	assert_string_equal(buf, "127.0.0.1:5000");
	assert_string_equal(fmt_endpoint(buf, sizeof(buf), AF_INET, a, 0), "127.0.0.1:0");
	addr6(a, "::1");
	assert_string_equal(fmt_endpoint(buf, sizeof(buf), AF_INET6, a, 80), "[::1]:80");
	memset(a, 0xff, sizeof(a));
	assert_string_equal(fmt_endpoint(buf, sizeof(buf), AF_INET6, a, 65535),
			    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

/* A v4-mapped peer (an IPv6 socket's IPv4 client) reads as the IPv4 address,
 * in an endpoint and alone; other IPv6 addresses are left as they are. */
static void test_v4_mapped_unwrapped(void **state UNUSED)
{
	char buf[FMT_ENDPOINT_LEN];
	uint8_t a[16];

	addr6(a, "::ffff:192.0.2.7");
	assert_string_equal(fmt_endpoint(buf, sizeof(buf), AF_INET6, a, 80), "192.0.2.7:80");
	assert_string_equal(fmt_addr_unmapped(buf, sizeof(buf), AF_INET6, a), "192.0.2.7");
	addr6(a, "::fffe:192.0.2.7");
	assert_string_equal(fmt_addr_unmapped(buf, sizeof(buf), AF_INET6, a),
			    "::fffe:c000:207");
	addr6(a, "2001:db8::42:1");
	assert_string_equal(fmt_addr_unmapped(buf, sizeof(buf), AF_INET6, a), "2001:db8::42:1");
	addr4(a, "10.0.0.1");
	assert_string_equal(fmt_addr_unmapped(buf, sizeof(buf), AF_INET, a), "10.0.0.1");
}

static void test_family(void **state UNUSED)
{
	assert_string_equal(fmt_family(AF_INET), "ipv4");
	assert_string_equal(fmt_family(AF_INET6), "ipv6");
}

static void size_is(double bytes, const char *want)
{
	char buf[16];

	fmt_size(buf, sizeof(buf), bytes);
	if (strcmp(buf, want))
		fail_msg("fmt_size(%.3f) = \"%s\", want \"%s\"", bytes, buf, want);
	assert_true(strlen(buf) <= 7);
}

static void test_size(void **state UNUSED)
{
	size_is(0, "0");
	size_is(1, "1");
	size_is(999, "999");
	size_is(1023, "1023");
	size_is(1024, "1.0K");
	size_is(1536, "1.5K");
	size_is(2048, "2.0K");
	size_is(10 * 1024, "10K");
	size_is(100 * 1024, "100K");
	size_is(1000 * 1024, "1000K");
	size_is(1024 * 1024, "1.0M");
	size_is(10 * 1024 * 1024, "10M");
	size_is(1.5 * 1024 * 1024 * 1024, "1.5G");
	size_is(3.0 * 1024 * 1024 * 1024 * 1024, "3.0T");
	size_is(2.0 * 1024 * 1024 * 1024 * 1024 * 1024, "2.0P");
	/* Fractions of a byte (averages) round. */
	size_is(12.4, "12");
}

static void test_size_no_four_digit_rounding_up(void **state UNUSED)
{
	/* Just below 1 MiB: 1023.9K would print as "1024K": must be 1.0M. */
	size_is(1024.0 * 1024 - 100, "1.0M");
	/* Just below 10K: 9.99K rounds to "10.0K" with one decimal: "10K". */
	size_is(9.99 * 1024, "10K");
	size_is(9.9 * 1024, "9.9K");
}

static void test_size_small_buffer(void **state UNUSED)
{
	char buf[3];

	fmt_size(buf, sizeof(buf), 1536);
	assert_int_equal(strlen(buf), 2);
	assert_string_equal(buf, "1.");
}

static void test_tcp_state(void **state UNUSED)
{
	assert_string_equal(fmt_tcp_state(1), "ESTABLISHED");
	assert_string_equal(fmt_tcp_state(2), "SYN_SENT");
	assert_string_equal(fmt_tcp_state(3), "SYN_RECV");
	assert_string_equal(fmt_tcp_state(4), "FIN_WAIT1");
	assert_string_equal(fmt_tcp_state(5), "FIN_WAIT2");
	assert_string_equal(fmt_tcp_state(6), "TIME_WAIT");
	assert_string_equal(fmt_tcp_state(7), "CLOSE");
	assert_string_equal(fmt_tcp_state(8), "CLOSE_WAIT");
	assert_string_equal(fmt_tcp_state(9), "LAST_ACK");
	assert_string_equal(fmt_tcp_state(10), "LISTEN");
	assert_string_equal(fmt_tcp_state(11), "CLOSING");
	assert_string_equal(fmt_tcp_state(12), "NEW_SYN_RECV");
	assert_string_equal(fmt_tcp_state(0), "UNKNOWN");
	assert_string_equal(fmt_tcp_state(13), "UNKNOWN");
	assert_string_equal(fmt_tcp_state(255), "UNKNOWN");
	assert_string_equal(fmt_tcp_state(~0u), "UNKNOWN");
}

static void test_syscall(void **state UNUSED)
{
	assert_string_equal(fmt_syscall(BS_NR_READ), "read");
	assert_string_equal(fmt_syscall(0), "read");
	assert_string_equal(fmt_syscall(19), "readv");
	assert_string_equal(fmt_syscall(45), "recvfrom");
	assert_string_equal(fmt_syscall(47), "recvmsg");
	assert_string_equal(fmt_syscall(327), "preadv2");
	assert_null(fmt_syscall(-1));
	assert_null(fmt_syscall(1));	/* write */
	assert_string_equal(fmt_syscall(299), "recvmmsg");
	assert_null(fmt_syscall(426));	/* io_uring_enter */
}

static void test_time_iso_shape(void **state UNUSED)
{
	char buf[40];
	int y, mo, d, h, mi, s, ms;
	char z;

	fmt_time_iso(buf, sizeof(buf));
	assert_int_equal(strlen(buf), 24);
	assert_int_equal(sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d,
				&h, &mi, &s, &ms, &z), 8);
	assert_int_equal(z, 'Z');
	assert_true(y >= 2024);
	assert_in_range(mo, 1, 12);
	assert_in_range(ms, 0, 999);
}

static void test_mono_clock(void **state UNUSED)
{
	struct timespec mono;
	struct tm tm;
	time_t now;
	char buf[32];
	int h, mi, sec, us, got, want, diff;
	struct wallclock wc;
	uint64_t ns;

	wallclock_init(&wc);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	now = time(NULL);
	localtime_r(&now, &tm);
	ns = (uint64_t)mono.tv_sec * 1000000000ULL + (uint64_t)mono.tv_nsec;
	wallclock_hms(&wc, ns, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 15);
	assert_int_equal(sscanf(buf, "%2d:%2d:%2d.%6d", &h, &mi, &sec, &us), 4);
	assert_int_equal(buf[2], ':');
	assert_int_equal(buf[8], '.');
	/* the monotonic "now" is the wall-clock now, in local time */
	got = h * 3600 + mi * 60 + sec;
	want = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	diff = abs(got - want);
	if (diff > 43200)
		diff = 86400 - diff;	/* across midnight */
	assert_true(diff <= 2);

	/* 1.5 s earlier is 1.5 s earlier, microseconds included */
	{
		char b2[32];
		int h2, m2, s2, u2;
		long long d;

		wallclock_hms(&wc, ns - 1500000000ULL, b2, sizeof(b2));
		assert_int_equal(sscanf(b2, "%2d:%2d:%2d.%6d", &h2, &m2, &s2, &u2), 4);
		d = ((long long)(h * 3600 + mi * 60 + sec) * 1000000 + us) -
		    ((long long)(h2 * 3600 + m2 * 60 + s2) * 1000000 + u2);
		if (d < 0)
			d += 86400LL * 1000000;
		assert_int_equal(d, 1500000);
	}
}

/* ISO 8601 UTC from a monotonic timestamp; the cached second is refreshed. */
static void test_wallclock_iso(void **state UNUSED)
{
	struct timespec mono, real;
	struct wallclock wc;
	char a[40], b[40], want[32];
	struct tm tm;
	uint64_t ns;
	time_t t;

	wallclock_init(&wc);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	ns = (uint64_t)mono.tv_sec * 1000000000ULL + (uint64_t)mono.tv_nsec;
	wallclock_iso(&wc, ns, a, sizeof(a));
	assert_int_equal(strlen(a), 24);
	assert_int_equal(a[23], 'Z');
	assert_int_equal(a[19], '.');
	t = real.tv_sec;
	gmtime_r(&t, &tm);
	strftime(want, sizeof(want), "%Y-%m-%dT%H:%M", &tm);
	assert_memory_equal(a, want, 16);	/* same minute (a race at :59 aside) */
	/* 2.25 s later: the second part moves on, the milliseconds follow */
	wallclock_iso(&wc, ns + 2250000000ULL, b, sizeof(b));
	{
		int s1 = atoi(a + 17), s2 = atoi(b + 17), m1 = atoi(a + 20), m2 = atoi(b + 20);
		int d = ((s2 - s1 + 60) % 60) * 1000 + (m2 - m1);

		assert_int_equal(d, 2250);
	}
	/* a time no record has (past 2262) saturates: it overflowed, UB
	 * (tests/fuzz/regress/out/read-time-overflow) */
	wallclock_iso(&wc, UINT64_MAX, b, sizeof(b));
	assert_string_equal(b, "2262-04-11T23:47:16.854Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_ipv4),
		cmocka_unit_test(test_addr_ipv4_as_inet_ntop),
		cmocka_unit_test(test_addr_ipv6),
		cmocka_unit_test(test_addr_too_small_buffer),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_v4_mapped_unwrapped),
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_size_no_four_digit_rounding_up),
		cmocka_unit_test(test_size_small_buffer),
		cmocka_unit_test(test_tcp_state),
		cmocka_unit_test(test_syscall),
		cmocka_unit_test(test_time_iso_shape),
		cmocka_unit_test(test_mono_clock),
		cmocka_unit_test(test_wallclock_iso),
	};

	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
