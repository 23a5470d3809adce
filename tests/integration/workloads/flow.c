// SPDX-License-Identifier: GPL-2.0
/*
 * flow: TCP flow-control situations for the flow-control integration tests.
 * One loopback connection; the listener is bound to --port (the tests run it
 * in a network namespace of their own, where any port is free), so a capture
 * can be started before the connection exists. The accepted socket is the
 * reader; a forked sender (comm "wl_sender") writes what the reader asks for.
 *
 *   flow --mode MODE --port P [--ipv6] [--rcvbuf N] [options]
 *
 * --rcvbuf N sets SO_RCVBUF on the listener before listen() (the accepted
 * socket inherits it, and the window scale is chosen for it); 0 (default)
 * leaves autotuning on.
 *
 * Modes (all times in the JSON are CLOCK_MONOTONIC nanoseconds, the clock of
 * bpf_ktime_get_ns() and of Python's time.monotonic()):
 *
 *  zw      --bytes N --stall-ms S --read R --sleep-us U
 *          The sender writes N bytes. The reader reads nothing for S ms from
 *          go (t_go): the window closes (t_closed: TCP_INFO shows it) and
 *          stays closed, and the sender probes it. Then (t_resume) it reads R
 *          bytes at a time with a pause of U us after each read until all N
 *          bytes are read. done: those times, and the queue during the stall.
 *
 *  stalls  --stalls S1,S2,...
 *          Before ready, a calibration (bufscope is not attached yet): the
 *          sender writes 1 MiB unread until the advertised window is 0; the
 *          queue then, W, is what a closed window holds; then it is all read.
 *          After go, for each stall: 150 ms quiet, then the reader stops
 *          (t_stop), the sender writes X = 3W/2 bytes (more than the window
 *          holds, so it closes; less than two windows, so what is left after
 *          the first read fits and the window does not close again); the
 *          reader polls TCP_INFO until its advertised window is 0 (t_closed),
 *          sleeps S_k ms from then, then (t_resume) one read with a buffer
 *          larger than X (t_read: it returned), then reads the rest of X.
 *
 *  grow    --bytes N   The sender writes N bytes; the reader reads them with
 *          256 KiB reads as fast as it can (autotuning grows the buffer).
 *          done: SO_RCVBUF (sk_rcvbuf) before and after.
 *
 *  idle    --bytes N --stall-ms S   The sender writes N bytes (they must fit);
 *          t_cmd before the write is asked for, t_full when all N are queued;
 *          the reader never reads, and reports S ms after t_full.
 *
 *  shrink  --bytes N --shrink-to M --stall-ms S
 *          The sender writes N bytes that the reader reads at once (the window
 *          opens wide). Then the reader sets SO_RCVBUF to M, asks the sender
 *          for N more bytes, which arrive inside the window already offered
 *          but no longer fit the buffer: the kernel drops them. After S ms it
 *          sets SO_RCVBUF back and reads all N.
 *
 * The process stays alive, its sockets open, until stdin reaches EOF.
 */
#include "wl_common.h"
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <time.h>

#define MAX_STALLS 8
#define BIG_READ (4 << 20)

static unsigned char rbuf[BIG_READ];

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static unsigned long long real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void sleep_ns(unsigned long long ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Sleeps until the monotonic time t. */
static void sleep_until(unsigned long long t)
{
	unsigned long long now = mono_ns();

	if (t > now)
		sleep_ns(t - now);
}

static int inq(int fd)
{
	int n;

	if (ioctl(fd, SIOCINQ, &n))
		die("SIOCINQ: %s", strerror(errno));
	return n;
}

static int get_rcvbuf(int fd)
{
	int v;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len))
		die("SO_RCVBUF: %s", strerror(errno));
	return v;
}

static void set_rcvbuf(int fd, int v)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)))
		die("SO_RCVBUF: %s", strerror(errno));
}

/*
 * tcpi_rcv_wnd (Linux 6.2+: tp->rcv_wnd, the window this socket last
 * advertised, bytes) directly follows tcpi_snd_wnd (offset 228) in the UAPI
 * struct tcp_info, which only ever grows at its end. glibc's and older
 * kernel headers lack the field, so it is read at its offset from a raw buffer.
 */
