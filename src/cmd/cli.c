// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cli.h"
#include "util/sanitize.h"
#include "cmd/cmd.h"

static const char *const sort_names[SORT__COUNT] = {
	[SORT_QUEUE] = "queue", [SORT_PEAK] = "peak", [SORT_BYTES] = "bytes",
	[SORT_READS] = "reads", [SORT_REQ] = "req", [SORT_RET] = "ret",
	[SORT_FILL] = "fill", [SORT_RCVBUF] = "rcvbuf", [SORT_PID] = "pid",
	[SORT_COMM] = "comm", [SORT_ZW] = "zw", [SORT_DROPS] = "drops",
};

const char *cli_command_name(enum command cmd)
{
	return cmd < CMD__COUNT ? commands[cmd]->name : "?";
}

const char *cli_sort_name(enum sort_key key)
{
	return key < SORT__COUNT ? sort_names[key] : "?";
}

static const char common_options[] =
	"Options:\n"
	"  -p, --pid PID        only this process (repeatable, up to 16)\n"
	"  -c, --comm NAME      only processes with this name (exact, 15 chars max)\n"
	"  -P, --port PORT      only sockets with this local or remote port\n"
	"      --cgroup PATH    only readers in this cgroup (v2) or below it; the\n"
	"                       path under the cgroup2 mount or relative to its root\n"
	"  -i, --interval S     seconds between updates (default 1)\n"
	"  -d, --duration S     stop after S seconds (default: Ctrl-C, SIGTERM, SIGHUP)\n"
	"  -o, --output MODE    table (default) or json: one JSON object per line\n"
	"      --attach TIER    auto (default), fentry, kprobe or tracepoint: how the\n"
	"                       read and arrival hooks attach (auto: the best that\n"
	"                       works here; --version shows the choice)\n"
	"  -v, --verbose        say what is attached and show libbpf's messages\n"
	"  -h, --help           this help; --version: version and attach tiers\n";

void cli_print_usage_all(void)
{
	printf("Usage: bufscope [COMMAND] [OPTIONS]\n\n"
	       "Shows, per TCP socket, how data waits in the kernel's receive queue\n"
	       "and how the application drains it with its reads.\n\nCommands:\n");
	for (int i = 0; i < CMD__COUNT; i++)
		printf("  %-6s %s\n", commands[i]->name, commands[i]->summary);
	printf("\nWithout a command, bufscope runs top.\n\n%s", common_options);
	/* each command's own options once (demo shares top's) */
	for (int i = 0; i < CMD__COUNT; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen |= commands[j]->options_help == commands[i]->options_help;
		if (commands[i]->options_help && !seen)
			printf("\n%s", commands[i]->options_help);
	}
	printf("\nExamples:\n");
	for (int i = 0; i < CMD__COUNT; i++)
		fputs(commands[i]->examples, stdout);
	printf("\nNeeds root (or CAP_BPF and CAP_PERFMON) and a kernel with BTF.\n"
	       "`bufscope COMMAND --help` shows one command. See man bufscope.\n");
}

void cli_print_help(enum command cmd, bool command_given)
{
	if (!command_given || cmd >= CMD__COUNT) {
		cli_print_usage_all();
		return;
	}
	printf("Usage: bufscope %s [OPTIONS]%s%s\n\n%s.\n\n%s", commands[cmd]->name,
	       commands[cmd]->args_help ? " " : "",
	       commands[cmd]->args_help ? commands[cmd]->args_help : "",
	       commands[cmd]->summary, common_options);
	if (commands[cmd]->shared_note)
		printf("(%s.)\n", commands[cmd]->shared_note);
	if (commands[cmd]->options_help)
		printf("\n%s", commands[cmd]->options_help);
	printf("\nExamples:\n%s", commands[cmd]->examples);
}

static int fail(struct cli_error *err, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct cli_error *err, const char *hint, const char *fmt, ...)
{
	va_list ap;

	char msg[sizeof(err->msg)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* it may quote an argument: a terminal gets no control byte of it */
	sanitize_text(err->msg, sizeof(err->msg), msg, sizeof(msg));
	snprintf(err->hint, sizeof(err->hint), "%s",
		 hint ? hint : "see 'bufscope --help'");
	return -1;
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_seconds(const char *s, double min_exclusive, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= min_exclusive ||
	    v > 31536000.0)
		return false;
	*out = v;
	return true;
}

static int find_name(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	return -1;
}

static void set_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->cmd = CMD_TOP;
	o->interval_s = 1.0;
	o->output = OUT_TABLE;
	o->sort = SORT_QUEUE;
	o->rows = 20;
	o->by = BY_SOCKET;
	o->events = EV_ALL;
}

