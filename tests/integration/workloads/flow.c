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
 *          go (t_go): the window closes (t_closed: seen closed, see below) and
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
 *          reader polls until it sees its advertised window 0 (t_closed),
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
 * How the window is seen closed (zw, stalls; "window_seen" in their done line):
 *  rcv_wnd       the reader's own TCP_INFO tcpi_rcv_wnd is 0 (Linux 6.2+, the
 *                window this socket last advertised);
 *  peer_snd_wnd  kernels without tcpi_rcv_wnd: the sender socket's TCP_INFO
 *                tcpi_snd_wnd (Linux 5.4+) is 0, read by the reader through
 *                sock_diag (NETLINK_SOCK_DIAG, INET_DIAG_INFO), so the sender
 *                process and its sockets stay as they are. The sender's window
 *                is 0 only once the reader's window-0 segment has reached it,
 *                so t_closed is, as with rcv_wnd, after the window closed:
 *                later by that segment's trip through loopback (microseconds)
 *                plus at most the 0.5 ms poll.
 * rcv_wnd is used where the kernel has it; WL_FLOW_WINDOW=peer_snd_wnd in the
 * environment forces the fallback (to measure it on a newer kernel).
 *
 * The process stays alive, its sockets open, until stdin reaches EOF.
 */
#include "wl_common.h"
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#define MAX_STALLS 8
#define BIG_READ (4 << 20)

static unsigned char rbuf[BIG_READ];

/* FIONREAD, SO_RCVBUF: the library's, a failure ending the workload. */
static int inq(int fd)
{
	int n = wl_inq(fd);

	if (n < 0)
		die("SIOCINQ: %s", strerror(-n));
	return n;
}

static int get_rcvbuf(int fd)
{
	int v = wl_rcvbuf(fd);

	if (v < 0)
		die("SO_RCVBUF: %s", strerror(-v));
	return v;
}

static void set_rcvbuf(int fd, int v)
{
	int err = wl_set_rcvbuf(fd, v);

	if (err)
		die("SO_RCVBUF: %s", strerror(-err));
}

/*
 * tcpi_rcv_wnd (Linux 6.2+: tp->rcv_wnd, the window this socket last
 * advertised, bytes) directly follows tcpi_snd_wnd (Linux 5.4+: tp->snd_wnd,
 * the window the peer last advertised, offset 228) in the UAPI struct
 * tcp_info, which only ever grows at its end. glibc's and older kernel
 * headers lack the fields, so they are read at their offsets from a raw buffer.
 */
#define TCPI_SND_WND_OFFSET 228
#define TCPI_RCV_WND_OFFSET 232

enum window_seen { SEEN_RCV_WND, SEEN_PEER_SND_WND };

static const char *const window_seen_names[] = {
	[SEEN_RCV_WND] = "rcv_wnd",
	[SEEN_PEER_SND_WND] = "peer_snd_wnd",
};

static enum window_seen window_seen = SEEN_RCV_WND;

/* The kernel's struct tcp_info of fd, raw; returns its length. */
static socklen_t tcp_info_raw(int fd, unsigned char *buf, socklen_t size)
{
	socklen_t len = size;

	memset(buf, 0, size);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf, &len))
		die("TCP_INFO: %s", strerror(errno));
	return len;
}

