/* SPDX-License-Identifier: GPL-2.0 */
/* FNV-1a: the one hash behind the model's and the exporter's open-addressed
 * tables (fast, no setup, good enough spread for slot indexes). */
#ifndef BUFSCOPE_HASH_H
#define BUFSCOPE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_INIT 0xcbf29ce484222325ULL

/* h folded with the n bytes at p; start from FNV1A_INIT. */
static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* h folded with the string s up to its NUL or max bytes, whichever first. */
static inline uint64_t fnv1a_str(uint64_t h, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
	return h;
}

#endif
