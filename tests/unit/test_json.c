// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/util/json.c: the streaming JSON writer. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/json.h"

#define UNUSED __attribute__((unused))

/* A writer on an in-memory stream; finish() returns what was written. */
struct cap {
	FILE *f;
	char *buf;
	size_t len;
	struct json_writer jw;
};

static void start(struct cap *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	jw_init(&c->jw, c->f);
}

static const char *finish(struct cap *c)
{
	jw_flush(&c->jw);
	assert_int_equal(fclose(c->f), 0);
	c->f = NULL;
	return c->buf;
}

static int teardown_cap(void **state)
{
	struct cap *c = *state;

	if (c->f)
		fclose(c->f);
	free(c->buf);
	free(c);
	return 0;
}

static int setup_cap(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	start(c);
	*state = c;
	return 0;
}

static void test_empty_containers(void **state)
{
	struct cap *c = *state;

	jw_begin_object(&c->jw);
	jw_key(&c->jw, "a");
	jw_begin_array(&c->jw);
	jw_end_array(&c->jw);
	jw_key(&c->jw, "o");
	jw_begin_object(&c->jw);
	jw_end_object(&c->jw);
	jw_end_object(&c->jw);
	assert_string_equal(finish(c), "{\"a\":[],\"o\":{}}");
}

static void test_object_members_commas(void **state)
{
	struct cap *c = *state;

	jw_begin_object(&c->jw);
	jw_kv_str(&c->jw, "s", "x");
	jw_kv_u64(&c->jw, "u", 18446744073709551615ULL);
	jw_kv_i64(&c->jw, "i", -42);
	jw_kv_bool(&c->jw, "t", true);
	jw_kv_bool(&c->jw, "f", false);
	jw_kv_null(&c->jw, "n");
	jw_end_object(&c->jw);
	jw_newline(&c->jw);
	assert_string_equal(finish(c),
			    "{\"s\":\"x\",\"u\":18446744073709551615,\"i\":-42,"
			    "\"t\":true,\"f\":false,\"n\":null}\n");
}

static void test_array_elements_commas(void **state)
{
	struct cap *c = *state;

	jw_begin_array(&c->jw);
	jw_u64(&c->jw, 1);
	jw_i64(&c->jw, -2);
	jw_str(&c->jw, "three");
	jw_bool(&c->jw, false);
	jw_null(&c->jw);
	jw_double(&c->jw, 2.5, 2);
	jw_end_array(&c->jw);
	assert_string_equal(finish(c), "[1,-2,\"three\",false,null,2.50]");
}

static void test_nested(void **state)
{
	struct cap *c = *state;

	jw_begin_object(&c->jw);
	jw_kv_str(&c->jw, "type", "summary");
	jw_key(&c->jw, "hist");
	jw_begin_object(&c->jw);
	jw_key(&c->jw, "read_bytes");
	jw_begin_array(&c->jw);
	for (int i = 0; i < 2; i++) {
		jw_begin_array(&c->jw);
		jw_u64(&c->jw, 1u << i);
		jw_u64(&c->jw, 2u << i);
		jw_u64(&c->jw, 10 + i);
		jw_end_array(&c->jw);
	}
	jw_end_array(&c->jw);
	jw_key(&c->jw, "empty");
	jw_begin_array(&c->jw);
	jw_end_array(&c->jw);
	jw_end_object(&c->jw);
	jw_key(&c->jw, "list");
	jw_begin_array(&c->jw);
	jw_begin_object(&c->jw);
	jw_kv_u64(&c->jw, "a", 1);
	jw_end_object(&c->jw);
	jw_begin_object(&c->jw);
	jw_kv_u64(&c->jw, "a", 2);
	jw_kv_u64(&c->jw, "b", 3);
	jw_end_object(&c->jw);
	jw_end_array(&c->jw);
	jw_kv_u64(&c->jw, "after", 9);
	jw_end_object(&c->jw);
	assert_string_equal(finish(c),
			    "{\"type\":\"summary\",\"hist\":{\"read_bytes\":[[1,2,10],[2,4,11]],"
			    "\"empty\":[]},\"list\":[{\"a\":1},{\"a\":2,\"b\":3}],\"after\":9}");
}

static void test_newline_resets_state(void **state)
{
	struct cap *c = *state;

	/* Two lines: the second starts without a leading comma. */
	jw_begin_object(&c->jw);
	jw_kv_u64(&c->jw, "n", 1);
	jw_end_object(&c->jw);
	jw_newline(&c->jw);
	jw_begin_object(&c->jw);
	jw_kv_u64(&c->jw, "n", 2);
	jw_end_object(&c->jw);
	jw_newline(&c->jw);
	assert_string_equal(finish(c), "{\"n\":1}\n{\"n\":2}\n");
}

static void test_escape_quotes_backslash(void **state)
{
	struct cap *c = *state;

	jw_begin_object(&c->jw);
	jw_kv_str(&c->jw, "k\"ey", "a\"b\\c/d");
	jw_end_object(&c->jw);
	assert_string_equal(finish(c), "{\"k\\\"ey\":\"a\\\"b\\\\c/d\"}");
}

