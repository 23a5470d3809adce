// SPDX-License-Identifier: GPL-2.0
/* The workload library's small helpers: clocks, numbers, writes, fork. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "workload.h"

static unsigned long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

unsigned long long wl_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

unsigned long long wl_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

void wl_sleep_ns(unsigned long long ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void wl_sleep_until(unsigned long long t)
{
	unsigned long long now = wl_mono_ns();

	if (t > now)
		wl_sleep_ns(t - now);
}

int wl_parse_u64(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	/* strtoull accepts "-1" (as ULLONG_MAX); a count never starts with '-' */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int wl_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

pid_t wl_fork(const char *comm)
{
	pid_t pid;

	/* buffered output would otherwise be written twice */
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (comm)
			prctl(PR_SET_NAME, comm);
	}
	return pid;
}

unsigned wl_log2_slot(unsigned long long v, unsigned nslots)
{
	unsigned slot = 0;

	while (v) {
		slot++;
		v >>= 1;
	}
	return slot < nslots ? slot : nslots - 1;
}
