// SPDX-License-Identifier: GPL-2.0
/* bufscope: TCP receive queues and the reads that drain them, per socket. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "kernel/collector.h"
#include "util/log.h"
#include "util/output.h"

#ifndef BUFSCOPE_VERSION
#define BUFSCOPE_VERSION "0.0.0"
#endif

/*
 * The version, then the tier each hook gets on this kernel and why better
 * tiers were passed over. As root every candidate is tried for real;
 * otherwise only the kernel's BTF is checked.
 */
static int print_version(const struct options *opt)
{
	struct hook_status hooks[HOOK__COUNT];
	char why[4 * HOOK_WHY_LEN];

	printf("bufscope %s\n", BUFSCOPE_VERSION);
	if (collector_probe(opt->attach, hooks))
		return 1;
	for (int i = 0; i < HOOK__COUNT; i++) {
		hooks_explain(&hooks[i], (enum hook_id)i, why, sizeof(why));
		printf("  %-10s %-10s %s\n", hooks[i].name, hooks[i].tier,
		       hooks[i].available ? hooks[i].target : "unavailable");
		if (why[0])
			printf("  %-10s %-10s (%s)\n", "", "", why);
	}
	if (geteuid())
		printf("(not root: only the kernel's BTF was checked, no tier was tried)\n");
	return 0;
}

/* A PID that does not exist is an error now, not an empty table later. */
static int check_pids(const struct options *opt)
{
	for (unsigned i = 0; i < opt->npids; i++) {
		if (kill((pid_t)opt->pids[i], 0) && errno == ESRCH) {
			log_error("check the PID with ps or pgrep",
				  "no such process: %u", opt->pids[i]);
			return -ESRCH;
		}
	}
	return 0;
}

/*
 * What is still buffered goes out; a write that failed makes the exit status
 * 1, with one line saying why (the session has said it already, if it ran).
 */
static int output_finish(int status)
{
	bool said = output_error() != 0;

	if (fflush(stdout) && !said)
		log_error("check where standard output goes: a full disk, a closed pipe",
			  "cannot write to standard output: %s", strerror(output_error()));
	return output_error() ? 1 : status;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct cli_error err;
	int status;

	if (cli_parse(argc, argv, &opt, &err)) {
		log_setup(false, false);
		log_error(err.hint, "%s", err.msg);
		return 2;
	}
	log_setup(opt.verbose, opt.output == OUT_JSON);
	log_libbpf_setup();
	if (output_setup()) {
		log_error("give it somewhere to write, e.g. > FILE or | less",
			  "standard output is closed");
		return 1;
	}
	if (opt.help) {
		cli_print_help(opt.cmd, argc > 1 && argv[1][0] != '-');
		status = 0;
	} else if (opt.version) {
		status = print_version(&opt);
	} else {
		status = check_pids(&opt) ? 1 : commands[opt.cmd]->run(&opt);
	}
	return output_finish(status);
}
