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
/* The JSON key of a histogram kind (enum bs_hist_kind, docs/json.md), and
 * the unit of its values ("bytes", "us"); NULL for no such kind. */
const char *hist_kind_key(unsigned kind);
const char *hist_kind_unit(unsigned kind);
/* The slot holding the p-th percentile (0 < p <= 100); -1 if empty. */
int hist_percentile_slot(const uint64_t *slots, double p);

#endif
