// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "bufscope/sock.h"
#include "kernel/drop_reasons.h"
#include "util/sanitize.h"

#define PREFIX "SKB_DROP_REASON_"
/* the enum is dense and far smaller; the kernel side classes as many */
#define MAX_REASON BS_DROP_REASON_MAX

/*
 * The one table of drop classes, by the names of enum skb_drop_reason
 * (include/net/dropreason-core.h; the quotes are its comments). Names that
 * are not here are DROP_LOST (see drop_class_of_name()). The DROP_LOST
 * entries only document the common ones: they change nothing.
 */
static const struct {
	const char *name;
	enum drop_class cls;
} drop_classes[] = {
	/* Data the receiver already had, or a segment with nothing to keep. */
	{ "TCP_OLD_SEQUENCE", DROP_EXPECTED },	/* "Old SEQ field (duplicate
						 * packet)": every zero-window
						 * probe repeats an acked byte */
	{ "TCP_OLD_DATA", DROP_EXPECTED },	/* "already received before
						 * (spurious retrans ...)" */
	{ "TCP_OFOMERGE", DROP_EXPECTED },	/* "already in the ofo queue" */
	{ "TCP_OFO_DROP", DROP_EXPECTED },	/* "data already in receive queue" */
	{ "TCP_OLD_ACK", DROP_EXPECTED },	/* "TCP ACK is old, but in window" */
	{ "TCP_RFC7323_PAWS_ACK", DROP_EXPECTED },	/* "PAWS check, old ACK packet" */
	/* The connection is over: nobody will read what arrives. */
	{ "QUEUE_PURGE", DROP_EXPECTED },	/* "bulk free": a closing socket's
						 * queues */
	{ "SOCKET_CLOSE", DROP_EXPECTED },	/* "socket is close()d" */
	{ "TCP_CLOSE", DROP_EXPECTED },		/* "TCP socket in CLOSE state" */
	{ "TCP_ABORT_ON_DATA", DROP_EXPECTED },	/* data after the application
						 * closed (TCPAbortOnData) */
	{ "TCP_RFC7323_TW_PAWS", DROP_EXPECTED },	/* "socket is in TIME_WAIT" */
	/* Data refused: the sender must send it again. */
	{ "SOCKET_RCVBUFF", DROP_LOST },	/* "socket receive buff is full" */
	{ "PROTO_MEM", DROP_LOST },		/* "proto memory limitation" */
	{ "SOCKET_BACKLOG", DROP_LOST },	/* "failed to add skb to socket
						 * backlog" */
	{ "TCP_ZEROWINDOW", DROP_LOST },	/* "TCP receive window size is zero" */
	{ "TCP_OVERWINDOW", DROP_LOST },	/* "the seq of the first byte
						 * exceed the right edges of
						 * receive window" */
	{ "TCP_INVALID_SEQUENCE", DROP_LOST },	/* "Not acceptable SEQ field"
						 * (TcpExtBeyondWindow) */
	{ "TCP_INVALID_END_SEQUENCE", DROP_LOST },	/* "Not acceptable END_SEQ field" */
	{ "TCP_OFO_QUEUE_PRUNE", DROP_LOST },	/* "pruned from TCP OFO queue" */
	{ "NOMEM", DROP_LOST },			/* "error due to OOM" */
	{ "TCP_CSUM", DROP_LOST },		/* "TCP checksum error" */
	{ "NOT_SPECIFIED", DROP_LOST },		/* nobody said why */
};

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
	dr->expected = calloc(dr->n ? dr->n : 1, sizeof(*dr->expected));
	if (!dr->names || !dr->expected) {
		drop_reasons_free(dr);
		return -ENOMEM;
	}
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);

		/* a value named twice (an alias) keeps its first name; one
		 * without a name (bad BTF) shows as REASON_<n> */
		if ((uint32_t)e[i].val >= dr->n || !name || !*name || dr->names[e[i].val])
			continue;
		/* the prefix alone stays a name: an empty one would show as nothing */
		if (!strncmp(name, PREFIX, strlen(PREFIX)) && name[strlen(PREFIX)])
			name += strlen(PREFIX);
		/* printable: a BTF file (BUFSCOPE_BTF) may hold any bytes, and
		 * the name reaches terminals, JSON and metrics labels */
		dr->names[e[i].val] = malloc(strlen(name) + 1);
		if (!dr->names[e[i].val]) {
			drop_reasons_free(dr);
			return -ENOMEM;
		}
		sanitize_text(dr->names[e[i].val], strlen(name) + 1, name, strlen(name));
		dr->expected[e[i].val] = drop_class_of_name(name) == DROP_EXPECTED;
	}
	return 0;
}

void drop_reasons_free(struct drop_reasons *dr)
{
	for (size_t i = 0; dr->names && i < dr->n; i++)
		free(dr->names[i]);
	free(dr->names);
	free(dr->expected);
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

enum drop_class drop_class_of_name(const char *name)
{
	for (size_t i = 0; i < sizeof(drop_classes) / sizeof(drop_classes[0]); i++)
		if (!strcmp(drop_classes[i].name, name))
			return drop_classes[i].cls;
	return DROP_LOST;
}

enum drop_class drop_reason_class(const struct drop_reasons *dr, uint32_t value)
{
	if (dr && value < dr->n && dr->expected[value])
		return DROP_EXPECTED;
	return DROP_LOST;
}

void drop_reasons_expected_table(const struct drop_reasons *dr, uint8_t *out,
				 size_t n)
{
	for (size_t v = 0; v < n; v++)
		out[v] = drop_reason_class(dr, (uint32_t)v) == DROP_EXPECTED;
}
