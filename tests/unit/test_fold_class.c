// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of what a close folded in the kernel keeps: the class of its
 * drops (the kernel's table of expected reasons, and the model's split of a
 * folded entry's drops, and of a socket gone without its close record, by
 * the kernel's counter of expected discards), and the "received windows
 * incomplete" mark on folded entries and on process rows, in the table and
 * in JSON.
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

/* Linux 6.18's values (the tests do not depend on them being right). */
enum { R_PROTO_MEM = 20, R_TCP_OLD_DATA = 33, R_TCP_OLD_SEQUENCE = 41,
       R_QUEUE_PURGE = 104, R_NEW_REASON = 200 };

static const struct test_reason reasons[] = {
	{ "SKB_NOT_DROPPED_YET", 0 }, { "SKB_CONSUMED", 1 },
	{ "SKB_DROP_REASON_PROTO_MEM", R_PROTO_MEM },
	{ "SKB_DROP_REASON_TCP_OLD_DATA", R_TCP_OLD_DATA },
	{ "SKB_DROP_REASON_TCP_OLD_SEQUENCE", R_TCP_OLD_SEQUENCE },
	{ "SKB_DROP_REASON_QUEUE_PURGE", R_QUEUE_PURGE },
	{ "SKB_DROP_REASON_SOMETHING_NEW", R_NEW_REASON },
};

static struct hook_status hooks[HOOK__COUNT] = TEST_HOOKS_ALL_ATTACHED;

static int setup(void **state)
{
	return render_ctx_setup(state, reasons, ARRAY_LEN(reasons));
}

static int teardown(void **state)
{
	return render_ctx_teardown(state);
}

/* ---- the kernel's table ---------------------------------------------------- */

/* The table the kernel counts by is the model's classification, value for
 * value: a folded drop and a socket's per-reason drop get the same class. */
static void test_expected_table(void **state)
{
	struct ctx *c = *state;
	static uint8_t table[BS_DROP_REASON_MAX];
	size_t expected = 0;

	memset(table, 0xee, sizeof(table));
	drop_reasons_expected_table(&c->reasons, table, BS_DROP_REASON_MAX);
	for (uint32_t v = 0; v < BS_DROP_REASON_MAX; v++) {
		assert_int_equal(table[v],
				 drop_reason_class(&c->reasons, v) == DROP_EXPECTED);
		expected += table[v];
	}
	assert_int_equal(table[R_TCP_OLD_SEQUENCE], 1);
	assert_int_equal(table[R_TCP_OLD_DATA], 1);
	assert_int_equal(table[R_QUEUE_PURGE], 1);
	assert_int_equal(table[R_PROTO_MEM], 0);
	assert_int_equal(table[R_NEW_REASON], 0);
	assert_int_equal(expected, 3);
	/* no names (a kernel without the enum): every drop is lost */
	memset(table, 0xee, sizeof(table));
	drop_reasons_expected_table(NULL, table, BS_DROP_REASON_MAX);
	for (uint32_t v = 0; v < BS_DROP_REASON_MAX; v++)
		assert_int_equal(table[v], 0);
}

/* The running kernel's core reasons all fit in the kernel side's table (a
 * value past it would be counted as lost there, whatever its name says);
 * subsystem reasons (SKB_DROP_REASON_SUBSYS_MASK, from 1 << 16) are not
 * TCP's. */
static void test_kernel_reasons_fit(void **state UNUSED)
{
	struct btf *btf = kernel_btf_or_skip();
	const struct btf_type *t;
	const struct btf_enum *e;
	uint32_t highest = 0;
	int id;

	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0) {
		btf__free(btf);
		print_message("no enum skb_drop_reason: skipped\n");
		skip();
	}
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		uint32_t v = (uint32_t)e[i].val;
		const char *name = btf__name_by_offset(btf, e[i].name_off);

		if (v >> 16 || strstr(name, "SUBSYS") || !strcmp(name, "SKB_DROP_REASON_MAX"))
			continue;
		if (v > highest)
			highest = v;
	}
	btf__free(btf);
	assert_true(highest > 1);
	assert_true(highest < BS_DROP_REASON_MAX);
}

