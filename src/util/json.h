/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal streaming JSON writer: one object per line, commas handled. */
#ifndef BUFSCOPE_JSON_H
#define BUFSCOPE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 16
#define JW_BUF 8192

/* Output is gathered in buf and handed to out at the end of each line (or
 * when buf is full): one stdio call per object, not one per token. */
struct json_writer {
	FILE *out;
	size_t len;
	char buf[JW_BUF];
	int depth;
	bool need_comma[JW_MAX_DEPTH];
	bool after_key;
};

void jw_init(struct json_writer *jw, FILE *out);
void jw_begin_object(struct json_writer *jw);
void jw_end_object(struct json_writer *jw);
void jw_begin_array(struct json_writer *jw);
void jw_end_array(struct json_writer *jw);
void jw_key(struct json_writer *jw, const char *key);
void jw_str(struct json_writer *jw, const char *s);
/* A string of at most n bytes (stops at NUL): for fixed-size kernel fields. */
void jw_strn(struct json_writer *jw, const char *s, size_t n);
void jw_u64(struct json_writer *jw, uint64_t v);
void jw_i64(struct json_writer *jw, int64_t v);
void jw_double(struct json_writer *jw, double v, int decimals);
/* num / den with `decimals` decimals (at most 6), exactly as
 * jw_double(num / (double)den) prints it, without printf; null when den is 0. */
void jw_ratio(struct json_writer *jw, uint64_t num, uint64_t den, int decimals);
void jw_bool(struct json_writer *jw, bool v);
void jw_null(struct json_writer *jw);
/* Ends the line and hands it to out. */
void jw_newline(struct json_writer *jw);
/* Hands what is gathered to out (jw_newline does it). */
void jw_flush(struct json_writer *jw);

void jw_kv_str(struct json_writer *jw, const char *k, const char *v);
void jw_kv_u64(struct json_writer *jw, const char *k, uint64_t v);
void jw_kv_i64(struct json_writer *jw, const char *k, int64_t v);
void jw_kv_bool(struct json_writer *jw, const char *k, bool v);
void jw_kv_null(struct json_writer *jw, const char *k);

#endif
