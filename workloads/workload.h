/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workload library: loopback (or any address) TCP connections, a sender
 * and a reader with buffer sizes, pacing and stalls. Linked by `bufscope demo`,
 * the integration tests' workloads (tests/integration/workloads/) and the
 * benchmark's load generators (bench/); `validate` is to use it too.
 *
 * Rules that hold for every function here:
 *  - an int result is >= 0 on success and a negative errno on failure; nothing
 *    here prints or exits (the caller decides what a failure means);
 *  - no global state: each call works on what it is given, so two senders or
 *    readers can run in one process (in threads or one after the other);
 *  - counts (struct wl_send_stats, struct wl_read_stats) accumulate over calls:
 *    zero them once, then call again to continue a stream.
 */
#ifndef BUFSCOPE_WORKLOAD_H
#define BUFSCOPE_WORKLOAD_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* ------------------------------------------------------------ utilities */

unsigned long long wl_mono_ns(void);	/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns() */
unsigned long long wl_real_ns(void);	/* CLOCK_REALTIME */
void wl_sleep_ns(unsigned long long ns);	/* the whole time, signals or not */
void wl_sleep_until(unsigned long long mono_ns);

/* A decimal unsigned number, the whole string; -EINVAL or -ERANGE. */
int wl_parse_u64(const char *s, unsigned long long *out);

/* write() until all of buf is written (EINTR retried). */
int wl_write_all(int fd, const void *buf, size_t len);

/*
 * fork() for a workload's helper process: output flushed first, the child
 * named comm (NULL: unchanged) and killed when its parent dies. Returns the
 * child's pid in the parent, 0 in the child, -errno.
 */
pid_t wl_fork(const char *comm);

/*
 * The log2 slot of v: 0 for 0, k for [2^(k-1), 2^k), the last slot
 * (nslots - 1) for everything above. The workloads' own bucketing, kept apart
 * from include/bufscope/log2.h so that tests compare two computations.
 */
unsigned wl_log2_slot(unsigned long long v, unsigned nslots);

/* ---------------------------------------------------------------- sockets */

/*
 * A listening TCP socket on addr (numeric; NULL: the loopback address of
 * family) and port (0: one the kernel picks). rcvbuf > 0 sets SO_RCVBUF before
 * listen(), so accepted sockets inherit it and the window scale is chosen for
 * it. SO_REUSEADDR is on. bound (may be NULL) gets the port it is bound to.
 * Returns the socket or -errno.
 */
int wl_listen(int family, const char *addr, unsigned port, int rcvbuf, int backlog,
	      unsigned *bound);

/* A connected TCP socket to addr (NULL: loopback) and port, with SO_RCVBUF
 * set before connect() when rcvbuf > 0; the socket or -errno. */
int wl_connect(int family, const char *addr, unsigned port, int rcvbuf);

/* The local (peer = 0) or remote (peer = 1) port of a socket, or -errno. */
int wl_port(int fd, int peer);

/* One connection inside this process: rfd reads, sfd sends. */
struct wl_conn {
	int family;
	int rfd;		/* the accepted socket (the reader's) */
	int sfd;		/* the connecting socket (the sender's) */
	unsigned lport;		/* the reader socket's local port */
	unsigned rport;		/* the reader socket's remote port */
	unsigned long long off;	/* stream offset the reader has reached */
};

/*
 * Listener (as wl_listen), connect, accept, listener closed. On failure every
 * socket is closed and c's descriptors are -1. -EADDRNOTAVAIL when a given
 * port did not end up as the reader's local port.
 */
int wl_conn_open(struct wl_conn *c, int family, const char *addr, unsigned port,
		 int rcvbuf);

int wl_inq(int fd);			/* FIONREAD: bytes queued to read, or -errno */
int wl_rcvbuf(int fd);			/* SO_RCVBUF as the kernel reports it, or -errno */
int wl_set_rcvbuf(int fd, int bytes);
int wl_set_nonblock(int fd, int on);

enum wl_close_how {
	WL_CLOSE_FIN,		/* close(): an orderly FIN (a RST if data is unread) */
	WL_CLOSE_RST,		/* SO_LINGER 0, then close(): the peer gets a RST */
	WL_SHUT_WR,		/* shutdown(SHUT_WR): FIN, the socket stays open */
};
int wl_close(int fd, enum wl_close_how how);