/* ---- the split of a folded entry's drops ----------------------------------- */

static void sock(struct ctx *c, uint64_t cookie, uint32_t pid, uint64_t drops,
		 uint64_t drops_expected)
{
	struct bs_sock_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = BS_REC_SOCK;
	r.cookie = cookie;
	r.ts_ns = 10 * SEC;
	set_ep(&r.ep, "127.0.0.1", 8080, "127.0.0.1", (uint16_t)(40000 + cookie));
	r.flags = BS_SF_HAS_STATE | BS_SF_HAS_READER;
	r.state.c.reads = 1;
	r.state.f.drops = drops;
	r.state.f.drops_expected = drops_expected;
	r.state.reader.pid = pid;
	r.state.reader.tid = pid;
	strcpy(r.state.reader.comm, "srv");
	assert_int_equal(model_apply(&c->m, &r), 0);
}

/* The kernel's fold of pid's closes: drops, of which expected, and 2 sockets. */
static void fold(struct ctx *c, uint32_t pid, uint64_t drops, uint64_t expected,
		 uint32_t incomplete)
{
	struct bs_fold_key key = { .pid = pid, .comm = "srv" };
	struct bs_fold f;

	memset(&f, 0, sizeof(f));
	f.t.reads = 4;
	f.t.bytes = 400;
	f.t.drops = drops;
	f.t.drops_expected = expected;
	f.sockets = 2;
	f.incomplete = incomplete;
	assert_int_equal(model_apply_fold(&c->m, &key, false, &f), 0);
}

static const struct sock_row *folded_row(const struct sock_row *rows, long n)
{
	for (long i = 0; i < n; i++)
		if (rows[i].s->folded)
			return &rows[i];
	fail_msg("no folded row");
	return NULL;
}

static const struct sock_row *row_of(const struct sock_row *rows, long n,
				     uint64_t cookie)
{
	for (long i = 0; i < n; i++)
		if (rows[i].s->cookie == cookie)
			return &rows[i];
	fail_msg("no row for cookie %llu", (unsigned long long)cookie);
	return NULL;
}

/* Folded closes with zero-window probes and one memory drop: the probes are
 * expected, not lost, in the entry and in its process; the socket beside it
 * keeps its per-reason split. */
static void test_fold_split_summary(void **state)
{
	struct ctx *c = *state;
	const struct sock_row *r;
	struct sock_row *rows;
	struct proc_row *procs;
	long n, np;

	sock(c, 1, 100, 5, 4);
	model_set_drops(&c->m, 1, R_TCP_OLD_SEQUENCE, 4);
	model_set_drops(&c->m, 1, R_PROTO_MEM, 1);
	fold(c, 100, 10, 9, 0);
	n = model_summary(&c->m, &rows);
	assert_int_equal(n, 2);
	r = folded_row(rows, n);
	assert_int_equal(r->d.drops, 10);
	assert_int_equal(r->drops_expected, 9);
	assert_int_equal(r->drops_lost, 1);
	/* its reasons are not kept: all in OTHER, which the split no longer
	 * takes for lost */
	assert_int_equal(r->drops_other, 10);
	r = row_of(rows, n, 1);
	assert_int_equal(r->drops_expected, 4);
	assert_int_equal(r->drops_lost, 1);
	np = model_rollup(rows, (size_t)n, &procs);
	assert_int_equal(np, 1);
	assert_int_equal(procs[0].sockets, 3);
	assert_int_equal(procs[0].d.drops, 15);
	assert_int_equal(procs[0].d.drops_expected, 13);
	assert_int_equal(procs[0].drops_expected, 13);
	assert_int_equal(procs[0].drops_lost, 2);
	free(rows);
	free(procs);
}

