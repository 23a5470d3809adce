/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A packet capture of a scenario's connection, asked for with
 * `capture = FILE` in [receiver] or [sender]: tcpdump on that side's veth
 * end, in its namespace, from before the programs start until they are
 * stopped. It is the ground truth a user keeps next to the verdicts (what
 * the wire carried), most of all in wrap mode, where the programs tell
 * bufscope nothing of themselves.
 */
#ifndef BUFSCOPE_VALIDATE_CAPTURE_H
#define BUFSCOPE_VALIDATE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "validate/netenv.h"

struct capture {
	pid_t pid;		/* tcpdump, 0: none */
	int err_fd;		/* its stderr (statistics), -1: none */
	const char *path;	/* the pcap file (the scenario's string) */
	bool stopped;		/* it exited and its statistics were read */
	bool stats;		/* it printed them (a clean stop) */
	uint64_t captured, dropped;	/* "N packets captured", "... dropped by kernel" */
};

/*
 * Starts tcpdump in the side's namespace on its veth end, for TCP port
 * `port`, writing `path`, and waits until it captures. 0, or -1 with why.
 */
int capture_start(struct capture *c, const struct netenv *n, enum side side,
		  unsigned port, const char *path, char *why, size_t len);
/* Stops it (SIGINT: it writes what it holds and its statistics). Idempotent. */
void capture_stop(struct capture *c);

#endif
