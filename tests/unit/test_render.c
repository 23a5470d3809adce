// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/out/render_json.c and src/out/render_table.c: frames built from a
 * model fed with hand-made records, rendered into an in-memory stream.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <cmocka.h>

#include "cmd/cli.h"
#include "kernel/cgroups.h"
#include "kernel/collector.h"
#include "kernel/drop_reasons.h"
#include "model/model.h"
#include "cmd/cmd.h"
#include "out/render.h"
#include "model/view.h"
#include "bufscope/syscalls.h"
#define TESTLIB_RENDER_CTX	/* struct ctx */
#include "json_check.h"
#include "testlib.h"

#define UNUSED __attribute__((unused))

#define HOOK(n, t, tg, req) { .name = n, .tier = t, .target = tg, .required = req, \
				 .available = true, .attached = true }

/* As the collector fills them; test_hooks_off switches two off. */
static struct hook_status hooks[HOOK__COUNT] = {
	[HOOK_READ] = HOOK("read", "tracepoint", "tp_btf/sock_recv_length", true),
	[HOOK_ARRIVAL] = HOOK("arrival", "tracepoint", "tp_btf/sk_data_ready", false),
	[HOOK_CLOSE] = HOOK("close", "tracepoint", "tp_btf/tcp_destroy_sock", true),
	[HOOK_SOCKETS] = HOOK("sockets", "iterator", "iter/tcp", true),
	[HOOK_STATE] = HOOK("state", "iterator", "iter/bpf_sk_storage_map", false),
	[HOOK_WINDOW_OUT] = HOOK("window_out", "tracepoint", "tp_btf/net_dev_queue", true),
	[HOOK_WINDOW_IN] = HOOK("window_in", "tracepoint", "tp_btf/tcp_probe", true),
	[HOOK_DROPS] = HOOK("drops", "tracepoint", "tp_btf/kfree_skb", false),
};

/* Every line of out is one valid JSON object (tests/common/json_check.h);
 * returns the line count. */
static int assert_json_lines(const char *out)
{
	char *bad;
	int lines = json_check_lines(out, strlen(out), &bad);

	if (lines < 0)
		fail_msg("not a JSON object line: %.300s", bad);
	return lines;
}

/* ---- helpers ------------------------------------------------------------- */

/* `"key":value` present in [start, end) followed by , } or ]. */
static bool has_field_in(const char *start, const char *end, const char *key,
			 const char *value)
{
	char needle[256];
	size_t len;

	len = (size_t)snprintf(needle, sizeof(needle), "\"%s\":%s", key, value);
	for (const char *p = start; p && p + len <= end; p++) {
		p = strstr(p, needle);
		if (!p || p + len > end)
			return false;
		if (p[len] == ',' || p[len] == '}' || p[len] == ']')
			return true;
	}
	return false;
}

#define FIELD(start, end, key, value)					\
	do {								\
		if (!has_field_in(start, end, key, value))		\
			fail_msg("no \"%s\":%s in: %.*s", key, value,	\
				 (int)((end) - (start)), start);	\
	} while (0)

#define NO_FIELD(start, end, key)					\
	do {								\
		char k_[64];						\
		const char *p_;						\
		snprintf(k_, sizeof(k_), "\"%s\":", key);		\
		p_ = strstr(start, k_);					\
		if (p_ && p_ < (end))					\
			fail_msg("unexpected %s in: %.*s", k_,		\
				 (int)((end) - (start)), start);	\
	} while (0)

/* The extent of the object starting at p: [p, returned). */
static const char *object_end(const char *p)
{
	const char *e = json_check_value(p);

	assert_non_null(e);
	return e;
}

/* The n-th element (an object) of the array under key in line. */
static const char *array_elem(const char *line, const char *key, int n,
			      const char **end)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":[", key);
	p = strstr(line, k);
	if (!p)
		fail_msg("no %s array in %.200s", key, line);
	p += strlen(k);
	for (int i = 0; i <= n; i++) {
		if (*p != '{')
			return NULL;
		*end = object_end(p);
		if (i == n)
			return p;
		p = *end;
		if (*p == ',')
			p++;
	}
	return NULL;
}

static void use_options(struct ctx *c, const char *const *args)
{
	test_parse(&c->opt, args);
	test_memstream(&c->f, &c->buf, &c->len);
	unsetenv("COLUMNS");	/* a stream gets every column (test_render_fit) */
	{
		struct render_config rc;

		cmd_render_config(&c->opt, &rc);
		render_init(&c->r, c->f, &rc, hooks);
	}
	assert_false(c->r.redraw);	/* not a terminal */
	/* as session_run does */
	c->r.model = &c->m;
	c->r.reasons = &c->reasons;
	c->m.reasons = &c->reasons;	/* drops lost or expected */
}

#define OPTS(c, ...)							\
	do {								\
		static const char *const a_[] = { __VA_ARGS__, NULL };	\
		use_options(c, a_);					\
	} while (0)

static const char *output(struct ctx *c)
{
	assert_int_equal(fflush(c->f), 0);
	return c->buf;
}

/* Drop reason names as a kernel's BTF has them (values of Linux 6.18). */
static const struct test_reason reasons_6_18[] = {
	{ "SKB_NOT_DROPPED_YET", 0 }, { "SKB_CONSUMED", 1 },
	{ "SKB_DROP_REASON_NOT_SPECIFIED", 2 },
	{ "SKB_DROP_REASON_SOCKET_RCVBUFF", 6 },
	{ "SKB_DROP_REASON_TCP_ZEROWINDOW", 32 },
	{ "SKB_DROP_REASON_TCP_OLD_SEQUENCE", 41 },
};

static int setup(void **state)
{
	hooks[HOOK_DROPS].attached = hooks[HOOK_ARRIVAL].attached = true;
	return render_ctx_setup(state, reasons_6_18, ARRAY_LEN(reasons_6_18));
}

static int teardown(void **state)
{
	return render_ctx_teardown(state);
}

static void rec_base(struct bs_sock_rec *r, uint32_t kind, uint64_t cookie,
		     const char *laddr, uint16_t lport, const char *raddr,
		     uint16_t rport)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->cookie = cookie;
	r->inode = 5000 + cookie;
	set_ep(&r->ep, laddr, lport, raddr, rport);
}

/* Socket 42: read by pid 1234 "reader", well-known counter values. */
static void rec_reader42(struct bs_sock_rec *r, uint32_t kind)
{
	rec_base(r, kind, 42, "10.0.0.1", 5000, "10.0.0.2", 40000);
	r->flags = BS_SF_HAS_STATE | BS_SF_HAS_READER;
	r->queue_bytes = 300;
	r->rcvbuf = 4000;
	r->rmem_alloc = 1000;
	r->state.c.reads = 5;
	r->state.c.bytes = 5000;
	r->state.c.req_reads = 4;
	r->state.c.req_bytes = 16384;
	r->state.c.full_reads = 1;
	r->state.c.eof_reads = 1;
	r->state.c.eagain_reads = 2;
	r->state.c.error_reads = 3;
	r->state.c.peek_reads = 6;
	r->state.c.peek_bytes = 60;
	r->state.c.arrivals = 7;
	r->state.c.queue_peak = 900;
	r->state.reader.pid = 1234;
	r->state.reader.tid = 1235;
	r->state.reader.cgroup_id = 777;
	strcpy(r->state.reader.comm, "reader");
	r->state.hist[BS_HIST_RET][11] = 3;	/* [1024, 2048) */
	r->state.hist[BS_HIST_RET][13] = 2;	/* [4096, 8192) */
	r->state.hist[BS_HIST_REQ][13] = 4;
	r->state.hist[BS_HIST_QUEUE][0] = 1;	/* [0, 1) */
	r->state.hist[BS_HIST_QUEUE][31] = 1;	/* [2^30, unbounded) */
}

static void feed(struct ctx *c, const struct bs_sock_rec *r)
{
	assert_int_equal(model_apply(&c->m, r), 0);
}

/* Frame from the model: interval (deltas) or summary (totals). */
static void make_frame(struct ctx *c, bool summary, double secs, uint64_t lost)
{
	test_frame(&c->fr, &c->m, &c->rows, &c->procs, summary, secs, c->opt.sort);
	c->fr.lost.events = lost;
}

/* Three sockets: a reader, a socket held by fd with bytes waiting, and an
 * unknown-owner IPv6 socket with bytes waiting and no buffer size. */
static void three_sockets(struct ctx *c)
{
	struct bs_sock_rec r;

	rec_reader42(&r, BS_REC_SOCK);
	feed(c, &r);

	rec_base(&r, BS_REC_SOCK, 43, "10.0.0.1", 5001, "10.0.0.3", 40001);
	r.queue_bytes = 65536;
	r.rcvbuf = 131072;
	r.rmem_alloc = 98304;
	feed(c, &r);
	model_set_owner(model_find(&c->m, 43), 4321, "stalled");

	rec_base(&r, BS_REC_SOCK, 44, "::1", 80, "::1", 50000);
	r.ep.tcp_state = 8;
	r.queue_bytes = 10;
	feed(c, &r);
}

/* ---- JSON ------------------------------------------------------------------ */

static void test_json_interval_fields(void **state)
{
	struct ctx *c = *state;
	const char *out, *s, *e;

	OPTS(c, "top", "-o", "json");
	three_sockets(c);
	make_frame(c, false, 1.0, 3);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	assert_true(strncmp(out, "{\"type\":\"interval\",\"time\":\"", 27) == 0);
	e = out + strlen(out);
	FIELD(out, e, "interval_ms", "1000");
	FIELD(out, e, "lost_events", "3");
	FIELD(out, e, "episodes", "[]");
	NO_FIELD(out, e, "attach");
	NO_FIELD(out, e, "duration_ms");
	NO_FIELD(out, e, "hist");
	NO_FIELD(out, e, "episodes_forgotten");

	/* Sorted by queue: 43 (65536), 42 (300), 44 (10). */
	s = array_elem(out, "sockets", 1, &e);
	assert_non_null(s);
	FIELD(s, e, "cookie", "42");
	FIELD(s, e, "pid", "1234");
	FIELD(s, e, "tid", "1235");
	FIELD(s, e, "comm", "\"reader\"");
	FIELD(s, e, "owner", "\"reader\"");
	FIELD(s, e, "cgroup_id", "777");
	FIELD(s, e, "family", "\"ipv4\"");
	FIELD(s, e, "laddr", "\"10.0.0.1\"");
	FIELD(s, e, "lport", "5000");
	FIELD(s, e, "raddr", "\"10.0.0.2\"");
	FIELD(s, e, "rport", "40000");
	FIELD(s, e, "state", "\"ESTABLISHED\"");
	FIELD(s, e, "closed", "false");
	FIELD(s, e, "reads", "5");
	FIELD(s, e, "bytes", "5000");
	FIELD(s, e, "req_reads", "4");
	FIELD(s, e, "req_bytes", "16384");
	FIELD(s, e, "full_reads", "1");
	FIELD(s, e, "partial_reads", "3");
	FIELD(s, e, "avg_req_bytes", "4096.0");
	FIELD(s, e, "avg_read_bytes", "1000.0");
	FIELD(s, e, "eof_reads", "1");
	FIELD(s, e, "eagain_reads", "2");
	FIELD(s, e, "error_reads", "3");
	FIELD(s, e, "peek_reads", "6");
	FIELD(s, e, "peek_bytes", "60");
	FIELD(s, e, "arrivals", "7");
	FIELD(s, e, "queue_bytes", "300");
	FIELD(s, e, "queue_peak", "900");
	FIELD(s, e, "rcvbuf", "4000");
	FIELD(s, e, "rmem_alloc", "1000");
	FIELD(s, e, "fill_pct", "25.0");
	/* flow control measured, nothing happened: zeros, not nulls */
	FIELD(s, e, "zero_window_sent", "0");
	FIELD(s, e, "zero_window_recv", "0");
	FIELD(s, e, "zero_window_episodes_sent", "0");
	FIELD(s, e, "zero_window_episodes_recv", "0");
	FIELD(s, e, "zero_window_sent_ms", "0.000");
	FIELD(s, e, "zero_window_recv_ms", "0.000");
	FIELD(s, e, "zero_window_ms", "0.000");
	FIELD(s, e, "zero_window_probes_sent", "0");
	FIELD(s, e, "zero_window_probes_recv", "0");
	FIELD(s, e, "zero_window_open", "null");
	FIELD(s, e, "drops", "0");
	FIELD(s, e, "drop_reasons", "{}");
	FIELD(s, e, "rcv_wnd", "0");
	FIELD(s, e, "peer_rcv_wnd", "0");
	FIELD(s, e, "send_queue", "0");
	FIELD(s, e, "rcvbuf_changes", "0");
	FIELD(s, e, "byte_age_max_ms", "null");
	NO_FIELD(s, e, "hist");

	/* Held by an fd: pid and comm from /proc, tid and cgroup null. */
	s = array_elem(out, "sockets", 0, &e);
	assert_non_null(s);
	FIELD(s, e, "cookie", "43");
	FIELD(s, e, "pid", "4321");
	FIELD(s, e, "tid", "null");
	FIELD(s, e, "comm", "\"stalled\"");
	FIELD(s, e, "owner", "\"fd\"");
	FIELD(s, e, "cgroup_id", "null");
	FIELD(s, e, "reads", "0");
	FIELD(s, e, "avg_req_bytes", "null");
	FIELD(s, e, "avg_read_bytes", "null");
	FIELD(s, e, "queue_bytes", "65536");
	FIELD(s, e, "queue_peak", "65536");
	FIELD(s, e, "fill_pct", "75.0");

	/* Unknown owner, IPv6, no buffer size. */
	s = array_elem(out, "sockets", 2, &e);
	assert_non_null(s);
	FIELD(s, e, "cookie", "44");
	FIELD(s, e, "pid", "null");
	FIELD(s, e, "tid", "null");
	FIELD(s, e, "comm", "null");
	FIELD(s, e, "owner", "\"unknown\"");
	FIELD(s, e, "cgroup_id", "null");
	FIELD(s, e, "family", "\"ipv6\"");
	FIELD(s, e, "laddr", "\"::1\"");
	FIELD(s, e, "lport", "80");
	FIELD(s, e, "rport", "50000");
	FIELD(s, e, "state", "\"CLOSE_WAIT\"");
	FIELD(s, e, "rcvbuf", "0");
	FIELD(s, e, "fill_pct", "null");
	assert_null(array_elem(out, "sockets", 3, &e));
}