static void test_escape_control_bytes(void **state)
{
	struct cap *c = *state;

	jw_str(&c->jw, "\x1b[31mred\x1b[0m");
	jw_newline(&c->jw);
	jw_str(&c->jw, "a\nb\tc\rd\x01" "e\x1f" "f\x7f");
	assert_string_equal(finish(c),
			    "\"\\u001b[31mred\\u001b[0m\"\n"
			    "\"a\\nb\\tc\\rd\\u0001e\\u001ff\\u007f\"");
	assert_null(strchr(c->buf, 0x1b));
}

static void test_escape_high_bytes(void **state)
{
	struct cap *c = *state;

	/* valid UTF-8 stays as it is; bytes that are not part of it are \u00XX */
	jw_str(&c->jw, "caf\xc3\xa9 \x80\xff");
	assert_string_equal(finish(c), "\"caf\xc3\xa9 \\u0080\\u00ff\"");
}

/* A process name of valid UTF-8 comes out unchanged (issue 9, é漢). */
static void test_utf8_kept(void **state)
{
	struct cap *c = *state;

	jw_begin_array(&c->jw);
	jw_str(&c->jw, "\xc3\xa9\xe6\xbc\xa2");		/* é漢 */
	jw_str(&c->jw, "a\xf0\x9f\x98\x80z");		/* U+1F600, 4 bytes */
	jw_str(&c->jw, "\xf4\x8f\xbf\xbf");		/* U+10FFFF, the last */
	jw_end_array(&c->jw);
	assert_string_equal(finish(c), "[\"\xc3\xa9\xe6\xbc\xa2\",\"a\xf0\x9f\x98\x80z\","
				       "\"\xf4\x8f\xbf\xbf\"]");
}

/* Invalid sequences: each byte escaped, the rest of the string unharmed. */
static void test_utf8_invalid_escaped(void **state)
{
	struct cap *c = *state;

	jw_begin_array(&c->jw);
	jw_str(&c->jw, "\xc0\xaf");			/* overlong '/' */
	jw_str(&c->jw, "\xed\xa0\x80");		/* a UTF-16 surrogate */
	jw_str(&c->jw, "\xf4\x90\x80\x80");		/* beyond U+10FFFF */
	jw_str(&c->jw, "\xe6\xbc");			/* cut short at the end */
	jw_str(&c->jw, "\xe6\xbcx\xc3\xa9");		/* cut short, then valid */
	jw_strn(&c->jw, "\xc3\xa9\xc3\xa9", 3);		/* cut by n */
	jw_end_array(&c->jw);
	assert_string_equal(finish(c),
		"[\"\\u00c0\\u00af\",\"\\u00ed\\u00a0\\u0080\","
		"\"\\u00f4\\u0090\\u0080\\u0080\",\"\\u00e6\\u00bc\","
		"\"\\u00e6\\u00bcx\xc3\xa9\",\"\xc3\xa9\\u00c3\"]");
}

/* C1 controls and the JavaScript line separators are escaped though valid. */
static void test_utf8_controls_escaped(void **state)
{
	struct cap *c = *state;

	jw_str(&c->jw, "\xc2\x9b[31m\xe2\x80\xa8\xe2\x80\xa9\x7f");
	assert_string_equal(finish(c), "\"\\u009b[31m\\u2028\\u2029\\u007f\"");
}

static void test_strn_stops_at_n(void **state)
{
	struct cap *c = *state;
	/* A fixed-size field with no NUL inside its n bytes. */
	const char field[8] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
	const char longer[] = "abcdefghXYZ";

	jw_begin_array(&c->jw);
	jw_strn(&c->jw, field, sizeof(field));
	jw_strn(&c->jw, longer, 3);
	jw_strn(&c->jw, "ab\0cd", 5);
	jw_strn(&c->jw, "xyz", 0);
	jw_strn(&c->jw, "q\"", 16);
	jw_end_array(&c->jw);
	assert_string_equal(finish(c),
			    "[\"abcdefgh\",\"abc\",\"ab\",\"\",\"q\\\"\"]");
}

static void test_double(void **state)
{
	struct cap *c = *state;

	jw_begin_array(&c->jw);
	jw_double(&c->jw, 12.345, 1);
	jw_double(&c->jw, 100.0, 0);
	jw_double(&c->jw, NAN, 1);
	jw_double(&c->jw, INFINITY, 1);
	jw_double(&c->jw, -INFINITY, 1);
	jw_double(&c->jw, -0.25, 2);
	jw_end_array(&c->jw);
	assert_string_equal(finish(c), "[12.3,100,null,null,null,-0.25]");
}

static void test_double_nan_as_member(void **state)
{
	struct cap *c = *state;

	jw_begin_object(&c->jw);
	jw_key(&c->jw, "avg");
	jw_double(&c->jw, NAN, 1);
	jw_key(&c->jw, "fill");
	jw_double(&c->jw, 50.0, 1);
	jw_end_object(&c->jw);
	assert_string_equal(finish(c), "{\"avg\":null,\"fill\":50.0}");
}

