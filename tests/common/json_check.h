/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A strict JSON checker (RFC 8259) for bufscope's JSON lines, shared by the
 * unit tests (tests/unit/) and the fuzz targets (tests/fuzz/): strings in
 * valid UTF-8 (no overlong form, no surrogate, nothing past U+10FFFF) with
 * no raw control byte, numbers as the grammar says, nesting at most
 * JSON_CHECK_DEPTH deep (so a fuzzed input cannot exhaust the stack).
 * It says whether the text is JSON, not what it holds: tests look at the
 * fields themselves. Static inline, as tests/unit/testlib.h.
 */
#ifndef BUFSCOPE_JSON_CHECK_H
#define BUFSCOPE_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JSON_CHECK_DEPTH 64

static inline const char *jc_value(const char *p, int depth);

/* text[0..n) as a string: a test has no use going on without memory. */
static inline char *jc_dup(const char *text, size_t n)
{
	char *s = strndup(text, n);

	if (!s)
		abort();
	return s;
}

/* Whitespace inside a line: newlines end a line, and CR is not written. */
static inline const char *jc_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A UTF-8 sequence at p, valid (no overlong form, no surrogate, at most
 * U+10FFFF): its length, 0 when invalid. */
static inline size_t jc_utf8(const unsigned char *p)
{
	uint32_t cp;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static inline const char *jc_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		unsigned char c = (unsigned char)*p;
		size_t n;

		if (c < 0x20)
			return NULL;	/* a raw control byte, NUL included */
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!p[i] || !strchr("0123456789abcdefABCDEF", p[i]))
						return NULL;
				p += 5;
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				return NULL;
			}
			continue;
		}
		n = jc_utf8((const unsigned char *)p);
		if (!n)
			return NULL;
		p += n;
	}
	return p + 1;
}

static inline bool jc_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A leading zero ends the integer part: "01" leaves "1" unread, which the
 * caller then refuses as what follows a value. */
static inline const char *jc_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (jc_digit(*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!jc_digit(*++p))
			return NULL;
		while (jc_digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!jc_digit(*p))
			return NULL;
		while (jc_digit(*p))
			p++;
	}
	return p;
}

static inline const char *jc_container(const char *p, int depth, bool object)
{
	char close = object ? '}' : ']';

	if (depth > JSON_CHECK_DEPTH)
		return NULL;
	p = jc_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			p = jc_string(p);
			if (!p)
				return NULL;
			p = jc_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = jc_value(jc_ws(p), depth + 1);
		if (!p)
			return NULL;
		p = jc_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = jc_ws(p);
	}
}

static inline const char *jc_value(const char *p, int depth)
{
	if (*p == '{' || *p == '[')
		return jc_container(p, depth, *p == '{');
	if (*p == '"')
		return jc_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	return jc_number(p);
}

/* Just past the JSON value that starts at p (a string, NUL-terminated or
 * running on into more text), NULL when no value starts there. */
static inline const char *json_check_value(const char *p)
{
	return jc_value(p, 0);
}

/* Every line of text[0..n) is one JSON object, with no NUL anywhere and no
 * line left open: the count of lines. Else -1, and *bad (malloc'ed, the
 * caller frees it) is the first line that is not, or the whole text when
 * it holds a NUL or does not end with a newline. */
static inline int json_check_lines(const char *text, size_t n, char **bad)
{
	const char *p = text, *end = text + n;
	int lines = 0;

	*bad = NULL;
	if (memchr(text, 0, n) || (n && text[n - 1] != '\n')) {
		*bad = jc_dup(text, n);
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line = jc_dup(p, (size_t)(nl - p));
		const char *q;

		q = *line == '{' ? json_check_value(line) : NULL;
		if (!q || *jc_ws(q)) {
			*bad = line;
			return -1;
		}
		free(line);
		lines++;
		p = nl + 1;
	}
	return lines;
}

#endif
