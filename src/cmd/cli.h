/* SPDX-License-Identifier: GPL-2.0 */
/* The command line: the shared options parsed once for every command of
 * the table (cmd/cmd.h), help and errors (pure; unit-tested). */
#ifndef BUFSCOPE_CLI_H
#define BUFSCOPE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include "cmd/cmd.h"

struct cli_error {
	char msg[256];
	char hint[256];
};

/* 0 on success; -1 on a usage error, described in *err. */
int cli_parse(int argc, char **argv, struct options *o, struct cli_error *err);

const char *cli_command_name(enum command cmd);
const char *cli_sort_name(enum sort_key key);
void cli_print_help(enum command cmd, bool command_given);
void cli_print_usage_all(void);

#endif
