/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark's programs share beyond the workload library: their
 * failure policy. The library returns errors; a bench program reports one on
 * stderr as "PROG[pid]: what: strerror" and exits 2, which bench/run.py
 * reads as a broken run. Define BENCH_PROG before including this.
 */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "workload.h"

/* Prints the message, errno's text when errno is set, and exits 2. */
static __attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	fprintf(stderr, "%s[%d]: ", BENCH_PROG, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	_exit(2);
}

/* die() for the library's -errno results. */
static void check(int err, const char *what)
{
	if (err < 0) {
		errno = -err;
		die("%s", what);
	}
}

/* A command-line number, or die. */
static unsigned long long num(const char *s, const char *what)
{
	unsigned long long v;

	if (wl_parse_u64(s, &v)) {
		errno = 0;
		die("bad %s: %s", what, s);
	}
	return v;
}

#endif /* BENCH_H */
