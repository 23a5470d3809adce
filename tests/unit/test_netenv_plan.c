// SPDX-License-Identifier: GPL-2.0
/*
 * What `bufscope validate` does to a scenario's path (netenv_plan): with
 * netem, netem's words; without it (BUFSCOPE_NO_NETEM=1), tbf for a rate,
 * the tc loss program for random loss, and a refusal naming a delay, jitter
 * or reordering with the line of its key. Looks only: needs no root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "validate/netenv.h"
#include "validate/scenario.h"

/* the [network] lines start at line 14 */
#define HEAD "[scenario]\nname = t\n\n[sender]\nbytes = 1KiB\n\n[receiver]\nbuf = 1KiB\n\n" \
	"[expect]\nreceiver.bytes_read = 1024\n\n[network]\n"

struct planned {
	int rc;
	char q[PATH__N][192];
	char why[320];
};

static struct planned plan(const char *network, bool netem)
{
	struct scenario *s = calloc(1, sizeof(*s));
	struct planned p;
	char text[1024];

	assert_non_null(s);
	memset(&p, 0, sizeof(p));
	snprintf(text, sizeof(text), HEAD "%s", network);
	assert_int_equal(scenario_load_text(s, text, "test"), 0);
	if (netem)
		unsetenv("BUFSCOPE_NO_NETEM");
	else
		setenv("BUFSCOPE_NO_NETEM", "1", 1);
	p.rc = netenv_plan(s, p.q, p.why, sizeof(p.why));
	scenario_free(s);
	free(s);
	return p;
}

static void test_loss_without_netem(void **state)
{
	struct planned p = plan("to_receiver.loss = 2%\n", false);

	(void)state;
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.q[TO_RECEIVER], "clsact bpf loss 2%");
	assert_string_equal(p.q[TO_SENDER], "none");
	p = plan("loss = 0.5%\n", false);
	assert_string_equal(p.q[TO_RECEIVER], "clsact bpf loss 0.5%");
	assert_string_equal(p.q[TO_SENDER], "clsact bpf loss 0.5%");
}

static void test_rate_and_loss_without_netem(void **state)
{
	struct planned p = plan("to_receiver.rate = 8mbit\nto_receiver.loss = 1%\n", false);

	(void)state;
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.q[TO_RECEIVER],
			    "tbf rate 8000000bit burst 16384 latency 1s + clsact bpf loss 1%");
}

static void test_delay_refused_without_netem(void **state)
{
	/* the line is the delay's (15), not the jitter's before it (14) */
	struct planned p = plan("to_sender.jitter = 2ms\nto_sender.delay = 5ms\n", false);

	(void)state;
	assert_int_equal(p.rc, -1);
	assert_non_null(strstr(p.why, "delay (line 15, to the sender) needs tc's netem"));
	p = plan("delay = 20ms\nreorder = 5%\n", false);
	assert_int_equal(p.rc, -1);
	assert_non_null(strstr(p.why, "delay (line 14, to the receiver)"));
}

static void test_netem_words(void **state)
{
	struct planned p = plan("to_receiver.delay = 20ms\nto_receiver.jitter = 5ms\n"
				"to_receiver.reorder = 10%\nto_receiver.loss = 1%\n", true);

	(void)state;
	/* with netem only when this kernel has it: else the refusal */
	if (p.rc == 0)
		assert_string_equal(p.q[TO_RECEIVER],
				    "netem delay 20ms 5ms loss 1% reorder 10%");
	else
		assert_non_null(strstr(p.why, "delay (line 14, to the receiver)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loss_without_netem),
		cmocka_unit_test(test_rate_and_loss_without_netem),
		cmocka_unit_test(test_delay_refused_without_netem),
		cmocka_unit_test(test_netem_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
