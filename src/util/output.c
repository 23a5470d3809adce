// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include "util/output.h"

#define OUTPUT_BUF (64 * 1024)

/* The one standard output (stdout is one per process, so is this). */
static struct {
	int err;		/* first write error, positive errno */
	bool line_start;	/* the last byte written was a newline (or none) */
} out = { .line_start = true };

int output_write(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;	/* nothing written: write it again */
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* stdio's write callback: all of it, or an error (stdio then marks it). */
static ssize_t cookie_write(void *cookie, const char *buf, size_t len)
{
	int err;

	(void)cookie;
	if (!len)
		return 0;
	err = output_write(STDOUT_FILENO, buf, len);
	if (err) {
		if (!out.err)
			out.err = -err;
		out.line_start = false;	/* part of it may be out */
		return 0;
	}
	out.line_start = buf[len - 1] == '\n';
	return (ssize_t)len;
}

/* A closed stdin or stderr becomes /dev/null: the next file opened (a BPF
 * object, /proc) would otherwise take its number, and diagnostics with it. */
static void keep_open(int target)
{
	int fd;

	if (fcntl(target, F_GETFD) >= 0)
		return;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0 && fd != target) {
		dup2(fd, target);	/* without O_CLOEXEC, as it was inherited */
		close(fd);
	} else if (fd == target) {
		fcntl(fd, F_SETFD, 0);
	}
}

int output_setup(void)
{
	static char buf[OUTPUT_BUF];
	cookie_io_functions_t io = { .write = cookie_write };
	FILE *f;

	keep_open(STDIN_FILENO);
	keep_open(STDERR_FILENO);
	if (fcntl(STDOUT_FILENO, F_GETFD) < 0)
		return -EBADF;
	f = fopencookie(NULL, "w", io);
	if (!f)
		return -errno;
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	stdout = f;	/* glibc and musl allow it: every printf goes here */
	return 0;
}

int output_error(void)
{
	return out.err;
}

static bool sigpipe_ignored(void)
{
	struct sigaction sa;

	return !sigaction(SIGPIPE, NULL, &sa) && sa.sa_handler == SIG_IGN;
}

bool output_closed(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = 0 };

	if (out.err)
		return true;
	/* with no events asked, only an error or a hang-up wakes it */
	if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLERR | POLLHUP | POLLNVAL)))
		return false;
	if (p.revents & POLLNVAL) {
		out.err = EBADF;
		return true;
	}
	/* a terminal hung up: SIGHUP says so, and ends the run with a summary */
	if (!(p.revents & POLLERR) && isatty(STDOUT_FILENO))
		return false;
	if (!sigpipe_ignored())
		raise(SIGPIPE);	/* what the next write would do */
	out.err = EPIPE;
	return true;
}

void output_line(const char *line, size_t len)
{
	fflush(stdout);
	clearerr(stdout);
	if (!out.line_start && !output_write(STDOUT_FILENO, "\n", 1))
		out.line_start = true;
	if (!output_write(STDOUT_FILENO, line, len) && len)
		out.line_start = line[len - 1] == '\n';
}
