// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "drop_reasons.h"

#define PREFIX "SKB_DROP_REASON_"
#define MAX_REASON 4096		/* the enum is dense and far smaller */

int drop_reasons_load(struct drop_reasons *dr, const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	int id;

	memset(dr, 0, sizeof(*dr));
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if ((uint32_t)e[i].val < MAX_REASON && (size_t)e[i].val + 1 > dr->n)
			dr->n = (size_t)e[i].val + 1;
	dr->names = calloc(dr->n ? dr->n : 1, sizeof(*dr->names));
	if (!dr->names)
		return -ENOMEM;
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);

		if ((uint32_t)e[i].val >= dr->n || !name)
			continue;
		if (!strncmp(name, PREFIX, strlen(PREFIX)))
			name += strlen(PREFIX);
		dr->names[e[i].val] = strdup(name);
		if (!dr->names[e[i].val]) {
			drop_reasons_free(dr);
			return -ENOMEM;
		}
	}
	return 0;
}

void drop_reasons_free(struct drop_reasons *dr)
{
	for (size_t i = 0; i < dr->n; i++)
		free(dr->names[i]);
	free(dr->names);
	memset(dr, 0, sizeof(*dr));
}

const char *drop_reason_name(const struct drop_reasons *dr, uint32_t value,
			     char *buf, size_t len)
{
	if (value < dr->n && dr->names[value])
		return dr->names[value];
	snprintf(buf, len, "REASON_%u", value);
	return buf;
}
