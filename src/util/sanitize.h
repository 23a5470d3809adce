/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BUFSCOPE_SANITIZE_H
#define BUFSCOPE_SANITIZE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Copies at most n bytes of src (stopping at NUL) into dst (size dstlen),
 * replacing every byte that is not printable ASCII with '?' (a valid UTF-8
 * character with one '?', whatever its length): a process name is chosen by
 * the process and may hold terminal escape sequences, and the terminal's
 * encoding is unknown. Returns dst, always NUL-terminated.
 */
char *sanitize_text(char *dst, size_t dstlen, const char *src, size_t n);

/*
 * The length (2 to 4) of the valid UTF-8 multibyte character at s, of at
 * most n bytes, with its code point in *cp; 0 for ASCII, an invalid or
 * incomplete sequence (RFC 3629: no overlong forms, no surrogates).
 */
size_t utf8_char(const char *s, size_t n, uint32_t *cp);

#endif
