/* SPDX-License-Identifier: GPL-2.0 */
/* serve's HTTP server (libmicrohttpd): a first version, /metrics only. */
#ifndef BUFSCOPE_HTTP_H
#define BUFSCOPE_HTTP_H

#include <stddef.h>

struct webconfig;
struct http_server;

enum http_format { HTTP_TEXT_004, HTTP_OPENMETRICS_100 };

/* The /metrics body of one request (any thread); *body malloc'ed. */
typedef int (*http_metrics_fn)(void *ctx, enum http_format fmt, char **body,
			       size_t *len);

struct http_config {
	const char *listen;		/* "127.0.0.1:9435" */
	const struct webconfig *web;	/* NULL: plain HTTP, no auth */
	unsigned max_connections, timeout_s;
	const char *landing_html;
};

int http_start(struct http_server **out, const struct http_config *cfg,
	       http_metrics_fn fn, void *ctx, char *err, size_t errlen);
void http_stop(struct http_server *s);

#endif
