// SPDX-License-Identifier: GPL-2.0
#include "model/counts.h"
#include "util/json.h"

#define INFO_C(m, key, metric, unit, hook, help) \
	{ key, metric, -1, unit, hook, help, offsetof(struct counts, m) },
#define INFO_D(m, k0, k1, metric, unit, hook, help) \
	{ k0, metric, BS_ZW_SENT, unit, hook, help, offsetof(struct counts, m[0]) }, \
	{ k1, metric, BS_ZW_RECV, unit, hook, help, offsetof(struct counts, m[1]) },

const struct count_info count_infos[] = {
	COUNTS_TABLE(INFO_C, INFO_D)
};

const size_t count_infos_n = sizeof(count_infos) / sizeof(count_infos[0]);

/* Every member is in the table, once: the loops below cover the struct. */
_Static_assert(sizeof(count_infos) / sizeof(count_infos[0]) * sizeof(uint64_t) ==
	       sizeof(struct counts), "struct counts has a member outside COUNTS_TABLE");
/* ... and it is bs_totals, member for member. */
_Static_assert(sizeof(struct counts) == sizeof(struct bs_totals),
	       "struct counts and struct bs_totals differ");

static uint64_t *at(struct counts *c, size_t i)
{
	return (uint64_t *)((char *)c + count_infos[i].offset);
}

void counts_sub(struct counts *out, const struct counts *a, const struct counts *b)
{
	for (size_t i = 0; i < count_infos_n; i++) {
		uint64_t x = count_get(a, &count_infos[i]), y = count_get(b, &count_infos[i]);

		*at(out, i) = x >= y ? x - y : 0;
	}
}

void counts_add(struct counts *a, const struct counts *b)
{
	for (size_t i = 0; i < count_infos_n; i++)
		*at(a, i) += count_get(b, &count_infos[i]);
}

bool counts_any(const struct counts *c)
{
	for (size_t i = 0; i < count_infos_n; i++)
		if (count_get(c, &count_infos[i]))
			return true;
	return false;
}

bool counts_torn(const struct counts *c)
{
	for (size_t i = 0; i < count_infos_n; i++)
		if (count_get(c, &count_infos[i]) >> 63)
			return true;
	return false;
}

void count_json(struct json_writer *jw, const struct count_info *ci, const struct counts *c)
{
	jw_key(jw, ci->key);
	if (ci->unit == UNIT_NS)
		jw_ratio(jw, count_get(c, ci), 1000000, 3);	/* ns / 1e6 */
	else
		jw_u64(jw, count_get(c, ci));
}
