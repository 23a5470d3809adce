// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of top's table at a terminal's width (src/out/render_table.c,
 * src/out/render.c): the columns kept at 80 and 120 columns and with --wide, every
 * line within the width, v4-mapped addresses shown as IPv4, --by process with
 * its zero-window and drop columns, and closed listeners never listed.
 * Frames come from a model fed with hand-made records, rendered into memory
 * streams; the width comes from $COLUMNS, as for a pipe.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/btf.h>
#include <cmocka.h>

#include "cmd/cli.h"
#include "kernel/collector.h"
#include "kernel/drop_reasons.h"
#include "model/model.h"
#include "cmd/cmd.h"
#include "out/render.h"
#include "model/view.h"
#define TESTLIB_RENDER_CTX	/* struct ctx */
#include "testlib.h"

#define UNUSED __attribute__((unused))
#define SEC 1000000000ULL
#define MS 1000000ULL

enum { R_PROTO_MEM = 20, R_TCP_OLD_SEQUENCE = 41 };	/* Linux 6.18's values */

static struct hook_status hooks[HOOK__COUNT] = TEST_HOOKS_ALL_ATTACHED;

static const struct test_reason reasons[] = {
	{ "SKB_DROP_REASON_PROTO_MEM", R_PROTO_MEM },
	{ "SKB_DROP_REASON_TCP_OLD_SEQUENCE", R_TCP_OLD_SEQUENCE },
};

static int setup(void **state)
{
	return render_ctx_setup(state, reasons, ARRAY_LEN(reasons));
}

static int teardown(void **state)
{
	unsetenv("COLUMNS");
	return render_ctx_teardown(state);
}

/* Command line args, at $COLUMNS `columns` (NULL: unset, as a pipe has it). */
static void use(struct ctx *c, const char *columns, const char *const *args)
{
	test_parse(&c->opt, args);
	if (columns)
		setenv("COLUMNS", columns, 1);
	else
		unsetenv("COLUMNS");
	test_memstream(&c->f, &c->buf, &c->len);
	{
		struct render_config rc;

		cmd_render_config(&c->opt, &rc);
		render_init(&c->r, c->f, &rc, hooks);
	}
	assert_false(c->r.tty);
	c->r.model = &c->m;
	c->r.reasons = &c->reasons;
}

#define USE(c, columns, ...)						\
	do {								\
		static const char *const a_[] = { __VA_ARGS__, NULL };	\
		use(c, columns, a_);					\
	} while (0)

static const char *output(struct ctx *c)
{
	assert_int_equal(fflush(c->f), 0);
	return c->buf;
}

static void frame(struct ctx *c, bool summary)
{
	test_frame(&c->fr, &c->m, &c->rows, &c->procs, summary, 1.0, SORT_PID);
}

/* Frees the last frame's rows (the model keeps the sockets). */
static void frame_free(struct ctx *c)
{
	free(c->rows);
	free(c->procs);
	c->rows = NULL;
	c->procs = NULL;
}

static void rec_sock(struct bs_sock_rec *r, uint64_t cookie, const char *laddr,
		     uint16_t lport, const char *raddr, uint16_t rport,
		     uint32_t pid, const char *comm)
{
	memset(r, 0, sizeof(*r));
	r->kind = BS_REC_SOCK;
	r->cookie = cookie;
	r->ts_ns = 10 * SEC;
	set_ep(&r->ep, laddr, lport, raddr, rport);
	r->flags = BS_SF_HAS_STATE;
	r->queue_bytes = 1000;
	r->rcvbuf = 131072;
	r->rmem_alloc = 4096;
	r->rcv_wnd = 65536;
	r->state.c.reads = 12;
	r->state.c.bytes = 48000;
	r->state.c.req_reads = 12;
	r->state.c.req_bytes = 12 * 4096;
	if (pid) {
		r->flags |= BS_SF_HAS_READER;
		r->state.reader.pid = pid;
		strncpy(r->state.reader.comm, comm, BS_COMM_LEN - 1);
	}
}

/*
 * An IPv4 reader; iperf3's accepted socket on an IPv6 listener (v4-mapped
 * addresses) in a zero-window episode, with 5 probes dropped (expected) and 2
 * segments refused for memory (lost).
 */