static const char *const event_names[] = { "read", "zw", "drop", "rcvbuf", "close" };

/* "read,zw" -> EV_READ | EV_ZW; "all" -> EV_ALL; 0 on a bad name. */
/* "read,zw" as a mask, however long the list; 0 with *bad (and *badlen)
 * the first word that is no event's name. */
static unsigned parse_events(const char *arg, const char **bad, size_t *badlen)
{
	unsigned mask = 0;

	for (const char *p = arg; *p; p += *p == ',') {
		size_t n = strcspn(p, ",");
		int i = -1;

		for (int k = 0; k < 5 && i < 0; k++)
			if (strlen(event_names[k]) == n && !strncmp(p, event_names[k], n))
				i = k;
		if (n == 3 && !strncmp(p, "all", 3)) {
			mask |= EV_ALL;
		} else if (i < 0) {
			*bad = p;
			*badlen = n;
			return 0;
		} else {
			mask |= 1U << i;
		}
		p += n;
	}
	if (!mask) {
		*bad = arg;
		*badlen = strlen(arg);
	}
	return mask;
}

static int parse_command(int argc, char **argv, struct options *o,
			 struct cli_error *err)
{
	if (argc < 2 || argv[1][0] == '-')
		return 1;
	for (int i = 0; i < CMD__COUNT; i++) {
		if (!strcmp(argv[1], commands[i]->name)) {
			o->cmd = (enum command)i;
			o->duration_s = commands[i]->default_duration_s;
			if (commands[i]->defaults)
				commands[i]->defaults(o);
			return 2;
		}
	}
	return fail(err, "commands are top, trace, hist, demo and validate",
		    "unknown command '%s'", argv[1]);
}

static int parse_option(int c, const char *arg, const char *optname,
			struct options *o, struct cli_error *err)
{
	long v;
	int i;

