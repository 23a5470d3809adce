// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "kernel/cgroups.h"
#include "workload.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* directories deeper than this are not walked (systemd nests ~6 levels) */
#define WALK_DEPTH 32
/* ids looked for in a walk and not found: not walked for again */
#define MISSES 256

struct cg_ent {
	uint64_t id;
	char *path;			/* below the root, "/" for the root */
	char container[CGROUP_CONTAINER_LEN + 1];	/* "" for none */
	bool gone;			/* a walk no longer found it */
	uint64_t gone_s;		/* when the first such walk was (now_s) */
};

struct cgroups {
	char mount[PATH_MAX];		/* "" without cgroup2 */
	struct cg_ent *ents;		/* sorted by id after a walk */
	size_t n, cap;
	uint64_t pass, walked_pass;	/* walked_pass: pass + 1 of the last walk */
	uint64_t misses[MISSES];	/* ring of ids a walk did not find */
	unsigned nmiss;
	uint64_t walks, left_out;
	uint64_t (*now_s)(void);	/* seconds, for the grace of gone cgroups */
};

static bool is_hex64(const char *s, size_t n)
{
	if (n != CGROUP_CONTAINER_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

/* The id in one path component of n bytes, or NULL. */
static const char *component_id(const char *s, size_t n)
{
	static const char *const runtimes[] = {
		"docker-", "cri-containerd-", "crio-", "libpod-",
	};
	static const char scope[] = ".scope";
	size_t ns = sizeof(scope) - 1;

	if (is_hex64(s, n))
		return s;
	if (n <= ns || memcmp(s + n - ns, scope, ns))
		return NULL;
	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		size_t np = strlen(runtimes[i]);

		if (n > np + ns && !memcmp(s, runtimes[i], np) &&
		    is_hex64(s + np, n - np - ns))
			return s + np;
	}
	return NULL;
}

bool cgroup_container_id(const char *path, char *id)
{
	const char *end = path + strlen(path);

	id[0] = '\0';
	/* from the leaf up: the deepest component that names a container */
	while (end > path) {
		const char *start = end, *hit;

		while (start > path && start[-1] != '/')
			start--;
		hit = component_id(start, (size_t)(end - start));
		if (hit) {
			memcpy(id, hit, CGROUP_CONTAINER_LEN);
			id[CGROUP_CONTAINER_LEN] = '\0';
			return true;
		}
		end = start > path ? start - 1 : path;
	}
	return false;
}

/*
 * mountinfo lines: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE
 * SOURCE SUPEROPTS"; the mount point has spaces etc. as octal escapes.
 */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' &&
		    r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

int cgroup2_mount_from(FILE *mountinfo, char *dir, size_t len)
{
	char line[4096];

	while (fgets(line, sizeof(line), mountinfo)) {
		char *sep = strstr(line, " - "), *save = NULL, *mnt, *fstype;

		if (!sep)
			continue;
		fstype = strtok_r(sep + 3, " \n", &save);
		if (!fstype || strcmp(fstype, "cgroup2"))
			continue;
		*sep = '\0';
		save = NULL;
		mnt = strtok_r(line, " ", &save);	/* mount id */
		for (int f = 0; f < 4 && mnt; f++)	/* parent, dev, root, point */
			mnt = strtok_r(NULL, " ", &save);
		if (!mnt)
			continue;
		unescape_octal(mnt);
		if (strlen(mnt) >= len)
			continue;
		strcpy(dir, mnt);
		return 0;
	}
	return -ENOENT;
}

static uint64_t mono_s(void)
{
	return wl_mono_ns() / 1000000000ULL;
}

struct cgroups *cgroups_open(const char *mount_dir)
{
	struct cgroups *c = calloc(1, sizeof(*c));
	FILE *f;

	if (!c)
		return NULL;
	c->now_s = mono_s;
	if (mount_dir) {
		snprintf(c->mount, sizeof(c->mount), "%s", mount_dir);
		return c;
	}
	f = fopen("/proc/self/mountinfo", "re");
	if (f) {
		if (cgroup2_mount_from(f, c->mount, sizeof(c->mount)))
			c->mount[0] = '\0';
		fclose(f);
	}
	return c;
}

static void drop_entries(struct cg_ent *ents, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ents[i].path);
}

void cgroups_free(struct cgroups *c)
{
	if (!c)
		return;
	drop_entries(c->ents, c->n);
	free(c->ents);
	free(c);
}

const char *cgroups_mount(const struct cgroups *c)
{
	return c && c->mount[0] ? c->mount : NULL;
}

void cgroups_set_clock(struct cgroups *c, uint64_t (*now_s)(void))
{
	c->now_s = now_s ? now_s : mono_s;
}

