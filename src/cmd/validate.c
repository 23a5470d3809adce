// SPDX-License-Identifier: GPL-2.0
/*
 * bufscope validate: runs scenarios (files, or built-in ones) in private
 * network namespaces and checks what the kernel did against each scenario's
 * expectations (docs/validate.md). Exit 0: every expectation passed (or was
 * not observable, which is said); 1: one failed; 2: the harness could not
 * run (not root, a bad scenario, an impairment this kernel cannot provide).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "util/log.h"
#include "util/sanitize.h"
#include "util/wfile.h"
#include "validate/capture.h"
#include "validate/netenv.h"
#include "validate/observe.h"
#include "validate/report.h"
#include "validate/roles.h"
#include "validate/scenario.h"

#define HARNESS_FAILED 2
/* Enough for every read of a run between two polls (100 ms). */
#define VALIDATE_RINGBUF (8 * 1024 * 1024)

static const char options_help[] =
	"validate options:\n"
	"      --list           the built-in scenarios\n"
	"      --show NAME      print a built-in scenario's file\n"
	"      --all            run every built-in scenario this kernel can run\n"
	"                       (those it cannot are named on stderr)\n"
	"      --dry-run        print the resolved plan of each scenario; run nothing\n"
	"      --svg FILE       the timeline as an SVG picture (one scenario)\n"
	"      --repeat N       run each scenario N times: pass rates\n"
	"      --metrics        the metrics an expectation may name\n"
	"      --no-timeline    leave the timeline out of the text report\n"
	"      --cleanup        remove namespaces left by killed runs, and exit\n";

static void list_builtins(void)
{
	const struct builtin *b;

	for (size_t i = 0; (b = scenario_builtin(i)); i++)
		printf("%-18s %s\n", b->name, b->summary);
}

static void list_metrics(void)
{
	const struct metric_info *m;
	size_t n = expect_metrics(&m);

	printf("Metrics, as receiver.NAME or sender.NAME:\n");
	for (size_t i = 0; i < n; i++)
		printf("  %-30s %-6s %s\n", m[i].name, m[i].unit, m[i].help);
	for (size_t i = 0; i < count_infos_n; i++)
		if (count_infos[i].key)
			printf("  %-30s %-6s %s\n", count_infos[i].key,
			       count_infos[i].unit == UNIT_BYTES ? "bytes" :
			       count_infos[i].unit == UNIT_NS ? "ms" : "",
			       count_infos[i].help);
}

/* A word: a built-in's name, or a file. 0, or -1 with the reason logged. */
static int load(struct scenario *s, const char *word)
{
	const struct builtin *b = scenario_builtin_find(word);
	struct stat st;

	if (b && stat(word, &st))
		return scenario_load_text(s, b->text, b->name);
	if (!b && !strchr(word, '/') && !strstr(word, ".ini") && stat(word, &st)) {
		log_error("bufscope validate --list names them", "no built-in "
			  "scenario '%s', and no such file", word);
		return -1;
	}
	return scenario_load_file(s, word);
}

static const char *call_name(enum read_call c)
{
	static const char *const n[] = { "read", "recv", "recvfrom", "recvmsg", "readv" };

	return n[c];
}

/* A command as it would run, printable (it is the user's text); freed. */
static void print_command(const char *side, char *cmd)
{
	char *clean = cmd ? malloc(strlen(cmd) + 1) : NULL;

	if (clean)
		sanitize_text(clean, strlen(cmd) + 1, cmd, strlen(cmd));
	printf("  %s: command: %s\n", side, clean ? clean : "(out of memory)");
	free(clean);
	free(cmd);
}

