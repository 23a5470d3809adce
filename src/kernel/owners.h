/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which process holds a socket: /proc/PID/fd links "socket:[INODE]". Used for
 * sockets nobody read from while bufscope ran (a stalled reader), as ss -p does.
 */
#ifndef BUFSCOPE_OWNERS_H
#define BUFSCOPE_OWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bufscope/sock.h"

struct owner_ent {
	uint64_t inode;
	uint32_t pid;
	char comm[BS_COMM_LEN];
};

struct owners {
	struct owner_ent *ents;
	size_t n, cap;
	const char *proc_root;	/* "/proc", or a fake tree in tests */
};

void owners_init(struct owners *o, const char *proc_root);
void owners_free(struct owners *o);
/* Rebuild the table from the fds of pids (all processes when npids is 0). */
int owners_scan(struct owners *o, const uint32_t *pids, unsigned npids);
/* Lowest pid holding the inode, from the last scan. */
const struct owner_ent *owners_lookup(const struct owners *o, uint64_t inode);

/* The process's name from proc_root/PID/comm; empty when it is gone. */
void owners_read_comm(const char *proc_root, uint32_t pid, char comm[BS_COMM_LEN]);
/* Calls fn for each socket among the process's fds (proc_root/PID/fd links
 * "socket:[INODE]"), until fn returns non-zero; returns that, or 0 (also
 * when the process is gone or its fds are not ours to read). */
int owners_fd_sockets(const char *proc_root, uint32_t pid,
		      int (*fn)(uint64_t inode, void *arg), void *arg);

#endif
