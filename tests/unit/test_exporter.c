// SPDX-License-Identifier: GPL-2.0
/*
 * serve's exposition from a model fed with records: counters per label set
 * that keep growing when sockets close and leave the model, bucket edges,
 * +Inf = _count, label escaping, --max-series folding, a removed cgroup's
 * labels, both formats, and every family listed in docs/metrics.md.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "bufscope/log2.h"
#include "kernel/cgroups.h"
#include "model/model.h"
#include "serve/exporter.h"

struct fixture {
	struct model m;
	struct exporter *x;
	struct losses losses;
};

static struct exporter *new_exporter(struct model *m, unsigned labels, unsigned max)
{
	struct exporter_config c = { .labels = labels, .max_series = max };
	struct exporter *x = exporter_new(&c);

	assert_non_null(x);
	assert_int_equal(exporter_attach(x, m, NULL, NULL, NULL), 0);
	return x;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(model_init(&f->m), 0);
	f->x = new_exporter(&f->m, LABELS_DEFAULT, EXPORTER_MAX_SERIES);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	exporter_free(f->x);
	model_free(&f->m);
	free(f);
	return 0;
}

/* A socket on lport read by comm: `reads` reads of `size` bytes each. */
static void rec_reads(struct bs_sock_rec *r, uint32_t kind, uint64_t cookie,
		      const char *comm, uint16_t lport, bool serves,
		      uint64_t reads, uint64_t size)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->cookie = cookie;
	r->ts_ns = 1000000;
	r->ep.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", r->ep.saddr);
	inet_pton(AF_INET, "127.0.0.2", r->ep.daddr);
	r->ep.sport = lport;
	r->ep.dport = (uint16_t)(40000 + cookie);
	r->ep.tcp_state = 1;
	r->rcvbuf = 131072;
	r->flags = BS_SF_HAS_STATE | BS_SF_HAS_READER | (serves ? BS_SF_SERVICE : 0);
	r->state.reader.pid = 100 + (uint32_t)cookie;
	r->state.reader.tid = r->state.reader.pid;
	strncpy(r->state.reader.comm, comm, BS_COMM_LEN - 1);
	r->state.c.reads = reads;
	r->state.c.bytes = reads * size;
	r->state.c.req_reads = reads;
	r->state.c.req_bytes = reads * 8192;
	r->state.c.queue_sum = reads * size;
	r->state.hist[BS_HIST_RET][bs_log2_slot(size)] = reads;
	r->state.hist[BS_HIST_REQ][bs_log2_slot(8192)] = reads;
	r->state.hist[BS_HIST_QUEUE][bs_log2_slot(size)] = reads;
}

static void pass(struct fixture *f, const struct bs_sock_rec *recs, size_t n)
{
	model_begin_pass(&f->m);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(model_apply(&f->m, &recs[i]), 0);
	model_end_pass(&f->m);
	assert_int_equal(exporter_update(f->x, &f->losses, NULL, 0), 0);
}

static char *render(struct exporter *x, bool om)
{
	char *body;
	size_t len;

	assert_int_equal(exporter_render(x, om, 0, &body, &len), 0);
	assert_int_equal(strlen(body), len);
	return body;
}

/* The value of the sample whose line starts with `head` (name{labels}). */
static unsigned long long value_of(const char *body, const char *head)
{
	size_t n = strlen(head);

	for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, head, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	fail_msg("no sample %s in:\n%s", head, body);
	return 0;
}

#define WEB "process=\"web\",cgroup=\"\",container=\"\",port=\"8080\""