static void test_json_interval_processes(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *p, *e;

	OPTS(c, "top", "-o", "json", "-s", "pid");
	three_sockets(c);
	/* a second socket of pid 1234 */
	rec_reader42(&r, BS_REC_SOCK);
	r.cookie = 45;
	r.queue_bytes = 50;
	r.state.c.queue_peak = 2000;
	feed(c, &r);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);

	/* by pid: unknown (0) first, then 1234, then 4321 */
	p = array_elem(out, "processes", 0, &e);
	assert_non_null(p);
	FIELD(p, e, "pid", "null");
	FIELD(p, e, "comm", "null");
	FIELD(p, e, "sockets", "1");
	FIELD(p, e, "queue_bytes", "10");

	p = array_elem(out, "processes", 1, &e);
	assert_non_null(p);
	FIELD(p, e, "pid", "1234");
	FIELD(p, e, "comm", "\"reader\"");
	FIELD(p, e, "sockets", "2");
	FIELD(p, e, "reads", "10");
	FIELD(p, e, "bytes", "10000");
	FIELD(p, e, "req_reads", "8");
	FIELD(p, e, "req_bytes", "32768");
	FIELD(p, e, "full_reads", "2");
	FIELD(p, e, "eof_reads", "2");
	FIELD(p, e, "eagain_reads", "4");
	FIELD(p, e, "error_reads", "6");
	FIELD(p, e, "peek_reads", "12");
	FIELD(p, e, "peek_bytes", "120");
	FIELD(p, e, "queue_bytes", "350");
	FIELD(p, e, "queue_peak", "2000");
	FIELD(p, e, "zero_window_episodes_sent", "0");
	FIELD(p, e, "zero_window_episodes_recv", "0");
	FIELD(p, e, "zero_window_ms", "0.000");
	FIELD(p, e, "drops", "0");
	FIELD(p, e, "drops_lost", "0");
	FIELD(p, e, "drops_expected", "0");

	p = array_elem(out, "processes", 2, &e);
	assert_non_null(p);
	FIELD(p, e, "pid", "4321");
	FIELD(p, e, "comm", "\"stalled\"");
	assert_null(array_elem(out, "processes", 3, &e));
}

static void test_json_summary(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *s, *e;

	OPTS(c, "top", "-o", "json");
	rec_reader42(&r, BS_REC_SOCK);
	feed(c, &r);
	make_frame(c, false, 1.0, 0);	/* an interval went by */
	r.state.c.reads = 8;
	r.state.c.bytes = 8000;
	feed(c, &r);
	make_frame(c, true, 5.0, 2);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	assert_true(strncmp(out, "{\"type\":\"summary\",\"time\":\"", 26) == 0);
	e = out + strlen(out);
	FIELD(out, e, "duration_ms", "5000");
	FIELD(out, e, "lost_events", "2");
	NO_FIELD(out, e, "interval_ms");
	assert_non_null(strstr(out, "\"attach\":{\"read\":\"tracepoint\","
				    "\"arrival\":\"tracepoint\",\"close\":\"tracepoint\","
				    "\"sockets\":\"iterator\",\"state\":\"iterator\",\"window_out\":\"tracepoint\","
				    "\"window_in\":\"tracepoint\",\"drops\":\"tracepoint\"}"));
	FIELD(out, e, "episodes", "[]");
	FIELD(out, e, "episodes_forgotten", "0");

	s = array_elem(out, "sockets", 0, &e);
	assert_non_null(s);
	/* totals, not the last interval's delta */
	FIELD(s, e, "reads", "8");
	FIELD(s, e, "bytes", "8000");
	FIELD(s, e, "queue_peak", "900");
	assert_non_null(strstr(s, "\"hist\":{\"read_bytes\":[[1024,2048,3],[4096,8192,2]],"
				  "\"req_bytes\":[[4096,8192,4]],"
				  "\"queue_bytes\":[[0,1,1],[1073741824,null,1]],"
				  "\"byte_age_us\":[],\"gap_us\":[]}"));
	assert_true(strstr(s, "\"hist\"") < e);
}

static void test_json_summary_closed_socket(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *s, *e;

	OPTS(c, "top", "-o", "json");
	rec_reader42(&r, BS_REC_SOCK);
	feed(c, &r);
	rec_reader42(&r, BS_REC_CLOSE);
	r.state.c.reads = 9;
	feed(c, &r);
	make_frame(c, true, 2.0, 0);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	s = array_elem(out, "sockets", 0, &e);
	assert_non_null(s);
	FIELD(s, e, "closed", "true");
	FIELD(s, e, "reads", "9");
	FIELD(s, e, "queue_bytes", "0");
	FIELD(s, e, "rmem_alloc", "0");
	FIELD(s, e, "fill_pct", "0.0");
	FIELD(s, e, "pid", "1234");
}

static void test_json_empty_frame(void **state)
{
	struct ctx *c = *state;
	const char *out;

	OPTS(c, "top", "-o", "json");
	make_frame(c, false, 0.9996, 0);
	render_interval(&c->r, &c->fr);
	make_frame(c, true, 10.0, 0);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 2);
	assert_non_null(strstr(out, "\"interval_ms\":1000,\"lost_events\":0,"
				    "\"missed_reads\":0,\"untracked_sockets\":0,"
				    "\"close_folded\":0,\"close_fold_unowned\":0,"
				    "\"drops_after_close\":0,\"hook_misses\":0,"
				    "\"sockets\":[],\"processes\":[],\"episodes\":[]}\n"));
	assert_non_null(strstr(out, "\"duration_ms\":10000,"));
	assert_non_null(strstr(out, "\"lost_events\":0,\"missed_reads\":0,"
				    "\"untracked_sockets\":0,\"close_folded\":0,"
				    "\"close_fold_unowned\":0,\"drops_after_close\":0,"
				    "\"hook_misses\":0,\"hist_reads_unfolded\":0,"
				    "\"sockets\":[],\"processes\":[],"
				    "\"episodes\":[],\"episodes_forgotten\":0}\n"));
}

static void test_json_escapes_comm(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *s, *e;

	OPTS(c, "top", "-o", "json");
	rec_reader42(&r, BS_REC_SOCK);
	memset(r.state.reader.comm, 0, sizeof(r.state.reader.comm));
	memcpy(r.state.reader.comm, "\x1b[31mev\"il\\\xff", 13);
	feed(c, &r);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	assert_null(strchr(out, 0x1b));
	s = array_elem(out, "sockets", 0, &e);
	FIELD(s, e, "comm", "\"\\u001b[31mev\\\"il\\\\\\u00ff\"");
	s = array_elem(out, "processes", 0, &e);
	FIELD(s, e, "comm", "\"\\u001b[31mev\\\"il\\\\\\u00ff\"");
}

static void test_json_comm_full_16_bytes(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *s, *e;

	OPTS(c, "top", "-o", "json");
	rec_reader42(&r, BS_REC_SOCK);
	/* no NUL in the 16 bytes: at most 16 are printed, nothing beyond */
	memcpy(r.state.reader.comm, "0123456789abcdef", 16);
	feed(c, &r);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	s = array_elem(out, "sockets", 0, &e);
	FIELD(s, e, "comm", "\"0123456789abcdef\"");
}

static void read_rec(struct bs_read_rec *rd)
{
	memset(rd, 0, sizeof(*rd));
	rd->kind = BS_REC_READ;
	rd->flags = BS_RF_REQ_KNOWN;
	rd->cookie = 42;
	rd->ts_ns = 123;
	rd->pid = 10;
	rd->tid = 11;
	strcpy(rd->comm, "app");
	rd->ret = 4096;
	rd->req = 4096;
	rd->queue_before = 10240;
	rd->queue_after = 6144;
	rd->syscall_nr = BS_NR_RECVFROM;
	rd->ep.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", rd->ep.saddr);
	inet_pton(AF_INET, "127.0.0.1", rd->ep.daddr);
	rd->ep.sport = 5000;
	rd->ep.dport = 40000;
	rd->ep.tcp_state = 1;
}

static void test_json_read(void **state)
{
	struct ctx *c = *state;
	struct bs_read_rec rd;
	const char *out, *l2, *e;

	OPTS(c, "trace", "-o", "json");
	read_rec(&rd);
	render_read(&c->r, &rd);
	read_rec(&rd);
	rd.flags = BS_RF_PEEK | BS_RF_DONTWAIT;	/* req unknown */
	rd.syscall_nr = (uint32_t)-1;
	rd.ret = -11;
	strcpy(rd.comm, "\x1b]0;x");
	render_read(&c->r, &rd);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 2);
	assert_null(strchr(out, 0x1b));
	assert_true(strncmp(out, "{\"type\":\"read\",\"time\":\"", 23) == 0);
	l2 = strchr(out, '\n') + 1;
	e = l2;
	FIELD(out, e, "ts_ns", "123");
	FIELD(out, e, "pid", "10");
	FIELD(out, e, "tid", "11");
	FIELD(out, e, "comm", "\"app\"");
	FIELD(out, e, "cookie", "42");
	FIELD(out, e, "family", "\"ipv4\"");
	FIELD(out, e, "laddr", "\"127.0.0.1\"");
	FIELD(out, e, "lport", "5000");
	FIELD(out, e, "raddr", "\"127.0.0.1\"");
	FIELD(out, e, "rport", "40000");
	FIELD(out, e, "syscall", "\"recvfrom\"");
	FIELD(out, e, "req", "4096");
	FIELD(out, e, "ret", "4096");
	FIELD(out, e, "peek", "false");
	FIELD(out, e, "nonblock", "false");
	FIELD(out, e, "queue_before", "10240");
	FIELD(out, e, "queue_after", "6144");

	e = l2 + strlen(l2);
	FIELD(l2, e, "syscall", "null");
	FIELD(l2, e, "req", "null");
	FIELD(l2, e, "ret", "-11");
	FIELD(l2, e, "peek", "true");
	FIELD(l2, e, "nonblock", "true");
	FIELD(l2, e, "comm", "\"\\u001b]0;x\"");
}

static void test_json_close(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *e;

	OPTS(c, "trace", "-o", "json");
	rec_reader42(&r, BS_REC_SOCK);
	feed(c, &r);
	rec_reader42(&r, BS_REC_CLOSE);
	r.state.c.reads = 11;
	r.state.c.bytes = 11111;
	r.queue_bytes = 0;
	r.state.c.queue_peak = 0;
	feed(c, &r);
	render_close(&c->r, model_find(&c->m, 42));
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	assert_true(strncmp(out, "{\"type\":\"close\",\"cookie\":42,", 28) == 0);
	e = out + strlen(out);
	FIELD(out, e, "closed", "true");
	FIELD(out, e, "reads", "11");
	FIELD(out, e, "bytes", "11111");
	FIELD(out, e, "queue_peak", "900");	/* the run's peak */
	FIELD(out, e, "pid", "1234");
	FIELD(out, e, "owner", "\"reader\"");
	FIELD(out, e, "zero_window_sent", "0");
	FIELD(out, e, "zero_window_open", "null");
	FIELD(out, e, "reader_stall_ms", "null");	/* closed */
	NO_FIELD(out, e, "sockets");
	NO_FIELD(out, e, "episodes");
}