/* --dry-run: what would be done. 0, or HARNESS_FAILED when not runnable. */
static int plan(const struct scenario *s)
{
	char qdisc[PATH__N][192], why[256], text[256];
	int runnable = netenv_plan(s, qdisc, why, sizeof(why));

	/* the path and the settings' values as given: printable only */
	printf("Scenario %s (%s)\n", s->name,
	       sanitize_text(text, sizeof(text), s->origin, sizeof(s->origin)));
	if (s->description[0])
		printf("  %s\n", s->description);
	printf("  network: %s, sender %s, receiver %s, %s listens on port %u, mtu %u\n",
	       s->family == AF_INET6 ? "ipv6" : "ipv4", scenario_addr(s, SIDE_SENDER),
	       scenario_addr(s, SIDE_RECEIVER),
	       s->listener == SIDE_RECEIVER ? "the receiver" : "the sender", s->port,
	       s->mtu ? s->mtu : 1500);
	if (runnable)
		printf("  NOT RUNNABLE on this kernel: %s\n", why);
	else
		printf("  to the receiver: %s\n  to the sender: %s\n", qdisc[TO_RECEIVER],
		       qdisc[TO_SENDER]);
	for (unsigned i = 0; i < s->nsysctls; i++)
		printf("  sysctl %s = %s (%s)\n", s->sysctls[i].key,
		       sanitize_text(text, sizeof(text), s->sysctls[i].value,
				     sizeof(s->sysctls[i].value)),
		       s->sysctls[i].sides == 3 ? "both" :
		       s->sysctls[i].sides == 1 ? "sender" : "receiver");
	if (s->sender.command) {
		char *c = scenario_command(s->sender.command,
					   scenario_addr(s, s->listener), s->port,
					   "bufscope-PID-tx");

		print_command("sender", c);
	} else if (s->sender.nwrites) {
		printf("  sender: built-in, %u writes, %llu us apart\n", s->sender.nwrites,
		       (unsigned long long)s->sender.pause_us);
	} else {
		printf("  sender: built-in, %llu bytes in writes of %llu, rate %s%llu B/s\n",
		       (unsigned long long)s->sender.bytes,
		       (unsigned long long)(s->sender.write_size ? s->sender.write_size
					    : 65536),
		       s->sender.rate ? "" : "unlimited ",
		       (unsigned long long)s->sender.rate);
	}
	if (s->receiver.command) {
		char *c = scenario_command(s->receiver.command,
					   scenario_addr(s, s->listener), s->port,
					   "bufscope-PID-rx");

		print_command("receiver", c);
	} else {
		printf("  receiver: built-in, %s() of %llu bytes, SO_RCVBUF %s%llu, "
		       "pace %llu us, starts %s, %u schedule steps\n",
		       call_name(s->receiver.call), (unsigned long long)s->receiver.buf,
		       s->receiver.rcvbuf ? "" : "default ",
		       (unsigned long long)s->receiver.rcvbuf,
		       (unsigned long long)s->receiver.pace_us,
		       s->receiver.start == START_AFTER_SENDER ? "after the sender" : "at once",
		       s->receiver.nsteps);
	}
	printf("  ends: %s; time limit %.1f s; a sample every %llu ms\n",
	       s->end == SIDE__N ? "when both exit" : s->end == SIDE_RECEIVER ?
	       "when the receiver exits" : "when the sender exits",
	       (double)s->timeout_us / 1e6, (unsigned long long)s->sample_us / 1000);
	for (unsigned i = 0; i < s->nexpect; i++)
		printf("  expect (line %d): %s\n", s->expect[i].line, s->expect[i].text);
	return runnable ? HARNESS_FAILED : 0;
}

/* tcpdump on each side that asked for a capture, before the programs start.
 * 0, or -1 (the error said; none left running). */
static int start_captures(const struct scenario *s, const struct netenv *net,
			  struct capture cap[SIDE__N])
{
	const char *path[SIDE__N] = { [SIDE_SENDER] = s->sender.capture,
				      [SIDE_RECEIVER] = s->receiver.capture };
	char why[256];

	memset(cap, 0, SIDE__N * sizeof(*cap));
	for (int side = 0; side < SIDE__N; side++) {
		if (!path[side])
			continue;
		if (capture_start(&cap[side], net, side, s->port, path[side], why,
				  sizeof(why))) {
			log_error(NULL, "%s: [%s] capture: %s", s->name, side == SIDE_RECEIVER ?
				  "receiver" : "sender", why);
			for (int other = 0; other < side; other++)
				capture_stop(&cap[other]);
			return -1;
		}
	}
	return 0;
}

static void stop_captures(struct capture cap[SIDE__N])
{
	for (int side = 0; side < SIDE__N; side++)
		capture_stop(&cap[side]);
}

/* Can this kernel give the scenario its path? If not, says which built-in
 * --all leaves out, and why. */