void cgroups_new_pass(struct cgroups *c)
{
	if (c)
		c->pass++;
}

void cgroups_stats(const struct cgroups *c, uint64_t *walks, uint64_t *left_out)
{
	*walks = c ? c->walks : 0;
	*left_out = c ? c->left_out : 0;
}

/* The table being built by a walk. */
struct walk {
	struct cg_ent *ents;
	size_t n, cap;
	uint64_t left_out;
};

/* Room for `more` entries beyond w->n. */
static int walk_reserve(struct walk *w, size_t more)
{
	size_t cap = w->cap ? w->cap : 256;
	struct cg_ent *p;

	while (cap < w->n + more)
		cap *= 2;
	if (cap == w->cap)
		return 0;
	p = realloc(w->ents, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	w->ents = p;
	w->cap = cap;
	return 0;
}

static int walk_add(struct walk *w, uint64_t id, const char *rel)
{
	struct cg_ent *e;

	if (w->n == CGROUPS_MAX) {
		w->left_out++;
		return 0;
	}
	if (walk_reserve(w, 1))
		return -ENOMEM;
	e = &w->ents[w->n];
	e->id = id;
	e->gone = false;
	e->gone_s = 0;
	e->path = strdup(rel[0] ? rel : "/");
	if (!e->path)
		return -ENOMEM;
	cgroup_container_id(e->path, e->container);
	w->n++;
	return 0;
}

/*
 * The directory open at fd (its path below the root: rel, in a buffer of
 * PATH_MAX) and the directories below it. fd is closed here.
 */
static int walk_dir(struct walk *w, int fd, char *rel, unsigned depth)
{
	struct stat st;
	struct dirent *d;
	size_t len = strlen(rel);
	DIR *dir;
	int err = 0;

	if (fstat(fd, &st)) {
		close(fd);
		return 0;	/* removed meanwhile */
	}
	err = walk_add(w, (uint64_t)st.st_ino, rel);
	if (err || depth >= WALK_DEPTH) {
		close(fd);
		return err;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return 0;
	}
	while (!err && (d = readdir(dir))) {
		int sub;

		/* cgroup directories: the files in them are never directories */
		if (d->d_type != DT_DIR || !strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (len + 1 + strlen(d->d_name) >= PATH_MAX)
			continue;
		sub = openat(dirfd(dir), d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0)
			continue;	/* removed meanwhile */
		snprintf(rel + len, PATH_MAX - len, "/%s", d->d_name);
		err = walk_dir(w, sub, rel, depth + 1);
		rel[len] = '\0';
	}
	closedir(dir);
	return err;
}

static int by_id(const void *a, const void *b)
{
	const struct cg_ent *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct cg_ent *find_in(const struct cg_ent *ents, size_t n, uint64_t id)
{
	struct cg_ent key = { .id = id };

	if (!n)
		return NULL;	/* ents may be NULL when empty */
	return bsearch(&key, ents, n, sizeof(*ents), by_id);
}

/*
 * The old table's cgroups that the walk (w, sorted) did not find: gone.
 * Each is kept, its path and container moved into w, until
 * CGROUPS_GONE_KEEP_S after the first walk that missed it: its sockets'
 * last counts (close records, the kernel's folds) arrive after the cgroup
 * is removed and must still carry its path. Beyond that, or with the table
 * full, it is left in the old table, which is freed.
 */
static int keep_gone(struct walk *w, struct cgroups *c)
{
	size_t found = w->n, room = CGROUPS_MAX - w->n;
	uint64_t now = c->now_s();

	if (walk_reserve(w, c->n < room ? c->n : room))
		return -ENOMEM;	/* nothing moved yet: the old table is whole */
	for (size_t i = 0; i < c->n; i++) {
		struct cg_ent *e = &c->ents[i];

		if (find_in(w->ents, found, e->id))
			continue;
		if (!e->gone) {
			e->gone = true;
			e->gone_s = now;
		}
		if (now - e->gone_s >= CGROUPS_GONE_KEEP_S)
			continue;
		if (w->n == CGROUPS_MAX) {
			w->left_out++;
			continue;
		}
		w->ents[w->n++] = *e;
		e->path = NULL;	/* w's now */
	}
	return 0;
}

/*
 * Walks the mount and puts the table it made, with the cgroups gone
 * recently (keep_gone), in place of the old one.
 */
static int walk(struct cgroups *c)
{
	struct walk w = { 0 };
	char rel[PATH_MAX] = "";
	int fd, err;

	c->walks++;
	fd = open(c->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = walk_dir(&w, fd, rel, 0);
	if (!err && w.n > 1)	/* ents may be NULL when empty */
		qsort(w.ents, w.n, sizeof(*w.ents), by_id);
	if (!err)
		err = keep_gone(&w, c);
	if (err) {
		drop_entries(w.ents, w.n);
		free(w.ents);
		return err;
	}
	if (w.n > 1)
		qsort(w.ents, w.n, sizeof(*w.ents), by_id);
	drop_entries(c->ents, c->n);
	free(c->ents);
	c->ents = w.ents;
	c->n = w.n;
	c->cap = w.cap;
	c->left_out = w.left_out;
	return 0;
}

static const struct cg_ent *find(const struct cgroups *c, uint64_t id)
{
	return find_in(c->ents, c->n, id);
}

static bool missed(const struct cgroups *c, uint64_t id)
{
	unsigned n = c->nmiss < MISSES ? c->nmiss : MISSES;

	for (unsigned i = 0; i < n; i++)
		if (c->misses[i] == id)
			return true;
	return false;
}

/*
 * The entry of id: from the table, else from a new walk when this pass has
 * had none and no walk since the last looked for it in vain (a cgroup's id
 * is never reused: once missing, always missing).
 */
static const struct cg_ent *lookup(struct cgroups *c, uint64_t id)
{
	const struct cg_ent *e;

	if (!c || !id || !c->mount[0])
		return NULL;
	e = find(c, id);
	if (e || missed(c, id) || c->walked_pass == c->pass + 1)
		return e;
	c->walked_pass = c->pass + 1;
	if (walk(c))
		return NULL;
	e = find(c, id);
	if (!e)
		c->misses[c->nmiss++ % MISSES] = id;
	return e;
}

const char *cgroups_path(struct cgroups *c, uint64_t id)
{
	const struct cg_ent *e = lookup(c, id);

	return e ? e->path : NULL;
}

const char *cgroups_container(struct cgroups *c, uint64_t id)
{
	const struct cg_ent *e = lookup(c, id);

	return e && e->container[0] ? e->container : NULL;
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

int cgroups_resolve_arg(const char *mount, const char *arg, char *dir, size_t len)
{
	char cand[PATH_MAX], real[PATH_MAX], root[PATH_MAX];
	struct statfs fs;
	struct stat st;

	if (!mount || !mount[0])
		return -ENODEV;
	if (!realpath(mount, root))
		return -ENODEV;
	/* absolute under the mount, else relative to the cgroup2 root */
	if (under(arg, mount) || under(arg, root))
		snprintf(cand, sizeof(cand), "%s", arg);
	else if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", root,
				  arg + strspn(arg, "/")) >= sizeof(cand))
		return -ENAMETOOLONG;
	if (!realpath(cand, real)) {
		/* an existing absolute path elsewhere: not on cgroup2 */
		if (arg[0] == '/' && !access(arg, F_OK))
			return -EXDEV;
		return -ENOENT;
	}
	if (!under(real, root))
		return -EXDEV;	/* "..", or a link out of the tree */
	if (statfs(real, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
		return -EXDEV;
	if (stat(real, &st) || !S_ISDIR(st.st_mode))
		return -ENOENT;	/* a cgroup's file, not a cgroup */
	if (strlen(real) >= len)
		return -ENAMETOOLONG;
	strcpy(dir, real);
	return 0;
}

int cgroup_of_pid(const char *proc_root, uint32_t pid, char *rel, size_t len)
{
	char path[64], line[PATH_MAX + 8];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/cgroup", proc_root, pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t n;

		if (strncmp(line, "0::", 3))
			continue;
		n = strcspn(line + 3, "\n");
		if (n >= len) {
			err = -ENAMETOOLONG;
			break;
		}
		memcpy(rel, line + 3, n);
		rel[n] = '\0';
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

uint64_t cgroups_id(const struct cgroups *c, const char *rel)
{
	char path[2 * PATH_MAX];
	struct stat st;

	if (!c || !c->mount[0])
		return 0;
	snprintf(path, sizeof(path), "%s%s", c->mount, rel);
	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

int cgroups_rel_of_dir(const struct cgroups *c, const char *dir, char *rel, size_t len)
{
	char root[PATH_MAX];
	size_t n;

	if (!c || !c->mount[0] || !realpath(c->mount, root))
		return -ENODEV;
	n = strlen(root);
	if (!under(dir, root))
		return -EXDEV;
	if ((size_t)snprintf(rel, len, "%s", dir[n] ? dir + n : "/") >= len)
		return -ENAMETOOLONG;
	return 0;
}

bool cgroup_path_under(const char *rel, const char *top)
{
	return !strcmp(top, "/") || under(rel, top);
}
