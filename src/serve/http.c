// SPDX-License-Identifier: GPL-2.0
/* serve's HTTP server: a first version (GET /metrics), to be completed. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve/http.h"

struct http_server {
	struct MHD_Daemon *d;
	http_metrics_fn fn;
	void *ctx;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_len, void **state)
{
	struct http_server *s = cls;
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	bool om = accept && strstr(accept, "application/openmetrics-text");
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *body;
	size_t len;
	unsigned status = MHD_HTTP_OK;

	(void)version; (void)upload; (void)upload_len; (void)state;
	if (strcmp(method, "GET") || strcmp(url, "/metrics")) {
		r = MHD_create_response_from_buffer(10, (void *)"not found\n",
						    MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(c, MHD_HTTP_NOT_FOUND, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (s->fn(s->ctx, om ? HTTP_OPENMETRICS_100 : HTTP_TEXT_004, &body, &len)) {
		body = strdup("error\n");
		len = body ? 6 : 0;
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
				   : "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

int http_start(struct http_server **out, const struct http_config *cfg,
	       http_metrics_fn fn, void *ctx, char *err, size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *colon = strrchr(cfg->listen, ':');
	char host[64];

	if (!s || !colon || (size_t)(colon - cfg->listen) >= sizeof(host)) {
		snprintf(err, errlen, "bad listen address");
		free(s);
		return -EINVAL;
	}
	memcpy(host, cfg->listen, colon - cfg->listen);
	host[colon - cfg->listen] = 0;
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "bad listen address");
		free(s);
		return -EINVAL;
	}
	s->fn = fn;
	s->ctx = ctx;
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				0, NULL, NULL, answer, s,
				MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_CONNECTION_LIMIT, 32u,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!s->d) {
		snprintf(err, errlen, "cannot listen on %s", cfg->listen);
		free(s);
		return -EADDRINUSE;
	}
	*out = s;
	return 0;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
