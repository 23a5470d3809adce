/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A validation run's report: the verdicts, the kernel's departures from the
 * simple story (notes), the environment, and the timeline; as text for a
 * terminal, as one JSON object (docs/json.md), and as an SVG picture.
 */
#ifndef BUFSCOPE_VALIDATE_REPORT_H
#define BUFSCOPE_VALIDATE_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "validate/capture.h"
#include "validate/expect.h"
#include "validate/netenv.h"
#include "validate/observe.h"
#include "validate/scenario.h"

#define REPORT_MAX_NOTES 10

struct report {
	const struct scenario *s;
	const struct netenv *net;
	const struct observation *o;
	const struct capture *cap;	/* [SIDE__N]: the captures asked for */
	struct expect_result res[SCEN_MAX_EXPECT];
	unsigned passed, failed, unobservable;
	char notes[REPORT_MAX_NOTES][256];	/* the kernel, measured */
	unsigned nnotes;
	char kernel[128];	/* uname -r */
	unsigned run;		/* --repeat: this run's number, 0: alone */
};

/* Each expectation's verdicts over the runs of --repeat. */
struct tally {
	unsigned pass[SCEN_MAX_EXPECT], fail[SCEN_MAX_EXPECT], unobs[SCEN_MAX_EXPECT];
	unsigned runs;
};
/* A run's verdicts added to the tally. */
void report_tally_add(struct tally *t, const struct report *r);
/* The pass rates: text, or one JSON object ("validate_repeat"). */
void report_tally(FILE *out, const struct scenario *s, const struct tally *t,
		  bool json);

/* Verdicts and notes from the observation. */
void report_judge(struct report *r);
/* Human-readable: the verdicts, notes and the timeline. */
void report_text(FILE *out, const struct report *r, bool timeline);
/* One JSON object, on one line. */
void report_json(FILE *out, const struct report *r);
/* The timeline as an SVG picture; 0 or -errno (the file is made by
 * wfile_create: wfile_check before the run, wfile_strerror for the words). */
int report_svg(const char *path, const struct report *r);

#endif
