// SPDX-License-Identifier: GPL-2.0
/*
 * The seed document's scenario on loopback: a sender writes as fast as it can;
 * the reader has a small receive buffer and a 4 KiB `buf`, reads slowly, stalls
 * now and then, and sometimes catches up. The kernel queue fills and drains.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "log.h"

#define DEMO_RCVBUF (64 * 1024)
#define DEMO_BUF 4096

struct demo {
	int listen_fd;
	pid_t reader, sender;
	uint16_t port;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void become_child(const char *name)
{
	prctl(PR_SET_NAME, name);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_IGN);	/* the parent ends us */
	signal(SIGTERM, SIG_DFL);
}

/* 3 s of slow reads (4 KiB every 20 ms), 2 s stalled, 1 s flat out. */
static void reader_main(int listen_fd)
{
	char buf[DEMO_BUF];
	double start;
	int fd;

	become_child("demo-reader");
	fd = accept(listen_fd, NULL, NULL);
	if (fd < 0)
		_exit(1);
	start = mono_s();
	for (;;) {
		double phase = (mono_s() - start) - 6.0 * (long)((mono_s() - start) / 6.0);
		ssize_t n;

		if (phase >= 3.0 && phase < 5.0) {
			sleep_ms(50);
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			_exit(n < 0);
		if (phase < 3.0)
			sleep_ms(20);
	}
}

static void sender_main(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char chunk[64 * 1024];
	int fd;

	become_child("demo-sender");
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		_exit(1);
	memset(chunk, 'x', sizeof(chunk));
	for (;;)
		if (write(fd, chunk, sizeof(chunk)) < 0)
			_exit(0);
}

static int demo_listen(struct demo *d)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int rcvbuf = DEMO_RCVBUF;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (d->listen_fd < 0)
		return -errno;
	/* Set before listen(): accepted sockets inherit it, window scale too. */
	if (setsockopt(d->listen_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
	    bind(d->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(d->listen_fd, 1) ||
	    getsockname(d->listen_fd, (struct sockaddr *)&sa, &len))
		return -errno;
	d->port = ntohs(sa.sin_port);
	return 0;
}

static int start_workload(void *ctx)
{
	struct demo *d = ctx;

	d->reader = fork();
	if (d->reader == 0)
		reader_main(d->listen_fd);
	d->sender = d->reader > 0 ? fork() : -1;
	if (d->sender == 0)
		sender_main(d->port);
	if (d->reader < 0 || d->sender < 0) {
		log_error(NULL, "cannot start the demo workload: %s", strerror(errno));
		return 1;
	}
	log_info("demo: sender pid %d writes to reader pid %d on 127.0.0.1:%u",
		 d->sender, d->reader, d->port);
	return 0;
}

static void stop_child(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static int run(const struct options *opt)
{
	struct demo d = { .listen_fd = -1 };
	struct options o = *opt;
	int status, err;

	err = demo_listen(&d);
	if (err) {
		log_error(NULL, "cannot set up the demo's loopback socket: %s",
			  strerror(-err));
		if (d.listen_fd >= 0)
			close(d.listen_fd);
		return 1;
	}
	o.port = d.port;	/* watch only the demo's connection */
	status = top_run(&o, start_workload, &d);
	stop_child(d.sender);
	stop_child(d.reader);
	close(d.listen_fd);
	return status;
}

const struct cmd cmd_demo = {
	.name = "demo",
	.summary = "run a fast sender and a slow reader on loopback and show top on it",
	.examples =
		"  bufscope demo                     ten seconds of the demo\n"
		"  bufscope demo -d 30 -o json       thirty seconds, as JSON\n",
	.options_help = cmd_top_options_help,
	.own_options = "snbw",
	.default_duration_s = 10,
	.run = run,
};
