// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/cmd/cli.c: cli_parse, its defaults, options and errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmd/cli.h"

#define UNUSED __attribute__((unused))
#define MAX_ARGS 64

/*
 * Runs cli_parse on a NULL-terminated list of arguments (without argv[0],
 * which is always "bufscope"). The strings are copied so that getopt may
 * permute or touch them freely.
 */
static int parse_list(struct options *o, struct cli_error *e, const char *first,
		      va_list ap)
{
	char *argv[MAX_ARGS + 2];
	int argc = 0, rc;
	const char *a;

	argv[argc++] = strdup("bufscope");
	for (a = first; a; a = va_arg(ap, const char *)) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = strdup(a);
	}
	argv[argc] = NULL;
	memset(o, 0xa5, sizeof(*o));	/* cli_parse must set every default */
	memset(e, 0x5a, sizeof(*e));
	rc = cli_parse(argc, argv, o, e);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return rc;
}

static int parse(struct options *o, struct cli_error *e, const char *first, ...)
{
	va_list ap;
	int rc;

	va_start(ap, first);
	rc = parse_list(o, e, first, ap);
	va_end(ap);
	return rc;
}

/* Expects success; fails the test with the error text otherwise. */
#define PARSE_OK(o, ...)						\
	do {								\
		struct cli_error e_;					\
		int rc_ = parse(o, &e_, __VA_ARGS__, (const char *)NULL); \
		if (rc_ != 0)						\
			fail_msg("cli_parse failed: %s", e_.msg);	\
	} while (0)

/* Expects a usage error whose message contains `needle` (NULL: any). */
static void expect_error(const char *needle, const char *first, ...)
{
	struct options o;
	struct cli_error e;
	va_list ap;
	int rc;

	va_start(ap, first);
	rc = parse_list(&o, &e, first, ap);
	va_end(ap);
	if (rc != -1)
		fail_msg("cli_parse accepted '%s ...' (rc %d)", first ? first : "", rc);
	assert_true(strlen(e.msg) > 0);
	assert_true(strlen(e.msg) < sizeof(e.msg));
	assert_true(strlen(e.hint) > 0);
	if (needle && !strstr(e.msg, needle))
		fail_msg("error message '%s' does not contain '%s'", e.msg, needle);
}

static void assert_defaults_common(const struct options *o)
{
	assert_int_equal(o->npids, 0);
	assert_false(o->has_comm);
	assert_int_equal(o->comm[0], '\0');
	assert_int_equal(o->port, 0);
	assert_float_equal(o->interval_s, 1.0, 1e-12);
	assert_int_equal(o->output, OUT_TABLE);
	assert_int_equal(o->sort, SORT_QUEUE);
	assert_int_equal(o->rows, 20);
	assert_int_equal(o->by, BY_SOCKET);
	assert_false(o->verbose);
	assert_false(o->help);
	assert_false(o->version);
	assert_int_equal(o->events, EV_ALL);
	assert_int_equal(o->attach, ATTACH_AUTO);
}

static void test_defaults_no_command(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, NULL);
	assert_int_equal(o.cmd, CMD_TOP);
	assert_float_equal(o.duration_s, 0.0, 0);
	assert_defaults_common(&o);
}

static void test_defaults_top(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "top");
	assert_int_equal(o.cmd, CMD_TOP);
	assert_float_equal(o.duration_s, 0.0, 0);
	assert_defaults_common(&o);
}

static void test_defaults_trace(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "trace");
	assert_int_equal(o.cmd, CMD_TRACE);
	assert_float_equal(o.duration_s, 0.0, 0);
	assert_defaults_common(&o);
}

static void test_defaults_demo(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "demo");
	assert_int_equal(o.cmd, CMD_DEMO);
	assert_float_equal(o.duration_s, 10.0, 1e-12);
	assert_defaults_common(&o);

	PARSE_OK(&o, "demo", "-d", "30");
	assert_float_equal(o.duration_s, 30.0, 1e-12);
}

static void test_command_names(void **state UNUSED)
{
	assert_string_equal(cli_command_name(CMD_TOP), "top");
	assert_string_equal(cli_command_name(CMD_TRACE), "trace");
	assert_string_equal(cli_command_name(CMD_DEMO), "demo");
	assert_string_equal(cli_sort_name(SORT_QUEUE), "queue");
	assert_string_equal(cli_sort_name(SORT_RCVBUF), "rcvbuf");
	assert_string_equal(cli_sort_name(SORT_COMM), "comm");
}

