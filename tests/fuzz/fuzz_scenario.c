// SPDX-License-Identifier: GPL-2.0
/*
 * Scenario files (validate): the input is the file's text. It loads, with
 * every value in its range and the changes of the path in time order, or
 * it is refused (one error line, checked by load_error's sanitizing, which
 * the scenario target cannot see: stderr is closed). What a loaded one
 * hands on is used as validate uses it: its commands filled in, each
 * expectation described and judged against an empty run and a small one,
 * with printable text.
 */
#include <sys/socket.h>
#include "validate/scenario.h"
#include "fuzzlib.h"

static void check_text(const char *s, size_t cap)
{
	FUZZ_CHECK(memchr(s, 0, cap));
	if (!fuzz_printable(s))
		fprintf(stderr, "not printable: \"%s\"\n", s);
	FUZZ_CHECK(fuzz_printable(s));
}

static void check_command(const char *tmpl)
{
	char *c;

	if (!tmpl)
		return;
	c = scenario_command(tmpl, "10.181.0.2", 5001, "bs-fuzz");
	FUZZ_CHECK(c && !strstr(c, "{port}"));
	free(c);
}

/* A run with a few reads and an episode on the receiver. */
static void small_run(struct observation *o, struct obs_read *reads,
		      struct obs_episode *ep)
{
	memset(o, 0, sizeof(*o));
	o->duration_ns = 2000000000ULL;
	o->drops_hook = o->arrival_hook = true;
	for (int i = 0; i < 3; i++)
		reads[i] = (struct obs_read){ .t_ns = 1000000ULL * (i + 1), .ret = 4096,
					      .req = 4096, .queue_before = 8192 };
	o->side[SIDE_RECEIVER].reads = reads;
	o->side[SIDE_RECEIVER].nreads = 3;
	o->side[SIDE_RECEIVER].sockets = 1;
	o->side[SIDE_RECEIVER].queue_peak = 8192;
	*ep = (struct obs_episode){ .start_ns = 500000000ULL, .end_ns = 800000000ULL,
				    .queue = 8192, .probes = 2 };
	o->side[SIDE_RECEIVER].eps[0] = ep;
	o->side[SIDE_RECEIVER].neps[0] = 1;
	o->side[SIDE_SENDER].sockets = 1;
}

static void check_expectations(const struct scenario *s)
{
	struct observation empty, run;
	struct obs_read reads[3];
	struct obs_episode ep;
	struct expect_result r;
	char buf[256];

	memset(&empty, 0, sizeof(empty));
	small_run(&run, reads, &ep);
	for (unsigned i = 0; i < s->nexpect; i++) {
		const struct expectation *e = &s->expect[i];

		FUZZ_CHECK(e->nseq <= EXPECT_MAX_SEQ);
		FUZZ_CHECK(e->op != OP_RANGE || e->lo <= e->hi);
		expect_describe(e, buf, sizeof(buf));
		check_text(buf, sizeof(buf));
		for (int k = 0; k < 2; k++) {
			memset(&r, 0x5a, sizeof(r));
			expect_eval(e, k ? &run : &empty, &r);
			FUZZ_CHECK(r.verdict == V_PASS || r.verdict == V_FAIL ||
				   r.verdict == V_UNOBSERVABLE);
			check_text(r.observed, sizeof(r.observed));
			check_text(r.bound, sizeof(r.bound));
			check_text(r.why, sizeof(r.why));
		}
	}
}

static void check_loaded(const struct scenario *s)
{
	FUZZ_CHECK(s->name[0] && strlen(s->name) < sizeof(s->name));
	check_text(s->name, sizeof(s->name));
	check_text(s->description, sizeof(s->description));
	FUZZ_CHECK(s->family == AF_INET || s->family == AF_INET6);
	FUZZ_CHECK(s->port >= 1);
	FUZZ_CHECK(s->timeout_us >= 100000 && s->sample_us >= 10000);
	FUZZ_CHECK(s->nexpect >= 1 && s->nexpect <= SCEN_MAX_EXPECT);
	FUZZ_CHECK(s->nchanges <= SCEN_MAX_CHANGES && s->nsysctls <= SCEN_MAX_SYSCTLS);
	FUZZ_CHECK(s->receiver.nsteps <= SCEN_MAX_STEPS);
	FUZZ_CHECK(s->sender.nwrites <= SCEN_MAX_WRITES);
	for (unsigned i = 1; i < s->nchanges; i++)
		FUZZ_CHECK(s->changes[i - 1].at_us <= s->changes[i].at_us);
	for (unsigned d = 0; d < PATH__N; d++) {
		FUZZ_CHECK(s->path[d].loss_pct >= 0 && s->path[d].loss_pct <= 100);
		FUZZ_CHECK(s->path[d].reorder_pct >= 0 && s->path[d].reorder_pct <= 100);
		FUZZ_CHECK(s->path[d].jitter_us <= s->path[d].delay_us);
	}
	/* a built-in side needs its amounts, a command its {port} */
	FUZZ_CHECK(s->sender.command || s->sender.bytes || s->sender.nwrites);
	FUZZ_CHECK(s->receiver.command || s->receiver.buf);
	check_command(s->sender.command);
	check_command(s->receiver.command);
	(void)scenario_needs_netem(s);
	check_expectations(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct scenario *s = malloc(sizeof(*s));

	if (text && s) {
		if (scenario_load_text(s, text, "fuzz.ini") == 0)
			check_loaded(s);
		scenario_free(s);
	}
	free(s);
	free(text);
	return 0;
}
