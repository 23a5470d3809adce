// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the drop classes: src/kernel/drop_reasons.c's table (which reasons
 * cost the receiver data, which are expected discards), and src/model/model.c's
 * split of each socket's and each process's drops by class, in intervals and
 * in the summary.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <cmocka.h>

#include "kernel/drop_reasons.h"
#include "model/model.h"
#include "model/view.h"
#include "testlib.h"

#define UNUSED __attribute__((unused))

/* Values of Linux 6.18 (the test does not depend on them being right). */
enum {
	R_NOT_SPECIFIED = 2, R_SOCKET_RCVBUFF = 6, R_PROTO_MEM = 20,
	R_TCP_ZEROWINDOW = 32, R_TCP_OLD_DATA = 33, R_TCP_OVERWINDOW = 34,
	R_TCP_OLD_SEQUENCE = 41, R_TCP_INVALID_SEQUENCE = 42,
	R_TCP_OFO_QUEUE_PRUNE = 52, R_QUEUE_PURGE = 104,
	R_NEW_REASON = 200,	/* a name bufscope does not know */
};

static const struct test_reason reasons_6_18[] = {
	{ "SKB_NOT_DROPPED_YET", 0 }, { "SKB_CONSUMED", 1 },
	{ "SKB_DROP_REASON_NOT_SPECIFIED", R_NOT_SPECIFIED },
	{ "SKB_DROP_REASON_SOCKET_RCVBUFF", R_SOCKET_RCVBUFF },
	{ "SKB_DROP_REASON_PROTO_MEM", R_PROTO_MEM },
	{ "SKB_DROP_REASON_TCP_ZEROWINDOW", R_TCP_ZEROWINDOW },
	{ "SKB_DROP_REASON_TCP_OLD_DATA", R_TCP_OLD_DATA },
	{ "SKB_DROP_REASON_TCP_OVERWINDOW", R_TCP_OVERWINDOW },
	{ "SKB_DROP_REASON_TCP_OLD_SEQUENCE", R_TCP_OLD_SEQUENCE },
	{ "SKB_DROP_REASON_TCP_INVALID_SEQUENCE", R_TCP_INVALID_SEQUENCE },
	{ "SKB_DROP_REASON_TCP_OFO_QUEUE_PRUNE", R_TCP_OFO_QUEUE_PRUNE },
	{ "SKB_DROP_REASON_QUEUE_PURGE", R_QUEUE_PURGE },
	{ "SKB_DROP_REASON_SOMETHING_NEW", R_NEW_REASON },
};

static int load_reasons(struct drop_reasons *dr)
{
	return test_load_reasons(dr, reasons_6_18, ARRAY_LEN(reasons_6_18));
}

/* ---- the table ------------------------------------------------------------- */

/* What a healthy connection drops by design: the expected discards. */
static const char *const expected[] = {
	"TCP_OLD_SEQUENCE", "TCP_OLD_DATA", "TCP_OFOMERGE", "TCP_OFO_DROP",
	"TCP_OLD_ACK", "TCP_RFC7323_PAWS_ACK", "QUEUE_PURGE", "SOCKET_CLOSE",
	"TCP_CLOSE", "TCP_ABORT_ON_DATA", "TCP_RFC7323_TW_PAWS",
};

static void test_classes_by_name(void **state UNUSED)
{
	/* data refused, and what nobody explained */
	static const char *const lost[] = {
		"PROTO_MEM", "SOCKET_RCVBUFF", "SOCKET_BACKLOG", "TCP_ZEROWINDOW",
		"TCP_OVERWINDOW", "TCP_OFO_QUEUE_PRUNE", "TCP_INVALID_SEQUENCE",
		"TCP_INVALID_END_SEQUENCE", "NOMEM", "TCP_CSUM", "NOT_SPECIFIED",
		/* not in the table: lost, so that no loss is hidden */
		"SOMETHING_NEW", "TCP_RFC7323_PAWS", "", "tcp_old_sequence",
		"TCP_OLD_SEQUENCE_", "SKB_DROP_REASON_TCP_OLD_SEQUENCE",
	};

	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		if (drop_class_of_name(expected[i]) != DROP_EXPECTED)
			fail_msg("%s is not an expected discard", expected[i]);
	for (size_t i = 0; i < sizeof(lost) / sizeof(lost[0]); i++)
		if (drop_class_of_name(lost[i]) != DROP_LOST)
			fail_msg("'%s' is not counted as lost", lost[i]);
}

