// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/validate/report_svg.c: the picture of a made-up run
 * (names escaped for XML, one rect per episode, points only where something
 * was measured, many reads kept small), and the file rules (a symbolic link
 * refused and left alone, a missing directory named). The picture of real
 * runs, rendered by a browser: tests/integration/scen_svg.py.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/wfile.h"
#include "validate/report.h"

#define UNUSED __attribute__((unused))
#define MS 1000000ULL

static const char scen_text[] =
	"[scenario]\n"
	"name = safe.name\n"
	"description = <script> & \x1b[31m \xff end\n"
	"[sender]\n"
	"bytes = 10KiB\n"
	"[receiver]\n"
	"buf = 4KiB\n"
	"[expect]\n"
	"receiver.reads = 3\n";

struct fixture {
	char dir[64], path[PATH_MAX];
	struct scenario s;
	struct observation o;
	struct netenv net;
	struct report r;
};

static struct obs_sample *add_sample(struct observation *o, uint64_t t_ms, uint32_t queue,
				     uint32_t wnd, uint64_t read, bool seen)
{
	struct obs_sample *x = &o->samples[o->nsamples++];

	memset(x, 0, sizeof(*x));
	x->t_ns = t_ms * MS;
	x->queue = queue;
	x->rcv_wnd = wnd;
	x->rcvbuf = 32768;
	x->bytes_read = read;
	x->rx_seen = seen;
	return x;
}

static void add_read(struct obs_side *rx, uint64_t t_ns, uint32_t ret, uint32_t before)
{
	struct obs_read *rd = &rx->reads[rx->nreads++];

	rd->t_ns = t_ns;
	rd->ret = rd->req = ret;
	rd->queue_before = before;
	rd->queue_after = before - ret;
	rx->total.reads++;
	rx->total.bytes += ret;
}

/* A run of 100 ms: samples every 10 ms, three reads at 50 ms, one closed
 * episode and one still open, two phases. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct obs_side *rx;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bufscope-test-svg-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/t.svg", f->dir);
	assert_int_equal(scenario_load_text(&f->s, scen_text, "test"), 0);
	/* the parser refuses such a name; the picture escapes it anyway */
	snprintf(f->s.name, sizeof(f->s.name), "a<b&c\"'>z");
	f->o.duration_ns = 100 * MS;
	f->o.samples = calloc(16, sizeof(*f->o.samples));
	assert_non_null(f->o.samples);
	for (int i = 1; i <= 9; i++)
		add_sample(&f->o, (uint64_t)i * 10, i < 5 ? 10240 : 0, 65535, i < 5 ? 0 : 10240,
			   true);
	/* a pass that saw no socket: its time is not one */
	add_sample(&f->o, 0, 0, 0, 10240, false);
	rx = &f->o.side[SIDE_RECEIVER];
	rx->sockets = 1;
	rx->reads = calloc(4, sizeof(*rx->reads));
	assert_non_null(rx->reads);
	add_read(rx, 45 * MS, 4096, 10240);
	add_read(rx, 45 * MS + 20000, 4096, 6144);
	add_read(rx, 45 * MS + 40000, 2048, 2048);
	rx->eps[BS_ZW_SENT] = calloc(2, sizeof(struct obs_episode));
	assert_non_null(rx->eps[BS_ZW_SENT]);
	rx->eps[BS_ZW_SENT][0] = (struct obs_episode){ .start_ns = 20 * MS + 1500,
						       .end_ns = 40 * MS };
	rx->eps[BS_ZW_SENT][1] = (struct obs_episode){ .start_ns = 90 * MS };
	rx->neps[BS_ZW_SENT] = 2;
	f->o.side[SIDE_SENDER].app = (struct obs_app){ .known = true, .bytes = 10240 };
	observe_phase(&f->o, 10 * MS, "stall <begins> & \"ends\"");
	observe_phase(&f->o, 45 * MS, "reads resume");
	f->r.s = &f->s;
	f->r.net = &f->net;
	f->r.o = &f->o;
	snprintf(f->r.kernel, sizeof(f->r.kernel), "6.18-test");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	observe_free(&f->o);
	scenario_free(&f->s);
	free(f);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *in = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(in);
	assert_int_equal(fseek(in, 0, SEEK_END), 0);
	n = ftell(in);
	rewind(in);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, in), (size_t)n);
	buf[n] = 0;
	fclose(in);
	if (len)
		*len = (size_t)n;
	return buf;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_names_escaped(void **state)
{
	struct fixture *f = *state;
	char *svg;

	assert_int_equal(report_svg(f->path, &f->r), 0);
	svg = slurp(f->path, NULL);
	assert_non_null(strstr(svg, "bufscope validate: a&lt;b&amp;c&quot;&apos;&gt;z "
				    "(kernel 6.18-test)"));
	assert_null(strstr(svg, "a<b"));
	assert_non_null(strstr(svg, "&lt;script&gt; &amp; ?[31m ? end"));
	assert_null(strstr(svg, "<script"));
	assert_null(strchr(svg, 0x1b));
	assert_null(strchr(svg, '\xff'));
	assert_non_null(strstr(svg, "stall &lt;begins&gt; &amp; &quot;ends&quot;"));
	free(svg);
}

