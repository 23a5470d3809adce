/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `bufscope serve`'s HTTP(S) server, on libmicrohttpd: GET and HEAD
 * /metrics (the body built by the caller for each request, in the format the
 * client's Accept header asks for), a landing page at /, /-/healthy; TLS and
 * basic auth from the web config (webconfig.h). One thread per connection,
 * with a limit in all, a limit per client address and an idle timeout, so a
 * slow or hostile client holds one thread and never delays a scrape.
 */
#ifndef BUFSCOPE_HTTP_H
#define BUFSCOPE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "serve/webconfig.h"

#define HTTP_DEFAULT_LISTEN "127.0.0.1:9435"
#define HTTP_DEFAULT_MAX_CONNECTIONS 64
#define HTTP_DEFAULT_TIMEOUT_S 10

/* The exact Content-Type of each format (Prometheus 3 refuses a scrape
 * without one it knows). */
#define HTTP_CONTENT_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define HTTP_CONTENT_TYPE_OPENMETRICS \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

enum http_format { HTTP_TEXT_004, HTTP_OPENMETRICS_100 };

/*
 * Builds the /metrics body for one request, in *body (malloc'ed, freed by
 * the server) of *len bytes: 0, or -errno (the client gets a 500). Called
 * from the server's threads, maybe several at once.
 */
/* (-EAGAIN: 503, the metrics are not ready; another error: 500) */
typedef int (*http_metrics_fn)(void *ctx, enum http_format fmt, char **body, size_t *len);

struct http_config {
	/* "127.0.0.1:9435", "[::1]:9435", ":9435" (every interface, IPv4 and
	 * IPv6); port 0 picks a free port (http_port() tells). NULL: the default. */
	const char *listen;
	const struct webconfig *web;	/* NULL: plain HTTP, no auth */
	unsigned max_connections;	/* 0: HTTP_DEFAULT_MAX_CONNECTIONS */
	unsigned max_per_ip;		/* 0: a quarter of max_connections (at least 2) */
	unsigned timeout_s;		/* idle connection; 0: HTTP_DEFAULT_TIMEOUT_S */
	const char *landing_html;	/* NULL: a page linking /metrics */
};

struct http_server;

/*
 * Binds the address: 0, or -errno with one printable line in err (a bad
 * address, the port in use, a certificate that does not load...). Clients
 * may connect at once; they are answered once http_serve has started the
 * server's threads. The web config, if any, must outlive the server.
 */
int http_open(struct http_server **out, const struct http_config *cfg, http_metrics_fn fn,
	      void *ctx, char *err, size_t errlen);

/* Starts answering (the server's threads): 0, or -errno with err. The
 * threads are made here, so they have the caller's capabilities then. */
int http_serve(struct http_server *s, char *err, size_t errlen);

/* http_open and http_serve at once. */
int http_start(struct http_server **out, const struct http_config *cfg, http_metrics_fn fn,
	       void *ctx, char *err, size_t errlen);

/* The port the server listens on (the one chosen when the config gave 0). */
uint16_t http_port(const struct http_server *s);

/* Stops serving (open connections are closed) and frees s; NULL is fine. */
void http_stop(struct http_server *s);

/* The format an Accept header asks for: OpenMetrics 1.0.0 when its media
 * type (version 1.0.0 or none) has the highest q-value (q=0 excluded, the
 * first on a tie), else the text format 0.0.4. NULL: the text format. */
enum http_format http_negotiate(const char *accept);
/* Whether an Accept-Encoding header accepts gzip (its q above 0). */
bool http_wants_gzip(const char *accept_encoding);

/* What a request asks for, once its client passed auth. */
enum http_endpoint { HTTP_EP_NONE, HTTP_EP_METRICS, HTTP_EP_LANDING, HTTP_EP_HEALTHY };
/* A request's status by its method and path: 200 with *ep, 404 (no such
 * path, whatever the method) or 405 (a method other than GET and HEAD). */
unsigned http_route(const char *method, const char *url, enum http_endpoint *ep);

/* A listen address, as http_parse_listen reads it. */
struct http_listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool any;	/* ":PORT": every interface */
};
/* "ADDRESS:PORT" (numeric; see http_config.listen): 0, or -EINVAL with one
 * printable line in err. */
int http_parse_listen(const char *s, struct http_listen_addr *a, char *err, size_t errlen);

#endif
