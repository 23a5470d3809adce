// SPDX-License-Identifier: GPL-2.0
/* The workload library's sender. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "workload.h"

#define DEFAULT_CHUNK (64 * 1024)

void wl_pattern_fill(void *buf, size_t len, unsigned long long off)
{
	unsigned char *b = buf;
	unsigned v = (unsigned)(off % WL_PATTERN);

	for (size_t i = 0; i < len; i++) {
		b[i] = (unsigned char)v;
		if (++v == WL_PATTERN)
			v = 0;
	}
}

long wl_pattern_check(const void *buf, size_t len, unsigned long long off)
{
	const unsigned char *b = buf;
	unsigned v = (unsigned)(off % WL_PATTERN);

	for (size_t i = 0; i < len; i++) {
		if (b[i] != v)
			return (long)i;
		if (++v == WL_PATTERN)
			v = 0;
	}
	return -1;
}

/* How much the next send() may carry: the chunk, cut at the byte limit and at the next pause. */
static size_t next_len(const struct wl_send_opts *o, size_t chunk, unsigned long long run)
{
	unsigned long long len = chunk;

	if (o->bytes && o->bytes - run < len)
		len = o->bytes - run;
	if (o->pause_every && o->pause_every - run % o->pause_every < len)
		len = o->pause_every - run % o->pause_every;
	return (size_t)len;
}

/* Sleeps off any lead over rate bytes/s since t0 (run bytes sent so far). */
static void pace(unsigned long long rate, unsigned long long t0, unsigned long long run)
{
	if (rate)
		wl_sleep_until(t0 + (unsigned long long)((long double)run * 1e9L / rate));
}

static int stopped(const struct wl_send_opts *o, unsigned long long t0, unsigned long long run)
{
	if (o->stop && *o->stop)
		return 1;
	if (o->bytes && run >= o->bytes)
		return 1;
	return o->duration_ns && wl_mono_ns() - t0 >= o->duration_ns;
}

int wl_send(int fd, const struct wl_send_opts *o, struct wl_send_stats *st)
{
	size_t chunk = o->chunk ? o->chunk : DEFAULT_CHUNK;
	unsigned long long t0 = wl_mono_ns();
	unsigned long long run = 0;
	unsigned char *buf = malloc(chunk);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	if (!o->pattern_off)
		memset(buf, 'x', chunk);
	while (!stopped(o, t0, run)) {
		size_t len = next_len(o, chunk, run);
		ssize_t n;

		pace(o->rate, t0, run);
		if (o->pattern_off)
			wl_pattern_fill(buf, len, *o->pattern_off);
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (o->peer_gone_ok && (errno == EPIPE || errno == ECONNRESET)) {
				st->peer_gone = 1;
				break;
			}
			err = -errno;
			break;
		}
		run += (unsigned long long)n;
		st->bytes += (unsigned long long)n;
		st->sends++;
		if (o->pattern_off)
			*o->pattern_off += (unsigned long long)n;
		if (o->pause_every && run % o->pause_every == 0 &&
		    (!o->bytes || run < o->bytes))
			wl_sleep_ns(o->pause_ns);
	}
	free(buf);
	return err;
}
