// SPDX-License-Identifier: GPL-2.0
/*
 * util/wfile: files bufscope writes as root are never written through what
 * was planted where they go: a symbolic link (dangling too), a FIFO (no
 * hang), a hard link to another file, another user's file. Its own regular
 * file is emptied and rewritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdir.h"
#include "util/wfile.h"

static const char *path_of(const char *name)
{
	static char p[2][256];
	static int i;

	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static char *slurp(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = 0;
	return buf;
}

static void test_new_and_own_file(void **state)
{
	const char *p = path_of("new.svg");
	int fd;

	(void)state;
	assert_int_equal(wfile_check(p), 0);
	fd = wfile_create(p);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "longer text\n", 12), 12);
	close(fd);
	/* its own file again: emptied, then the new content */
	fd = wfile_create(p);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "two\n", 4), 4);
	close(fd);
	assert_string_equal(slurp(p), "two\n");
	/* the descriptor blocks again (O_NONBLOCK is for the open only) */
	fd = wfile_create(p);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
}

static void test_symlink(void **state)
{
	const char *target = write_file("target", "keep\n");
	const char *p = path_of("link.svg");

	(void)state;
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(wfile_check(p), -ELOOP);
	assert_int_equal(wfile_create(p), -ELOOP);
	assert_string_equal(slurp(target), "keep\n");
	assert_non_null(strstr(wfile_strerror(-ELOOP), "symbolic link"));
	/* dangling: nothing created where it points */
	unlink(target);
	assert_int_equal(wfile_create(p), -ELOOP);
	assert_int_equal(access(target, F_OK), -1);
}

static void test_fifo(void **state)
{
	const char *p = path_of("fifo.svg");

	(void)state;
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(wfile_check(p), -EINVAL);
	/* without a reader an open for writing would block, or fail ENXIO */
	int fd = wfile_create(p);
	assert_true(fd == -EINVAL || fd == -ENXIO);
	assert_non_null(strstr(wfile_strerror(-EINVAL), "not a regular file"));
}

static void test_hard_link(void **state)
{
	const char *target = write_file("other", "keep\n");
	const char *p = path_of("hard.svg");

	(void)state;
	assert_int_equal(link(target, p), 0);
	assert_int_equal(wfile_check(p), -EMLINK);
	assert_int_equal(wfile_create(p), -EMLINK);
	assert_string_equal(slurp(target), "keep\n");	/* not emptied */
	assert_non_null(strstr(wfile_strerror(-EMLINK), "hard links"));
}

static void test_other_users_file(void **state)
{
	const char *p = write_file("theirs.svg", "keep\n");

	(void)state;
	if (geteuid() != 0) {
		skip();		/* chown needs root; the suite runs as root */
		return;
	}
	assert_int_equal(chown(p, 65534, 65534), 0);
	assert_int_equal(wfile_check(p), -EPERM);
	assert_int_equal(wfile_create(p), -EPERM);
	assert_string_equal(slurp(p), "keep\n");
	assert_non_null(strstr(wfile_strerror(-EPERM), "another user"));
}

static void test_places(void **state)
{
	(void)state;
	assert_int_equal(wfile_check(path_of("no-such-dir/t.svg")), -ENOENT);
	assert_int_equal(wfile_create(path_of("no-such-dir/t.svg")), -ENOENT);
	assert_string_equal(wfile_strerror(-ENOENT), "its directory does not exist");
	assert_int_equal(wfile_check(dir), -EISDIR);
	write_file("plain", "x");
	assert_int_equal(wfile_check(path_of("plain/t.svg")), -ENOTDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_own_file),
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_hard_link),
		cmocka_unit_test(test_other_users_file),
		cmocka_unit_test(test_places),
	};

	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
