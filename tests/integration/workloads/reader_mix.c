// SPDX-License-Identifier: GPL-2.0
/*
 * reader_mix: one loopback connection; a forked sender sends --bytes bytes in
 * two phases; the reader drains them cycling through read, recv, recvfrom,
 * readv and recvmsg (1-4 iovecs of differing lengths) with many buffer sizes,
 * with MSG_PEEK reads in between, bursts of non-blocking reads on the empty
 * queue (EAGAIN) before and between the phases, and three reads at EOF.
 *
 *   reader_mix [--ipv6] [--bytes N] [--comm NAME] [--extra] [--many-iov N]
 *
 * --extra adds preadv2 (size known) and recvmmsg (size unknown to bufscope).
 * --many-iov N adds a third phase of N bytes read with readv and recvmsg
 * using long iovec arrays (64, 65, 100, 1024 entries).
 */
#include "wl_common.h"

static const size_t plain_sizes[] = { 100, 512, 1000, 4096, 65536, 1, 7, 1500 };
static const struct wl_req iov_sets[] = {
	{ 1, { 100 } },
	{ 2, { 512, 100 } },
	{ 3, { 1000, 7, 4096 } },
	{ 4, { 65536, 1, 2, 3 } },
	{ 4, { 3, 5, 9, 2000 } },
	{ 2, { 16384, 16384 } },
};
#define NPLAIN (sizeof(plain_sizes) / sizeof(plain_sizes[0]))
#define NIOV (sizeof(iov_sets) / sizeof(iov_sets[0]))

static enum wl_method methods[M_N];
static int nmethods;
static unsigned long iter;

static int is_plain(enum wl_method m)
{
	return m == M_READ || m == M_RECV || m == M_RECVFROM;
}

static void expect(long got, long want, const char *what)
{
	if (got != want)
		die("%s: got %ld, want %ld", what, got, want);
}

/* Non-blocking reads on a queue known to be empty: each must fail EAGAIN. */
static void eagain_burst(struct wl_conn *c, struct wl_counts *k, int extra)
{
	struct wl_req two = { 2, { 100, 200 } };

	expect(wl_read(c, k, M_RECV, &(struct wl_req){ 1, { 1000 } }, MSG_DONTWAIT, 0),
	       -EAGAIN, "recv DONTWAIT");
	expect(wl_read(c, k, M_RECVFROM, &(struct wl_req){ 1, { 512 } }, MSG_DONTWAIT, 0),
	       -EAGAIN, "recvfrom DONTWAIT");
	expect(wl_read(c, k, M_RECVMSG, &two, MSG_DONTWAIT, 0), -EAGAIN,
	       "recvmsg DONTWAIT");
	set_nonblock(c->rfd, 1);
	expect(wl_read(c, k, M_READ, &(struct wl_req){ 1, { 4096 } }, 0, 1), -EAGAIN,
	       "nonblocking read");
	expect(wl_read(c, k, M_READV, &two, 0, 1), -EAGAIN, "nonblocking readv");
	if (extra)
		expect(wl_read(c, k, M_PREADV2, &two, 0, 1), -EAGAIN,
		       "nonblocking preadv2");
	set_nonblock(c->rfd, 0);
	if (extra)
		expect(wl_read(c, k, M_RECVMMSG, &two, MSG_DONTWAIT, 0), -EAGAIN,
		       "recvmmsg DONTWAIT");
}

/* Reads exactly `target` bytes (the sender sends no more until told). */
static void drain(struct wl_conn *c, struct wl_counts *k, unsigned long long target)
{
	unsigned long long got = 0;

	while (got < target) {
		enum wl_method m = methods[iter % (unsigned)nmethods];
		unsigned long round = iter / (unsigned)nmethods;
		struct wl_req r;
		long ret;

		if (iter % 7 == 3) {
			/* A peek: blocks until data is there, drains nothing. */
			struct wl_req pr = (iter / 7) % 2 ? plain_req(300)
				: (struct wl_req){ 2, { 200, 150 } };

			ret = wl_read(c, k, (iter / 7) % 2 ? M_RECV : M_RECVMSG, &pr,
				      MSG_PEEK, 0);
			if (ret <= 0)
				die("peek returned %ld", ret);
		}
		if (is_plain(m))
			r = plain_req(plain_sizes[round % NPLAIN]);
		else
			r = iov_sets[round % NIOV];
		ret = wl_read(c, k, m, &r, 0, 0);
		if (ret <= 0)
			die("read method %d returned %ld at %llu/%llu", m, ret, got,
			    target);
		got += (unsigned long long)ret;
		iter++;
	}
	if (got != target)
		die("drained %llu, wanted %llu", got, target);
}

