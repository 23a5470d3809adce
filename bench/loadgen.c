// SPDX-License-Identifier: GPL-2.0
/*
 * bench/loadgen: the benchmark's load generator.
 *
 * Two processes and one loopback TCP connection. The writer (a forked child,
 * comm "bench-writer") streams data as fast as TCP lets it; the reader (this
 * process, comm "bench-reader") drains it with read() into a fixed buffer of
 * B bytes and prints one JSON line with what it did:
 *
 *   {"buf":512,"bytes":...,"seconds":...,"reads":...,"gbps":...,
 *    "reads_per_s":...,"reader_pid":...,"writer_pid":...,...}
 *
 * Two ways to size a run:
 *   -n BYTES     the writer sends exactly BYTES and closes; the reader reads
 *                to EOF and checks it got them all (the overhead runs);
 *   -t SECONDS   the writer streams until the reader stops after SECONDS and
 *                closes (the trace-rate runs).
 * -r RATE paces the reader to at most RATE reads per second (with -t).
 *
 * The clock starts when the reader tells the writer to begin (one byte on the
 * connection) and stops when the reader sees EOF (or its deadline), so
 * neither process start-up nor the handshake is timed. GB is 10^9 bytes.
 *
 * Exit status: 0 on success, 2 on any failure (set-up, short stream).
 *
 * The connection, the writer's sends and the reader's loop are the workload
 * library's (workloads/workload.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#define BENCH_PROG "loadgen"
#include "bench.h"

static double now_s(void)
{
	return wl_mono_ns() / 1e9;
}


static double cpu_s(const struct rusage *ru)
{
	return ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
	       ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(%d)", cpu);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen -b BUF (-n BYTES | -t SECONDS) [-r READS_PER_S]\n"
		"               [-w WRITE_SIZE] [-R CPU] [-W CPU]\n"
		"  -b  read() buffer size in bytes\n"
		"  -n  bytes to stream (reader reads to EOF)\n"
		"  -t  seconds to read (writer streams until the reader closes)\n"
		"  -r  pace the reader to at most this many reads per second\n"
		"  -w  write() size of the writer (default 131072)\n"
		"  -R, -W  pin the reader / writer to this CPU (default: no pinning)\n");
	exit(2);
}

/* The writer: wait for the go byte, then stream until done or refused. */
static void writer(int fd, unsigned long long total, size_t wsize, int cpu)
{
	/* -t: the reader closes with data unread, which ends the stream */
	struct wl_send_opts o = { .bytes = total, .chunk = wsize, .peer_gone_ok = !total };
	struct wl_send_stats st = { 0, 0, 0 };
	char go;

	pin(cpu);
	if (read(fd, &go, 1) != 1)
		die("writer: no go byte");
	check(wl_send(fd, &o, &st), "writer: write");
	shutdown(fd, SHUT_WR);
	close(fd);
	_exit(0);
}

/* The reader: reads of bsize bytes to EOF (-n) or for duration (-t). */
static void reader(int fd, size_t bsize, double duration, unsigned long long rate,
		   struct wl_read_stats *st)
{
	struct wl_read_opts o = {
		.sizes = &bsize, .nsizes = 1, .rate = rate,
		.duration_ns = (unsigned long long)(duration * 1e9),
	};

	check(wl_read_run(fd, &o, st), "read");
	if (duration > 0 && st->eof) {
		errno = 0;
		die("EOF before the deadline");
	}
}

int main(int argc, char **argv)
{
	unsigned long long total = 0, rate = 0;
	size_t bsize = 0, wsize = 128 * 1024;
	double duration = 0, t0, t1;
	int reader_cpu = -1, writer_cpu = -1, opt;
	struct wl_read_stats st = { 0, 0, 0, 0 };
	struct rusage ru_self, ru_writer;
	int lfd, sfd, status;
	unsigned port;
	pid_t child;

	while ((opt = getopt(argc, argv, "b:n:t:r:w:R:W:h")) != -1) {
		switch (opt) {
		case 'b': bsize = num(optarg, "buffer size"); break;
		case 'n': total = num(optarg, "byte count"); break;
		case 't': duration = strtod(optarg, NULL); break;
		case 'r': rate = num(optarg, "rate"); break;
		case 'w': wsize = num(optarg, "write size"); break;
		case 'R': reader_cpu = (int)num(optarg, "cpu"); break;
		case 'W': writer_cpu = (int)num(optarg, "cpu"); break;
		default: usage();
		}
	}
	if (!bsize || !wsize || (!total == !(duration > 0)) || (rate && !duration))
		usage();

	signal(SIGPIPE, SIG_IGN);
	lfd = wl_listen(AF_INET, NULL, 0, 0, 1, &port);
	check(lfd, "listen on 127.0.0.1");

	child = wl_fork("bench-writer");
	check(child, "fork");
	if (child == 0) {
		int cfd;

		close(lfd);
		cfd = wl_connect(AF_INET, NULL, port, 0);
		check(cfd, "writer: connect");
		writer(cfd, total, wsize, writer_cpu);
	}

	prctl(PR_SET_NAME, "bench-reader");
	pin(reader_cpu);
	sfd = accept(lfd, NULL, NULL);
	if (sfd < 0)
		die("accept");
	close(lfd);

	t0 = now_s();
	if (write(sfd, "g", 1) != 1)
		die("go byte");
	reader(sfd, bsize, duration, rate, &st);
	t1 = now_s();
	close(sfd);
	if (wait4(child, &status, 0, &ru_writer) != child)
		die("wait4");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("writer failed (status 0x%x)", status);
	if (total && st.bytes != total) {
		errno = 0;
		die("short stream: %llu of %llu bytes", st.bytes, total);
	}
	getrusage(RUSAGE_SELF, &ru_self);

	printf("{\"buf\":%zu,\"bytes\":%llu,\"seconds\":%.6f,\"reads\":%llu,"
	       "\"gbps\":%.4f,\"reads_per_s\":%.1f,\"short_reads\":%llu,"
	       "\"rate_target\":%llu,\"reader_pid\":%d,\"writer_pid\":%d,"
	       "\"reader_cpu_s\":%.4f,\"writer_cpu_s\":%.4f,"
	       "\"reader_cpu\":%d,\"writer_cpu\":%d}\n",
	       bsize, st.bytes, t1 - t0, st.reads, st.bytes / (t1 - t0) / 1e9,
	       st.reads / (t1 - t0), st.short_reads, rate, (int)getpid(), (int)child,
	       cpu_s(&ru_self), cpu_s(&ru_writer), reader_cpu, writer_cpu);
	return 0;
}
