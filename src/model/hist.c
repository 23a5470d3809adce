// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include "model/hist.h"
#include "bufscope/log2.h"

unsigned hist_slot(uint64_t v)
{
	return bs_log2_slot(v);
}

uint64_t hist_slot_low(unsigned slot)
{
	return slot ? 1ULL << (slot - 1) : 0;
}

uint64_t hist_slot_high(unsigned slot)
{
	if (slot + 1 >= BS_HIST_SLOTS)
		return 0;
	return 1ULL << slot;
}

uint64_t hist_total(const uint64_t *slots)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < BS_HIST_SLOTS; i++)
		t += slots[i];
	return t;
}

int hist_percentile_slot(const uint64_t *slots, double p)
{
	uint64_t total = hist_total(slots), seen = 0;
	double want;

	if (!total || p <= 0 || p > 100)
		return -1;
	want = total * p / 100.0;
	for (unsigned i = 0; i < BS_HIST_SLOTS; i++) {
		seen += slots[i];
		if (seen >= want && slots[i])
			return (int)i;
	}
	return BS_HIST_SLOTS - 1;
}

/* One line per enum bs_hist_kind. */
static const struct hist_kind_info kinds[BS_HIST_N] = {
	[BS_HIST_REQ] = { "req_bytes", "requested read size", "bytes" },
	[BS_HIST_RET] = { "read_bytes", "returned read size", "bytes" },
	[BS_HIST_QUEUE] = { "queue_bytes", "queue depth before the read", "bytes" },
	[BS_HIST_AGE] = { "byte_age_us", "residence: wait of the oldest byte read", "us" },
	[BS_HIST_GAP] = { "gap_us", "time since the previous read", "us" },
};

const unsigned hist_kind_order[BS_HIST_N] = {
	BS_HIST_REQ, BS_HIST_RET, BS_HIST_QUEUE, BS_HIST_AGE, BS_HIST_GAP,
};

const struct hist_kind_info *hist_kind(unsigned kind)
{
	return kind < BS_HIST_N ? &kinds[kind] : NULL;
}

void hist_add_all(uint64_t *dst, const uint64_t *src)
{
	for (size_t i = 0; i < (size_t)BS_HIST_N * BS_HIST_SLOTS; i++)
		dst[i] += src[i];
}

bool hist_any(const uint64_t *slots, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (slots[i])
			return true;
	return false;
}

bool hist_percentile(const uint64_t *slots, double p, uint64_t *low, uint64_t *high)
{
	int slot = hist_percentile_slot(slots, p);

	if (slot < 0)
		return false;
	*low = hist_slot_low((unsigned)slot);
	*high = hist_slot_high((unsigned)slot);
	return true;
}
