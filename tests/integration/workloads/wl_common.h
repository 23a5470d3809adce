/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the integration-test workloads (header only, so that each
 * workload still builds from its single .c file with plain `cc`).
 *
 * Every workload:
 *   1. sets up its loopback connection(s) and a forked sender process,
 *   2. prints {"ready":true,...} on stdout,
 *   3. waits for a line on stdin ("go") before any traffic,
 *   4. does its reads, counting exactly what the contract of bufscope counts,
 *   5. prints {"done":true,...} with its own counts,
 *   6. stays alive (sockets open) until stdin reaches EOF or gets another line.
 *
 * The sender is a forked child (comm "wl_sender") that obeys commands sent by
 * the reader over a pipe, so the reader decides exactly when data arrives.
 *
 * Connections, the sender's sends and the stream pattern come from the
 * workload library (workloads/workload.h); what is here is the tests' own
 * protocol (ready/go/done, the command pipe) and their counting.
 */
#ifndef WL_COMMON_H
#define WL_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "workload.h"

#define WL_MAX_CONNS 4
#define WL_HIST_SLOTS 32

/* Not every workload uses every helper. */
#define WL_UNUSED __attribute__((unused))

WL_UNUSED static const char *wl_prog = "workload";

WL_UNUSED __attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s[%d]: ", wl_prog, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(2);
}

WL_UNUSED static unsigned long long parse_num(const char *s, const char *what)
{
	unsigned long long v;

	if (wl_parse_u64(s, &v))
		die("bad %s: %s", what, s);
	return v;
}

WL_UNUSED static void write_all(int fd, const void *buf, size_t len)
{
	int err = wl_write_all(fd, buf, len);

	if (err)
		die("write: %s", strerror(-err));
}

/* ---------------------------------------------------------------- stdin */

/* Reads one line from stdin; returns 0 at EOF, 1 for a line. */
WL_UNUSED static int read_line(void)
{
	char c;

	for (;;) {
		ssize_t n = read(STDIN_FILENO, &c, 1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read stdin: %s", strerror(errno));
		}
		if (n == 0)
			return 0;
		if (c == '\n')
			return 1;
	}
}

WL_UNUSED static void wait_go(void)
{
	if (!read_line())
		die("stdin closed before go");
}

/* The end of the workload: stdin EOF or one more line. */
WL_UNUSED static void wait_end(void)
{
	(void)read_line();
}

/* ---------------------------------------------------------- connections */

/*
 * A loopback connection (struct wl_conn, the library's): listener on `port`
 * (0: one the kernel picks), connect, accept. rcvbuf > 0 sets SO_RCVBUF on the
 * listener before listen(), so the accepted socket inherits it and the window
 * scale is negotiated for it.
 */
WL_UNUSED static void conn_open_port(struct wl_conn *c, int family,
				     unsigned port, int rcvbuf)
{
	int err = wl_conn_open(c, family, NULL, port, rcvbuf);

	if (err)
		die("loopback connection on port %u: %s", port, strerror(-err));
}

WL_UNUSED static void conn_open(struct wl_conn *c, int family, int rcvbuf)
{
	conn_open_port(c, family, 0, rcvbuf);
}

WL_UNUSED static void set_nonblock(int fd, int on)
{
	int err = wl_set_nonblock(fd, on);

	if (err)
		die("fcntl: %s", strerror(-err));
}

/* --------------------------------------------------------------- sender */

enum {
	CMD_SEND = 1,		/* send n bytes of the pattern */
	CMD_CLOSE = 2,		/* orderly close (FIN) */
	CMD_EXIT = 3,
	CMD_SEND_MAYFAIL = 4,	/* send, stopping quietly if the peer is gone */
	CMD_ABORT = 5,		/* close with SO_LINGER 0: the peer gets a RST */
};

struct wl_cmd {
	int32_t conn;
	int32_t op;
	uint64_t n;
};

struct wl_sender {
	pid_t pid;
	int cmd_fd;		/* reader's end of the command pipe */
};

/* One command of the sender: n bytes of the pattern, a close or a reset. */
static void sender_do(struct wl_conn *c, const struct wl_cmd *cmd,
		      unsigned long long *off)
{
	struct wl_send_opts o = {
		.bytes = cmd->n, .pattern_off = off,
		.peer_gone_ok = cmd->op == CMD_SEND_MAYFAIL,
	};
	struct wl_send_stats st = { 0, 0, 0 };
	int err;

	if (cmd->op == CMD_CLOSE || cmd->op == CMD_ABORT) {
		err = wl_close(c->sfd, cmd->op == CMD_ABORT ? WL_CLOSE_RST : WL_CLOSE_FIN);
		c->sfd = -1;
		if (err)
			die("sender: close: %s", strerror(-err));
		return;
	}
	if (!cmd->n)
		return;
	err = wl_send(c->sfd, &o, &st);
	if (err)
		die("sender: send: %s", strerror(-err));
}

