// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include "util/json.h"
#include "util/sanitize.h"

/*
 * `trace` writes a JSON object per read, hundreds of thousands a second, and
 * `top -o json` thousands of sockets a second: the output is gathered in the
 * writer's buffer and goes to the unlocked stdio calls (one thread writes) a
 * line at a time, and numbers are formatted by hand rather than by printf.
 */
void jw_flush(struct json_writer *jw)
{
	if (jw->len)
		fwrite_unlocked(jw->buf, 1, jw->len, jw->out);
	jw->len = 0;
}

static void put(struct json_writer *jw, char c)
{
	if (jw->len == sizeof(jw->buf))
		jw_flush(jw);
	jw->buf[jw->len++] = c;
}

static void puts_n(struct json_writer *jw, const char *s, size_t n)
{
	if (n > sizeof(jw->buf) - jw->len) {
		jw_flush(jw);
		if (n > sizeof(jw->buf)) {
			fwrite_unlocked(s, 1, n, jw->out);
			return;
		}
	}
	memcpy(jw->buf + jw->len, s, n);
	jw->len += n;
}

static void put_u64(struct json_writer *jw, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_n(jw, p, (size_t)(buf + sizeof(buf) - p));
}

void jw_init(struct json_writer *jw, FILE *out)
{
	jw->out = out;
	jw->len = 0;
	jw->depth = 0;
	jw->after_key = false;
	memset(jw->need_comma, 0, sizeof(jw->need_comma));
}

/* Called before every value: a comma between siblings, none after a key. */
static void jw_sep(struct json_writer *jw)
{
	if (jw->after_key) {
		jw->after_key = false;
		return;
	}
	if (jw->depth > 0 && jw->need_comma[jw->depth])
		put(jw, ',');
	if (jw->depth > 0)
		jw->need_comma[jw->depth] = true;
}

static void jw_open(struct json_writer *jw, char c)
{
	jw_sep(jw);
	put(jw, c);
	if (jw->depth < JW_MAX_DEPTH - 1)
		jw->depth++;
	jw->need_comma[jw->depth] = false;
}

static void jw_close(struct json_writer *jw, char c)
{
	put(jw, c);
	if (jw->depth > 0)
		jw->depth--;
}

void jw_begin_object(struct json_writer *jw) { jw_open(jw, '{'); }
void jw_end_object(struct json_writer *jw) { jw_close(jw, '}'); }
void jw_begin_array(struct json_writer *jw) { jw_open(jw, '['); }
void jw_end_array(struct json_writer *jw) { jw_close(jw, ']'); }

/*
 * Strings are UTF-8 as they are, escaped only where JSON needs it ('"', '\\',
 * control characters) and, to be safe where the text is shown, C1 controls
 * and U+2028/U+2029. A byte that is not part of valid UTF-8 (a process name is
 * arbitrary bytes) becomes \u00XX, the character of that value: the output
 * stays valid JSON and valid UTF-8 whatever the name holds.
 */
/* Bytes that go out as they are: printable ASCII but '"' and '\\'. */
static bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void put_u_escape(struct json_writer *jw, uint32_t cp)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = { '\\', 'u', hex[cp >> 12 & 15], hex[cp >> 8 & 15],
		      hex[cp >> 4 & 15], hex[cp & 15] };

	puts_n(jw, u, sizeof(u));
}

