// SPDX-License-Identifier: GPL-2.0
/*
 * bench/manyconns: holds N loopback TCP connections open from one process,
 * for measuring what `bufscope top` costs with many sockets on the machine.
 *
 *   manyconns -n 10000 [-a WRITES_PER_CONN_PER_S] [-s SIZE]
 *
 * Opens a listener on 127.0.0.1 and connects N clients to it: 2N sockets.
 * The accepting side is a forked child ("bench-srv"), the connecting side the
 * process started ("bench-conns"): each holds N descriptors, so N = 10,000
 * fits a hard RLIMIT_NOFILE of 20,000 without CAP_SYS_RESOURCE (the soft
 * limit is raised to what is needed). When all are accepted it prints
 * {"ready":true,...} on stdout, then:
 *   idle   (no -a)  does nothing until SIGINT or SIGTERM;
 *   active (-a R)   writes SIZE bytes on each client socket R times a second,
 *                   spread evenly (every millisecond a slice of the
 *                   connections gets one); the child reads every byte on
 *                   the accepted side (epoll, 4 KiB reads).
 * On SIGINT/SIGTERM it stops the child and prints
 * {"done":true,"writes":...,"reads":...,"read_bytes":...}.
 * Exit status 2 on any failure.
 *
 * The listener, the connections and the child come from the workload library
 * (workloads/workload.h); the many-socket loops are this program's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define BENCH_PROG "manyconns"
#include "bench.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void raise_nofile(unsigned long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE, %lu)", need);
}

struct srv_counts {
	unsigned long reads;
	unsigned long long bytes;
};

/* The accepting side: accept n, report ready, read until told to stop. */
static void server(int lfd, unsigned long n, int active, int tell)
{
	struct srv_counts cnt = { 0, 0 };
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	char rbuf[4096];
	int *srv, ep = -1;

	srv = calloc(n, sizeof(*srv));
	if (!srv)
		die("calloc");
	if (active && (ep = epoll_create1(0)) < 0)
		die("epoll_create1");
	for (unsigned long i = 0; i < n; i++) {
		srv[i] = accept(lfd, NULL, NULL);
		if (srv[i] < 0)
			die("accept #%lu", i);
		ev.data.u64 = i;
		if (active && epoll_ctl(ep, EPOLL_CTL_ADD, srv[i], &ev))
			die("epoll_ctl #%lu", i);
	}
	close(lfd);
	if (write(tell, "r", 1) != 1)
		die("ready pipe");
	while (!stop) {
		int k;

		if (!active) {
			pause();
			continue;
		}
		k = epoll_wait(ep, evs, 256, -1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int e = 0; e < k; e++) {
			ssize_t r = read(srv[evs[e].data.u64], rbuf, sizeof(rbuf));

			if (r > 0) {
				cnt.reads++;
				cnt.bytes += r;
			} else if (r == 0) {
				errno = 0;
				die("peer closed connection #%lu", (unsigned long)evs[e].data.u64);
			} else if (errno != EAGAIN && errno != EINTR) {
				die("read");
			}
		}
	}
	if (write(tell, &cnt, sizeof(cnt)) != sizeof(cnt))
		die("count pipe");
	_exit(0);
}

int main(int argc, char **argv)
{
	unsigned long n = 10000, rate = 0, size = 64, writes = 0;
	unsigned long long ticks = 0, next = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct srv_counts cnt = { 0, 0 };
	int *cli, lfd, tfd = -1, opt, pfd[2], status;
	unsigned port;
	char wbuf[4096], r;
	double t0, t1;
	pid_t child;

	while ((opt = getopt(argc, argv, "n:a:s:h")) != -1) {
		switch (opt) {
		case 'n': n = num(optarg, "connection count"); break;
		case 'a': rate = num(optarg, "writes per second"); break;
		case 's': size = num(optarg, "write size"); break;
		default:
			fprintf(stderr, "usage: manyconns [-n CONNS] [-a WRITES_PER_CONN_PER_S] [-s SIZE]\n");
			return 2;
		}
	}
	if (!n || size < 1 || size > sizeof(wbuf))
		die("bad arguments");
	prctl(PR_SET_NAME, "bench-conns");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(wbuf, 'c', sizeof(wbuf));
	raise_nofile(n + 64);

	t0 = wl_mono_ns() / 1e9;
	cli = calloc(n, sizeof(*cli));
	if (!cli || pipe(pfd))
		die("calloc/pipe");
	lfd = wl_listen(AF_INET, NULL, 0, 0, 4096, &port);
	check(lfd, "listen on 127.0.0.1");
	child = wl_fork("bench-srv");
	check(child, "fork");
	if (child == 0) {
		close(pfd[0]);
		server(lfd, n, rate > 0, pfd[1]);
	}
	close(pfd[1]);
	close(lfd);
	/* A loopback connect completes in the kernel (the child accepts). */
	for (unsigned long i = 0; i < n; i++) {
		cli[i] = wl_connect(AF_INET, NULL, port, 0);
		if (cli[i] < 0) {
			errno = -cli[i];
			die("connect #%lu", i);
		}
	}
	if (read(pfd[0], &r, 1) != 1)
		die("the accepting child failed");
	t1 = wl_mono_ns() / 1e9;

	if (rate) {
		struct itimerspec its = { .it_interval = { 0, 1000000 },
					  .it_value = { 0, 1000000 } };

		tfd = timerfd_create(CLOCK_MONOTONIC, 0);
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL))
			die("timerfd");
	}
	printf("{\"ready\":true,\"conns\":%lu,\"sockets\":%lu,\"port\":%u,"
	       "\"pid\":%d,\"server_pid\":%d,\"writes_per_conn_per_s\":%lu,"
	       "\"setup_s\":%.3f}\n",
	       n, 2 * n, port, (int)getpid(), (int)child, rate,
	       t1 - t0);
	fflush(stdout);

	while (!stop) {
		unsigned long long exp, due;

		if (!rate) {
			pause();
			continue;
		}
		if (read(tfd, &exp, sizeof(exp)) != sizeof(exp)) {
			if (errno == EINTR)
				continue;
			die("timerfd read");
		}
		/* Writes due after `ticks` ms: n * rate * ticks / 1000. */
		ticks += exp;
		due = (unsigned long long)n * rate * ticks / 1000;
		for (; next < due; next++) {
			if (write(cli[next % n], wbuf, size) != (ssize_t)size)
				die("write");
			writes++;
		}
	}
	kill(child, SIGTERM);
	if (read(pfd[0], &cnt, sizeof(cnt)) != sizeof(cnt))
		fprintf(stderr, "manyconns: no counts from the accepting child\n");
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		errno = 0;
		die("the accepting child failed");
	}
	printf("{\"done\":true,\"writes\":%lu,\"reads\":%lu,\"read_bytes\":%llu}\n",
	       writes, cnt.reads, cnt.bytes);
	fflush(stdout);
	return 0;
}