static void test_short_options(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "top", "-p", "42", "-c", "nginx", "-P", "443", "-i", "0.5",
		 "-d", "12.5", "-o", "json", "-s", "bytes", "-n", "7", "-b",
		 "process", "-v", "-h");
	assert_int_equal(o.cmd, CMD_TOP);
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.pids[0], 42);
	assert_true(o.has_comm);
	assert_string_equal(o.comm, "nginx");
	assert_int_equal(o.port, 443);
	assert_float_equal(o.interval_s, 0.5, 1e-12);
	assert_float_equal(o.duration_s, 12.5, 1e-12);
	assert_int_equal(o.output, OUT_JSON);
	assert_int_equal(o.sort, SORT_BYTES);
	assert_int_equal(o.rows, 7);
	assert_int_equal(o.by, BY_PROCESS);
	assert_true(o.verbose);
	assert_true(o.help);
	assert_false(o.version);
}

static void test_long_options(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "top", "--pid", "4242", "--comm", "postgres", "--port",
		 "5432", "--interval", "2", "--duration", "60", "--output",
		 "table", "--sort", "comm", "--rows", "0", "--by", "socket",
		 "--verbose", "--help", "--version");
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.pids[0], 4242);
	assert_true(o.has_comm);
	assert_string_equal(o.comm, "postgres");
	assert_int_equal(o.port, 5432);
	assert_float_equal(o.interval_s, 2.0, 1e-12);
	assert_float_equal(o.duration_s, 60.0, 1e-12);
	assert_int_equal(o.output, OUT_TABLE);
	assert_int_equal(o.sort, SORT_COMM);
	assert_int_equal(o.rows, 0);
	assert_int_equal(o.by, BY_SOCKET);
	assert_true(o.verbose);
	assert_true(o.help);
	assert_true(o.version);
}

static void test_long_options_with_equals(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "top", "--pid=7", "--port=80", "--output=json",
		 "--sort=peak", "--by=process", "--rows=3", "--interval=0.25");
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.pids[0], 7);
	assert_int_equal(o.port, 80);
	assert_int_equal(o.output, OUT_JSON);
	assert_int_equal(o.sort, SORT_PEAK);
	assert_int_equal(o.by, BY_PROCESS);
	assert_int_equal(o.rows, 3);
	assert_float_equal(o.interval_s, 0.25, 1e-12);
}

static void test_attached_short_values(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "top", "-p99", "-P8080", "-ojson", "-vsreads");
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.pids[0], 99);
	assert_int_equal(o.port, 8080);
	assert_int_equal(o.output, OUT_JSON);
	assert_true(o.verbose);
	assert_int_equal(o.sort, SORT_READS);
}

static void test_every_sort_key(void **state UNUSED)
{
	static const struct { const char *name; enum sort_key key; } keys[] = {
		{ "queue", SORT_QUEUE }, { "peak", SORT_PEAK },
		{ "bytes", SORT_BYTES }, { "reads", SORT_READS },
		{ "req", SORT_REQ }, { "ret", SORT_RET }, { "fill", SORT_FILL },
		{ "rcvbuf", SORT_RCVBUF }, { "pid", SORT_PID },
		{ "comm", SORT_COMM },
	};
	struct options o;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		PARSE_OK(&o, "top", "-s", keys[i].name);
		assert_int_equal(o.sort, keys[i].key);
		assert_string_equal(cli_sort_name(keys[i].key), keys[i].name);
	}
	expect_error("nosuch", "top", "--sort", "nosuch", NULL);
	expect_error(NULL, "top", "--sort", "QUEUE", NULL);
}

static void test_demo_accepts_top_options(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "demo", "-s", "peak", "-n", "5", "--by", "process");
	assert_int_equal(o.cmd, CMD_DEMO);
	assert_int_equal(o.sort, SORT_PEAK);
	assert_int_equal(o.rows, 5);
	assert_int_equal(o.by, BY_PROCESS);
}