static unsigned advertised_window(int fd)
{
	const size_t off = TCPI_RCV_WND_OFFSET;
	unsigned char buf[512];
	socklen_t len = tcp_info_raw(fd, buf, sizeof(buf));
	__u32 v;

	if (len < off + sizeof(v))
		die("TCP_INFO has no tcpi_rcv_wnd (kernel older than 6.2?)");
	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/*
 * The fallback: the sender's socket, found by sock_diag with its exact
 * address and ports (the reader's peer and local ones). The request is built
 * once; each poll sends it and reads tcpi_snd_wnd from the INET_DIAG_INFO
 * attribute of the answer.
 */
static struct {
	int fd;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
} diag = { .fd = -1 };

static void sock_addr(int fd, int peer, int family, __be32 out[4])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		     : getsockname(fd, (struct sockaddr *)&ss, &len);

	if (r || ss.ss_family != family)
		die("socket address: %s", r ? strerror(errno) : "wrong family");
	memset(out, 0, 4 * sizeof(__be32));
	if (family == AF_INET)
		out[0] = ((struct sockaddr_in *)&ss)->sin_addr.s_addr;
	else
		memcpy(out, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
}

static void diag_open(const struct wl_conn *c)
{
	struct inet_diag_req_v2 *r = &diag.msg.req;

	diag.fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (diag.fd < 0)
		die("NETLINK_SOCK_DIAG socket: %s", strerror(errno));
	memset(&diag.msg, 0, sizeof(diag.msg));
	diag.msg.nlh.nlmsg_len = sizeof(diag.msg);
	diag.msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	diag.msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	r->sdiag_family = (__u8)c->family;
	r->sdiag_protocol = IPPROTO_TCP;
	r->idiag_ext = 1 << (INET_DIAG_INFO - 1);
	r->idiag_states = ~0U;
	/* the sender's socket: its local end is the reader's peer */
	r->id.idiag_sport = htons((uint16_t)c->rport);
	r->id.idiag_dport = htons((uint16_t)c->lport);
	sock_addr(c->rfd, 1, c->family, r->id.idiag_src);
	sock_addr(c->rfd, 0, c->family, r->id.idiag_dst);
	r->id.idiag_cookie[0] = r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

/* The sender socket's tcpi_snd_wnd: the window the reader last advertised. */
static unsigned peer_send_window(void)
{
	static unsigned char buf[16384];
	const size_t off = TCPI_SND_WND_OFFSET;
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	ssize_t n;

	diag.msg.nlh.nlmsg_seq++;
	if (send(diag.fd, &diag.msg, sizeof(diag.msg), 0) != (ssize_t)sizeof(diag.msg))
		die("sock_diag request: %s", strerror(errno));
	do
		n = recv(diag.fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die("sock_diag answer: %s", strerror(errno));
	for (int len = (int)n; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
		struct inet_diag_msg *m = NLMSG_DATA(nlh);
		struct rtattr *a;
		unsigned alen;
		__u32 v;

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nlh);

			die("sock_diag: the sender's socket: %s (tcp_diag module missing?)",
			    strerror(-e->error));
		}
		if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			continue;
		a = (struct rtattr *)((char *)m + NLMSG_ALIGN(sizeof(*m)));
		alen = nlh->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*m)));
		for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
			if (a->rta_type != INET_DIAG_INFO)
				continue;
			if (RTA_PAYLOAD(a) < off + sizeof(v))
				die("sock_diag TCP_INFO has no tcpi_snd_wnd (kernel older than 5.4?)");
			memcpy(&v, (char *)RTA_DATA(a) + off, sizeof(v));
			return v;
		}
		die("sock_diag: no INET_DIAG_INFO for the sender's socket");
	}
	die("sock_diag: no answer for the sender's socket");
}

/*
 * Chooses how the window is seen closed: tcpi_rcv_wnd where TCP_INFO has it,
 * else (or with WL_FLOW_WINDOW=peer_snd_wnd) the sender's tcpi_snd_wnd.
 */
static void window_seen_init(const struct wl_conn *c)
{
	const char *e = getenv("WL_FLOW_WINDOW");
	unsigned char buf[512];

	if (e && *e) {
		if (!strcmp(e, window_seen_names[SEEN_PEER_SND_WND]))
			window_seen = SEEN_PEER_SND_WND;
		else if (strcmp(e, window_seen_names[SEEN_RCV_WND]))
			die("bad WL_FLOW_WINDOW %s (rcv_wnd or peer_snd_wnd)", e);
	} else if (tcp_info_raw(c->rfd, buf, sizeof(buf)) < TCPI_RCV_WND_OFFSET + sizeof(__u32)) {
		window_seen = SEEN_PEER_SND_WND;
	}
	if (window_seen == SEEN_PEER_SND_WND) {
		diag_open(c);
		(void)peer_send_window();	/* fails now, before ready, if it cannot work */
	}
}

static int window_closed(int fd)
{
	if (window_seen == SEEN_PEER_SND_WND)
		return peer_send_window() == 0;
	return advertised_window(fd) == 0;
}

/*
 * Polls (every 0.5 ms, up to 10 s) until the socket has advertised a zero
 * window; returns the monotonic time it saw that. The zero window is set and
 * its segment sent under the socket lock, which TCP_INFO takes too: when this
 * sees 0, the segment has already been handed to the device. (The fallback
 * sees it later still: when the segment has reached the sender.)
 */
static unsigned long long wait_window_closed(int fd)
{
	for (int i = 0; i < 20000; i++) {
		if (window_closed(fd))
			return wl_mono_ns();
		wl_sleep_ns(500000ULL);
	}
	die("the receive window did not close within 10 s (queue %d)", inq(fd));
}

/*
 * Reads with the library's reader: reads of up to len bytes, each followed by
 * pause_ns of sleep, until n bytes (n = 0: one read); the stream is checked
 * and must not end.
 */
static void read_run(struct wl_conn *c, struct wl_read_stats *t, unsigned long long n,
		     size_t len, unsigned long long pause_ns)
{
	struct wl_read_opts o = {
		.sizes = &len, .nsizes = 1, .bytes = n, .reads = n ? 0 : 1,
		.pause_ns = pause_ns, .verify_off = &c->off,
		.buf = rbuf, .buf_size = sizeof(rbuf),
	};
	int err = wl_read_run(c->rfd, &o, t);

	if (err == -EILSEQ)
		die("data mismatch at stream offset %llu", c->off);
	if (err == -ENODATA || t->eof)
		die("unexpected end of stream");
	if (err)
		die("read: %s", strerror(-err));
}

