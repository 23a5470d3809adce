/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The log2 bucketing of every histogram, one definition for the BPF programs
 * (bpf/) and the collector (src/): slot 0 holds 0, slot k (k >= 1) the values
 * in [2^(k-1), 2^k), and the last slot everything above. Shifts only, no loop,
 * so the verifier sees straight-line code.
 */
#ifndef BUFSCOPE_LOG2_H
#define BUFSCOPE_LOG2_H

#include "bufscope/sock.h"

static inline __u32 bs_log2_slot(__u64 v)
{
	__u32 slot = 0;

	if (!v)
		return 0;
	if (v >> 32) { slot += 32; v >>= 32; }
	if (v >> 16) { slot += 16; v >>= 16; }
	if (v >> 8) { slot += 8; v >>= 8; }
	if (v >> 4) { slot += 4; v >>= 4; }
	if (v >> 2) { slot += 2; v >>= 2; }
	if (v >> 1) { slot += 1; }
	slot += 1;
	return slot < BS_HIST_SLOTS ? slot : BS_HIST_SLOTS - 1;
}

#endif /* BUFSCOPE_LOG2_H */
