// SPDX-License-Identifier: GPL-2.0
/*
 * `bufscope serve`: a Prometheus exporter. The engine runs as for top, its
 * passes feeding the exporter (src/serve/exporter.c); an HTTP server
 * (src/serve/http.c, its own threads) answers scrapes. A scrape asks the
 * engine for a pass and waits for it, so what it gets is fresh; scrapes
 * that come together share one pass. Once attached, serve gives up every
 * capability its passes do not use, before the HTTP threads exist.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd/cmd.h"
#include "kernel/collector.h"
#include "serve/exporter.h"
#include "serve/http.h"
#include "serve/webconfig.h"
#include "util/caps.h"
#include "util/log.h"
#include "workload.h"

#define SERVE_LISTEN "127.0.0.1:9435"
/* Passes between scrapes: closed sockets leave the model this often. */
#define SERVE_INTERVAL_S 5.0
/* A scrape waits this long for its pass, then takes the last one's. */
#define SCRAPE_WAIT_S 5.0

struct serve {
	const struct options *opt;
	struct exporter *x;
	struct http_server *http;
	pthread_mutex_t lock;
	pthread_cond_t passed;	/* a pass ended, or the run is over
				 * (CLOCK_MONOTONIC) */
	struct engine *e;	/* NULL: not attached yet, or the run is over */
	bool over;		/* the run is over */
	uint64_t served;	/* requests the last pass answered */
	const char *listen;	/* where, for the log */
	bool tls;
};

/* An HTTP thread: a pass, then the exposition. */
static int metrics(void *ctx, enum http_format fmt, char **body, size_t *len)
{
	struct serve *s = ctx;
	unsigned long long t0 = wl_mono_ns();
	struct timespec until;
	uint64_t ticket;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)SCRAPE_WAIT_S;
	pthread_mutex_lock(&s->lock);
	/* (the server answers once attached: a scrape made while bufscope
	 * attaches waits in the listen queue) */
	if (!s->e) {	/* the run is over: 503 */
		pthread_mutex_unlock(&s->lock);
		return -EAGAIN;
	}
	ticket = engine_request_pass(s->e);
	while (s->e && !s->over && s->served < ticket)
		if (pthread_cond_timedwait(&s->passed, &s->lock, &until) == ETIMEDOUT) {
			log_warn("a scrape waited %.0f s for its pass: it has the last one's",
				 SCRAPE_WAIT_S);
			break;
		}
	pthread_mutex_unlock(&s->lock);
	return exporter_render(s->x, fmt == HTTP_OPENMETRICS_100,
			       (double)(wl_mono_ns() - t0) / 1e9, body, len);
}

/*
 * Attached: what is left to do needs a few capabilities, and the HTTP server
 * (the part that talks to the network) needs none. The others are given up
 * before its threads are made, so that none of them has any.
 */
static int drop_capabilities(void)
{
	uint64_t keep = collector_caps_after_attach(), eff, perm;
	char err[160], names[160];

	if (caps_limit(keep, err, sizeof(err))) {
		log_error(NULL, "%s", err);
		return -1;
	}
	if (!caps_get(&eff, &perm))
		log_info("capabilities kept after attaching: %s",
			 eff ? caps_names(eff, names, sizeof(names)) : "none");
	return 0;
}

static int serve_start(void *ctx, struct engine *e)
{
	struct serve *s = ctx;
	char err[512];

	if (exporter_start(s->x, e) || drop_capabilities())
		return -1;
	pthread_mutex_lock(&s->lock);
	s->e = e;
	pthread_mutex_unlock(&s->lock);
	if (http_serve(s->http, err, sizeof(err))) {
		log_error(NULL, "%s", err);
		return -1;
	}
	log_info("serving metrics on %s://%s/metrics", s->tls ? "https" : "http",
		 s->listen);
	return 0;
}

static int serve_pass(void *ctx, struct engine *e, double elapsed_s)
{
	struct serve *s = ctx;
	int err = exporter_pass(s->x, e);

	(void)elapsed_s;
	pthread_mutex_lock(&s->lock);
	s->served = engine_requests_served(e);
	pthread_cond_broadcast(&s->passed);
	pthread_mutex_unlock(&s->lock);
	return err;
}

/*
 * The engine is about to go, however the run ended: no scrape may wait on
 * it or use what it owns (the hooks, the drop reasons the exposition
 * names) any more; http_stop waits for the scrapes being answered.
 */
