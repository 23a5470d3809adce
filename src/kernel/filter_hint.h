/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hint for a -p/-c filter that shows nothing: the processes it selects
 * hold TCP sockets but never read from them (nginx's master holds the
 * listening sockets; its workers read the connections). What they hold comes
 * from /proc (fds, and the TCP tables of their network namespaces).
 */
#ifndef BUFSCOPE_FILTER_HINT_H
#define BUFSCOPE_FILTER_HINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bufscope/sock.h"

#define HINT_CHILDREN 8

struct filter_census {
	unsigned procs;			/* processes the filter selects */
	unsigned tcp, listening;	/* TCP sockets they hold; listening ones */
	char comm[BS_COMM_LEN];		/* the first one's name */
	/* children of the -p processes that hold TCP sockets (the first few) */
	uint32_t children[HINT_CHILDREN];
	unsigned nchildren;
	char child_comm[BS_COMM_LEN];	/* the first child's name */
};

/* Looks in proc_root ("/proc") for the processes -p pids / -c comm (NULL:
 * none) select and what they hold. */
int filter_census(const char *proc_root, const uint32_t *pids, unsigned npids,
		  const char *comm, struct filter_census *c);
/* The hint text (no "hint:" prefix); false when there is nothing to say:
 * no TCP socket held. */
bool filter_hint_text(const struct filter_census *c, const uint32_t *pids,
		      unsigned npids, const char *comm, char *buf, size_t len);

#endif