static void ipv4_sockets(struct ctx *c)
{
	struct bs_sock_rec r;

	rec_sock(&r, 1, "10.0.0.1", 5000, "10.0.0.2", 40000, 1234, "reader");
	assert_int_equal(model_apply(&c->m, &r), 0);
	rec_sock(&r, 2, "::ffff:127.0.0.1", 5201, "::ffff:127.0.0.1", 51234, 4242, "iperf3");
	r.state.f.zw[BS_ZW_SENT].episodes = 3;
	r.state.f.zw[BS_ZW_SENT].total_ns = 40 * MS;
	r.state.f.zw[BS_ZW_SENT].start_ns = 10 * SEC - 5 * MS;
	r.state.f.drops = 7;
	assert_int_equal(model_apply(&c->m, &r), 0);
	model_set_drops(&c->m, 2, R_TCP_OLD_SEQUENCE, 5);
	model_set_drops(&c->m, 2, R_PROTO_MEM, 2);
}

/* A long IPv6 pair and a process name of 15 bytes. */
static void ipv6_socket(struct ctx *c)
{
	struct bs_sock_rec r;

	rec_sock(&r, 3, "2001:db8:1234:5678:9abc:def0:1234:5678", 443,
		 "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 65535, 77, "a-very-long-nam");
	assert_int_equal(model_apply(&c->m, &r), 0);
}

/* The header line's column names, space-separated, in order. */
static void header_of(const char *out, char *buf, size_t len)
{
	const char *h = line_with(out, "PID ");
	size_t n = strcspn(h, "\n");
	char *w, *save = NULL, line[512];

	snprintf(line, sizeof(line), "%.*s", (int)n, h);
	buf[0] = '\0';
	for (w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (buf[0])
			strncat(buf, " ", len - strlen(buf) - 1);
		strncat(buf, w, len - strlen(buf) - 1);
	}
}

static void assert_lines_fit(const char *out, size_t width)
{
	for (const char *l = out; *l;) {
		size_t n = strcspn(l, "\n");

		if (width && n > width)
			fail_msg("a line of %zu characters at width %zu: '%.*s'", n, width,
				 (int)n, l);
		if (n && l[n - 1] == ' ')
			fail_msg("trailing blank: '%.*s'", (int)n, l);
		l += n + (l[n] == '\n');
	}
}

/* Every cell of the row with `row_needle` starts (text columns) or ends
 * (numbers) where its header does. */
static void assert_aligned(const char *out, const char *row_needle)
{
	static const char *const left[] = { "PID", "COMM", "CGROUP", "LOCAL", "REMOTE" };
	const char *h = line_with(out, "PID "), *r = line_with(out, row_needle);
	size_t hn = strcspn(h, "\n"), rn = strcspn(r, "\n");

	for (size_t i = 0; i < hn;) {
		size_t n = strcspn(h + i, " \n"), e = i + n - 1;
		bool is_left = false;

		for (size_t k = 0; k < sizeof(left) / sizeof(left[0]); k++)
			is_left |= n == strlen(left[k]) && !strncmp(h + i, left[k], n);
		if (is_left && (i >= rn || r[i] == ' ' || (i && r[i - 1] != ' ')))
			fail_msg("'%.*s' does not start under %.*s in '%.*s'", (int)rn, r,
				 (int)n, h + i, (int)hn, h);
		if (!is_left && (e >= rn || r[e] == ' ' || (e + 1 < rn && r[e + 1] != ' ')))
			fail_msg("'%.*s' does not end under %.*s in '%.*s'", (int)rn, r,
				 (int)n, h + i, (int)hn, h);
		i += n;
		i += strspn(h + i, " ");
	}
}

/* ---- the width a table fits ------------------------------------------------ */

static void test_fit_width_policy(void **state UNUSED)
{
	/* --wide: every column, wherever it goes */
	assert_int_equal(render_fit_width(true, true, 80, "60"), 0);
	assert_int_equal(render_fit_width(true, false, 0, "60"), 0);
	/* a terminal: its size, else $COLUMNS, else 80 */
	assert_int_equal(render_fit_width(false, true, 132, "60"), 132);
	assert_int_equal(render_fit_width(false, true, 0, "60"), 60);
	assert_int_equal(render_fit_width(false, true, 0, NULL), 80);
	assert_int_equal(render_fit_width(false, true, 0, "wide"), 80);
	/* not a terminal: $COLUMNS when set, else every column (a stable format) */
	assert_int_equal(render_fit_width(false, false, 0, NULL), 0);
	assert_int_equal(render_fit_width(false, false, 0, ""), 0);
	assert_int_equal(render_fit_width(false, false, 0, "100"), 100);
	assert_int_equal(render_fit_width(false, false, 0, "0"), 0);
	assert_int_equal(render_fit_width(false, false, 0, "-5"), 0);
	assert_int_equal(render_fit_width(false, false, 0, "80x"), 0);
}

static void test_cli_wide(void **state UNUSED)
{
	char *top[] = { "bufscope", "top", "-w", NULL };
	char *topl[] = { "bufscope", "top", "--wide", NULL };
	char *trace[] = { "bufscope", "trace", "-w", NULL };
	struct options o;
	struct cli_error e;

	assert_int_equal(cli_parse(3, top, &o, &e), 0);
	assert_true(o.wide);
	assert_int_equal(cli_parse(3, topl, &o, &e), 0);
	assert_true(o.wide);
	assert_int_equal(cli_parse(3, trace, &o, &e), -1);
	assert_non_null(strstr(e.msg, "--wide"));
}

/* ---- the socket table ------------------------------------------------------ */

static void test_width_80(void **state)
{
	struct ctx *c = *state;
	char hdr[256];
	const char *out;

	USE(c, "80", "top", "-s", "pid");
	ipv4_sockets(c);
	frame(c, false);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_lines_fit(out, 80);
	header_of(out, hdr, sizeof(hdr));
	/* the documented order: DISC, ZW_TIME, PEAK, WND, RCVBUF, AVG_REQ,
	 * AVG_RD, FILL% go first */
	assert_string_equal(hdr, "PID COMM LOCAL REMOTE READS/s BYTES/s QUEUE ZW DROPS");
	assert_aligned(out, "1234 ");
	assert_aligned(out, "4242 ");
	/* DROPS is the data lost: 2 refused for memory, not the 5 probes */
	{
		const char *l = line_with(out, "4242 ");

		assert_non_null(strstr(l, "iperf3"));
		assert_true(strstr(l, " 3/0! ") != NULL);
		assert_int_equal(l[strcspn(l, "\n") - 1], '2');
	}
	frame_free(c);
}

static void test_width_120(void **state)
{
	struct ctx *c = *state;
	char hdr[256];
	const char *out;

	USE(c, "120", "top", "-s", "pid");
	ipv4_sockets(c);
	frame(c, false);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_lines_fit(out, 120);
	header_of(out, hdr, sizeof(hdr));
	assert_string_equal(hdr, "PID COMM LOCAL REMOTE READS/s BYTES/s AVG_REQ AVG_RD "
			    "QUEUE RCVBUF FILL% WND ZW DROPS");
	assert_aligned(out, "1234 ");
	assert_aligned(out, "4242 ");
	frame_free(c);
}

static void test_wide_all_columns(void **state)
{
	static const char all[] = "PID COMM CGROUP LOCAL REMOTE READS/s BYTES/s AVG_REQ AVG_RD "
				  "QUEUE PEAK RCVBUF FILL% WND ZW ZW_TIME DROPS DISC";
	struct ctx *c = *state;
	char hdr[256];
	const char *out;

	/* -w at 80 columns; then a pipe without $COLUMNS: every column */
	USE(c, "80", "top", "-w", "-s", "pid");
	ipv4_sockets(c);
	ipv6_socket(c);
	frame(c, false);
	render_interval(&c->r, &c->fr);
	out = output(c);
	header_of(out, hdr, sizeof(hdr));
	assert_string_equal(hdr, all);
	assert_aligned(out, "1234 ");
	assert_aligned(out, "4242 ");
	assert_aligned(out, "77 ");
	{
		const char *l = line_with(out, "4242 ");
		char line[256], *tok[20], *save = NULL;
		int n = 0;

		snprintf(line, sizeof(line), "%.*s", (int)strcspn(l, "\n"), l);
		for (char *t = strtok_r(line, " ", &save); t && n < 20; t = strtok_r(NULL, " ", &save))
			tok[n++] = t;
		assert_int_equal(n, 18);
		assert_string_equal(tok[2], "-");	/* CGROUP: no resolver */
		assert_string_equal(tok[14], "3/0!");	/* ZW */
		assert_string_equal(tok[15], "45ms");	/* ZW_TIME: 40 + 5 open */
		assert_string_equal(tok[16], "2");	/* DROPS: refused for memory */
		assert_string_equal(tok[17], "5");	/* DISC: the probes */
	}
	frame_free(c);

	USE(c, NULL, "top", "-s", "pid");
	frame(c, true);
	render_summary(&c->r, &c->fr);
	out = output(c);
	header_of(out, hdr, sizeof(hdr));
	assert_string_equal(hdr, "PID COMM CGROUP LOCAL REMOTE READS BYTES AVG_REQ AVG_RD "
			    "QUEUE PEAK RCVBUF FILL% WND ZW ZW_TIME DROPS DISC");
	assert_lines_fit(out, 0);
	frame_free(c);
}

/* With a long IPv6 pair, a long name and open episodes, at many widths:
 * every line fits, the table's and the episode lines. */
static void test_every_line_fits(void **state)
{
	static const unsigned widths[] = { 40, 60, 80, 100, 120, 160 };
	struct ctx *c = *state;
	struct bs_flow_rec f;

	ipv4_sockets(c);
	ipv6_socket(c);
	memset(&f, 0, sizeof(f));
	f.kind = BS_REC_ZW_START;
	f.cookie = 3;
	f.dir = BS_ZW_SENT;
	f.ts_ns = f.start_ns = 10 * SEC - 5 * MS;
	f.queue = 100000;
	assert_int_equal(model_apply_flow(&c->m, &f), 0);
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		char w[16];

		snprintf(w, sizeof(w), "%u", widths[i]);
		for (int by = 0; by < 2; by++) {
			const char *out;

			if (by)
				USE(c, w, "top", "-v", "--by", "process");
			else
				USE(c, w, "top", "-v");
			frame(c, false);
			render_interval(&c->r, &c->fr);
			frame_free(c);
			frame(c, true);
			render_summary(&c->r, &c->fr);
			frame_free(c);
			out = output(c);
			if (!by)
				assert_non_null(strstr(out, "window 0 sent"));
			assert_non_null(strstr(out, "a-very-long-nam"));
			assert_lines_fit(out, widths[i]);
		}
	}
}

