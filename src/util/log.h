/* SPDX-License-Identifier: GPL-2.0 */
/* The one place diagnostics are printed: stderr, and as JSON in JSON mode. */
#ifndef BUFSCOPE_LOG_H
#define BUFSCOPE_LOG_H

#include <stdbool.h>

void log_setup(bool verbose, bool json);
bool log_verbose(void);

/* The one line saying that standard output failed with err (a positive
 * errno), with output_error_hint()'s hint. A file whose writes failed has
 * already been cut back to its last whole line. */
void log_output_error(int err);

/* A fatal problem: one line "bufscope: MSG (hint: HINT)" on stderr; in JSON
 * mode also {"type":"error",...} on stdout. hint may be NULL. */
void log_error(const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Routes libbpf's messages through log_debug (shown with -v). */
void log_libbpf_setup(void);

#endif