/* jw_ratio(num, den, d) must print what printf("%.*f", d, num / (double)den)
 * prints, for every value; one case at a time, against printf itself. */
static void ratio_is_printf(uint64_t num, uint64_t den, int d)
{
	struct cap c;
	char want[64];

	start(&c);
	jw_ratio(&c.jw, num, den, d);
	snprintf(want, sizeof(want), "%.*f", d, (double)num / (double)den);
	assert_string_equal(finish(&c), want);
	free(c.buf);
}

static void test_ratio_as_printf(void **state UNUSED)
{
	static const uint64_t dens[] = { 1, 2, 3, 7, 10, 16, 20, 1000, 1000000,
					 131072, 4096, 999999, 1ULL << 40 };
	struct cap *c = *state;
	uint64_t x = 88172645463325252ULL;

	/* ties (x.x5 exactly), around them, and the averages top shows */
	for (uint64_t num = 0; num < 3000; num++)
		for (size_t k = 0; k < sizeof(dens) / sizeof(dens[0]); k++)
			for (int d = 0; d <= 3; d++)
				ratio_is_printf(num, dens[k], d);
	/* nanoseconds as milliseconds: ties at 500 ns, long episodes */
	for (uint64_t ns = 0; ns < 200000; ns += 7)
		ratio_is_printf(ns, 1000000, 3);
	ratio_is_printf(1500, 1000000, 3);
	ratio_is_printf(2500, 1000000, 3);
	ratio_is_printf(4503599627370495ULL, 1000000, 3);	/* past the fast range */
	ratio_is_printf(UINT64_MAX, 1000000, 3);
	ratio_is_printf(UINT64_MAX, 3, 1);
	ratio_is_printf(5, UINT64_MAX, 1);
	/* random sizes and counts, fill percentages */
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ratio_is_printf(x >> (x % 60), (x >> 20) % 5000 + 1, (int)(x % 4));
		ratio_is_printf(100 * ((x >> 8) % 400000), (x >> 30) % 300000 + 1, 1);
	}
	/* null without a denominator, and commas like any value */
	jw_begin_array(&c->jw);
	jw_ratio(&c->jw, 5, 0, 1);
	jw_ratio(&c->jw, 5, 2, 1);
	jw_end_array(&c->jw);
	assert_string_equal(finish(c), "[null,2.5]");
}

static void test_escape_runs(void **state)
{
	struct cap *c = *state;

	jw_begin_array(&c->jw);
	jw_str(&c->jw, "plain text");
	jw_str(&c->jw, "a\"b\\c\x01" "d\xc3\xa9" "e");
	jw_strn(&c->jw, "abc\"def", 5);
	jw_end_array(&c->jw);
	assert_string_equal(finish(c), "[\"plain text\",\"a\\\"b\\\\c\\u0001d\xc3\xa9" "e\",\"abc\\\"d\"]");
}

static void test_empty_string_and_key(void **state)
{
	struct cap *c = *state;

	jw_begin_object(&c->jw);
	jw_kv_str(&c->jw, "", "");
	jw_kv_str(&c->jw, "x", "");
	jw_end_object(&c->jw);
	assert_string_equal(finish(c), "{\"\":\"\",\"x\":\"\"}");
}

static void test_deep_nesting_within_limit(void **state)
{
	struct cap *c = *state;
	char want[256];
	size_t off = 0;
	int depth = JW_MAX_DEPTH - 2;

	/* [[[...[1,2],3]...]: commas at every level. */
	for (int i = 0; i < depth; i++)
		jw_begin_array(&c->jw);
	jw_u64(&c->jw, 1);
	jw_u64(&c->jw, 2);
	for (int i = 0; i < depth; i++) {
		jw_end_array(&c->jw);
		if (i < depth - 1)
			jw_u64(&c->jw, 3);
	}
	for (int i = 0; i < depth; i++)
		want[off++] = '[';
	off += (size_t)snprintf(want + off, sizeof(want) - off, "1,2");
	for (int i = 0; i < depth; i++) {
		want[off++] = ']';
		if (i < depth - 1)
			off += (size_t)snprintf(want + off, sizeof(want) - off, ",3");
	}
	want[off] = '\0';
	assert_string_equal(finish(c), want);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_cap, teardown_cap)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_empty_containers),
		T(test_ratio_as_printf),
		T(test_escape_runs),
		T(test_object_members_commas),
		T(test_array_elements_commas),
		T(test_nested),
		T(test_newline_resets_state),
		T(test_escape_quotes_backslash),
		T(test_escape_control_bytes),
		T(test_escape_high_bytes),
		T(test_utf8_kept),
		T(test_utf8_invalid_escaped),
		T(test_utf8_controls_escaped),
		T(test_strn_stops_at_n),
		T(test_double),
		T(test_double_nan_as_member),
		T(test_empty_string_and_key),
		T(test_deep_nesting_within_limit),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