/* docs/json.md: a close object is a socket object "as in summary, without
 * hist". */
static void test_json_close_without_hist(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out;

	OPTS(c, "trace", "-o", "json");
	rec_reader42(&r, BS_REC_CLOSE);
	feed(c, &r);
	render_close(&c->r, model_find(&c->m, 42));
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	FIELD(out, out + strlen(out), "closed", "true");
	NO_FIELD(out, out + strlen(out), "hist");
}

/* ---- tables ---------------------------------------------------------------- */

static int count_lines_with(const char *out, const char *needle)
{
	int n = 0;

	for (const char *l = out; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char *line = strndup(l, len);

		assert_non_null(line);
		n += strstr(line, needle) != NULL;
		free(line);
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

static void assert_no_escape(const char *out)
{
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		if (*p != '\n' && (*p < 0x20 || *p >= 0x7f))
			fail_msg("raw byte 0x%02x in table output at offset %zu", *p,
				 (size_t)(p - (const unsigned char *)out));
}

/* The whitespace-separated fields of the line starting at l. */
static int line_tokens(const char *l, char tok[][64], int max)
{
	int n = 0;

	for (;;) {
		size_t len;

		while (*l == ' ')
			l++;
		if (!*l || *l == '\n')
			return n;
		len = strcspn(l, " \n");
		assert_true(n < max);
		assert_true(len < 64);
		memcpy(tok[n], l, len);
		tok[n][len] = '\0';
		n++;
		l += len;
	}
}

static void test_table_interval(void **state)
{
	struct ctx *c = *state;
	const char *out;

	OPTS(c, "top");
	three_sockets(c);
	make_frame(c, false, 2.0, 0);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_no_escape(out);
	assert_true(strncmp(out, "bufscope top ", 13) == 0);
	assert_non_null(strstr(out, "3 sockets (3 shown)"));
	assert_non_null(strstr(out, "lost events 0  folded closes 0\n"));
	assert_int_equal(count_lines_with(out, "PID"), 1);
	{
		static const char *const cols[] = {
			"PID", "COMM", "LOCAL", "REMOTE", "READS/s", "BYTES/s",
			"AVG_REQ", "AVG_RD", "QUEUE", "PEAK", "RCVBUF", "FILL%",
			"WND", "ZW", "ZW_TIME", "DROPS", "DISC",
		};
		const char *hdr = strstr(out, "PID");
		const char *prev = hdr;

		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
			const char *p = strstr(prev, cols[i]);

			if (!p || p > strchr(hdr, '\n'))
				fail_msg("column %s missing from the header", cols[i]);
			prev = p;
		}
	}
	/* one line per socket */
	assert_int_equal(count_lines_with(out, "10.0.0.1:5000"), 1);
	assert_int_equal(count_lines_with(out, "10.0.0.1:5001"), 1);
	assert_int_equal(count_lines_with(out, "[::1]:80"), 1);
	assert_int_equal(count_lines_with(out, "10.0.0.2:40000"), 1);
	assert_int_equal(count_lines_with(out, "[::1]:50000"), 1);
	/* sorted by queue */
	assert_true(strstr(out, "10.0.0.1:5001") < strstr(out, "10.0.0.1:5000"));
	assert_true(strstr(out, "10.0.0.1:5000") < strstr(out, "[::1]:80"));
	/* the reader's line: pid, comm, per-second rates over 2 s */
	{
		const char *l = strstr(out, "1234 ");
		char line[256];

		assert_non_null(l);
		snprintf(line, sizeof(line), "%.*s", (int)(strchr(l, '\n') - l), l);
		assert_non_null(strstr(line, "reader"));
		assert_non_null(strstr(line, " 2.5 "));	/* 5 reads / 2 s */
		assert_non_null(strstr(line, " 2.4K "));	/* 5000 B / 2 s */
		assert_non_null(strstr(line, " 4.0K "));	/* avg requested */
		assert_non_null(strstr(line, " 1000 "));	/* avg read */
		assert_non_null(strstr(line, " 300 "));		/* queue */
		assert_non_null(strstr(line, " 900 "));		/* peak */
		assert_non_null(strstr(line, " 25"));		/* fill % */
	}
	/* held by fd, no reads: dashes for averages */
	{
		const char *l = strstr(out, "4321 ");
		char line[256];

		assert_non_null(l);
		snprintf(line, sizeof(line), "%.*s", (int)(strchr(l, '\n') - l), l);
		assert_non_null(strstr(line, "stalled"));
		assert_non_null(strstr(line, " 64K "));
		assert_non_null(strstr(line, " - "));
	}
	/* unknown owner: "-" for pid and comm, "-" for fill without rcvbuf */
	{
		const char *l = strstr(out, "\n-  ");
		char tok[20][64];

		assert_non_null(l);
		l++;
		assert_int_equal(line_tokens(l, tok, 20), 18);
		assert_string_equal(tok[0], "-");
		assert_string_equal(tok[1], "-");
		assert_string_equal(tok[2], "-");	/* CGROUP: none known */
		assert_string_equal(tok[3], "[::1]:80");
		assert_string_equal(tok[11], "0");	/* RCVBUF */
		assert_string_equal(tok[12], "-");	/* FILL% */
		assert_string_equal(tok[13], "0");	/* WND */
		assert_string_equal(tok[14], "0/0");	/* ZW */
		assert_string_equal(tok[15], "0");	/* ZW_TIME */
		assert_string_equal(tok[16], "0");	/* DROPS */
		assert_string_equal(tok[17], "0");	/* DISC */
	}
	assert_null(strstr(out, "closed during"));
	assert_null(strstr(out, "(no TCP socket"));
}

static void test_table_escape_in_comm(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out;

	OPTS(c, "top");
	rec_reader42(&r, BS_REC_SOCK);
	memset(r.state.reader.comm, 0, sizeof(r.state.reader.comm));
	memcpy(r.state.reader.comm, "\x1b[31mevil\x7f\xc3\xa9", 12);
	feed(c, &r);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	make_frame(c, true, 1.0, 0);
	render_summary(&c->r, &c->fr);
	render_close(&c->r, model_find(&c->m, 42));
	out = output(c);
	assert_null(strchr(out, 0x1b));
	assert_no_escape(out);
	/* é is one character: one '?' */
	assert_int_equal(count_lines_with(out, "?[31mevil??"), 3);
	assert_int_equal(count_lines_with(out, "?[31mevil???"), 0);
}

/*
 * A cgroup path is any bytes but '/' and NUL: escaped in JSON (the control
 * byte as \u001b, the quote and backslash), '?' in the table. Its
 * container id: JSON all of it, the table's CGROUP column 12 digits.
 */
static void test_cgroup_escaped(void **state)
{
	static const char evil[] = "/evil\x1b[31m\"q\\";
	static const char docker[] = "/docker-0123456789abcdef0123456789abcdef"
				     "0123456789abcdef0123456789abcdef.scope";
	struct ctx *c = *state;
	char root[] = "/tmp/bs-rendercg-XXXXXX", dir[128], dir2[256];
	struct bs_sock_rec r;
	struct stat st, st2;
	const char *out, *s, *e;

	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s%s", root, evil);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(stat(dir, &st), 0);
	snprintf(dir2, sizeof(dir2), "%s%s", root, docker);
	assert_int_equal(mkdir(dir2, 0755), 0);
	assert_int_equal(stat(dir2, &st2), 0);

	OPTS(c, "top", "-o", "json");
	c->r.cgroups = cgroups_open(root);
	assert_non_null(c->r.cgroups);
	rec_reader42(&r, BS_REC_SOCK);
	r.state.reader.cgroup_id = st.st_ino;
	feed(c, &r);
	rec_reader42(&r, BS_REC_SOCK);
	r.cookie = 43;
	r.ep.sport = 5001;
	r.state.reader.cgroup_id = st2.st_ino;
	feed(c, &r);
	make_frame(c, true, 1.0, 0);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	s = strstr(out, "\"cookie\":42");
	assert_non_null(s);
	e = object_end(s - 1);
	FIELD(s, e, "cgroup", "\"/evil\\u001b[31m\\\"q\\\\\"");
	FIELD(s, e, "container", "null");
	s = strstr(out, "\"cookie\":43");
	assert_non_null(s);
	e = object_end(s - 1);
	FIELD(s, e, "cgroup", "\"/docker-0123456789abcdef0123456789abcdef"
			      "0123456789abcdef0123456789abcdef.scope\"");
	FIELD(s, e, "container", "\"0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcdef\"");

	cgroups_free(c->r.cgroups);
	OPTS(c, "top");
	c->r.cgroups = cgroups_open(root);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_null(strchr(out, 0x1b));
	assert_no_escape(out);
	assert_int_equal(count_lines_with(out, " /evil?[31m\"q\\ "), 1);
	assert_int_equal(count_lines_with(out, " 0123456789ab "), 1);
	cgroups_free(c->r.cgroups);
	c->r.cgroups = NULL;
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(rmdir(dir2), 0);
	assert_int_equal(rmdir(root), 0);
}

static void test_table_escape_by_process(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out;

	OPTS(c, "top", "--by", "process");
	rec_reader42(&r, BS_REC_SOCK);
	strcpy(r.state.reader.comm, "\x1b[2Jx");
	feed(c, &r);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_no_escape(out);
	assert_int_equal(count_lines_with(out, "?[2Jx"), 1);
}

static void test_table_rows_limit(void **state)
{
	struct ctx *c = *state;
	const char *out;

	OPTS(c, "top", "-n", "1");
	three_sockets(c);
	make_frame(c, false, 1.0, 5);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_non_null(strstr(out, "3 sockets (1 shown)"));
	assert_non_null(strstr(out, "lost events 5 (counts are low)"));
	/* only the first by queue */
	assert_int_equal(count_lines_with(out, "10.0.0.1:5001"), 1);
	assert_int_equal(count_lines_with(out, "10.0.0.1:5000"), 0);
	assert_int_equal(count_lines_with(out, "[::1]:80"), 0);
}

static void test_table_by_process(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out;

	OPTS(c, "top", "-b", "process", "-s", "pid");
	three_sockets(c);
	rec_reader42(&r, BS_REC_SOCK);
	r.cookie = 45;
	feed(c, &r);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_non_null(strstr(out, "3 processes (3 shown)"));
	assert_int_equal(count_lines_with(out, "SOCKS"), 1);
	assert_int_equal(count_lines_with(out, "LOCAL"), 0);
	assert_int_equal(count_lines_with(out, "reader"), 1);
	assert_int_equal(count_lines_with(out, "stalled"), 1);
	{
		const char *l = strstr(out, "1234 ");
		char line[256];

		assert_non_null(l);
		snprintf(line, sizeof(line), "%.*s", (int)(strchr(l, '\n') - l), l);
		/* two sockets, 10 reads/s, 600 bytes waiting */
		assert_non_null(strstr(line, "    2 "));
		assert_non_null(strstr(line, " 10.0 "));
		assert_non_null(strstr(line, " 600 "));
	}
	/* sorted by pid: unknown (-) first */
	assert_true(strstr(out, "\n- ") < strstr(out, "1234 "));
	assert_true(strstr(out, "1234 ") < strstr(out, "4321 "));
}

static void test_table_summary_and_closed(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out;

	OPTS(c, "top");
	rec_reader42(&r, BS_REC_SOCK);
	feed(c, &r);
	rec_reader42(&r, BS_REC_CLOSE);
	feed(c, &r);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	assert_non_null(strstr(output(c), "* closed during the interval"));
	assert_non_null(strstr(output(c), "1234*"));
	make_frame(c, true, 4.0, 0);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_non_null(strstr(out, "Summary of the whole run"));
	out = strstr(out, "Summary of the whole run");
	assert_non_null(strstr(out, " READS "));
	assert_non_null(strstr(out, " BYTES "));
	assert_null(strstr(out, "READS/s"));
	assert_non_null(strstr(out, "* closed during the run"));
	{
		/* totals, not rates: 5 reads, 4.9K bytes */
		const char *l = strstr(out, "1234*");
		char line[256];

		assert_non_null(l);
		snprintf(line, sizeof(line), "%.*s", (int)(strchr(l, '\n') - l), l);
		assert_non_null(strstr(line, " 5 "));
		assert_non_null(strstr(line, " 4.9K "));
	}
}

static void test_table_empty(void **state)
{
	struct ctx *c = *state;
	const char *out;

	OPTS(c, "top");
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_non_null(strstr(out, "0 sockets (0 shown)"));
	assert_non_null(strstr(out, "(no TCP socket read from or holding unread data)"));
}

/* Losses other than the ring buffer's: in the header when there are some. */
static void test_table_losses_in_header(void **state)
{
	struct ctx *c = *state;
	const char *out;

	OPTS(c, "top");
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	make_frame(c, false, 1.0, 2);
	c->fr.lost.missed_reads = 5;
	c->fr.lost.untracked_sockets = 7;
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(count_lines_with(out, "lost events 0"), 1);
	assert_int_equal(count_lines_with(out, "lost events 2  missed reads 5  "
					  "untracked sockets 7 (counts are low)"), 1);
	assert_int_equal(count_lines_with(out, "missed reads"), 1);
	assert_int_equal(count_lines_with(out, "untracked sockets"), 1);
}

/*
 * Hook misses: in the header when there are some; a miss may be of a socket
 * not watched, so the counts may be low, not are.
 */
static void test_table_hook_misses(void **state)
{
	struct ctx *c = *state;
	const char *out;

	OPTS(c, "top");
	make_frame(c, false, 1.0, 0);
	c->fr.lost.hook_misses = 9;
	render_interval(&c->r, &c->fr);
	make_frame(c, false, 1.0, 1);
	c->fr.lost.hook_misses = 4;
	render_interval(&c->r, &c->fr);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(count_lines_with(out, "lost events 0  hook misses 9 (counts may "
					  "be low)  folded closes 0"), 1);
	assert_int_equal(count_lines_with(out, "lost events 1  hook misses 4 (counts are "
					  "low)  folded closes 0"), 1);
	assert_int_equal(count_lines_with(out, "lost events 0  folded closes 0"), 1);
	assert_int_equal(count_lines_with(out, "hook misses"), 2);
}

static void test_json_losses(void **state)
{
	struct ctx *c = *state;
	struct losses d = { .events = 3, .missed_reads = 4, .untracked_sockets = 5,
			    .close_folded = 6, .hook_misses = 8 };
	const char *out, *e;

	OPTS(c, "trace", "-o", "json");
	render_lost(&c->r, &d);
	make_frame(c, true, 2.0, 3);
	c->fr.lost.missed_reads = 4;
	c->fr.lost.untracked_sockets = 5;
	c->fr.lost.hook_misses = 2;
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 2);
	assert_true(strncmp(out, "{\"type\":\"lost\",\"time\":\"", 23) == 0);
	e = strchr(out, '\n');
	FIELD(out, e, "lost_events", "3");
	FIELD(out, e, "missed_reads", "4");
	FIELD(out, e, "untracked_sockets", "5");
	FIELD(out, e, "close_folded", "6");
	FIELD(out, e, "hook_misses", "8");
	e = out + strlen(out);
	FIELD(strchr(out, '\n') + 1, e, "lost_events", "3");
	FIELD(strchr(out, '\n') + 1, e, "missed_reads", "4");
	FIELD(strchr(out, '\n') + 1, e, "untracked_sockets", "5");
	FIELD(strchr(out, '\n') + 1, e, "hook_misses", "2");
}

