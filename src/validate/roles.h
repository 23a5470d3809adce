/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scenario's two programs, each in its side's namespace: the built-in
 * sender and receiver (which tell the harness their own counts and phases
 * over a pipe) or the user's commands (observed unmodified). The listener
 * starts first; the other starts once it listens.
 */
#ifndef BUFSCOPE_VALIDATE_ROLES_H
#define BUFSCOPE_VALIDATE_ROLES_H

#include <stdbool.h>
#include <sys/types.h>
#include "engine/engine.h"
#include "validate/netenv.h"
#include "validate/observe.h"
#include "validate/scenario.h"

struct role {
	pid_t pid;		/* 0: not started, -1: exited (reaped) */
	int msg_fd;		/* its messages (built-in), -1: none */
	int go_fd;		/* to the built-in receiver: start reading */
	int go_keep;		/* that pipe's read end, kept open */
	bool ready;		/* listening */
	bool exited;
	int status;		/* waitpid's */
	char cmdline[512];	/* a command, as run */
};

struct roles {
	const struct scenario *s;
	struct netenv *net;
	struct observation *o;
	struct role r[SIDE__N];
	pid_t anchor;		/* a process idling in the listener command's
				 * namespace: its /proc/PID/net shows that
				 * namespace, whatever the command's own
				 * processes do (exit, fork away); 0: none */
	bool go_sent;
	unsigned changes_done;	/* the path's changes made so far */
	bool done;		/* the end condition was met */
	char err[256];		/* starting failed: why */
};

void roles_init(struct roles *rs, const struct scenario *s, struct netenv *net,
		struct observation *o);
/* The engine's on_ready: both programs started (the listener listening
 * first). 0, or 2 (the harness could not run) with rs->err set. */
int roles_start(void *ctx);
/* The observer's tick: messages read, children reaped, the go given, the
 * run stopped when done. */
void roles_tick(void *ctx, struct engine *e);
/* Whatever still runs is stopped; the last messages are read. */
void roles_stop(struct roles *rs);

#endif
