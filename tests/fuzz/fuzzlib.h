/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libFuzzer targets (tests/fuzz/fuzz_*.c) share: the input cut
 * into fields, a JSON checker, the "nothing a terminal would act on" check,
 * and a check that aborts (so libFuzzer keeps the input) with what failed.
 * Static inline, as tests/unit/testlib.h: each target uses what it needs.
 */
#ifndef BUFSCOPE_FUZZLIB_H
#define BUFSCOPE_FUZZLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A property the code guarantees: when it fails, say which and abort, so
 * libFuzzer saves the input as a crash. */
#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/* The input cut at each sep byte into at most max NUL-terminated fields
 * (the last keeps any further seps), in one allocation: free(*out). */
static inline size_t fuzz_fields(const uint8_t *data, size_t size, char sep,
				 char **fields, size_t max, char **out)
{
	char *buf = malloc(size + 1);
	size_t n = 0;

	*out = buf;
	if (!buf || !max)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	fields[n++] = buf;
	for (size_t i = 0; i < size && n < max; i++) {
		if (buf[i] == sep) {
			buf[i] = 0;
			fields[n++] = &buf[i + 1];
		}
	}
	return n;
}

/* The input as one NUL-terminated string (cut at its first NUL): free it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = 0;
	}
	return s;
}

/* Printable ASCII only: what bufscope lets reach a terminal or an error
 * line from anything it was handed (sanitize_text's promise). */
static inline bool fuzz_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* No control byte but newlines: a table's text may hold UTF-8 (a valid
 * character stands for itself) but never ESC, CR, BS, DEL or C1 bytes. */
static inline bool fuzz_terminal_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return false;
		/* C1 controls, U+0080..U+009F, are C2 80..C2 9F in UTF-8 */
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

/* ---- a strict JSON checker (RFC 8259), for one value per line ---- */

static inline const char *fjs_value(const char *p, int depth);

static inline const char *fjs_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A UTF-8 sequence at p, valid (no overlong form, no surrogate, at most
 * U+10FFFF): its length, 0 when invalid. */
static inline size_t fjs_utf8(const unsigned char *p)
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

static inline const char *fjs_string(const char *p)
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
		n = fjs_utf8((const unsigned char *)p);
		if (!n)
			return NULL;
		p += n;
	}
	return p + 1;
}

static inline bool fjs_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline const char *fjs_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (fjs_digit(*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!fjs_digit(*++p))
			return NULL;
		while (fjs_digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!fjs_digit(*p))
			return NULL;
		while (fjs_digit(*p))
			p++;
	}
	return p;
}

static inline const char *fjs_container(const char *p, int depth, bool object)
{
	char close = object ? '}' : ']';

	if (depth > 64)
		return NULL;
	p = fjs_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			p = fjs_string(p);
			if (!p)
				return NULL;
			p = fjs_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = fjs_value(fjs_ws(p), depth + 1);
		if (!p)
			return NULL;
		p = fjs_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = fjs_ws(p);
	}
}

static inline const char *fjs_value(const char *p, int depth)
{
	if (*p == '{' || *p == '[')
		return fjs_container(p, depth, *p == '{');
	if (*p == '"')
		return fjs_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	return fjs_number(p);
}

/* Every line of text[0..n) is one JSON object (and there is no NUL in it,
 * no line left open): true. */
static inline bool fuzz_json_lines(const char *text, size_t n)
{
	const char *p = text, *end = text + n;

	if (memchr(text, 0, n) || (n && text[n - 1] != '\n'))
		return false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line = strndup(p, (size_t)(nl - p));
		const char *q;
		bool ok;

		if (!line)
			return false;
		q = *line == '{' ? fjs_value(line, 0) : NULL;
		ok = q && *fjs_ws(q) == 0;
		if (!ok)
			fprintf(stderr, "not a JSON object: %s\n", line);
		free(line);
		if (!ok)
			return false;
		p = nl + 1;
	}
	return true;
}

/* ---- the input read as a stream: bytes past its end are zeros ---- */

struct fuzz_input {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t fuzz_byte(struct fuzz_input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/* n bytes into dst, zero-filled past the input's end (a truncated record). */
static inline void fuzz_bytes(struct fuzz_input *in, void *dst, size_t n)
{
	size_t take = n < in->left ? n : in->left;

	memset(dst, 0, n);
	memcpy(dst, in->p, take);
	in->p += take;
	in->left -= take;
}

#ifdef FUZZ_REASONS
#include <bpf/btf.h>
#include "kernel/drop_reasons.h"

/* Drop reasons from a BTF made in memory: names[i] has value i + 2 (a
 * kernel's enum starts with two that are no drop). */
static inline void fuzz_reasons(struct drop_reasons *dr, const char *const *names, int n)
{
	struct btf *btf = btf__new_empty();

	FUZZ_CHECK(btf && btf__add_enum(btf, "skb_drop_reason", 4) > 0);
	for (int i = 0; i < n; i++)
		FUZZ_CHECK(!btf__add_enum_value(btf, names[i], i + 2));
	FUZZ_CHECK(!drop_reasons_load(dr, btf));
	btf__free(btf);
}
#endif

#endif
