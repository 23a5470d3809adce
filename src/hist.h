/* SPDX-License-Identifier: GPL-2.0 */
/* The log2 histograms kept in the kernel (bpf/bufscope.bpf.h: hist_slot). */
#ifndef BUFSCOPE_HIST_H
#define BUFSCOPE_HIST_H

#include <stdbool.h>
#include <stdint.h>
#include "bufscope/sock.h"

/* Same bucketing as the BPF side: 0 -> 0, v -> 1 + floor(log2 v), capped. */
unsigned hist_slot(uint64_t v);
/* Lowest value of a slot, and one past its highest (0 = unbounded). */
uint64_t hist_slot_low(unsigned slot);
uint64_t hist_slot_high(unsigned slot);
uint64_t hist_total(const uint64_t *slots);
/* The slot holding the p-th percentile (0 < p <= 100); -1 if empty. */
int hist_percentile_slot(const uint64_t *slots, double p);

#endif
