// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "out/columns.h"

static unsigned umax(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

void col_layout_init(struct col_layout *l, const struct col_spec *cols, size_t ncols)
{
	memset(l, 0, sizeof(*l));
	l->cols = cols;
	l->ncols = ncols < COL_MAX ? ncols : COL_MAX;
	for (size_t c = 0; c < l->ncols; c++)
		l->width[c] = umax(cols[c].min_width, (unsigned)strlen(cols[c].header));
}

void col_measure(struct col_layout *l, const struct col_row *row)
{
	for (size_t c = 0; c < l->ncols; c++)
		l->width[c] = umax(l->width[c], (unsigned)strnlen(row->cell[c], COL_CELL_LEN));
}

int col_shown(const struct col_layout *l, size_t col)
{
	return col < l->ncols && l->width[col] > 0;
}

unsigned col_line_width(const struct col_layout *l)
{
	unsigned w = 0, n = 0;

	for (size_t c = 0; c < l->ncols; c++) {
		if (!col_shown(l, c))
			continue;
		w += l->width[c];
		n++;
	}
	return n ? w + n - 1 : 0;	/* one space between columns */
}

/* The kept column that goes first: the highest drop order, 0 never. */
static int next_to_drop(const struct col_layout *l)
{
	int best = -1;

	for (size_t c = 0; c < l->ncols; c++) {
		if (!col_shown(l, c) || !l->cols[c].drop)
			continue;
		if (best < 0 || l->cols[c].drop > l->cols[best].drop)
			best = (int)c;
	}
	return best;
}

void col_fit(struct col_layout *l, unsigned limit)
{
	unsigned w;
	int c;

	l->limit = limit;
	if (!limit)
		return;
	while ((w = col_line_width(l)) > limit && (c = next_to_drop(l)) >= 0)
		l->width[c] = 0;
	/* still too wide: cut the columns that may be cut, in column order */
	for (size_t k = 0; k < l->ncols && (w = col_line_width(l)) > limit; k++) {
		unsigned floor = l->cols[k].narrow_to, excess = w - limit;

		if (!col_shown(l, k) || !floor || l->width[k] <= floor)
			continue;
		l->width[k] -= excess < l->width[k] - floor ? excess : l->width[k] - floor;
	}
}

/* Appends text in a field of `width`, cut with '~' when it is longer. */
static char *put_cell(char *p, const char *text, unsigned width,
		      enum col_align align, int pad)
{
	size_t n = strnlen(text, COL_CELL_LEN);

	if (n > width) {
		memcpy(p, text, width);
		p += width;
		if (width)
			p[-1] = '~';
		return p;
	}
	if (align == COL_RIGHT) {
		memset(p, ' ', width - n);
		p += width - n;
	}
	memcpy(p, text, n);
	p += n;
	if (align == COL_LEFT && pad) {
		memset(p, ' ', width - n);
		p += width - n;
	}
	return p;
}

static void print_cells(FILE *out, const struct col_layout *l,
			const char *const *text)
{
	char line[COL_MAX * (COL_CELL_LEN + 1) + 1], *p = line;
	size_t last = 0;

	for (size_t c = 0; c < l->ncols; c++)
		if (col_shown(l, c))
			last = c;
	for (size_t c = 0; c < l->ncols; c++) {
		if (!col_shown(l, c))
			continue;
		if (p != line)
			*p++ = ' ';
		/* no trailing blanks after the last column */
		p = put_cell(p, text[c], l->width[c], l->cols[c].align, c != last);
	}
	*p = '\0';
	if (l->limit && (size_t)(p - line) > l->limit)
		line[l->limit] = '\0';	/* the kept columns alone are too wide */
	fputs(line, out);
	fputc('\n', out);
}

void col_print_header(FILE *out, const struct col_layout *l)
{
	const char *text[COL_MAX];

	for (size_t c = 0; c < l->ncols; c++)
		text[c] = l->cols[c].header;
	print_cells(out, l, text);
}

void col_print_row(FILE *out, const struct col_layout *l, const struct col_row *row)
{
	const char *text[COL_MAX];

	for (size_t c = 0; c < l->ncols; c++)
		text[c] = row->cell[c];
	print_cells(out, l, text);
}

void col_print_text(FILE *out, const char *text, unsigned limit, unsigned indent)
{
	unsigned col, lead;
	size_t gap = 0, sp;

	if (!limit || strlen(text) <= limit) {
		fputs(text, out);
		fputc('\n', out);
		return;
	}
	if (indent >= limit)
		indent = 0;
	sp = strspn(text, " ");	/* the line's own indentation stays */
	col = lead = sp < limit ? (unsigned)sp : 0;
	fprintf(out, "%*s", (int)col, "");
	text += sp;
	while (*text) {
		size_t word = strcspn(text, " ");

		if (col > lead && col + gap + word > limit) {	/* the next line */
			fprintf(out, "\n%*s", (int)indent, "");
			col = lead = indent;
			gap = 0;
		}
		fprintf(out, "%*s", (int)gap, "");
		col += (unsigned)gap;
		while (word > limit - col) {	/* longer than a line: cut */
			size_t part = limit - col;

			fwrite(text, 1, part, out);
			text += part;
			word -= part;
			fprintf(out, "\n%*s", (int)indent, "");
			col = lead = indent;
		}
		fwrite(text, 1, word, out);
		col += (unsigned)word;
		text += word;
		gap = strspn(text, " ");	/* printed only before a next word */
		text += gap;
	}
	fputc('\n', out);
}
