/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text tables that fit a line width, after ss's column model: every column
 * has a header, a minimum width, an alignment and a drop order; the cells of
 * all rows are measured before anything is printed, so a column is as wide as
 * its widest cell, and the columns that do not fit are left out, least
 * important first. Formatting only: the caller says what goes in the cells.
 */
#ifndef BUFSCOPE_COLUMNS_H
#define BUFSCOPE_COLUMNS_H

#include <stddef.h>
#include <stdio.h>

#define COL_MAX 24
#define COL_CELL_LEN 64		/* an IPv6 endpoint and more */

enum col_align { COL_LEFT, COL_RIGHT };

struct col_spec {
	const char *header;
	unsigned min_width;	/* 0: as wide as its header and cells */
	enum col_align align;
	/* 0: always shown; else the table leaves it out when it does not fit,
	 * the highest first */
	unsigned drop;
	/* 0: never cut; else, when the kept columns still do not fit, its cells
	 * may be cut to this width (the last character shown becomes '~') */
	unsigned narrow_to;
};

/* One row's cells, by column. */
struct col_row {
	char cell[COL_MAX][COL_CELL_LEN];
};

struct col_layout {
	const struct col_spec *cols;
	size_t ncols;
	unsigned width[COL_MAX];	/* 0 after col_fit(): left out */
	unsigned limit;			/* the line width; 0: none */
};

void col_layout_init(struct col_layout *l, const struct col_spec *cols, size_t ncols);
/* Widen the columns to this row's cells (call for every row first). */
void col_measure(struct col_layout *l, const struct col_row *row);
/*
 * Make the lines fit `limit` characters (0: no limit, every column shown):
 * leave out columns by their drop order, then cut the narrowable ones; a
 * line that still does not fit is cut at the limit when printed.
 */
void col_fit(struct col_layout *l, unsigned limit);
/* The width of a line with the columns kept. */
unsigned col_line_width(const struct col_layout *l);
/* Is the column shown? */
int col_shown(const struct col_layout *l, size_t col);
void col_print_header(FILE *out, const struct col_layout *l);
void col_print_row(FILE *out, const struct col_layout *l, const struct col_row *row);
/*
 * A line of text (no newline in it) that fits `limit`: words that overflow
 * go to continuation lines indented by `indent` spaces; a word longer than a
 * whole line is cut. limit 0: printed as it is.
 */
void col_print_text(FILE *out, const char *text, unsigned limit, unsigned indent);

#endif
