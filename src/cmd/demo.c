// SPDX-License-Identifier: GPL-2.0
/*
 * The seed document's scenario on loopback: a sender writes as fast as it can;
 * the reader has a small receive buffer and a 4 KiB `buf`, reads slowly, stalls
 * now and then, and sometimes catches up. The kernel queue fills and drains.
 */
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "util/log.h"
#include "workload.h"

#define DEMO_RCVBUF (64 * 1024)
#define DEMO_BUF 4096
#define MS (1000 * 1000ULL)

struct demo {
	int listen_fd;
	pid_t reader, sender;
	uint16_t port;
};

/* A child of the demo: named, ended by the parent (SIGTERM) or with it. */
static pid_t demo_child(const char *name)
{
	pid_t pid = wl_fork(name);

	if (pid == 0) {
		signal(SIGINT, SIG_IGN);	/* the parent ends us */
		signal(SIGTERM, SIG_DFL);
	}
	return pid;
}

/* 3 s of slow reads (4 KiB every 20 ms), 2 s stalled, 1 s flat out. */
static void reader_main(int listen_fd)
{
	static const size_t size = DEMO_BUF;
	const struct wl_read_opts slow = {
		.sizes = &size, .nsizes = 1, .duration_ns = 3000 * MS, .pause_ns = 20 * MS,
	};
	const struct wl_read_opts fast = { .sizes = &size, .nsizes = 1, .duration_ns = 1000 * MS };
	struct wl_read_stats st = { 0, 0, 0, 0 };
	int fd, err;

	fd = accept(listen_fd, NULL, NULL);
	if (fd < 0)
		_exit(1);
	for (;;) {
		err = wl_read_run(fd, &slow, &st);
		if (!err && !st.eof) {
			wl_sleep_ns(2000 * MS);
			err = wl_read_run(fd, &fast, &st);
		}
		if (err || st.eof)
			_exit(err != 0);
	}
}

/* As fast as TCP takes it, until the reader is gone. */
static void sender_main(uint16_t port)
{
	const struct wl_send_opts o = { .chunk = 64 * 1024, .peer_gone_ok = 1 };
	struct wl_send_stats st = { 0, 0, 0 };
	int fd = wl_connect(AF_INET, NULL, port);

	if (fd < 0)
		_exit(1);
	(void)wl_send(fd, &o, &st);
	_exit(0);
}

/* On loopback, the receive buffer set before listen(): accepted sockets
 * inherit it, window scale too. */
static int demo_listen(struct demo *d)
{
	unsigned port;

	d->listen_fd = wl_listen(AF_INET, NULL, 0, DEMO_RCVBUF, 1, &port);
	if (d->listen_fd < 0)
		return d->listen_fd;
	d->port = (uint16_t)port;
	return 0;
}

static int start_workload(void *ctx)
{
	struct demo *d = ctx;

	d->reader = demo_child("demo-reader");
	if (d->reader == 0)
		reader_main(d->listen_fd);
	d->sender = d->reader > 0 ? demo_child("demo-sender") : d->reader;
	if (d->sender == 0)
		sender_main(d->port);
	if (d->reader < 0 || d->sender < 0) {
		log_error(NULL, "cannot start the demo workload: %s", strerror(-d->sender));
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
