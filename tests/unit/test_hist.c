// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/model/hist.c: log2 buckets as the BPF side fills them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "model/hist.h"

#define UNUSED __attribute__((unused))

/*
 * An independent model of the BPF bucketing (bpf/bufscope.bpf.h): 0 -> 0,
 * else 1 + floor(log2 v), capped at the last slot.
 */
static unsigned ref_slot(uint64_t v)
{
	unsigned s;

	if (!v)
		return 0;
	s = 64 - (unsigned)__builtin_clzll(v);
	return s < BS_HIST_SLOTS ? s : BS_HIST_SLOTS - 1;
}

static void test_slot_small_values(void **state UNUSED)
{
	assert_int_equal(BS_HIST_SLOTS, 32);
	assert_int_equal(hist_slot(0), 0);
	assert_int_equal(hist_slot(1), 1);
	assert_int_equal(hist_slot(2), 2);
	assert_int_equal(hist_slot(3), 2);
	assert_int_equal(hist_slot(4), 3);
	assert_int_equal(hist_slot(5), 3);
	assert_int_equal(hist_slot(7), 3);
	assert_int_equal(hist_slot(8), 4);
	assert_int_equal(hist_slot(1023), 10);
	assert_int_equal(hist_slot(1024), 11);
	assert_int_equal(hist_slot(4096), 13);
	assert_int_equal(hist_slot(65535), 16);
	assert_int_equal(hist_slot(65536), 17);
}

static void test_slot_powers_of_two(void **state UNUSED)
{
	for (unsigned k = 0; k < 64; k++) {
		uint64_t v = 1ULL << k;
		unsigned want = k + 1 < BS_HIST_SLOTS ? k + 1 : BS_HIST_SLOTS - 1;

		assert_int_equal(hist_slot(v), want);
		if (v > 1)
			assert_int_equal(hist_slot(v - 1),
					 k < BS_HIST_SLOTS ? k : BS_HIST_SLOTS - 1);
		assert_int_equal(hist_slot(v), ref_slot(v));
		assert_int_equal(hist_slot(v + 1), ref_slot(v + 1));
	}
}

static void test_slot_capped(void **state UNUSED)
{
	assert_int_equal(hist_slot(1ULL << 30), 31);
	assert_int_equal(hist_slot((1ULL << 31) - 1), 31);
	assert_int_equal(hist_slot(1ULL << 31), 31);
	assert_int_equal(hist_slot(UINT32_MAX), 31);
	assert_int_equal(hist_slot(1ULL << 40), 31);
	assert_int_equal(hist_slot(UINT64_MAX), 31);
}

static void test_slot_matches_reference(void **state UNUSED)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (uint64_t v = 0; v < 5000; v++)
		assert_int_equal(hist_slot(v), ref_slot(v));
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* all magnitudes */
		uint64_t v = x >> (x & 63);

		assert_int_equal(hist_slot(v), ref_slot(v));
	}
}

static void test_slot_bounds(void **state UNUSED)
{
	assert_int_equal(hist_slot_low(0), 0);
	assert_int_equal(hist_slot_high(0), 1);
	assert_int_equal(hist_slot_low(1), 1);
	assert_int_equal(hist_slot_high(1), 2);
	assert_int_equal(hist_slot_low(2), 2);
	assert_int_equal(hist_slot_high(2), 4);
	assert_int_equal(hist_slot_low(11), 1024);
	assert_int_equal(hist_slot_high(11), 2048);
	assert_int_equal(hist_slot_low(30), 1ULL << 29);
	assert_int_equal(hist_slot_high(30), 1ULL << 30);
	/* The last slot holds everything above: unbounded. */
	assert_int_equal(hist_slot_low(31), 1ULL << 30);
	assert_int_equal(hist_slot_high(31), 0);

	/* Every value lands in the slot whose [low, high) holds it. */
	for (unsigned s = 0; s + 1 < BS_HIST_SLOTS; s++) {
		uint64_t lo = hist_slot_low(s), hi = hist_slot_high(s);

		assert_true(lo < hi);
		assert_int_equal(hist_slot(lo), s);
		assert_int_equal(hist_slot(hi - 1), s);
		assert_int_equal(hist_slot(hi), s + 1);
		/* slots are contiguous */
		assert_int_equal(hist_slot_low(s + 1), hi);
	}
}