static void test_classes_by_value(void **state UNUSED)
{
	struct drop_reasons dr;

	assert_int_equal(load_reasons(&dr), 0);
	assert_int_equal(drop_reason_class(&dr, R_TCP_OLD_SEQUENCE), DROP_EXPECTED);
	assert_int_equal(drop_reason_class(&dr, R_TCP_OLD_DATA), DROP_EXPECTED);
	assert_int_equal(drop_reason_class(&dr, R_QUEUE_PURGE), DROP_EXPECTED);
	assert_int_equal(drop_reason_class(&dr, R_PROTO_MEM), DROP_LOST);
	assert_int_equal(drop_reason_class(&dr, R_SOCKET_RCVBUFF), DROP_LOST);
	assert_int_equal(drop_reason_class(&dr, R_TCP_ZEROWINDOW), DROP_LOST);
	assert_int_equal(drop_reason_class(&dr, R_NEW_REASON), DROP_LOST);
	/* a gap in the enum, beyond it, and the two values that are no drops */
	assert_int_equal(drop_reason_class(&dr, 3), DROP_LOST);
	assert_int_equal(drop_reason_class(&dr, 100000), DROP_LOST);
	assert_int_equal(drop_reason_class(&dr, UINT32_MAX), DROP_LOST);
	drop_reasons_free(&dr);
	/* no enum (freed, or a kernel without it): every value is lost */
	assert_int_equal(drop_reason_class(&dr, R_TCP_OLD_SEQUENCE), DROP_LOST);
	assert_int_equal(drop_reason_class(NULL, R_TCP_OLD_SEQUENCE), DROP_LOST);
}

static bool kernel_has(const struct drop_reasons *dr, const char *name)
{
	for (size_t v = 0; v < dr->n; v++)
		if (dr->names[v] && !strcmp(dr->names[v], name))
			return true;
	return false;
}

/* The expected names are names the kernel really has (a typo in the table
 * would count a discard as lost), and the running kernel's values of them
 * classify as expected. */
static void test_kernel_names(void **state UNUSED)
{
	struct drop_reasons dr;
	size_t classified = 0;
	struct btf *btf;
	bool recent;

	btf = kernel_btf_or_skip();
	assert_int_equal(drop_reasons_load(&dr, btf), 0);
	btf__free(btf);
	/* the newest of them: older kernels lack a few */
	recent = kernel_has(&dr, "TCP_RFC7323_TW_PAWS");
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		assert_int_equal(drop_class_of_name(expected[i]), DROP_EXPECTED);
		if (recent && !kernel_has(&dr, expected[i]))
			fail_msg("the kernel has no drop reason %s", expected[i]);
	}
	for (size_t v = 0; v < dr.n; v++)
		if (dr.names[v] && drop_reason_class(&dr, (uint32_t)v) == DROP_EXPECTED) {
			classified++;
			assert_int_equal(drop_class_of_name(dr.names[v]), DROP_EXPECTED);
		}
	if (recent)
		assert_int_equal(classified, sizeof(expected) / sizeof(expected[0]));
	if (kernel_has(&dr, "TCP_OLD_SEQUENCE"))	/* the zero-window probes' */
		assert_true(classified >= 1);
	drop_reasons_free(&dr);
}

/* ---- the model's split ----------------------------------------------------- */

struct ctx {
	struct model m;
	struct drop_reasons dr;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c || model_init(&c->m) || model_cursor_open(&c->m, 0) != 0 ||
	    load_reasons(&c->dr))
		return -1;
	c->m.reasons = &c->dr;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	model_free(&c->m);
	drop_reasons_free(&c->dr);
	free(c);
	return 0;
}

