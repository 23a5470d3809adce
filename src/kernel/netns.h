/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The network namespaces of the host. A BPF TCP iterator walks the sockets of
 * the namespace that was current when it was created, so the socket scan
 * creates one per namespace: containers' sockets are sockets too.
 */
#ifndef BUFSCOPE_NETNS_H
#define BUFSCOPE_NETNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "bufscope/sock.h"

struct netns_ent {
	dev_t dev;
	ino_t ino;
	int fd;		/* open on the namespace, -1 for our own */
	unsigned seen;	/* scan generation that last found it */
};

struct netns_set {
	struct netns_ent *ents;
	size_t n, cap;
	const char *proc_root;	/* "/proc", or a test tree */
	const char *run_netns;	/* "/run/netns" (ip netns), or a test dir */
	dev_t self_dev;
	ino_t self_ino;
	unsigned gen;
	/* only these namespaces (inode numbers), none: every one */
	uint32_t only[BS_MAX_NETNS];
	unsigned nonly;
};

int netns_init(struct netns_set *s, const char *proc_root, const char *run_netns);
void netns_free(struct netns_set *s);
/* Finds the namespaces of pids (all processes, and ip netns names, when
 * npids is 0); keeps one open fd per namespace; forgets vanished ones.
 * Returns how many namespaces are known, or a negative errno. */
int netns_refresh(struct netns_set *s, const uint32_t *pids, unsigned npids);
/* Limits the set to these namespaces (the kernel side's filter): the others
 * are not walked, and /proc is not scanned once /run/netns names them all. */
void netns_limit(struct netns_set *s, const uint32_t *inos, unsigned n);

#endif