WL_UNUSED static void sender_loop(int cmd_fd, struct wl_conn *conns, int nconns)
{
	unsigned long long off[WL_MAX_CONNS] = {0};
	struct wl_cmd cmd;

	for (;;) {
		ssize_t n = read(cmd_fd, &cmd, sizeof(cmd));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(cmd))
			_exit(0);	/* the reader went away */
		if (cmd.op == CMD_EXIT)
			_exit(0);
		if (cmd.conn < 0 || cmd.conn >= nconns)
			die("sender: bad conn %d", cmd.conn);
		sender_do(&conns[cmd.conn], &cmd, &off[cmd.conn]);
	}
}

/*
 * Forks the sender. The child keeps the sending sockets, the parent keeps the
 * reading ones; each closes the other's so that ownership through /proc is
 * unambiguous.
 */
WL_UNUSED static void sender_start(struct wl_sender *s, struct wl_conn *conns, int nconns)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	pid = wl_fork("wl_sender");
	if (pid < 0)
		die("fork: %s", strerror(-pid));
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		close(p[1]);
		for (int i = 0; i < nconns; i++)
			close(conns[i].rfd);
		sender_loop(p[0], conns, nconns);
		_exit(0);
	}
	close(p[0]);
	for (int i = 0; i < nconns; i++) {
		close(conns[i].sfd);
		conns[i].sfd = -1;
	}
	s->pid = pid;
	s->cmd_fd = p[1];
}

WL_UNUSED static void sender_cmd(struct wl_sender *s, int conn, int op, uint64_t n)
{
	struct wl_cmd cmd = { .conn = conn, .op = op, .n = n };

	write_all(s->cmd_fd, &cmd, sizeof(cmd));
}

WL_UNUSED static void sender_stop(struct wl_sender *s)
{
	int status;

	sender_cmd(s, 0, CMD_EXIT, 0);
	close(s->cmd_fd);
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("sender failed (status %d)", status);
}

/* ---------------------------------------------------------------- reads */

enum wl_method {
	M_READ, M_RECV, M_RECVFROM, M_READV, M_RECVMSG, M_PREADV2, M_RECVMMSG,
	M_N
};

/* The system call each method enters, as bufscope's trace names it. */
enum wl_sc { SC_READ, SC_READV, SC_RECVFROM, SC_RECVMSG, SC_PREADV2, SC_RECVMMSG, SC_N };

WL_UNUSED static const char *const sc_names[SC_N] = {
	"read", "readv", "recvfrom", "recvmsg", "preadv2", "recvmmsg",
};

WL_UNUSED static const enum wl_sc method_sc[M_N] = {
	[M_READ] = SC_READ, [M_RECV] = SC_RECVFROM, [M_RECVFROM] = SC_RECVFROM,
	[M_READV] = SC_READV, [M_RECVMSG] = SC_RECVMSG,
	[M_PREADV2] = SC_PREADV2, [M_RECVMMSG] = SC_RECVMMSG,
};

struct wl_counts {
	unsigned long long reads, bytes, req_reads, req_bytes, full_reads;
	unsigned long long eof_reads, eagain_reads, error_reads;
	unsigned long long peek_reads, peek_bytes;
	unsigned long long max_ret;		/* largest data or peek return */
	unsigned long long nonblock_calls;	/* calls made non-blocking */
	unsigned long long sc_data[SC_N];	/* data reads per system call */
	unsigned long long sc_all[SC_N];	/* every call per system call */
	unsigned long long hist_ret[WL_HIST_SLOTS];
	unsigned long long hist_req[WL_HIST_SLOTS];
};

/* log2 slot: 0 for 0, k for [2^(k-1), 2^k), capped at the last slot. */
WL_UNUSED static unsigned hist_slot(unsigned long long v)
{
	return wl_log2_slot(v, WL_HIST_SLOTS);
}

#define WL_MAX_IOV 1024	/* IOV_MAX */
/*
 * docs/metrics.md: bufscope reads the iovec lengths of readv/preadv2/recvmsg
 * "at most 64 iovecs"; a longer array makes the requested size unknown.
 */
#define WL_REQ_MAX_IOV 64

/*
 * WL_REQ_ALL=1 in the environment: bufscope's read hook is tcp_recvmsg (the
 * fentry and kprobe tiers), whose length argument is every request's size,
 * whatever the system call or the number of iovecs.
 */
static int wl_req_all(void)
{
	static int all = -1;

	if (all < 0) {
		const char *e = getenv("WL_REQ_ALL");

		all = e && !strcmp(e, "1");
	}
	return all;
}