static void test_v4_mapped_as_ipv4(void **state)
{
	struct ctx *c = *state;
	const char *out;

	USE(c, NULL, "top");
	ipv4_sockets(c);
	frame(c, false);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_non_null(strstr(out, " 127.0.0.1:5201 "));
	assert_non_null(strstr(out, " 127.0.0.1:51234 "));
	assert_null(strstr(out, "ffff"));
	assert_null(strstr(out, "["));
	/* the address columns are as wide as their widest address */
	{
		const char *h = line_with(out, "PID ");
		const char *local = strstr(h, "LOCAL"), *remote = strstr(h, "REMOTE");

		assert_int_equal(remote - local, (long)strlen("127.0.0.1:5201") + 1);
	}
	frame_free(c);
	/* JSON keeps the socket's own address */
	USE(c, NULL, "top", "-o", "json");
	frame(c, true);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_non_null(strstr(out, "\"family\":\"ipv6\",\"laddr\":\"::ffff:127.0.0.1\","
				    "\"lport\":5201"));
	frame_free(c);
}

/* ---- --by process ---------------------------------------------------------- */

static void test_by_process_columns(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	char hdr[256];
	const char *out, *l;

	USE(c, NULL, "top", "--by", "process", "-s", "pid");
	ipv4_sockets(c);
	/* a second socket of iperf3: a received zero window, ended, 1 lost */
	rec_sock(&r, 5, "::ffff:127.0.0.1", 5201, "::ffff:127.0.0.1", 51236, 4242, "iperf3");
	r.state.f.zw[BS_ZW_RECV].episodes = 2;
	r.state.f.zw[BS_ZW_RECV].total_ns = 1 * SEC;
	r.state.f.drops = 1;
	assert_int_equal(model_apply(&c->m, &r), 0);
	model_set_drops(&c->m, 5, R_PROTO_MEM, 1);
	frame(c, false);
	render_interval(&c->r, &c->fr);
	out = output(c);
	header_of(out, hdr, sizeof(hdr));
	assert_string_equal(hdr, "PID COMM SOCKS READS/s BYTES/s AVG_REQ AVG_RD QUEUE "
			    "PEAK RCVBUF FILL% ZW ZW_TIME DROPS DISC");
	l = line_with(out, "4242 ");
	{
		char line[256], *tok[20], *save = NULL;
		int n = 0;

		snprintf(line, sizeof(line), "%.*s", (int)strcspn(l, "\n"), l);
		for (char *t = strtok_r(line, " ", &save); t && n < 20; t = strtok_r(NULL, " ", &save))
			tok[n++] = t;
		assert_int_equal(n, 15);
		assert_string_equal(tok[2], "2");	/* SOCKS */
		assert_string_equal(tok[11], "3/2!");	/* ZW: ours/peer's, one open */
		assert_string_equal(tok[12], "1045ms");	/* 45 ms + 1 s */
		assert_string_equal(tok[13], "3");	/* DROPS: 2 + 1 lost */
		assert_string_equal(tok[14], "5");	/* DISC: the probes */
	}
	assert_aligned(out, "4242 ");
	assert_aligned(out, "1234 ");
	frame_free(c);

	/* at 80 columns the stall and loss columns outlast the sizes */
	USE(c, "80", "top", "--by", "process", "-s", "pid");
	frame(c, false);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_lines_fit(out, 80);
	header_of(out, hdr, sizeof(hdr));
	assert_string_equal(hdr, "PID COMM SOCKS READS/s BYTES/s AVG_REQ AVG_RD QUEUE FILL% "
			    "ZW DROPS");
	frame_free(c);
}

