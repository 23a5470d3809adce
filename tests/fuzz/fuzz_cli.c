// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: the input is argv (after "bufscope"), one argument per
 * NUL-separated field. cli_parse must accept it with options in their
 * ranges, or refuse it with a printable one-line error and a hint; parsing
 * the same words twice gives the same answer (getopt's state is reset).
 * A --listen value goes on to serve's address parser.
 */
#include <math.h>
#include "cmd/cli.h"
#include "serve/http.h"
#include "fuzzlib.h"

#define MAX_ARGS 64

static bool in_argv(char *const *argv, int argc, const char *s)
{
	for (int i = 0; i < argc; i++)
		if (argv[i] == s)
			return true;
	return false;
}

static void check_ok(const struct options *o, char *const *argv, int argc)
{
	FUZZ_CHECK(o->cmd < CMD__COUNT);
	FUZZ_CHECK(o->npids <= BS_MAX_PIDS);
	for (unsigned i = 0; i < o->npids; i++)
		FUZZ_CHECK(o->pids[i] >= 1 && o->pids[i] <= INT32_MAX);
	FUZZ_CHECK(!o->has_comm || (o->comm[0] && strlen(o->comm) < BS_COMM_LEN));
	FUZZ_CHECK(isfinite(o->interval_s) && o->interval_s >= 0.01);
	FUZZ_CHECK(isfinite(o->duration_s) && o->duration_s >= 0);
	FUZZ_CHECK(o->events && !(o->events & ~(unsigned)EV_ALL));
	FUZZ_CHECK(o->sort < SORT__COUNT && o->rows <= 1000000);
	FUZZ_CHECK(o->by == BY_SOCKET || o->by == BY_PROCESS);
	FUZZ_CHECK(o->output == OUT_TABLE || o->output == OUT_JSON);
	FUZZ_CHECK(o->attach <= ATTACH_TRACEPOINT);
	FUZZ_CHECK(!o->max_series || (o->max_series >= 2 && o->max_series <= 100000));
	FUZZ_CHECK(o->repeat <= 1000);
	FUZZ_CHECK(o->nargs >= 0 && (!o->nargs || commands[o->cmd]->takes_args));
	/* the command's words are argv's own strings, in place */
	for (int i = 0; i < o->nargs; i++)
		FUZZ_CHECK(in_argv(argv, argc, o->args[i]));
	FUZZ_CHECK(!o->cgroup || *o->cgroup);
}

static void check_error(const struct cli_error *e)
{
	FUZZ_CHECK(memchr(e->msg, 0, sizeof(e->msg)) && memchr(e->hint, 0, sizeof(e->hint)));
	FUZZ_CHECK(e->msg[0] && e->hint[0]);
	FUZZ_CHECK(fuzz_printable(e->msg) && fuzz_printable(e->hint));
}

/* serve's --listen: parsed, or refused with a printable line. */
static void check_listen(const char *listen)
{
	struct http_listen_addr a;
	char err[256];

	memset(err, 0, sizeof(err));
	if (http_parse_listen(listen, &a, err, sizeof(err))) {
		FUZZ_CHECK(err[0] && fuzz_printable(err));
		return;
	}
	FUZZ_CHECK(a.ss.ss_family == AF_INET || a.ss.ss_family == AF_INET6);
	FUZZ_CHECK(a.len > 0 && a.len <= sizeof(a.ss));
}

/* Parses the words as they are in copy (a fresh copy of the input: the
 * parser may move them), after "bufscope". */
static int parse(char *const *words, int n, const char *input, char *copy,
		 char **argv, struct options *o, struct cli_error *e)
{
	argv[0] = "bufscope";
	for (int i = 0; i < n; i++)
		argv[i + 1] = copy + (words[i] - input);
	argv[n + 1] = NULL;
	memset(o, 0xa5, sizeof(*o));	/* every field must be set */
	memset(e, 0x5a, sizeof(*e));
	return cli_parse(n + 1, argv, o, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *words[MAX_ARGS], *buf, *copy1 = malloc(size + 1), *copy2 = malloc(size + 1);
	char *argv1[MAX_ARGS + 2], *argv2[MAX_ARGS + 2];
	struct options o1, o2;
	struct cli_error e1, e2;
	int n, r1, r2;

	n = (int)fuzz_fields(data, size, 0, words, MAX_ARGS, &buf);
	if (!buf || !copy1 || !copy2)
		goto out;
	memcpy(copy1, buf, size + 1);
	memcpy(copy2, buf, size + 1);
	r1 = parse(words, n, buf, copy1, argv1, &o1, &e1);
	r2 = parse(words, n, buf, copy2, argv2, &o2, &e2);
	FUZZ_CHECK(r1 == 0 || r1 == -1);
	FUZZ_CHECK(r1 == r2);
	if (r1) {
		check_error(&e1);
		FUZZ_CHECK(!strcmp(e1.msg, e2.msg) && !strcmp(e1.hint, e2.hint));
		goto out;
	}
	check_ok(&o1, argv1, n + 1);
	FUZZ_CHECK(o1.cmd == o2.cmd && o1.npids == o2.npids && o1.events == o2.events &&
		   o1.nargs == o2.nargs && o1.port == o2.port);
	if (o1.listen)
		check_listen(o1.listen);
out:
	free(buf);
	free(copy1);
	free(copy2);
	return 0;
}
