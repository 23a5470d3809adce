/* SPDX-License-Identifier: GPL-2.0 */
/* Growing arrays: the one helper behind every table the collector keeps. */
#ifndef BUFSCOPE_ARRAY_H
#define BUFSCOPE_ARRAY_H

#include <errno.h>
#include <stdlib.h>

/*
 * Makes room for element n of *arr (capacity *cap elements of elem bytes),
 * doubling from `first`: 0, or -ENOMEM with the array unchanged.
 */
static inline int array_reserve(void *arr, size_t *cap, size_t n, size_t elem,
				size_t first)
{
	void **p = arr, *grown;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : first;
	grown = realloc(*p, ncap * elem);
	if (!grown)
		return -ENOMEM;
	*p = grown;
	*cap = ncap;
	return 0;
}

#endif
