/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the kernel's drop reasons (enum skb_drop_reason), read from the
 * running kernel's BTF: the values differ between kernel versions.
 */
#ifndef BUFSCOPE_DROP_REASONS_H
#define BUFSCOPE_DROP_REASONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

/*
 * What a drop means for the receiver (docs/metrics.md, "Drops on the receive
 * path"): data it did not have and threw away, so it is lost until the
 * sender retransmits it; or a discard TCP makes on a healthy connection by
 * design (a duplicate, a zero-window probe, a segment after close).
 */
enum drop_class {
	DROP_LOST,
	DROP_EXPECTED,
};

struct drop_reasons {
	char **names;		/* by value; NULL where the enum has a gap */
	bool *expected;		/* by value: drop_class_of_name() is DROP_EXPECTED */
	size_t n;
};

/* Loads enum skb_drop_reason from btf; 0 or -ENOENT if it has none. */
int drop_reasons_load(struct drop_reasons *dr, const struct btf *btf);
void drop_reasons_free(struct drop_reasons *dr);
/* "TCP_ZEROWINDOW" for SKB_DROP_REASON_TCP_ZEROWINDOW; "REASON_<n>" if the
 * value is unknown (buf holds it). */
const char *drop_reason_name(const struct drop_reasons *dr, uint32_t value,
			     char *buf, size_t len);
/*
 * The class of a reason by its name without the prefix ("TCP_OLD_SEQUENCE").
 * A name bufscope does not know (a newer kernel's) is DROP_LOST: a false
 * alarm can be looked into, a loss counted as expected would be hidden.
 */
enum drop_class drop_class_of_name(const char *name);
/* The class of a value of the running kernel; DROP_LOST when it has no name
 * (dr NULL or without the enum included). */
enum drop_class drop_reason_class(const struct drop_reasons *dr, uint32_t value);
/* out[v] = 1 where value v is DROP_EXPECTED, for v < n: the kernel side's
 * table (cfg_drop_expected), which counts each socket's expected discards. */
void drop_reasons_expected_table(const struct drop_reasons *dr, uint8_t *out,
				 size_t n);

#endif
