/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cgroup v2 ids (bpf_get_current_cgroup_id(), the reader's) to paths, and
 * the container id a path names. On cgroup2 a cgroup's id is the inode
 * number of its directory, so the resolver walks the cgroup2 mount and
 * remembers id -> path; an id it does not know makes it walk again, at most
 * once per pass (cgroups_new_pass), so a reader in a cgroup made since is
 * found and an id whose cgroup is gone costs one walk, not one per lookup.
 * A walk keeps the cgroups it no longer finds for CGROUPS_GONE_KEEP_S after
 * the first walk that missed them: the last counts of a removed cgroup's
 * sockets (close records, the kernel's folds, a pass or two later; an
 * aggregate's, longer) still carry its path. The first walk after that
 * drops them, so the table holds the cgroups there now and those removed
 * in the last CGROUPS_GONE_KEEP_S (until a walk: the table changes only
 * then), never more than CGROUPS_MAX in all.
 */
#ifndef BUFSCOPE_CGROUPS_H
#define BUFSCOPE_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* cgroups the table holds at most (a bigger tree: the rest unknown, counted) */
#define CGROUPS_MAX 65536
/* how long a walk keeps a cgroup it no longer finds: 10 minutes */
#define CGROUPS_GONE_KEEP_S 600
/* the container id: 64 hex digits, all of them, lowercase as found */
#define CGROUP_CONTAINER_LEN 64

struct cgroups;

/*
 * The resolver, with the cgroup2 mount found in /proc/self/mountinfo
 * (mount_dir NULL) or at mount_dir (tests). NULL only when out of memory;
 * without a cgroup2 mount every lookup is unknown.
 */
struct cgroups *cgroups_open(const char *mount_dir);
void cgroups_free(struct cgroups *c);

/* The cgroup2 mount point, NULL if there is none. */
const char *cgroups_mount(const struct cgroups *c);

/* The clock of the grace above, in seconds (tests); NULL: CLOCK_MONOTONIC. */
void cgroups_set_clock(struct cgroups *c, uint64_t (*now_s)(void));

/* A pass begins: the next lookup of an unknown id may walk the tree again. */
void cgroups_new_pass(struct cgroups *c);

/*
 * The cgroup's path below the cgroup2 root as /proc/PID/cgroup shows it
 * ("/" for the root, "/system.slice/nginx.service"), as found on disk: not
 * escaped, the caller escapes it for its output; a removed cgroup's for
 * CGROUPS_GONE_KEEP_S after a walk first missed it. NULL: unknown (0, gone
 * before it was ever seen or gone longer, outside the mount, or no
 * cgroup2). The string is valid until the next call on c.
 */
const char *cgroups_path(struct cgroups *c, uint64_t id);
/* The container id in that path (cgroup_container_id), NULL if none. */
const char *cgroups_container(struct cgroups *c, uint64_t id);

/*
 * A process's cgroup v2 path (the "0::" line of proc_root/PID/cgroup) into
 * rel. 0, or -errno (-ENOENT: gone, or no cgroup v2 line).
 */
int cgroup_of_pid(const char *proc_root, uint32_t pid, char *rel, size_t len);
/* The id of the cgroup at that path (its directory's inode), 0 if unknown. */
uint64_t cgroups_id(const struct cgroups *c, const char *rel);
/* dir (a cgroups_resolve_arg result) as a path below the cgroup2 root. */
int cgroups_rel_of_dir(const struct cgroups *c, const char *dir, char *rel, size_t len);
/* Is the cgroup at path rel top itself or below it? */
bool cgroup_path_under(const char *rel, const char *top);

/* Walks made and cgroups left out (or gone ones dropped early) because the
 * table was full, for -v. */
void cgroups_stats(const struct cgroups *c, uint64_t *walks, uint64_t *left_out);

/*
 * The container id in a cgroup path, in id (CGROUP_CONTAINER_LEN + 1
 * bytes): the deepest component that is 64 hex digits alone (cgroupfs
 * drivers: /docker/<id>, /kubepods/burstable/pod<uid>/<id>) or
 * <runtime>-<64 hex>.scope with runtime docker, cri-containerd, crio or
 * libpod (systemd drivers). Deepest: a container in a container is the
 * inner one. False, id "", when there is none.
 */
bool cgroup_container_id(const char *path, char *id);

/* The cgroup2 mount point in a mountinfo file, into dir. 0, or -ENOENT. */
int cgroup2_mount_from(FILE *mountinfo, char *dir, size_t len);

/*
 * A --cgroup argument to the directory it names, into dir: absolute and
 * under the mount, or relative to the cgroup2 root (with or without a
 * leading '/' when it is not an absolute path that exists under the mount).
 * 0, or -ENOENT (no such cgroup), -EXDEV (not on cgroup2), -ENODEV (no
 * cgroup2 mount), -ENAMETOOLONG.
 */
int cgroups_resolve_arg(const char *mount, const char *arg, char *dir, size_t len);

#endif