/* One blocking read of up to len bytes. */
static void read_some(struct wl_conn *c, struct wl_read_stats *t, size_t len)
{
	read_run(c, t, 0, len, 0);
}

/* Reads exactly n bytes with reads of up to len bytes. */
static void read_exactly(struct wl_conn *c, struct wl_read_stats *t, unsigned long long n,
			 size_t len)
{
	if (n)
		read_run(c, t, n, len, 0);
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
	struct wl_read_stats t = { 0, 0, 0, 0 };

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
	if (!strcmp(mode, "zw") || !strcmp(mode, "stalls"))
		window_seen_init(&c);

	if (!strcmp(mode, "zw")) {
		unsigned long long t_go, t_closed, t_resume, t_end;
		int q;

		print_head("ready", &s, &c);
		printf(",\"rcvbuf\":%d}\n", get_rcvbuf(c.rfd));
		fflush(stdout);
		wait_go();
		t_go = wl_mono_ns();
		sender_cmd(&s, 0, CMD_SEND, bytes);
		t_closed = wait_window_closed(c.rfd);
		wl_sleep_until(t_go + stall_ms * 1000000ULL);
		q = inq(c.rfd);
		t_resume = wl_mono_ns();
		if (bytes > t.bytes)
			read_run(&c, &t, bytes - t.bytes, (size_t)read_len, sleep_us * 1000ULL);
		t_end = wl_mono_ns();
		print_head("done", &s, &c);
		printf(",\"sent\":%llu,\"reads\":%llu,\"bytes\":%llu,\"t_go\":%llu,"
		       "\"t_closed\":%llu,\"t_resume\":%llu,\"t_end\":%llu,\"stall_queue\":%d,"
		       "\"window_seen\":\"%s\"}\n",
		       bytes, t.reads, t.bytes, t_go, t_closed, t_resume, t_end, q,
		       window_seen_names[window_seen]);
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
			wl_sleep_ns(150 * 1000000ULL);
			t_stop[k] = wl_mono_ns();
			sender_cmd(&s, 0, CMD_SEND, x);
			t_closed[k] = wait_window_closed(c.rfd);
			wl_sleep_until(t_closed[k] + stalls[k] * 1000000ULL);
			q[k] = inq(c.rfd);
			t_resume[k] = wl_mono_ns();
			read_some(&c, &t, sizeof(rbuf));
			t_read[k] = wl_mono_ns();
			read_exactly(&c, &t, x * (k + 1) - t.bytes, sizeof(rbuf));
			t_done[k] = wl_mono_ns();
		}
		print_head("done", &s, &c);
		printf(",\"sent\":%llu,\"reads\":%llu,\"bytes\":%llu,\"window_queue\":%d,\"x\":%llu,"
		       "\"window_seen\":\"%s\",\"stalls\":[", x * nstalls, t.reads, t.bytes, w, x,
		       window_seen_names[window_seen]);
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
		t_cmd = wl_mono_ns();
		sender_cmd(&s, 0, CMD_SEND, bytes);
		for (int i = 0; i < 10000 && (unsigned long long)(q = inq(c.rfd)) < bytes; i++)
			wl_sleep_ns(1000000ULL);
		t_full = wl_mono_ns();
		if ((unsigned long long)q != bytes)
			die("only %d of %llu bytes queued", q, bytes);
		wl_sleep_until(t_full + stall_ms * 1000000ULL);
		t_done = wl_mono_ns();
		print_head("done", &s, &c);
		printf(",\"sent\":%llu,\"t_cmd\":%llu,\"t_full\":%llu,\"t_done\":%llu,"
		       "\"queue\":%d,\"mono_ns\":%llu,\"real_ns\":%llu}\n",
		       bytes, t_cmd, t_full, t_done, inq(c.rfd), wl_mono_ns(), wl_real_ns());
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
		t_shrink = wl_mono_ns();
		sender_cmd(&s, 0, CMD_SEND, bytes);
		wl_sleep_until(t_shrink + stall_ms * 1000000ULL);
		set_rcvbuf(c.rfd, big / 2);
		t_restore = wl_mono_ns();
		read_exactly(&c, &t, bytes, BIG_READ);
		print_head("done", &s, &c);
		printf(",\"sent\":%llu,\"reads\":%llu,\"bytes\":%llu,\"rcvbuf_big\":%d,"
		       "\"rcvbuf_small\":%d,\"t_shrink\":%llu,\"t_restore\":%llu,\"t_end\":%llu}\n",
		       bytes, t.reads, t.bytes, big, small, t_shrink, t_restore, wl_mono_ns());
	} else {
		die("unknown mode %s", mode);
	}
	fflush(stdout);
	wait_end();
	sender_stop(&s);
	return 0;
}
