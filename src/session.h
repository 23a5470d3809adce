/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One run of bufscope: attach, then every interval read the sockets, update
 * the model and render; at the end (duration, SIGINT, SIGTERM) a summary.
 */
#ifndef BUFSCOPE_SESSION_H
#define BUFSCOPE_SESSION_H

#include "cli.h"

struct session_hooks {
	/* Called once attached, before the first interval (demo starts its
	 * workload here); non-zero aborts the run with that exit status. */
	int (*on_ready)(void *ctx);
	void *ctx;
};

/* Returns the process exit status. */
int session_run(const struct options *opt, const struct session_hooks *hooks);

/* True once SIGINT or SIGTERM arrived. */
bool session_stopping(void);

#endif