	switch (c) {
	case 'p':
		if (!parse_long(arg, 1, INT_MAX, &v))
			return fail(err, "a PID is a whole number above 0",
				    "bad PID '%s'", arg);
		if (o->npids >= BS_MAX_PIDS)
			return fail(err, NULL, "too many -p options (at most %d)",
				    BS_MAX_PIDS);
		o->pids[o->npids++] = (uint32_t)v;
		return 0;
	case 'c':
		if (!*arg || strlen(arg) >= BS_COMM_LEN)
			return fail(err, "the kernel keeps the first 15 bytes of a process name",
				    "process name '%.64s' is empty or longer than 15 bytes", arg);
		snprintf(o->comm, sizeof(o->comm), "%s", arg);
		o->has_comm = true;
		return 0;
	case 'G':	/* --cgroup: checked against the file system by main.c */
		if (!*arg)
			return fail(err, "e.g. --cgroup /system.slice/nginx.service",
				    "--cgroup needs a path");
		o->cgroup = arg;
		return 0;
	case 'P':
		if (!parse_long(arg, 1, 65535, &v))
			return fail(err, "a port is a number from 1 to 65535",
				    "bad port '%s'", arg);
		o->port = (uint16_t)v;
		return 0;
	case 'i':
		if (!parse_seconds(arg, 0.0, &o->interval_s) || o->interval_s < 0.01)
			return fail(err, "the interval is a number of seconds, at least 0.01",
				    "bad interval '%s'", arg);
		o->interval_given = true;
		return 0;
	case 'd':
		if (!parse_seconds(arg, 0.0, &o->duration_s))
			return fail(err, "the duration is a number of seconds above 0",
				    "bad duration '%s'", arg);
		return 0;
	case 'o':
		if (!strcmp(arg, "table"))
			o->output = OUT_TABLE;
		else if (!strcmp(arg, "json"))
			o->output = OUT_JSON;
		else
			return fail(err, "use -o table or -o json",
				    "unknown output mode '%s'", arg);
		return 0;
	case 's':
		i = find_name(sort_names, SORT__COUNT, arg);
		if (i < 0)
			return fail(err, "columns: queue peak bytes reads req ret fill rcvbuf pid comm zw drops",
				    "unknown sort column '%s'", arg);
		o->sort = (enum sort_key)i;
		return 0;
	case 'n':
		if (!parse_long(arg, 0, 1000000, &v))
			return fail(err, "rows is a whole number, 0 for all",
				    "bad row count '%s'", arg);
		o->rows = (unsigned)v;
		return 0;
	case 'b':
		if (!strcmp(arg, "socket"))
			o->by = BY_SOCKET;
		else if (!strcmp(arg, "process"))
			o->by = BY_PROCESS;
		else
			return fail(err, "use --by socket or --by process",
				    "unknown grouping '%s'", arg);
		return 0;
	case 'e':
	{
		const char *bad;
		size_t n;

		o->events = parse_events(arg, &bad, &n);
		if (!o->events)
			return fail(err, "events: read, zw, drop, rcvbuf, close or all, comma-separated",
				    "unknown event '%.*s' in the list", (int)(n < 64 ? n : 64), bad);
		return 0;
	}
	case 'A':
		i = -1;
		for (int m = ATTACH_AUTO; m <= ATTACH_TRACEPOINT && i < 0; m++)
			if (!strcmp(arg, attach_mode_name((enum attach_mode)m)))
				i = m;
		if (i < 0)
			return fail(err, "use --attach auto, fentry, kprobe or tracepoint",
				    "unknown attach tier '%.64s'", arg);
		o->attach = (enum attach_mode)i;
		return 0;
	case 'w':
		o->wide = true;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case 'h':
		o->help = true;
		return 0;
	case 'V':
		o->version = true;
		return 0;
	case OPT_LIST: o->list = true; return 0;
	case OPT_SHOW: o->show = arg; return 0;
	case OPT_DRY_RUN: o->dry_run = true; return 0;
	case OPT_ALL: o->all = true; return 0;
	case OPT_METRICS: o->metrics = true; return 0;
	case OPT_NO_TIMELINE: o->no_timeline = true; return 0;
	case OPT_CLEANUP: o->cleanup = true; return 0;
	case OPT_SVG:
		if (!*arg)
			return fail(err, NULL, "--svg needs a file name");
		o->svg = arg;
		return 0;
	case OPT_LISTEN:
		if (!*arg)
			return fail(err, "e.g. --listen 127.0.0.1:9435",
				    "--listen needs an address and port");
		o->listen = arg;
		return 0;
	case OPT_WEB_CONFIG:
		if (!*arg)
			return fail(err, NULL, "--web.config.file needs a file name");
		o->web_config = arg;
		return 0;
	case OPT_LABELS: o->labels = arg; return 0;
	case OPT_MAX_SERIES:
		if (!parse_long(arg, 2, 100000, &v))
			return fail(err, "--max-series takes a count from 2 to 100000",
				    "bad series count '%.64s'", arg);
		o->max_series = (unsigned)v;
		return 0;
	case OPT_REPEAT:
		if (!parse_long(arg, 1, 1000, &v))
			return fail(err, "--repeat takes a count from 1 to 1000",
				    "bad repeat count '%.64s'", arg);
		o->repeat = (unsigned)v;
		return 0;
	case ':':
		return fail(err, NULL, "option '%s' needs a value", optname);
	default:
		return fail(err, NULL, "unknown option '%s'", optname);
	}
}

/* A command's own options: their long names (for errors), by letter. */
static const char *own_option_name(int c)
{
	switch (c) {
	case 's': return "--sort";
	case 'n': return "--rows";
	case 'b': return "--by";
	case 'w': return "--wide";
	case 'e': return "--events";
	case OPT_LIST: return "--list";
	case OPT_SHOW: return "--show";
	case OPT_DRY_RUN: return "--dry-run";
	case OPT_ALL: return "--all";
	case OPT_SVG: return "--svg";
	case OPT_REPEAT: return "--repeat";
	case OPT_METRICS: return "--metrics";
	case OPT_NO_TIMELINE: return "--no-timeline";
	case OPT_CLEANUP: return "--cleanup";
	case OPT_LISTEN: return "--listen";
	case OPT_WEB_CONFIG: return "--web.config.file";
	case OPT_LABELS: return "--labels";
	case OPT_MAX_SERIES: return "--max-series";
	default: return NULL;
	}
}

/* The long name of a shared option, for errors. */
static const char *shared_option_name(int c)
{
	switch (c) {
	case 'p': return "--pid";
	case 'c': return "--comm";
	case 'P': return "--port";
	case 'G': return "--cgroup";
	case 'i': return "--interval";
	case 'd': return "--duration";
	case 'o': return "--output";
	default: return "?";
	}
}

