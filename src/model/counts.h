/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A socket's monotonic counts, each defined once, in COUNTS_TABLE: its
 * member, JSON key(s), unit, the hook that makes it, and what it means. The
 * struct, the deltas and sums, the JSON writer and the docs check
 * (tests/unit/test_counts.c against docs/json.md) are all made from it.
 *
 *   C(member, key, metric, unit, hook, help)  one count
 *   D(member, key_sent, key_recv, metric, unit, hook, help)
 *                                             one count per zero-window
 *                                             direction ([BS_ZW_SENT],
 *                                             [BS_ZW_RECV])
 *
 * The order is struct bs_totals' (include/bufscope/sock.h): the model takes
 * a record's totals member by member. A key NULL is shown only through a
 * derived field (drops_expected: the class split of drops). `metric` is the
 * Prometheus name, bufscope_METRIC_total (serve; docs/metrics.md); a D()
 * entry's has a direction label; NULL: serve derives it (drops by class).
 */
#ifndef BUFSCOPE_COUNTS_H
#define BUFSCOPE_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bufscope/sock.h"

enum count_unit {
	UNIT_COUNT,	/* events */
	UNIT_BYTES,
	UNIT_NS,	/* nanoseconds: JSON shows milliseconds (key ..._ms) */
};

/* Which hook makes a count: unknown (null, '-') when it is not attached. */
enum count_hook { CH_ALWAYS, CH_ARRIVAL, CH_DROPS };

#define COUNTS_TABLE(C, D)						\
	C(reads, "reads", "reads", UNIT_COUNT, CH_ALWAYS,		\
	  "reads that returned data (peeks excluded)")			\
	C(bytes, "bytes", "read_bytes", UNIT_BYTES, CH_ALWAYS,		\
	  "bytes those reads returned")					\
	C(req_reads, "req_reads", "sized_reads", UNIT_COUNT, CH_ALWAYS,	\
	  "reads whose requested size is known")			\
	C(req_bytes, "req_bytes", "requested_bytes", UNIT_BYTES, CH_ALWAYS,	\
	  "sum of the requested sizes over req_reads")			\
	C(full_reads, "full_reads", "full_reads", UNIT_COUNT, CH_ALWAYS,	\
	  "reads that filled the buffer (returned = requested)")	\
	C(eof_reads, "eof_reads", "eof_reads", UNIT_COUNT, CH_ALWAYS,	\
	  "reads that returned 0: end of stream")			\
	C(eagain_reads, "eagain_reads", "eagain_reads", UNIT_COUNT,	\
	  CH_ALWAYS, "reads that found no data (EAGAIN)")		\
	C(error_reads, "error_reads", "error_reads", UNIT_COUNT, CH_ALWAYS,	\
	  "reads that failed with another error")			\
	C(peek_reads, "peek_reads", "peek_reads", UNIT_COUNT, CH_ALWAYS,	\
	  "MSG_PEEK reads that returned data")				\
	C(peek_bytes, "peek_bytes", "peek_bytes", UNIT_BYTES, CH_ALWAYS,	\
	  "bytes those peeks returned")					\
	C(arrivals, "arrivals", "arrivals", UNIT_COUNT, CH_ARRIVAL,	\
	  "times the kernel woke the reader because data arrived")	\
	C(queue_sum, "read_queue_bytes", NULL, UNIT_BYTES, CH_ALWAYS,	\
	  "bytes waiting as each data read began, summed")		\
	C(age_sum_ns, "read_wait_ms", NULL, UNIT_NS, CH_ARRIVAL,		\
	  "how long the oldest byte each data read took had waited, "	\
	  "summed (reads whose byte's arrival is known)")		\
	C(gap_sum_ns, "read_gap_ms", NULL, UNIT_NS, CH_ALWAYS,		\
	  "time between a socket's data reads, summed (its first adds "	\
	  "nothing)")							\
	D(zw_segments, "zero_window_sent", "zero_window_recv",		\
	  "zero_window_segments", UNIT_COUNT, CH_ALWAYS,		\
	  "zero-window segments sent (the reader is slow), "		\
	  "received (the peer's is)")					\
	D(zw_episodes, "zero_window_episodes_sent",			\
	  "zero_window_episodes_recv", "zero_window_episodes", UNIT_COUNT,	\
	  CH_ALWAYS, "zero-window episodes begun, each way")		\
	D(zw_ns, "zero_window_sent_ms", "zero_window_recv_ms",		\
	  "zero_window_seconds", UNIT_NS, CH_ALWAYS,			\
	  "time inside zero-window episodes, each way")			\
	D(zw_probes, "zero_window_probes_recv", "zero_window_probes_sent",	\
	  "zero_window_probes", UNIT_COUNT, CH_ALWAYS,			\
	  "zero-window probes received while this socket's window was 0, "	\
	  "sent while the peer's was")					\
	C(drops, "drops", NULL, UNIT_COUNT, CH_DROPS,			\
	  "received segments the kernel dropped for the socket")	\
	C(drops_expected, NULL, NULL, UNIT_COUNT, CH_DROPS,		\
	  "of the drops, expected discards, as the kernel classed them")	\
	C(rcvbuf_changes, "rcvbuf_changes", "receive_buffer_changes",	\
	  UNIT_COUNT, CH_ALWAYS,					\
	  "times sk_rcvbuf changed (autotuning, SO_RCVBUF)")

#define COUNTS_MEMBER_C(m, key, metric, unit, hook, help) uint64_t m;
#define COUNTS_MEMBER_D(m, k0, k1, metric, unit, hook, help) uint64_t m[BS_ZW_N];

/* Cumulative counts (or their deltas): only uint64_t members. */
struct counts {
	COUNTS_TABLE(COUNTS_MEMBER_C, COUNTS_MEMBER_D)
};

/* One count of the table, a direction of a D() entry being one. */
struct count_info {
	const char *key;	/* JSON key; NULL: shown only derived */
	const char *metric;	/* Prometheus name's stem; NULL: derived */
	int dir;		/* a D() entry's direction (enum bs_zw_dir), or -1 */
	enum count_unit unit;
	enum count_hook hook;
	const char *help;
	size_t offset;		/* in struct counts */
};

extern const struct count_info count_infos[];
extern const size_t count_infos_n;

static inline uint64_t count_get(const struct counts *c, const struct count_info *ci)
{
	return *(const uint64_t *)((const char *)c + ci->offset);
}

/* out = a - b, member by member (0 where b is ahead). */
void counts_sub(struct counts *out, const struct counts *a, const struct counts *b);
/* a += b */
void counts_add(struct counts *a, const struct counts *b);
bool counts_any(const struct counts *c);
/* A count past 2^63: a cumulative value caught while the kernel took
 * something out of it before adding (never a real count). */
bool counts_torn(const struct counts *c);

struct json_writer;
/* A count as JSON: its key and its value in the key's unit (nanoseconds
 * shown as milliseconds, 3 decimals: the keys end in _ms). Every JSON
 * output of counts goes through it. */
void count_json(struct json_writer *jw, const struct count_info *ci, const struct counts *c);

#endif