/* Intervals take the fold's deltas, split alike. */
static void test_fold_split_intervals(void **state)
{
	struct ctx *c = *state;
	const struct sock_row *r;
	struct sock_row *rows;
	long n;

	fold(c, 100, 6, 6, 0);
	n = model_take_interval(&c->m, 0, &rows);
	r = folded_row(rows, n);
	assert_int_equal(r->drops_lost, 0);
	assert_int_equal(r->drops_expected, 6);
	free(rows);

	fold(c, 100, 11, 8, 0);		/* 5 more: 2 expected, 3 lost */
	n = model_take_interval(&c->m, 0, &rows);
	r = folded_row(rows, n);
	assert_int_equal(r->d.drops, 5);
	assert_int_equal(r->drops_expected, 2);
	assert_int_equal(r->drops_lost, 3);
	free(rows);

	n = model_summary(&c->m, &rows);
	r = folded_row(rows, n);
	assert_int_equal(r->drops_expected, 8);
	assert_int_equal(r->drops_lost, 3);
	free(rows);
}

/*
 * A socket sampled, then closed while the ring was full: its row keeps its
 * last sample's drops, while its per-reason counts, read later, include the
 * drops up to its close, which the fold holds too. Its row is split by its
 * own counter, so that no drop is split twice.
 */
static void test_vanished_split_by_counter(void **state)
{
	struct ctx *c = *state;
	const struct sock_row *r;
	struct sock_row *rows;
	long n;

	sock(c, 7, 100, 3, 2);
	model_begin_pass(&c->m);
	model_end_pass(&c->m);		/* gone without its record */
	model_set_drops(&c->m, 7, R_TCP_OLD_SEQUENCE, 6);
	model_set_drops(&c->m, 7, R_PROTO_MEM, 1);
	fold(c, 100, 4, 4, 0);		/* its tail: 4 more probes */
	n = model_summary(&c->m, &rows);
	r = row_of(rows, n, 7);
	assert_true(r->s->vanished);
	assert_int_equal(r->d.drops, 3);
	assert_int_equal(r->drops_expected, 2);
	assert_int_equal(r->drops_lost, 1);
	r = folded_row(rows, n);
	assert_int_equal(r->drops_expected, 4);
	assert_int_equal(r->drops_lost, 0);
	free(rows);
}

/* A socket whose drops did not all find a place in the kernel's table of
 * drops per reason (it was full: lost_events): those are OTHER, of the
 * class the kernel counted, not all taken for lost. */
static void test_unlisted_split_by_counter(void **state)
{
	struct ctx *c = *state;
	const struct sock_row *r;
	struct sock_row *rows;
	long n;

	sock(c, 9, 100, 10, 7);		/* 10 drops, 7 expected */
	model_set_drops(&c->m, 9, R_PROTO_MEM, 2);	/* 1 lost + 7 expected unlisted */
	n = model_summary(&c->m, &rows);
	r = row_of(rows, n, 9);
	assert_int_equal(r->drops_other, 8);
	assert_int_equal(r->drops_expected, 7);
	assert_int_equal(r->drops_lost, 3);
	free(rows);
}

/* A socket with nothing counted but its counts marked short (its received
 * windows had no room in the kernel's table of closing sockets) is listed:
 * what it did may be just what was not counted. */
static void test_incomplete_alone_listed(void **state)
{
	struct ctx *c = *state;
	struct sock_row *rows;
	struct bs_sock_rec r;
	long n;

	memset(&r, 0, sizeof(r));
	r.kind = BS_REC_CLOSE;
	r.cookie = 11;
	r.ts_ns = 10 * SEC;
	set_ep(&r.ep, "127.0.0.1", 40011, "127.0.0.1", 8080);
	r.flags = BS_SF_HAS_STATE;
	r.state.f.incomplete = BS_INC_ZW_RECV;
	assert_int_equal(model_apply(&c->m, &r), 0);
	n = model_summary(&c->m, &rows);
	assert_int_equal(n, 1);
	assert_true(rows[0].s->incomplete & BS_INC_ZW_RECV);
	free(rows);
}

