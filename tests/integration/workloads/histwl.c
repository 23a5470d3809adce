// SPDX-License-Identifier: GPL-2.0
/*
 * histwl: the ground truth for `bufscope hist`. One loopback connection whose
 * arrivals the reader controls: before each read the forked sender sends a
 * known amount (a fixed cycle of sizes), and the reader waits until FIONREAD
 * shows all of it queued, so the queue depth before every read is known.
 * The reader asks for 1 KiB, 4 KiB, 64 KiB in turn (read(), one buffer), and
 * measures FIONREAD just before each read and the time between reads.
 *
 *   histwl [--ipv6] [--reads N] [--port P] [--rcvbuf N] [--comm NAME]
 *
 * --reads N (default 300): data reads after go; each requested size gets N/3
 *   of them (rounded as the cycle falls). There is no EOF read: the sender
 *   closes only after done.
 * --rcvbuf N (default 1 MiB): SO_RCVBUF on the listener, so that what is
 *   queued (at most about 170 KB) never closes the window.
 *
 * The done line (one JSON object) holds the workload's own counts:
 *   reads, bytes, sent; left_queued, what stays unread in the queue after
 *   the last read (sent = bytes + left_queued); req_bytes, the sum of the
 *   requested sizes;
 *   not_min_reads, reads that returned other than min(requested, queue)
 *   (0 when arrivals were controlled as intended);
 *   hist: log2 histograms as [lo, hi, count] triples of the non-empty slots
 *   (slot 0 holds 0: [0, 1); slot k holds [2^(k-1), 2^k) = [lo, hi); the
 *   last, WL_HIST_SLOTS - 1 = 31, also everything above):
 *     req_bytes    the size each read asked for,
 *     ret_bytes    the size each read returned,
 *     queue_bytes  FIONREAD just before each read,
 *     gap_ns       from the previous read's entry to this one's (not for the
 *                  first read; so reads - 1 values), nanoseconds.
 * The bucketing is the workload library's wl_log2_slot(), written apart from
 * include/bufscope/log2.h, so a test compares two computations.
 */
#include "wl_common.h"

#define HIST_SLOTS WL_HIST_SLOTS
#define WAIT_POLL_NS (50 * 1000ULL)
#define WAIT_MAX_NS (10 * 1000 * 1000 * 1000ULL)

static const size_t req_sizes[] = { 1024, 4096, 65536 };
/*
 * What arrives before each read. Nine sizes against three requests: every
 * request meets several queue depths, full and partial reads happen, and the
 * nine arrive (136,813 bytes) in less than nine reads can take (211,968), so
 * the queue stays bounded and never empty before a read.
 */
static const unsigned long long arrivals[] = {
	1024, 3000, 70000, 500, 8192, 30000, 1, 4096, 20000,
};
#define NARRIVALS (sizeof(arrivals) / sizeof(arrivals[0]))

struct truth {
	struct wl_sender *s;
	struct wl_conn *c;
	unsigned long long nreads, sent, req_bytes, not_min;
	unsigned long long queued;	/* what should be queued before the next read */
	unsigned long long req[HIST_SLOTS], ret[HIST_SLOTS];
	unsigned long long queue[HIST_SLOTS], gap[HIST_SLOTS];
};

/* Sends the i-th arrival and waits until FIONREAD shows it all queued. */
static void arrive(struct truth *t, unsigned long long i)
{
	unsigned long long n = arrivals[i % NARRIVALS], waited = 0;
	int q;

	sender_cmd(t->s, 0, CMD_SEND, n);
	t->sent += n;
	t->queued += n;
	for (;;) {
		q = wl_inq(t->c->rfd);
		if (q < 0)
			die("FIONREAD: %s", strerror(-q));
		if ((unsigned long long)q == t->queued)
			return;
		if ((unsigned long long)q > t->queued || waited >= WAIT_MAX_NS)
			die("queue %d before read %llu, expected %llu", q, i, t->queued);
		wl_sleep_ns(WAIT_POLL_NS);
		waited += WAIT_POLL_NS;
	}
}

