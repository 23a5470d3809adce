/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Expectations: predicates on what bufscope observed of a scenario's run
 * (validate/observe.h), one per line of a scenario's [expect] section:
 *
 *   receiver.reads = 3
 *   receiver.read_sizes = 4096, 4096, 2048
 *   receiver.zero_window_episodes >= 1
 *   receiver.episode_ms = [800, 1300]
 *   receiver.episode_ms = 1000 +- 20%
 *   receiver.bytes_read = sender.bytes_written
 *   receiver.queue_peak <= receiver.rcvbuf
 *   process[socat].reads >= 1
 *
 * The metrics are the counts of the JSON output (model/counts.h) and the
 * derived ones of the table in expect.c; docs/validate.md lists them.
 */
#ifndef BUFSCOPE_VALIDATE_EXPECT_H
#define BUFSCOPE_VALIDATE_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "validate/observe.h"

enum expect_op { OP_EQ, OP_NE, OP_LE, OP_GE, OP_RANGE, OP_SEQ };

#define EXPECT_MAX_SEQ 32

/* The bound: a number, another observed value, a range or a sequence. */
struct expectation {
	char text[256];		/* as written: "receiver.reads = 3" */
	int line;
	enum side side;
	char proc[16];		/* a process's sockets, by name ("" : the side's) */
	int metric;		/* index in the metric table */
	enum expect_op op;
	double value;		/* OP_EQ .. OP_GE */
	double lo, hi;		/* OP_RANGE, and value +- tolerance */
	double tol;		/* relative tolerance (0.2: 20 %), 0: exact */
	bool ref;		/* the bound is another metric: */
	enum side ref_side;
	char ref_proc[16];
	int ref_metric;
	uint64_t seq[EXPECT_MAX_SEQ];	/* OP_SEQ */
	unsigned nseq;
};

enum verdict { V_PASS, V_FAIL, V_UNOBSERVABLE };

struct expect_result {
	enum verdict verdict;
	char observed[192];	/* what was seen: "3", "4096, 4096, 2048" */
	char bound[200];		/* what was asked: "= 3", "in [800, 1300]" */
	char why[192];		/* a FAIL's or an unobservable's reason, or a note */
	int64_t at_ns;		/* when it was seen, from the run's start; -1: n/a */
};

/*
 * Parses one [expect] line: key as libinih gave it (with a trailing
 * operator character: "reads >" for "reads >= 3") and its value. 0, or -1
 * with the reason in err.
 */
int expect_parse(struct expectation *e, const char *key, const char *value,
		 char *err, size_t errlen);

/* Checks an expectation against the run. */
void expect_eval(const struct expectation *e, const struct observation *o,
		 struct expect_result *r);

/* The metric table, for --help-metrics and the docs check. */
struct metric_info {
	const char *name;
	const char *unit;	/* "", "bytes", "ms" */
	const char *help;
};
size_t expect_metrics(const struct metric_info **out);
/* "receiver.reads", for the report */
void expect_describe(const struct expectation *e, char *buf, size_t len);

#endif
