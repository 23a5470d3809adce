// SPDX-License-Identifier: GPL-2.0
/* Network namespace discovery against a fake /proc: regular files stand in
 * for the ns/net links (what counts is their device and inode). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "kernel/netns.h"

struct tree {
	char root[64];
	char proc[96];
	char run[96];
};

static void mkfile(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
}

/* /proc/PID/ns/net as a hard link to the namespace file it stands for */
static void add_pid(struct tree *t, const char *pid, const char *ns)
{
	char dir[256], linkpath[320], target[256];

	snprintf(dir, sizeof(dir), "%s/%s", t->proc, pid);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/%s/ns", t->proc, pid);
	mkdir(dir, 0755);
	snprintf(target, sizeof(target), "%s/%s", t->root, ns);
	snprintf(linkpath, sizeof(linkpath), "%s/net", dir);
	assert_int_equal(link(target, linkpath), 0);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char path[256];

	snprintf(t->root, sizeof(t->root), "/tmp/bufscope-netns-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->proc, sizeof(t->proc), "%s/proc", t->root);
	snprintf(t->run, sizeof(t->run), "%s/run", t->root);
	mkdir(t->proc, 0755);
	mkdir(t->run, 0755);
	for (const char *ns = "A"; ns; ns = !strcmp(ns, "A") ? "B" : !strcmp(ns, "B") ? "C" : NULL) {
		snprintf(path, sizeof(path), "%s/%s", t->root, ns);
		mkfile(path);
	}
	add_pid(t, "self", "A");	/* our own namespace is A */
	add_pid(t, "1", "A");
	add_pid(t, "200", "B");
	add_pid(t, "201", "B");	/* two processes, one namespace */
	snprintf(path, sizeof(path), "%s/named", t->run);
	mkfile(path);		/* an ip-netns name with no process: D */
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->root);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static size_t own_count(const struct netns_set *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->ents[i].fd < 0;
	return n;
}

static void test_all_namespaces(void **state)
{
	struct tree *t = *state;
	struct netns_set s;

	assert_int_equal(netns_init(&s, t->proc, t->run), 0);
	/* A (ours, no fd), B (once for two pids), the named one */
	assert_int_equal(netns_refresh(&s, NULL, 0), 3);
	assert_int_equal(own_count(&s), 1);
	assert_int_equal(s.ents[0].fd, -1);	/* ours first */
	/* a second refresh finds the same, opens nothing new */
	assert_int_equal(netns_refresh(&s, NULL, 0), 3);
	netns_free(&s);
}

static void test_pids_only(void **state)
{
	struct tree *t = *state;
	struct netns_set s;
	uint32_t pids[] = { 201 };

	assert_int_equal(netns_init(&s, t->proc, t->run), 0);
	/* ours and pid 201's; not the named namespace */
	assert_int_equal(netns_refresh(&s, pids, 1), 2);
	netns_free(&s);
}

static void test_vanished_namespace_forgotten(void **state)
{
	struct tree *t = *state;
	struct netns_set s;
	char path[512];

	assert_int_equal(netns_init(&s, t->proc, t->run), 0);
	assert_int_equal(netns_refresh(&s, NULL, 0), 3);
	/* both processes of B end, and the name goes */
	snprintf(path, sizeof(path), "rm -rf %s/200 %s/201 %s/named", t->proc, t->proc, t->run);
	assert_int_equal(system(path), 0);
	assert_int_equal(netns_refresh(&s, NULL, 0), 1);
	assert_int_equal(s.ents[0].fd, -1);
	netns_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_all_namespaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pids_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vanished_namespace_forgotten, setup, teardown),
	};

	return cmocka_run_group_tests_name("netns", tests, NULL, NULL);
}
