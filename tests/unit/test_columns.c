// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/out/columns.c: tables measured before they are printed,
 * columns left out in their drop order to fit a width, cells cut as a last
 * resort, and text lines wrapped to a width. Output goes to memory streams.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "out/columns.h"

#define UNUSED __attribute__((unused))

/* NAME (kept), ADDR (dropped last), A (dropped first), B, C. */
static const struct col_spec cols[] = {
	{ "NAME", 0, COL_LEFT, 0, 3 },
	{ "ADDR", 0, COL_LEFT, 1, 0 },
	{ "A", 4, COL_RIGHT, 4, 0 },
	{ "BB", 0, COL_RIGHT, 2, 0 },
	{ "C", 0, COL_RIGHT, 3, 0 },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

struct out {
	FILE *f;
	char *buf;
	size_t len;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
}

static const char *out_text(struct out *o)
{
	assert_int_equal(fflush(o->f), 0);
	return o->buf;
}

static void out_close(struct out *o)
{
	fclose(o->f);
	free(o->buf);
}

static void row_set(struct col_row *r, const char *a, const char *b,
		    const char *c, const char *d, const char *e)
{
	const char *v[] = { a, b, c, d, e };

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < NCOLS; i++)
		snprintf(r->cell[i], COL_CELL_LEN, "%s", v[i]);
}

/* Lays out and prints two rows at `limit`; returns the text. */
static const char *table_at(struct out *o, unsigned limit, struct col_layout *l)
{
	struct col_row r[2];

	row_set(&r[0], "reader", "127.0.0.1:8080", "1", "22", "333");
	row_set(&r[1], "x", "[::1]:80", "12345", "0", "7");
	col_layout_init(l, cols, NCOLS);
	col_measure(l, &r[0]);
	col_measure(l, &r[1]);
	col_fit(l, limit);
	col_print_header(o->f, l);
	col_print_row(o->f, l, &r[0]);
	col_print_row(o->f, l, &r[1]);
	return out_text(o);
}

static void assert_lines_fit(const char *text, unsigned limit)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		if (limit && n > limit)
			fail_msg("a line of %zu characters at width %u: %.*s", n, limit,
				 (int)n, text);
		if (n && text[n - 1] == ' ')
			fail_msg("trailing blank: '%.*s'", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

static void test_measured_widths(void **state UNUSED)
{
	struct col_layout l;
	struct out o;
	const char *t;

	out_open(&o);
	t = table_at(&o, 0, &l);
	/* each column as wide as its widest cell or header, or its minimum */
	assert_int_equal(l.width[0], 6);	/* "reader" */
	assert_int_equal(l.width[1], 14);	/* "127.0.0.1:8080" */
	assert_int_equal(l.width[2], 5);	/* "12345" > the minimum 4 */
	assert_int_equal(l.width[3], 2);	/* the header "BB" */
	assert_int_equal(l.width[4], 3);
	assert_int_equal(col_line_width(&l), 6 + 14 + 5 + 2 + 3 + 4);
	assert_string_equal(t,
		"NAME   ADDR               A BB   C\n"
		"reader 127.0.0.1:8080     1 22 333\n"
		"x      [::1]:80       12345  0   7\n");
	assert_lines_fit(t, 0);
	out_close(&o);
}

static void test_drop_order(void **state UNUSED)
{
	struct col_layout l;
	struct out o;
	const char *t;

	/* 34 wide: at 33, A (drop 4) goes first */
	out_open(&o);
	t = table_at(&o, 33, &l);
	assert_false(col_shown(&l, 2));
	assert_true(col_shown(&l, 3) && col_shown(&l, 4));
	assert_string_equal(t,
		"NAME   ADDR           BB   C\n"
		"reader 127.0.0.1:8080 22 333\n"
		"x      [::1]:80        0   7\n");
	out_close(&o);
	/* then C (3), then BB (2), then ADDR (1); NAME never */
	out_open(&o);
	t = table_at(&o, 24, &l);
	assert_string_equal(t,
		"NAME   ADDR           BB\n"
		"reader 127.0.0.1:8080 22\n"
		"x      [::1]:80        0\n");
	out_close(&o);
	out_open(&o);
	t = table_at(&o, 21, &l);
	assert_string_equal(t,
		"NAME   ADDR\n"
		"reader 127.0.0.1:8080\n"
		"x      [::1]:80\n");
	out_close(&o);
	out_open(&o);
	t = table_at(&o, 20, &l);
	assert_string_equal(t, "NAME\nreader\nx\n");
	assert_true(col_shown(&l, 0));
	assert_int_equal(col_line_width(&l), 6);
	out_close(&o);
}

static void test_narrow_then_cut(void **state UNUSED)
{
	struct col_layout l;
	struct out o;
	const char *t;

	/* NAME alone is 6 wide; it may be cut to 3 ("re~") */
	out_open(&o);
	t = table_at(&o, 4, &l);
	assert_int_equal(l.width[0], 4);
	assert_string_equal(t, "NAME\nrea~\nx\n");
	out_close(&o);
	out_open(&o);
	t = table_at(&o, 3, &l);
	assert_string_equal(t, "NA~\nre~\nx\n");
	out_close(&o);
	/* below its floor: lines are cut at the width */
	out_open(&o);
	t = table_at(&o, 2, &l);
	assert_int_equal(l.width[0], 3);
	assert_string_equal(t, "NA\nre\nx\n");
	assert_lines_fit(t, 2);
	out_close(&o);
}

static void test_every_width_fits(void **state UNUSED)
{
	for (unsigned w = 1; w <= 40; w++) {
		struct col_layout l;
		struct out o;

		out_open(&o);
		assert_lines_fit(table_at(&o, w, &l), w);
		out_close(&o);
	}
}

static void test_text_wrap(void **state UNUSED)
{
	struct out o;

	out_open(&o);
	col_print_text(o.f, "short enough", 12, 4);
	col_print_text(o.f, "not cut when there is no limit at all", 0, 4);
	col_print_text(o.f, "aaa bbb ccc ddd", 8, 2);
	/* the line's own indentation stays; continuations are indented */
	col_print_text(o.f, "  window 0 sent    1.2.3.4:5>6.7.8.9:10: lasted 3 ms", 26, 4);
	/* a word longer than a line is cut */
	col_print_text(o.f, "x 0123456789abcdefghij y", 8, 2);
	assert_string_equal(out_text(&o),
		"short enough\n"
		"not cut when there is no limit at all\n"
		"aaa bbb\n"
		"  ccc\n"
		"  ddd\n"
		"  window 0 sent\n"
		"    1.2.3.4:5>6.7.8.9:10:\n"
		"    lasted 3 ms\n"
		"x\n"
		"  012345\n"
		"  6789ab\n"
		"  cdefgh\n"
		"  ij y\n");
	out_close(&o);
	for (unsigned w = 1; w < 30; w++) {
		out_open(&o);
		col_print_text(o.f, "bufscope top  12:00:00  1.0s  3 sockets (3 shown)  "
			       "lost events 0", w, 4);
		{
			const char *t = out_text(&o);

			while (*t) {
				size_t n = strcspn(t, "\n");

				if (n > w)
					fail_msg("width %u: '%.*s'", w, (int)n, t);
				t += n + 1;
			}
		}
		out_close(&o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_measured_widths),
		cmocka_unit_test(test_drop_order),
		cmocka_unit_test(test_narrow_then_cut),
		cmocka_unit_test(test_every_width_fits),
		cmocka_unit_test(test_text_wrap),
	};

	return cmocka_run_group_tests_name("columns", tests, NULL, NULL);
}
