// SPDX-License-Identifier: GPL-2.0
#include "sanitize.h"

char *sanitize_text(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t i;

	if (!dstlen)
		return dst;
	for (i = 0; i < n && i + 1 < dstlen && src[i]; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[i] = '\0';
	return dst;
}
