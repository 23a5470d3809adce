/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A temporary directory for the files of a group of tests (web configs,
 * certificates): made by dir_setup, removed with its files by
 * dir_teardown, the group's setup and teardown. Include after <cmocka.h>.
 */
#ifndef BUFSCOPE_TESTDIR_H
#define BUFSCOPE_TESTDIR_H

#include <stdio.h>
#include <stdlib.h>

static char dir[64];

static inline int dir_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bufscope-unit-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static inline int dir_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* dir/name with text in it; its path, in a static buffer. */
static inline const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

#endif
