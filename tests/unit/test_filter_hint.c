// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/kernel/filter_hint.c on a fake /proc tree: which processes a
 * -p/-c filter selects, the TCP sockets they hold (fds matched with the
 * tcp/tcp6 tables, listeners told apart), children of -p processes, and the
 * hint's text.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/filter_hint.h"
#include "model/model.h"

#define UNUSED __attribute__((unused))

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256], dir[256], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", dir, strerror(errno));
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void fd(unsigned pid, int n, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%u/fd", root, pid);
	if (mkdir(path, 0755) && errno != EEXIST)
		fail_msg("mkdir %s", path);
	snprintf(path, sizeof(path), "%s/%u/fd/%d", root, pid, n);
	if (symlink(target, path))
		fail_msg("symlink %s: %s", path, strerror(errno));
}

static void proc(unsigned pid, unsigned ppid, const char *comm)
{
	char rel[64], text[128];

	snprintf(rel, sizeof(rel), "%u/comm", pid);
	snprintf(text, sizeof(text), "%s\n", comm);
	put(rel, text);
	snprintf(rel, sizeof(rel), "%u/stat", pid);
	/* a name with ") S 1" in it must not fool the parser */
	snprintf(text, sizeof(text), "%u (%s) S %u %u 0 0\n", pid, comm, ppid, pid);
	put(rel, text);
}

#define TCP_HEAD "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when " \
		 "retrnsmt   uid  timeout inode\n"
/* one line of /proc/net/tcp: state st, inode */
static void tcp_line(char *buf, size_t len, unsigned sl, unsigned st, unsigned inode)
{
	snprintf(buf, len, "%4u: 0100007F:5CFE 00000000:0000 %02X 00000000:00000000 "
		 "00:00000000 00000000     0        0 %u 1 0000000000000000 100 0 0 10 0\n",
		 sl, st, inode);
}

/*
 * nginx: master 100 (listeners 5001 v4 and 5002 v6), workers 101 and 102
 * (the listeners, inherited, and connections 6001, 6002); an unrelated
 * process 200 with a TCP connection; 103, a child of 100 without sockets.
 */
