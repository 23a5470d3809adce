// SPDX-License-Identifier: GPL-2.0
/*
 * khist_dump: a test-only driver of the collector (src/kernel/collector.c), for
 * tests/integration/scen_khist.py. It opens the collector with a port filter
 * and, optionally, collector_config.hist_every_pass, then obeys one command
 * per line on standard input and prints what the kernel side delivered as
 * JSON lines, so a test can check records, folds and kstats against its own
 * workload at the moments it chooses:
 *
 *   pass    one pass (not the last): every record, then a "done" line with
 *           the pass's wall time and this process's CPU time in it
 *   final   the last pass (full records of every socket)
 *   poll    the ring buffer's records (closes)
 *   folds   the close folds
 *   kstats  the kernel side's counters
 *   quit
 *
 *   khist_dump -P PORT [--every-pass] [--ringbuf BYTES] [--attach TIER] [--quiet]
 *
 * --quiet prints only the "done" lines (for timing passes over many sockets).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "bufscope/sock.h"
#include "kernel/collector.h"
#include "util/log.h"

struct dump {
	unsigned records;	/* records of the current command */
	bool quiet;
};

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case BS_REC_SOCK: return "sock";
	case BS_REC_CLOSE: return "close";
	case BS_REC_SAMPLE: return "sample";
	case BS_REC_ALIVE: return "alive";
	default: return "other";
	}
}

static void print_hist(const __u64 *h)
{
	printf("[");
	for (int k = 0; k < BS_HIST_N; k++) {
		printf("%s[", k ? "," : "");
		for (int i = 0; i < BS_HIST_SLOTS; i++)
			printf("%s%llu", i ? "," : "", (unsigned long long)h[k * BS_HIST_SLOTS + i]);
		printf("]");
	}
	printf("]");
}

static int on_rec(void *ctx, const void *data, size_t size)
{
	struct dump *d = ctx;
	const struct bs_sock_rec *r = data;
	uint32_t kind = *(const uint32_t *)data;

	d->records++;
	if (d->quiet)
		return 0;
	if (kind == BS_REC_ALIVE) {
		printf("{\"t\":\"rec\",\"kind\":\"alive\",\"cookie\":%llu}\n",
		       (unsigned long long)((const struct bs_alive_rec *)data)->cookie);
		return 0;
	}
	if (kind != BS_REC_SOCK && kind != BS_REC_CLOSE && kind != BS_REC_SAMPLE)
		return 0;
	printf("{\"t\":\"rec\",\"kind\":\"%s\",\"size\":%zu,\"cookie\":%llu,\"ts\":%llu,"
	       "\"lport\":%u,\"rport\":%u,\"pid\":%u,\"reads\":%llu,\"bytes\":%llu,"
	       "\"req_reads\":%llu",
	       kind_name(kind), size, (unsigned long long)r->cookie,
	       (unsigned long long)r->ts_ns, r->ep.sport, r->ep.dport,
	       r->state.reader.pid, (unsigned long long)r->state.c.reads,
	       (unsigned long long)r->state.c.bytes,
	       (unsigned long long)r->state.c.req_reads);
	if (kind != BS_REC_SAMPLE) {	/* a sample is cut before them */
		printf(",\"hist\":");
		print_hist(&r->state.hist[0][0]);
	}
	printf("}\n");
	return 0;
}

static int on_fold(void *ctx, const struct bs_fold_key *key, bool unowned,
		   const struct bs_fold *f)
{
	(void)ctx;
	printf("{\"t\":\"fold\",\"pid\":%u,\"unowned\":%s,\"sockets\":%llu,"
	       "\"reads\":%llu,\"bytes\":%llu,\"hist\":",
	       key->pid, unowned ? "true" : "false", (unsigned long long)f->sockets,
	       (unsigned long long)f->t.reads, (unsigned long long)f->t.bytes);
	print_hist(&f->hist[0][0]);
	printf("}\n");
	return 0;
}

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void print_kstats(const struct bs_kstats *k)
{
	printf("{\"t\":\"kstats\",\"lost_events\":%llu,\"close_folded\":%llu,"
	       "\"close_fold_unowned\":%llu,\"untracked_sockets\":%llu,"
	       "\"hist_reads_unfolded\":%llu}\n",
	       (unsigned long long)k->lost_events, (unsigned long long)k->close_folded,
	       (unsigned long long)k->close_fold_unowned,
	       (unsigned long long)k->untracked_sockets,
	       (unsigned long long)k->hist_reads_unfolded);
}

static int run_command(struct collector *c, struct dump *d, const char *cmd)
{
	double w0 = now_s(CLOCK_MONOTONIC), c0 = cpu_s();
	struct bs_kstats k;
	int err = 0;

	d->records = 0;
	if (!strcmp(cmd, "pass") || !strcmp(cmd, "final"))
		err = collector_scan(c, NULL, true, !strcmp(cmd, "final"), on_rec, d);
	else if (!strcmp(cmd, "poll"))
		err = collector_poll(c, 0, on_rec, d);
	else if (!strcmp(cmd, "folds"))
		err = collector_scan_folds(c, on_fold, d);
	else if (!strcmp(cmd, "kstats")) {
		k = collector_kstats(c);
		print_kstats(&k);
	} else
		err = -EINVAL;
	printf("{\"t\":\"done\",\"cmd\":\"%s\",\"err\":%d,\"records\":%u,"
	       "\"wall_s\":%.6f,\"cpu_s\":%.6f}\n", cmd, err, d->records,
	       now_s(CLOCK_MONOTONIC) - w0, cpu_s() - c0);
	fflush(stdout);
	return err;
}

static bool parse_attach(const char *name, enum attach_mode *mode)
{
	for (int m = ATTACH_AUTO; m <= ATTACH_TRACEPOINT; m++) {
		if (!strcmp(name, attach_mode_name((enum attach_mode)m))) {
			*mode = (enum attach_mode)m;
			return true;
		}
	}
	return false;
}

int main(int argc, char **argv)
{
	struct collector_config cfg = { .attach = ATTACH_AUTO };
	struct dump d = { 0 };
	struct collector *c;
	char line[64];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-P") && i + 1 < argc)
			cfg.port = (uint16_t)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--every-pass"))
			cfg.hist_every_pass = true;
		else if (!strcmp(argv[i], "--ringbuf") && i + 1 < argc)
			cfg.ringbuf_bytes = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--quiet"))
			d.quiet = true;
		else if (!strcmp(argv[i], "--attach") && i + 1 < argc &&
			 parse_attach(argv[++i], &cfg.attach))
			;
		else {
			fprintf(stderr, "usage: khist_dump -P PORT [--every-pass] "
				"[--ringbuf BYTES] [--attach TIER] [--quiet]\n");
			return 2;
		}
	}
	log_setup(false, false);
	log_libbpf_setup();
	if (collector_open(&c, &cfg))
		return 1;
	printf("{\"t\":\"ready\"}\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "quit"))
			break;
		if (*line)
			run_command(c, &d, line);
	}
	collector_close(c);
	return 0;
}