static void test_episodes_and_scale(void **state)
{
	struct fixture *f = *state;
	char *svg;

	assert_int_equal(report_svg(f->path, &f->r), 0);
	svg = slurp(f->path, NULL);
	/* 100 ms over 1070 px */
	assert_non_null(strstr(svg, "data-ms-per-px=\"0.0934579439\""));
	assert_int_equal(count(svg, "<rect class=\"episode\""), 2);
	/* 20.0015 ms: x = 90 + 20.0015 / (100 / 1070) */
	assert_non_null(strstr(svg, "data-start-ms=\"20.002\" data-end-ms=\"40.000\" "
				    "data-open=\"false\" x=\"304.02\""));
	/* open: to the run's end */
	assert_non_null(strstr(svg, "data-start-ms=\"90.000\" data-end-ms=\"100.000\" "
				    "data-open=\"true\" x=\"1053.00\""));
	assert_int_equal(count(svg, "<line class=\"phase\""), 2);
	assert_non_null(strstr(svg, "data-bytes=\"10240\""));
	free(svg);
}

/* The queue line has the reads' points (10240 before the first, 0 after the
 * last, at 45 ms: x 571.5), and nothing at 0 ms from the pass that saw no
 * socket. */
static void test_points_measured(void **state)
{
	struct fixture *f = *state;
	char *svg, *q, *end;

	assert_int_equal(report_svg(f->path, &f->r), 0);
	svg = slurp(f->path, NULL);
	q = strstr(svg, "<polyline class=\"queue\"");
	assert_non_null(q);
	end = strstr(q, "/>");
	assert_non_null(end);
	*end = 0;
	/* the top panel: y 116, height 200; its top at 80 KiB (the 64 KiB
	 * window, 5% over, up to the next 16 KiB tick) */
	assert_non_null(strstr(q, "points=\"197.00,291.00"));	/* the 10 ms pass */
	assert_non_null(strstr(q, "571.50,291.00"));	/* 10240 before */
	assert_non_null(strstr(q, "571.93,316.00"));	/* 0 after */
	assert_non_null(strstr(end + 2, "queue depth (at each pass and around each read)"));
	assert_non_null(strstr(end + 2, "read (every read)"));
	free(svg);
}

/* Reads not all kept: the lines come from the samples, and the legend says
 * so. */
static void test_reads_incomplete(void **state)
{
	struct fixture *f = *state;
	char *svg;

	f->o.side[SIDE_RECEIVER].reads_not_kept = 1;
	assert_int_equal(report_svg(f->path, &f->r), 0);
	svg = slurp(f->path, NULL);
	assert_non_null(strstr(svg, "queue depth (at each pass)"));
	assert_non_null(strstr(svg, "read (at each pass: some reads were not kept)"));
	assert_null(strstr(svg, "571.50,291.00"));
	free(svg);
}

/* A column of the plot keeps at most its first, lowest, highest and last
 * points: 200000 reads make a small file. */
static void test_many_reads_small(void **state)
{
	struct fixture *f = *state;
	struct obs_side *rx = &f->o.side[SIDE_RECEIVER];
	size_t len;
	char *svg;

	free(rx->reads);
	rx->reads = calloc(OBS_MAX_READS, sizeof(*rx->reads));
	assert_non_null(rx->reads);
	rx->nreads = 0;
	rx->total.reads = rx->total.bytes = 0;
	for (uint32_t i = 0; i < OBS_MAX_READS; i++)
		add_read(rx, (uint64_t)i * 500, 1, 1 + i % 7);
	assert_int_equal(report_svg(f->path, &f->r), 0);
	svg = slurp(f->path, &len);
	assert_true(len < 400000);
	assert_non_null(strstr(svg, "read (every read)"));
	free(svg);
}

static void test_symlink_refused(void **state)
{
	struct fixture *f = *state;
	char target[PATH_MAX], *kept;

	snprintf(target, sizeof(target), "%s/target", f->dir);
	{
		FILE *t = fopen(target, "w");

		assert_non_null(t);
		fputs("keep\n", t);
		fclose(t);
	}
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(wfile_check(f->path), -ELOOP);
	assert_int_equal(report_svg(f->path, &f->r), -ELOOP);
	kept = slurp(target, NULL);
	assert_string_equal(kept, "keep\n");
	free(kept);
	assert_non_null(strstr(wfile_strerror(-ELOOP), "symbolic link"));
	/* a dangling link is refused too, and creates nothing */
	assert_int_equal(unlink(target), 0);
	assert_int_equal(report_svg(f->path, &f->r), -ELOOP);
	assert_int_equal(access(target, F_OK), -1);
}

static void test_bad_paths(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 16];
	struct stat st;

	snprintf(path, sizeof(path), "%s/no-such-dir/t.svg", f->dir);
	assert_int_equal(wfile_check(path), -ENOENT);
	assert_int_equal(report_svg(path, &f->r), -ENOENT);
	assert_string_equal(wfile_strerror(-ENOENT), "its directory does not exist");
	assert_int_equal(wfile_check(f->dir), -EISDIR);
	snprintf(path, sizeof(path), "%s/t.svg/x.svg", f->dir);
	assert_int_equal(report_svg(f->path, &f->r), 0);
	assert_int_equal(wfile_check(path), -ENOTDIR);
	assert_int_equal(wfile_check(f->path), 0);	/* rewritten: fine */
	assert_int_equal(wfile_check("t.svg"), 0);	/* here */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* a device is refused: not a regular file (a write error's case is
	 * the integration test svg-write-error, on a full tmpfs) */
	assert_int_equal(report_svg("/dev/full", &f->r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_episodes_and_scale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_points_measured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_incomplete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_reads_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