/* ---- the "received windows incomplete" mark --------------------------------- */

static void use(struct ctx *c, const char *const *args)
{
	test_parse(&c->opt, args);
	test_memstream(&c->f, &c->buf, &c->len);
	unsetenv("COLUMNS");	/* a stream gets every column */
	{
		struct render_config rc;

		cmd_render_config(&c->opt, &rc);
		render_init(&c->r, c->f, &rc, hooks);
	}
	c->r.model = &c->m;
	c->r.reasons = &c->reasons;
}

#define USE(c, ...)							\
	do {								\
		static const char *const a_[] = { __VA_ARGS__, NULL };	\
		use(c, a_);						\
	} while (0)

static const char *output(struct ctx *c)
{
	assert_int_equal(fflush(c->f), 0);
	return c->buf;
}

/* pid 100: one socket whose received windows are short, one that is not;
 * pid 200: one socket with nothing short. Each sent 2 and received 1
 * zero-window episode. */
static void marked_sockets(struct ctx *c)
{
	struct bs_sock_rec r;

	for (uint64_t cookie = 1; cookie <= 3; cookie++) {
		memset(&r, 0, sizeof(r));
		r.kind = BS_REC_SOCK;
		r.cookie = cookie;
		r.ts_ns = 10 * SEC;
		set_ep(&r.ep, "127.0.0.1", 8080, "127.0.0.1", (uint16_t)(40000 + cookie));
		r.flags = BS_SF_HAS_STATE | BS_SF_HAS_READER;
		r.state.c.reads = 1;
		r.state.f.zw[BS_ZW_SENT].episodes = 2;
		r.state.f.zw[BS_ZW_RECV].episodes = 1;
		r.state.f.incomplete = cookie == 1 ? BS_INC_ZW_RECV : 0;
		r.state.reader.pid = cookie == 3 ? 200 : 100;
		r.state.reader.tid = r.state.reader.pid;
		strcpy(r.state.reader.comm, cookie == 3 ? "other" : "srv");
		assert_int_equal(model_apply(&c->m, &r), 0);
	}
}

/* The table line whose first cell is `pid` ("300*": closed). */
static void line_of_pid(const char *out, const char *pid, char *buf, size_t len)
{
	char needle[32];
	const char *l;

	snprintf(needle, sizeof(needle), "\n%s ", pid);
	l = strstr(out, needle);
	if (!l)
		fail_msg("no line of pid %s in:\n%s", pid, out);
	l++;
	snprintf(buf, len, "%.*s", (int)strcspn(l, "\n"), l);
}

/* --by process: the process with a short socket shows '+' in ZW, as the
 * socket does; the other none. */
static void test_table_process_incomplete(void **state)
{
	struct ctx *c = *state;
	char line[512];

	USE(c, "top", "-b", "process", "-s", "pid");
	marked_sockets(c);
	test_frame(&c->fr, &c->m, &c->rows, &c->procs, false, 1.0, SORT_PID);
	render_interval(&c->r, &c->fr);
	line_of_pid(output(c), "100", line, sizeof(line));
	assert_non_null(strstr(line, " 4/2+ "));
	line_of_pid(output(c), "200", line, sizeof(line));
	assert_non_null(strstr(line, " 2/1 "));
	assert_null(strstr(line, "+"));

	/* the summary too */
	USE(c, "top", "-b", "process", "-s", "pid");
	test_frame(&c->fr, &c->m, &c->rows, &c->procs, true, 1.0, SORT_PID);
	render_summary(&c->r, &c->fr);
	line_of_pid(output(c), "100", line, sizeof(line));
	assert_non_null(strstr(line, " 4/2+ "));
}

