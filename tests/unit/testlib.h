/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Builders the unit tests share: endpoints, drop reason names from a BTF
 * made in memory, the running kernel's BTF, options from a command line, an
 * output stream in memory and a frame of the model as session.c makes one.
 * Include after <cmocka.h>. Functions are static inline so that a test uses
 * what it needs and the compiler drops the rest.
 */
#ifndef BUFSCOPE_TESTLIB_H
#define BUFSCOPE_TESTLIB_H

/* Every hook attached on the tracepoint tier (renderers' tests). */
#define TEST_HOOK(n, t) { .name = n, .tier = t, .available = true, .attached = true }
#define TEST_HOOKS_ALL_ATTACHED {					\
	[HOOK_READ] = TEST_HOOK("read", "tracepoint"),			\
	[HOOK_ARRIVAL] = TEST_HOOK("arrival", "tracepoint"),		\
	[HOOK_CLOSE] = TEST_HOOK("close", "tracepoint"),		\
	[HOOK_SOCKETS] = TEST_HOOK("sockets", "iterator"),		\
	[HOOK_STATE] = TEST_HOOK("state", "iterator"),			\
	[HOOK_WINDOW_OUT] = TEST_HOOK("window_out", "tracepoint"),	\
	[HOOK_WINDOW_IN] = TEST_HOOK("window_in", "tracepoint"),	\
	[HOOK_DROPS] = TEST_HOOK("drops", "tracepoint"),		\
}

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "cmd/cli.h"
#include "kernel/drop_reasons.h"
#include "model/model.h"
#include "out/render.h"
#include "model/view.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* An ESTABLISHED connection laddr:lport -> raddr:rport, in the family of
 * its addresses (IPv6 when laddr has a ':'). */
static inline void set_ep(struct bs_endpoints *ep, const char *laddr, uint16_t lport,
			  const char *raddr, uint16_t rport)
{
	int fam = strchr(laddr, ':') ? AF_INET6 : AF_INET;

	memset(ep, 0, sizeof(*ep));
	ep->family = (uint16_t)fam;
	assert_int_equal(inet_pton(fam, laddr, ep->saddr), 1);
	assert_int_equal(inet_pton(fam, raddr, ep->daddr), 1);
	ep->sport = lport;
	ep->dport = rport;
	ep->tcp_state = 1;
}

/* The line of a text (after `from`) that contains needle; the test fails
 * when there is none. */
static inline const char *line_with(const char *from, const char *needle)
{
	const char *p = strstr(from, needle);

	if (!p)
		fail_msg("no line with \"%s\" in:\n%s", needle, from);
	while (p > from && p[-1] != '\n')
		p--;
	return p;
}

/* A value of enum skb_drop_reason, by its full name. */
struct test_reason {
	const char *name;
	int value;
};

/* Loads dr from a BTF made in memory whose enum skb_drop_reason holds evs. */
static inline int test_load_reasons(struct drop_reasons *dr,
				    const struct test_reason *evs, size_t n)
{
	struct btf *btf = btf__new_empty();
	int err = -1;

	if (!btf)
		return -1;
	if (btf__add_enum(btf, "skb_drop_reason", 4) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (btf__add_enum_value(btf, evs[i].name, evs[i].value))
			goto out;
	err = drop_reasons_load(dr, btf);
out:
	btf__free(btf);
	return err;
}

/* The running kernel's BTF; the test is skipped on a kernel without it. */
static inline struct btf *kernel_btf_or_skip(void)
{
	struct btf *btf;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		print_message("no /sys/kernel/btf/vmlinux: skipped\n");
		skip();
	}
	btf = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	assert_non_null(btf);
	return btf;
}

/* The options of `bufscope ARGS...` (args ends with NULL); a command line
 * the parser refuses fails the test. */
static inline void test_parse(struct options *opt, const char *const *args)
{
	char *argv[16];
	int argc = 0;
	struct cli_error e;

	argv[argc++] = "bufscope";
	for (; *args && argc < 15; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	if (cli_parse(argc, argv, opt, &e))
		fail_msg("cli_parse: %s", e.msg);
}

/* A new output stream in memory, in place of the one *f had (if any). */
static inline void test_memstream(FILE **f, char **buf, size_t *len)
{
	if (*f)
		fclose(*f);
	free(*buf);
	*buf = NULL;
	*len = 0;
	*f = open_memstream(buf, len);
	assert_non_null(*f);
}

/*
 * A frame from the model, as session.c's emit() makes one: the interval's
 * deltas or the summary's totals, rolled up by process and sorted by `sort`.
 * The rows of the previous frame are freed first.
 */
static inline void test_frame(struct frame *fr, struct model *m, struct sock_row **rows,
			      struct proc_row **procs, bool summary, double secs,
			      enum sort_key sort)
{
	long n, np;

	free(*rows);
	free(*procs);
	n = summary ? model_summary(m, rows) : model_take_interval(m, 0, rows);
	assert_true(n >= 0);
	np = model_rollup(*rows, (size_t)n, procs);
	assert_true(np >= 0);
	view_sort_socks(*rows, (size_t)n, sort);
	view_sort_procs(*procs, (size_t)np, sort);
	memset(fr, 0, sizeof(*fr));
	fr->summary = summary;
	fr->elapsed_s = secs;
	fr->rows = *rows;
	fr->n = (size_t)n;
	fr->procs = *procs;
	fr->np = (size_t)np;
}

#ifdef TESTLIB_RENDER_CTX
/*
 * The context of the renderer tests (test_render, test_render_fit): the
 * model with drop reason names, the options, the renderer writing into a
 * memory stream, and the last frame with its rows.
 */
struct ctx {
	struct model m;
	struct drop_reasons reasons;
	struct options opt;
	struct render r;
	FILE *f;
	char *buf;
	size_t len;
	struct sock_row *rows;
	struct proc_row *procs;
	struct frame fr;
};

/* cmocka setup: a context whose model splits drops by the reasons evs. */
static inline int render_ctx_setup(void **state, const struct test_reason *evs, size_t n)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c || model_init(&c->m) || model_cursor_open(&c->m, 0) != 0 ||
	    test_load_reasons(&c->reasons, evs, n))
		return -1;
	c->m.reasons = &c->reasons;
	*state = c;
	return 0;
}

static inline int render_ctx_teardown(void **state)
{
	struct ctx *c = *state;

	if (c->f)
		fclose(c->f);
	free(c->buf);
	free(c->rows);
	free(c->procs);
	model_free(&c->m);
	drop_reasons_free(&c->reasons);
	free(c);
	return 0;
}
#endif

#endif
