// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/validate/: scenario files (units, sections, errors with
 * their line), the built-in scenarios, and expectations judged against
 * observations made by hand: pass, fail and not observable, each kind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "validate/expect.h"
#include "validate/scenario.h"
#include "validate/units.h"

#define UNUSED __attribute__((unused))

/* ------------------------------------------------------------ helpers */

static char err_text[4096];

/* Loads INI text with stderr captured in err_text; the load's result. */
static int load_capture(struct scenario *s, const char *text)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO), rc;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	rc = scenario_load_text(s, text, "t.ini");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(err_text, 1, sizeof(err_text) - 1, tmp);
	err_text[n] = 0;
	fclose(tmp);
	return rc;
}

#define MINIMAL								\
	"[scenario]\nname = t\n"					\
	"[sender]\nbytes = 1000\n"					\
	"[receiver]\nbuf = 100\n"					\
	"[expect]\nreceiver.reads = 10\n"

/* A bad file: -1, and the one error names the line and the words. */
static void expect_error(const char *text, const char *where, const char *words)
{
	struct scenario s;

	assert_int_equal(load_capture(&s, text), -1);
	scenario_free(&s);
	if (!strstr(err_text, where) || !strstr(err_text, words))
		fail_msg("error '%s' lacks '%s' or '%s'", err_text, where, words);
	/* one error line, and a hint line at most */
	assert_true(strchr(err_text, '\n') != NULL);
}

/* ------------------------------------------------------------ units */