/* The value of "key" in the first object after `anchor` (flat objects). */
static void json_value(const char *out, const char *anchor, const char *key,
		       char *buf, size_t len)
{
	const char *a = strstr(out, anchor), *v;
	char k[64];

	if (!a)
		fail_msg("no %s in:\n%s", anchor, out);
	snprintf(k, sizeof(k), "\"%s\":", key);
	v = strstr(a, k);
	if (!v || memchr(a, '}', (size_t)(v - a)))
		fail_msg("no %s after %s in:\n%s", key, anchor, out);
	v += strlen(k);
	snprintf(buf, len, "%.*s", (int)strcspn(v, ",}"), v);
}

static void test_json_process_incomplete(void **state)
{
	struct ctx *c = *state;
	const char *out, *procs;
	char v[32];

	USE(c, "top", "-o", "json");
	marked_sockets(c);
	test_frame(&c->fr, &c->m, &c->rows, &c->procs, true, 1.0, SORT_PID);
	render_summary(&c->r, &c->fr);
	out = output(c);
	procs = strstr(out, "\"processes\":");
	assert_non_null(procs);
	json_value(procs, "{\"pid\":100,", "zero_window_recv_incomplete", v, sizeof(v));
	assert_string_equal(v, "true");
	json_value(procs, "{\"pid\":200,", "zero_window_recv_incomplete", v, sizeof(v));
	assert_string_equal(v, "false");
}

/* A fold of a socket whose received windows were short: the folded entry
 * and its process are marked, in JSON and in the table. */
static void test_folded_incomplete(void **state)
{
	struct ctx *c = *state;
	const char *out, *procs;
	char v[32], line[512];

	USE(c, "top", "-o", "json");
	fold(c, 300, 0, 0, BS_INC_ZW_RECV);
	fold(c, 400, 0, 0, 0);
	test_frame(&c->fr, &c->m, &c->rows, &c->procs, true, 1.0, SORT_PID);
	render_summary(&c->r, &c->fr);
	out = output(c);
	json_value(out, "\"pid\":300,", "folded", v, sizeof(v));
	assert_string_equal(v, "true");
	json_value(out, "\"pid\":300,", "zero_window_recv_incomplete", v, sizeof(v));
	assert_string_equal(v, "true");
	json_value(out, "\"pid\":400,", "zero_window_recv_incomplete", v, sizeof(v));
	assert_string_equal(v, "false");
	procs = strstr(out, "\"processes\":");
	assert_non_null(procs);
	json_value(procs, "{\"pid\":300,", "zero_window_recv_incomplete", v, sizeof(v));
	assert_string_equal(v, "true");
	json_value(procs, "{\"pid\":400,", "zero_window_recv_incomplete", v, sizeof(v));
	assert_string_equal(v, "false");

	/* the mark stays when a later fold of the same reader has none */
	fold(c, 300, 0, 0, 0);
	USE(c, "top", "-s", "pid");
	test_frame(&c->fr, &c->m, &c->rows, &c->procs, true, 1.0, SORT_PID);
	render_summary(&c->r, &c->fr);
	line_of_pid(output(c), "300*", line, sizeof(line));
	assert_non_null(strstr(line, "(folded closes)"));
	assert_non_null(strstr(line, " 0/0+ "));
	line_of_pid(output(c), "400*", line, sizeof(line));
	assert_non_null(strstr(line, " 0/0 "));
}

/* Closed sockets of pid 300 beyond the model's bound: evicted into one
 * entry of the process, which keeps their drops' split by reason class
 * (2 lost and 1 expected each), in JSON and in the table. */