#define TCPI_RCV_WND_OFFSET 232

static unsigned advertised_window(int fd)
{
	const size_t off = TCPI_RCV_WND_OFFSET;
	unsigned char buf[512];
	socklen_t len = sizeof(buf);
	__u32 v;

	memset(buf, 0, sizeof(buf));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf, &len))
		die("TCP_INFO: %s", strerror(errno));
	if (len < off + sizeof(v))
		die("TCP_INFO has no tcpi_rcv_wnd (kernel older than 6.2?)");
	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/*
 * Polls (every 0.5 ms, up to 10 s) until the socket has advertised a zero
 * window; returns the monotonic time it saw that. The zero window is set and
 * its segment sent under the socket lock, which TCP_INFO takes too: when this
 * sees 0, the segment has already been handed to the device.
 */
static unsigned long long wait_window_closed(int fd)
{
	for (int i = 0; i < 20000; i++) {
		if (advertised_window(fd) == 0)
			return mono_ns();
		sleep_ns(500000ULL);
	}
	die("the receive window did not close within 10 s (queue %d)", inq(fd));
}

struct totals {
	unsigned long long reads, bytes;
};

/* One blocking read of up to len bytes; the stream must not end. */
static size_t read_some(struct wl_conn *c, struct totals *t, size_t len)
{
	ssize_t n;

	for (;;) {
		n = recv(c->rfd, rbuf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (n < 0)
		die("recv: %s", strerror(errno));
	if (n == 0)
		die("unexpected end of stream");
	for (ssize_t i = 0; i < n; i++)
		if (rbuf[i] != (unsigned char)((c->off + (unsigned long long)i) % WL_PATTERN))
			die("data mismatch at stream offset %llu", c->off + (unsigned long long)i);
	c->off += (unsigned long long)n;
	t->reads++;
	t->bytes += (unsigned long long)n;
	return (size_t)n;
}

/* Reads exactly n bytes with reads of up to len bytes. */
static void read_exactly(struct wl_conn *c, struct totals *t, unsigned long long n, size_t len)
{
	while (n) {
		size_t want = n < len ? (size_t)n : len;

		n -= read_some(c, t, want);
	}
}

static void print_head(const char *what, const struct wl_sender *s, const struct wl_conn *c)
{
	printf("{\"%s\":true,\"pid\":%d,\"sender_pid\":%d,", what, (int)getpid(), (int)s->pid);
	print_comm(stdout);
	printf(",\"conns\":[{\"family\":\"%s\",\"lport\":%u,\"rport\":%u}],\"lport\":%u,\"rport\":%u",
	       family_name(c->family), c->lport, c->rport, c->lport, c->rport);
}

static unsigned parse_list(const char *s, unsigned long long *out, unsigned max)
{
	unsigned n = 0;
	char buf[256], *save = NULL;

	if (strlen(s) >= sizeof(buf))
		die("list too long");
	strcpy(buf, s);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			die("at most %u stalls", max);
		out[n++] = parse_num(tok, "stall");
	}
	if (!n)
		die("empty list");
	return n;
}

int main(int argc, char **argv)
{
	unsigned long long bytes = 1 << 20, stall_ms = 1000, read_len = 2048, sleep_us = 2000;
	unsigned long long port = 0, rcvbuf = 0, shrink_to = 1024;
	unsigned long long stalls[MAX_STALLS];
	unsigned nstalls = 0;
	const char *mode = NULL;
	int family = AF_INET;
	struct wl_sender s;
	struct wl_conn c;
	struct totals t = { 0, 0 };

	wl_prog = "flow";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--ipv6")) {
			family = AF_INET6;
			continue;
		}
		if (!v)
			die("option %s needs a value", a);
		i++;
		if (!strcmp(a, "--mode"))
			mode = v;
		else if (!strcmp(a, "--port"))
			port = parse_num(v, "--port");
		else if (!strcmp(a, "--rcvbuf"))
			rcvbuf = parse_num(v, "--rcvbuf");
		else if (!strcmp(a, "--bytes"))
			bytes = parse_num(v, "--bytes");
		else if (!strcmp(a, "--stall-ms"))
			stall_ms = parse_num(v, "--stall-ms");
		else if (!strcmp(a, "--read"))
			read_len = parse_num(v, "--read");
		else if (!strcmp(a, "--sleep-us"))
			sleep_us = parse_num(v, "--sleep-us");
		else if (!strcmp(a, "--shrink-to"))
			shrink_to = parse_num(v, "--shrink-to");
		else if (!strcmp(a, "--stalls"))
			nstalls = parse_list(v, stalls, MAX_STALLS);
		else if (!strcmp(a, "--comm"))
			prctl(PR_SET_NAME, v);
		else
			die("unknown option %s", a);
	}
	if (!mode || !port || port > 65535)
		die("usage: flow --mode zw|stalls|grow|idle|shrink --port P [options]");
	if (read_len == 0 || read_len > sizeof(rbuf))
		die("bad --read");
	conn_open_port(&c, family, (unsigned)port, (int)rcvbuf);
	sender_start(&s, &c, 1);

	if (!strcmp(mode, "zw")) {
		unsigned long long t_go, t_closed, t_resume, t_end;
		int q;

		print_head("ready", &s, &c);
		printf(",\"rcvbuf\":%d}\n", get_rcvbuf(c.rfd));
		fflush(stdout);
		wait_go();
		t_go = mono_ns();
		sender_cmd(&s, 0, CMD_SEND, bytes);
		t_closed = wait_window_closed(c.rfd);
		sleep_until(t_go + stall_ms * 1000000ULL);
		q = inq(c.rfd);
		t_resume = mono_ns();
		while (t.bytes < bytes) {
			unsigned long long left = bytes - t.bytes;

			read_some(&c, &t, left < read_len ? (size_t)left : (size_t)read_len);
			if (sleep_us)
				sleep_ns(sleep_us * 1000ULL);
		}
		t_end = mono_ns();
		print_head("done", &s, &c);
		printf(",\"sent\":%llu,\"reads\":%llu,\"bytes\":%llu,\"t_go\":%llu,"
		       "\"t_closed\":%llu,\"t_resume\":%llu,\"t_end\":%llu,\"stall_queue\":%d}\n",
		       bytes, t.reads, t.bytes, t_go, t_closed, t_resume, t_end, q);
	} else if (!strcmp(mode, "stalls")) {
		unsigned long long t_stop[MAX_STALLS], t_closed[MAX_STALLS], t_resume[MAX_STALLS];
		unsigned long long t_read[MAX_STALLS], t_done[MAX_STALLS], x;
		int q[MAX_STALLS], w;

		if (!nstalls)
			die("--stalls needed");
		/* calibration, before bufscope attaches: what a closed window holds */
		sender_cmd(&s, 0, CMD_SEND, 1 << 20);
		wait_window_closed(c.rfd);
		w = inq(c.rfd);
		read_exactly(&c, &t, 1 << 20, sizeof(rbuf));
		x = (unsigned long long)w * 3 / 2;
		print_head("ready", &s, &c);
		printf(",\"window_queue\":%d,\"x\":%llu}\n", w, x);
		fflush(stdout);
		wait_go();
		t.reads = t.bytes = 0;
		for (unsigned k = 0; k < nstalls; k++) {
			sleep_ns(150 * 1000000ULL);
			t_stop[k] = mono_ns();
			sender_cmd(&s, 0, CMD_SEND, x);
			t_closed[k] = wait_window_closed(c.rfd);
			sleep_until(t_closed[k] + stalls[k] * 1000000ULL);
			q[k] = inq(c.rfd);
			t_resume[k] = mono_ns();
			read_some(&c, &t, sizeof(rbuf));
			t_read[k] = mono_ns();
			read_exactly(&c, &t, x * (k + 1) - t.bytes, sizeof(rbuf));
			t_done[k] = mono_ns();
		}
		print_head("done", &s, &c);
		printf(",\"sent\":%llu,\"reads\":%llu,\"bytes\":%llu,\"window_queue\":%d,\"x\":%llu,"
		       "\"stalls\":[", x * nstalls, t.reads, t.bytes, w, x);
		for (unsigned k = 0; k < nstalls; k++)
			printf("%s{\"stall_ms\":%llu,\"t_stop\":%llu,\"t_closed\":%llu,"
			       "\"t_resume\":%llu,\"t_read\":%llu,\"t_done\":%llu,\"queue\":%d}",
			       k ? "," : "", stalls[k], t_stop[k], t_closed[k], t_resume[k],
			       t_read[k], t_done[k], q[k]);
		printf("]}\n");
	} else if (!strcmp(mode, "grow")) {
		int before = get_rcvbuf(c.rfd), after;

		print_head("ready", &s, &c);
		printf(",\"rcvbuf\":%d}\n", before);
		fflush(stdout);
		wait_go();
		sender_cmd(&s, 0, CMD_SEND, bytes);
		read_exactly(&c, &t, bytes, 256 * 1024);
		after = get_rcvbuf(c.rfd);
		print_head("done", &s, &c);
		printf(",\"sent\":%llu,\"reads\":%llu,\"bytes\":%llu,\"rcvbuf_before\":%d,"
		       "\"rcvbuf_after\":%d}\n", bytes, t.reads, t.bytes, before, after);
	} else if (!strcmp(mode, "idle")) {
		unsigned long long t_cmd, t_full, t_done;
		int q = 0;

		print_head("ready", &s, &c);
		printf("}\n");
		fflush(stdout);
		wait_go();
		t_cmd = mono_ns();
		sender_cmd(&s, 0, CMD_SEND, bytes);
		for (int i = 0; i < 10000 && (unsigned long long)(q = inq(c.rfd)) < bytes; i++)
			sleep_ns(1000000ULL);
		t_full = mono_ns();
		if ((unsigned long long)q != bytes)
			die("only %d of %llu bytes queued", q, bytes);
		sleep_until(t_full + stall_ms * 1000000ULL);
		t_done = mono_ns();
		print_head("done", &s, &c);
		printf(",\"sent\":%llu,\"t_cmd\":%llu,\"t_full\":%llu,\"t_done\":%llu,"
		       "\"queue\":%d,\"mono_ns\":%llu,\"real_ns\":%llu}\n",
		       bytes, t_cmd, t_full, t_done, inq(c.rfd), mono_ns(), real_ns());
	} else if (!strcmp(mode, "shrink")) {
		int big = get_rcvbuf(c.rfd), small;
		unsigned long long t_shrink, t_restore;

		/* open the window wide before bufscope attaches */
		sender_cmd(&s, 0, CMD_SEND, bytes);
		read_exactly(&c, &t, bytes, BIG_READ);
		print_head("ready", &s, &c);
		printf(",\"rcvbuf\":%d}\n", big);
		fflush(stdout);
		wait_go();
		t.reads = t.bytes = 0;
		set_rcvbuf(c.rfd, (int)shrink_to);
		small = get_rcvbuf(c.rfd);
		t_shrink = mono_ns();
		sender_cmd(&s, 0, CMD_SEND, bytes);
		sleep_until(t_shrink + stall_ms * 1000000ULL);
		set_rcvbuf(c.rfd, big / 2);
		t_restore = mono_ns();
		read_exactly(&c, &t, bytes, BIG_READ);
		print_head("done", &s, &c);
		printf(",\"sent\":%llu,\"reads\":%llu,\"bytes\":%llu,\"rcvbuf_big\":%d,"
		       "\"rcvbuf_small\":%d,\"t_shrink\":%llu,\"t_restore\":%llu,\"t_end\":%llu}\n",
		       bytes, t.reads, t.bytes, big, small, t_shrink, t_restore, mono_ns());
	} else {
		die("unknown mode %s", mode);
	}
	fflush(stdout);
	wait_end();
	sender_stop(&s);
	return 0;
}
