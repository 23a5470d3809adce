// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/kernel/hooks.c: which tier each hook gets from what a kernel's
 * BTF offers, in automatic and forced modes, and the fallback when a chosen
 * tier fails later. The kernels are synthetic BTF built here; the trials
 * (which load programs) are off.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/btf.h>

#include "kernel/hooks.h"

#define UNUSED __attribute__((unused))

struct kernel {
	int recvmsg_args;	/* 0: no tcp_recvmsg */
	bool readable;		/* sock_def_readable */
	bool recv_length;	/* sock:sock_recv_length */
	bool data_ready;	/* sock:sk_data_ready */
	int kfree_skb_args;
};

static const struct kernel k_6_12 = { 5, true, true, true, 4 };
static const struct kernel k_6_1 = { 5, true, false, false, 3 };
static const struct kernel k_6_18 = { 4, true, true, true, 4 };
static const struct kernel k_5_15 = { 6, true, false, false, 3 };

static int add_proto(struct btf *btf, int ptr, int args, bool tracepoint)
{
	int proto = btf__add_func_proto(btf, 0);

	assert_true(proto > 0);
	if (tracepoint)
		assert_int_equal(btf__add_func_param(btf, "__data", ptr), 0);
	for (int i = 0; i < args; i++)
		assert_int_equal(btf__add_func_param(btf, "a", ptr), 0);
	return proto;
}

static void add_func(struct btf *btf, int ptr, const char *name, int args)
{
	int proto = add_proto(btf, ptr, args, false);

	assert_true(btf__add_func(btf, name, BTF_FUNC_GLOBAL, proto) > 0);
}

static void add_tracepoint(struct btf *btf, int ptr, const char *name, int args)
{
	char tname[64];
	int proto = add_proto(btf, ptr, args, true);
	int pp = btf__add_ptr(btf, proto);

	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	assert_true(btf__add_typedef(btf, tname, pp) > 0);
}

static struct btf *make_kernel(const struct kernel *k)
{
	struct btf *btf = btf__new_empty();
	int ptr;

	assert_non_null(btf);
	ptr = btf__add_ptr(btf, 0);	/* void * */
	if (k->recvmsg_args)
		add_func(btf, ptr, "tcp_recvmsg", k->recvmsg_args);
	if (k->readable)
		add_func(btf, ptr, "sock_def_readable", 1);
	if (k->recv_length)
		add_tracepoint(btf, ptr, "sock_recv_length", 3);
	if (k->data_ready)
		add_tracepoint(btf, ptr, "sk_data_ready", 1);
	add_tracepoint(btf, ptr, "kfree_skb", k->kfree_skb_args);
	add_tracepoint(btf, ptr, "tcp_destroy_sock", 1);
	add_tracepoint(btf, ptr, "net_dev_queue", 1);
	add_tracepoint(btf, ptr, "tcp_probe", 2);
	add_func(btf, ptr, "bpf_iter_tcp", 2);
	add_func(btf, ptr, "bpf_iter_bpf_sk_storage_map", 3);
	return btf;
}

static void probe(const struct kernel *k, enum attach_mode mode,
		  struct hook_status hooks[HOOK__COUNT])
{
	struct btf *btf = make_kernel(k);

	hooks_probe(btf, mode, false, hooks);
	btf__free(btf);
}

static void assert_hook(const struct hook_status *h, const char *tier,
			const char *target)
{
	assert_string_equal(h->tier, tier);
	if (target) {
		assert_true(h->available);
		assert_string_equal(h->target, target);
	} else {
		assert_false(h->available);
	}
}

static void assert_explained(const struct hook_status *h, enum hook_id id,
			     const char *needle)
{
	char why[4 * HOOK_WHY_LEN];

	hooks_explain(h, id, why, sizeof(why));
	if (!strstr(why, needle))
		fail_msg("explanation '%s' does not contain '%s'", why, needle);
}

static void test_auto_prefers_fentry(void **state UNUSED)
{
	struct hook_status h[HOOK__COUNT];

	probe(&k_6_12, ATTACH_AUTO, h);
	assert_hook(&h[HOOK_READ], "fentry", "fexit/tcp_recvmsg");
	assert_hook(&h[HOOK_ARRIVAL], "fentry", "fentry/sock_def_readable");
	assert_hook(&h[HOOK_CLOSE], "tracepoint", "tp_btf/tcp_destroy_sock");
	assert_hook(&h[HOOK_SOCKETS], "iterator", "iter/tcp");
	assert_hook(&h[HOOK_STATE], "iterator", "iter/bpf_sk_storage_map");
	assert_hook(&h[HOOK_DROPS], "tracepoint", "tp_btf/kfree_skb");
	assert_true(hooks_use_tier(h, TIER_FENTRY));
	assert_false(hooks_use_tier(h, TIER_KPROBE));
}

static void test_four_argument_recvmsg(void **state UNUSED)
{
	struct hook_status h[HOOK__COUNT];

	probe(&k_6_18, ATTACH_AUTO, h);
	assert_hook(&h[HOOK_READ], "fentry", "fexit/tcp_recvmsg");
}

static void test_old_recvmsg_refused(void **state UNUSED)
{
	struct hook_status h[HOOK__COUNT];

	probe(&k_5_15, ATTACH_AUTO, h);
	assert_hook(&h[HOOK_READ], "none", NULL);
	assert_explained(&h[HOOK_READ], HOOK_READ, "has 6 arguments");
	assert_explained(&h[HOOK_READ], HOOK_READ, "sock_recv_length");
	assert_hook(&h[HOOK_DROPS], "none", NULL);
	assert_explained(&h[HOOK_DROPS], HOOK_DROPS, "6.11");
}

