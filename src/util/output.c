// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "util/output.h"

#define OUTPUT_BUF (64 * 1024)

/* The one standard output (stdout is one per process, so is this). */
static struct {
	int err;		/* first write error, positive errno */
	bool line_start;	/* the last byte written was a newline (or none) */
	size_t partial;		/* bytes written since the last newline */
} out = { .line_start = true };

/* All of buf to fd, or an error; *done: how much of it went out. */
static int write_all(int fd, const char *buf, size_t len, size_t *done)
{
	*done = 0;
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
		*done += (size_t)n;
	}
	return 0;
}

int output_write(int fd, const char *buf, size_t len)
{
	size_t done;

	return write_all(fd, buf, len, &done);
}

/* Keeps out.partial: the bytes of an unfinished line that are out. */
static void count_written(const char *buf, size_t len)
{
	const char *nl = memrchr(buf, '\n', len);

	out.partial = nl ? (size_t)(buf + len - nl - 1) : out.partial + len;
	if (len)
		out.line_start = buf[len - 1] == '\n';
}

/*
 * A write to a file failed (a full file system) after part of a line went
 * out: that part is cut off, so that the file ends with a whole line (the
 * JSON stream is whole lines, docs/json.md). Only when bufscope wrote the
 * file's end (its offset is the file's size); a pipe or a terminal cannot
 * take back what it got.
 */
static bool stdout_is_file(struct stat *st)
{
	return !fstat(STDOUT_FILENO, st) && S_ISREG(st->st_mode);
}

static void cut_partial_line(void)
{
	struct stat st;
	off_t end;

	if (!out.partial || !stdout_is_file(&st))
		return;
	end = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	if (end != st.st_size || end < (off_t)out.partial)
		return;
	end -= (off_t)out.partial;
	if (ftruncate(STDOUT_FILENO, end) || lseek(STDOUT_FILENO, end, SEEK_SET) < 0)
		return;
	out.partial = 0;
	out.line_start = true;
}

/* stdio's write callback: all of it, or an error (stdio then marks it). */
static ssize_t cookie_write(void *cookie, const char *buf, size_t len)
{
	size_t done;
	int err;

	(void)cookie;
	if (!len)
		return 0;
	err = write_all(STDOUT_FILENO, buf, len, &done);
	count_written(buf, done);
	if (err) {
		if (!out.err)
			out.err = -err;
		cut_partial_line();
		return 0;
	}
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

/* A hung-up terminal answers its ioctls with EIO (tty_io.c's hung-up fops). */
static bool terminal_gone(void)
{
	struct termios t;

	return tcgetattr(STDOUT_FILENO, &t) && errno == EIO;
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
	/*
	 * A terminal is no pipe: no SIGPIPE. Hung up alone, SIGHUP says so and
	 * ends the run with a summary; with an error too (a pty's master
	 * closed: its slave is being hung up, then answers EIO) it is gone:
	 * EIO, as a write to it says.
	 */
	if (isatty(STDOUT_FILENO) && !(p.revents & POLLERR))
		return false;
	if (isatty(STDOUT_FILENO) || terminal_gone()) {
		out.err = EIO;
		return true;
	}
	if (!sigpipe_ignored())
		raise(SIGPIPE);	/* what the next write would do */
	out.err = EPIPE;
	return true;
}

void output_line(const char *line, size_t len)
{
	size_t done;
	int err;

	fflush(stdout);
	clearerr(stdout);
	if (!out.line_start && !write_all(STDOUT_FILENO, "\n", 1, &done))
		count_written("\n", 1);
	err = write_all(STDOUT_FILENO, line, len, &done);
	count_written(line, done);
	if (err)
		cut_partial_line();
}

const char *output_error_hint(int err)
{
	struct stat st;

	return err == ENOSPC || err == EDQUOT || err == EFBIG ?
			"the file system (or the file's limit) is full: free space or write elsewhere" :
		err == EPIPE ? "the program reading bufscope's output ended first" :
		err == EIO && !stdout_is_file(&st) ?
			"the terminal went away (closed, hung up): run it under nohup, tmux or with -o json > FILE" :
		"check where standard output goes";
}
