// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/kernel/drop_reasons.c: enum skb_drop_reason read from BTF built
 * in memory with libbpf, and from the running kernel's BTF when it has one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <cmocka.h>

#include "kernel/drop_reasons.h"
#include "testlib.h"

#define UNUSED __attribute__((unused))

struct ev {
	const char *name;
	int64_t value;
};

/* A BTF with an int, a struct, the enum `enum_name` holding evs[], and
 * another enum after it: the loader must pick the right type by name. */
static struct btf *btf_with_enum(const char *enum_name, const struct ev *evs,
				 size_t n)
{
	struct btf *btf = btf__new_empty();
	int id;

	assert_non_null(btf);
	assert_true(btf__add_int(btf, "int", 4, BTF_INT_SIGNED) > 0);
	assert_true(btf__add_struct(btf, "sk_buff", 0) > 0);
	/* a decoy enum first: same value space, other names */
	assert_true(btf__add_enum(btf, "skb_drop_reason_subsys", 4) > 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_SUBSYS_CORE", 0), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_SUBSYS_X", 2), 0);
	if (enum_name) {
		id = btf__add_enum(btf, enum_name, 4);
		assert_true(id > 0);
		for (size_t i = 0; i < n; i++)
			if (btf__add_enum_value(btf, evs[i].name, evs[i].value))
				fail_msg("btf__add_enum_value(%s, %lld) failed", evs[i].name,
					 (long long)evs[i].value);
	}
	assert_true(btf__add_enum(btf, "other_enum", 4) > 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_DECOY", 3), 0);
	return btf;
}

/* Values and names as in a recent kernel, with the gaps a kernel has
 * between them (renumbered across versions), and the subsystem mask. */
static const struct ev kernel_like[] = {
	{ "SKB_NOT_DROPPED_YET", 0 },
	{ "SKB_CONSUMED", 1 },
	{ "SKB_DROP_REASON_NOT_SPECIFIED", 2 },
	{ "SKB_DROP_REASON_NO_SOCKET", 3 },
	{ "SKB_DROP_REASON_SOCKET_RCVBUFF", 6 },
	{ "SKB_DROP_REASON_TCP_ZEROWINDOW", 32 },
	{ "SKB_DROP_REASON_TCP_OLD_SEQUENCE", 41 },
	{ "SKB_DROP_REASON_MAX", 128 },
	{ "SKB_DROP_REASON_SUBSYS_MASK", 0xffff0000LL },
};

static const char *name_of(const struct drop_reasons *dr, uint32_t v)
{
	static char buf[32];

	memset(buf, 0x7e, sizeof(buf));
	return drop_reason_name(dr, v, buf, sizeof(buf));
}

static void test_names_without_prefix(void **state UNUSED)
{
	struct btf *btf = btf_with_enum("skb_drop_reason", kernel_like,
					sizeof(kernel_like) / sizeof(kernel_like[0]));
	struct drop_reasons dr;

	memset(&dr, 0x5a, sizeof(dr));
	assert_int_equal(drop_reasons_load(&dr, btf), 0);
	btf__free(btf);		/* the names must not point into the BTF */

	assert_non_null(dr.names);
	assert_string_equal(name_of(&dr, 2), "NOT_SPECIFIED");
	assert_string_equal(name_of(&dr, 3), "NO_SOCKET");
	assert_string_equal(name_of(&dr, 6), "SOCKET_RCVBUFF");
	assert_string_equal(name_of(&dr, 32), "TCP_ZEROWINDOW");
	assert_string_equal(name_of(&dr, 41), "TCP_OLD_SEQUENCE");
	assert_string_equal(name_of(&dr, 128), "MAX");
	/* names without the SKB_DROP_REASON_ prefix are kept as they are */
	assert_string_equal(name_of(&dr, 0), "SKB_NOT_DROPPED_YET");
	assert_string_equal(name_of(&dr, 1), "SKB_CONSUMED");
	/* the table is by value; gaps stay empty */
	assert_true(dr.n > 128);
	assert_string_equal(dr.names[32], "TCP_ZEROWINDOW");
	assert_null(dr.names[4]);
	assert_null(dr.names[33]);
	assert_null(dr.names[127]);
	drop_reasons_free(&dr);
	assert_null(dr.names);
	assert_int_equal(dr.n, 0);
}

