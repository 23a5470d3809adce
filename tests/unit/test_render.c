// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/render_json.c and src/render_table.c: frames built from a
 * model fed with hand-made records, rendered into an in-memory stream.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "cli.h"
#include "collector.h"
#include "model.h"
#include "render.h"
#include "view.h"
#include "bufscope/syscalls.h"

#define UNUSED __attribute__((unused))

static const struct hook_status hooks[HOOK__COUNT] = {
	[HOOK_READ] = { "read", "tracepoint", "tp_btf/sock_recv_length", true, true, true },
	[HOOK_ARRIVAL] = { "arrival", "tracepoint", "tp_btf/sk_data_ready", false, true, true },
	[HOOK_CLOSE] = { "close", "tracepoint", "tp_btf/tcp_destroy_sock", false, true, true },
	[HOOK_SOCKETS] = { "sockets", "iterator", "iter/tcp", true, true, true },
};

/* ---- a minimal JSON syntax checker -------------------------------------- */

static const char *js_value(const char *p);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c >= 0x7f)	/* raw control or non-ASCII byte */
			return NULL;
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 5;
				continue;
			}
			if (!strchr("\"\\/bfnrt", *p) || !*p)
				return NULL;
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *js_number(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return NULL;
	if (*p == '0' && isdigit((unsigned char)p[1]))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p > s ? p : NULL;
}