static void test_table_lost_line(void **state)
{
	struct ctx *c = *state;
	struct losses d = { .events = 12, .missed_reads = 0, .untracked_sockets = 1,
			    .close_folded = 7 };
	struct losses m = { .hook_misses = 3 };

	OPTS(c, "trace");
	render_lost(&c->r, &d);
	render_lost(&c->r, &m);
	assert_int_equal(count_lines_with(output(c), " lost: 12 events (ring buffer full), "
					  "0 reads missed, 1 sockets untracked, 7 close "
					  "records folded, 0 hook misses (events of any "
					  "socket): the trace is incomplete here"), 1);
	/* misses alone: they may not concern the sockets traced */
	assert_int_equal(count_lines_with(output(c), " lost: 0 events (ring buffer full), "
					  "0 reads missed, 0 sockets untracked, 0 close "
					  "records folded, 3 hook misses (events of any "
					  "socket): the trace may be incomplete here"), 1);
}

static void test_table_verbose_attach(void **state)
{
	struct ctx *c = *state;
	const char *out;

	OPTS(c, "top", "-v");
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = output(c);
	assert_non_null(strstr(out, "attach: read=tracepoint arrival=tracepoint "
				    "close=tracepoint sockets=iterator state=iterator window_out=tracepoint "
				    "window_in=tracepoint drops=tracepoint\n"));
}

static void test_table_trace(void **state)
{
	struct ctx *c = *state;
	struct bs_read_rec rd;
	const char *out;

	OPTS(c, "trace");
	render_trace_header(&c->r);
	read_rec(&rd);
	render_read(&c->r, &rd);
	read_rec(&rd);
	rd.ret = 0;
	rd.syscall_nr = BS_NR_READ;
	render_read(&c->r, &rd);
	read_rec(&rd);
	rd.ret = -11;
	rd.flags = BS_RF_PEEK;
	rd.syscall_nr = (uint32_t)-1;
	strcpy(rd.comm, "\x1b[1mbold");
	render_read(&c->r, &rd);
	/* no errno (the kernel's are -4095..-1): the number, not negated
	 * (INT_MIN was, UB: found by tests/fuzz) */
	read_rec(&rd);
	rd.ret = INT32_MIN;
	render_read(&c->r, &rd);
	out = output(c);
	assert_no_escape(out);
	assert_int_equal(count_lines_with(out, " -2147483648 "), 1);
	assert_int_equal(count_lines_with(out, "TIME"), 1);
	assert_int_equal(count_lines_with(out, "SYSCALL"), 1);
	assert_int_equal(count_lines_with(out, "127.0.0.1:5000>127.0.0.1:40000"), 4);
	assert_int_equal(count_lines_with(out, " recvfrom "), 2);
	assert_int_equal(count_lines_with(out, "10240>6144"), 4);
	assert_int_equal(count_lines_with(out, " EOF "), 1);
	assert_int_equal(count_lines_with(out, " read "), 1);
	assert_int_equal(count_lines_with(out, " EAGAIN "), 1);
	assert_int_equal(count_lines_with(out, " other "), 1);
	assert_int_equal(count_lines_with(out, "?[1mbold"), 1);
	assert_int_equal(count_lines_with(out, "6144 peek"), 1);
	{
		/* the peek line has no known request size */
		const char *l = strstr(out, "?[1mbold");
		char line[256];

		snprintf(line, sizeof(line), "%.*s", (int)(strchr(l, '\n') - l), l);
		assert_non_null(strstr(line, " ? "));
	}
}

static void test_json_mode_prints_no_trace_header(void **state)
{
	struct ctx *c = *state;

	OPTS(c, "trace", "-o", "json");
	render_trace_header(&c->r);
	assert_int_equal(strlen(output(c)), 0);
}

static void test_table_close(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out;

	OPTS(c, "trace");
	rec_reader42(&r, BS_REC_CLOSE);
	feed(c, &r);
	render_close(&c->r, model_find(&c->m, 42));
	out = output(c);
	/* no resolver: the cgroup unknown, '-' */
	assert_string_equal(out, "close: pid 1234 reader 10.0.0.1:5000>10.0.0.2:40000 "
				 "cgroup -: 5 reads, 5000 bytes, peak queue 900\n");
}

/*
 * A socket that received data but was never read (no reader) and whose holder
 * /proc has not named yet closes during `trace`: its owner is unknown, as the
 * table's "-" and the JSON's "pid":null say elsewhere. The close line must not
 * claim pid 0 (the kernel's idle task).
 */
static void test_table_close_unknown_owner(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out;

	OPTS(c, "trace");
	rec_base(&r, BS_REC_CLOSE, 46, "10.0.0.1", 5002, "10.0.0.4", 40002);
	r.flags = BS_SF_HAS_STATE;
	r.state.c.arrivals = 3;
	r.state.c.queue_peak = 2048;
	feed(c, &r);
	assert_int_equal(model_find(&c->m, 46)->owner, OWNER_UNKNOWN);
	render_close(&c->r, model_find(&c->m, 46));
	out = output(c);
	assert_non_null(strstr(out, "10.0.0.1:5002>10.0.0.4:40002"));
	assert_non_null(strstr(out, "peak queue 2048"));
	if (strstr(out, "pid 0 "))
		fail_msg("close line of an unknown owner claims pid 0: %s", out);
}

/* ---- flow control ------------------------------------------------------------ */

#define MS 1000000ULL
#define SEC 1000000000ULL

/* Output written since *mark; moves the mark to the end. */
static const char *take(struct ctx *c, size_t *mark)
{
	const char *p;

	assert_int_equal(fflush(c->f), 0);
	p = c->buf + *mark;
	*mark = c->len;
	return p;
}

/* Socket 42 at 10 s with flow state: an open episode of its own window,
 * an ended one of the peer's, drops, buffer changes, windows. */
static void rec_flow42(struct bs_sock_rec *r, uint32_t kind)
{
	struct bs_flow_state *f = &r->state.f;

	rec_reader42(r, kind);
	r->ts_ns = 10 * SEC;
	r->rcv_wnd = 1000;
	r->snd_wnd = 2000;
	r->send_queue = 300;
	r->state.c.last_read_ns = 9 * SEC + 500 * MS;
	f->zw[BS_ZW_SENT].segments = 7;
	f->zw[BS_ZW_SENT].episodes = 2;
	f->zw[BS_ZW_SENT].ended = 1;
	f->zw[BS_ZW_SENT].total_ns = 1500000;		/* 1.5 ms */
	f->zw[BS_ZW_SENT].start_ns = 10 * SEC - 1 * MS;	/* open for 1 ms */
	f->zw[BS_ZW_SENT].probes = 4;			/* received */
	f->zw[BS_ZW_RECV].segments = 3;
	f->zw[BS_ZW_RECV].episodes = 1;
	f->zw[BS_ZW_RECV].ended = 1;
	f->zw[BS_ZW_RECV].total_ns = 2 * MS;
	f->zw[BS_ZW_RECV].probes = 5;			/* sent */
	f->drops = 3;
	f->rcvbuf_changes = 2;
	f->nonempty_since_ns = 9 * SEC;
	f->age_max_ns = 2500000;			/* 2.5 ms */
}

static void test_json_flow_fields(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *s, *e;
	size_t mark = 0;

	OPTS(c, "top", "-o", "json");
	rec_flow42(&r, BS_REC_SOCK);
	feed(c, &r);
	model_set_drops(&c->m, 42, 32, 3);

	/* the first interval: everything so far */
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = take(c, &mark);
	assert_int_equal(assert_json_lines(out), 1);
	s = array_elem(out, "sockets", 0, &e);
	assert_non_null(s);
	FIELD(s, e, "zero_window_sent", "7");
	FIELD(s, e, "zero_window_recv", "3");
	FIELD(s, e, "zero_window_episodes_sent", "2");
	FIELD(s, e, "zero_window_episodes_recv", "1");
	FIELD(s, e, "zero_window_sent_ms", "2.500");	/* 1.5 ended + 1 open */
	FIELD(s, e, "zero_window_recv_ms", "2.000");
	FIELD(s, e, "zero_window_ms", "4.500");
	/* probes: sent while the peer's window was 0, received while ours was */
	FIELD(s, e, "zero_window_probes_sent", "5");
	FIELD(s, e, "zero_window_probes_recv", "4");
	FIELD(s, e, "zero_window_open", "\"sent\"");
	FIELD(s, e, "drops", "3");
	FIELD(s, e, "rcv_wnd", "1000");
	FIELD(s, e, "peer_rcv_wnd", "2000");
	FIELD(s, e, "send_queue", "300");
	FIELD(s, e, "rcvbuf_changes", "2");
	/* 300 bytes waiting; read at 9.5 s (after they began waiting at 9 s) */
	FIELD(s, e, "reader_stall_ms", "500.000");

	/* the next interval: only what changed */
	r.ts_ns = 11 * SEC;
	r.state.f.zw[BS_ZW_SENT].segments = 12;
	r.state.f.zw[BS_ZW_RECV].segments = 4;
	r.state.f.zw[BS_ZW_RECV].episodes = 2;
	r.state.f.zw[BS_ZW_RECV].start_ns = 10 * SEC + 800 * MS;	/* 200 ms */
	r.state.f.zw[BS_ZW_RECV].probes = 6;
	r.state.f.drops = 4;
	r.rcv_wnd = 0;
	r.state.c.last_read_ns = 0;
	feed(c, &r);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = take(c, &mark);
	assert_int_equal(assert_json_lines(out), 1);
	s = array_elem(out, "sockets", 0, &e);
	assert_non_null(s);
	FIELD(s, e, "zero_window_sent", "5");
	FIELD(s, e, "zero_window_recv", "1");
	FIELD(s, e, "zero_window_episodes_sent", "0");
	FIELD(s, e, "zero_window_episodes_recv", "1");
	FIELD(s, e, "zero_window_sent_ms", "1000.000");	/* the open one ran on */
	FIELD(s, e, "zero_window_recv_ms", "200.000");
	FIELD(s, e, "zero_window_ms", "1200.000");
	FIELD(s, e, "zero_window_probes_sent", "1");
	FIELD(s, e, "zero_window_probes_recv", "0");
	FIELD(s, e, "zero_window_open", "\"both\"");
	FIELD(s, e, "drops", "1");
	FIELD(s, e, "rcvbuf_changes", "0");
	FIELD(s, e, "rcv_wnd", "0");
	/* no read known any more: waiting since 9 s */
	FIELD(s, e, "reader_stall_ms", "2000.000");

	/* the summary: totals */
	make_frame(c, true, 2.0, 0);
	render_summary(&c->r, &c->fr);
	out = take(c, &mark);
	assert_int_equal(assert_json_lines(out), 1);
	s = array_elem(out, "sockets", 0, &e);
	assert_non_null(s);
	FIELD(s, e, "zero_window_sent", "12");
	FIELD(s, e, "zero_window_recv", "4");
	FIELD(s, e, "zero_window_episodes_sent", "2");
	FIELD(s, e, "zero_window_episodes_recv", "2");
	FIELD(s, e, "zero_window_sent_ms", "1002.500");
	FIELD(s, e, "zero_window_recv_ms", "202.000");
	FIELD(s, e, "zero_window_ms", "1204.500");
	FIELD(s, e, "zero_window_probes_sent", "6");
	FIELD(s, e, "zero_window_probes_recv", "4");
	FIELD(s, e, "drops", "4");
	FIELD(s, e, "drop_reasons", "{\"TCP_ZEROWINDOW\":3,\"OTHER\":1}");	/* 4 drops, 3 with a named reason */
	FIELD(s, e, "rcvbuf_changes", "2");
	FIELD(s, e, "byte_age_max_ms", "2.500");
}

