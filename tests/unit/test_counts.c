// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/model/counts.c: COUNTS_TABLE covers struct counts, drives the
 * deltas and sums, and every key it (and the histogram kinds) gives JSON is
 * documented in docs/json.md.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/counts.h"
#include "model/hist.h"

#define UNUSED __attribute__((unused))

/* Offsets: distinct, aligned, inside the struct, and all of it. */
static void test_table_covers_struct(void **state UNUSED)
{
	unsigned char seen[sizeof(struct counts) / sizeof(uint64_t)] = { 0 };

	assert_int_equal(count_infos_n, sizeof(seen));
	for (size_t i = 0; i < count_infos_n; i++) {
		size_t off = count_infos[i].offset;

		assert_int_equal(off % sizeof(uint64_t), 0);
		assert_true(off < sizeof(struct counts));
		assert_int_equal(seen[off / sizeof(uint64_t)], 0);
		seen[off / sizeof(uint64_t)] = 1;
		assert_non_null(count_infos[i].help);
	}
}

/* Each member, set alone, is subtracted, added and noticed. */
static void test_each_member_driven(void **state UNUSED)
{
	for (size_t i = 0; i < count_infos_n; i++) {
		struct counts a = { 0 }, b = { 0 }, d;
		uint64_t *pa = (uint64_t *)((char *)&a + count_infos[i].offset);
		uint64_t *pb = (uint64_t *)((char *)&b + count_infos[i].offset);

		assert_false(counts_any(&a));
		*pa = 10;
		*pb = 3;
		assert_true(counts_any(&a));
		counts_sub(&d, &a, &b);
		assert_int_equal(count_get(&d, &count_infos[i]), 7);
		counts_sub(&d, &b, &a);	/* behind: 0, not a wrap */
		assert_int_equal(count_get(&d, &count_infos[i]), 0);
		assert_false(counts_any(&d));
		counts_add(&a, &b);
		assert_int_equal(*pa, 13);
	}
}

static char *read_doc(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s (run the tests from the repository's top)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* A key is documented when the doc has it in backquotes. */
static void expect_documented(const char *doc, const char *key)
{
	char quoted[96];

	snprintf(quoted, sizeof(quoted), "`%s`", key);
	if (!strstr(doc, quoted))
		fail_msg("docs/json.md does not document %s", quoted);
}

static void test_json_keys_documented(void **state UNUSED)
{
	char *doc = read_doc("docs/json.md");
	unsigned keys = 0;

	for (size_t i = 0; i < count_infos_n; i++) {
		if (!count_infos[i].key)
			continue;
		expect_documented(doc, count_infos[i].key);
		keys++;
	}
	assert_true(keys >= 20);
	for (unsigned k = 0; k < BS_HIST_N; k++)
		expect_documented(doc, hist_kind(k)->key);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_covers_struct),
		cmocka_unit_test(test_each_member_driven),
		cmocka_unit_test(test_json_keys_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
