/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process's capabilities: which it has, and giving up all but some (serve
 * keeps only what its passes need once its programs are attached).
 */
#ifndef BUFSCOPE_CAPS_H
#define BUFSCOPE_CAPS_H

#include <stddef.h>
#include <stdint.h>

/* A capability's bit in the masks below (CAP_BPF is 39). */
#define CAP_MASK(cap) (1ULL << (cap))

/* The calling thread's effective and permitted sets: 0, or -errno. */
int caps_get(uint64_t *effective, uint64_t *permitted);

/*
 * Keeps only the capabilities in keep (those the thread has), for good: the
 * effective and permitted sets become keep & permitted, the inheritable and
 * ambient sets empty, the bounding set keep (when CAP_SETPCAP allows), and
 * no_new_privs is set, so no exec gets any back. Only the calling thread
 * changes: call it before making threads. 0, or -errno with err.
 */
int caps_limit(uint64_t keep, char *err, size_t errlen);

/* "CAP_BPF,CAP_SYS_ADMIN" for a mask (names of the ones bufscope uses,
 * others by number), into buf. */
const char *caps_names(uint64_t mask, char *buf, size_t len);

#endif