static void test_json_zero_window_open_values(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *s, *e;

	OPTS(c, "top", "-o", "json", "-s", "pid");
	/* 42: only the peer's window is 0 */
	rec_flow42(&r, BS_REC_SOCK);
	r.state.f.zw[BS_ZW_SENT].start_ns = 0;
	r.state.f.zw[BS_ZW_RECV].start_ns = 9 * SEC;
	feed(c, &r);
	/* 45: none open */
	rec_flow42(&r, BS_REC_SOCK);
	r.cookie = 45;
	r.state.reader.pid = 1235;
	r.state.f.zw[BS_ZW_SENT].start_ns = 0;
	feed(c, &r);
	/* 46: closed during an episode */
	rec_flow42(&r, BS_REC_CLOSE);
	r.cookie = 46;
	r.state.reader.pid = 1236;
	feed(c, &r);
	make_frame(c, true, 1.0, 0);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	s = array_elem(out, "sockets", 0, &e);
	FIELD(s, e, "cookie", "42");
	FIELD(s, e, "zero_window_open", "\"recv\"");
	s = array_elem(out, "sockets", 1, &e);
	FIELD(s, e, "cookie", "45");
	FIELD(s, e, "zero_window_open", "null");
	s = array_elem(out, "sockets", 2, &e);
	FIELD(s, e, "cookie", "46");
	FIELD(s, e, "closed", "true");
	FIELD(s, e, "zero_window_open", "null");
	/* a closed socket has no window and nothing in flight */
	FIELD(s, e, "rcv_wnd", "0");
	FIELD(s, e, "peer_rcv_wnd", "0");
	FIELD(s, e, "send_queue", "0");
	FIELD(s, e, "reader_stall_ms", "null");
	/* its counters are kept */
	FIELD(s, e, "zero_window_sent", "7");
	FIELD(s, e, "drops", "3");
}

static void test_json_summary_drop_reasons(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *s, *e;

	OPTS(c, "top", "-o", "json");
	rec_flow42(&r, BS_REC_SOCK);
	r.state.f.drops = 10;
	feed(c, &r);
	model_set_drops(&c->m, 42, 32, 3);
	model_set_drops(&c->m, 42, 6, 2);
	model_set_drops(&c->m, 42, 77, 4);	/* not in the enum */
	model_set_drops(&c->m, 42, 41, 1);
	model_set_drops(&c->m, 42, 32, 3);
	make_frame(c, false, 1.0, 0);
	model_set_drops(&c->m, 42, 6, 5);
	make_frame(c, true, 1.0, 0);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	s = array_elem(out, "sockets", 0, &e);
	FIELD(s, e, "drops", "10");
	FIELD(s, e, "drop_reasons", "{\"TCP_ZEROWINDOW\":3,\"SOCKET_RCVBUFF\":5,"
				    "\"REASON_77\":4,\"TCP_OLD_SEQUENCE\":1}");
	/* by class: a probe is expected; the rest, the unnamed one too, lost.
	 * The reasons, read after the counter, already have 3 more drops. */
	FIELD(s, e, "drops_lost", "12");
	FIELD(s, e, "drops_expected", "1");
	s = array_elem(out, "processes", 0, &e);
	FIELD(s, e, "drops", "10");
	FIELD(s, e, "drops_lost", "12");
	FIELD(s, e, "drops_expected", "1");
}

/* An interval's drop_reasons are the drops of that interval (as its `drops`),
 * rendered the way session.c renders: model_take_interval, then the frame. */
static void test_json_interval_drop_reasons(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *s, *e;
	size_t mark = 0;

	OPTS(c, "top", "-o", "json");
	rec_flow42(&r, BS_REC_SOCK);
	r.state.f.drops = 4;
	feed(c, &r);
	model_set_drops(&c->m, 42, 32, 3);
	model_set_drops(&c->m, 42, 6, 1);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = take(c, &mark);
	s = array_elem(out, "sockets", 0, &e);
	FIELD(s, e, "drops", "4");
	FIELD(s, e, "drop_reasons", "{\"TCP_ZEROWINDOW\":3,\"SOCKET_RCVBUFF\":1}");

	r.state.f.drops = 6;
	feed(c, &r);
	model_set_drops(&c->m, 42, 32, 5);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = take(c, &mark);
	s = array_elem(out, "sockets", 0, &e);
	FIELD(s, e, "drops", "2");
	FIELD(s, e, "drop_reasons", "{\"TCP_ZEROWINDOW\":2}");
	FIELD(s, e, "drops_lost", "2");
	FIELD(s, e, "drops_expected", "0");

	/* zero-window probes: expected discards, not lost */
	r.state.f.drops = 9;
	feed(c, &r);
	model_set_drops(&c->m, 42, 41, 3);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = take(c, &mark);
	s = array_elem(out, "sockets", 0, &e);
	FIELD(s, e, "drops", "3");
	FIELD(s, e, "drop_reasons", "{\"TCP_OLD_SEQUENCE\":3}");
	FIELD(s, e, "drops_lost", "0");
	FIELD(s, e, "drops_expected", "3");
	s = array_elem(out, "processes", 0, &e);
	FIELD(s, e, "drops_lost", "0");
	FIELD(s, e, "drops_expected", "3");
}

/* byte_age_max_ms of an interval: the oldest byte a read took in it. */
static void test_json_interval_byte_age(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *s, *e;

	OPTS(c, "top", "-o", "json");
	rec_flow42(&r, BS_REC_SOCK);		/* age_max_ns 2.5 ms */
	feed(c, &r);
	assert_int_equal(model_find(&c->m, 42)->mark[0].age_max_interval_ns, 2500000);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = output(c);
	s = array_elem(out, "sockets", 0, &e);
	FIELD(s, e, "reads", "5");
	FIELD(s, e, "byte_age_max_ms", "2.500");
}

/* ---- episodes ---------------------------------------------------------------- */

static void flow_edge(struct ctx *c, uint32_t kind, uint64_t cookie, uint32_t dir,
		      uint64_t start, uint64_t end, uint32_t queue, uint64_t probes)
{
	struct bs_flow_rec f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.cookie = cookie;
	f.dir = dir;
	f.ts_ns = kind == BS_REC_ZW_START ? start : end;
	f.start_ns = start;
	f.duration_ns = kind == BS_REC_ZW_END ? end - start : 0;
	f.queue = queue;
	f.probes = probes;
	assert_int_equal(model_apply_flow(&c->m, &f), 0);
}

/*
 * Sockets at 3 s: 42 (reader 1234), 43 (held by fd 4321), 44 (IPv6, owner
 * unknown), 51 (the local peer of 43, reader 999 "slowpoke"). Episodes:
 *  E0 42 sent  1.0 s, open          65536 queued
 *  E1 43 recv  1.5 s - 1.7 s, 2 probes   (the reader is 51's)
 *  E2 42 recv  2.0 s - 2.1 s, end only   (the peer is not on this host)
 *  E3 43 sent  2.5 s, open
 *  E4 44 sent  2.95 s, open
 */
static void episode_world(struct ctx *c)
{
	struct bs_sock_rec r;

	three_sockets(c);
	rec_reader42(&r, BS_REC_SOCK);
	r.ts_ns = 3 * SEC;
	feed(c, &r);
	rec_base(&r, BS_REC_SOCK, 43, "10.0.0.1", 5001, "10.0.0.3", 40001);
	r.ts_ns = 3 * SEC;
	r.queue_bytes = 65536;
	feed(c, &r);
	rec_base(&r, BS_REC_SOCK, 44, "::1", 80, "::1", 50000);
	r.ts_ns = 3 * SEC;
	r.queue_bytes = 10;
	feed(c, &r);
	rec_base(&r, BS_REC_SOCK, 51, "10.0.0.3", 40001, "10.0.0.1", 5001);
	r.ts_ns = 3 * SEC;
	r.flags = BS_SF_HAS_STATE | BS_SF_HAS_READER;
	r.state.c.reads = 1;
	r.state.reader.pid = 999;
	r.state.reader.tid = 999;
	strcpy(r.state.reader.comm, "slowpoke");
	feed(c, &r);

	flow_edge(c, BS_REC_ZW_START, 42, BS_ZW_SENT, 1 * SEC, 0, 65536, 0);
	flow_edge(c, BS_REC_ZW_START, 43, BS_ZW_RECV, 1500 * MS, 0, 1000, 0);
	flow_edge(c, BS_REC_ZW_END, 43, BS_ZW_RECV, 1500 * MS, 1700 * MS, 1000, 2);
	flow_edge(c, BS_REC_ZW_END, 42, BS_ZW_RECV, 2000 * MS, 2100 * MS, 500, 1);
	flow_edge(c, BS_REC_ZW_START, 43, BS_ZW_SENT, 2500 * MS, 0, 4096, 0);
	flow_edge(c, BS_REC_ZW_START, 44, BS_ZW_SENT, 2950 * MS, 0, 10, 0);
	assert_int_equal(c->m.nepisodes, 5);
}

/* The interval as session.c emits it: frame, render, mark the episodes. */
static const char *json_interval_now(struct ctx *c, size_t *mark)
{
	const char *out;

	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	model_mark_episodes_reported(&c->m, 0);
	out = take(c, mark);
	assert_int_equal(assert_json_lines(out), 1);
	return out;
}

