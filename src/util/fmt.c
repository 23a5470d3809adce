// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "util/fmt.h"
#include "bufscope/syscalls.h"

/* Dotted decimal, as inet_ntop() writes it (which does it with sprintf). */
static bool ipv4_text(char *buf, size_t len, const uint8_t *addr)
{
	char tmp[16], *p = tmp;

	for (int i = 0; i < 4; i++) {
		unsigned v = addr[i];

		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = '\0';
	if ((size_t)(p - tmp) >= len)
		return false;
	memcpy(buf, tmp, (size_t)(p - tmp) + 1);
	return true;
}

const char *fmt_addr(char *buf, size_t len, uint16_t family, const uint8_t *addr)
{
	if (family != AF_INET6 && ipv4_text(buf, len, addr))
		return buf;
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf,
		       (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* ::ffff:a.b.c.d, how an IPv6 socket holds an IPv4 peer (RFC 4291 2.5.5.2),
 * made the IPv4 address it stands for. */
static void unmap_v4(uint16_t *family, const uint8_t **addr)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	if (*family == AF_INET6 && !memcmp(*addr, prefix, sizeof(prefix))) {
		*family = AF_INET;
		*addr += 12;
	}
}

const char *fmt_addr_unmapped(char *buf, size_t len, uint16_t family,
			      const uint8_t *addr)
{
	unmap_v4(&family, &addr);
	return fmt_addr(buf, len, family, addr);
}

const char *fmt_endpoint(char *buf, size_t len, uint16_t family,
			 const uint8_t *addr, uint16_t port)
{
	char a[FMT_ADDR_LEN];

	unmap_v4(&family, &addr);
	fmt_addr(a, sizeof(a), family, addr);
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
	return buf;
}

const char *fmt_family(uint16_t family)
{
	return family == AF_INET6 ? "ipv6" : "ipv4";
}

const char *fmt_tcp_state(unsigned state)
{
	static const char *const names[] = {
		[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV",
		[4] = "FIN_WAIT1", [5] = "FIN_WAIT2", [6] = "TIME_WAIT",
		[7] = "CLOSE", [8] = "CLOSE_WAIT", [9] = "LAST_ACK",
		[10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
	};

	if (state < sizeof(names) / sizeof(names[0]) && names[state])
		return names[state];
	return "UNKNOWN";
}

const char *fmt_size(char *buf, size_t len, double bytes)
{
	static const char units[] = "KMGTP";
	int u = -1;

	while (bytes >= 1024 * 0.9995 && u < 4) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%.0f", bytes);
	else if (bytes < 9.95)
		snprintf(buf, len, "%.1f%c", bytes, units[u]);
	else
		snprintf(buf, len, "%.0f%c", bytes, units[u]);
	return buf;
}

const char *fmt_time_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	return buf;
}

const char *fmt_syscall(int32_t nr)
{
	switch (nr) {
	case BS_NR_READ: return "read";
	case BS_NR_READV: return "readv";
	case BS_NR_RECVFROM: return "recvfrom";
	case BS_NR_RECVMSG: return "recvmsg";
	case BS_NR_PREADV2: return "preadv2";
	case BS_NR_RECVMMSG: return "recvmmsg";
	}
	return NULL;
}

void wallclock_init(struct wallclock *wc)
{
	struct timespec real, mono;

	memset(wc, 0, sizeof(*wc));
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	wc->offset_ns = ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000LL +
			(real.tv_nsec - mono.tv_nsec);
	wc->iso_sec = wc->hms_sec = -1;
}

/* A time past the year 2262 (no real record's) saturates: no overflow. */
static int64_t wall_ns(const struct wallclock *wc, uint64_t mono_ns)
{
	int64_t ns;

	if (mono_ns > INT64_MAX || __builtin_add_overflow((int64_t)mono_ns, wc->offset_ns, &ns))
		return INT64_MAX;
	return ns;
}

/* The calendar part of a second, formatted only when the second changes. */
static const char *calendar(int64_t sec, int64_t *cached_sec, char *cache,
			    size_t len, const char *format, bool utc)
{
	if (sec != *cached_sec) {
		time_t t = (time_t)sec;
		struct tm tm;

		if (utc)
			gmtime_r(&t, &tm);
		else
			localtime_r(&t, &tm);
		strftime(cache, len, format, &tm);
		*cached_sec = sec;
	}
	return cache;
}

const char *wallclock_iso(struct wallclock *wc, uint64_t mono_ns, char *buf,
			  size_t len)
{
	int64_t ns = wall_ns(wc, mono_ns), sec = ns / 1000000000LL;

	snprintf(buf, len, "%s.%03dZ",
		 calendar(sec, &wc->iso_sec, wc->iso, sizeof(wc->iso),
			  "%Y-%m-%dT%H:%M:%S", true),
		 (int)((ns % 1000000000LL) / 1000000));
	return buf;
}

const char *wallclock_hms(struct wallclock *wc, uint64_t mono_ns, char *buf,
			  size_t len)
{
	int64_t ns = wall_ns(wc, mono_ns), sec = ns / 1000000000LL;

	snprintf(buf, len, "%s.%06d",
		 calendar(sec, &wc->hms_sec, wc->hms, sizeof(wc->hms), "%H:%M:%S",
			  false),
		 (int)((ns % 1000000000LL) / 1000));
	return buf;
}