static void test_6_1_without_tracepoints(void **state UNUSED)
{
	struct hook_status h[HOOK__COUNT];

	probe(&k_6_1, ATTACH_AUTO, h);
	assert_hook(&h[HOOK_READ], "fentry", "fexit/tcp_recvmsg");
	assert_hook(&h[HOOK_ARRIVAL], "fentry", "fentry/sock_def_readable");
	probe(&k_6_1, ATTACH_TRACEPOINT, h);
	assert_hook(&h[HOOK_READ], "none", NULL);
	assert_explained(&h[HOOK_READ], HOOK_READ, "Linux 6.3");
	assert_hook(&h[HOOK_ARRIVAL], "none", NULL);
	assert_hook(&h[HOOK_CLOSE], "tracepoint", "tp_btf/tcp_destroy_sock");
	assert_string_equal(hooks_hint(HOOK_READ, ATTACH_TRACEPOINT),
			    "try --attach auto, which falls back to the other tiers");
}

static void test_forced_kprobe(void **state UNUSED)
{
	struct hook_status h[HOOK__COUNT];

	probe(&k_6_12, ATTACH_KPROBE, h);
	assert_hook(&h[HOOK_READ], "kprobe", "kprobe/tcp_recvmsg");
	assert_hook(&h[HOOK_ARRIVAL], "kprobe", "kprobe/sock_def_readable");
	/* hooks with one variant keep it */
	assert_hook(&h[HOOK_WINDOW_IN], "tracepoint", "tp_btf/tcp_probe");
	assert_hook(&h[HOOK_SOCKETS], "iterator", "iter/tcp");
	assert_true(hooks_use_tier(h, TIER_KPROBE));
	assert_int_equal(hooks_tier(&h[HOOK_READ], HOOK_READ), TIER_KPROBE);
}

static void test_forced_tracepoint(void **state UNUSED)
{
	struct hook_status h[HOOK__COUNT];

	probe(&k_6_12, ATTACH_TRACEPOINT, h);
	assert_hook(&h[HOOK_READ], "tracepoint", "tp_btf/sock_recv_length");
	assert_hook(&h[HOOK_ARRIVAL], "tracepoint", "tp_btf/sk_data_ready");
	assert_false(hooks_use_tier(h, TIER_FENTRY));
}

/* Auto falls back fentry -> tracepoint -> kprobe, recording each reason. */
static void test_demote_chain(void **state UNUSED)
{
	struct btf *btf = make_kernel(&k_6_12);
	struct hook_status h[HOOK__COUNT];

	hooks_probe(btf, ATTACH_AUTO, false, h);
	assert_true(hooks_demote(btf, ATTACH_AUTO, false, h, HOOK_READ, "first reason"));
	assert_hook(&h[HOOK_READ], "tracepoint", "tp_btf/sock_recv_length");
	assert_true(hooks_demote(btf, ATTACH_AUTO, false, h, HOOK_READ, "second reason"));
	assert_hook(&h[HOOK_READ], "kprobe", "kprobe/tcp_recvmsg");
	assert_false(hooks_demote(btf, ATTACH_AUTO, false, h, HOOK_READ, "third reason"));
	assert_hook(&h[HOOK_READ], "none", NULL);
	assert_explained(&h[HOOK_READ], HOOK_READ, "fentry (fexit/tcp_recvmsg): first reason");
	assert_explained(&h[HOOK_READ], HOOK_READ,
			 "tracepoint (tp_btf/sock_recv_length): second reason");
	assert_explained(&h[HOOK_READ], HOOK_READ, "kprobe (kprobe/tcp_recvmsg): third reason");
	/* the other hooks are untouched */
	assert_hook(&h[HOOK_ARRIVAL], "fentry", "fentry/sock_def_readable");
	assert_false(hooks_demote(btf, ATTACH_AUTO, false, h, HOOK_READ, "again"));
	btf__free(btf);
}

/* A forced tier has no fallback. */
static void test_demote_forced(void **state UNUSED)
{
	struct btf *btf = make_kernel(&k_6_12);
	struct hook_status h[HOOK__COUNT];

	hooks_probe(btf, ATTACH_FENTRY, false, h);
	assert_false(hooks_demote(btf, ATTACH_FENTRY, false, h, HOOK_READ, "refused"));
	assert_hook(&h[HOOK_READ], "none", NULL);
	btf__free(btf);
}

static void test_describe(void **state UNUSED)
{
	struct hook_status h[HOOK__COUNT];
	char buf[512];

	probe(&k_6_1, ATTACH_AUTO, h);
	hooks_describe(h, buf, sizeof(buf));
	assert_string_equal(buf, "read=fentry arrival=fentry close=tracepoint "
			    "sockets=iterator state=iterator window_out=tracepoint "
			    "window_in=tracepoint drops=none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_prefers_fentry),
		cmocka_unit_test(test_four_argument_recvmsg),
		cmocka_unit_test(test_old_recvmsg_refused),
		cmocka_unit_test(test_6_1_without_tracepoints),
		cmocka_unit_test(test_forced_kprobe),
		cmocka_unit_test(test_forced_tracepoint),
		cmocka_unit_test(test_demote_chain),
		cmocka_unit_test(test_demote_forced),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