static void test_json_interval_episodes(void **state)
{
	struct ctx *c = *state;
	const char *out, *p, *e;
	size_t mark = 0;

	OPTS(c, "top", "-o", "json");
	episode_world(c);
	out = json_interval_now(c, &mark);

	p = array_elem(out, "episodes", 0, &e);
	assert_non_null(p);
	FIELD(p, e, "cookie", "42");
	FIELD(p, e, "direction", "\"sent\"");
	FIELD(p, e, "family", "\"ipv4\"");
	FIELD(p, e, "laddr", "\"10.0.0.1\"");
	FIELD(p, e, "lport", "5000");
	FIELD(p, e, "raddr", "\"10.0.0.2\"");
	FIELD(p, e, "rport", "40000");
	FIELD(p, e, "start_ns", "1000000000");
	FIELD(p, e, "end_ns", "null");
	FIELD(p, e, "open", "true");
	FIELD(p, e, "duration_ms", "2000.000");	/* up to the sample at 3 s */
	FIELD(p, e, "queued_bytes", "65536");
	FIELD(p, e, "probes", "null");
	FIELD(p, e, "reader_owner", "\"reader\"");
	FIELD(p, e, "reader_pid", "1234");
	FIELD(p, e, "reader_comm", "\"reader\"");

	p = array_elem(out, "episodes", 1, &e);
	assert_non_null(p);
	FIELD(p, e, "cookie", "43");
	FIELD(p, e, "direction", "\"recv\"");
	FIELD(p, e, "lport", "5001");
	FIELD(p, e, "start_ns", "1500000000");
	FIELD(p, e, "end_ns", "1700000000");
	FIELD(p, e, "open", "false");
	FIELD(p, e, "duration_ms", "200.000");
	FIELD(p, e, "queued_bytes", "1000");
	FIELD(p, e, "probes", "2");
	/* the peer's window: its reader is the local peer's, not 43's holder */
	FIELD(p, e, "reader_owner", "\"reader\"");
	FIELD(p, e, "reader_pid", "999");
	FIELD(p, e, "reader_comm", "\"slowpoke\"");

	p = array_elem(out, "episodes", 2, &e);
	assert_non_null(p);
	FIELD(p, e, "cookie", "42");
	FIELD(p, e, "direction", "\"recv\"");
	FIELD(p, e, "duration_ms", "100.000");
	FIELD(p, e, "probes", "1");
	FIELD(p, e, "reader_owner", "\"remote\"");
	FIELD(p, e, "reader_pid", "null");
	FIELD(p, e, "reader_comm", "null");

	p = array_elem(out, "episodes", 3, &e);
	assert_non_null(p);
	FIELD(p, e, "cookie", "43");
	FIELD(p, e, "direction", "\"sent\"");
	FIELD(p, e, "open", "true");
	FIELD(p, e, "duration_ms", "500.000");
	FIELD(p, e, "reader_owner", "\"fd\"");
	FIELD(p, e, "reader_pid", "4321");
	FIELD(p, e, "reader_comm", "\"stalled\"");

	p = array_elem(out, "episodes", 4, &e);
	assert_non_null(p);
	FIELD(p, e, "cookie", "44");
	FIELD(p, e, "family", "\"ipv6\"");
	FIELD(p, e, "laddr", "\"::1\"");
	FIELD(p, e, "duration_ms", "50.000");
	FIELD(p, e, "reader_owner", "\"unknown\"");
	FIELD(p, e, "reader_pid", "null");
	FIELD(p, e, "reader_comm", "null");
	assert_null(array_elem(out, "episodes", 5, &e));

	/* the next interval: the open ones only; the ended ones were shown */
	out = json_interval_now(c, &mark);
	p = array_elem(out, "episodes", 0, &e);
	FIELD(p, e, "cookie", "42");
	FIELD(p, e, "open", "true");
	p = array_elem(out, "episodes", 1, &e);
	FIELD(p, e, "cookie", "43");
	FIELD(p, e, "direction", "\"sent\"");
	p = array_elem(out, "episodes", 2, &e);
	FIELD(p, e, "cookie", "44");
	assert_null(array_elem(out, "episodes", 3, &e));

	/* E0 ends: shown once as ended, then no more */
	flow_edge(c, BS_REC_ZW_END, 42, BS_ZW_SENT, 1 * SEC, 4 * SEC, 65536, 7);
	out = json_interval_now(c, &mark);
	p = array_elem(out, "episodes", 0, &e);
	FIELD(p, e, "cookie", "42");
	FIELD(p, e, "direction", "\"sent\"");
	FIELD(p, e, "end_ns", "4000000000");
	FIELD(p, e, "open", "false");
	FIELD(p, e, "duration_ms", "3000.000");
	FIELD(p, e, "probes", "7");
	assert_non_null(array_elem(out, "episodes", 2, &e));
	assert_null(array_elem(out, "episodes", 3, &e));
	out = json_interval_now(c, &mark);
	p = array_elem(out, "episodes", 0, &e);
	FIELD(p, e, "cookie", "43");
	p = array_elem(out, "episodes", 1, &e);
	FIELD(p, e, "cookie", "44");
	assert_null(array_elem(out, "episodes", 2, &e));
	NO_FIELD(out, out + strlen(out), "episodes_forgotten");
}

static void test_json_summary_episodes(void **state)
{
	struct ctx *c = *state;
	const char *out, *p, *e;
	size_t mark = 0;

	OPTS(c, "top", "-o", "json");
	episode_world(c);
	json_interval_now(c, &mark);
	json_interval_now(c, &mark);
	c->m.episodes_forgotten = 12;	/* as if the log had overflowed */
	make_frame(c, true, 5.0, 0);
	render_summary(&c->r, &c->fr);
	out = take(c, &mark);
	assert_int_equal(assert_json_lines(out), 1);
	/* every episode of the run, reported or not */
	for (int i = 0; i < 5; i++)
		assert_non_null(array_elem(out, "episodes", i, &e));
	assert_null(array_elem(out, "episodes", 5, &e));
	p = array_elem(out, "episodes", 1, &e);
	FIELD(p, e, "cookie", "43");
	FIELD(p, e, "probes", "2");
	FIELD(p, e, "reader_pid", "999");
	FIELD(out, out + strlen(out), "episodes_forgotten", "12");
}

/* With -p, episodes of sockets the filter hides are not shown either. */
static void test_json_episodes_follow_filter(void **state)
{
	struct ctx *c = *state;
	const char *out, *p, *e;
	size_t mark = 0;

	OPTS(c, "top", "-o", "json", "-p", "1234");
	episode_world(c);
	c->m.filter.npids = 1;	/* as session.c sets it from the options */
	c->m.filter.pids[0] = 1234;
	out = json_interval_now(c, &mark);
	p = array_elem(out, "episodes", 0, &e);
	FIELD(p, e, "cookie", "42");
	FIELD(p, e, "direction", "\"sent\"");
	p = array_elem(out, "episodes", 1, &e);
	FIELD(p, e, "cookie", "42");
	FIELD(p, e, "direction", "\"recv\"");
	assert_null(array_elem(out, "episodes", 2, &e));
	make_frame(c, true, 1.0, 0);
	render_summary(&c->r, &c->fr);
	out = take(c, &mark);
	assert_non_null(array_elem(out, "episodes", 1, &e));
	assert_null(array_elem(out, "episodes", 2, &e));
}

static void test_episode_owner(void **state)
{
	struct ctx *c = *state;
	const struct sock_entry *owner;
	struct episode ep = { 0 };

	OPTS(c, "top");
	episode_world(c);
	ep.cookie = 42;
	ep.dir = BS_ZW_SENT;
	assert_string_equal(render_episode_owner(&c->r, &ep, &owner), "reader");
	assert_ptr_equal(owner, model_find(&c->m, 42));
	ep.dir = BS_ZW_RECV;		/* 42's peer is elsewhere */
	assert_string_equal(render_episode_owner(&c->r, &ep, &owner), "remote");
	assert_null(owner);
	ep.cookie = 43;
	assert_string_equal(render_episode_owner(&c->r, &ep, &owner), "reader");
	assert_ptr_equal(owner, model_find(&c->m, 51));
	ep.dir = BS_ZW_SENT;
	assert_string_equal(render_episode_owner(&c->r, &ep, &owner), "fd");
	assert_ptr_equal(owner, model_find(&c->m, 43));
	ep.cookie = 51;			/* 51's peer is 43, held by fd */
	ep.dir = BS_ZW_RECV;
	assert_string_equal(render_episode_owner(&c->r, &ep, &owner), "fd");
	assert_ptr_equal(owner, model_find(&c->m, 43));
	ep.cookie = 44;
	ep.dir = BS_ZW_SENT;
	assert_string_equal(render_episode_owner(&c->r, &ep, &owner), "unknown");
	assert_null(owner);
}

/* ---- trace events: JSON -------------------------------------------------------- */

static void flow_event(struct bs_flow_rec *f, uint32_t kind)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->cookie = 42;
	f->ts_ns = 5 * SEC;
	f->ep.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", f->ep.saddr);
	inet_pton(AF_INET, "10.0.0.2", f->ep.daddr);
	f->ep.sport = 5000;
	f->ep.dport = 40000;
	f->reader.pid = 1234;
	f->reader.tid = 1235;
	strcpy(f->reader.comm, "reader");
}

static void test_json_flow_events(void **state)
{
	struct ctx *c = *state;
	struct bs_flow_rec f;
	const char *out, *l[6], *e;

	OPTS(c, "trace", "-o", "json");
	flow_event(&f, BS_REC_ZW_START);
	f.reader.cgroup_id = 777;	/* not in any cgroup table: path unknown */
	f.dir = BS_ZW_SENT;
	f.start_ns = 5 * SEC;
	f.queue = 65536;
	render_flow(&c->r, &f);
	flow_event(&f, BS_REC_ZW_END);
	f.dir = BS_ZW_RECV;
	f.start_ns = 5 * SEC - 1500 * 1000;
	f.duration_ns = 1500 * 1000;
	f.queue = 1000;
	f.probes = 3;
	render_flow(&c->r, &f);
	flow_event(&f, BS_REC_DROP);
	f.reason = 32;
	f.reader.pid = 0;		/* never read */
	f.reader.cgroup_id = 777;	/* no reader: not its cgroup */
	memset(f.reader.comm, 0, sizeof(f.reader.comm));
	render_flow(&c->r, &f);
	flow_event(&f, BS_REC_DROP);
	f.reason = 77;			/* not in this kernel's enum */
	strcpy(f.reader.comm, "\x1b[31mx\"");
	render_flow(&c->r, &f);
	flow_event(&f, BS_REC_RCVBUF);
	f.old_rcvbuf = 131072;
	f.new_rcvbuf = 262144;
	render_flow(&c->r, &f);
	/* not a flow record: nothing */
	flow_event(&f, BS_REC_READ);
	render_flow(&c->r, &f);
	flow_event(&f, 99);
	render_flow(&c->r, &f);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 5);
	assert_null(strchr(out, 0x1b));
	l[0] = out;
	for (int i = 1; i <= 5; i++)
		l[i] = strchr(l[i - 1], '\n') + 1;

	/* common fields, on every line */
	for (int i = 0; i < 5; i++) {
		e = l[i + 1];
		assert_true(strncmp(l[i], "{\"type\":\"", 9) == 0);
		assert_non_null(strstr(l[i], "\"time\":\""));
		FIELD(l[i], e, "ts_ns", "5000000000");
		FIELD(l[i], e, "cookie", "42");
		FIELD(l[i], e, "family", "\"ipv4\"");
		FIELD(l[i], e, "laddr", "\"10.0.0.1\"");
		FIELD(l[i], e, "lport", "5000");
		FIELD(l[i], e, "raddr", "\"10.0.0.2\"");
		FIELD(l[i], e, "rport", "40000");
	}

	e = l[1];
	FIELD(l[0], e, "type", "\"zero_window_start\"");
	FIELD(l[0], e, "pid", "1234");
	FIELD(l[0], e, "comm", "\"reader\"");
	FIELD(l[0], e, "cgroup_id", "777");
	FIELD(l[0], e, "cgroup", "null");
	FIELD(l[0], e, "container", "null");
	FIELD(l[0], e, "direction", "\"sent\"");
	FIELD(l[0], e, "start_ns", "5000000000");
	FIELD(l[0], e, "queued_bytes", "65536");
	NO_FIELD(l[0], e, "duration_ms");
	NO_FIELD(l[0], e, "reason");

	e = l[2];
	FIELD(l[1], e, "type", "\"zero_window_end\"");
	FIELD(l[1], e, "direction", "\"recv\"");
	FIELD(l[1], e, "start_ns", "4998500000");
	FIELD(l[1], e, "queued_bytes", "1000");
	FIELD(l[1], e, "duration_ms", "1.500");
	FIELD(l[1], e, "probes", "3");

	e = l[3];
	FIELD(l[2], e, "type", "\"drop\"");
	FIELD(l[2], e, "reason", "\"TCP_ZEROWINDOW\"");
	FIELD(l[2], e, "reason_code", "32");
	FIELD(l[2], e, "pid", "null");
	FIELD(l[2], e, "comm", "null");
	FIELD(l[2], e, "cgroup_id", "null");
	FIELD(l[2], e, "cgroup", "null");
	FIELD(l[2], e, "container", "null");
	NO_FIELD(l[2], e, "direction");
	NO_FIELD(l[2], e, "old_rcvbuf");

	e = l[4];
	FIELD(l[3], e, "type", "\"drop\"");
	FIELD(l[3], e, "reason", "\"REASON_77\"");
	FIELD(l[3], e, "reason_code", "77");
	FIELD(l[3], e, "comm", "\"\\u001b[31mx\\\"\"");

	e = l[5];
	FIELD(l[4], e, "type", "\"rcvbuf\"");
	FIELD(l[4], e, "old_rcvbuf", "131072");
	FIELD(l[4], e, "new_rcvbuf", "262144");
	FIELD(l[4], e, "pid", "1234");
	NO_FIELD(l[4], e, "reason");
	NO_FIELD(l[4], e, "direction");
}

/* ---- tables -------------------------------------------------------------------- */

/* Where the tok_index-th field of the line ends (offset from the line start). */
static long token_end(const char *line, int tok_index, char tok[][64])
{
	const char *v = line;

	assert_true(line_tokens(line, tok, 20) > tok_index);
	for (int i = 0; i <= tok_index; i++) {
		while (*v == ' ')
			v++;
		v += strlen(tok[i]);
	}
	return (long)(v - line);
}

/* The header's column `name` (field tok_index) ends where the row's value does. */
static void assert_column_aligned(const char *hdr, const char *line,
				  const char *name, int tok_index)
{
	char htok[20][64], vtok[20][64];
	long h = token_end(hdr, tok_index, htok), v = token_end(line, tok_index, vtok);

	assert_string_equal(htok[tok_index], name);
	if (h != v)
		fail_msg("column %s ends at %ld, its value \"%s\" at %ld", name, h,
			 vtok[tok_index], v);
}