/* The character at s (not plain ASCII): escaped or copied; its length. */
static size_t put_special(struct json_writer *jw, const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	uint32_t cp;
	size_t len;

	switch (c) {
	case '"': puts_n(jw, "\\\"", 2); return 1;
	case '\\': puts_n(jw, "\\\\", 2); return 1;
	case '\n': puts_n(jw, "\\n", 2); return 1;
	case '\t': puts_n(jw, "\\t", 2); return 1;
	case '\r': puts_n(jw, "\\r", 2); return 1;
	}
	len = c >= 0x80 ? utf8_char(s, n, &cp) : 0;
	if (!len) {
		put_u_escape(jw, c);	/* a control byte, DEL, or invalid */
		return 1;
	}
	if ((cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029)
		put_u_escape(jw, cp);
	else
		puts_n(jw, s, len);
	return len;
}

static void jw_escaped(struct json_writer *jw, const char *s, size_t n)
{
	size_t run = 0;

	/* the common case, a plain string: one copy */
	while (run < n && s[run] && plain((unsigned char)s[run]))
		run++;
	if (run == n || !s[run]) {
		if (run + 2 <= sizeof(jw->buf) - jw->len) {
			jw->buf[jw->len++] = '"';
			memcpy(jw->buf + jw->len, s, run);
			jw->len += run;
			jw->buf[jw->len++] = '"';
			return;
		}
	}

	put(jw, '"');
	for (size_t i = 0; i < n && s[i]; ) {
		size_t j = i;

		/* a run that needs no escape goes out in one piece */
		while (j < n && s[j] && plain((unsigned char)s[j]))
			j++;
		if (j > i) {
			puts_n(jw, s + i, j - i);
			i = j;
			continue;
		}
		i += put_special(jw, s + i, n - i);
	}
	put(jw, '"');
}

void jw_key(struct json_writer *jw, const char *key)
{
	jw_sep(jw);
	jw_escaped(jw, key, strlen(key));
	put(jw, ':');
	jw->after_key = true;
}

void jw_str(struct json_writer *jw, const char *s)
{
	jw_sep(jw);
	jw_escaped(jw, s, strlen(s));
}

void jw_strn(struct json_writer *jw, const char *s, size_t n)
{
	jw_sep(jw);
	jw_escaped(jw, s, n);
}

void jw_u64(struct json_writer *jw, uint64_t v)
{
	jw_sep(jw);
	put_u64(jw, v);
}

void jw_i64(struct json_writer *jw, int64_t v)
{
	jw_sep(jw);
	if (v < 0) {
		put(jw, '-');
		put_u64(jw, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(jw, (uint64_t)v);
	}
}

void jw_double(struct json_writer *jw, double v, int decimals)
{
	char buf[352];	/* DBL_MAX with its decimals */
	int n;

	jw_sep(jw);
	if (!isfinite(v)) {
		puts_n(jw, "null", 4);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	if (n > 0)
		puts_n(jw, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* 10^d for the decimals a ratio may have */
static const uint64_t pow10_u64[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };

void jw_ratio(struct json_writer *jw, uint64_t num, uint64_t den, int decimals)
{
	uint64_t scale, q, r, whole, frac;
	char buf[8], *p;

	if (!den) {
		jw_null(jw);
		return;
	}
	if (decimals < 0 || decimals >= (int)(sizeof(pow10_u64) / sizeof(pow10_u64[0])))
		decimals = 0;
	scale = pow10_u64[decimals];
	/*
	 * Exactly as printf("%.*f") prints the double num / den: that double is
	 * the quotient correctly rounded, within (num / den) * 2^-53 of it, and
	 * a quotient that is not halfway between two outputs is at least
	 * 1 / (2 * den * 10^d) away from the middle, farther than that error
	 * while num * 10^d < 2^52. So the integers decide, except for a tie
	 * (printf then looks at the double's binary value) or larger numbers.
	 */
	if (num >= (1ULL << 52) / scale || den >= (1ULL << 53)) {
		jw_double(jw, (double)num / (double)den, decimals);
		return;
	}
	q = num * scale / den;
	r = num * scale % den;
	if (2 * r == den) {
		jw_double(jw, (double)num / (double)den, decimals);
		return;
	}
	if (2 * r > den)
		q++;
	whole = q / scale;
	frac = q % scale;
	jw_sep(jw);
	put_u64(jw, whole);
	if (!decimals)
		return;
	p = buf + sizeof(buf);
	for (int i = 0; i < decimals; i++) {
		*--p = (char)('0' + frac % 10);
		frac /= 10;
	}
	*--p = '.';
	puts_n(jw, p, (size_t)(buf + sizeof(buf) - p));
}

void jw_bool(struct json_writer *jw, bool v)
{
	jw_sep(jw);
	if (v)
		puts_n(jw, "true", 4);
	else
		puts_n(jw, "false", 5);
}

void jw_null(struct json_writer *jw)
{
	jw_sep(jw);
	puts_n(jw, "null", 4);
}

void jw_newline(struct json_writer *jw)
{
	put(jw, '\n');
	jw_flush(jw);
	jw->depth = 0;
	jw->after_key = false;
	memset(jw->need_comma, 0, sizeof(jw->need_comma));
}

void jw_kv_str(struct json_writer *jw, const char *k, const char *v)
{
	jw_key(jw, k);
	jw_str(jw, v);
}

void jw_kv_u64(struct json_writer *jw, const char *k, uint64_t v)
{
	jw_key(jw, k);
	jw_u64(jw, v);
}

void jw_kv_i64(struct json_writer *jw, const char *k, int64_t v)
{
	jw_key(jw, k);
	jw_i64(jw, v);
}

void jw_kv_bool(struct json_writer *jw, const char *k, bool v)
{
	jw_key(jw, k);
	jw_bool(jw, v);
}

void jw_kv_null(struct json_writer *jw, const char *k)
{
	jw_key(jw, k);
	jw_null(jw);
}