/* ------------------------------------------------------------ the stream */

/*
 * The test stream: the byte at stream offset p is p % WL_PATTERN (a prime, so
 * no read size lines up with it). wl_pattern_check returns the index of the
 * first byte that differs, or -1.
 */
#define WL_PATTERN 251
void wl_pattern_fill(void *buf, size_t len, unsigned long long off);
long wl_pattern_check(const void *buf, size_t len, unsigned long long off);

/* ---------------------------------------------------------------- sender */

struct wl_send_opts {
	unsigned long long bytes;	/* send exactly this many; 0: no limit */
	unsigned long long duration_ns;	/* stop after this long; 0: no limit */
	size_t chunk;			/* bytes per send(); 0: 64 KiB */
	unsigned long long rate;	/* at most this many bytes/s; 0: as TCP takes them */
	unsigned long long pause_every;	/* after each pause_every bytes ... */
	unsigned long long pause_ns;	/* ... stop sending this long */
	unsigned long long *pattern_off; /* the test stream from here (advanced); NULL: 'x' */
	int peer_gone_ok;		/* EPIPE/ECONNRESET end the run with 0, peer_gone set */
	const volatile sig_atomic_t *stop; /* ends the run when it becomes non-zero */
};

struct wl_send_stats {
	unsigned long long bytes, sends;
	int peer_gone;			/* the peer closed or reset: the run ended early */
};

/*
 * Sends with send(MSG_NOSIGNAL) until a limit (bytes, duration, *stop) or, with
 * no limit, until the peer goes. Returns 0 or -errno (with st counting what
 * was sent before the failure).
 */
int wl_send(int fd, const struct wl_send_opts *o, struct wl_send_stats *st);

/* ---------------------------------------------------------------- reader */

/* One read, as the reader's callback sees it. */
struct wl_read_info {
	unsigned long long index;	/* 0 for the run's first read */
	size_t req;			/* the size asked for (the app's `buf`) */
	long ret;			/* bytes returned; 0 at EOF */
	int inq;			/* FIONREAD just before the read; -1: not measured */
	unsigned long long t_ns;	/* when the read was entered (monotonic) */
	unsigned long long gap_ns;	/* since the previous read was entered; 0 for the first */
};

/*
 * Called after each read that returned data or EOF. 0 continues; a positive
 * value ends the run with success, a negative one with that error.
 */
typedef int (*wl_read_cb)(void *ctx, const struct wl_read_info *r);

struct wl_read_opts {
	const size_t *sizes;		/* requested sizes, used in turn ... */
	unsigned nsizes;		/* ... (1 for a fixed buffer); required */
	unsigned long long bytes;	/* read exactly this many (never asking for
					   more than is left); 0: until EOF */
	unsigned long long reads;	/* stop after this many reads; 0: no limit */
	unsigned long long duration_ns;	/* stop after this long; 0: no limit */
	unsigned long long rate;	/* at most this many reads/s; 0: no pacing */
	unsigned long long pause_ns;	/* sleep after each read */
	unsigned long long stall_every;	/* after each stall_every bytes read ... */
	unsigned long long stall_ns;	/* ... stop reading this long */
	int measure_inq;		/* FIONREAD before each read (wl_read_info.inq) */
	unsigned long long *verify_off;	/* check the test stream from here (advanced) */
	wl_read_cb on_read;		/* per-read callback (times each read) */
	void *ctx;
	void *buf;			/* where to read; NULL: allocated for the run */
	size_t buf_size;		/* its size: at least the largest of sizes */
};

struct wl_read_stats {
	unsigned long long reads, bytes;	/* reads that returned data, and their bytes */
	unsigned long long short_reads;		/* ... of which returned less than asked */
	int eof;				/* the stream ended */
};

/*
 * Reads from fd with read() (blocking) until bytes, reads, duration_ns, EOF or
 * the callback ends it. Returns 0, or -errno: the read's error, -ENODATA when the stream ends
 * before `bytes`, -EILSEQ when verify_off finds a byte out of the pattern
 * (*verify_off is then the offset of that byte).
 */
int wl_read_run(int fd, const struct wl_read_opts *o, struct wl_read_stats *st);

#endif /* BUFSCOPE_WORKLOAD_H */