static int on_read(void *ctx, const struct wl_read_info *r)
{
	struct truth *t = ctx;
	unsigned long long want;

	if (r->ret <= 0)
		die("read %llu returned %ld", r->index, r->ret);
	want = r->req < (size_t)r->inq ? r->req : (unsigned long long)r->inq;
	if ((unsigned long long)r->ret != want)
		t->not_min++;
	t->req_bytes += r->req;
	t->req[wl_log2_slot(r->req, HIST_SLOTS)]++;
	t->ret[wl_log2_slot((unsigned long long)r->ret, HIST_SLOTS)]++;
	t->queue[wl_log2_slot((unsigned long long)r->inq, HIST_SLOTS)]++;
	if (r->index)
		t->gap[wl_log2_slot(r->gap_ns, HIST_SLOTS)]++;
	t->queued -= (unsigned long long)r->ret;
	if (r->index + 1 >= t->nreads)
		return 1;
	arrive(t, r->index + 1);
	return 0;
}

static void print_truth(const struct truth *t, const struct wl_read_stats *st)
{
	const struct wl_conn *c = t->c;

	printf("{\"done\":true,\"pid\":%d,\"sender_pid\":%d,", (int)getpid(), (int)t->s->pid);
	print_comm(stdout);
	printf(",\"conns\":[{\"family\":\"%s\",\"lport\":%u,\"rport\":%u}],"
	       "\"lport\":%u,\"rport\":%u,\"reads\":%llu,\"bytes\":%llu,\"sent\":%llu,"
	       "\"left_queued\":%llu,\"req_bytes\":%llu,\"not_min_reads\":%llu,\"hist\":{",
	       family_name(c->family), c->lport, c->rport, c->lport, c->rport,
	       st->reads, st->bytes, t->sent, t->queued, t->req_bytes, t->not_min);
	print_hist(stdout, "req_bytes", t->req);
	fputc(',', stdout);
	print_hist(stdout, "ret_bytes", t->ret);
	fputc(',', stdout);
	print_hist(stdout, "queue_bytes", t->queue);
	fputc(',', stdout);
	print_hist(stdout, "gap_ns", t->gap);
	printf("}}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	unsigned long long nreads = 300, port = 0, rcvbuf = 1 << 20;
	struct wl_read_stats st = { 0, 0, 0, 0 };
	struct truth t;
	struct wl_sender s;
	struct wl_conn c;
	int family = AF_INET, err;

	wl_prog = "histwl";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ipv6"))
			family = AF_INET6;
		else if (!strcmp(argv[i], "--reads") && i + 1 < argc)
			nreads = parse_num(argv[++i], "--reads");
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = parse_num(argv[++i], "--port");
		else if (!strcmp(argv[i], "--rcvbuf") && i + 1 < argc)
			rcvbuf = parse_num(argv[++i], "--rcvbuf");
		else if (!strcmp(argv[i], "--comm") && i + 1 < argc)
			prctl(PR_SET_NAME, argv[++i]);
		else
			die("usage: histwl [--ipv6] [--reads N] [--port P] [--rcvbuf N] "
			    "[--comm NAME]");
	}
	if (!nreads || port > 65535 || rcvbuf > (1U << 30))
		die("bad --reads, --port or --rcvbuf");
	conn_open_port(&c, family, (unsigned)port, (int)rcvbuf);
	sender_start(&s, &c, 1);
	print_ready(&s, &c, 1);
	wait_go();

	memset(&t, 0, sizeof(t));
	t.s = &s;
	t.c = &c;
	t.nreads = nreads;
	{
		struct wl_read_opts o = {
			.sizes = req_sizes, .nsizes = 3, .measure_inq = 1,
			.verify_off = &c.off, .on_read = on_read, .ctx = &t,
		};

		arrive(&t, 0);
		err = wl_read_run(c.rfd, &o, &st);
	}
	if (err == -EILSEQ)
		die("data mismatch at stream offset %llu", c.off);
	if (err)
		die("read: %s", strerror(-err));
	if (st.reads != nreads || st.bytes + t.queued != t.sent)
		die("read %llu bytes in %llu reads, sent %llu", st.bytes, st.reads, t.sent);
	print_truth(&t, &st);
	wait_end();
	sender_stop(&s);
	return 0;
}
