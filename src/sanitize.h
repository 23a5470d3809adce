/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BUFSCOPE_SANITIZE_H
#define BUFSCOPE_SANITIZE_H

#include <stddef.h>

/*
 * Copies at most n bytes of src (stopping at NUL) into dst (size dstlen),
 * replacing every byte that is not printable ASCII with '?': a process name is
 * chosen by the process and may hold terminal escape sequences.
 * Returns dst, always NUL-terminated.
 */
char *sanitize_text(char *dst, size_t dstlen, const char *src, size_t n);

#endif