static void test_repeatable_pid(void **state UNUSED)
{
	char *argv[2 + 2 * BS_MAX_PIDS + 2 + 1];
	char vals[BS_MAX_PIDS + 1][16];
	struct options o;
	struct cli_error e;
	int argc = 0;

	argv[argc++] = "bufscope";
	argv[argc++] = "top";
	for (int i = 0; i < BS_MAX_PIDS; i++) {
		snprintf(vals[i], sizeof(vals[i]), "%d", 1000 + i);
		argv[argc++] = i % 2 ? "-p" : "--pid";
		argv[argc++] = vals[i];
	}
	argv[argc] = NULL;
	assert_int_equal(cli_parse(argc, argv, &o, &e), 0);
	assert_int_equal(o.npids, BS_MAX_PIDS);
	for (int i = 0; i < BS_MAX_PIDS; i++)
		assert_int_equal(o.pids[i], 1000 + i);

	/* The 17th is one too many. */
	snprintf(vals[BS_MAX_PIDS], sizeof(vals[0]), "%d", 5000);
	argv[argc++] = "-p";
	argv[argc++] = vals[BS_MAX_PIDS];
	argv[argc] = NULL;
	assert_int_equal(cli_parse(argc, argv, &o, &e), -1);
	assert_non_null(strstr(e.msg, "16"));
}

static void test_bad_pids(void **state UNUSED)
{
	expect_error("abc", "top", "-p", "abc", NULL);
	expect_error("'0'", "top", "-p", "0", NULL);
	expect_error("-3", "top", "-p", "-3", NULL);
	expect_error("12x", "top", "-p", "12x", NULL);
	expect_error(NULL, "top", "-p", "", NULL);
	expect_error(NULL, "top", "-p", "99999999999999999999", NULL);
	expect_error("2147483648", "top", "--pid", "2147483648", NULL);
	expect_error("1.5", "trace", "--pid=1.5", NULL);
}

static void test_bad_intervals(void **state UNUSED)
{
	expect_error("'0'", "top", "-i", "0", NULL);
	expect_error("-1", "top", "-i", "-1", NULL);
	expect_error("nan", "top", "-i", "nan", NULL);
	expect_error("inf", "top", "-i", "inf", NULL);
	expect_error(NULL, "top", "-i", "0.001", NULL);
	expect_error(NULL, "top", "-i", "1s", NULL);
	expect_error(NULL, "top", "--interval", "", NULL);
}

static void test_interval_lower_bound(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "top", "-i", "0.01");
	assert_float_equal(o.interval_s, 0.01, 1e-12);
	PARSE_OK(&o, "top", "-i", "1e-1");
	assert_float_equal(o.interval_s, 0.1, 1e-12);
}

static void test_bad_durations(void **state UNUSED)
{
	struct options o;

	expect_error("'0'", "top", "-d", "0", NULL);
	expect_error(NULL, "demo", "-d", "-5", NULL);
	expect_error("nan", "top", "--duration", "nan", NULL);
	expect_error(NULL, "top", "-d", "99999999999", NULL);
	PARSE_OK(&o, "trace", "-d", "0.5");
	assert_float_equal(o.duration_s, 0.5, 1e-12);
}

static void test_ports(void **state UNUSED)
{
	struct options o;

	expect_error("70000", "top", "-P", "70000", NULL);
	expect_error("'0'", "top", "-P", "0", NULL);
	expect_error("65536", "top", "--port", "65536", NULL);
	expect_error(NULL, "top", "-P", "http", NULL);
	PARSE_OK(&o, "top", "-P", "65535");
	assert_int_equal(o.port, 65535);
	PARSE_OK(&o, "top", "-P", "1");
	assert_int_equal(o.port, 1);
}

static void test_rows(void **state UNUSED)
{
	struct options o;

	expect_error("-1", "top", "-n", "-1", NULL);
	expect_error(NULL, "top", "--rows", "ten", NULL);
	expect_error(NULL, "top", "--rows", "1000001", NULL);
	PARSE_OK(&o, "top", "-n", "1000000");
	assert_int_equal(o.rows, 1000000);
}

static void test_output_and_by_values(void **state UNUSED)
{
	expect_error("yaml", "top", "-o", "yaml", NULL);
	expect_error("thread", "top", "--by", "thread", NULL);
}

