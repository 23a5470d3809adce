/* SPDX-License-Identifier: GPL-2.0 */
/* Command line: the commands, their options, and parsing (pure; unit-tested). */
#ifndef BUFSCOPE_CLI_H
#define BUFSCOPE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include "bufscope/sock.h"
#include "hooks.h"
#include "render.h"
#include "view.h"

enum command { CMD_TOP, CMD_TRACE, CMD_HIST, CMD_DEMO, CMD__COUNT };
enum output_mode { OUT_TABLE, OUT_JSON };

/* What `trace` prints (-e/--events). */
enum event_kind {
	EV_READ = 1 << 0,	/* each read */
	EV_ZW = 1 << 1,		/* zero-window episode start and end */
	EV_DROP = 1 << 2,	/* receive-path drops */
	EV_RCVBUF = 1 << 3,	/* receive buffer size changes */
	EV_CLOSE = 1 << 4,	/* a socket's final totals */
	EV_ALL = (1 << 5) - 1,
};

struct options {
	enum command cmd;
	unsigned events;	/* enum event_kind mask */
	uint32_t pids[BS_MAX_PIDS];
	unsigned npids;
	char comm[BS_COMM_LEN];
	bool has_comm;
	uint16_t port;
	double interval_s;
	bool interval_given;	/* -i was given (hist: intervals, not one table) */
	double duration_s;	/* 0: until SIGINT/SIGTERM */
	enum output_mode output;
	enum sort_key sort;
	unsigned rows;		/* 0: all */
	enum group_by by;
	bool wide;		/* -w: every column, whatever the width */
	enum attach_mode attach;	/* --attach */
	bool verbose;
	bool help;
	bool version;
};

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
