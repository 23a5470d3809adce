// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/array.h"
#include "kernel/netns.h"

int netns_init(struct netns_set *s, const char *proc_root, const char *run_netns)
{
	char path[256];
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->proc_root = proc_root ? proc_root : "/proc";
	s->run_netns = run_netns ? run_netns : "/run/netns";
	snprintf(path, sizeof(path), "%s/self/ns/net", s->proc_root);
	if (stat(path, &st))
		return -errno;
	s->self_dev = st.st_dev;
	s->self_ino = st.st_ino;
	return 0;
}

void netns_free(struct netns_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ents[i].fd >= 0)
			close(s->ents[i].fd);
	free(s->ents);
	s->ents = NULL;
	s->n = s->cap = 0;
}

static struct netns_ent *find(struct netns_set *s, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ents[i].dev == dev && s->ents[i].ino == ino)
			return &s->ents[i];
	return NULL;
}

static bool wanted(const struct netns_set *s, ino_t ino)
{
	if (!s->nonly)
		return true;
	for (unsigned i = 0; i < s->nonly; i++)
		if (s->only[i] == ino)
			return true;
	return false;
}

/* Are all the namespaces of the limit found in this generation? */
static bool all_found(const struct netns_set *s)
{
	unsigned found = 0;

	for (size_t i = 0; i < s->n; i++)
		found += s->ents[i].seen == s->gen;
	return s->nonly && found >= s->nonly;
}

void netns_limit(struct netns_set *s, const uint32_t *inos, unsigned n)
{
	s->nonly = n < BS_MAX_NETNS ? n : BS_MAX_NETNS;
	memcpy(s->only, inos, s->nonly * sizeof(*inos));
}

/* One candidate path: a /proc/PID/ns/net link or an ip-netns bind mount. */
static int consider(struct netns_set *s, const char *path)
{
	struct netns_ent *e;
	struct stat st;
	bool self;

	if (stat(path, &st))
		return 0;	/* the process is gone: not an error */
	if (!wanted(s, st.st_ino))
		return 0;
	e = find(s, st.st_dev, st.st_ino);
	if (e) {
		e->seen = s->gen;
		return 0;
	}
	if (array_reserve(&s->ents, &s->cap, s->n, sizeof(*s->ents), 16))
		return -ENOMEM;
	self = st.st_dev == s->self_dev && st.st_ino == s->self_ino;
	e = &s->ents[s->n];
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->seen = s->gen;
	e->fd = self ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	if (!self && e->fd < 0)
		return 0;	/* raced with its end */
	s->n++;
	return 0;
}

static int scan_dir(struct netns_set *s, const char *dir, bool pids_only)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return 0;	/* no /run/netns: no named namespaces */
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (pids_only) {
			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			snprintf(path, sizeof(path), "%s/%s/ns/net", dir, de->d_name);
		} else {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		}
		err = consider(s, path);
	}
	closedir(d);
	return err;
}

int netns_refresh(struct netns_set *s, const uint32_t *pids, unsigned npids)
{
	char path[256];
	size_t kept = 0;
	int err = 0;

	s->gen++;
	/* our own namespace always: a socket scan without -p starts there */
	snprintf(path, sizeof(path), "%s/self/ns/net", s->proc_root);
	err = consider(s, path);
	for (unsigned i = 0; !err && i < npids; i++) {
		snprintf(path, sizeof(path), "%s/%" PRIu32 "/ns/net", s->proc_root, pids[i]);
		err = consider(s, path);
	}
	if (!err && !npids)
		err = scan_dir(s, s->run_netns, false);
	if (!err && !npids && !all_found(s))
		err = scan_dir(s, s->proc_root, true);
	/* forget what no process and no name holds any more */
	for (size_t i = 0; i < s->n; i++) {
		if (s->ents[i].seen != s->gen) {
			if (s->ents[i].fd >= 0)
				close(s->ents[i].fd);
			continue;
		}
		s->ents[kept++] = s->ents[i];
	}
	s->n = kept;
	return err ? err : (int)s->n;
}