static void test_comm_length(void **state UNUSED)
{
	struct options o;

	/* 15 bytes: the longest name the kernel keeps. */
	PARSE_OK(&o, "top", "-c", "abcdefghijklmno");
	assert_true(o.has_comm);
	assert_string_equal(o.comm, "abcdefghijklmno");
	/* 16 bytes and more: refused. */
	expect_error("abcdefghijklmnop", "top", "-c", "abcdefghijklmnop", NULL);
	expect_error(NULL, "top", "--comm", "a-very-long-process-name", NULL);
	expect_error(NULL, "top", "--comm", "", NULL);
}

static void test_unknown_command_and_option(void **state UNUSED)
{
	expect_error("frobnicate", "frobnicate", NULL);
	expect_error("-x", "top", "-x", NULL);
	expect_error("--bogus", "top", "--bogus", NULL);
	/* An unknown letter in a group is named alone. */
	expect_error("-x", "top", "-vx", NULL);
	/* A capital V is not a short option (only --version). */
	expect_error("-V", "top", "-V", NULL);
	/* A stray argument after the options. */
	expect_error("extra", "top", "-v", "extra", NULL);
	expect_error("top", "top", "top", NULL);
}

static void test_missing_value(void **state UNUSED)
{
	expect_error("-p", "top", "-p", NULL);
	expect_error("--interval", "top", "--interval", NULL);
	expect_error("-d", "demo", "-v", "-d", NULL);
	expect_error("needs a value", "trace", "--comm", NULL);
}

static void test_top_only_options_rejected_for_trace(void **state UNUSED)
{
	struct options o;

	expect_error("trace", "trace", "--sort", "queue", NULL);
	expect_error("trace", "trace", "-n", "5", NULL);
	expect_error("trace", "trace", "--by", "process", NULL);
	expect_error("trace", "trace", "-b", "socket", NULL);
	/* The other options are fine for trace. */
	PARSE_OK(&o, "trace", "-p", "1", "-c", "x", "-P", "80", "-o", "json",
		 "-i", "2", "-v");
	assert_int_equal(o.cmd, CMD_TRACE);
	assert_int_equal(o.output, OUT_JSON);
}

/*
 * The message must name the option that does not apply, not its value:
 * "option '--sort' does not apply to trace", not "option 'queue' ...".
 */
static void test_trace_rejection_names_the_option(void **state UNUSED)
{
	struct options o;
	struct cli_error e;

	assert_int_equal(parse(&o, &e, "trace", "--sort", "queue", NULL), -1);
	if (!strstr(e.msg, "--sort") || strstr(e.msg, "'queue'"))
		fail_msg("'trace --sort queue' gave \"%s\": should name --sort", e.msg);
	assert_int_equal(parse(&o, &e, "trace", "-n", "5", NULL), -1);
	if ((!strstr(e.msg, "'-n'") && !strstr(e.msg, "--rows")) ||
	    strstr(e.msg, "'5'"))
		fail_msg("'trace -n 5' gave \"%s\": should name -n/--rows", e.msg);
	assert_int_equal(parse(&o, &e, "trace", "-b", "process", NULL), -1);
	if ((!strstr(e.msg, "'-b'") && !strstr(e.msg, "--by")) ||
	    strstr(e.msg, "'process'"))
		fail_msg("'trace -b process' gave \"%s\": should name -b/--by", e.msg);
}

/*
 * "--verbose=1" gives a value to an option that takes none: the message must
 * not call --verbose an unknown "-v" option.
 */
static void test_value_for_flag_option(void **state UNUSED)
{
	struct options o;
	struct cli_error e;

	assert_int_equal(parse(&o, &e, "top", "--verbose=1", NULL), -1);
	if (!strstr(e.msg, "--verbose"))
		fail_msg("'top --verbose=1' gave \"%s\": should name --verbose", e.msg);
	/* -V is not even an option: the user typed --version */
	assert_int_equal(parse(&o, &e, "top", "--version=2", NULL), -1);
	if (!strstr(e.msg, "--version"))
		fail_msg("'top --version=2' gave \"%s\": should name --version", e.msg);
}

/* --cgroup for every command but validate, which names it when refusing;
 * the path is checked against the file system later (main.c). */