/* A socket read by pid, with the kernel's total of drops charged to it. */
static void sock(struct ctx *c, uint64_t cookie, uint32_t pid, uint64_t drops)
{
	struct bs_sock_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = BS_REC_SOCK;
	r.cookie = cookie;
	r.ts_ns = 1000000;
	set_ep(&r.ep, "127.0.0.1", 8080, "127.0.0.1", (uint16_t)(40000 + cookie));
	r.flags = BS_SF_HAS_STATE | BS_SF_HAS_READER;
	r.state.c.reads = 1;
	r.state.f.drops = drops;
	r.state.reader.pid = pid;
	strcpy(r.state.reader.comm, "srv");
	assert_int_equal(model_apply(&c->m, &r), 0);
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

static const struct proc_row *proc_of(const struct proc_row *p, long n, uint32_t pid)
{
	for (long i = 0; i < n; i++)
		if (p[i].pid == pid)
			return &p[i];
	fail_msg("no process row for pid %u", pid);
	return NULL;
}

static void test_split_summary_and_rollup(void **state)
{
	struct ctx *c = *state;
	const struct sock_row *r;
	const struct proc_row *p;
	struct sock_row *rows;
	struct proc_row *procs;
	long n, np;

	/* a healthy zero-window flow: probes and duplicates only */
	sock(c, 1, 100, 12);
	model_set_drops(&c->m, 1, R_TCP_OLD_SEQUENCE, 9);
	model_set_drops(&c->m, 1, R_TCP_OLD_DATA, 2);
	model_set_drops(&c->m, 1, R_QUEUE_PURGE, 1);
	/* a reader whose buffer was shrunk: memory and window drops */
	sock(c, 2, 100, 10);
	model_set_drops(&c->m, 2, R_PROTO_MEM, 6);
	model_set_drops(&c->m, 2, R_TCP_INVALID_SEQUENCE, 3);
	model_set_drops(&c->m, 2, R_TCP_OLD_SEQUENCE, 1);
	/* a reason this bufscope has no class for, and one the kernel did not
	 * name; plus 2 drops the per-reason map does not have (unknown) */
	sock(c, 3, 200, 6);
	model_set_drops(&c->m, 3, R_NEW_REASON, 3);
	model_set_drops(&c->m, 3, 77, 1);

	n = model_summary(&c->m, &rows);
	assert_int_equal(n, 3);
	r = row_of(rows, n, 1);
	assert_int_equal(r->d.drops, 12);
	assert_int_equal(r->drops_lost, 0);
	assert_int_equal(r->drops_expected, 12);
	r = row_of(rows, n, 2);
	assert_int_equal(r->drops_lost, 9);
	assert_int_equal(r->drops_expected, 1);
	r = row_of(rows, n, 3);
	assert_int_equal(r->drops_other, 2);
	assert_int_equal(r->drops_lost, 6);	/* 3 + 1 + the 2 without a reason */
	assert_int_equal(r->drops_expected, 0);

	np = model_rollup(rows, (size_t)n, &procs);
	assert_int_equal(np, 2);
	p = proc_of(procs, np, 100);
	assert_int_equal(p->d.drops, 22);
	assert_int_equal(p->drops_lost, 9);
	assert_int_equal(p->drops_expected, 13);
	p = proc_of(procs, np, 200);
	assert_int_equal(p->drops_lost, 6);
	assert_int_equal(p->drops_expected, 0);
	free(rows);
	free(procs);
}

static void test_split_interval_deltas(void **state)
{
	struct ctx *c = *state;
	const struct sock_row *r;
	struct sock_row *rows;
	long n;

	sock(c, 1, 100, 5);
	model_set_drops(&c->m, 1, R_TCP_OLD_SEQUENCE, 4);
	model_set_drops(&c->m, 1, R_PROTO_MEM, 1);
	n = model_take_interval(&c->m, 0, &rows);
	r = row_of(rows, n, 1);
	assert_int_equal(r->drops_lost, 1);
	assert_int_equal(r->drops_expected, 4);
	free(rows);

	/* the next interval: 3 more probes, 2 more memory drops */
	sock(c, 1, 100, 10);
	model_set_drops(&c->m, 1, R_TCP_OLD_SEQUENCE, 7);
	model_set_drops(&c->m, 1, R_PROTO_MEM, 3);
	n = model_take_interval(&c->m, 0, &rows);
	r = row_of(rows, n, 1);
	assert_int_equal(r->d.drops, 5);
	assert_int_equal(r->drops_lost, 2);
	assert_int_equal(r->drops_expected, 3);
	free(rows);

	/* nothing new: no drops in the interval */
	n = model_take_interval(&c->m, 0, &rows);
	for (long i = 0; i < n; i++)
		assert_int_equal(rows[i].drops_lost + rows[i].drops_expected, 0);
	free(rows);

	/* the summary has the run's totals */
	n = model_summary(&c->m, &rows);
	r = row_of(rows, n, 1);
	assert_int_equal(r->drops_lost, 3);
	assert_int_equal(r->drops_expected, 7);
	free(rows);
}

/* --sort drops puts the sockets that lost the most data first, not those
 * with the most probes. */
static void test_sort_by_lost(void **state)
{
	struct ctx *c = *state;
	struct sock_row *rows;
	long n;

	sock(c, 1, 100, 50);
	model_set_drops(&c->m, 1, R_TCP_OLD_SEQUENCE, 50);
	sock(c, 2, 100, 3);
	model_set_drops(&c->m, 2, R_PROTO_MEM, 3);
	sock(c, 3, 100, 0);
	n = model_summary(&c->m, &rows);
	assert_int_equal(n, 3);
	view_sort_socks(rows, (size_t)n, SORT_DROPS);
	assert_int_equal(rows[0].s->cookie, 2);
	free(rows);
}

/* Without the kernel's names every drop is lost: never a hidden loss. */
static void test_split_without_names(void **state)
{
	struct ctx *c = *state;
	const struct sock_row *r;
	struct sock_row *rows;
	long n;

	c->m.reasons = NULL;
	sock(c, 1, 100, 4);
	model_set_drops(&c->m, 1, R_TCP_OLD_SEQUENCE, 4);
	n = model_summary(&c->m, &rows);
	r = row_of(rows, n, 1);
	assert_int_equal(r->drops_lost, 4);
	assert_int_equal(r->drops_expected, 0);
	free(rows);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes_by_name),
		cmocka_unit_test(test_classes_by_value),
		cmocka_unit_test(test_kernel_names),
		T(test_split_summary_and_rollup),
		T(test_split_interval_deltas),
		T(test_split_without_names),
		T(test_sort_by_lost),
	};

	return cmocka_run_group_tests_name("drop_class", tests, NULL, NULL);
}
