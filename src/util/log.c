// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "util/log.h"
#include "util/json.h"
#include "util/output.h"

static struct {
	bool verbose;
	bool json;
} log_cfg;

void log_setup(bool verbose, bool json)
{
	log_cfg.verbose = verbose;
	log_cfg.json = json;
}

bool log_verbose(void)
{
	return log_cfg.verbose;
}

static void json_error(const char *msg, const char *hint);

void log_error(const char *hint, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (hint)
		fprintf(stderr, "bufscope: %s (hint: %s)\n", msg, hint);
	else
		fprintf(stderr, "bufscope: %s\n", msg);
	if (log_cfg.json)
		json_error(msg, hint);
}

/*
 * The error object goes out past stdio, on a line of its own: it may follow a
 * write that failed half-way (docs/json.md).
 */
static void json_error(const char *msg, const char *hint)
{
	struct json_writer jw;
	char *line = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&line, &len);

	if (!mem)
		return;
	jw_init(&jw, mem);
	jw_begin_object(&jw);
	jw_kv_str(&jw, "type", "error");
	jw_kv_str(&jw, "error", msg);
	if (hint)
		jw_kv_str(&jw, "hint", hint);
	jw_end_object(&jw);
	jw_newline(&jw);
	if (!fclose(mem))
		output_line(line, len);
	free(line);
}

static void log_prefixed(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_prefixed("bufscope: warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_prefixed("bufscope: ", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_cfg.verbose)
		return;
	va_start(ap, fmt);
	log_prefixed("bufscope: debug: ", fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	/* Without -v our own error says what failed and suggests -v. */
	if (!log_cfg.verbose)
		return 0;
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

void log_libbpf_setup(void)
{
	libbpf_set_print(libbpf_print);
}

void log_output_error(int err)
{
	log_error(output_error_hint(err), "cannot write to standard output: %s",
		  strerror(err));
}
