// SPDX-License-Identifier: GPL-2.0
/*
 * closer: two loopback connections whose reading sockets are closed while the
 * process keeps running:
 *   conn 0: the sender sends --bytes0 (default 200000) and closes; the reader
 *           reads to the end (the EOF read counted), then closes: an orderly
 *           close (CLOSE_WAIT -> LAST_ACK -> destroyed);
 *   conn 1: the sender sends --bytes1 (default 300000); the reader reads
 *           exactly --read1 (default 100000), waits until more is queued and
 *           closes with unread data: an abortive close (RST, destroyed at once).
 *   conn 2: the sender sends --bytes2 (default 50000); the reader reads all of
 *           it, then the sender resets the connection (SO_LINGER 0); the
 *           reader's next read fails with ECONNRESET (an error read), the one
 *           after that is counted as whatever it returns; then it closes.
 * Then it reports its counts and stays alive until stdin reaches EOF or gets
 * another line.
 *
 *   closer [--bytes0 N] [--bytes1 N] [--read1 N] [--bytes2 N] [--comm NAME]
 */
#include "wl_common.h"

static const enum wl_method cycle_m[] = { M_READ, M_RECV, M_READV, M_RECVMSG, M_RECVFROM };
static const struct wl_req cycle_r[] = {
	{ 1, { 1000 } }, { 1, { 4096 } }, { 3, { 700, 300, 2000 } },
	{ 2, { 8192, 100 } }, { 1, { 65536 } }, { 1, { 333 } },
};

static struct wl_req pick(unsigned long i, enum wl_method *m)
{
	*m = cycle_m[i % 5];
	if (*m == M_READ || *m == M_RECV || *m == M_RECVFROM) {
		size_t n = cycle_r[(i / 5) % 6].len[0];

		if (cycle_r[(i / 5) % 6].niov != 1)
			n = 512 + i % 3;
		return plain_req(n);
	}
	if (cycle_r[(i / 5) % 6].niov == 1)
		return (struct wl_req){ 2, { 1200, 34 } };
	return cycle_r[(i / 5) % 6];
}

int main(int argc, char **argv)
{
	unsigned long long bytes0 = 200000, bytes1 = 300000, read1 = 100000;
	unsigned long long bytes2 = 50000;
	unsigned long long sent[3];
	struct wl_counts k[3];
	struct wl_sender s;
	struct wl_conn c[3];
	unsigned long i = 0;
	long ret;
	int inq = 0;

	wl_prog = "closer";
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--bytes0") && a + 1 < argc)
			bytes0 = parse_num(argv[++a], "--bytes0");
		else if (!strcmp(argv[a], "--bytes1") && a + 1 < argc)
			bytes1 = parse_num(argv[++a], "--bytes1");
		else if (!strcmp(argv[a], "--read1") && a + 1 < argc)
			read1 = parse_num(argv[++a], "--read1");
		else if (!strcmp(argv[a], "--bytes2") && a + 1 < argc)
			bytes2 = parse_num(argv[++a], "--bytes2");
		else if (!strcmp(argv[a], "--comm") && a + 1 < argc)
			prctl(PR_SET_NAME, argv[++a]);
		else
			die("usage: closer [--bytes0 N] [--bytes1 N] [--read1 N] [--bytes2 N] "
			    "[--comm NAME]");
	}
	if (read1 >= bytes1)
		die("--read1 must be less than --bytes1");
	memset(k, 0, sizeof(k));
	signal(SIGPIPE, SIG_IGN);
	conn_open(&c[0], AF_INET, 0);
	conn_open(&c[1], AF_INET, 0);
	conn_open(&c[2], AF_INET, 0);
	sender_start(&s, c, 3);
	print_ready(&s, c, 3);
	wait_go();

	/* conn 0: read to the end, then an orderly close. */
	sender_cmd(&s, 0, CMD_SEND, bytes0);
	sender_cmd(&s, 0, CMD_CLOSE, 0);
	do {
		enum wl_method m;
		struct wl_req r = pick(i++, &m);

		ret = wl_read(&c[0], &k[0], m, &r, 0, 0);
		if (ret < 0)
			die("conn 0: read failed: %s", strerror((int)-ret));
	} while (ret > 0);
	if (k[0].bytes != bytes0)
		die("conn 0: read %llu of %llu", k[0].bytes, bytes0);
	close(c[0].rfd);
	sent[0] = bytes0;

	/* conn 1: read exactly read1 bytes, then close with data unread. */
	sender_cmd(&s, 1, CMD_SEND_MAYFAIL, bytes1);
	while (k[1].bytes < read1) {
		enum wl_method m;
		struct wl_req r = pick(i++, &m);
		unsigned long long left = read1 - k[1].bytes;

		/* never ask for more than is left to read */
		if (req_total(&r) > left)
			r = plain_req((size_t)left), m = M_READ;
		ret = wl_read(&c[1], &k[1], m, &r, 0, 0);
		if (ret <= 0)
			die("conn 1: read returned %ld", ret);
	}
	for (int t = 0; t < 1000 && inq <= 0; t++) {
		inq = wl_inq(c[1].rfd);
		if (inq < 0)
			die("SIOCINQ: %s", strerror(-inq));
		if (inq == 0)
			wl_sleep_ns(5 * 1000 * 1000);
	}
	if (inq <= 0)
		die("conn 1: nothing left unread before close");
	close(c[1].rfd);
	sent[1] = bytes1;

	/* conn 2: read everything, then the peer resets the connection. */
	sender_cmd(&s, 2, CMD_SEND, bytes2);
	while (k[2].bytes < bytes2) {
		enum wl_method m;
		struct wl_req r = pick(i++, &m);

		ret = wl_read(&c[2], &k[2], m, &r, 0, 0);
		if (ret <= 0)
			die("conn 2: read returned %ld", ret);
	}
	if (k[2].bytes != bytes2)
		die("conn 2: read %llu of %llu", k[2].bytes, bytes2);
	sender_cmd(&s, 2, CMD_ABORT, 0);
	ret = wl_read(&c[2], &k[2], M_READ, &(struct wl_req){ 1, { 4096 } }, 0, 0);
	if (ret != -ECONNRESET)
		die("conn 2: read after the reset returned %ld, want -ECONNRESET", ret);
	(void)wl_read(&c[2], &k[2], M_RECV, &(struct wl_req){ 1, { 100 } }, 0, 0);
	close(c[2].rfd);
	sent[2] = bytes2;

	print_done(&s, c, k, sent, 3);
	wait_end();
	sender_stop(&s);
	return 0;
}
