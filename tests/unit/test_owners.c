// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/kernel/owners.c on a fake /proc tree in a temporary directory. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/owners.h"

#define UNUSED __attribute__((unused))

struct tree {
	char root[64];
	struct owners o;
};

static void mkdirf(const char *root, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void mkdirf(const char *root, const char *fmt, ...)
{
	char rel[128], path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (mkdir(path, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void write_file(const char *root, const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void link_fd(const char *root, unsigned pid, int fd, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%u/fd/%d", root, pid, fd);
	if (symlink(target, path))
		fail_msg("symlink %s: %s", path, strerror(errno));
}

static void link_rel(const char *root, const char *rel, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (symlink(target, path))
		fail_msg("symlink %s: %s", path, strerror(errno));
}

/* A process directory with a comm file and an fd directory. */
static void proc_dir(const char *root, unsigned pid, const char *comm)
{
	char rel[64];

	mkdirf(root, "%u", pid);
	mkdirf(root, "%u/fd", pid);
	if (comm) {
		snprintf(rel, sizeof(rel), "%u/comm", pid);
		write_file(root, rel, comm);
	}
}

static int rm_entry(const char *path, const struct stat *st UNUSED, int flag UNUSED,
		    struct FTW *ftw UNUSED)
{
	return remove(path);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->root, sizeof(t->root), "/tmp/bufscope-owners-XXXXXX");
	if (!mkdtemp(t->root)) {
		free(t);
		return -1;
	}
	/*
	 * 123 "myproc": fd 3 -> socket 4242, fd 4 -> a file, fd 5 -> socket 7
	 * 456 "other":  fd 0 -> /dev/null, fd 9 -> socket 9999, fd 10 -> pipe
	 * 77  "dup":    fd 1 -> socket 4242 (shared with 123; lower pid)
	 * 12  "twelve": fd 0 -> socket 1200 (and "12ab" must not be read as 12)
 * 900: a process without fds to look at (kernel thread)
	 * "self", "sys", "12ab": not pids (self and 12ab hold sockets 3333, 1212)
	 */
	proc_dir(t->root, 123, "myproc\n");
	link_fd(t->root, 123, 3, "socket:[4242]");
	link_fd(t->root, 123, 4, "/var/log/app.log");
	link_fd(t->root, 123, 5, "socket:[7]");
	proc_dir(t->root, 456, "other\n");
	link_fd(t->root, 456, 0, "/dev/null");
	link_fd(t->root, 456, 9, "socket:[9999]");
	link_fd(t->root, 456, 10, "pipe:[555]");
	proc_dir(t->root, 77, "dup\n");
	link_fd(t->root, 77, 1, "socket:[4242]");
	proc_dir(t->root, 12, "twelve\n");
	link_fd(t->root, 12, 0, "socket:[1200]");
	mkdirf(t->root, "900");
	write_file(t->root, "900/comm", "kworker/0:1\n");
	mkdirf(t->root, "self");
	mkdirf(t->root, "self/fd");
	link_rel(t->root, "self/fd/3", "socket:[3333]");
	mkdirf(t->root, "sys");
	mkdirf(t->root, "12ab");
	mkdirf(t->root, "12ab/fd");
	link_rel(t->root, "12ab/fd/3", "socket:[1212]");
	write_file(t->root, "uptime", "1.0 1.0\n");
	owners_init(&t->o, t->root);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;

	owners_free(&t->o);
	nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

static void test_init_default_root(void **state UNUSED)
{
	struct owners o;

	owners_init(&o, NULL);
	assert_string_equal(o.proc_root, "/proc");
	assert_int_equal(o.n, 0);
	assert_null(owners_lookup(&o, 1));
	owners_free(&o);
}

static void test_lookup_before_scan(void **state)
{
	struct tree *t = *state;

	assert_null(owners_lookup(&t->o, 4242));
}

static void test_scan_all(void **state)
{
	struct tree *t = *state;
	const struct owner_ent *e;

	assert_int_equal(owners_scan(&t->o, NULL, 0), 0);
	/* sockets only, each holder once: 4242 (x2), 7, 9999, 1200 */
	assert_int_equal(t->o.n, 5);
	assert_int_equal(owners_lookup(&t->o, 1200)->pid, 12);
	assert_string_equal(owners_lookup(&t->o, 1200)->comm, "twelve");

	e = owners_lookup(&t->o, 7);
	assert_non_null(e);
	assert_int_equal(e->inode, 7);
	assert_int_equal(e->pid, 123);
	assert_string_equal(e->comm, "myproc");

	e = owners_lookup(&t->o, 9999);
	assert_non_null(e);
	assert_int_equal(e->pid, 456);
	assert_string_equal(e->comm, "other");

	/* two holders: the lowest pid wins */
	e = owners_lookup(&t->o, 4242);
	assert_non_null(e);
	assert_int_equal(e->pid, 77);
	assert_string_equal(e->comm, "dup");

	/* not sockets, or nobody holds them */
	assert_null(owners_lookup(&t->o, 555));
	assert_null(owners_lookup(&t->o, 0));
	assert_null(owners_lookup(&t->o, 8));
	assert_null(owners_lookup(&t->o, 4243));
	assert_null(owners_lookup(&t->o, 1));
	assert_null(owners_lookup(&t->o, UINT64_MAX));
	/* directories that are not pids are not scanned */
	assert_null(owners_lookup(&t->o, 3333));
	assert_null(owners_lookup(&t->o, 1212));
}

static void test_scan_pid_list(void **state)
{
	struct tree *t = *state;
	const struct owner_ent *e;
	const uint32_t only_123[] = { 123 };
	const uint32_t two[] = { 456, 123 };
	const uint32_t missing[] = { 31337, 900 };

	assert_int_equal(owners_scan(&t->o, only_123, 1), 0);
	assert_int_equal(t->o.n, 2);
	e = owners_lookup(&t->o, 4242);
	assert_non_null(e);
	assert_int_equal(e->pid, 123);	/* 77 was not scanned */
	assert_string_equal(e->comm, "myproc");
	assert_non_null(owners_lookup(&t->o, 7));
	assert_null(owners_lookup(&t->o, 9999));

	/* each scan starts from scratch */
	assert_int_equal(owners_scan(&t->o, two, 2), 0);
	assert_int_equal(t->o.n, 3);
	assert_int_equal(owners_lookup(&t->o, 9999)->pid, 456);
	assert_int_equal(owners_lookup(&t->o, 4242)->pid, 123);

	/* gone processes and kernel threads are skipped quietly */
	assert_int_equal(owners_scan(&t->o, missing, 2), 0);
	assert_int_equal(t->o.n, 0);
	assert_null(owners_lookup(&t->o, 4242));
}

static void test_rescan_sees_changes(void **state)
{
	struct tree *t = *state;
	char path[256];

	assert_int_equal(owners_scan(&t->o, NULL, 0), 0);
	assert_null(owners_lookup(&t->o, 31));
	/* 77 closes its socket, 456 opens one */
	snprintf(path, sizeof(path), "%s/77/fd/1", t->root);
	assert_int_equal(unlink(path), 0);
	link_fd(t->root, 456, 11, "socket:[31]");
	assert_int_equal(owners_scan(&t->o, NULL, 0), 0);
	assert_int_equal(owners_lookup(&t->o, 4242)->pid, 123);
	assert_int_equal(owners_lookup(&t->o, 31)->pid, 456);
	assert_int_equal(t->o.n, 5);
}

static void test_comm_edge_cases(void **state)
{
	struct tree *t = *state;
	const struct owner_ent *e;
	const uint32_t pids[] = { 600, 601, 602 };

	/* no comm file: empty name */
	proc_dir(t->root, 600, NULL);
	link_fd(t->root, 600, 3, "socket:[600600]");
	/* the longest name the kernel keeps: 15 bytes and a newline */
	proc_dir(t->root, 601, "abcdefghijklmno\n");
	link_fd(t->root, 601, 3, "socket:[601601]");
	/* no trailing newline */
	proc_dir(t->root, 602, "plain");
	link_fd(t->root, 602, 3, "socket:[602602]");

	assert_int_equal(owners_scan(&t->o, pids, 3), 0);
	e = owners_lookup(&t->o, 600600);
	assert_non_null(e);
	assert_string_equal(e->comm, "");
	e = owners_lookup(&t->o, 601601);
	assert_non_null(e);
	assert_string_equal(e->comm, "abcdefghijklmno");
	e = owners_lookup(&t->o, 602602);
	assert_non_null(e);
	assert_string_equal(e->comm, "plain");
}

static void test_many_sockets(void **state)
{
	struct tree *t = *state;
	const uint32_t pid[] = { 700 };

	/* more entries than the first allocation holds, in no order */
	proc_dir(t->root, 700, "busy\n");
	for (int fd = 0; fd < 600; fd++) {
		char target[32];

		snprintf(target, sizeof(target), "socket:[%d]", 100000 + (fd * 7919) % 600);
		link_fd(t->root, 700, fd, target);
	}
	assert_int_equal(owners_scan(&t->o, pid, 1), 0);
	assert_int_equal(t->o.n, 600);
	for (int i = 0; i < 600; i++) {
		const struct owner_ent *e = owners_lookup(&t->o, 100000 + (uint64_t)i);

		assert_non_null(e);
		assert_int_equal(e->inode, 100000 + (uint64_t)i);
		assert_int_equal(e->pid, 700);
	}
	assert_null(owners_lookup(&t->o, 99999));
	assert_null(owners_lookup(&t->o, 100600));
}

static void test_first_scan_finds_nothing(void **state)
{
	struct tree *t = *state;
	const uint32_t none[] = { 900, 31337 };

	/* nothing found on the very first scan: an empty table, no crash */
	assert_int_equal(owners_scan(&t->o, none, 2), 0);
	assert_int_equal(t->o.n, 0);
	assert_null(owners_lookup(&t->o, 4242));
}

static void test_missing_root(void **state UNUSED)
{
	struct owners o;

	owners_init(&o, "/nonexistent/bufscope-proc");
	assert_true(owners_scan(&o, NULL, 0) < 0);
	assert_null(owners_lookup(&o, 4242));
	owners_free(&o);
}

static void test_real_proc_finds_own_socket(void **state UNUSED)
{
	/* Our own process holds a socket: /proc must name us. */
	struct owners o;
	struct stat st;
	uint32_t me = (uint32_t)getpid();
	char path[64], comm[32] = "";
	FILE *f;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(path, sizeof(path), "/proc/%u/comm", me);
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	owners_init(&o, NULL);
	assert_int_equal(owners_scan(&o, &me, 1), 0);
	assert_non_null(owners_lookup(&o, st.st_ino));
	assert_int_equal(owners_lookup(&o, st.st_ino)->pid, me);
	assert_string_equal(owners_lookup(&o, st.st_ino)->comm, comm);
	owners_free(&o);
	close(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_default_root),
		T(test_lookup_before_scan),
		T(test_scan_all),
		T(test_scan_pid_list),
		T(test_rescan_sees_changes),
		T(test_comm_edge_cases),
		T(test_many_sockets),
		T(test_first_scan_finds_nothing),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test(test_real_proc_finds_own_socket),
	};

	return cmocka_run_group_tests_name("owners", tests, NULL, NULL);
}
