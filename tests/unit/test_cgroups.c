// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/kernel/cgroups.c: the container-id rule, the cgroup2
 * mount in mountinfo, the id -> path table over a directory tree (a cgroup's
 * id is its directory's inode number, as on cgroup2), its walks at most once
 * per pass, removed cgroups kept for a grace time, and --cgroup arguments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/cgroups.h"

#define UNUSED __attribute__((unused))

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX64B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void expect_id(const char *path, const char *want)
{
	char id[CGROUP_CONTAINER_LEN + 1] = "x";
	bool found = cgroup_container_id(path, id);

	if (!want) {
		if (found || id[0])
			fail_msg("%s: found '%s', want none", path, id);
		return;
	}
	if (!found || strcmp(id, want))
		fail_msg("%s: found '%s', want '%s'", path, id, want);
}

static void test_container_id_runtimes(void **state UNUSED)
{
	/* systemd drivers */
	expect_id("/system.slice/docker-" HEX64 ".scope", HEX64);
	expect_id("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234_5678."
		  "slice/cri-containerd-" HEX64 ".scope", HEX64);
	expect_id("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podab.slice/"
		  "crio-" HEX64 ".scope", HEX64);
	expect_id("/machine.slice/libpod-" HEX64 ".scope", HEX64);
	/* podman with a cgroup namespace: a directory below the scope */
	expect_id("/machine.slice/libpod-" HEX64 ".scope/container", HEX64);
	/* cgroupfs drivers */
	expect_id("/docker/" HEX64, HEX64);
	expect_id("/kubepods/burstable/pod0b6d1d8a-0000-4000-8000-000000000000/" HEX64, HEX64);
	/* a container in a container: the inner (deepest) one */
	expect_id("/docker/" HEX64 "/docker/" HEX64B, HEX64B);
	expect_id("/system.slice/docker-" HEX64 ".scope/docker/" HEX64B, HEX64B);
	/* upper case digits stay as found */
	expect_id("/docker/0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
		  "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");
}

static void test_container_id_none(void **state UNUSED)
{
	expect_id("/", NULL);
	expect_id("", NULL);
	expect_id("/system.slice/nginx.service", NULL);
	expect_id("/user.slice/user-1000.slice/session-2.scope", NULL);
	/* 63 and 65 digits, a non-hex digit: not an id */
	expect_id("/docker/" "123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL);
	expect_id("/docker/" HEX64 "0", NULL);
	expect_id("/docker/" "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL);
	/* an unknown runtime's scope, the conmon of CRI-O, a scope without .scope */
	expect_id("/system.slice/lxc-" HEX64 ".scope", NULL);
	expect_id("/system.slice/crio-conmon-" HEX64 ".scope", NULL);
	expect_id("/system.slice/docker-" HEX64, NULL);
	expect_id("/system.slice/docker-" HEX64 ".slice", NULL);
	/* the kubepods pod directory alone holds no container id */
	expect_id("/kubepods/burstable/pod0b6d1d8a-0000-4000-8000-000000000000", NULL);
}

static FILE *text_file(const char *text)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	fputs(text, f);
	rewind(f);
	return f;
}

static void test_mountinfo(void **state UNUSED)
{
	char dir[256];
	FILE *f;

	/* a v1/v2 hybrid: cgroup (v1) mounts first, then cgroup2 */
	f = text_file(
		"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"30 22 0:26 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755\n"
		"31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw\n"
		"32 30 0:28 / /sys/fs/cgroup/cpu rw shared:11 - cgroup cgroup rw,cpu\n");
	assert_int_equal(cgroup2_mount_from(f, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/unified");
	fclose(f);

	/* optional fields, a space in the mount point (octal escape) */
	f = text_file("40 1 0:30 / /mnt/my\\040cg rw shared:3 master:2 - cgroup2 none rw\n");
	assert_int_equal(cgroup2_mount_from(f, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/mnt/my cg");
	fclose(f);

	/* v1 only: none */
	f = text_file("32 30 0:28 / /sys/fs/cgroup/cpu rw shared:11 - cgroup cgroup rw,cpu\n");
	assert_int_equal(cgroup2_mount_from(f, dir, sizeof(dir)), -ENOENT);
	fclose(f);
}

/* A tree standing in for a cgroup2 mount. */
struct tree {
	char root[64];
};

static uint64_t ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_ino;
}

static void mkdir_in(const struct tree *t, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", t->root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static uint64_t id_in(const struct tree *t, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", t->root, rel);
	return ino_of(p);
}

static void rmdir_in(const struct tree *t, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", t->root, rel);
	assert_int_equal(rmdir(p), 0);
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->root, sizeof(t->root), "/tmp/bs-cgtest-XXXXXX");
	if (!mkdtemp(t->root))
		return -1;
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	if (system(cmd))
		return -1;
	free(t);
	return 0;
}

static void test_paths(void **state)
{
	struct tree *t = *state;
	struct cgroups *c;
	uint64_t walks, left;
	char file[512];
	FILE *f;

	mkdir_in(t, "/system.slice");
	mkdir_in(t, "/system.slice/nginx.service");
	mkdir_in(t, "/system.slice/docker-" HEX64 ".scope");
	snprintf(file, sizeof(file), "%s/system.slice/cgroup.procs", t->root);
	f = fopen(file, "w");	/* a file: no cgroup */
	assert_non_null(f);
	fclose(f);
	c = cgroups_open(t->root);
	assert_non_null(c);
	assert_string_equal(cgroups_mount(c), t->root);
	assert_string_equal(cgroups_path(c, ino_of(t->root)), "/");
	assert_null(cgroups_container(c, ino_of(t->root)));
	assert_string_equal(cgroups_path(c, id_in(t, "/system.slice/nginx.service")),
			    "/system.slice/nginx.service");
	assert_null(cgroups_container(c, id_in(t, "/system.slice/nginx.service")));
	assert_string_equal(cgroups_path(c, id_in(t, "/system.slice/docker-" HEX64 ".scope")),
			    "/system.slice/docker-" HEX64 ".scope");
	assert_string_equal(cgroups_container(c, id_in(t, "/system.slice/docker-" HEX64
							   ".scope")), HEX64);
	assert_null(cgroups_path(c, ino_of(file)));	/* files are not walked */
	assert_null(cgroups_path(c, 0));		/* no reader */
	cgroups_stats(c, &walks, &left);
	assert_int_equal(walks, 1);	/* one walk found them all */
	assert_int_equal(left, 0);
	cgroups_free(c);
}

/* A cgroup made after the walk is found on the next pass, not before; an
 * id looked for in vain is not walked for again; a removed one stays
 * (test_gone_kept). */
static void test_walks_per_pass(void **state)
{
	struct tree *t = *state;
	struct cgroups *c;
	uint64_t walks, left, a, b;

	mkdir_in(t, "/a");
	c = cgroups_open(t->root);
	a = id_in(t, "/a");
	assert_string_equal(cgroups_path(c, a), "/a");
	mkdir_in(t, "/b");
	b = id_in(t, "/b");
	assert_null(cgroups_path(c, b));	/* this pass walked already */
	cgroups_new_pass(c);
	assert_string_equal(cgroups_path(c, b), "/b");
	cgroups_stats(c, &walks, &left);
	assert_int_equal(walks, 2);
	/* an id that is nowhere: one walk, then never again */
	cgroups_new_pass(c);
	assert_null(cgroups_path(c, 0xdead0000beefULL));
	cgroups_new_pass(c);
	assert_null(cgroups_path(c, 0xdead0000beefULL));
	cgroups_new_pass(c);
	assert_null(cgroups_container(c, 0xdead0000beefULL));
	cgroups_stats(c, &walks, &left);
	assert_int_equal(walks, 3);
	/* removed: still known after a walk (for the grace time) */
	rmdir_in(t, "/a");
	assert_string_equal(cgroups_path(c, a), "/a");
	cgroups_new_pass(c);
	assert_null(cgroups_path(c, 0xdead0000beeeULL));	/* walks */
	assert_string_equal(cgroups_path(c, a), "/a");
	cgroups_stats(c, &walks, &left);
	assert_int_equal(walks, 4);
	cgroups_free(c);
}

static uint64_t fake_now_s;

static uint64_t fake_clock(void)
{
	return fake_now_s;
}

/* A new pass: the cgroup at rel, made since the last walk, makes one. */
static void walk_for_new(const struct tree *t, struct cgroups *c, const char *rel,
			 uint64_t walks_before)
{
	uint64_t walks, left;

	cgroups_new_pass(c);
	assert_string_equal(cgroups_path(c, id_in(t, rel)), rel);
	cgroups_stats(c, &walks, &left);
	assert_int_equal(walks, walks_before + 1);
	assert_int_equal(left, 0);
}

/*
 * A container's cgroup removed, another made: the walk that finds the new
 * one keeps the removed one's path and container id (its sockets' last
 * counts arrive after it is gone), through walks, until CGROUPS_GONE_KEEP_S
 * after the first walk that missed it; the first walk after that drops it.
 */
static void test_gone_kept(void **state)
{
	static const char ctr[] = "/system.slice/docker-" HEX64 ".scope";
	struct tree *t = *state;
	struct cgroups *c;
	char dir[512];
	uint64_t a;
	int keep;

	mkdir_in(t, "/system.slice");
	mkdir_in(t, ctr);
	c = cgroups_open(t->root);
	assert_non_null(c);
	fake_now_s = 5000;
	cgroups_set_clock(c, fake_clock);
	a = id_in(t, ctr);
	assert_string_equal(cgroups_path(c, a), ctr);	/* walk 1 */
	assert_string_equal(cgroups_container(c, a), HEX64);
	/* a's directory held open while gone: on ext4 (not cgroup2) a
	 * directory made later could reuse its inode number, its id */
	snprintf(dir, sizeof(dir), "%s%s", t->root, ctr);
	keep = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(keep >= 0);
	rmdir_in(t, ctr);
	mkdir_in(t, "/b");
	walk_for_new(t, c, "/b", 1);			/* walk 2: a is gone */
	assert_string_equal(cgroups_path(c, a), ctr);
	assert_string_equal(cgroups_container(c, a), HEX64);
	/* one second short of the grace: another walk keeps it */
	fake_now_s += CGROUPS_GONE_KEEP_S - 1;
	mkdir_in(t, "/c");
	walk_for_new(t, c, "/c", 2);
	assert_string_equal(cgroups_path(c, a), ctr);
	assert_string_equal(cgroups_container(c, a), HEX64);
	/* the grace counts from walk 2, not from the last walk: now it goes */
	fake_now_s += 1;
	mkdir_in(t, "/d");
	walk_for_new(t, c, "/d", 3);
	assert_null(cgroups_path(c, a));
	assert_null(cgroups_container(c, a));
	/* those still there stay */
	assert_string_equal(cgroups_path(c, id_in(t, "/b")), "/b");
	assert_string_equal(cgroups_path(c, id_in(t, "/system.slice")), "/system.slice");
	cgroups_free(c);
	close(keep);
}

/* No cgroup2: everything unknown, nothing walked. */
static void test_no_mount(void **state UNUSED)
{
	struct cgroups *c = cgroups_open("");
	uint64_t walks, left;
	char dir[64];

	assert_non_null(c);
	assert_null(cgroups_mount(c));
	assert_null(cgroups_path(c, 1));
	cgroups_stats(c, &walks, &left);
	assert_int_equal(walks, 0);
	cgroups_free(c);
	assert_int_equal(cgroups_resolve_arg(NULL, "/a", dir, sizeof(dir)), -ENODEV);
}

/* --cgroup on a tree that is not cgroup2: found, and refused as such; a
 * path that is not there; a file; ".." out of the tree. */
static void test_resolve_arg(void **state)
{
	struct tree *t = *state;
	char dir[512], arg[512];

	mkdir_in(t, "/a");
	assert_int_equal(cgroups_resolve_arg(t->root, "/a", dir, sizeof(dir)), -EXDEV);
	assert_int_equal(cgroups_resolve_arg(t->root, "a", dir, sizeof(dir)), -EXDEV);
	snprintf(arg, sizeof(arg), "%s/a", t->root);
	assert_int_equal(cgroups_resolve_arg(t->root, arg, dir, sizeof(dir)), -EXDEV);
	assert_int_equal(cgroups_resolve_arg(t->root, "/nope", dir, sizeof(dir)), -ENOENT);
	assert_int_equal(cgroups_resolve_arg(t->root, "nope/deeper", dir, sizeof(dir)), -ENOENT);
	/* an existing path outside the mount: not cgroup v2 */
	assert_int_equal(cgroups_resolve_arg(t->root, "/tmp", dir, sizeof(dir)), -EXDEV);
	assert_int_equal(cgroups_resolve_arg(t->root, "../..", dir, sizeof(dir)), -EXDEV);
}

/* A holder's cgroup from a fake proc tree; a path under a --cgroup one. */
static void test_holder(void **state)
{
	struct tree *t = *state;
	char path[512], rel[256];
	struct cgroups *c;
	FILE *f;

	mkdir_in(t, "/proc");
	mkdir_in(t, "/proc/42");
	mkdir_in(t, "/cg");
	mkdir_in(t, "/cg/a");
	mkdir_in(t, "/cg/a/n");
	snprintf(path, sizeof(path), "%s/proc/42/cgroup", t->root);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("12:memory:/x\n1:name=systemd:/y\n0::/a/n\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/proc", t->root);
	assert_int_equal(cgroup_of_pid(path, 42, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "/a/n");
	assert_int_equal(cgroup_of_pid(path, 42, rel, 4), -ENAMETOOLONG);
	assert_true(cgroup_of_pid(path, 43, rel, sizeof(rel)) < 0);	/* gone */

	snprintf(path, sizeof(path), "%s/cg", t->root);
	c = cgroups_open(path);
	assert_int_equal(cgroups_id(c, "/a/n"), id_in(t, "/cg/a/n"));
	assert_int_equal(cgroups_id(c, "/nope"), 0);
	snprintf(path, sizeof(path), "%s/cg/a", t->root);
	assert_int_equal(cgroups_rel_of_dir(c, path, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "/a");
	snprintf(path, sizeof(path), "%s/cg", t->root);
	assert_int_equal(cgroups_rel_of_dir(c, path, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "/");
	assert_int_equal(cgroups_rel_of_dir(c, "/elsewhere", rel, sizeof(rel)), -EXDEV);
	cgroups_free(c);

	assert_true(cgroup_path_under("/a/n", "/a"));
	assert_true(cgroup_path_under("/a", "/a"));
	assert_true(cgroup_path_under("/b", "/"));
	assert_false(cgroup_path_under("/ab", "/a"));	/* a sibling's prefix */
	assert_false(cgroup_path_under("/", "/a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_id_runtimes),
		cmocka_unit_test(test_container_id_none),
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test_setup_teardown(test_paths, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_walks_per_pass, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_gone_kept, tree_setup, tree_teardown),
		cmocka_unit_test(test_no_mount),
		cmocka_unit_test_setup_teardown(test_resolve_arg, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_holder, tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
