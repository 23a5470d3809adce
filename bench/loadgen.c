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
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static __attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "loadgen[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fputc('\n', stderr);
	_exit(2);
}

static unsigned long long num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		die("bad %s: %s", what, s);
	return v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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
	char *buf = malloc(wsize), go;
	unsigned long long sent = 0;

	prctl(PR_SET_NAME, "bench-writer");
	pin(cpu);
	if (!buf)
		die("malloc");
	for (size_t i = 0; i < wsize; i++)
		buf[i] = (char)(i * 7 + 1);
	if (read(fd, &go, 1) != 1)
		die("writer: no go byte");
	while (!total || sent < total) {
		size_t len = wsize;
		ssize_t n;

		if (total && total - sent < len)
			len = total - sent;
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* -t: the reader closed with data unread. */
			if (!total && (errno == EPIPE || errno == ECONNRESET))
				break;
			die("writer: write");
		}
		sent += n;
	}
	shutdown(fd, SHUT_WR);
	close(fd);
	_exit(0);
}

/* One read() into buf, counted; returns 0 at EOF (-1 for EINTR, retried). */
static inline ssize_t counted_read(int fd, char *buf, size_t bsize,
				   unsigned long long *reads,
				   unsigned long long *bytes,
				   unsigned long long *short_reads)
{
	ssize_t n = read(fd, buf, bsize);

	if (n > 0) {
		(*reads)++;
		*bytes += (unsigned long long)n;
		if ((size_t)n < bsize)
			(*short_reads)++;
	} else if (n < 0 && errno != EINTR) {
		die("read");
	}
	return n;
}

int main(int argc, char **argv)
{
	unsigned long long total = 0, reads = 0, bytes = 0, short_reads = 0;
	unsigned long long rate = 0;
	size_t bsize = 0, wsize = 128 * 1024;
	double duration = 0, t0, t1 = 0, deadline;
	int reader_cpu = -1, writer_cpu = -1, opt, one = 1;
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	struct rusage ru_self, ru_writer;
	int lfd, cfd, sfd, status;
	pid_t child;
	char *buf;

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
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&addr, &alen))
		die("listen on 127.0.0.1");

	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(lfd);
		cfd = socket(AF_INET, SOCK_STREAM, 0);
		if (cfd < 0 || connect(cfd, (struct sockaddr *)&addr, sizeof(addr)))
			die("writer: connect");
		writer(cfd, total, wsize, writer_cpu);
	}

	prctl(PR_SET_NAME, "bench-reader");
	pin(reader_cpu);
	sfd = accept(lfd, NULL, NULL);
	if (sfd < 0)
		die("accept");
	close(lfd);
	buf = malloc(bsize);
	if (!buf)
		die("malloc");
	memset(buf, 0, bsize);

	t0 = now_s();
	deadline = t0 + duration;
	if (write(sfd, "g", 1) != 1)
		die("go byte");

	if (total) {
		/* Fixed amount: read to EOF, no clock in the loop. */
		while (counted_read(sfd, buf, bsize, &reads, &bytes, &short_reads))
			;
		t1 = now_s();
	} else {
		/*
		 * Duration: check the clock every few reads. Paced: never more
		 * than `rate * elapsed` reads; sleep off a lead of over 100 us,
		 * spin on a smaller one.
		 */
		unsigned check = rate ? 8 : 256;

		for (;;) {
			if (!counted_read(sfd, buf, bsize, &reads, &bytes, &short_reads))
				die("EOF before the deadline");
			if (reads % check)
				continue;
			t1 = now_s();
			if (t1 >= deadline)
				break;
			while (rate) {
				double ahead = (double)reads / rate - (t1 - t0);
				struct timespec ts;

				if (ahead <= 0)
					break;
				if (ahead > 100e-6) {
					ts.tv_sec = 0;
					ts.tv_nsec = (long)(ahead * 1e9);
					nanosleep(&ts, NULL);
				}
				t1 = now_s();
			}
		}
	}
	close(sfd);
	if (wait4(child, &status, 0, &ru_writer) != child)
		die("wait4");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("writer failed (status 0x%x)", status);
	if (total && bytes != total) {
		errno = 0;
		die("short stream: %llu of %llu bytes", bytes, total);
	}
	getrusage(RUSAGE_SELF, &ru_self);

	printf("{\"buf\":%zu,\"bytes\":%llu,\"seconds\":%.6f,\"reads\":%llu,"
	       "\"gbps\":%.4f,\"reads_per_s\":%.1f,\"short_reads\":%llu,"
	       "\"rate_target\":%llu,\"reader_pid\":%d,\"writer_pid\":%d,"
	       "\"reader_cpu_s\":%.4f,\"writer_cpu_s\":%.4f,"
	       "\"reader_cpu\":%d,\"writer_cpu\":%d}\n",
	       bsize, bytes, t1 - t0, reads, bytes / (t1 - t0) / 1e9,
	       reads / (t1 - t0), short_reads, rate, (int)getpid(), (int)child,
	       cpu_s(&ru_self), cpu_s(&ru_writer), reader_cpu, writer_cpu);
	return 0;
}