static void test_cgroup_option(void **state UNUSED)
{
	static const char *const cmds[] = { "top", "trace", "hist", "demo" };
	struct options o;

	/* (o.cgroup points into the argument vector, gone after parse()) */
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		PARSE_OK(&o, cmds[i], "--cgroup", "/system.slice/x.service");
		assert_non_null(o.cgroup);
	}
	PARSE_OK(&o, "top", "--cgroup=a/b");
	assert_non_null(o.cgroup);
	PARSE_OK(&o, "top");
	assert_null(o.cgroup);
	expect_error("--cgroup", "top", "--cgroup", "", NULL);
	expect_error("--cgroup", "top", "--cgroup", NULL);
	expect_error("'--cgroup' does not apply to validate", "validate", "--cgroup", "/a",
		     NULL);
	expect_error(NULL, "top", "-G", "/a", NULL);	/* no short option */
}

static void test_options_before_command(void **state UNUSED)
{
	struct options o;

	/* Options first means no command: the command word is a stray argument. */
	expect_error("trace", "-p", "1", "trace", NULL);
	expect_error("top", "-v", "top", NULL);
	/* Options without any command: top. */
	PARSE_OK(&o, "-p", "5", "--by", "process");
	assert_int_equal(o.cmd, CMD_TOP);
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.pids[0], 5);
	assert_int_equal(o.by, BY_PROCESS);
}

static void test_help_and_version(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "--help");
	assert_true(o.help);
	assert_int_equal(o.cmd, CMD_TOP);
	PARSE_OK(&o, "--version");
	assert_true(o.version);
	assert_false(o.help);
	PARSE_OK(&o, "trace", "-h");
	assert_true(o.help);
	assert_int_equal(o.cmd, CMD_TRACE);
}

static void test_parse_twice(void **state UNUSED)
{
	struct options o;
	struct cli_error e;

	/* The second parse must start from scratch: no leftover getopt state
	 * and no leftover options. */
	PARSE_OK(&o, "top", "-p", "11", "-s", "bytes", "-v");
	assert_int_equal(o.npids, 1);
	PARSE_OK(&o, "trace", "-p", "22", "-o", "json");
	assert_int_equal(o.cmd, CMD_TRACE);
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.pids[0], 22);
	assert_int_equal(o.sort, SORT_QUEUE);
	assert_false(o.verbose);
	assert_int_equal(o.output, OUT_JSON);

	/* After an error in the middle of a group, too. */
	assert_int_equal(parse(&o, &e, "top", "-vxv", NULL), -1);
	PARSE_OK(&o, "top", "-v", "-p", "33");
	assert_true(o.verbose);
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.pids[0], 33);

	/* After a missing value. */
	assert_int_equal(parse(&o, &e, "top", "-p", NULL), -1);
	PARSE_OK(&o, "demo", "-i", "3");
	assert_int_equal(o.cmd, CMD_DEMO);
	assert_float_equal(o.interval_s, 3.0, 1e-12);
	assert_int_equal(o.npids, 0);
	PARSE_OK(&o, NULL);
	assert_int_equal(o.cmd, CMD_TOP);
	assert_int_equal(o.npids, 0);
}

static void test_error_cleared_on_success(void **state UNUSED)
{
	struct options o;
	struct cli_error e;

	assert_int_equal(parse(&o, &e, "top", "-p", "0", NULL), -1);
	assert_true(e.msg[0] != '\0');
	assert_int_equal(parse(&o, &e, "top", "-p", "1", NULL), 0);
	assert_int_equal(e.msg[0], '\0');
}

/* What cli_print_help / cli_print_usage_all write to standard output. */
static char *capture_help(bool all, enum command cmd, bool given)
{
	FILE *tmp = tmpfile();
	char *text;
	off_t size;
	int saved;

	assert_non_null(tmp);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	if (all)
		cli_print_usage_all();
	else
		cli_print_help(cmd, given);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	size = lseek(fileno(tmp), 0, SEEK_END);
	assert_true(size > 0);
	text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(pread(fileno(tmp), text, (size_t)size, 0), size);
	assert_int_equal(strlen(text), (size_t)size);
	fclose(tmp);
	return text;
}

