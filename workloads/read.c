// SPDX-License-Identifier: GPL-2.0
/* The workload library's reader. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "workload.h"

/*
 * Without a callback or pauses, the clock (for duration and rate) is read every
 * this many reads, so that a fast reader (the benchmark's) spends its time in
 * read() and not in clock_gettime().
 */
#define CLOCK_EVERY 256
#define CLOCK_EVERY_PACED 8

struct reader {
	const struct wl_read_opts *o;
	struct wl_read_stats *st;
	unsigned long long t0, prev_t;
	unsigned long long run, since_stall, index;
	unsigned size_at;
	unsigned clock_every;
};

static size_t largest(const size_t *sizes, unsigned n)
{
	size_t max = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!sizes[i])
			return 0;
		if (sizes[i] > max)
			max = sizes[i];
	}
	return max;
}

/* The size of the next read: the next in turn, cut to what is left of bytes. */
static size_t next_req(struct reader *r)
{
	const struct wl_read_opts *o = r->o;
	size_t req = o->sizes[r->size_at];

	if (++r->size_at == o->nsizes)
		r->size_at = 0;
	if (o->bytes && o->bytes - r->run < req)
		req = (size_t)(o->bytes - r->run);
	return req;
}

/* Sleeps off any lead over rate reads/s; 1 once the duration is over. */
static int clock_check(struct reader *r)
{
	const struct wl_read_opts *o = r->o;
	unsigned long long now = wl_mono_ns();

	if (o->duration_ns && now - r->t0 >= o->duration_ns)
		return 1;
	if (o->rate)
		wl_sleep_until(r->t0 + (unsigned long long)((long double)r->index * 1e9L / o->rate));
	return 0;
}

/* The counting, checking and waiting after a read that returned n > 0. */
static int after_data(struct reader *r, const void *buf, size_t req, long n)
{
	const struct wl_read_opts *o = r->o;

	if (o->verify_off) {
		long bad = wl_pattern_check(buf, (size_t)n, *o->verify_off);

		if (bad >= 0) {
			*o->verify_off += (unsigned long long)bad;
			return -EILSEQ;
		}
		*o->verify_off += (unsigned long long)n;
	}
	r->run += (unsigned long long)n;
	r->st->reads++;
	r->st->bytes += (unsigned long long)n;
	if ((size_t)n < req)
		r->st->short_reads++;
	if (o->stall_every) {
		r->since_stall += (unsigned long long)n;
		while (r->since_stall >= o->stall_every) {
			r->since_stall -= o->stall_every;
			wl_sleep_ns(o->stall_ns);
		}
	}
	if (o->pause_ns)
		wl_sleep_ns(o->pause_ns);
	return 0;
}

static int callback(struct reader *r, size_t req, long n, int inq, unsigned long long t)
{
	struct wl_read_info info = {
		.index = r->index, .req = req, .ret = n, .inq = inq, .t_ns = t,
		.gap_ns = r->index ? t - r->prev_t : 0,
	};

	r->prev_t = t;
	return r->o->on_read(r->o->ctx, &info);
}

static int run(struct reader *r, int fd, void *buf)
{
	const struct wl_read_opts *o = r->o;
	int timed = o->duration_ns || o->rate;

	for (;;) {
		size_t req;
		int inq = -1, err;
		unsigned long long t = 0;
		long n;

		if (o->bytes && r->run >= o->bytes)
			return 0;
		if (o->reads && r->index >= o->reads)
			return 0;
		if (timed && r->index % r->clock_every == 0 && clock_check(r))
			return 0;
		req = next_req(r);
		if (o->measure_inq && (inq = wl_inq(fd)) < 0)
			return inq;
		if (o->on_read)
			t = wl_mono_ns();
		n = read(fd, buf, req);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n > 0 && (err = after_data(r, buf, req, n)))
			return err;
		if (o->on_read && (err = callback(r, req, n, inq, t)))
			return err > 0 ? 0 : err;
		r->index++;
		if (n == 0) {
			r->st->eof = 1;
			return o->bytes ? -ENODATA : 0;
		}
	}
}

int wl_read_run(int fd, const struct wl_read_opts *o, struct wl_read_stats *st)
{
	struct reader r = { .o = o, .st = st };
	size_t max = o->sizes ? largest(o->sizes, o->nsizes) : 0;
	void *buf = o->buf;
	int err;

	if (!max || (buf && o->buf_size < max))
		return -EINVAL;
	if (!buf && !(buf = malloc(max)))
		return -ENOMEM;
	r.clock_every = o->on_read || o->pause_ns ? 1 : o->rate ? CLOCK_EVERY_PACED : CLOCK_EVERY;
	r.t0 = wl_mono_ns();
	err = run(&r, fd, buf);
	if (buf != o->buf)
		free(buf);
	return err;
}
