/* SPDX-License-Identifier: GPL-2.0 */
/* The log2 histograms kept in the kernel (bucketed by include/bufscope/log2.h). */
#ifndef BUFSCOPE_HIST_H
#define BUFSCOPE_HIST_H

#include <stdbool.h>
#include <stdint.h>
#include "bufscope/sock.h"

/* The bucketing of include/bufscope/log2.h, which the BPF side uses too. */
unsigned hist_slot(uint64_t v);
/* Lowest value of a slot, and one past its highest (0 = unbounded). */
uint64_t hist_slot_low(unsigned slot);
uint64_t hist_slot_high(unsigned slot);
uint64_t hist_total(const uint64_t *slots);
/* The slot holding the p-th percentile (0 < p <= 100); -1 if empty. */
int hist_percentile_slot(const uint64_t *slots, double p);
/* The same as its bounds, [*low, *high) (*high 0: open-ended); false if
 * the histogram is empty. */
bool hist_percentile(const uint64_t *slots, double p, uint64_t *low, uint64_t *high);

/* What each kind of histogram holds: its JSON key, title and unit. */
struct hist_kind_info {
	const char *key;	/* JSON key: "req_bytes", ... */
	const char *title;	/* "requested read size", ... */
	const char *unit;	/* "bytes" or "us" */
};
/* The info of a kind (enum bs_hist_kind, docs/json.md); NULL for none. */
const struct hist_kind_info *hist_kind(unsigned kind);
/* The kinds in the order they are shown: requested, returned, queue depth,
 * residence, gap. */
extern const unsigned hist_kind_order[BS_HIST_N];

/* dst += src, for all BS_HIST_N histograms of a socket. */
void hist_add_all(uint64_t *dst, const uint64_t *src);
bool hist_any(const uint64_t *slots, unsigned n);

#endif
