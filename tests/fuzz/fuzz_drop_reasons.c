// SPDX-License-Identifier: GPL-2.0
/*
 * Drop reasons from BTF (kernel/drop_reasons.c). The first byte chooses:
 * even, the rest is a BTF blob (libbpf checks it; our code then walks
 * enum skb_drop_reason); odd, the rest is a list of enumerators, each a
 * 16-bit value (little-endian) and a NUL-terminated name, made into a
 * valid BTF with libbpf, so that our code sees any names and values a
 * kernel could have (gaps, duplicates, huge values, odd names). Checked:
 * the table is bounded, every value has a printable name, each class is the one
 * drop_class_of_name gives the name, nothing leaks; and any string can be
 * classed.
 */
#include <errno.h>
#include <bpf/btf.h>
#include "bufscope/sock.h"
#include "kernel/drop_reasons.h"
#include "fuzzlib.h"

/* The enumerators of data[0..size) into a new BTF, NULL when libbpf
 * refuses one (an empty name). */
static struct btf *btf_of_list(const uint8_t *data, size_t size)
{
	struct btf *btf = btf__new_empty();

	if (!btf || btf__add_int(btf, "int", 4, BTF_INT_SIGNED) < 0 ||
	    btf__add_enum(btf, "skb_drop_reason", 4) < 0)
		goto fail;
	while (size >= 3) {
		uint16_t v = (uint16_t)(data[0] | data[1] << 8);
		const uint8_t *name = data + 2, *end = memchr(name, 0, size - 2);
		size_t len = end ? (size_t)(end - name) : size - 2;
		char *s = strndup((const char *)name, len);
		int r;

		if (!s)
			goto fail;
		r = btf__add_enum_value(btf, s, v);
		free(s);
		if (r)
			goto fail;
		len += end ? 1 : 0;
		data += 2 + len;
		size -= 2 + len;
	}
	return btf;
fail:
	btf__free(btf);
	return NULL;
}

static void check_table(const struct drop_reasons *dr)
{
	uint8_t table[BS_DROP_REASON_MAX + 8];
	char buf[32];

	FUZZ_CHECK(dr->n <= BS_DROP_REASON_MAX);
	FUZZ_CHECK(!dr->n || (dr->names && dr->expected));
	drop_reasons_expected_table(dr, table, sizeof(table));
	for (size_t v = 0; v < sizeof(table); v++) {
		const char *name = drop_reason_name(dr, (uint32_t)v, buf, sizeof(buf));
		bool known = v < dr->n && dr->names[v];

		FUZZ_CHECK(name && *name && fuzz_printable(name));
		FUZZ_CHECK(known || !strncmp(name, "REASON_", 7));
		FUZZ_CHECK(table[v] == (known && drop_class_of_name(name) == DROP_EXPECTED));
		FUZZ_CHECK((drop_reason_class(dr, (uint32_t)v) == DROP_EXPECTED) == table[v]);
	}
	FUZZ_CHECK(drop_reason_class(NULL, 0) == DROP_LOST);
	FUZZ_CHECK(!strcmp(drop_reason_name(dr, UINT32_MAX, buf, sizeof(buf)),
			   "REASON_4294967295"));
}

static void check_btf(struct btf *btf)
{
	struct drop_reasons dr;
	int r;

	memset(&dr, 0x5a, sizeof(dr));
	r = drop_reasons_load(&dr, btf);
	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -ENOMEM);
	if (r == 0)
		check_table(&dr);
	else
		FUZZ_CHECK(!dr.names && !dr.n);
	drop_reasons_free(&dr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btf *btf;
	char *s;

	if (!size)
		return 0;
	btf = data[0] & 1 ? btf_of_list(data + 1, size - 1) : btf__new(data + 1, (__u32)(size - 1));
	if (btf)
		check_btf(btf);
	btf__free(btf);
	/* any string, a name of a newer kernel or garbage, has a class */
	s = fuzz_string(data + 1, size - 1);
	if (s) {
		enum drop_class c = drop_class_of_name(s);

		FUZZ_CHECK(c == DROP_LOST || c == DROP_EXPECTED);
		FUZZ_CHECK(c == DROP_LOST || (*s && !strchr(s, ' ')));
	}
	free(s);
	return 0;
}
