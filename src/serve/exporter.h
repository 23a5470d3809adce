/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metrics `serve` exposes: the model's counts accumulated per label set
 * (process, cgroup, container, served port, and on request pid, peer, local
 * port), gauges of the open sockets, log2 histograms, and bufscope's own
 * figures; written in the Prometheus text format 0.0.4 or OpenMetrics 1.0.0.
 *
 * Two threads: the engine's, which feeds it after every pass
 * (exporter_pass), and the HTTP server's, which writes a scrape
 * (exporter_render). A lock keeps them apart.
 */
#ifndef BUFSCOPE_EXPORTER_H
#define BUFSCOPE_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/engine.h"

struct cgroups;

/* The labels a series may have, in the order they are written. */
enum label {
	LABEL_PROCESS, LABEL_CGROUP, LABEL_CONTAINER, LABEL_PORT,
	LABEL_PID, LABEL_PEER, LABEL_LOCAL_PORT, LABEL__N,
};
#define LABELS_DEFAULT ((1u << LABEL_PROCESS) | (1u << LABEL_CGROUP) | \
			(1u << LABEL_CONTAINER) | (1u << LABEL_PORT))
#define EXPORTER_MAX_SERIES 1000	/* --max-series default */

/* "process,cgroup,port" into a mask; 0, or -1 with the reason in err. */
int labels_parse(const char *list, unsigned *mask, char *err, size_t errlen);
/* The names, for help and errors: "process, cgroup, ..." */
const char *labels_known(void);

struct exporter_config {
	unsigned labels;	/* enum label bits */
	unsigned max_series;	/* label sets kept; the rest go to "other" */
};

struct exporter;

struct exporter *exporter_new(const struct exporter_config *cfg);
void exporter_free(struct exporter *x);
/* The engine attached: take a cursor of its model. 0 or -1 (logged). */
int exporter_start(struct exporter *x, struct engine *e);
/* Engine thread, after each pass: the pass's deltas into the series, the
 * gauges of the open sockets, the losses and tables. 0 or -ENOMEM. */
int exporter_pass(struct exporter *x, struct engine *e);
/* The same two without an engine (the unit tests'): a model, its drop
 * reasons, hooks and cgroup resolver (NULL: none, cgroup and container
 * are ""); then a pass's losses and tables. */
int exporter_attach(struct exporter *x, struct model *m,
		    const struct drop_reasons *reasons,
		    const struct hook_status *hooks, struct cgroups *cgroups);
int exporter_update(struct exporter *x, const struct losses *losses,
		    const struct map_usage *maps, size_t nmaps);
/*
 * Any thread: the exposition as of the last pass, in *body (malloc'ed),
 * OpenMetrics or the text format 0.0.4; pass_s: how long the scrape's own
 * pass took (its part of bufscope_scrape_duration_seconds). 0 or -ENOMEM.
 */
int exporter_render(struct exporter *x, bool openmetrics, double pass_s,
		    char **body, size_t *len);

#endif
