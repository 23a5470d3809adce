// SPDX-License-Identifier: GPL-2.0
/*
 * stalled: a forked sender sends --bytes bytes (default 100000) over one
 * loopback connection whose receiving socket has SO_RCVBUF --rcvbuf (default
 * 1 MiB, so all of it fits); the receiving process never reads. It reports
 * once the whole amount is queued (SIOCINQ) and stays alive, the queue
 * static, until stdin reaches EOF. A line on stdin before that closes the
 * receiving socket, its data unread (so a RST is sent), and prints
 * {"closed":true}; the process then waits for EOF.
 *
 * --fin: the sender closes its side after sending; the report waits until
 * the receiving socket is in CLOSE_WAIT (the FIN arrived, still unread).
 *
 *   stalled [--ipv6] [--fin] [--bytes N] [--rcvbuf N] [--comm NAME]
 */
#include "wl_common.h"

int main(int argc, char **argv)
{
	unsigned long long bytes = 100000, rcvbuf = 1 << 20;
	struct wl_counts k;
	struct wl_sender s;
	struct wl_conn c;
	int family = AF_INET, inq = -1, fin = 0, state = -1;

	wl_prog = "stalled";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ipv6"))
			family = AF_INET6;
		else if (!strcmp(argv[i], "--fin"))
			fin = 1;
		else if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
			bytes = parse_num(argv[++i], "--bytes");
		else if (!strcmp(argv[i], "--rcvbuf") && i + 1 < argc)
			rcvbuf = parse_num(argv[++i], "--rcvbuf");
		else if (!strcmp(argv[i], "--comm") && i + 1 < argc)
			prctl(PR_SET_NAME, argv[++i]);
		else
			die("usage: stalled [--ipv6] [--fin] [--bytes N] [--rcvbuf N] [--comm NAME]");
	}
	memset(&k, 0, sizeof(k));
	conn_open(&c, family, (int)rcvbuf);
	sender_start(&s, &c, 1);
	print_ready(&s, &c, 1);
	wait_go();

	sender_cmd(&s, 0, CMD_SEND, bytes);
	if (fin)
		sender_cmd(&s, 0, CMD_CLOSE, 0);
	/* Wait (up to 10 s) until everything sits in the receive queue. */
	for (int i = 0; i < 1000; i++) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		inq = wl_inq(c.rfd);
		if (inq < 0)
			die("SIOCINQ: %s", strerror(-inq));
		if (getsockopt(c.rfd, IPPROTO_TCP, TCP_INFO, &ti, &len))
			die("TCP_INFO: %s", strerror(errno));
		state = ti.tcpi_state;
		if ((unsigned long long)inq == bytes &&
		    state == (fin ? TCP_CLOSE_WAIT : TCP_ESTABLISHED))
			break;
		wl_sleep_ns(10 * 1000 * 1000);
	}
	if ((unsigned long long)inq != bytes)
		die("only %d of %llu bytes queued (rcvbuf too small?)", inq, bytes);
	if (state != (fin ? TCP_CLOSE_WAIT : TCP_ESTABLISHED))
		die("receiving socket in TCP state %d", state);
	print_done(&s, &c, &k, &bytes, 1);
	if (read_line()) {
		close(c.rfd);
		printf("{\"closed\":true,\"pid\":%d}\n", (int)getpid());
		fflush(stdout);
		wait_end();
	}
	sender_stop(&s);
	return 0;
}