static bool runnable_here(const struct scenario *s)
{
	char qdisc[PATH__N][192], why[256];

	if (!netenv_plan(s, qdisc, why, sizeof(why)))
		return true;
	log_warn("%s: left out of --all, not runnable on this kernel: %s", s->name, why);
	return false;
}

/* One run of one scenario: 0, 1 (an expectation failed) or HARNESS_FAILED. */
static int run_one(const struct scenario *s, const struct options *opt,
		   unsigned run, struct tally *t)
{
	struct observation o;
	struct capture cap[SIDE__N];
	struct netenv net;
	struct roles rs;
	struct report rep;
	struct observer *ob;
	struct engine_config cfg;
	struct sink sink;
	struct utsname u;
	char why[320];
	int status, rc;

	memset(&o, 0, sizeof(o));
	netenv_clean_stale();
	rc = netenv_setup(&net, s, why, sizeof(why));
	if (rc) {
		log_error(rc == -2 ? "bufscope validate --dry-run shows the plan; the VM "
			  "matrix (make vm-test) runs netem scenarios" : NULL,
			  "%s: %s%s", s->name, rc == -2 ? "not runnable on this kernel: " :
			  "cannot set up the network: ", why);
		return HARNESS_FAILED;
	}
	if (start_captures(s, &net, cap)) {
		netenv_teardown(&net);
		return HARNESS_FAILED;
	}
	roles_init(&rs, s, &net, &o);
	{
		struct observe_config oc = { .family = s->family, .on_tick = roles_tick,
					     .tick_ctx = &rs };

		for (int side = 0; side < SIDE__N; side++)
			scenario_addr_bytes(s, side, oc.addr[side]);
		ob = observe_new(&oc, &o);
	}
	if (!ob) {
		stop_captures(cap);
		netenv_teardown(&net);
		log_error(NULL, "out of memory");
		return HARNESS_FAILED;
	}
	cmd_engine_config(opt, &cfg);
	cfg.kernel.port = s->port;
	cfg.kernel.netns[0] = net.ino[SIDE_SENDER];
	cfg.kernel.netns[1] = net.ino[SIDE_RECEIVER];
	cfg.kernel.nnetns = 2;
	cfg.kernel.trace_reads = true;
	cfg.kernel.flow_records = BS_FR_DROP | BS_FR_RCVBUF | BS_FR_PROBE;
	cfg.kernel.ringbuf_bytes = VALIDATE_RINGBUF;
	cfg.interval_s = (double)s->sample_us / 1e6;
	cfg.duration_s = (double)s->timeout_us / 1e6;
	cfg.on_ready = roles_start;
	cfg.ready_ctx = &rs;
	sink = observe_sink(ob);
	status = engine_run(&cfg, &sink, 1);
	roles_stop(&rs);
	stop_captures(cap);
	netenv_teardown(&net);
	observe_destroy(ob);
	if (status) {
		if (rs.err[0])
			log_error(NULL, "%s: %s", s->name, rs.err);
		observe_free(&o);
		return HARNESS_FAILED;
	}
	o.interrupted = engine_interrupted();
	o.timed_out = !rs.done && !o.interrupted;
	memset(&rep, 0, sizeof(rep));
	rep.s = s;
	rep.net = &net;
	rep.o = &o;
	rep.cap = cap;
	rep.run = opt->repeat > 1 ? run : 0;
	snprintf(rep.kernel, sizeof(rep.kernel), "%s", uname(&u) ? "?" : u.release);
	report_judge(&rep);
	if (opt->output == OUT_JSON)
		report_json(stdout, &rep);
	else
		report_text(stdout, &rep, !opt->no_timeline);
	fflush(stdout);
	if (opt->svg && (rc = report_svg(opt->svg, &rep)))
		log_error(NULL, "cannot write the picture %s: %s", opt->svg,
			  wfile_strerror(rc));
	report_tally_add(t, &rep);
	observe_free(&o);
	if (engine_interrupted()) {
		log_error(NULL, "%s: interrupted: the verdicts are those of a partial "
			  "run", s->name);
		return HARNESS_FAILED;
	}
	if (rc)
		return HARNESS_FAILED;
	return rep.failed ? 1 : 0;
}

