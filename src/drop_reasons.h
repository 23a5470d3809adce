/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the kernel's drop reasons (enum skb_drop_reason), read from the
 * running kernel's BTF: the values differ between kernel versions.
 */
#ifndef BUFSCOPE_DROP_REASONS_H
#define BUFSCOPE_DROP_REASONS_H

#include <stddef.h>
#include <stdint.h>

struct btf;

struct drop_reasons {
	char **names;		/* by value; NULL where the enum has a gap */
	size_t n;
};

/* Loads enum skb_drop_reason from btf; 0 or -ENOENT if it has none. */
int drop_reasons_load(struct drop_reasons *dr, const struct btf *btf);
void drop_reasons_free(struct drop_reasons *dr);
/* "TCP_ZEROWINDOW" for SKB_DROP_REASON_TCP_ZEROWINDOW; "REASON_<n>" if the
 * value is unknown (buf holds it). */
const char *drop_reason_name(const struct drop_reasons *dr, uint32_t value,
			     char *buf, size_t len);

#endif