static void test_total(void **state UNUSED)
{
	uint64_t h[BS_HIST_SLOTS];

	memset(h, 0, sizeof(h));
	assert_int_equal(hist_total(h), 0);
	h[0] = 1;
	h[5] = 10;
	h[31] = 100;
	assert_int_equal(hist_total(h), 111);
	for (unsigned i = 0; i < BS_HIST_SLOTS; i++)
		h[i] = i;
	assert_int_equal(hist_total(h), 31 * 32 / 2);
}

static void test_percentile(void **state UNUSED)
{
	uint64_t h[BS_HIST_SLOTS];

	memset(h, 0, sizeof(h));
	/* empty: no percentile */
	assert_int_equal(hist_percentile_slot(h, 50), -1);

	h[3] = 10;
	assert_int_equal(hist_percentile_slot(h, 1), 3);
	assert_int_equal(hist_percentile_slot(h, 50), 3);
	assert_int_equal(hist_percentile_slot(h, 100), 3);

	/* 90 values in slot 2, 10 in slot 20 */
	memset(h, 0, sizeof(h));
	h[2] = 90;
	h[20] = 10;
	assert_int_equal(hist_percentile_slot(h, 50), 2);
	assert_int_equal(hist_percentile_slot(h, 90), 2);
	assert_int_equal(hist_percentile_slot(h, 90.5), 20);
	assert_int_equal(hist_percentile_slot(h, 99), 20);
	assert_int_equal(hist_percentile_slot(h, 100), 20);

	/* out of range p */
	assert_int_equal(hist_percentile_slot(h, 0), -1);
	assert_int_equal(hist_percentile_slot(h, -5), -1);
	assert_int_equal(hist_percentile_slot(h, 100.1), -1);

	/* a percentile never points at an empty slot */
	memset(h, 0, sizeof(h));
	h[0] = 1;
	h[31] = 1;
	assert_int_equal(hist_percentile_slot(h, 50), 0);
	assert_int_equal(hist_percentile_slot(h, 51), 31);
	assert_int_equal(hist_percentile_slot(h, 100), 31);
}

/*
 * Every kind has its JSON key (docs/json.md) and unit, the gap kind was
 * added last (the layout user space and the kernel share), and the keys
 * are distinct.
 */
static void test_kinds(void **state UNUSED)
{
	static const char *const want[] = {
		"read_bytes", "req_bytes", "queue_bytes", "byte_age_us", "gap_us",
	};

	assert_int_equal(BS_HIST_N, 5);
	assert_int_equal(BS_HIST_GAP, 4);
	for (unsigned k = 0; k < BS_HIST_N; k++) {
		assert_string_equal(hist_kind(k)->key, want[k]);
		assert_non_null(hist_kind(k)->unit);
		for (unsigned j = 0; j < k; j++)
			assert_string_not_equal(hist_kind(j)->key, hist_kind(k)->key);
	}
	assert_string_equal(hist_kind(BS_HIST_GAP)->unit, "us");
	assert_string_equal(hist_kind(BS_HIST_REQ)->unit, "bytes");
	assert_null(hist_kind(BS_HIST_N));
	/* the shared structs carry every kind */
	assert_int_equal(sizeof(((struct bs_sock_state *)0)->hist),
			 BS_HIST_N * BS_HIST_SLOTS * sizeof(__u64));
	assert_int_equal(sizeof(((struct bs_fold *)0)->hist),
			 BS_HIST_N * BS_HIST_SLOTS * sizeof(__u64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_small_values),
		cmocka_unit_test(test_slot_powers_of_two),
		cmocka_unit_test(test_slot_capped),
		cmocka_unit_test(test_slot_matches_reference),
		cmocka_unit_test(test_slot_bounds),
		cmocka_unit_test(test_total),
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_kinds),
	};

	return cmocka_run_group_tests_name("hist", tests, NULL, NULL);
}
