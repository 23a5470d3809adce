/* SPDX-License-Identifier: GPL-2.0 */
/* Text forms of addresses, sizes and times. */
#ifndef BUFSCOPE_FMT_H
#define BUFSCOPE_FMT_H

#include <stddef.h>
#include <stdint.h>
#include "bufscope/sock.h"

#define FMT_ADDR_LEN 48		/* an IPv6 address in text */
#define FMT_ENDPOINT_LEN 56	/* "[addr]:port" */

const char *fmt_addr(char *buf, size_t len, uint16_t family, const uint8_t *addr);
/* fmt_addr, but a v4-mapped IPv6 address (::ffff:10.0.0.1) as the IPv4
 * address it stands for ("10.0.0.1"). */
const char *fmt_addr_unmapped(char *buf, size_t len, uint16_t family,
			      const uint8_t *addr);
/* "10.0.0.1:80", "[::1]:80"; a v4-mapped IPv6 address (::ffff:10.0.0.1) as
 * the IPv4 address it stands for: tables are for reading, JSON keeps it. */
const char *fmt_endpoint(char *buf, size_t len, uint16_t family,
			 const uint8_t *addr, uint16_t port);
const char *fmt_family(uint16_t family);
const char *fmt_tcp_state(unsigned state);
/* 1536 -> "1.5K", 0 -> "0"; powers of 1024; fits in 7 characters. */
const char *fmt_size(char *buf, size_t len, double bytes);
/* ISO 8601 UTC with milliseconds, from CLOCK_REALTIME now. */
const char *fmt_time_iso(char *buf, size_t len);
/*
 * Kernel (CLOCK_MONOTONIC) timestamps as wall-clock text, for event streams:
 * the offset between the clocks is taken once, and the calendar part is
 * recomputed only when the second changes.
 */
struct wallclock {
	int64_t offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	int64_t iso_sec, hms_sec;
	char iso[24];		/* "2026-11-26T10:00:01" */
	char hms[12];		/* "10:00:01" (local time) */
};

void wallclock_init(struct wallclock *wc);
/* "2026-11-26T10:00:01.123Z" */
const char *wallclock_iso(struct wallclock *wc, uint64_t mono_ns, char *buf,
			  size_t len);
/* "10:00:01.123456", local time */
const char *wallclock_hms(struct wallclock *wc, uint64_t mono_ns, char *buf,
			  size_t len);

/* The x86-64 system call a read came through, NULL if unknown. */
const char *fmt_syscall(int32_t nr);

#endif