static int run(const struct options *opt)
{
	const char **words;
	int nwords, worst = 0;

	if (opt->metrics) {
		list_metrics();
		return 0;
	}
	if (opt->list) {
		list_builtins();
		return 0;
	}
	if (opt->show) {
		const struct builtin *b = scenario_builtin_find(opt->show);

		if (!b) {
			log_error("bufscope validate --list names them",
				  "no built-in scenario '%s'", opt->show);
			return HARNESS_FAILED;
		}
		fputs(b->text, stdout);
		return 0;
	}
	if (opt->cleanup) {
		netenv_clean_stale();
		return 0;
	}
	if (opt->all) {
		size_t n = 0;

		while (scenario_builtin(n))
			n++;
		words = calloc(n, sizeof(*words));
		if (!words)
			return HARNESS_FAILED;
		for (size_t i = 0; i < n; i++)
			words[i] = scenario_builtin(i)->name;
		nwords = (int)n;
	} else {
		words = calloc((size_t)opt->nargs + 1, sizeof(*words));
		if (!words)
			return HARNESS_FAILED;
		for (int i = 0; i < opt->nargs; i++)
			words[i] = opt->args[i];
		nwords = opt->nargs;
	}
	if (!nwords) {
		log_error("bufscope validate --list names the built-in ones",
			  "name a scenario: a built-in one or a file");
		free(words);
		return HARNESS_FAILED;
	}
	if (opt->svg && (nwords > 1 || opt->repeat > 1)) {
		log_error(NULL, "--svg draws one run of one scenario");
		free(words);
		return HARNESS_FAILED;
	}
	/* a path the picture cannot go to is said before the run, not after */
	if (opt->svg && !opt->dry_run) {
		int err = wfile_check(opt->svg);

		if (err) {
			log_error("name a new file, or a regular one of yours, in a writable directory",
				  "--svg %s: %s", opt->svg, wfile_strerror(err));
			free(words);
			return HARNESS_FAILED;
		}
	}
	if (!opt->dry_run && geteuid() != 0) {
		log_error("run it as root", "validate makes network namespaces and "
			  "loads BPF: it needs root");
		free(words);
		return HARNESS_FAILED;
	}
	for (int i = 0; i < nwords && worst < HARNESS_FAILED; i++) {
		struct scenario *s = calloc(1, sizeof(*s));
		struct tally t;
		unsigned runs = opt->repeat ? opt->repeat : 1;
		int rc = 0;

		if (!s || load(s, words[i])) {
			if (s)
				scenario_free(s);
			free(s);
			worst = HARNESS_FAILED;
			break;
		}
		memset(&t, 0, sizeof(t));
		if (opt->all && !runnable_here(s)) {
			/* --all: the built-ins this kernel can run; the others
			 * named (`validate NAME` alone still exits 2) */
		} else if (opt->dry_run) {
			rc = plan(s);
		} else {
			for (unsigned r = 1; r <= runs && rc < HARNESS_FAILED; r++) {
				int one = run_one(s, opt, r, &t);

				rc = one > rc ? one : rc;
				if (engine_interrupted())
					break;
				if (opt->output == OUT_TABLE && (r < runs || i + 1 < nwords))
					printf("\n");
			}
			if (runs > 1 && t.runs)
				report_tally(stdout, s, &t, opt->output == OUT_JSON);
		}
		worst = rc > worst ? rc : worst;
		scenario_free(s);
		free(s);
		if (engine_interrupted())
			break;
	}
	free(words);
	return worst;
}

const struct cmd cmd_validate = {
	.name = "validate",
	.summary = "run flow-control scenarios in private namespaces and check "
		   "what the kernel did",
	.examples =
		"  bufscope validate --list          the built-in scenarios\n"
		"  bufscope validate slow-reader     run one, with verdicts and a timeline\n"
		"  bufscope validate my.ini --svg t.svg   a scenario file, and its picture\n",
	.options_help = options_help,
	.own_long = (1u << (OPT_CLEANUP - OPT_LIST + 1)) - 1,
	.takes_args = true,
	.args_help = "SCENARIO...",
	.refused_options = "pcPidG",
	.shared_note = "validate takes none of the filters, -i or -d: its scenarios set them",
	.run = run,
};
