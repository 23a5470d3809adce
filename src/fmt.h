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
const char *fmt_endpoint(char *buf, size_t len, uint16_t family,
			 const uint8_t *addr, uint16_t port);
const char *fmt_family(uint16_t family);
const char *fmt_tcp_state(unsigned state);
/* 1536 -> "1.5K", 0 -> "0"; powers of 1024; fits in 7 characters. */
const char *fmt_size(char *buf, size_t len, double bytes);
/* ISO 8601 UTC with milliseconds, from CLOCK_REALTIME now. */
const char *fmt_time_iso(char *buf, size_t len);
/* HH:MM:SS.uuuuuu local time of a CLOCK_MONOTONIC timestamp. */
const char *fmt_mono_clock(char *buf, size_t len, uint64_t mono_ns);
/* The x86-64 system call a read came through, NULL if unknown. */
const char *fmt_syscall(int32_t nr);

#endif