static void test_units(void **state UNUSED)
{
	uint64_t v;
	double d;

	assert_int_equal(units_bytes("10KiB", &v), 0);
	assert_int_equal(v, 10240);
	assert_int_equal(units_bytes("10KB", &v), 0);
	assert_int_equal(v, 10000);
	assert_int_equal(units_bytes(" 1.5 MiB ", &v), 0);
	assert_int_equal(v, 1572864);
	assert_int_equal(units_bytes("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(units_bytes("10 kb", &v), -1);	/* units are exact */
	assert_int_equal(units_bytes("-1", &v), -1);
	assert_int_equal(units_bytes("0x10", &v), -1);
	assert_int_equal(units_bytes("1.5", &v), -1);	/* not a whole byte */
	assert_int_equal(units_usec("20ms", &v), 0);
	assert_int_equal(v, 20000);
	assert_int_equal(units_usec("2s", &v), 0);
	assert_int_equal(v, 2000000);
	assert_int_equal(units_usec("20", &v), -1);	/* a time needs its unit */
	assert_int_equal(units_percent("0.5%", &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(units_percent("101%", &d), -1);
	assert_int_equal(units_percent("5", &d), -1);
	assert_int_equal(units_bits("10mbit", &d), 0);
	assert_true(d == 10e6);
	assert_int_equal(units_rate("1MB/s", &d), 0);
	assert_true(d == 1e6);
	assert_int_equal(units_bound("2s", &d), 0);	/* bounds: times in ms */
	assert_true(d == 2000);
	assert_int_equal(units_bound("4KiB", &d), 0);
	assert_true(d == 4096);
}

/* ------------------------------------------------------------ files */

static void test_minimal_and_defaults(void **state UNUSED)
{
	struct scenario s;

	assert_int_equal(load_capture(&s, MINIMAL), 0);
	assert_string_equal(s.name, "t");
	assert_int_equal(s.family, AF_INET);
	assert_int_equal(s.port, 5001);
	assert_int_equal(s.listener, SIDE_RECEIVER);
	assert_int_equal(s.end, SIDE__N);
	assert_int_equal(s.sender.bytes, 1000);
	assert_int_equal(s.receiver.buf, 100);
	assert_int_equal(s.nexpect, 1);
	assert_int_equal(s.expect[0].line, 8);
	scenario_free(&s);
}

static void test_every_section(void **state UNUSED)
{
	struct scenario s;
	const char *text =
		"; a comment\n"
		"[scenario]\nname = full\nfamily = ipv6\nport = 6000\n"
		"timeout = 5s\nsample = 50ms\nlistener = sender\nend = receiver\n"
		"[network]\nmtu = 9000\ndelay = 10ms\njitter = 2ms\n"
		"to_receiver.loss = 1%\nto_sender.rate = 10mbit\nreorder = 5%\n"
		"[sysctl]\nnet.ipv4.tcp_moderate_rcvbuf = 0\n"
		"receiver.net.ipv4.tcp_rmem = 4096 8192 16384\n"
		"[sender]\ncommand = sh srv.sh --bind {addr} --port {port}\n"
		"[receiver]\ncommand = cat http://{addr}:{port}/\n"
		"[expect]\nreceiver.zero_window_episodes >= 1\n"
		"receiver.episode_ms = [800, 1300]\n"
		"receiver.bytes_read = sender.bytes_written\n"
		"receiver.episode_ms = 1000 +- 20%\n"
		"receiver.read_sizes = 4096, 4096, 2048\n"
		"receiver.reads != 0\n";

	assert_int_equal(load_capture(&s, text), 0);
	assert_int_equal(s.family, AF_INET6);
	assert_int_equal(s.port, 6000);
	assert_int_equal(s.timeout_us, 5000000);
	assert_int_equal(s.listener, SIDE_SENDER);
	assert_int_equal(s.end, SIDE_RECEIVER);
	assert_int_equal(s.mtu, 9000);
	/* both directions, and one */
	assert_int_equal(s.path[TO_RECEIVER].delay_us, 10000);
	assert_int_equal(s.path[TO_SENDER].delay_us, 10000);
	assert_true(s.path[TO_RECEIVER].loss_pct == 1);
	assert_true(s.path[TO_SENDER].loss_pct == 0);
	assert_int_equal(s.path[TO_SENDER].rate_bps, 10000000);
	assert_int_equal(s.path[TO_RECEIVER].rate_bps, 0);
	assert_int_equal(s.nsysctls, 2);
	assert_int_equal(s.sysctls[0].sides, 3);
	assert_int_equal(s.sysctls[1].sides, 1u << SIDE_RECEIVER);
	assert_string_equal(s.sysctls[1].value, "4096 8192 16384");
	assert_int_equal(s.nexpect, 6);
	assert_int_equal(s.expect[0].op, OP_GE);
	assert_int_equal(s.expect[1].op, OP_RANGE);
	assert_true(s.expect[1].lo == 800 && s.expect[1].hi == 1300);
	assert_true(s.expect[2].ref);
	assert_true(s.expect[3].tol == 0.2);
	assert_int_equal(s.expect[4].op, OP_SEQ);
	assert_int_equal(s.expect[4].nseq, 3);
	assert_int_equal(s.expect[5].op, OP_NE);
	scenario_free(&s);
}

/* Changes of the path: in time order, each the whole path from then on. */
static void test_path_changes(void **state UNUSED)
{
	struct scenario s;
	const char *text =
		"[scenario]\nname = c\n"
		"[network]\nrate = 8mbit\n"
		"at 3s = to_sender.rate none, to_receiver.loss 1%\n"
		"at 1s = to_receiver.rate 80mbit\n"
		"[sender]\nbytes = 1\n[receiver]\nbuf = 1\n"
		"[expect]\nreceiver.reads = 1\n";

	assert_int_equal(load_capture(&s, text), 0);
	assert_int_equal(s.nchanges, 2);
	assert_int_equal(s.changes[0].at_us, 1000000);
	assert_int_equal(s.changes[0].line, 6);
	assert_int_equal(s.changes[0].path[TO_RECEIVER].rate_bps, 80000000);
	assert_int_equal(s.changes[0].path[TO_SENDER].rate_bps, 8000000);
	assert_int_equal(s.changes[1].at_us, 3000000);
	assert_int_equal(s.changes[1].path[TO_RECEIVER].rate_bps, 80000000);
	assert_int_equal(s.changes[1].path[TO_SENDER].rate_bps, 0);
	assert_true(s.changes[1].path[TO_RECEIVER].loss_pct == 1);
	/* the path at the start is as the keys set it */
	assert_int_equal(s.path[TO_RECEIVER].rate_bps, 8000000);
	assert_true(s.path[TO_RECEIVER].loss_pct == 0);
	scenario_free(&s);
	/* "none" only in a change */
	expect_error("[scenario]\nname = c\n[network]\nrate = none\n", "t.ini:4",
		     "only a change");
}

static void test_errors_name_the_line(void **state UNUSED)
{
	expect_error("[scenario]\nname = t\nbogus = 1\n", "t.ini:3", "unknown key");
	expect_error("[scenario]\nname = t\n[elsewhere]\nx = 1\n", "t.ini:4",
		     "unknown section");
	expect_error("name = t\n", "t.ini:1", "outside any section");
	expect_error("[scenario]\nname = t\ntimeout = 5\n", "t.ini:3", "unit");
	expect_error("[scenario]\nname = t\nname = u\n", "t.ini:3", "given twice");
	expect_error("[scenario]\nname = t\n[network]\nloss = 5\n", "t.ini:4",
		     "percentage");
	expect_error("[scenario]\nname = t\n[sender]\nbytes = 10 apples\n", "t.ini:4",
		     "[sender] bytes");
	expect_error("[scenario]\nname = t\njust words\n", "t.ini:3",
		     "key = value");
	expect_error("[scenario]\nname = t\n[sysctl]\nkernel.panic = 1\n", "t.ini:4",
		     "net.*");
	expect_error("[scenario]\nname = t\n[receiver]\nschedule = nap 2s\n",
		     "t.ini:4", "stall");
	expect_error(MINIMAL "receiver.nonsense = 1\n", "t.ini:9", "no such metric");
	expect_error(MINIMAL "robot.reads = 1\n", "t.ini:9", "receiver.METRIC");
	expect_error(MINIMAL "receiver.reads >= 1, 2\n", "t.ini:9", "list");
	expect_error(MINIMAL "receiver.reads = [5, 1]\n", "t.ini:9", "[LOW, HIGH]");
	/* the file's bytes are quoted printable: no escape reaches a terminal */
	expect_error(MINIMAL "receiver.reads = 1\x1b[2J\n", "t.ini:9", "'1?[2J'");
	assert_null(strchr(err_text, 0x1b));
}

/* What can only be judged once all is read: the line of the key at fault. */
static void test_contradictions(void **state UNUSED)
{
	expect_error("[scenario]\nname = t\n[sender]\nbytes = 10\nwrites = 1, 2\n"
		     "[receiver]\nbuf = 1\n[expect]\nreceiver.reads = 1\n",
		     "t.ini:5", "contradicts");
	expect_error("[scenario]\nname = t\n[sender]\ncommand = cat {port}\nbytes = 10\n"
		     "[receiver]\nbuf = 1\n[expect]\nreceiver.reads = 1\n",
		     "t.ini:5", "built-in sender");
	expect_error("[scenario]\nname = t\n[sender]\nbytes = 10\n"
		     "[receiver]\ncommand = cat TCP-LISTEN:9 -\n[expect]\n"
		     "receiver.reads = 1\n", "t.ini:6", "{port}");
	expect_error("[scenario]\nname = t\n[sender]\nbytes = 10\n[receiver]\nbuf = 1\n",
		     "t.ini", "no expectation");
	expect_error("[scenario]\nname = t\n[receiver]\nbuf = 1\n[expect]\n"
		     "receiver.reads = 1\n", "t.ini", "say what to send");
	expect_error("[scenario]\nname = t\n[network]\njitter = 5ms\n[sender]\n"
		     "bytes = 1\n[receiver]\nbuf = 1\n[expect]\nreceiver.reads = 1\n",
		     "line 4", "needs a delay");
	expect_error("[scenario]\nname = t\n[network]\nreorder = 5%\n[sender]\n"
		     "bytes = 1\n[receiver]\nbuf = 1\n[expect]\nreceiver.reads = 1\n",
		     "line 4", "needs a delay");
	expect_error("[scenario]\n[sender]\nbytes = 1\n[receiver]\nbuf = 1\n[expect]\n"
		     "receiver.reads = 1\n", "t.ini", "name: missing");
	/* a command's program that is not there: found before anything runs */
	expect_error("[scenario]\nname = t\n[sender]\ncommand = no-such-prog {port}\n"
		     "[receiver]\nbuf = 1\n[expect]\nreceiver.reads = 1\n", "t.ini:4",
		     "'no-such-prog' is not a program");
	expect_error("[scenario]\nname = t\n[sender]\ncommand = /nonexistent/x {port}\n"
		     "[receiver]\nbuf = 1\n[expect]\nreceiver.reads = 1\n", "t.ini:4",
		     "not executable");
}

static void test_builtins_parse(void **state UNUSED)
{
	const struct builtin *b;
	size_t n = 0;

	for (size_t i = 0; (b = scenario_builtin(i)); i++, n++) {
		struct scenario s;

		if (load_capture(&s, b->text))
			fail_msg("built-in %s: %s", b->name, err_text);
		assert_string_equal(s.name, b->name);
		assert_true(s.nexpect > 0);
		assert_ptr_equal(scenario_builtin_find(b->name), b);
		scenario_free(&s);
	}
	assert_true(n >= 7);
	assert_null(scenario_builtin_find("no-such"));
}

static void test_command_substitution(void **state UNUSED)
{
	char *c = scenario_command("socat -u TCP:{addr}:{port} - # {ns} {other}",
				   "10.181.0.2", 5001, "bufscope-1-rx");

	assert_string_equal(c, "socat -u TCP:10.181.0.2:5001 - # bufscope-1-rx {other}");
	free(c);
}

/* ------------------------------------------------------------ judging */

static struct obs_read reads3[] = {
	{ .t_ns = 1000000, .ret = 4096, .req = 4096, .queue_before = 10240 },
	{ .t_ns = 1100000, .ret = 4096, .req = 4096, .queue_before = 6144 },
	{ .t_ns = 1200000, .ret = 2048, .req = 4096, .queue_before = 2048 },
};

static void observation(struct observation *o)
{
	memset(o, 0, sizeof(*o));
	o->duration_ns = 2000000000ULL;
	o->drops_hook = o->arrival_hook = true;
	for (int s = 0; s < SIDE__N; s++)
		o->side[s].sockets = 1;
	o->side[SIDE_RECEIVER].total.reads = 3;
	o->side[SIDE_RECEIVER].total.bytes = 10240;
	o->side[SIDE_RECEIVER].reads = reads3;
	o->side[SIDE_RECEIVER].nreads = 3;
	o->side[SIDE_SENDER].app.known = true;
	o->side[SIDE_SENDER].app.bytes = 10240;
}

static enum verdict judge(const struct observation *o, const char *key,
			  const char *value, struct expect_result *r)
{
	struct expectation e;
	char err[256];

	if (expect_parse(&e, key, value, err, sizeof(err)))
		fail_msg("%s = %s: %s", key, value, err);
	expect_eval(&e, o, r);
	return r->verdict;
}

static void test_counts_and_refs(void **state UNUSED)
{
	struct observation o;
	struct expect_result r;

	observation(&o);
	assert_int_equal(judge(&o, "receiver.reads", "3", &r), V_PASS);
	assert_string_equal(r.observed, "3");
	assert_int_equal(judge(&o, "receiver.reads", "4", &r), V_FAIL);
	assert_int_equal(judge(&o, "receiver.reads >", "3", &r), V_PASS);
	assert_int_equal(judge(&o, "receiver.reads >", "4", &r), V_FAIL);
	assert_int_equal(judge(&o, "receiver.reads <", "3", &r), V_PASS);
	assert_int_equal(judge(&o, "receiver.reads <", "2", &r), V_FAIL);
	assert_int_equal(judge(&o, "receiver.reads !", "0", &r), V_PASS);
	assert_int_equal(judge(&o, "receiver.reads !", "3", &r), V_FAIL);
	assert_int_equal(judge(&o, "receiver.reads", "[1, 3]", &r), V_PASS);
	assert_int_equal(judge(&o, "receiver.reads", "[4, 9]", &r), V_FAIL);
	assert_int_equal(judge(&o, "receiver.bytes_read", "10000 +- 5%", &r), V_PASS);
	assert_int_equal(judge(&o, "receiver.bytes_read", "10000 +- 1%", &r), V_FAIL);
	assert_int_equal(judge(&o, "receiver.bytes_read", "sender.bytes_written", &r),
			 V_PASS);
	o.side[SIDE_SENDER].app.bytes = 10241;
	assert_int_equal(judge(&o, "receiver.bytes_read", "sender.bytes_written", &r),
			 V_FAIL);
	/* a <= with a tolerance allows that much over */
	assert_int_equal(judge(&o, "receiver.bytes_read <", "sender.bytes_written +- 1%",
			       &r), V_PASS);
}

static void test_lists(void **state UNUSED)
{
	struct observation o;
	struct expect_result r;

	observation(&o);
	assert_int_equal(judge(&o, "receiver.read_sizes", "4096, 4096, 2048", &r), V_PASS);
	assert_int_equal(judge(&o, "receiver.queue_before", "10240, 6144, 2048", &r),
			 V_PASS);
	assert_int_equal(judge(&o, "receiver.read_sizes", "4096, 4096, 1808", &r), V_FAIL);
	assert_true(r.at_ns == 1200000);	/* the read that differs */
	assert_int_equal(judge(&o, "receiver.read_sizes", "4096, 4096", &r), V_FAIL);
	assert_non_null(strstr(r.why, "3 values"));
	/* no episode at all: a bound on each episode fails, it is not vacuous */
	assert_int_equal(judge(&o, "receiver.episode_ms <", "100", &r), V_FAIL);
	assert_non_null(strstr(r.why, "none"));
}

static void test_episodes_and_reopening(void **state UNUSED)
{
	struct observation o;
	struct expect_result r;
	struct obs_episode eps[2] = {
		/* the reader stalls from 2 ms to 1000 ms; reads resume at 1000 ms,
		 * the window reopens at 1003 ms */
		{ .start_ns = 5000000, .end_ns = 1003000000, .queue = 30000 },
		{ .start_ns = 1500000000, .end_ns = 0 },	/* open at the end */
	};
	struct obs_read reads[] = {
		{ .t_ns = 1000000, .ret = 4096 }, { .t_ns = 6000000, .ret = 4096 },
		{ .t_ns = 1000000000, .ret = 4096 }, { .t_ns = 1001000000, .ret = 4096 },
	};

	observation(&o);
	o.side[SIDE_RECEIVER].reads = reads;
	o.side[SIDE_RECEIVER].nreads = 4;
	o.side[SIDE_RECEIVER].eps[BS_ZW_SENT] = eps;
	o.side[SIDE_RECEIVER].neps[BS_ZW_SENT] = 2;
	o.side[SIDE_RECEIVER].total.zw_episodes[BS_ZW_SENT] = 2;
	/* the read after the longest pause, not the first read inside */
	assert_int_equal(judge(&o, "receiver.window_reopens_within_ms <", "5", &r),
			 V_PASS);
	assert_string_equal(r.observed, "3");
	assert_int_equal(judge(&o, "receiver.window_reopens_within_ms <", "2", &r),
			 V_FAIL);
	/* an open episode lasts to the end of the run */
	assert_int_equal(judge(&o, "receiver.episode_ms", "[900, 1100]", &r), V_FAIL);
	assert_true(r.at_ns == 1500000000);
	assert_int_equal(judge(&o, "receiver.episodes_open", "1", &r), V_PASS);
	/* a read's time is its return: the read that reopened the window
	 * returns after the update it made; it still resumed the reading */
	reads[2].t_ns = 1003500000;
	reads[3].t_ns = 1003600000;
	assert_int_equal(judge(&o, "receiver.window_reopens_within_ms <", "1", &r),
			 V_PASS);
	assert_string_equal(r.observed, "0");
	assert_int_equal(judge(&o, "receiver.zero_window_episodes >", "1", &r), V_PASS);
}

static void test_processes(void **state UNUSED)
{
	struct observation o;
	struct expect_result r;
	struct expectation e;
	char err[256];

	observation(&o);
	snprintf(o.procs[0].comm, sizeof(o.procs[0].comm), "socat");
	o.procs[0].s.sockets = 1;
	o.procs[0].s.total.reads = 7;
	o.procs[0].s.total.bytes = 700;
	o.nprocs = 1;
	assert_int_equal(judge(&o, "process[socat].reads", "7", &r), V_PASS);
	assert_int_equal(judge(&o, "process[socat].bytes_read", "receiver.bytes_read",
			       &r), V_FAIL);
	assert_non_null(strstr(r.bound, "receiver.bytes_read"));
	assert_int_equal(judge(&o, "receiver.reads", "process[socat].reads", &r), V_FAIL);
	assert_non_null(strstr(r.bound, "process[socat].reads"));
	/* a process that never held a socket: a failure */
	assert_int_equal(judge(&o, "process[nginx].reads", "0", &r), V_FAIL);
	assert_non_null(strstr(r.why, "no socket of a process named nginx"));
	/* counts only */
	assert_int_equal(expect_parse(&e, "process[socat].read_sizes", "1, 2", err,
				      sizeof(err)), -1);
	assert_non_null(strstr(err, "counts"));
	assert_int_equal(expect_parse(&e, "process[].reads", "1", err, sizeof(err)), -1);
	assert_int_equal(expect_parse(&e, "process[waytoolongprocessname].reads", "1",
				      err, sizeof(err)), -1);
	/* a name shown in verdicts: printable only (tests/fuzz/regress/scenario) */
	assert_int_equal(expect_parse(&e, "process[so\x1b[2Jt].reads", "1", err,
				      sizeof(err)), -1);
	assert_int_equal(expect_parse(&e, "receiver.reads", "process[so\x9ft].reads",
				      err, sizeof(err)), -1);
}

/* One read's size is a whole number of bytes, as a list's are: a huge or
 * fractional one is refused (it was converted as it was: UB; tests/fuzz). */
static void test_one_read_size(void **state UNUSED)
{
	struct expectation e;
	char err[256];

	assert_int_equal(expect_parse(&e, "receiver.queue_before", "4KiB", err,
				      sizeof(err)), 0);
	assert_int_equal(e.op, OP_SEQ);
	assert_int_equal(e.nseq, 1);
	assert_int_equal(e.seq[0], 4096);
	assert_int_equal(expect_parse(&e, "receiver.queue_before", "1022e048", err,
				      sizeof(err)), -1);
	assert_int_equal(expect_parse(&e, "receiver.read_sizes", "10.5", err,
				      sizeof(err)), -1);
}

static void test_not_observable(void **state UNUSED)
{
	struct observation o;
	struct expect_result r;

	observation(&o);
	o.drops_hook = false;
	assert_int_equal(judge(&o, "receiver.drops.lost", "0", &r), V_UNOBSERVABLE);
	assert_non_null(strstr(r.why, "drop hook"));
	assert_int_equal(judge(&o, "receiver.drops", "0", &r), V_UNOBSERVABLE);
	o.losses.events = 7;
	assert_int_equal(judge(&o, "receiver.read_sizes", "4096, 4096, 2048", &r),
			 V_UNOBSERVABLE);
	assert_non_null(strstr(r.why, "7 ring-buffer records"));
	/* counts come from the kernel's state: still exact */
	assert_int_equal(judge(&o, "receiver.reads", "3", &r), V_PASS);
	/* a user's program tells bufscope nothing of itself */
	o.side[SIDE_SENDER].app.known = false;
	assert_int_equal(judge(&o, "receiver.bytes_read", "sender.bytes_written", &r),
			 V_UNOBSERVABLE);
	/* no socket seen on a side: a failure, not a pass */
	o.side[SIDE_RECEIVER].sockets = 0;
	assert_int_equal(judge(&o, "receiver.reads", "0", &r), V_FAIL);
	assert_non_null(strstr(r.why, "no socket"));
	/* ... but a drop count without the drop hook is not observable either
	 * way (6.1's lossy-path: a sender seen only through its drops, so not
	 * seen; it failed there when nothing else showed the sender) */
	o.side[SIDE_SENDER].sockets = 0;
	assert_int_equal(judge(&o, "sender.drops >", "0", &r), V_UNOBSERVABLE);
	assert_non_null(strstr(r.why, "drop hook"));
	assert_int_equal(judge(&o, "sender.drops.lost", "0", &r), V_UNOBSERVABLE);
	o.arrival_hook = false;
	assert_int_equal(judge(&o, "sender.read_wait_ms", "0", &r), V_UNOBSERVABLE);
	assert_non_null(strstr(r.why, "arrival hook"));
	/* with the hook, a side never seen still fails */
	o.drops_hook = true;
	assert_int_equal(judge(&o, "sender.drops >", "0", &r), V_FAIL);
	assert_non_null(strstr(r.why, "no socket"));
}

/* docs/validate.md lists every metric an expectation can name. */
static void test_metrics_documented(void **state UNUSED)
{
	const struct metric_info *m;
	size_t n = expect_metrics(&m), len;
	FILE *f = fopen("docs/validate.md", "r");
	static char doc[256 * 1024];
	char quoted[96];

	assert_non_null(f);
	len = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[len] = 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(quoted, sizeof(quoted), "`%s`", m[i].name);
		if (!strstr(doc, quoted))
			fail_msg("docs/validate.md does not list the metric %s", quoted);
	}
	for (size_t i = 0; i < count_infos_n; i++) {
		if (!count_infos[i].key)
			continue;
		snprintf(quoted, sizeof(quoted), "`%s`", count_infos[i].key);
		if (!strstr(doc, quoted))
			fail_msg("docs/validate.md does not list the count %s", quoted);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_every_section),
		cmocka_unit_test(test_path_changes),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_contradictions),
		cmocka_unit_test(test_builtins_parse),
		cmocka_unit_test(test_command_substitution),
		cmocka_unit_test(test_counts_and_refs),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_episodes_and_reopening),
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_one_read_size),
		cmocka_unit_test(test_not_observable),
		cmocka_unit_test(test_metrics_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