/* An option of some command but not of this one? */
static int check_own_option(int c, const struct options *o, struct cli_error *err)
{
	const char *name = own_option_name(c);
	const struct cmd *cmd = commands[o->cmd];
	char hint[64];

	if (c > 0 && c < 256 && cmd->refused_options && strchr(cmd->refused_options, c)) {
		snprintf(hint, sizeof(hint), "'bufscope %s --help' lists its options",
			 cmd->name);
		return fail(err, hint, "option '%s' does not apply to %s",
			    shared_option_name(c), cmd->name);
	}
	if (!name)
		return 0;
	if (c >= OPT_LIST ? (cmd->own_long >> (c - OPT_LIST)) & 1
			  : strchr(cmd->own_options ? cmd->own_options : "", c) != NULL)
		return 0;
	snprintf(hint, sizeof(hint), "'bufscope %s --help' lists its options", cmd->name);
	return fail(err, hint, "option '%s' does not apply to %s", name, cmd->name);
}

/* The word at argv[i] joins the command's words, which stay together: it
 * moves after the last of them, the options between move after it. */
static void take_word(struct options *o, char **argv, int i)
{
	char *w = argv[i];

	if (!o->args)
		o->args = &argv[i];
	if (&argv[i] != &o->args[o->nargs]) {
		memmove(&o->args[o->nargs + 1], &o->args[o->nargs],
			(size_t)(&argv[i] - &o->args[o->nargs]) * sizeof(char *));
		o->args[o->nargs] = w;
	}
	o->nargs++;
}

int cli_parse(int argc, char **argv, struct options *o, struct cli_error *err)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'P' },
		/* 'G' only names it inside (refused_options): no short option */
		{ "cgroup", required_argument, NULL, 'G' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "sort", required_argument, NULL, 's' },
		{ "rows", required_argument, NULL, 'n' },
		{ "by", required_argument, NULL, 'b' },
		{ "wide", no_argument, NULL, 'w' },
		{ "events", required_argument, NULL, 'e' },
		{ "attach", required_argument, NULL, 'A' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "show", required_argument, NULL, OPT_SHOW },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "metrics", no_argument, NULL, OPT_METRICS },
		{ "no-timeline", no_argument, NULL, OPT_NO_TIMELINE },
		{ "cleanup", no_argument, NULL, OPT_CLEANUP },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "web.config.file", required_argument, NULL, OPT_WEB_CONFIG },
		{ "labels", required_argument, NULL, OPT_LABELS },
		{ "max-series", required_argument, NULL, OPT_MAX_SERIES },
		{ NULL, 0, NULL, 0 },
	};
	int first, c;

	memset(err, 0, sizeof(*err));
	set_defaults(o);
	first = parse_command(argc, argv, o, err);
	if (first < 0)
		return -1;
	optind = 0;	/* full reset: cli_parse may run more than once */
	opterr = 0;
	argv += first - 1;
	argc -= first - 1;
	for (;;) {
		int at = optind ? optind : 1;

		c = getopt_long(argc, argv, "+:p:c:P:i:d:o:s:n:b:e:wvh", longopts, NULL);
		if (c == -1) {
			/* a command's words (validate's scenarios), options around */
			if (optind >= argc || !commands[o->cmd]->takes_args)
				break;
			/* after "--" only words: getopt is not asked again (at the
			 * end it would go back to the first of them) */
			if (optind == at + 1 && !strcmp(argv[at], "--")) {
				while (optind < argc)
					take_word(o, argv, optind++);
				break;
			}
			take_word(o, argv, optind++);
			continue;
		}
		/* An unknown short option may sit in a group ("-vx"): name it alone.
		 * A long one keeps its name; glibc also sets optopt for a flag given
		 * a value ("--verbose=1"). */
		char shortname[3] = { '-', (char)optopt, 0 }, longname[64];
		const char *name = argv[optind - 1];

		if (c == '?' && optopt && strncmp(name, "--", 2))
			name = shortname;
		if (c == '?' && !strncmp(name, "--", 2) && strchr(name, '=')) {
			snprintf(longname, sizeof(longname), "%.*s",
				 (int)(strchr(name, '=') - name), name);
			return fail(err, NULL, "option '%s' takes no value", longname);
		}

		if (check_own_option(c, o, err) || parse_option(c, optarg, name, o, err))
			return -1;
	}
	if (optind < argc)
		return fail(err, "options come after the command",
			    "unexpected argument '%s'", argv[optind]);
	return 0;
}