static void test_unknown_values(void **state UNUSED)
{
	struct btf *btf = btf_with_enum("skb_drop_reason", kernel_like,
					sizeof(kernel_like) / sizeof(kernel_like[0]));
	struct drop_reasons dr;
	char buf[32];
	const char *s;

	assert_int_equal(drop_reasons_load(&dr, btf), 0);
	btf__free(btf);
	/* in a gap */
	assert_string_equal(name_of(&dr, 4), "REASON_4");
	assert_string_equal(name_of(&dr, 33), "REASON_33");
	/* beyond the last value */
	assert_string_equal(name_of(&dr, 129), "REASON_129");
	assert_string_equal(name_of(&dr, 5000), "REASON_5000");
	/* the subsystem mask is not a reason; huge values do not make a huge table */
	assert_true(dr.n < 4096);
	assert_string_equal(name_of(&dr, 0xffff0000u), "REASON_4294901760");
	assert_string_equal(name_of(&dr, UINT32_MAX), "REASON_4294967295");
	/* the unknown name lives in the caller's buffer */
	s = drop_reason_name(&dr, 7, buf, sizeof(buf));
	assert_ptr_equal(s, buf);
	assert_string_equal(buf, "REASON_7");
	/* a known one does not touch it */
	strcpy(buf, "untouched");
	s = drop_reason_name(&dr, 32, buf, sizeof(buf));
	assert_string_equal(s, "TCP_ZEROWINDOW");
	assert_string_equal(buf, "untouched");
	/* a short buffer is truncated, still terminated */
	s = drop_reason_name(&dr, 123456, buf, 8);
	assert_int_equal(strlen(s), 7);
	assert_int_equal(strncmp(s, "REASON_", 7), 0);
	drop_reasons_free(&dr);
}

static void test_no_enum(void **state UNUSED)
{
	struct btf *btf = btf_with_enum(NULL, NULL, 0);
	struct drop_reasons dr;

	memset(&dr, 0x5a, sizeof(dr));
	assert_int_equal(drop_reasons_load(&dr, btf), -ENOENT);
	/* left empty and usable: every value is unknown */
	assert_null(dr.names);
	assert_int_equal(dr.n, 0);
	assert_string_equal(name_of(&dr, 2), "REASON_2");
	assert_string_equal(name_of(&dr, 32), "REASON_32");
	drop_reasons_free(&dr);
	assert_int_equal(dr.n, 0);
	btf__free(btf);

	/* a struct of that name is not the enum either */
	btf = btf__new_empty();
	assert_non_null(btf);
	assert_true(btf__add_struct(btf, "skb_drop_reason", 4) > 0);
	memset(&dr, 0x5a, sizeof(dr));
	assert_int_equal(drop_reasons_load(&dr, btf), -ENOENT);
	assert_null(dr.names);
	btf__free(btf);

	/* nor an empty BTF */
	btf = btf__new_empty();
	assert_non_null(btf);
	assert_int_equal(drop_reasons_load(&dr, btf), -ENOENT);
	btf__free(btf);
}

static void test_empty_enum(void **state UNUSED)
{
	struct btf *btf = btf_with_enum("skb_drop_reason", NULL, 0);
	struct drop_reasons dr;

	assert_int_equal(drop_reasons_load(&dr, btf), 0);
	btf__free(btf);
	assert_int_equal(dr.n, 0);
	assert_string_equal(name_of(&dr, 0), "REASON_0");
	assert_string_equal(name_of(&dr, 32), "REASON_32");
	drop_reasons_free(&dr);
	assert_null(dr.names);
}

static void test_only_prefix_and_odd_names(void **state UNUSED)
{
	static const struct ev evs[] = {
		{ "SKB_DROP_REASON_", 0 },		/* nothing after the prefix */
		{ "SKB_DROP_REASON_X", 1 },
		{ "skb_drop_reason_lower", 2 },	/* the prefix is case-sensitive */
		{ "SKB_DROP_REASONXYZ", 3 },		/* no underscore: not the prefix */
	};
	struct btf *btf = btf_with_enum("skb_drop_reason", evs, 4);
	struct drop_reasons dr;

	assert_int_equal(drop_reasons_load(&dr, btf), 0);
	btf__free(btf);
	assert_int_equal(dr.n, 4);
	/* never an empty name (it would show as nothing): kept whole */
	assert_string_equal(name_of(&dr, 0), "SKB_DROP_REASON_");
	assert_string_equal(name_of(&dr, 1), "X");
	assert_string_equal(name_of(&dr, 2), "skb_drop_reason_lower");
	assert_string_equal(name_of(&dr, 3), "SKB_DROP_REASONXYZ");
	drop_reasons_free(&dr);
}

