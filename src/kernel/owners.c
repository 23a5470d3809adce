// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/array.h"
#include "kernel/owners.h"

void owners_init(struct owners *o, const char *proc_root)
{
	memset(o, 0, sizeof(*o));
	o->proc_root = proc_root ? proc_root : "/proc";
}

void owners_free(struct owners *o)
{
	free(o->ents);
	o->ents = NULL;
	o->n = o->cap = 0;
}

static int owners_push(struct owners *o, uint64_t inode, uint32_t pid,
		       const char *comm)
{
	if (array_reserve(&o->ents, &o->cap, o->n, sizeof(*o->ents), 256))
		return -ENOMEM;
	o->ents[o->n].inode = inode;
	o->ents[o->n].pid = pid;
	memcpy(o->ents[o->n].comm, comm, BS_COMM_LEN);
	o->n++;
	return 0;
}

void owners_read_comm(const char *root, uint32_t pid, char comm[BS_COMM_LEN])
{
	char path[256];
	ssize_t len;
	int fd;

	memset(comm, 0, BS_COMM_LEN);
	snprintf(path, sizeof(path), "%s/%" PRIu32 "/comm", root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, comm, BS_COMM_LEN - 1);
	close(fd);
	if (len > 0 && comm[len - 1] == '\n')
		comm[len - 1] = '\0';
}

int owners_fd_sockets(const char *root, uint32_t pid,
		      int (*fn)(uint64_t inode, void *arg), void *arg)
{
	char path[256], link[64];
	struct dirent *de;
	DIR *dir;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%" PRIu32 "/fd", root, pid);
	dir = opendir(path);
	if (!dir)
		return 0;	/* gone, a kernel thread, or not ours to look at */
	while (!err && (de = readdir(dir))) {
		unsigned long long inode;
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%llu]", &inode) != 1)
			continue;
		err = fn(inode, arg);
	}
	closedir(dir);
	return err;
}

/* scan_pid's state: the comm is read at the first socket only. */
struct scan_arg {
	struct owners *o;
	uint32_t pid;
	bool have_comm;
	char comm[BS_COMM_LEN];
};

static int scan_socket(uint64_t inode, void *arg)
{
	struct scan_arg *a = arg;

	if (!a->have_comm) {
		owners_read_comm(a->o->proc_root, a->pid, a->comm);
		a->have_comm = true;
	}
	return owners_push(a->o, inode, a->pid, a->comm);
}

static int scan_pid(struct owners *o, uint32_t pid)
{
	struct scan_arg a = { .o = o, .pid = pid };

	return owners_fd_sockets(o->proc_root, pid, scan_socket, &a);
}

static int cmp_ent(const void *a, const void *b)
{
	const struct owner_ent *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int owners_scan(struct owners *o, const uint32_t *pids, unsigned npids)
{
	struct dirent *de;
	DIR *dir;
	int err = 0;

	o->n = 0;
	if (npids) {
		for (unsigned i = 0; i < npids && !err; i++)
			err = scan_pid(o, pids[i]);
	} else {
		dir = opendir(o->proc_root);
		if (!dir)
			return -errno;
		while (!err && (de = readdir(dir))) {
			char *end;
			unsigned long pid = strtoul(de->d_name, &end, 10);

			if (!isdigit((unsigned char)de->d_name[0]) || *end)
				continue;
			err = scan_pid(o, (uint32_t)pid);
		}
		closedir(dir);
	}
	if (o->n > 1)	/* ents may be NULL when empty */
		qsort(o->ents, o->n, sizeof(*o->ents), cmp_ent);
	return err;
}

const struct owner_ent *owners_lookup(const struct owners *o, uint64_t inode)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->ents[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->n && o->ents[lo].inode == inode ? &o->ents[lo] : NULL;
}
