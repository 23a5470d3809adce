// SPDX-License-Identifier: GPL-2.0
/*
 * The seed document's scenario, live: the built-in validation scenario
 * "demo" (bufscope validate --show demo) in its two private namespaces — a
 * sender as fast as TCP takes it, a reader with a small receive buffer that
 * reads 4 KiB every 20 ms and stalls — with top's table on it. The queue
 * fills and drains; the window closes and reopens.
 */
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "util/log.h"
#include "validate/netenv.h"
#include "validate/observe.h"
#include "validate/roles.h"
#include "validate/scenario.h"

static int run(const struct options *opt)
{
	const struct builtin *b = scenario_builtin_find("demo");
	struct options o = *opt;
	struct observation obs;
	struct scenario s;
	struct netenv net;
	struct roles rs;
	char why[320];
	int status;

	if (!b || scenario_load_text(&s, b->text, b->name))
		return 1;
	netenv_clean_stale();
	if (netenv_setup(&net, &s, why, sizeof(why))) {
		log_error("bufscope needs root", "cannot set up the demo's namespaces: %s",
			  why);
		scenario_free(&s);
		return 1;
	}
	memset(&obs, 0, sizeof(obs));
	roles_init(&rs, &s, &net, &obs);
	/* watch only the demo's two namespaces */
	o.netns[0] = net.ino[SIDE_SENDER];
	o.netns[1] = net.ino[SIDE_RECEIVER];
	o.nnetns = 2;
	log_info("demo: a sender (%s) writes to a slow reader (%s, port %u) in "
		 "namespaces %s and %s", scenario_addr(&s, SIDE_SENDER),
		 scenario_addr(&s, SIDE_RECEIVER), s.port, net.ns[SIDE_SENDER],
		 net.ns[SIDE_RECEIVER]);
	status = top_run(&o, roles_start, &rs);
	if (status && rs.err[0])
		log_error(NULL, "demo: %s", rs.err);
	roles_stop(&rs);
	netenv_teardown(&net);
	observe_free(&obs);
	scenario_free(&s);
	return status;
}

const struct cmd cmd_demo = {
	.name = "demo",
	.summary = "run a fast sender and a slow reader in two private namespaces "
		   "and show top on them",
	.examples =
		"  bufscope demo                     ten seconds of the demo\n"
		"  bufscope demo -d 30 -o json       thirty seconds, as JSON\n",
	.options_help = cmd_top_options_help,
	.own_options = "snbw",
	.default_duration_s = 10,
	.run = run,
};