static void test_table_flow_columns(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *hdr, *l;
	char tok[20][64];
	size_t mark = 0;

	OPTS(c, "top", "-s", "pid");
	rec_flow42(&r, BS_REC_SOCK);
	r.rcv_wnd = 65536;
	r.state.f.zw[BS_ZW_SENT].total_ns = 3600000;	/* + 1 ms open: 4.6 ms */
	feed(c, &r);
	/* 45: 12.4 s in episodes, none open */
	rec_flow42(&r, BS_REC_SOCK);
	r.cookie = 45;
	r.state.reader.pid = 1300;
	r.state.f.zw[BS_ZW_SENT].start_ns = 0;
	r.state.f.zw[BS_ZW_SENT].total_ns = 12400 * MS;
	r.state.f.zw[BS_ZW_RECV].episodes = 3;
	r.state.f.drops = 1234;
	feed(c, &r);
	/* 46: closed during an episode */
	rec_flow42(&r, BS_REC_CLOSE);
	r.cookie = 46;
	r.state.reader.pid = 1400;
	feed(c, &r);

	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = take(c, &mark);
	assert_no_escape(out);
	hdr = line_with(out, "DROPS");
	l = line_with(out, "1234 ");
	assert_int_equal(line_tokens(l, tok, 20), 18);
	assert_string_equal(tok[13], "64K");	/* WND */
	assert_string_equal(tok[14], "2/1!");	/* ZW: ours/peer's, one open */
	assert_string_equal(tok[15], "7ms");	/* ZW_TIME: 4.6 + 2 ms, both ways */
	assert_string_equal(tok[16], "3");	/* DROPS: no reason known, so lost */
	assert_string_equal(tok[17], "0");	/* DISC */
	assert_column_aligned(hdr, l, "WND", 13);
	assert_column_aligned(hdr, l, "ZW", 14);
	assert_column_aligned(hdr, l, "ZW_TIME", 15);
	assert_column_aligned(hdr, l, "DROPS", 16);

	l = line_with(out, "1300 ");
	assert_int_equal(line_tokens(l, tok, 20), 18);
	assert_string_equal(tok[13], "1000");
	assert_string_equal(tok[14], "2/3");
	assert_string_equal(tok[15], "12s");	/* 12.4 s + 2 ms: seconds */
	assert_string_equal(tok[16], "1234");
	assert_column_aligned(hdr, l, "DROPS", 16);

	l = line_with(out, "1400* ");
	assert_int_equal(line_tokens(l, tok, 20), 18);
	assert_string_equal(tok[13], "-");	/* closed: no window */
	assert_string_equal(tok[14], "2/1");	/* closed: nothing open */

	/* the next interval: deltas; 42's episode still open */
	rec_flow42(&r, BS_REC_SOCK);
	r.ts_ns = 11 * SEC;
	r.rcv_wnd = 0;
	r.state.f.zw[BS_ZW_SENT].total_ns = 3600000;
	r.state.f.drops = 5;
	feed(c, &r);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = take(c, &mark);
	l = line_with(out, "1234 ");
	assert_int_equal(line_tokens(l, tok, 20), 18);
	assert_string_equal(tok[13], "0");
	assert_string_equal(tok[14], "0/0!");
	assert_string_equal(tok[15], "1000ms");
	assert_string_equal(tok[16], "2");
}

static void test_table_interval_episodes(void **state)
{
	struct ctx *c = *state;
	const char *out, *sec;
	size_t mark = 0;

	OPTS(c, "top");
	episode_world(c);
	/* two more: 51 sent 2.2-2.5 s; 51 recv (its peer is 43) 2.6-2.62 s */
	flow_edge(c, BS_REC_ZW_END, 51, BS_ZW_SENT, 2200 * MS, 2500 * MS, 8192, 0);
	flow_edge(c, BS_REC_ZW_END, 51, BS_ZW_RECV, 2600 * MS, 2620 * MS, 100, 0);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	model_mark_episodes_reported(&c->m, 0);
	out = take(c, &mark);
	assert_no_escape(out);
	sec = strstr(out, "\nzero-window episodes:\n");
	assert_non_null(sec);
	/* after the socket lines */
	assert_true(strstr(out, "[::1]:80") < sec);
	sec++;
	assert_int_equal(count_lines_with(sec, "window 0 "), 5);
	assert_non_null(strstr(sec, "\n  window 0 sent     10.0.0.1:5000>10.0.0.2:40000: "
				    "OPEN for 2000.0 ms, 64K queued at start, "
				    "reader 1234 reader\n"));
	assert_non_null(strstr(sec, "\n  window 0 received 10.0.0.1:5001>10.0.0.3:40001: "
				    "lasted 200.0 ms, 1000 queued at start, "
				    "reader 999 slowpoke\n"));
	assert_non_null(strstr(sec, "\n  window 0 received 10.0.0.1:5000>10.0.0.2:40000: "
				    "lasted 100.0 ms, 500 queued at start, reader remote\n"));
	assert_non_null(strstr(sec, "\n  window 0 sent     10.0.0.1:5001>10.0.0.3:40001: "
				    "OPEN for 500.0 ms, 4.0K queued at start, "
				    "reader 4321 stalled\n"));
	assert_non_null(strstr(sec, "\n  window 0 sent     [::1]:80>[::1]:50000: "
				    "OPEN for 50.0 ms, 10 queued at start, reader unknown\n"));
	/* the first five, in order; then how many more */
	assert_true(strstr(sec, "OPEN for 2000.0") < strstr(sec, "lasted 200.0"));
	assert_true(strstr(sec, "lasted 200.0") < strstr(sec, "lasted 100.0"));
	assert_true(strstr(sec, "lasted 100.0") < strstr(sec, "OPEN for 500.0"));
	assert_true(strstr(sec, "OPEN for 500.0") < strstr(sec, "OPEN for 50.0"));
	assert_null(strstr(sec, "lasted 300.0"));
	assert_null(strstr(sec, "lasted 20.0"));
	assert_non_null(strstr(sec, "\n  ... and 2 more\n"));

	/* the next interval: the three open ones, nothing more */
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	model_mark_episodes_reported(&c->m, 0);
	out = take(c, &mark);
	sec = strstr(out, "zero-window episodes:\n");
	assert_non_null(sec);
	assert_int_equal(count_lines_with(sec, "window 0 "), 3);
	assert_int_equal(count_lines_with(sec, "OPEN for"), 3);
	assert_null(strstr(sec, "more"));

	/* all ended and shown: no section */
	flow_edge(c, BS_REC_ZW_END, 42, BS_ZW_SENT, 1 * SEC, 4 * SEC, 65536, 1);
	flow_edge(c, BS_REC_ZW_END, 43, BS_ZW_SENT, 2500 * MS, 4 * SEC, 4096, 1);
	flow_edge(c, BS_REC_ZW_END, 44, BS_ZW_SENT, 2950 * MS, 4 * SEC, 10, 1);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	model_mark_episodes_reported(&c->m, 0);
	out = take(c, &mark);
	assert_int_equal(count_lines_with(out, "lasted"), 3);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = take(c, &mark);
	assert_null(strstr(out, "zero-window episodes"));
	assert_null(strstr(out, "window 0"));
}

static void test_table_summary_episodes(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *sec;
	size_t mark = 0;

	OPTS(c, "top");
	/* the kernel's counters: more episodes than the log holds */
	rec_reader42(&r, BS_REC_SOCK);
	r.ts_ns = 3 * SEC;
	r.state.f.zw[BS_ZW_SENT].episodes = 12;
	r.state.f.zw[BS_ZW_RECV].episodes = 9;
	feed(c, &r);
	rec_base(&r, BS_REC_SOCK, 43, "10.0.0.1", 5001, "10.0.0.3", 40001);
	r.ts_ns = 3 * SEC;
	r.queue_bytes = 65536;
	r.flags = BS_SF_HAS_STATE;
	r.state.f.zw[BS_ZW_SENT].episodes = 1;
	r.state.f.zw[BS_ZW_RECV].episodes = 3;
	feed(c, &r);
	model_set_owner(model_find(&c->m, 43), 4321, "stalled");
	episode_world(c);
	flow_edge(c, BS_REC_ZW_END, 51, BS_ZW_SENT, 2200 * MS, 2500 * MS, 8192, 0);
	flow_edge(c, BS_REC_ZW_END, 51, BS_ZW_RECV, 2600 * MS, 2620 * MS, 100, 0);
	/* episode_world re-fed 42 and 43 without flow state: counters again */
	rec_reader42(&r, BS_REC_SOCK);
	r.ts_ns = 3 * SEC;
	r.state.f.zw[BS_ZW_SENT].episodes = 12;
	r.state.f.zw[BS_ZW_SENT].start_ns = 1 * SEC;
	r.state.f.zw[BS_ZW_RECV].episodes = 9;
	feed(c, &r);
	rec_base(&r, BS_REC_SOCK, 43, "10.0.0.1", 5001, "10.0.0.3", 40001);
	r.ts_ns = 3 * SEC;
	r.queue_bytes = 65536;
	r.flags = BS_SF_HAS_STATE;
	r.state.f.zw[BS_ZW_SENT].episodes = 1;
	r.state.f.zw[BS_ZW_SENT].start_ns = 2500 * MS;
	r.state.f.zw[BS_ZW_RECV].episodes = 3;
	feed(c, &r);

	/* intervals went by: the summary still lists the longest of the run */
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	model_mark_episodes_reported(&c->m, 0);
	take(c, &mark);
	make_frame(c, true, 5.0, 0);
	render_summary(&c->r, &c->fr);
	out = take(c, &mark);
	assert_no_escape(out);
	sec = strstr(out, "zero-window episodes: 13 sent, 12 received; the longest:\n");
	if (!sec)
		fail_msg("no summary episode header with the counters' 13/12 in:\n%s", out);
	assert_int_equal(count_lines_with(sec, "window 0 "), 5);
	assert_null(strstr(sec, "more"));
	/* longest first: 2000 (open), 500 (open), 300, 200, 100 ms */
	{
		const char *p[5] = {
			strstr(sec, "OPEN for 2000.0 ms"), strstr(sec, "OPEN for 500.0 ms"),
			strstr(sec, "lasted 300.0 ms"), strstr(sec, "lasted 200.0 ms"),
			strstr(sec, "lasted 100.0 ms"),
		};

		for (int i = 0; i < 5; i++)
			if (!p[i])
				fail_msg("episode %d of the longest missing in:\n%s", i, sec);
		for (int i = 1; i < 5; i++)
			assert_true(p[i - 1] < p[i]);
	}
	assert_null(strstr(sec, "50.0 ms"));	/* 44's, sixth */
	assert_null(strstr(sec, "20.0 ms"));	/* 51's recv, seventh */
	assert_non_null(strstr(sec, "lasted 300.0 ms, 8.0K queued at start, reader 999 slowpoke"));
}

static void test_table_episode_comm_sanitized(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out;

	OPTS(c, "top");
	rec_reader42(&r, BS_REC_SOCK);
	strcpy(r.state.reader.comm, "\x1b[2Jevil");
	feed(c, &r);
	flow_edge(c, BS_REC_ZW_START, 42, BS_ZW_SENT, 0, 0, 1, 0);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	make_frame(c, true, 1.0, 0);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_no_escape(out);
	assert_int_equal(count_lines_with(out, "window 0 sent"), 2);
	assert_int_equal(count_lines_with(out, "reader 1234 ?[2Jevil"), 2);
}

/* ---- trace events: table ------------------------------------------------------- */