static void test_help_text(void **state UNUSED)
{
	char *t;

	t = capture_help(false, CMD_TRACE, true);
	assert_non_null(strstr(t, "Usage: bufscope trace"));
	assert_non_null(strstr(t, "--pid"));
	assert_non_null(strstr(t, "--interval"));
	assert_null(strstr(t, "--sort"));	/* not an option of trace */
	assert_null(strstr(t, "--rows"));
	free(t);

	t = capture_help(false, CMD_TOP, true);
	assert_non_null(strstr(t, "Usage: bufscope top"));
	assert_non_null(strstr(t, "--sort"));
	assert_non_null(strstr(t, "--rows"));
	assert_non_null(strstr(t, "--by"));
	free(t);

	t = capture_help(false, CMD_DEMO, true);
	assert_non_null(strstr(t, "Usage: bufscope demo"));
	assert_non_null(strstr(t, "--sort"));
	free(t);

	/* No command: every command is listed. */
	t = capture_help(false, CMD_TOP, false);
	assert_non_null(strstr(t, "Commands:"));
	assert_non_null(strstr(t, "  top "));
	assert_non_null(strstr(t, "  trace "));
	assert_non_null(strstr(t, "  demo "));
	free(t);
	t = capture_help(true, CMD_TOP, false);
	assert_non_null(strstr(t, "Commands:"));
	assert_non_null(strstr(t, "--comm"));
	free(t);
}

/* ---- -e/--events (trace) ------------------------------------------------- */

static void test_event_mask_values(void **state UNUSED)
{
	/* The enum is a mask of distinct bits, and EV_ALL is exactly their union. */
	assert_int_equal(EV_READ | EV_ZW | EV_DROP | EV_RCVBUF | EV_CLOSE, EV_ALL);
	assert_int_equal(EV_READ & EV_ZW, 0);
	assert_int_equal(EV_ZW & EV_DROP, 0);
	assert_int_equal(EV_DROP & EV_RCVBUF, 0);
	assert_int_equal(EV_RCVBUF & EV_CLOSE, 0);
}

static void test_events_each_name(void **state UNUSED)
{
	static const struct { const char *name; unsigned mask; } ev[] = {
		{ "read", EV_READ }, { "zw", EV_ZW }, { "drop", EV_DROP },
		{ "rcvbuf", EV_RCVBUF }, { "close", EV_CLOSE }, { "all", EV_ALL },
	};
	struct options o;

	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		PARSE_OK(&o, "trace", "-e", ev[i].name);
		assert_int_equal(o.cmd, CMD_TRACE);
		if (o.events != ev[i].mask)
			fail_msg("-e %s gave mask 0x%x, want 0x%x", ev[i].name,
				 o.events, ev[i].mask);
		PARSE_OK(&o, "trace", "--events", ev[i].name);
		assert_int_equal(o.events, ev[i].mask);
	}
}

static void test_events_lists(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "trace", "-e", "zw,drop");
	assert_int_equal(o.events, EV_ZW | EV_DROP);
	PARSE_OK(&o, "trace", "--events=read,close");
	assert_int_equal(o.events, EV_READ | EV_CLOSE);
	PARSE_OK(&o, "trace", "-ercvbuf,zw");
	assert_int_equal(o.events, EV_RCVBUF | EV_ZW);
	PARSE_OK(&o, "trace", "-e", "close,rcvbuf,drop,zw,read");
	assert_int_equal(o.events, EV_ALL);
	/* a name given twice is the same bit */
	PARSE_OK(&o, "trace", "-e", "drop,drop");
	assert_int_equal(o.events, EV_DROP);
	PARSE_OK(&o, "trace", "-e", "read,all");
	assert_int_equal(o.events, EV_ALL);
	/* other options keep working next to it */
	PARSE_OK(&o, "trace", "-p", "7", "-e", "zw", "-o", "json");
	assert_int_equal(o.events, EV_ZW);
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.output, OUT_JSON);
	/* without -e, trace prints everything */
	PARSE_OK(&o, "trace", "-p", "7");
	assert_int_equal(o.events, EV_ALL);
}