static void test_counts_and_buckets(void **state)
{
	struct fixture *f = *state;
	struct bs_sock_rec r[3];
	char *b;

	rec_reads(&r[0], BS_REC_SOCK, 1, "web", 8080, true, 2, 4095);
	rec_reads(&r[1], BS_REC_SOCK, 2, "web", 8080, true, 3, 4096);
	rec_reads(&r[2], BS_REC_SOCK, 3, "web", 8080, true, 5, 4097);
	pass(f, r, 3);
	b = render(f->x, false);
	assert_int_equal(value_of(b, "bufscope_reads_total{" WEB "}"), 10);
	assert_int_equal(value_of(b, "bufscope_read_bytes_total{" WEB "}"),
			 2 * 4095 + 3 * 4096 + 5 * 4097);
	assert_int_equal(value_of(b, "bufscope_requested_bytes_total{" WEB "}"), 10 * 8192);
	/* an edge: 4095 is in le="4095", 4096 is not */
	assert_int_equal(value_of(b, "bufscope_read_returned_bytes_bucket{" WEB ",le=\"2047\"}"), 0);
	assert_int_equal(value_of(b, "bufscope_read_returned_bytes_bucket{" WEB ",le=\"4095\"}"), 2);
	assert_int_equal(value_of(b, "bufscope_read_returned_bytes_bucket{" WEB ",le=\"8191\"}"), 10);
	assert_int_equal(value_of(b, "bufscope_read_returned_bytes_bucket{" WEB ",le=\"+Inf\"}"),
			 value_of(b, "bufscope_read_returned_bytes_count{" WEB "}"));
	assert_int_equal(value_of(b, "bufscope_read_returned_bytes_sum{" WEB "}"),
			 2 * 4095 + 3 * 4096 + 5 * 4097);
	assert_int_equal(value_of(b, "bufscope_read_requested_bytes_bucket{" WEB ",le=\"8191\"}"), 0);
	assert_int_equal(value_of(b, "bufscope_read_requested_bytes_bucket{" WEB ",le=\"16383\"}"), 10);
	assert_int_equal(value_of(b, "bufscope_sockets{" WEB "}"), 3);
	assert_non_null(strstr(b, "# TYPE bufscope_reads_total counter\n"));
	assert_null(strstr(b, "# EOF"));
	free(b);
	b = render(f->x, true);
	assert_non_null(strstr(b, "# TYPE bufscope_reads counter\n"));
	assert_non_null(strstr(b, "le=\"4095.0\"} 2\n"));
	assert_string_equal(b + strlen(b) - 6, "# EOF\n");
	/* HELP escapes its quotes in OpenMetrics */
	assert_non_null(strstr(b, "labelled \\\"other\\\""));
	free(b);
}

/* A record copied while a read was being counted: full_reads has it,
 * req_reads not yet (account_read counts the request first, the copy reads
 * them in struct order). partial_reads neither wraps nor goes back. */
static void test_partial_never_decreases(void **state)
{
	struct fixture *f = *state;
	struct bs_sock_rec r;
	char *b;

	rec_reads(&r, BS_REC_SOCK, 1, "web", 8080, true, 10, 100);
	r.state.c.full_reads = 10;	/* every read full */
	pass(f, &r, 1);
	r.state.c.full_reads = 11;	/* torn: the 11th read's request not yet */
	pass(f, &r, 1);
	b = render(f->x, false);
	assert_int_equal(value_of(b, "bufscope_partial_reads_total{" WEB "}"), 0);
	free(b);
	r.state.c.reads = r.state.c.req_reads = 12;	/* the 12th was partial */
	r.state.hist[BS_HIST_RET][bs_log2_slot(100)] = 12;
	pass(f, &r, 1);
	b = render(f->x, false);
	assert_int_equal(value_of(b, "bufscope_partial_reads_total{" WEB "}"), 1);
	free(b);
}

/* Counters never go back: sockets close, then leave the model for their
 * process's aggregate, and their counts stay in their label set. */
static void test_closed_sockets_stay_counted(void **state)
{
	struct fixture *f = *state;
	const size_t n = MODEL_MAX_CLOSED + 200;
	struct bs_sock_rec *r = calloc(n, sizeof(*r));
	unsigned long long last = 0;
	char *b;

	assert_non_null(r);
	for (size_t i = 0; i < n; i++)
		rec_reads(&r[i], BS_REC_CLOSE, 10 + i, "web", 8080, true, 1, 100);
	for (size_t i = 0; i < n; i += 100) {
		pass(f, &r[i], n - i < 100 ? n - i : 100);
		b = render(f->x, false);
		assert_true(value_of(b, "bufscope_reads_total{" WEB "}") >= last);
		last = value_of(b, "bufscope_reads_total{" WEB "}");
		free(b);
	}
	/* passes evict the oldest closes into aggregates */
	pass(f, NULL, 0);
	pass(f, NULL, 0);
	assert_true(f->m.evicted > 0);
	b = render(f->x, false);
	assert_int_equal(value_of(b, "bufscope_reads_total{" WEB "}"), n);
	assert_int_equal(value_of(b, "bufscope_read_bytes_total{" WEB "}"), n * 100);
	assert_int_equal(value_of(b, "bufscope_sockets{" WEB "}"), 0);
	free(b);
	free(r);
}