/* ---- listeners -------------------------------------------------------------- */

/* A closed listener's record (a listener's close record came with state from
 * a kernel side that still gave it some): never a row, in any view. */
static void test_closed_listener_not_listed(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out;

	USE(c, NULL, "top");
	rec_sock(&r, 9, "0.0.0.0", 8080, "0.0.0.0", 0, 0, "");
	r.kind = BS_REC_CLOSE;
	r.state.c.reads = 0;
	r.state.c.bytes = 0;
	r.state.c.arrivals = 3;	/* woken for three connections to accept */
	r.queue_bytes = 0;
	r.ep.tcp_state = 7;	/* TCP_CLOSE, as at tcp_destroy_sock */
	assert_int_equal(model_apply(&c->m, &r), 0);
	assert_null(model_find(&c->m, 9));
	frame(c, false);
	assert_int_equal(c->fr.n, 0);
	assert_int_equal(c->fr.np, 0);
	render_interval(&c->r, &c->fr);
	frame_free(c);
	frame(c, true);
	assert_int_equal(c->fr.n, 0);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_null(strstr(out, ":8080"));
	assert_non_null(strstr(out, "0 sockets (0 shown)"));
	frame_free(c);
	/* an episode edge of a socket without a peer makes no entry either */
	{
		struct bs_flow_rec f;

		memset(&f, 0, sizeof(f));
		f.kind = BS_REC_ZW_START;
		f.cookie = 10;
		f.ep = r.ep;
		assert_int_equal(model_apply_flow(&c->m, &f), 0);
		assert_null(model_find(&c->m, 10));
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_width_policy),
		cmocka_unit_test(test_cli_wide),
		T(test_width_80),
		T(test_width_120),
		T(test_wide_all_columns),
		T(test_every_line_fits),
		T(test_v4_mapped_as_ipv4),
		T(test_by_process_columns),
		T(test_closed_listener_not_listed),
	};

	return cmocka_run_group_tests_name("render_fit", tests, NULL, NULL);
}
