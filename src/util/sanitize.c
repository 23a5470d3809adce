// SPDX-License-Identifier: GPL-2.0
#include "util/sanitize.h"

size_t utf8_char(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t v, min;
	size_t len;

	if (!n)
		return 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, v = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, v = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, v = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;	/* ASCII, a continuation byte, or never valid */
	}
	if (len > n)
		return 0;	/* cut short (a name the kernel truncated) */
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates and beyond U+10FFFF are invalid */
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

char *sanitize_text(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t i = 0, o = 0;
	uint32_t cp;

	if (!dstlen)
		return dst;
	while (i < n && o + 1 < dstlen && src[i]) {
		unsigned char c = (unsigned char)src[i];
		size_t len = c >= 0x80 ? utf8_char(src + i, n - i, &cp) : 0;

		/* a whole character is one '?', as it takes one place on screen */
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		i += len ? len : 1;
	}
	dst[o] = '\0';
	return dst;
}
