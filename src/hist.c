// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include "hist.h"
#include "bufscope/log2.h"

/* One line per enum bs_hist_kind, in its order. */
static const struct {
	const char *key, *unit;
} kinds[BS_HIST_N] = {
	[BS_HIST_RET] = { "read_bytes", "bytes" },
	[BS_HIST_REQ] = { "req_bytes", "bytes" },
	[BS_HIST_QUEUE] = { "queue_bytes", "bytes" },
	[BS_HIST_AGE] = { "byte_age_us", "us" },
	[BS_HIST_GAP] = { "gap_us", "us" },
};

const char *hist_kind_key(unsigned kind)
{
	return kind < BS_HIST_N ? kinds[kind].key : NULL;
}

const char *hist_kind_unit(unsigned kind)
{
	return kind < BS_HIST_N ? kinds[kind].unit : NULL;
}

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