static void test_label_escaping(void **state)
{
	struct fixture *f = *state;
	struct bs_sock_rec r;
	char *b;

	rec_reads(&r, BS_REC_SOCK, 1, "a\"b\\c\nd\x1b[", 40000, false, 1, 10);
	pass(f, &r, 1);
	b = render(f->x, false);
	assert_non_null(strstr(b, "bufscope_reads_total{process=\"a\\\"b\\\\c\\\\x0ad\\\\x1b[\","
				  "cgroup=\"\",container=\"\",port=\"ephemeral\"} 1\n"));
	assert_null(strchr(b, '\x1b'));
	free(b);
}

static void test_max_series(void **state)
{
	struct fixture *f = *state;
	struct bs_sock_rec r[4];
	char *b;

	exporter_free(f->x);
	f->x = new_exporter(&f->m, 1u << LABEL_PROCESS, 2);
	rec_reads(&r[0], BS_REC_SOCK, 1, "one", 80, true, 1, 10);
	rec_reads(&r[1], BS_REC_SOCK, 2, "two", 80, true, 2, 10);
	rec_reads(&r[2], BS_REC_SOCK, 3, "three", 80, true, 3, 10);
	rec_reads(&r[3], BS_REC_SOCK, 4, "three", 80, true, 4, 10);
	pass(f, r, 4);
	b = render(f->x, false);
	assert_int_equal(value_of(b, "bufscope_reads_total{process=\"one\"}"), 1);
	assert_int_equal(value_of(b, "bufscope_reads_total{process=\"other\"}"), 9);
	assert_null(strstr(b, "process=\"two\""));
	/* two label sets refused (two, three), each counted once */
	assert_int_equal(value_of(b, "bufscope_series_folded_total"), 2);
	assert_int_equal(value_of(b, "bufscope_series"), 2);
	free(b);
}

#define CTR "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define JOB_A "process=\"web\",cgroup=\"/docker-" CTR ".scope\",container=\"" CTR \
	"\",port=\"8080\""

/*
 * A container's socket reads 3, its process exits (the close, 5 reads in
 * all, waits in the ring) and its cgroup is removed; another cgroup's
 * socket, looked up first, makes the resolver walk again. The close's 2
 * reads still go to the removed cgroup's label set, none to cgroup="".
 */