static void test_table_flow_events(void **state)
{
	struct ctx *c = *state;
	struct bs_flow_rec f;
	const char *out;

	OPTS(c, "trace");
	flow_event(&f, BS_REC_ZW_START);
	f.queue = 100;
	render_flow(&c->r, &f);
	flow_event(&f, BS_REC_ZW_END);
	f.dir = BS_ZW_RECV;
	f.duration_ns = 1500 * 1000;
	f.probes = 3;
	render_flow(&c->r, &f);
	flow_event(&f, BS_REC_DROP);
	f.reason = 32;
	strcpy(f.reader.comm, "\x1b]0;t\x07");
	render_flow(&c->r, &f);
	flow_event(&f, BS_REC_DROP);
	f.reason = 77;
	f.reader.pid = 0;
	render_flow(&c->r, &f);
	flow_event(&f, BS_REC_RCVBUF);
	f.old_rcvbuf = 1000;
	f.new_rcvbuf = 2000;
	render_flow(&c->r, &f);
	flow_event(&f, BS_REC_READ);	/* not a flow record */
	render_flow(&c->r, &f);
	out = output(c);
	assert_no_escape(out);
	assert_null(strchr(out, 0x1b));
	assert_int_equal(count_lines_with(out, "\n"), 0);
	assert_int_equal(count_lines_with(out, "10.0.0.1:5000>10.0.0.2:40000"), 5);
	assert_int_equal(count_lines_with(out, "zero window sent: begins, 100 bytes queued"), 1);
	assert_int_equal(count_lines_with(out, "zero window received: ends after 1.500 ms, 3 probes"), 1);
	assert_int_equal(count_lines_with(out, "drop: TCP_ZEROWINDOW"), 1);
	assert_int_equal(count_lines_with(out, "drop: REASON_77"), 1);
	assert_int_equal(count_lines_with(out, "rcvbuf 1000 -> 2000"), 1);
	assert_int_equal(count_lines_with(out, " 1234 "), 4);
	assert_int_equal(count_lines_with(out, "?]0;t?"), 1);
	{
		/* no reader: "-" for pid, comm and cgroup */
		char tok[20][64];
		const char *l = line_with(out, "REASON_77");

		assert_true(line_tokens(l, tok, 20) >= 6);
		assert_string_equal(tok[1], "-");
		assert_string_equal(tok[2], "-");
		assert_string_equal(tok[3], "-");
		assert_string_equal(tok[4], "10.0.0.1:5000>10.0.0.2:40000");
	}
	{
		char tok[20][64];
		const char *l = line_with(out, "zero window sent");

		assert_true(line_tokens(l, tok, 20) >= 5);
		assert_string_equal(tok[1], "1234");
		assert_string_equal(tok[2], "reader");
	}
}

/* Token i of the (first) line of out that holds needle is want. */
static void assert_token(const char *out, const char *needle, int i, const char *want)
{
	char tok[20][64];
	const char *l = line_with(out, needle);

	assert_non_null(l);
	assert_true(line_tokens(l, tok, 20) > i);
	assert_string_equal(tok[i], want);
}

/*
 * trace's CGROUP column (after COMM, as in top): the cell top shows for the
 * same cgroup id (one function makes both): a path escaped, a container's
 * 12 digits, a long path's end after '~', '-' unknown or no reader; the
 * close line names it too.
 */
static void test_table_trace_cgroup(void **state)
{
	static const char *const subs[] = {
		"/svc", "/svc/a", "/evil\x1b[31m\"q\\",
		"/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
		"/long-0123456789012345678901234567890123",
		"/long-0123456789012345678901234567890123/tail-01234567890123456789012345",
	};
	enum { GONE = -2, ZERO = -1, SVC_A = 1, EVIL, DOCKER, LONG = 5 };
	static const struct {
		const char *comm;
		int sub;	/* an index in subs, GONE (no cgroup of the tree), ZERO */
		const char *cell;
	} reads[] = {
		{ "rd_a", SVC_A, "/svc/a" },
		{ "rd_evil", EVIL, "/evil?[31m\"q\\" },
		{ "rd_docker", DOCKER, "0123456789ab" },
		/* 63 characters: '~' and the path's last 62 */
		{ "rd_long", LONG, "~456789012345678901234567890123/tail-01234567890123456789012345" },
		{ "rd_gone", GONE, "-" },
		{ "rd_zero", ZERO, "-" },
	};
	struct ctx *c = *state;
	char root[] = "/tmp/bs-tracecg-XXXXXX", dir[256];
	uint64_t ino[6];
	struct bs_read_rec rd;
	struct bs_flow_rec f;
	struct bs_sock_rec r;
	struct stat st;
	const char *out, *e;

	assert_non_null(mkdtemp(root));
	for (size_t i = 0; i < 6; i++) {
		snprintf(dir, sizeof(dir), "%s%s", root, subs[i]);
		assert_int_equal(mkdir(dir, 0755), 0);
		assert_int_equal(stat(dir, &st), 0);
		ino[i] = st.st_ino;
	}
	OPTS(c, "trace");
	c->r.cgroups = cgroups_open(root);
	assert_non_null(c->r.cgroups);
	render_trace_header(&c->r);
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		read_rec(&rd);
		rd.cgroup_id = reads[i].sub >= 0 ? ino[reads[i].sub] :
			       reads[i].sub == GONE ? UINT64_MAX - 1 : 0;
		strcpy(rd.comm, reads[i].comm);
		render_read(&c->r, &rd);
	}
	flow_event(&f, BS_REC_DROP);
	f.reader.cgroup_id = ino[SVC_A];
	strcpy(f.reader.comm, "fl_a");
	render_flow(&c->r, &f);
	flow_event(&f, BS_REC_RCVBUF);
	f.reader.pid = 0;	/* no reader: whatever the id, none */
	f.reader.cgroup_id = ino[SVC_A];
	render_flow(&c->r, &f);
	rec_reader42(&r, BS_REC_CLOSE);
	r.state.reader.cgroup_id = ino[DOCKER];
	feed(c, &r);
	render_close(&c->r, model_find(&c->m, 42));
	out = output(c);
	assert_no_escape(out);
	assert_null(strchr(out, 0x1b));

	assert_token(out, "TIME", 3, "CGROUP");
	assert_token(out, "TIME", 4, "SOCKET");
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		assert_token(out, reads[i].comm, 3, reads[i].cell);
	assert_token(out, "rd_a", 4, "127.0.0.1:5000>127.0.0.1:40000");
	assert_int_equal(strlen(reads[3].cell), 63);
	assert_token(out, "fl_a", 3, "/svc/a");
	assert_token(out, "rcvbuf 0 -> 0", 3, "-");
	assert_int_equal(count_lines_with(out, "close: pid 1234 reader 10.0.0.1:5000>10.0.0.2:40000 "
					  "cgroup 0123456789ab: 5 reads"), 1);

	/* the same flow record in JSON: its reader's path and container id */
	cgroups_free(c->r.cgroups);
	OPTS(c, "trace", "-o", "json");
	c->r.cgroups = cgroups_open(root);
	assert_non_null(c->r.cgroups);
	flow_event(&f, BS_REC_ZW_START);
	f.reader.cgroup_id = ino[DOCKER];
	render_flow(&c->r, &f);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	e = out + strlen(out);
	assert_non_null(strstr(out, "\"cgroup_id\":"));
	FIELD(out, e, "container", "\"0123456789abcdef0123456789abcdef"
				   "0123456789abcdef0123456789abcdef\"");

	cgroups_free(c->r.cgroups);
	c->r.cgroups = NULL;
	for (size_t i = 6; i-- > 0;) {
		snprintf(dir, sizeof(dir), "%s%s", root, subs[i]);
		assert_int_equal(rmdir(dir), 0);
	}
	assert_int_equal(rmdir(root), 0);
}

/* A socket gone without its close record, and its process's folded closes. */
static void folded_and_vanished(struct ctx *c)
{
	struct bs_fold_key key = { .pid = 1234, .comm = "reader" };
	struct bs_sock_rec r;
	struct bs_fold f;

	rec_reader42(&r, BS_REC_SOCK);
	feed(c, &r);
	model_begin_pass(&c->m);
	model_end_pass(&c->m);
	memset(&f, 0, sizeof(f));
	f.t.reads = 3;
	f.t.bytes = 300;
	f.sockets = 2;
	f.hist[BS_HIST_RET][9] = 3;
	assert_int_equal(model_apply_fold(&c->m, &key, false, &f), 0);
}

static void test_json_folded_and_vanished(void **state)
{
	struct ctx *c = *state;
	const char *out, *s, *e;

	OPTS(c, "top", "-o", "json");
	folded_and_vanished(c);
	make_frame(c, true, 2.0, 0);
	c->fr.lost.close_folded = 5;
	c->fr.lost.close_fold_unowned = 1;
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 1);
	assert_non_null(strstr(out, "\"close_folded\":5,\"close_fold_unowned\":1,"));
	for (int i = 0; i < 2; i++) {
		s = array_elem(out, "sockets", i, &e);
		assert_non_null(s);
		if (strstr(s, "\"folded\":true") && strstr(s, "\"folded\":true") < e) {
			FIELD(s, e, "closed", "true");
			FIELD(s, e, "totals_complete", "true");
			FIELD(s, e, "folded_sockets", "2");
			FIELD(s, e, "reads", "3");
			FIELD(s, e, "bytes", "300");
			FIELD(s, e, "pid", "1234");
			FIELD(s, e, "comm", "\"reader\"");
		} else {
			FIELD(s, e, "cookie", "42");
			FIELD(s, e, "closed", "true");
			FIELD(s, e, "totals_complete", "false");
			FIELD(s, e, "folded", "false");
			FIELD(s, e, "folded_sockets", "null");
			FIELD(s, e, "reads", "5");
		}
	}
	/* one process: both rows, 1 socket + 2 folded ones */
	s = array_elem(out, "processes", 0, &e);
	assert_non_null(s);
	FIELD(s, e, "sockets", "3");
	FIELD(s, e, "reads", "8");
	FIELD(s, e, "bytes", "5300");
}

static void test_table_folded_and_vanished(void **state)
{
	struct ctx *c = *state;
	const char *out;

	OPTS(c, "top");
	folded_and_vanished(c);
	make_frame(c, true, 2.0, 0);
	c->fr.lost.close_folded = 5;
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_non_null(strstr(out, "folded closes 5\n"));
	assert_non_null(strstr(out, "1234*+ "));
	assert_non_null(strstr(out, "(folded closes)"));
	assert_non_null(strstr(out, "2 sockets"));
	assert_non_null(strstr(out, "+ closed without its final record"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* Counts only an absent hook makes are unknown (null, "-"), never 0. */
static void test_hooks_off(void **state)
{
	struct ctx *c = *state;
	struct bs_sock_rec r;
	const char *out, *s, *e, *l;
	char tok[20][64];
	size_t mark = 0;

	hooks[HOOK_DROPS].attached = hooks[HOOK_ARRIVAL].attached = false;
	OPTS(c, "top", "-o", "json");
	rec_flow42(&r, BS_REC_SOCK);
	feed(c, &r);
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = take(c, &mark);
	s = array_elem(out, "sockets", 0, &e);
	assert_non_null(s);
	FIELD(s, e, "drops", "null");
	FIELD(s, e, "drops_lost", "null");
	FIELD(s, e, "drops_expected", "null");
	FIELD(s, e, "drop_reasons", "null");
	FIELD(s, e, "arrivals", "null");
	FIELD(s, e, "zero_window_sent", "7");
	s = array_elem(out, "processes", 0, &e);
	assert_non_null(s);
	FIELD(s, e, "arrivals", "null");
	FIELD(s, e, "drops", "null");
	FIELD(s, e, "drops_lost", "null");
	FIELD(s, e, "drops_expected", "null");
	FIELD(s, e, "zero_window_episodes_sent", "2");

	OPTS(c, "top");
	mark = 0;
	make_frame(c, false, 1.0, 0);
	render_interval(&c->r, &c->fr);
	out = take(c, &mark);
	l = line_with(out, "1234 ");
	assert_int_equal(line_tokens(l, tok, 20), 18);
	assert_string_equal(tok[16], "-");	/* DROPS */
	assert_string_equal(tok[17], "-");	/* DISC */
	assert_column_aligned(line_with(out, "DROPS"), l, "DROPS", 16);
	assert_column_aligned(line_with(out, "DROPS"), l, "DISC", 17);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_json_interval_fields),
		T(test_json_interval_processes),
		T(test_json_summary),
		T(test_json_summary_closed_socket),
		T(test_json_folded_and_vanished),
		T(test_table_folded_and_vanished),
		T(test_json_empty_frame),
		T(test_json_escapes_comm),
		T(test_json_comm_full_16_bytes),
		T(test_json_read),
		T(test_json_close),
		T(test_json_close_without_hist),
		T(test_table_interval),
		T(test_table_escape_in_comm),
		T(test_table_escape_by_process),
		T(test_cgroup_escaped),
		T(test_table_rows_limit),
		T(test_table_by_process),
		T(test_table_summary_and_closed),
		T(test_table_empty),
		T(test_table_losses_in_header),
		T(test_table_hook_misses),
		T(test_json_losses),
		T(test_table_lost_line),
		T(test_table_verbose_attach),
		T(test_table_trace),
		T(test_json_mode_prints_no_trace_header),
		T(test_table_close),
		T(test_table_close_unknown_owner),
		T(test_json_flow_fields),
		T(test_hooks_off),
		T(test_json_zero_window_open_values),
		T(test_json_summary_drop_reasons),
		T(test_json_interval_drop_reasons),
		T(test_json_interval_byte_age),
		T(test_json_interval_episodes),
		T(test_json_summary_episodes),
		T(test_json_episodes_follow_filter),
		T(test_episode_owner),
		T(test_json_flow_events),
		T(test_table_flow_columns),
		T(test_table_interval_episodes),
		T(test_table_summary_episodes),
		T(test_table_episode_comm_sanitized),
		T(test_table_flow_events),
		T(test_table_trace_cgroup),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
