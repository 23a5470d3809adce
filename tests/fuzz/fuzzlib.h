/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libFuzzer targets (tests/fuzz/fuzz_*.c) share: the input cut
 * into fields, JSON lines checked (by tests/common/json_check.h), the
 * "nothing a terminal would act on" check, and a check that aborts (so
 * libFuzzer keeps the input) with what failed.
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

#include "json_check.h"

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

/* Every line of text[0..n) is one JSON object (and there is no NUL in it,
 * no line left open): true. Else the line that is not goes to stderr. */
static inline bool fuzz_json_lines(const char *text, size_t n)
{
	char *bad;

	if (json_check_lines(text, n, &bad) >= 0)
		return true;
	fprintf(stderr, "not a JSON object: %s\n", bad);
	free(bad);
	return false;
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