static void test_removed_cgroup_labels(void **state)
{
	struct fixture *f = *state;
	struct exporter_config cfg = { .labels = LABELS_DEFAULT,
				       .max_series = EXPORTER_MAX_SERIES };
	char root[] = "/tmp/bs-exp-cg-XXXXXX", a[160], b[64];
	struct bs_sock_rec r;
	struct cgroups *cg;
	struct stat st;
	uint64_t ida;
	int keep;
	char *body;

	assert_non_null(mkdtemp(root));
	snprintf(a, sizeof(a), "%s/docker-" CTR ".scope", root);
	snprintf(b, sizeof(b), "%s/job-b", root);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(stat(a, &st), 0);
	ida = st.st_ino;
	cg = cgroups_open(root);
	assert_non_null(cg);
	exporter_free(f->x);
	f->x = exporter_new(&cfg);
	assert_non_null(f->x);
	assert_int_equal(exporter_attach(f->x, &f->m, NULL, NULL, cg), 0);

	cgroups_new_pass(cg);
	rec_reads(&r, BS_REC_SOCK, 1, "web", 8080, true, 3, 10);
	r.state.reader.cgroup_id = ida;
	pass(f, &r, 1);
	/* a's directory held open: on ext4 job-b could get its inode number */
	keep = open(a, O_RDONLY | O_DIRECTORY);
	assert_true(keep >= 0);
	assert_int_equal(rmdir(a), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	assert_int_equal(stat(b, &st), 0);
	cgroups_new_pass(cg);
	rec_reads(&r, BS_REC_SOCK, 2, "web", 8080, true, 1, 10);
	r.state.reader.cgroup_id = st.st_ino;
	pass(f, &r, 1);
	cgroups_new_pass(cg);
	rec_reads(&r, BS_REC_CLOSE, 1, "web", 8080, true, 5, 10);
	r.state.reader.cgroup_id = ida;
	pass(f, &r, 1);

	body = render(f->x, false);
	assert_int_equal(value_of(body, "bufscope_reads_total{" JOB_A "}"), 5);
	assert_int_equal(value_of(body, "bufscope_read_bytes_total{" JOB_A "}"), 50);
	assert_int_equal(value_of(body, "bufscope_reads_total{process=\"web\",cgroup=\"/job-b\","
				  "container=\"\",port=\"8080\"}"), 1);
	assert_null(strstr(body, "cgroup=\"\""));
	free(body);
	exporter_free(f->x);
	f->x = NULL;
	cgroups_free(cg);
	close(keep);
	assert_int_equal(rmdir(b), 0);
	assert_int_equal(rmdir(root), 0);
}

static void test_labels_parse(void **state)
{
	unsigned mask;
	char err[256];

	(void)state;
	assert_int_equal(labels_parse("process,pid,peer", &mask, err, sizeof(err)), 0);
	assert_int_equal(mask, (1u << LABEL_PROCESS) | (1u << LABEL_PID) | (1u << LABEL_PEER));
	assert_int_equal(labels_parse("process,bogus\x1b", &mask, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown label 'bogus?'"));
	assert_int_equal(labels_parse("", &mask, err, sizeof(err)), -1);
}

/* bufscope's own losses: one counter each, the hook misses among them. */
static void test_self_losses(void **state)
{
	struct fixture *f = *state;
	char *b;

	f->losses.events = 3;
	f->losses.hook_misses = 47;
	pass(f, NULL, 0);
	b = render(f->x, false);
	assert_int_equal(value_of(b, "bufscope_lost_events_total"), 3);
	assert_int_equal(value_of(b, "bufscope_hook_misses_total"), 47);
	assert_non_null(strstr(b, "# HELP bufscope_hook_misses_total runs of bufscope's "
			       "programs the kernel skipped"));
	assert_non_null(strstr(b, "# TYPE bufscope_hook_misses_total counter\n"));
	free(b);
	b = render(f->x, true);
	assert_non_null(strstr(b, "# TYPE bufscope_hook_misses counter\n"));
	assert_int_equal(value_of(b, "bufscope_hook_misses_total"), 47);
	free(b);
}

/* docs/metrics.md lists every family the exposition has. */
static void test_families_documented(void **state)
{
	struct fixture *f = *state;
	FILE *doc = fopen("docs/metrics.md", "r");
	char *text = NULL, *b;
	size_t cap = 0;
	const char *p;

	assert_non_null(doc);
	assert_true(getdelim(&text, &cap, '\0', doc) > 0);
	fclose(doc);
	pass(f, NULL, 0);
	b = render(f->x, false);
	/* "# HELP name help\n# TYPE name type" -> "| `name` | type | help |" */
	for (p = strstr(b, "# HELP "); p; p = strstr(p + 1, "# HELP ")) {
		char name[128], type[32], row[1024];
		const char *help = strchr(p + 7, ' ') + 1;
		int hl = (int)(strchr(help, '\n') - help);

		assert_int_equal(sscanf(p, "# HELP %127s", name), 1);
		assert_int_equal(sscanf(strchr(p, '\n') + 1, "# TYPE %*s %31s", type), 1);
		snprintf(row, sizeof(row), "| `%s` | %s | %.*s |", name, type, hl, help);
		if (!strstr(text, row))
			fail_msg("docs/metrics.md does not have the row\n%s", row);
	}
	free(b);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counts_and_buckets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_sockets_stay_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_never_decreases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_series, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_cgroup_labels, setup, teardown),
		cmocka_unit_test(test_labels_parse),
		cmocka_unit_test_setup_teardown(test_self_losses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_families_documented, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
