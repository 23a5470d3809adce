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
#include "kernel/filter_hint.h"
#include "kernel/owners.h"
#include "util/sanitize.h"

#define TCP_LISTEN_STATE 0x0A	/* "st" of a listener in /proc/net/tcp */

/* The socket inodes a process holds, sorted. */
struct inodes {
	uint64_t *v;
	size_t n, cap;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int add_inode(uint64_t inode, void *arg)
{
	struct inodes *in = arg;

	if (array_reserve(&in->v, &in->cap, in->n, sizeof(*in->v), 64))
		return -ENOMEM;
	in->v[in->n++] = inode;
	return 0;
}

static int read_fd_sockets(const char *root, uint32_t pid, struct inodes *in)
{
	int err;

	in->n = 0;
	err = owners_fd_sockets(root, pid, add_inode, in);
	if (!err && in->n > 1)
		qsort(in->v, in->n, sizeof(*in->v), cmp_u64);
	return err;
}

/* Counts the sockets of `in` in one of the process's TCP tables ("tcp",
 * "tcp6": those of its network namespace). */
static void count_tcp(const char *root, uint32_t pid, const char *table,
		      const struct inodes *in, unsigned *tcp, unsigned *listening)
{
	char path[256], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%" PRIu32 "/net/%s", root, pid, table);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long inode;
		unsigned st;

		/* sl local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode */
		if (sscanf(line, " %*s %*s %*s %x %*s %*s %*s %*s %*s %llu", &st, &inode) != 2)
			continue;	/* the heading */
		if (!in->n || !bsearch(&(uint64_t){ inode }, in->v, in->n, sizeof(*in->v),
				       cmp_u64))
			continue;
		(*tcp)++;
		*listening += st == TCP_LISTEN_STATE;
	}
	fclose(f);
}

/* The parent's pid (the field after the parenthesised name of stat), 0 if
 * unknown. */
static uint32_t read_ppid(const char *root, uint32_t pid)
{
	char path[256], buf[512], *p;
	unsigned long ppid;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/%" PRIu32 "/stat", root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	p = strrchr(buf, ')');	/* a name may hold ')' and spaces */
	if (!p || sscanf(p + 1, " %*c %lu", &ppid) != 1)
		return 0;
	return (uint32_t)ppid;
}

static bool in_list(const uint32_t *pids, unsigned n, uint32_t pid)
{
	for (unsigned i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* TCP sockets the process holds, and how many of them listen. */
static int tcp_of(const char *root, uint32_t pid, struct inodes *in,
		  unsigned *tcp, unsigned *listening)
{
	int err = read_fd_sockets(root, pid, in);

	*tcp = *listening = 0;
	if (err || !in->n)
		return err;
	count_tcp(root, pid, "tcp", in, tcp, listening);
	count_tcp(root, pid, "tcp6", in, tcp, listening);
	return 0;
}

int filter_census(const char *proc_root, const uint32_t *pids, unsigned npids,
		  const char *comm, struct filter_census *c)
{
	struct inodes in = { 0 };
	struct dirent *de;
	DIR *dir;
	int err = 0;

	memset(c, 0, sizeof(*c));
	dir = opendir(proc_root);
	if (!dir)
		return -errno;
	while (!err && (de = readdir(dir))) {
		char name[BS_COMM_LEN], *end;
		unsigned long v = strtoul(de->d_name, &end, 10);
		uint32_t pid = (uint32_t)v;
		unsigned tcp, listening;
		bool selected, child;

		if (!isdigit((unsigned char)de->d_name[0]) || *end)
			continue;
		owners_read_comm(proc_root, pid, name);
		selected = (!npids || in_list(pids, npids, pid)) &&
			   (!comm || !strncmp(comm, name, BS_COMM_LEN));
		child = !selected && npids && in_list(pids, npids, read_ppid(proc_root, pid));
		if (!selected && !child)
			continue;
		err = tcp_of(proc_root, pid, &in, &tcp, &listening);
		if (selected) {
			if (!c->procs++)
				memcpy(c->comm, name, sizeof(c->comm));
			c->tcp += tcp;
			c->listening += listening;
		} else if (tcp && c->nchildren < HINT_CHILDREN) {
			if (!c->nchildren)
				memcpy(c->child_comm, name, sizeof(c->child_comm));
			c->children[c->nchildren++] = pid;
		}
	}
	closedir(dir);
	free(in.v);
	return err;
}

/* "-p 1 -p 2" or "-c NAME": the filter as it was given. */
static void filter_text(char *buf, size_t len, const uint32_t *pids,
			unsigned npids, const char *comm)
{
	char name[BS_COMM_LEN];
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < npids && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s-p %u", i ? " " : "",
					 pids[i]);
	if (comm && used < len)
		snprintf(buf + used, len - used, "%s-c %s", used ? " " : "",
			 sanitize_text(name, sizeof(name), comm, BS_COMM_LEN));
}

bool filter_hint_text(const struct filter_census *c, const uint32_t *pids,
		      unsigned npids, const char *comm, char *buf, size_t len)
{
	char filter[160], name[BS_COMM_LEN], child[BS_COMM_LEN], kids[96] = "";
	size_t used = 0;
	int n;

	if (!c->tcp)
		return false;
	filter_text(filter, sizeof(filter), pids, npids, comm);
	for (unsigned i = 0; i < c->nchildren && used < sizeof(kids); i++)
		used += (size_t)snprintf(kids + used, sizeof(kids) - used, " %u",
					 c->children[i]);
	n = snprintf(buf, len, "%s selects %u process%s (%s) holding %u TCP socket%s "
		     "(%u listening), and %s read from one while bufscope watched; ",
		     filter, c->procs, c->procs == 1 ? "" : "es",
		     sanitize_text(name, sizeof(name), c->comm, BS_COMM_LEN),
		     c->tcp, c->tcp == 1 ? "" : "s", c->listening,
		     c->procs == 1 ? "it has not" : "none of them has");
	if (n < 0 || (size_t)n >= len)
		return true;
	if (c->nchildren)
		snprintf(buf + n, len - (size_t)n,
			 "its children may be the readers (%s:%s): try -c %s, or -p "
			 "for them", sanitize_text(child, sizeof(child), c->child_comm,
						   BS_COMM_LEN), kids, child);
	else
		snprintf(buf + n, len - (size_t)n,
			 "the connections may be read by other processes (a server's "
			 "workers): try -c with their name");
	return true;
}
