/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Standard output, whole or not at all: every write is resumed after a
 * signal or a partial write, and the first failure is kept so that the run
 * can end with it (docs/json.md, "Errors and exit status").
 */
#ifndef BUFSCOPE_OUTPUT_H
#define BUFSCOPE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Makes stdout a stream on fd 1 that writes through output_write(). Returns 0,
 * or -EBADF when fd 1 is closed (then nothing may be written to it: the next
 * file opened would take its place).
 */
int output_setup(void);

/* The first write error on standard output (a positive errno), 0 if none. */
int output_error(void);

/*
 * Whether the reader of standard output went away (a pipe with no reader, a
 * socket shut down), found without writing: then the error is EPIPE, as a
 * write would have said. With SIGPIPE not ignored, the process ends by
 * SIGPIPE here, as it would at its next write.
 */
bool output_closed(void);

/*
 * Writes a whole line past stdio (a diagnostic after a failure): stdout is
 * flushed first, and a line cut short by an earlier failure is ended first,
 * so the line stands alone. Errors are ignored: it is a last attempt.
 */
void output_line(const char *line, size_t len);

/*
 * The hint for a failure of standard output with err (a positive errno):
 * the usual causes (a full file system, a reader gone, a terminal gone).
 * log_output_error() says it.
 */
const char *output_error_hint(int err);

/* All of buf to fd, resumed after EINTR and partial writes: 0 or -errno. */
int output_write(int fd, const char *buf, size_t len);

#endif