/* An argument quoted in an error reaches the terminal printable. */
static void test_errors_printable(void **state UNUSED)
{
	struct options o;
	struct cli_error e;

	assert_int_equal(parse(&o, &e, "top", "--attach", "\x1b]0;evil\x07", NULL), -1);
	assert_non_null(strstr(e.msg, "'?]0;evil?'"));
	assert_int_equal(parse(&o, &e, "trace", "-e", "read,\x1b[31m", NULL), -1);
	assert_non_null(strstr(e.msg, "'?[31m'"));
	assert_int_equal(parse(&o, &e, "top", "-P", "1\x1b", NULL), -1);
	for (const char *p = e.msg; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
}

static void test_events_bad_names(void **state UNUSED)
{
	expect_error("event", "trace", "-e", "bogus", NULL);
	expect_error("event", "trace", "-e", "read,bogus", NULL);
	expect_error("event", "trace", "-e", "bogus,read", NULL);
	expect_error("event", "trace", "-e", "READ", NULL);
	expect_error("event", "trace", "-e", "zw drop", NULL);
	/* the word at fault is named */
	expect_error("'bogus'", "trace", "-e", "read,bogus,zw", NULL);
	expect_error("event ''", "trace", "-e", ",", NULL);
	expect_error("event", "trace", "-e", "reads", NULL);
	expect_error("event", "trace", "-e", "al", NULL);
	expect_error("event", "trace", "--events=drops", NULL);
	/* the message quotes what was given */
	expect_error("nosuch", "trace", "-e", "read,nosuch", NULL);
}

static void test_events_empty_list(void **state UNUSED)
{
	expect_error("event", "trace", "-e", "", NULL);
	expect_error("event", "trace", "--events=", NULL);
	expect_error("event", "trace", "-e", ",", NULL);
	expect_error("event", "trace", "-e", ",,,", NULL);
	expect_error("needs a value", "trace", "-e", NULL);
	expect_error("needs a value", "trace", "--events", NULL);
}

static void test_events_too_long(void **state UNUSED)
{
	char longlist[400], huge[2048];
	struct options o;
	struct cli_error e;

	/* 80 valid names: a long list is still a list (a script's) */
	longlist[0] = '\0';
	for (int i = 0; i < 80; i++)
		strcat(longlist, i ? ",zw" : "zw");
	assert_true(strlen(longlist) > 200);
	assert_int_equal(parse(&o, &e, "trace", "-e", longlist, NULL), 0);
	assert_int_equal(o.events, EV_ZW);

	/* a huge bad value: the message stays bounded and names no more
	 * than a prefix of it */
	memset(huge, 'x', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(parse(&o, &e, "trace", "-e", huge, NULL), -1);
	assert_true(strlen(e.msg) < sizeof(e.msg));
	assert_non_null(strstr(e.msg, "xxxxxxxx"));
	assert_null(strstr(e.msg, huge + sizeof(huge) - 1 - 200));
}

static void test_events_only_for_trace(void **state UNUSED)
{
	struct options o;
	struct cli_error e;

	expect_error("--events", "top", "-e", "zw", NULL);
	expect_error("--events", "top", "--events", "all", NULL);
	expect_error("--events", "top", "--events=read", NULL);
	expect_error("--events", "demo", "-e", "drop", NULL);
	/* no command is top */
	expect_error("--events", "-e", "read", NULL);
	/* and the rejection is for --events, whatever its value */
	assert_int_equal(parse(&o, &e, "top", "-e", "read", NULL), -1);
	assert_null(strstr(e.msg, "'read'"));
	/* top still parses its own options */
	PARSE_OK(&o, "top", "-s", "peak");
	assert_int_equal(o.events, EV_ALL);
}

static void test_events_parse_twice(void **state UNUSED)
{
	struct options o;

	PARSE_OK(&o, "trace", "-e", "zw");
	assert_int_equal(o.events, EV_ZW);
	/* a new parse starts again from every event */
	PARSE_OK(&o, "trace");
	assert_int_equal(o.events, EV_ALL);
	PARSE_OK(&o, "trace", "-e", "drop");
	assert_int_equal(o.events, EV_DROP);
}

static void test_events_in_help(void **state UNUSED)
{
	char *t = capture_help(false, CMD_TRACE, true);

	assert_non_null(strstr(t, "--events"));
	assert_non_null(strstr(t, "rcvbuf"));
	free(t);
	t = capture_help(false, CMD_TOP, true);
	assert_null(strstr(t, "--events"));	/* not an option of top */
	free(t);
}

static void test_attach_tiers(void **state UNUSED)
{
	static const struct { const char *arg; enum attach_mode mode; } cases[] = {
		{ "auto", ATTACH_AUTO }, { "fentry", ATTACH_FENTRY },
		{ "kprobe", ATTACH_KPROBE }, { "tracepoint", ATTACH_TRACEPOINT },
	};
	struct options o;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		PARSE_OK(&o, "top", "--attach", cases[i].arg);
		assert_int_equal(o.attach, cases[i].mode);
		PARSE_OK(&o, "trace", "--attach", cases[i].arg);
		assert_int_equal(o.attach, cases[i].mode);
	}
}

/* validate's words (scenarios) with options around them, and after "--"
 * (which once made the parser take the words again, backwards: a crash;
 * tests/fuzz/regress/cli/). */
static void assert_words(const struct options *o, const char *const *want, int n)
{
	assert_int_equal(o->nargs, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(o->args[i], want[i]);
}

static void test_validate_words(void **state UNUSED)
{
	struct options o;
	char *argv[] = { "bufscope", "validate", "a", "--all", "b", "-v", NULL };
	char *dd[] = { "bufscope", "validate", "--dry-run", "--", "a", "-v", "--", NULL };
	char *mid[] = { "bufscope", "validate", "a", "--", "b", "--all", NULL };
	struct cli_error e;

	assert_int_equal(cli_parse(6, argv, &o, &e), 0);
	assert_words(&o, (const char *const[]){ "a", "b" }, 2);
	assert_true(o.all && o.verbose);
	assert_int_equal(cli_parse(7, dd, &o, &e), 0);
	assert_words(&o, (const char *const[]){ "a", "-v", "--" }, 3);
	assert_true(o.dry_run && !o.verbose);
	assert_int_equal(cli_parse(6, mid, &o, &e), 0);
	assert_words(&o, (const char *const[]){ "a", "b", "--all" }, 3);
	assert_false(o.all);
}

static void test_attach_errors(void **state UNUSED)
{
	expect_error("fexit", "top", "--attach", "fexit", NULL);
	expect_error(NULL, "top", "--attach", "KPROBE", NULL);
	expect_error(NULL, "top", "--attach", "", NULL);
	expect_error("--attach", "top", "--attach", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_no_command),
		cmocka_unit_test(test_defaults_top),
		cmocka_unit_test(test_defaults_trace),
		cmocka_unit_test(test_defaults_demo),
		cmocka_unit_test(test_command_names),
		cmocka_unit_test(test_short_options),
		cmocka_unit_test(test_long_options),
		cmocka_unit_test(test_long_options_with_equals),
		cmocka_unit_test(test_attached_short_values),
		cmocka_unit_test(test_every_sort_key),
		cmocka_unit_test(test_demo_accepts_top_options),
		cmocka_unit_test(test_repeatable_pid),
		cmocka_unit_test(test_bad_pids),
		cmocka_unit_test(test_bad_intervals),
		cmocka_unit_test(test_interval_lower_bound),
		cmocka_unit_test(test_bad_durations),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_output_and_by_values),
		cmocka_unit_test(test_comm_length),
		cmocka_unit_test(test_unknown_command_and_option),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_top_only_options_rejected_for_trace),
		cmocka_unit_test(test_trace_rejection_names_the_option),
		cmocka_unit_test(test_value_for_flag_option),
		cmocka_unit_test(test_cgroup_option),
		cmocka_unit_test(test_options_before_command),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_parse_twice),
		cmocka_unit_test(test_error_cleared_on_success),
		cmocka_unit_test(test_help_text),
		cmocka_unit_test(test_event_mask_values),
		cmocka_unit_test(test_events_each_name),
		cmocka_unit_test(test_errors_printable),
		cmocka_unit_test(test_events_lists),
		cmocka_unit_test(test_events_bad_names),
		cmocka_unit_test(test_events_empty_list),
		cmocka_unit_test(test_events_too_long),
		cmocka_unit_test(test_events_only_for_trace),
		cmocka_unit_test(test_events_parse_twice),
		cmocka_unit_test(test_events_in_help),
		cmocka_unit_test(test_attach_tiers),
		cmocka_unit_test(test_attach_errors),
		cmocka_unit_test(test_validate_words),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