/* Describes one read request: its iovec lengths (one for plain reads). */
struct wl_req {
	int niov;
	size_t len[WL_MAX_IOV];
};

WL_UNUSED static size_t req_total(const struct wl_req *r)
{
	size_t t = 0;

	for (int i = 0; i < r->niov; i++)
		t += r->len[i];
	return t;
}

/*
 * Separate regions for each of up to 4 iovecs so that scattering is really
 * exercised; longer iovec arrays take consecutive slices of wl_big with a
 * one-byte gap between them.
 */
WL_UNUSED static unsigned char wl_bufs[4][70000];
WL_UNUSED static unsigned char wl_big[1 << 18];

WL_UNUSED static void verify(struct wl_conn *c, const struct iovec *iov, int niov,
			     size_t got, int advance)
{
	unsigned long long off = c->off;
	size_t left = got;

	for (int i = 0; i < niov && left; i++) {
		size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;
		long bad = wl_pattern_check(iov[i].iov_base, n, off);

		if (bad >= 0)
			die("data mismatch at stream offset %llu", off + (unsigned long long)bad);
		off += n;
		left -= n;
	}
	if (advance)
		c->off = off;
}

/*
 * One read call of the given method. flags are added to the recv* calls
 * (MSG_PEEK, MSG_DONTWAIT); for read/readv/preadv2 the caller sets O_NONBLOCK.
 * Counts it in *k exactly as bufscope's contract defines the counters and
 * returns the call's result (-errno on failure).
 */
WL_UNUSED static long wl_read(struct wl_conn *c, struct wl_counts *k, enum wl_method m,
		    const struct wl_req *r, int flags, int nonblock_fd)
{
	struct iovec iov[WL_MAX_IOV];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct msghdr msg;
	struct mmsghdr mm;
	size_t req = req_total(r);
	int req_known = wl_req_all() || (m != M_RECVMMSG && r->niov <= WL_REQ_MAX_IOV);
	int peek = (flags & MSG_PEEK) != 0;
	long ret;

	if (r->niov < 1 || r->niov > WL_MAX_IOV)
		die("bad iovec count %d", r->niov);
	for (int i = 0, at = 0; i < r->niov; i++) {
		if (r->niov <= 4) {
			if (r->len[i] > sizeof(wl_bufs[i]))
				die("request too large");
			iov[i].iov_base = wl_bufs[i];
		} else {
			if (at + r->len[i] + 1 > sizeof(wl_big))
				die("request too large");
			iov[i].iov_base = wl_big + at;
			at += (int)r->len[i] + 1;
		}
		iov[i].iov_len = r->len[i];
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)r->niov;
	if ((m == M_READ || m == M_RECV || m == M_RECVFROM) && r->niov != 1)
		die("plain read with %d iovecs", r->niov);
	if (peek && (m == M_READ || m == M_READV || m == M_PREADV2))
		die("peek needs a recv* method");

	switch (m) {
	case M_READ:
		ret = read(c->rfd, wl_bufs[0], r->len[0]);
		break;
	case M_RECV:
		ret = recv(c->rfd, wl_bufs[0], r->len[0], flags);
		break;
	case M_RECVFROM:
		ret = recvfrom(c->rfd, wl_bufs[0], r->len[0], flags,
			       (struct sockaddr *)&from, &fromlen);
		break;
	case M_READV:
		ret = readv(c->rfd, iov, r->niov);
		break;
	case M_RECVMSG:
		ret = recvmsg(c->rfd, &msg, flags);
		break;
	case M_PREADV2:
		ret = preadv2(c->rfd, iov, r->niov, -1, 0);
		break;
	case M_RECVMMSG:
		memset(&mm, 0, sizeof(mm));
		mm.msg_hdr = msg;
		ret = recvmmsg(c->rfd, &mm, 1, flags, NULL);
		if (ret == 1)
			ret = mm.msg_len;
		else if (ret == 0)
			die("recvmmsg returned 0 messages");
		break;
	default:
		die("bad method");
	}
	if (ret < 0)
		ret = -errno;

	k->sc_all[method_sc[m]]++;
	if (nonblock_fd || (flags & MSG_DONTWAIT))
		k->nonblock_calls++;
	if (ret < 0) {
		if (ret == -EAGAIN || ret == -EWOULDBLOCK)
			k->eagain_reads++;
		else
			k->error_reads++;
		return ret;
	}
	if (ret == 0) {
		k->eof_reads++;
		return ret;
	}
	if ((unsigned long long)ret > k->max_ret)
		k->max_ret = (unsigned long long)ret;
	if (peek) {
		verify(c, iov, r->niov, (size_t)ret, 0);
		k->peek_reads++;
		k->peek_bytes += (unsigned long long)ret;
		return ret;
	}
	verify(c, iov, r->niov, (size_t)ret, 1);
	k->reads++;
	k->bytes += (unsigned long long)ret;
	k->sc_data[method_sc[m]]++;
	k->hist_ret[hist_slot((unsigned long long)ret)]++;
	if (req_known) {
		k->req_reads++;
		k->req_bytes += req;
		k->hist_req[hist_slot(req)]++;
		if ((size_t)ret == req)
			k->full_reads++;
	}
	return ret;
}