/* Enumerators a kernel never has (a BTF file may hold any): a value named
 * twice keeps its first name, and the second is not leaked; a name with
 * bytes a terminal acts on is kept printable, as it reaches tables, JSON
 * and labels (both found by tests/fuzz: tests/fuzz/regress/drop_reasons). */
static void test_alias_and_unprintable(void **state UNUSED)
{
	static const struct ev evs[] = {
		{ "SKB_DROP_REASON_TCP_OLD_SEQUENCE", 2 },
		{ "SKB_DROP_REASON_TCP_ZEROWINDOW", 2 },
		{ "SKB_DROP_REASON_NOMEM", 3 },
		{ "SKB_DROP_REASON_\x1b[2J\xc2\x9bX", 4 },
	};
	struct btf *btf = btf_with_enum("skb_drop_reason", evs, 4);
	struct drop_reasons dr;

	assert_int_equal(drop_reasons_load(&dr, btf), 0);
	btf__free(btf);
	assert_string_equal(name_of(&dr, 2), "TCP_OLD_SEQUENCE");
	assert_int_equal(drop_reason_class(&dr, 2), DROP_EXPECTED);
	assert_string_equal(name_of(&dr, 3), "NOMEM");
	assert_string_equal(name_of(&dr, 4), "?[2J?X");
	drop_reasons_free(&dr);
}

static void test_free_twice_and_reload(void **state UNUSED)
{
	struct btf *btf = btf_with_enum("skb_drop_reason", kernel_like,
					sizeof(kernel_like) / sizeof(kernel_like[0]));
	struct drop_reasons dr;

	for (int round = 0; round < 3; round++) {
		assert_int_equal(drop_reasons_load(&dr, btf), 0);
		assert_string_equal(name_of(&dr, 32), "TCP_ZEROWINDOW");
		drop_reasons_free(&dr);
		drop_reasons_free(&dr);	/* harmless once freed */
		assert_null(dr.names);
		assert_string_equal(name_of(&dr, 32), "REASON_32");
	}
	btf__free(btf);
}

/* A reason's value in the kernel's BTF, found without drop_reasons.c. */
static int64_t kernel_value(const struct btf *btf, const char *full_name)
{
	int id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, e[i].name_off), full_name))
			return (uint32_t)e[i].val;
	return -1;
}

static void test_kernel_btf(void **state UNUSED)
{
	static const char *const wanted[] = {
		"TCP_ZEROWINDOW", "SOCKET_RCVBUFF", "TCP_OLD_SEQUENCE",
		"NOT_SPECIFIED", "NO_SOCKET", "TCP_OVERWINDOW", "PROTO_MEM",
	};
	struct drop_reasons dr;
	struct btf *btf;
	size_t named = 0;

	btf = kernel_btf_or_skip();
	assert_int_equal(drop_reasons_load(&dr, btf), 0);
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		char full[64];
		int64_t v;

		snprintf(full, sizeof(full), "SKB_DROP_REASON_%s", wanted[i]);
		v = kernel_value(btf, full);
		if (v < 0)
			fail_msg("the kernel's BTF has no %s", full);
		if (strcmp(name_of(&dr, (uint32_t)v), wanted[i]))
			fail_msg("value %lld (%s) decodes as %s", (long long)v, full,
				 name_of(&dr, (uint32_t)v));
	}
	/* the two values before any drop reason */
	assert_string_equal(name_of(&dr, 0), "SKB_NOT_DROPPED_YET");
	assert_string_equal(name_of(&dr, 1), "SKB_CONSUMED");
	/* a dense enum: every value up to MAX has a name, no "REASON_" */
	for (size_t v = 0; v < dr.n; v++)
		named += dr.names[v] != NULL;
	assert_true(named > 50);
	assert_int_equal(named, dr.n);
	assert_int_equal(strncmp(name_of(&dr, (uint32_t)dr.n + 1000), "REASON_", 7), 0);
	drop_reasons_free(&dr);
	btf__free(btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_without_prefix),
		cmocka_unit_test(test_unknown_values),
		cmocka_unit_test(test_no_enum),
		cmocka_unit_test(test_empty_enum),
		cmocka_unit_test(test_only_prefix_and_odd_names),
		cmocka_unit_test(test_alias_and_unprintable),
		cmocka_unit_test(test_free_twice_and_reload),
		cmocka_unit_test(test_kernel_btf),
	};

	return cmocka_run_group_tests_name("drop_reasons", tests, NULL, NULL);
}
