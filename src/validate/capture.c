// SPDX-License-Identifier: GPL-2.0
/*
 * tcpdump in a side's namespace (validate/capture.h). It runs in its own
 * process group, so a Ctrl-C at the terminal reaches the harness only, which
 * then stops it cleanly: SIGINT, after which tcpdump writes what it holds and
 * prints its statistics, read here to say whether the capture is whole.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/sanitize.h"
#include "validate/capture.h"
#include "util/wfile.h"
#include "workload.h"

#define START_WAIT_MS 5000
#define STOP_WAIT_MS 3000

static long long now_ms(void)
{
	return (long long)(wl_mono_ns() / 1000000);
}

/* What tcpdump said on stderr, appended to buf, until `until` (ms) or EOF.
 * Stops early once `want` is in it. Returns the length. */
static size_t read_err(int fd, char *buf, size_t cap, size_t n, const char *want,
		       long long until)
{
	while (n + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = until - now_ms();
		ssize_t got;

		if (want && strstr(buf, want))
			break;
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		got = read(fd, buf + n, cap - 1 - n);
		if (got <= 0)
			break;
		n += (size_t)got;
		buf[n] = 0;
	}
	return n;
}

static void child(int err_fd, int out_fd, const struct netenv *n, enum side side,
		  unsigned port)
{
	char filter[32];
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);		/* not in the terminal's Ctrl-C */
	signal(SIGINT, SIG_DFL);
	if (netenv_enter(n, side))
		_exit(126);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(126);
	snprintf(filter, sizeof(filter), "tcp port %u", port);
	/* -U --immediate-mode: each packet written as it comes; -s: headers
	 * only (what flow control is about) and an 8 MiB buffer: a veth hands
	 * it 64 KiB GSO packets, whole ones overflow the default 2 MiB; -Z root:
	 * no change of user; -w -: the file bufscope made (wfile_create: no
	 * link planted there is followed), as its standard output */
	execlp("tcpdump", "tcpdump", "-i", n->dev[side], "-nn", "-U", "--immediate-mode",
	       "-s", "256", "-B", "8192", "-Z", "root", "-w", "-", filter, (char *)NULL);
	_exit(127);
}

/* A failed start: why, from tcpdump's words or its exit status. */
static void start_failed(struct capture *c, const char *err, char *why, size_t len)
{
	char line[160], clean[160];
	int status = 0;
	long long until = now_ms() + 200;
	bool exited;
	const char *nl;

	/* its stderr ended: it is exiting, give it the moment that takes */
	while (!(exited = waitpid(c->pid, &status, WNOHANG) == c->pid) && now_ms() < until)
		usleep(2000);
	if (!exited) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
	}
	c->pid = 0;
	close(c->err_fd);
	c->err_fd = -1;
	nl = strchr(err, '\n');
	snprintf(line, sizeof(line), "%.*s", nl ? (int)(nl - err) : (int)strlen(err), err);
	sanitize_text(clean, sizeof(clean), line, strlen(line));
	if (exited && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(why, len, "cannot run tcpdump (Debian's package tcpdump "
			 "installs it)");
	else if (exited && WIFEXITED(status) && WEXITSTATUS(status) == 126)
		snprintf(why, len, "cannot start tcpdump in the namespace");
	else if (exited)
		snprintf(why, len, "tcpdump failed%s%s", clean[0] ? ": " : "", clean);
	else
		snprintf(why, len, "tcpdump did not start capturing within %d s%s%s",
			 START_WAIT_MS / 1000, clean[0] ? ": " : "", clean);
}

int capture_start(struct capture *c, const struct netenv *n, enum side side,
		  unsigned port, const char *path, char *why, size_t len)
{
	int fds[2], out;
	char err[1024] = "";

	memset(c, 0, sizeof(*c));
	c->err_fd = -1;
	c->path = path;
	out = wfile_create(path);
	if (out < 0) {
		snprintf(why, len, "cannot write %s: %s", path, wfile_strerror(out));
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(why, len, "cannot start tcpdump: %s", strerror(errno));
		close(out);
		return -1;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		snprintf(why, len, "cannot start tcpdump: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		close(out);
		c->pid = 0;
		return -1;
	}
	if (c->pid == 0)
		child(fds[1], out, n, side, port);
	close(fds[1]);
	close(out);
	c->err_fd = fds[0];
	setpgid(c->pid, c->pid);	/* both set it: no race */
	read_err(c->err_fd, err, sizeof(err), 0, "listening on",
		       now_ms() + START_WAIT_MS);
	if (!strstr(err, "listening on")) {
		start_failed(c, err, why, len);
		return -1;
	}
	return 0;
}

/* tcpdump's closing statistics: "12 packets captured", "1 packet received
 * by filter", "0 packets dropped by kernel", a line each. */
static bool stats_of(const char *err, struct capture *c)
{
	unsigned seen = 0;

	for (const char *l = err; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long long v;
		char rest[40];

		if (sscanf(l, "%llu %*s %39[^\n]", &v, rest) != 2)
			continue;
		if (!strcmp(rest, "captured")) {
			c->captured = v;
			seen |= 1;
		} else if (!strcmp(rest, "dropped by kernel")) {
			c->dropped = v;
			seen |= 2;
		}
	}
	return seen == 3;
}

void capture_stop(struct capture *c)
{
	char err[2048] = "";
	long long until = now_ms() + STOP_WAIT_MS;
	int status;

	if (!c->pid || c->stopped)
		return;
	kill(c->pid, SIGINT);
	while (waitpid(c->pid, &status, WNOHANG) == 0) {
		if (now_ms() > until) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			break;
		}
		usleep(5000);
	}
	/* it exited: its stderr ends (EOF) once what it wrote is read */
	read_err(c->err_fd, err, sizeof(err), 0, NULL, now_ms() + 200);
	close(c->err_fd);
	c->err_fd = -1;
	c->stopped = true;
	c->stats = stats_of(err, c);
}