WL_UNUSED static struct wl_req plain_req(size_t n)
{
	struct wl_req r = { .niov = 1, .len = { n } };

	return r;
}

/* ------------------------------------------------------------------ JSON */

WL_UNUSED static void print_hist(FILE *f, const char *name, const unsigned long long *h)
{
	int first = 1;

	fprintf(f, "\"%s\":[", name);
	for (unsigned s = 0; s < WL_HIST_SLOTS; s++) {
		unsigned long long lo, hi;

		if (!h[s])
			continue;
		lo = s ? 1ULL << (s - 1) : 0;
		hi = s ? 1ULL << s : 1;
		fprintf(f, "%s[%llu,%llu,%llu]", first ? "" : ",", lo, hi, h[s]);
		first = 0;
	}
	fputc(']', f);
}

WL_UNUSED static void print_counts(FILE *f, const struct wl_counts *k)
{
	fprintf(f,
		"\"reads\":%llu,\"bytes\":%llu,\"req_reads\":%llu,\"req_bytes\":%llu,"
		"\"full_reads\":%llu,\"eof_reads\":%llu,\"eagain_reads\":%llu,"
		"\"error_reads\":%llu,\"peek_reads\":%llu,\"peek_bytes\":%llu,"
		"\"max_ret\":%llu,\"nonblock_calls\":%llu,",
		k->reads, k->bytes, k->req_reads, k->req_bytes, k->full_reads,
		k->eof_reads, k->eagain_reads, k->error_reads, k->peek_reads,
		k->peek_bytes, k->max_ret, k->nonblock_calls);
	fputs("\"sc_data\":{", f);
	for (int i = 0; i < SC_N; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", sc_names[i], k->sc_data[i]);
	fputs("},\"sc_all\":{", f);
	for (int i = 0; i < SC_N; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", sc_names[i], k->sc_all[i]);
	fputs("},\"hist\":{", f);
	print_hist(f, "read_bytes", k->hist_ret);
	fputc(',', f);
	print_hist(f, "req_bytes", k->hist_req);
	fputc('}', f);
}

/* The comm exactly as the kernel holds it, JSON-escaped. */
WL_UNUSED static void print_comm(FILE *f)
{
	char comm[17] = "";

	prctl(PR_GET_NAME, comm);
	fputs("\"comm\":\"", f);
	for (const unsigned char *p = (const unsigned char *)comm; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

WL_UNUSED static const char *family_name(int family)
{
	return family == AF_INET ? "ipv4" : "ipv6";
}

WL_UNUSED static void print_ready(const struct wl_sender *s, const struct wl_conn *conns,
			int nconns)
{
	printf("{\"ready\":true,\"pid\":%d,\"sender_pid\":%d,", (int)getpid(),
	       s ? (int)s->pid : 0);
	print_comm(stdout);
	printf(",\"conns\":[");
	for (int i = 0; i < nconns; i++)
		printf("%s{\"family\":\"%s\",\"lport\":%u,\"rport\":%u}", i ? "," : "",
		       family_name(conns[i].family), conns[i].lport, conns[i].rport);
	printf("]");
	/* the first connection's ports, as the brief's one-connection form */
	if (nconns)
		printf(",\"lport\":%u,\"rport\":%u", conns[0].lport, conns[0].rport);
	printf("}\n");
	fflush(stdout);
}

WL_UNUSED static void print_done(const struct wl_sender *s, const struct wl_conn *conns,
		       const struct wl_counts *k, const unsigned long long *sent,
		       int nconns)
{
	printf("{\"done\":true,\"pid\":%d,\"sender_pid\":%d,", (int)getpid(),
	       s ? (int)s->pid : 0);
	print_comm(stdout);
	printf(",\"conns\":[");
	for (int i = 0; i < nconns; i++) {
		printf("%s{\"family\":\"%s\",\"lport\":%u,\"rport\":%u,\"sent\":%llu,",
		       i ? "," : "", family_name(conns[i].family), conns[i].lport,
		       conns[i].rport, sent[i]);
		print_counts(stdout, &k[i]);
		printf("}");
	}
	printf("]}\n");
	fflush(stdout);
}

#endif /* WL_COMMON_H */