static int setup(void **state UNUSED)
{
	char tcp[1024], l[256];

	snprintf(root, sizeof(root), "/tmp/bufscope-hint-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	proc(100, 1, "nginx");
	proc(101, 100, "nginx");
	proc(102, 100, "nginx");
	proc(103, 100, "cache) S 1 x");
	proc(200, 1, "redis-server");
	fd(100, 3, "socket:[5001]");
	fd(100, 4, "socket:[5002]");
	fd(100, 5, "socket:[7777]");	/* a Unix socket: in no TCP table */
	fd(100, 6, "/dev/null");
	fd(101, 3, "socket:[5001]");
	fd(101, 4, "socket:[5002]");
	fd(101, 9, "socket:[6001]");
	fd(102, 3, "socket:[5001]");
	fd(102, 4, "socket:[5002]");
	fd(102, 9, "socket:[6002]");
	fd(200, 3, "socket:[8001]");
	for (unsigned pid = 100; pid <= 200; pid++) {
		char rel[64];

		if (pid > 103 && pid != 200)
			continue;
		tcp[0] = '\0';
		strcat(tcp, TCP_HEAD);
		tcp_line(l, sizeof(l), 0, 0x0A, 5001);
		strcat(tcp, l);
		tcp_line(l, sizeof(l), 1, 0x01, 6001);
		strcat(tcp, l);
		tcp_line(l, sizeof(l), 2, 0x01, 6002);
		strcat(tcp, l);
		tcp_line(l, sizeof(l), 3, 0x01, 8001);
		strcat(tcp, l);
		snprintf(rel, sizeof(rel), "%u/net/tcp", pid);
		put(rel, tcp);
		tcp[0] = '\0';
		strcat(tcp, TCP_HEAD);
		tcp_line(l, sizeof(l), 0, 0x0A, 5002);
		strcat(tcp, l);
		snprintf(rel, sizeof(rel), "%u/net/tcp6", pid);
		put(rel, tcp);
	}
	put("self", "not a pid");
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb UNUSED, int flag UNUSED,
		    struct FTW *ftw UNUSED)
{
	return remove(path);
}

static int teardown(void **state UNUSED)
{
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void test_master_pid(void **state UNUSED)
{
	const uint32_t pids[] = { 100 };
	struct filter_census c;
	char text[512];

	assert_int_equal(filter_census(root, pids, 1, NULL, &c), 0);
	assert_int_equal(c.procs, 1);
	assert_string_equal(c.comm, "nginx");
	assert_int_equal(c.tcp, 2);		/* the Unix socket is no TCP socket */
	assert_int_equal(c.listening, 2);
	/* its children holding TCP sockets: the workers, not 103 */
	assert_int_equal(c.nchildren, 2);
	assert_true((c.children[0] == 101 && c.children[1] == 102) ||
		    (c.children[0] == 102 && c.children[1] == 101));
	assert_string_equal(c.child_comm, "nginx");
	assert_true(filter_hint_text(&c, pids, 1, NULL, text, sizeof(text)));
	assert_non_null(strstr(text, "-p 100 selects 1 process (nginx) holding 2 TCP "
				     "sockets (2 listening), and it has not read"));
	assert_non_null(strstr(text, "try -c nginx"));
	assert_true(strstr(text, " 101") && strstr(text, " 102"));
}

static void test_comm(void **state UNUSED)
{
	struct filter_census c;
	char text[512];

	assert_int_equal(filter_census(root, NULL, 0, "nginx", &c), 0);
	assert_int_equal(c.procs, 3);
	/* every process's sockets: the shared listeners are counted per holder */
	assert_int_equal(c.tcp, 2 + 3 + 3);
	assert_int_equal(c.listening, 6);
	assert_int_equal(c.nchildren, 0);
	assert_true(filter_hint_text(&c, NULL, 0, "nginx", text, sizeof(text)));
	assert_non_null(strstr(text, "-c nginx selects 3 processes (nginx) holding 8 TCP "
				     "sockets (6 listening), and none of them has read"));
	/* a name nobody has: nothing to say */
	assert_int_equal(filter_census(root, NULL, 0, "postgres", &c), 0);
	assert_int_equal(c.procs, 0);
	assert_false(filter_hint_text(&c, NULL, 0, "postgres", text, sizeof(text)));
}

static void test_no_tcp_no_hint(void **state UNUSED)
{
	const uint32_t pids[] = { 103 }, both[] = { 100, 200 };
	struct filter_census c;
	char text[512];

	assert_int_equal(filter_census(root, pids, 1, NULL, &c), 0);
	assert_int_equal(c.procs, 1);
	assert_int_equal(c.tcp, 0);
	assert_false(filter_hint_text(&c, pids, 1, NULL, text, sizeof(text)));
	/* two pids, one a client: its connection counts, no listener */
	assert_int_equal(filter_census(root, both, 2, NULL, &c), 0);
	assert_int_equal(c.procs, 2);
	assert_int_equal(c.tcp, 3);
	assert_int_equal(c.listening, 2);
	assert_true(filter_hint_text(&c, both, 2, NULL, text, sizeof(text)));
	assert_int_equal(strncmp(text, "-p 100 -p 200 selects 2 processes", 33), 0);
	/* -p and -c: both must match */
	assert_int_equal(filter_census(root, both, 2, "redis-server", &c), 0);
	assert_int_equal(c.procs, 1);
	assert_int_equal(c.tcp, 1);
	assert_int_equal(c.listening, 0);
}

static void test_name_escaped(void **state UNUSED)
{
	struct filter_census c = { .procs = 1, .tcp = 1, .comm = "ev\x1b[2Jil" };
	char text[512];

	assert_true(filter_hint_text(&c, NULL, 0, "ev\x1b[2Jil", text, sizeof(text)));
	assert_null(strchr(text, 0x1b));
	assert_non_null(strstr(text, "ev?[2Jil"));
	/* a short buffer: cut, still a string */
	assert_true(filter_hint_text(&c, NULL, 0, "x", text, 20));
	assert_int_equal(strlen(text), 19);
}

/* The session hints only while no selected process read: what counts. */
static void test_model_any_read(void **state UNUSED)
{
	struct bs_sock_rec r;
	struct model m;

	assert_int_equal(model_init(&m), 0);
	m.filter.pids[0] = 101;
	m.filter.npids = 1;
	assert_false(model_any_read(&m));
	memset(&r, 0, sizeof(r));
	r.kind = BS_REC_SOCK;
	r.cookie = 1;
	r.ep.family = 2;
	r.ep.sport = 80;
	r.ep.dport = 40000;
	r.flags = BS_SF_HAS_STATE | BS_SF_HAS_READER;
	r.state.reader.pid = 200;	/* not selected */
	r.state.c.reads = 5;
	assert_int_equal(model_apply(&m, &r), 0);
	assert_false(model_any_read(&m));
	r.cookie = 2;
	r.state.reader.pid = 101;
	r.state.c.reads = 0;
	r.state.c.eagain_reads = 1;	/* a read call that found nothing counts */
	assert_int_equal(model_apply(&m, &r), 0);
	assert_true(model_any_read(&m));
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master_pid),
		cmocka_unit_test(test_comm),
		cmocka_unit_test(test_no_tcp_no_hint),
		cmocka_unit_test(test_name_escaped),
		cmocka_unit_test(test_model_any_read),
	};

	return cmocka_run_group_tests_name("filter_hint", tests, setup, teardown);
}