static void serve_stop(void *ctx)
{
	struct serve *s = ctx;

	pthread_mutex_lock(&s->lock);
	s->e = NULL;
	s->over = true;
	pthread_cond_broadcast(&s->passed);
	pthread_mutex_unlock(&s->lock);
	http_stop(s->http);
	s->http = NULL;
}

static const char landing[] =
	"<!DOCTYPE html><html><head><title>bufscope</title></head><body>"
	"<h1>bufscope</h1><p>TCP receive queues, reads and zero windows, per "
	"process, cgroup and port.</p><p><a href=\"/metrics\">/metrics</a></p>"
	"</body></html>\n";

static int run(const struct options *opt)
{
	struct exporter_config xc = {
		.labels = LABELS_DEFAULT,
		.max_series = opt->max_series ? opt->max_series : EXPORTER_MAX_SERIES,
	};
	struct serve s = { .opt = opt };
	struct http_config hc = {
		.listen = opt->listen ? opt->listen : SERVE_LISTEN,
		.landing_html = landing,
	};
	struct sink sink = {
		.ctx = &s, .on_start = serve_start, .on_pass = serve_pass,
		.on_stop = serve_stop,
	};
	struct engine_config cfg;
	struct webconfig web;
	pthread_condattr_t ca;
	char err[512];
	int status;

	if (opt->labels && labels_parse(opt->labels, &xc.labels, err, sizeof(err))) {
		log_error("e.g. --labels process,port", "%s", err);
		return 2;
	}
	/* the whole file is checked before anything is attached */
	if (opt->web_config) {
		if (webconfig_load(opt->web_config, &web, err, sizeof(err))) {
			log_error(WEBCONFIG_HINT, "%s", err);
			return 2;
		}
		hc.web = &web;
	}
	s.x = exporter_new(&xc);
	if (!s.x) {
		log_error(NULL, "out of memory");
		status = 1;
		goto free_web;
	}
	pthread_mutex_init(&s.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s.passed, &ca);
	pthread_condattr_destroy(&ca);
	/* bound before attaching: a port taken fails at once; answered once
	 * attached (serve_start), scrapes waiting in the listen queue */
	if (http_open(&s.http, &hc, metrics, &s, err, sizeof(err))) {
		log_error(NULL, "%s", err);
		status = 2;
		goto out;
	}
	s.listen = hc.listen;
	s.tls = hc.web && hc.web->tls;
	cmd_engine_config(opt, &cfg);
	cfg.interval_s = opt->interval_given ? opt->interval_s : SERVE_INTERVAL_S;
	cfg.kernel.ringbuf_bytes = CMD_RINGBUF;
	/* every pass gives each changed socket's histograms */
	cfg.kernel.hist_every_pass = true;
	status = engine_run(&cfg, &sink, 1);
	serve_stop(&s);		/* if it ended before on_start */
out:
	pthread_cond_destroy(&s.passed);
	pthread_mutex_destroy(&s.lock);
	exporter_free(s.x);
free_web:
	if (hc.web)
		webconfig_free(&web);
	return status;
}

const struct cmd cmd_serve = {
	.name = "serve",
	.summary = "a Prometheus/OpenMetrics exporter: counts per process, cgroup and port",
	.examples =
		"  bufscope serve                      metrics on http://127.0.0.1:9435/metrics\n"
		"  bufscope serve --listen :9435       on every interface (an explicit choice)\n"
		"  bufscope serve -P 443 --labels process,port\n"
		"                                      port 443's sockets, two labels only\n",
	.options_help =
		"serve options:\n"
		"  --listen ADDR:PORT       where to serve (default " SERVE_LISTEN ");\n"
		"                           :PORT listens on every interface\n"
		"  --web.config.file FILE   TLS and basic auth, in the Prometheus\n"
		"                           exporter-toolkit format (docs/serve.md)\n"
		"  --labels LIST            labels of the series, of: process, cgroup,\n"
		"                           container, port (the default four), pid,\n"
		"                           peer, local_port\n"
		"  --max-series N           label sets kept (default 1000); the rest\n"
		"                           are counted in one set labelled \"other\"\n"
		"  (each scrape takes its own pass of the sockets first)\n",
	.own_long = (1u << (OPT_LISTEN - OPT_LIST)) | (1u << (OPT_WEB_CONFIG - OPT_LIST)) |
		    (1u << (OPT_LABELS - OPT_LIST)) | (1u << (OPT_MAX_SERIES - OPT_LIST)),
	.refused_options = "o",
	.shared_note = "serve writes no table and no JSON: -o does not apply; -i is the\n"
		       "time between passes when nobody scrapes, default 5 s",
	.run = run,
};
