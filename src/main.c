// SPDX-License-Identifier: GPL-2.0
/* bufscope: TCP receive queues and the reads that drain them, per socket. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "kernel/cgroups.h"
#include "kernel/collector.h"
#include "util/log.h"
#include "util/sanitize.h"
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
 * --cgroup names a cgroup v2 directory that exists, now: its path into
 * opt->cgroup_dir. A usage error (status 2) otherwise, with where cgroup v2
 * is mounted as the hint.
 */
static int check_cgroup(struct options *opt)
{
	struct cgroups *cg;
	const char *mount;
	char hint[600], shown[256], where[256];
	int err;

	if (!opt->cgroup)
		return 0;
	cg = cgroups_open(NULL);
	if (!cg)
		return -ENOMEM;
	mount = cgroups_mount(cg);
	err = cgroups_resolve_arg(mount, opt->cgroup, opt->cgroup_dir,
				  sizeof(opt->cgroup_dir));
	sanitize_text(shown, sizeof(shown), opt->cgroup, strlen(opt->cgroup));
	if (mount)
		snprintf(hint, sizeof(hint), "cgroup v2 is mounted at %s; give a path "
			 "under it or relative to it (as in /proc/PID/cgroup)",
			 sanitize_text(where, sizeof(where), mount, strlen(mount)));
	else
		snprintf(hint, sizeof(hint), "mount cgroup v2, e.g. mount -t cgroup2 none "
			 "/sys/fs/cgroup/unified");
	cgroups_free(cg);
	if (err == -ENODEV)
		log_error(hint, "--cgroup needs cgroup v2, and none is mounted");
	else if (err == -EXDEV)
		log_error(hint, "--cgroup %s is not a cgroup v2 directory", shown);
	else if (err == -ENAMETOOLONG)
		log_error(hint, "--cgroup %s: path too long", shown);
	else if (err)
		log_error(hint, "--cgroup %s: no such cgroup", shown);
	return err;
}

/*
 * What is still buffered goes out; a write that failed makes the exit status
 * 1, with one line saying why (the session has said it already, if it ran).
 */
static int output_finish(int status)
{
	bool said = output_error() != 0;

	if (fflush(stdout) && !said)
		log_output_error(output_error());
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
	} else if (check_cgroup(&opt)) {
		status = 2;
	} else {
		status = check_pids(&opt) ? 1 : commands[opt.cmd]->run(&opt);
	}
	return output_finish(status);
}