/* Reads exactly `target` bytes with readv/recvmsg and long iovec arrays. */
static void drain_many_iov(struct wl_conn *c, struct wl_counts *k,
			   unsigned long long target)
{
	static const int counts[] = { 64, 65, 100, 1024 };
	static struct wl_req r;
	unsigned long long got = 0;

	for (unsigned long i = 0; got < target; i++) {
		long ret;

		r.niov = counts[i % 4];
		for (int j = 0; j < r.niov; j++)
			r.len[j] = 1 + (size_t)((j * 37 + i) % 97);
		ret = wl_read(c, k, (i / 4) % 2 ? M_RECVMSG : M_READV, &r, 0, 0);
		if (ret <= 0)
			die("many-iov read returned %ld", ret);
		got += (unsigned long long)ret;
	}
}

int main(int argc, char **argv)
{
	unsigned long long total = 3000000, p1, many = 0;
	struct wl_counts k;
	struct wl_sender s;
	struct wl_conn c;
	int family = AF_INET, extra = 0;

	wl_prog = "reader_mix";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ipv6"))
			family = AF_INET6;
		else if (!strcmp(argv[i], "--extra"))
			extra = 1;
		else if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
			total = parse_num(argv[++i], "--bytes");
		else if (!strcmp(argv[i], "--comm") && i + 1 < argc)
			prctl(PR_SET_NAME, argv[++i]);
		else if (!strcmp(argv[i], "--many-iov") && i + 1 < argc)
			many = parse_num(argv[++i], "--many-iov");
		else
			die("usage: reader_mix [--ipv6] [--bytes N] [--comm NAME] [--extra] "
			    "[--many-iov N]");
	}
	if (total < 2)
		die("--bytes must be at least 2");
	methods[nmethods++] = M_READ;
	methods[nmethods++] = M_RECV;
	methods[nmethods++] = M_RECVFROM;
	methods[nmethods++] = M_READV;
	methods[nmethods++] = M_RECVMSG;
	if (extra) {
		methods[nmethods++] = M_PREADV2;
		methods[nmethods++] = M_RECVMMSG;
	}
	memset(&k, 0, sizeof(k));
	signal(SIGPIPE, SIG_IGN);

	conn_open(&c, family, 0);
	sender_start(&s, &c, 1);
	print_ready(&s, &c, 1);
	wait_go();

	p1 = total / 2;
	eagain_burst(&c, &k, extra);
	sender_cmd(&s, 0, CMD_SEND, p1);
	drain(&c, &k, p1);
	eagain_burst(&c, &k, extra);
	sender_cmd(&s, 0, CMD_SEND, total - p1);
	drain(&c, &k, total - p1);
	if (many) {
		sender_cmd(&s, 0, CMD_SEND, many);
		drain_many_iov(&c, &k, many);
		total += many;
	}
	sender_cmd(&s, 0, CMD_CLOSE, 0);

	/* End of stream: the first read blocks until the FIN, then all return 0. */
	expect(wl_read(&c, &k, M_READ, &(struct wl_req){ 1, { 4096 } }, 0, 0), 0,
	       "read at EOF");
	expect(wl_read(&c, &k, M_RECV, &(struct wl_req){ 1, { 100 } }, 0, 0), 0,
	       "recv at EOF");
	expect(wl_read(&c, &k, M_RECVMSG, &iov_sets[2], 0, 0), 0, "recvmsg at EOF");
	if (extra)
		expect(wl_read(&c, &k, M_PREADV2, &iov_sets[1], 0, 0), 0,
		       "preadv2 at EOF");

	if (c.off != total || k.bytes != total)
		die("read %llu bytes, sender sent %llu", k.bytes, total);
	print_done(&s, &c, &k, &total, 1);
	wait_end();
	sender_stop(&s);
	return 0;
}