static const char *js_container(const char *p, char open, char close, bool obj)
{
	if (*p++ != open)
		return NULL;
	p = js_ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		p = js_ws(p);
		if (obj) {
			p = js_string(p);
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = js_value(js_ws(p));
		if (!p)
			return NULL;
		p = js_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *js_value(const char *p)
{
	if (!p)
		return NULL;
	switch (*p) {
	case '{': return js_container(p, '{', '}', true);
	case '[': return js_container(p, '[', ']', false);
	case '"': return js_string(p);
	case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
	default: return js_number(p);
	}
}

/* Every line of out is one valid JSON object; returns the line count. */
static int assert_json_lines(const char *out)
{
	int lines = 0;

	while (*out) {
		const char *end = js_value(out);

		if (!end || *out != '{')
			fail_msg("not a JSON object line: %.300s", out);
		if (*end != '\n')
			fail_msg("garbage after the JSON object: %.100s", end);
		out = end + 1;
		lines++;
	}
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
	const char *e = js_value(p);

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

struct ctx {
	struct model m;
	struct options opt;
	struct render r;
	FILE *f;
	char *buf;
	size_t len;
	struct sock_row *rows;
	struct proc_row *procs;
	struct frame fr;
};

static void use_options(struct ctx *c, const char *const *args)
{
	char *argv[16];
	int argc = 0;
	struct cli_error e;

	argv[argc++] = "bufscope";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	if (cli_parse(argc, argv, &c->opt, &e))
		fail_msg("cli_parse: %s", e.msg);
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	render_init(&c->r, c->f, &c->opt, hooks);
	assert_false(c->r.redraw);	/* not a terminal */
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

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c || model_init(&c->m))
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (c->f)
		fclose(c->f);
	free(c->buf);
	free(c->rows);
	free(c->procs);
	model_free(&c->m);
	free(c);
	return 0;
}

static void rec_base(struct bs_sock_rec *r, uint32_t kind, uint64_t cookie,
		     const char *laddr, uint16_t lport, const char *raddr,
		     uint16_t rport)
{
	int fam = strchr(laddr, ':') ? AF_INET6 : AF_INET;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->cookie = cookie;
	r->inode = 5000 + cookie;
	r->ep.family = (uint16_t)fam;
	assert_int_equal(inet_pton(fam, laddr, r->ep.saddr), 1);
	assert_int_equal(inet_pton(fam, raddr, r->ep.daddr), 1);
	r->ep.sport = lport;
	r->ep.dport = rport;
	r->ep.tcp_state = 1;
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
	long n, np;

	free(c->rows);
	free(c->procs);
	n = summary ? model_summary(&c->m, &c->rows) : model_take_interval(&c->m, &c->rows);
	assert_true(n >= 0);
	np = model_rollup(c->rows, (size_t)n, &c->procs);
	assert_true(np >= 0);
	view_sort_socks(c->rows, (size_t)n, c->opt.sort);
	view_sort_procs(c->procs, (size_t)np, c->opt.sort);
	memset(&c->fr, 0, sizeof(c->fr));
	c->fr.elapsed_s = secs;
	c->fr.lost_events = lost;
	c->fr.rows = c->rows;
	c->fr.n = (size_t)n;
	c->fr.procs = c->procs;
	c->fr.np = (size_t)np;
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
	NO_FIELD(out, e, "attach");
	NO_FIELD(out, e, "duration_ms");
	NO_FIELD(out, e, "hist");

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
	FIELD(s, e, "zero_window_sent", "null");
	FIELD(s, e, "zero_window_recv", "null");
	FIELD(s, e, "zero_window_ms", "null");
	FIELD(s, e, "drops", "null");
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
	json_interval(&c->r, &c->fr);
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
				    "\"sockets\":\"iterator\"}"));

	s = array_elem(out, "sockets", 0, &e);
	assert_non_null(s);
	/* totals, not the last interval's delta */
	FIELD(s, e, "reads", "8");
	FIELD(s, e, "bytes", "8000");
	FIELD(s, e, "queue_peak", "900");
	assert_non_null(strstr(s, "\"hist\":{\"read_bytes\":[[1024,2048,3],[4096,8192,2]],"
				  "\"req_bytes\":[[4096,8192,4]],"
				  "\"queue_bytes\":[[0,1,1],[1073741824,null,1]]}"));
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
	json_summary(&c->r, &c->fr);
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
	json_interval(&c->r, &c->fr);
	make_frame(c, true, 10.0, 0);
	json_summary(&c->r, &c->fr);
	out = output(c);
	assert_int_equal(assert_json_lines(out), 2);
	assert_non_null(strstr(out, "\"interval_ms\":1000,\"lost_events\":0,"
				    "\"sockets\":[],\"processes\":[]}\n"));
	assert_non_null(strstr(out, "\"duration_ms\":10000,"));
	assert_non_null(strstr(out, "\"lost_events\":0,\"sockets\":[],\"processes\":[]}\n"));
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
	json_interval(&c->r, &c->fr);
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
	json_interval(&c->r, &c->fr);
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
	FIELD(out, e, "zero_window_sent", "null");
	NO_FIELD(out, e, "hist");
	NO_FIELD(out, e, "sockets");
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
	assert_non_null(strstr(out, "lost events 0\n"));
	assert_int_equal(count_lines_with(out, "PID"), 1);
	{
		static const char *const cols[] = {
			"PID", "COMM", "LOCAL", "REMOTE", "READS/s", "BYTES/s",
			"AVG_REQ", "AVG_RD", "QUEUE", "PEAK", "RCVBUF", "FILL%",
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
		char line[256];

		assert_non_null(l);
		l++;
		snprintf(line, sizeof(line), "%.*s", (int)(strchr(l, '\n') - l), l);
		assert_non_null(strstr(line, "[::1]:80"));
		assert_int_equal(line[strlen(line) - 1], '-');
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
	table_interval(&c->r, &c->fr);
	make_frame(c, true, 1.0, 0);
	table_summary(&c->r, &c->fr);
	render_close(&c->r, model_find(&c->m, 42));
	out = output(c);
	assert_null(strchr(out, 0x1b));
	assert_no_escape(out);
	assert_int_equal(count_lines_with(out, "?[31mevil???"), 3);
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
	table_interval(&c->r, &c->fr);
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
	table_interval(&c->r, &c->fr);
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
	table_interval(&c->r, &c->fr);
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
	table_interval(&c->r, &c->fr);
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
	table_interval(&c->r, &c->fr);
	out = output(c);
	assert_non_null(strstr(out, "0 sockets (0 shown)"));
	assert_non_null(strstr(out, "(no TCP socket read from or holding unread data)"));
}

static void test_table_verbose_attach(void **state)
{
	struct ctx *c = *state;
	const char *out;

	OPTS(c, "top", "-v");
	make_frame(c, false, 1.0, 0);
	table_interval(&c->r, &c->fr);
	out = output(c);
	assert_non_null(strstr(out, "attach: read=tracepoint arrival=tracepoint "
				    "close=tracepoint sockets=iterator\n"));
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
	out = output(c);
	assert_no_escape(out);
	assert_int_equal(count_lines_with(out, "TIME"), 1);
	assert_int_equal(count_lines_with(out, "SYSCALL"), 1);
	assert_int_equal(count_lines_with(out, "127.0.0.1:5000>127.0.0.1:40000"), 3);
	assert_int_equal(count_lines_with(out, " recvfrom "), 1);
	assert_int_equal(count_lines_with(out, "10240>6144"), 3);
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
	assert_string_equal(out, "close: pid 1234 reader 10.0.0.1:5000>10.0.0.2:40000: "
				 "5 reads, 5000 bytes, peak queue 900\n");
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

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_json_interval_fields),
		T(test_json_interval_processes),
		T(test_json_summary),
		T(test_json_summary_closed_socket),
		T(test_json_empty_frame),
		T(test_json_escapes_comm),
		T(test_json_comm_full_16_bytes),
		T(test_json_read),
		T(test_json_close),
		T(test_table_interval),
		T(test_table_escape_in_comm),
		T(test_table_escape_by_process),
		T(test_table_rows_limit),
		T(test_table_by_process),
		T(test_table_summary_and_closed),
		T(test_table_empty),
		T(test_table_verbose_attach),
		T(test_table_trace),
		T(test_json_mode_prints_no_trace_header),
		T(test_table_close),
		T(test_table_close_unknown_owner),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