static void test_evicted_entry(void **state)
{
	struct ctx *c = *state;
	const uint64_t n = MODEL_MAX_CLOSED + 100;
	char v[32], anchor[64];
	const char *out, *procs;
	struct bs_sock_rec r;

	model_begin_pass(&c->m);
	for (uint64_t cookie = 1; cookie <= n; cookie++) {
		memset(&r, 0, sizeof(r));
		r.kind = BS_REC_CLOSE;
		r.cookie = cookie;
		r.ts_ns = 10 * SEC;
		set_ep(&r.ep, "127.0.0.1", 8080, "127.0.0.1", (uint16_t)(20000 + cookie));
		r.flags = BS_SF_HAS_STATE | BS_SF_HAS_READER;
		r.state.c.reads = 1;
		r.state.c.bytes = 10;
		r.state.f.drops = 3;
		r.state.reader.pid = 300;
		r.state.reader.tid = 301;
		strcpy(r.state.reader.comm, "srv");
		assert_int_equal(model_apply(&c->m, &r), 0);
		model_set_drops(&c->m, cookie, R_PROTO_MEM, 2);
		model_set_drops(&c->m, cookie, R_TCP_OLD_SEQUENCE, 1);
	}
	model_end_pass(&c->m);
	for (int pass = 0; pass < 2; pass++) {
		model_begin_pass(&c->m);
		model_end_pass(&c->m);
	}
	assert_int_equal(c->m.evicted, 100);
	USE(c, "top", "-o", "json");
	test_frame(&c->fr, &c->m, &c->rows, &c->procs, true, 1.0, SORT_PID);
	render_summary(&c->r, &c->fr);
	out = output(c);
	snprintf(anchor, sizeof(anchor), "\"cookie\":%llu,",
		 (unsigned long long)MODEL_AGG_COOKIE(0));
	json_value(out, anchor, "evicted", v, sizeof(v));
	assert_string_equal(v, "true");
	json_value(out, anchor, "folded", v, sizeof(v));
	assert_string_equal(v, "true");
	json_value(out, anchor, "pid", v, sizeof(v));
	assert_string_equal(v, "300");
	json_value(out, anchor, "tid", v, sizeof(v));
	assert_string_equal(v, "null");
	json_value(out, anchor, "folded_sockets", v, sizeof(v));
	assert_string_equal(v, "100");
	json_value(out, anchor, "bytes", v, sizeof(v));
	assert_string_equal(v, "1000");
	json_value(out, anchor, "drops_lost", v, sizeof(v));
	assert_string_equal(v, "200");
	json_value(out, anchor, "drops_expected", v, sizeof(v));
	assert_string_equal(v, "100");
	json_value(out, "\"cookie\":1100,", "evicted", v, sizeof(v));
	assert_string_equal(v, "false");
	procs = strstr(out, "\"processes\":");
	assert_non_null(procs);
	json_value(procs, "{\"pid\":300,", "sockets", v, sizeof(v));
	assert_string_equal(v, "1124");
	json_value(procs, "{\"pid\":300,", "drops_lost", v, sizeof(v));
	assert_string_equal(v, "2248");
	json_value(procs, "{\"pid\":300,", "drops_expected", v, sizeof(v));
	assert_string_equal(v, "1124");

	USE(c, "top", "-s", "pid", "-w");
	test_frame(&c->fr, &c->m, &c->rows, &c->procs, true, 1.0, SORT_PID);
	render_summary(&c->r, &c->fr);
	out = output(c);
	assert_non_null(strstr(out, "(evicted closes)"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_expected_table),
		cmocka_unit_test(test_kernel_reasons_fit),
		T(test_fold_split_summary),
		T(test_fold_split_intervals),
		T(test_vanished_split_by_counter),
		T(test_unlisted_split_by_counter),
		T(test_incomplete_alone_listed),
		T(test_table_process_incomplete),
		T(test_json_process_incomplete),
		T(test_folded_incomplete),
		T(test_evicted_entry),
	};

	return cmocka_run_group_tests_name("fold_class", tests, NULL, NULL);
}
