// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/util/sanitize.c: sanitize_text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "util/sanitize.h"

#define UNUSED __attribute__((unused))

static void test_printable_kept(void **state UNUSED)
{
	char dst[64];
	const char *s = "nginx: worker ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./";

	assert_ptr_equal(sanitize_text(dst, sizeof(dst), s, strlen(s)), dst);
	assert_string_equal(dst, s);
}

static void test_escape_sequence_replaced(void **state UNUSED)
{
	char dst[32];

	sanitize_text(dst, sizeof(dst), "\x1b[31mevil\x1b[0m", 16);
	assert_string_equal(dst, "?[31mevil?[0m");
	assert_null(strchr(dst, 0x1b));
}

static void test_non_printable_bytes(void **state UNUSED)
{
	char dst[32];
	const char src[] = "a\nb\tc\rd\x7f" "e\x80" "f\xff" "g\x01" "h\x1f" " ~";

	sanitize_text(dst, sizeof(dst), src, sizeof(src));
	assert_string_equal(dst, "a?b?c?d?e?f?g?h? ~");
	/* Every byte in 0x00-0xff: printable ones kept, others '?'. */
	for (int c = 1; c < 256; c++) {
		char in[2] = { (char)c, 0 }, out[2];

		sanitize_text(out, sizeof(out), in, 1);
		if (c >= 0x20 && c <= 0x7e)
			assert_int_equal((unsigned char)out[0], c);
		else
			assert_int_equal(out[0], '?');
		assert_int_equal(out[1], '\0');
	}
}

static void test_utf8_one_mark_per_character(void **state UNUSED)
{
	char dst[16];

	sanitize_text(dst, sizeof(dst), "caf\xc3\xa9", 16);
	assert_string_equal(dst, "caf?");
	sanitize_text(dst, sizeof(dst), "\xc3\xa9\xe6\xbc\xa2x", 16);	/* é漢x */
	assert_string_equal(dst, "?" "?x");
	/* invalid or cut short: a '?' per byte, nothing raw reaches the screen */
	sanitize_text(dst, sizeof(dst), "\xe6\xbc" "a\xc2\x9b" "b\xff", 16);
	assert_string_equal(dst, "??a?b?");
	/* a character cut by n is invalid */
	sanitize_text(dst, sizeof(dst), "\xe6\xbc\xa2", 2);
	assert_string_equal(dst, "??");
}

static void test_utf8_char(void **state UNUSED)
{
	uint32_t cp = 0;

	assert_int_equal(utf8_char("\xc3\xa9", 2, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(utf8_char("\xe6\xbc\xa2", 3, &cp), 3);
	assert_int_equal(cp, 0x6f22);
	assert_int_equal(utf8_char("\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	assert_int_equal(utf8_char("a", 1, &cp), 0);
	assert_int_equal(utf8_char("\xc3\xa9", 1, &cp), 0);		/* cut */
	assert_int_equal(utf8_char("\xc1\xbf", 2, &cp), 0);		/* overlong */
	assert_int_equal(utf8_char("\xe0\x9f\xbf", 3, &cp), 0);	/* overlong */
	assert_int_equal(utf8_char("\xed\xbf\xbf", 3, &cp), 0);	/* surrogate */
	assert_int_equal(utf8_char("\xf4\x90\x80\x80", 4, &cp), 0);	/* > U+10FFFF */
	assert_int_equal(utf8_char("\xc3\x28", 2, &cp), 0);		/* bad tail */
	assert_int_equal(utf8_char("\x80", 1, &cp), 0);		/* a tail alone */
}

static void test_stops_at_nul(void **state UNUSED)
{
	char dst[16];
	const char src[8] = { 'a', 'b', 0, 'c', 'd', 0, 0, 0 };

	memset(dst, 'Z', sizeof(dst));
	sanitize_text(dst, sizeof(dst), src, sizeof(src));
	assert_string_equal(dst, "ab");
}

static void test_stops_at_n(void **state UNUSED)
{
	char dst[16];
	/* A 16-byte kernel field with no NUL in it. */
	const char comm[16] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
				'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p' };

	memset(dst, 'Z', sizeof(dst));
	sanitize_text(dst, sizeof(dst), "abcdef", 3);
	assert_string_equal(dst, "abc");
	sanitize_text(dst, sizeof(dst), "abcdef", 0);
	assert_string_equal(dst, "");

	{
		char big[32];

		memset(big, 'Z', sizeof(big));
		sanitize_text(big, sizeof(big), comm, sizeof(comm));
		assert_string_equal(big, "abcdefghijklmnop");
		assert_int_equal(big[17], 'Z');
	}
}

static void test_respects_dstlen(void **state UNUSED)
{
	char dst[8];
	char guard[16];

	memset(guard, 'G', sizeof(guard));
	memset(dst, 'Z', sizeof(dst));
	/* Truncated to dstlen - 1 and NUL-terminated. */
	sanitize_text(dst, 4, "abcdefgh", 8);
	assert_string_equal(dst, "abc");
	assert_int_equal(dst[4], 'Z');

	/* A 16-byte name in a 16-byte buffer: 15 bytes and the NUL. */
	sanitize_text(guard, sizeof(guard), "abcdefghijklmnopqrstuvwxyz", 26);
	assert_int_equal(strlen(guard), 15);
	assert_string_equal(guard, "abcdefghijklmno");

	memset(dst, 'Z', sizeof(dst));
	sanitize_text(dst, 1, "abc", 3);
	assert_int_equal(dst[0], '\0');
	assert_int_equal(dst[1], 'Z');

	/* dstlen 0: nothing is written at all. */
	memset(dst, 'Z', sizeof(dst));
	assert_ptr_equal(sanitize_text(dst, 0, "abc", 3), dst);
	assert_int_equal(dst[0], 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable_kept),
		cmocka_unit_test(test_escape_sequence_replaced),
		cmocka_unit_test(test_non_printable_bytes),
		cmocka_unit_test(test_utf8_one_mark_per_character),
		cmocka_unit_test(test_utf8_char),
		cmocka_unit_test(test_stops_at_nul),
		cmocka_unit_test(test_stops_at_n),
		cmocka_unit_test(test_respects_dstlen),
	};

	return cmocka_run_group_tests_name("sanitize", tests, NULL, NULL);
}
