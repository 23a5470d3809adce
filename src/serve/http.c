// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP server of `bufscope serve` (http.h). libmicrohttpd parses HTTP
 * and speaks TLS (GnuTLS); this file binds the socket itself (for precise
 * errors: which address, port in use), routes, negotiates the format and
 * checks auth. Built without libmicrohttpd (BUFSCOPE_NO_HTTP, the static
 * binary: GnuTLS has no static build on Debian), http_open says so.
 */
#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve/http.h"
#include "util/sanitize.h"

/* ---- Accept negotiation (also in the static build: no library) ---- */

/* One element of a comma-separated header: its type and the parameters we
 * look at, lower-cased; q in thousandths. */
struct media {
	char type[96];
	char version[32];
	int q;
	bool valid;
};

static void trim_copy(char *dst, size_t len, const char *s, size_t n)
{
	size_t i = 0;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	for (; i < n && i + 1 < len; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[i] = 0;
}

/* "0", "0.5", "1.000": thousandths, or -1 when not a q-value (RFC 9110). */
static int parse_q(const char *v)
{
	int q, scale = 100;

	if ((v[0] != '0' && v[0] != '1') || (v[1] && v[1] != '.'))
		return -1;
	q = (v[0] - '0') * 1000;
	for (const char *c = v + (v[1] ? 2 : 1); *c; c++, scale /= 10) {
		if (!isdigit((unsigned char)*c) || !scale)
			return -1;
		q += (*c - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/* Parses the element [s, s+n) into *m. */
static void parse_media(const char *s, size_t n, struct media *m)
{
	const char *end = s + n, *semi;

	memset(m, 0, sizeof(*m));
	m->q = 1000;
	semi = memchr(s, ';', n);
	trim_copy(m->type, sizeof(m->type), s, (semi ? semi : end) - s);
	m->valid = m->type[0] != 0;
	while (semi) {
		const char *p = semi + 1, *eq;
		char name[16], value[32];

		semi = memchr(p, ';', end - p);
		eq = memchr(p, '=', (semi ? semi : end) - p);
		if (!eq)
			continue;
		trim_copy(name, sizeof(name), p, eq - p);
		trim_copy(value, sizeof(value), eq + 1, (semi ? semi : end) - eq - 1);
		if (!strcmp(name, "q"))
			m->q = parse_q(value);
		else if (!strcmp(name, "version"))
			snprintf(m->version, sizeof(m->version), "%s", value);
	}
	if (m->q < 0)
		m->valid = false;
}

/* Calls fn on each element of a comma-separated header. */
static void each_media(const char *h, void (*fn)(const struct media *m, void *arg), void *arg)
{
	while (h && *h) {
		const char *comma = strchr(h, ',');
		size_t n = comma ? (size_t)(comma - h) : strlen(h);
		struct media m;

		parse_media(h, n, &m);
		if (m.valid)
			fn(&m, arg);
		h = comma ? comma + 1 : NULL;
	}
}

struct pick {
	enum http_format best;
	int best_q;
};

static void pick_format(const struct media *m, void *arg)
{
	struct pick *p = arg;
	int kind = -1;

	if (!strcmp(m->type, "application/openmetrics-text") &&
	    (!m->version[0] || !strcmp(m->version, "1.0.0")))
		kind = HTTP_OPENMETRICS_100;
	else if ((!strcmp(m->type, "text/plain") &&
		  (!m->version[0] || !strcmp(m->version, "0.0.4"))) ||
		 !strcmp(m->type, "text/*") || !strcmp(m->type, "*/*"))
		kind = HTTP_TEXT_004;
	if (kind >= 0 && m->q > p->best_q) {
		p->best_q = m->q;
		p->best = kind;
	}
}

enum http_format http_negotiate(const char *accept)
{
	struct pick p = { HTTP_TEXT_004, 0 };

	each_media(accept, pick_format, &p);
	return p.best_q > 0 ? p.best : HTTP_TEXT_004;
}

static void pick_gzip(const struct media *m, void *arg)
{
	if ((!strcmp(m->type, "gzip") || !strcmp(m->type, "x-gzip")) && m->q > 0)
		*(bool *)arg = true;
}

bool http_wants_gzip(const char *accept_encoding)
{
	bool want = false;

	each_media(accept_encoding, pick_gzip, &want);
	return want;
}

/* ---- routing (pure, so that tests/fuzz drives it without a server) ---- */

unsigned http_route(const char *method, const char *url, enum http_endpoint *ep)
{
	*ep = HTTP_EP_NONE;
	if (!strcmp(url, "/metrics"))
		*ep = HTTP_EP_METRICS;
	else if (!strcmp(url, "/"))
		*ep = HTTP_EP_LANDING;
	else if (!strcmp(url, "/-/healthy"))
		*ep = HTTP_EP_HEALTHY;
	if (*ep == HTTP_EP_NONE)
		return 404;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		*ep = HTTP_EP_NONE;
		return 405;
	}
	return 200;
}

/* ---- the listen address (also in the static build: no library) ---- */

static int bad_listen(const char *s, char *err, size_t errlen)
{
	char shown[128];

	sanitize_text(shown, sizeof(shown), s, strlen(s));
	snprintf(err, errlen, "listen address '%s': not ADDRESS:PORT (e.g. 127.0.0.1:9435, "
		 "[::1]:9435, or :9435 for every interface; numeric addresses only)", shown);
	return -EINVAL;
}

int http_parse_listen(const char *s, struct http_listen_addr *a, char *err, size_t errlen)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2], *endp;
	size_t hlen;
	unsigned long port;

	memset(a, 0, sizeof(*a));
	if (!colon || !colon[1] || !isdigit((unsigned char)colon[1]))
		return bad_listen(s, err, errlen);
	errno = 0;
	port = strtoul(colon + 1, &endp, 10);
	if (*endp || errno || port > 65535)
		return bad_listen(s, err, errlen);
	hlen = colon - s;
	if (hlen >= sizeof(host))
		return bad_listen(s, err, errlen);
	memcpy(host, s, hlen);
	host[hlen] = 0;
	if (!hlen) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;

		a->any = true;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_any;
		in6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*in6);
	} else if (host[0] == '[' && host[hlen - 1] == ']') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;

		host[hlen - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return bad_listen(s, err, errlen);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return bad_listen(s, err, errlen);
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		a->len = sizeof(*in);
	}
	return 0;
}

#ifdef BUFSCOPE_NO_HTTP

struct http_server {
	int unused;
};

int http_open(struct http_server **out, const struct http_config *cfg, http_metrics_fn fn,
	      void *ctx, char *err, size_t errlen)
{
	(void)cfg, (void)fn, (void)ctx;
	*out = NULL;
	snprintf(err, errlen, "serve is not built into this static binary; use the "
		 "dynamic one");
	return -ENOTSUP;
}

int http_serve(struct http_server *s, char *err, size_t errlen)
{
	(void)s;
	snprintf(err, errlen, "serve is not built into this static binary");
	return -ENOTSUP;
}

uint16_t http_port(const struct http_server *s)
{
	(void)s;
	return 0;
}

void http_stop(struct http_server *s)
{
	(void)s;
}

#else /* !BUFSCOPE_NO_HTTP */

static int bind_error(const char *shown, int e, uint16_t port, char *err, size_t errlen)
{
	if (e == EADDRINUSE)
		snprintf(err, errlen, "listen address %s: port %u is in use (another bufscope "
			 "serve or exporter? `ss -ltnp 'sport = :%u'` shows which; choose "
			 "another port with --listen)", shown, port, port);
	else if (e == EACCES)
		snprintf(err, errlen, "listen address %s: permission denied (a port below "
			 "1024 needs CAP_NET_BIND_SERVICE; 9435 is bufscope's)", shown);
	else if (e == EADDRNOTAVAIL)
		snprintf(err, errlen, "listen address %s: not an address of this host "
			 "(`ip addr` lists them; :%u listens on all)", shown, port);
	else
		snprintf(err, errlen, "listen address %s: %s", shown, strerror(e));
	return -e;
}

/* A bound, listening socket for the address, in *fd; its port in *port. */
static int open_listener(const char *text, struct http_listen_addr *a, int *fd, uint16_t *port,
			 char *err, size_t errlen)
{
	char shown[128];
	int s, one = 1, zero = 0, e;
	uint16_t want = ntohs(((struct sockaddr_in *)&a->ss)->sin_port);

	sanitize_text(shown, sizeof(shown), text, strlen(text));
	s = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 && a->any && errno == EAFNOSUPPORT) {
		/* no IPv6 in this kernel: every IPv4 interface */
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;

		memset(&a->ss, 0, sizeof(a->ss));
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		in->sin_port = htons(want);
		a->len = sizeof(*in);
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	if (s < 0) {
		e = errno;
		snprintf(err, errlen, "listen address %s: socket: %s", shown, strerror(e));
		return -e;
	}
	/* a restart binds again while the last run's connections are in TIME_WAIT */
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->any && a->ss.ss_family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(s, (struct sockaddr *)&a->ss, a->len) || listen(s, 64)) {
		e = errno;
		close(s);
		return bind_error(shown, e, want, err, errlen);
	}
	a->len = sizeof(a->ss);
	if (getsockname(s, (struct sockaddr *)&a->ss, &a->len)) {
		e = errno;
		close(s);
		snprintf(err, errlen, "listen address %s: getsockname: %s", shown, strerror(e));
		return -e;
	}
	*port = ntohs(((struct sockaddr_in *)&a->ss)->sin_port);
	*fd = s;
	return 0;
}


#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <zlib.h>

#include "util/log.h"

#define REALM "bufscope"
#define ALLOW "GET, HEAD"
/* A request body (no endpoint takes one) up to this long is read and
 * dropped, so the connection stays open; a longer one closes it. */
#define BODY_DISCARD_MAX (64 * 1024)
/* Below this, gzip saves less than it costs. */
#define GZIP_MIN 1024

static const char default_landing[] =
	"<!DOCTYPE html>\n"
	"<html><head><meta charset=\"utf-8\"><title>bufscope</title></head>\n"
	"<body><h1>bufscope</h1>\n"
	"<p>Receive-buffer and TCP flow-control metrics of this host.</p>\n"
	"<ul><li><a href=\"metrics\">metrics</a></li>\n"
	"<li><a href=\"-/healthy\">health</a></li></ul>\n"
	"</body></html>\n";

struct http_server {
	struct MHD_Daemon *daemon;	/* NULL until http_serve */
	http_metrics_fn fn;
	void *ctx;
	const struct webconfig *web;
	char *landing;
	uint16_t port;
	int fd;				/* the listening socket, bound */
	bool v6;
	struct http_config cfg;		/* its limits, for http_serve */
};

/* The content type and the config's extra headers (http_server_config). */
static void add_headers(const struct http_server *s, struct MHD_Response *resp,
			const char *ctype)
{
	if (ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	for (size_t i = 0; s->web && i < s->web->n_headers; i++)
		MHD_add_response_header(resp, s->web->headers[i].name, s->web->headers[i].value);
}

/* Queues resp with the config's extra headers and the content type. */
static enum MHD_Result respond(struct http_server *s, struct MHD_Connection *c,
			    unsigned status, struct MHD_Response *resp, const char *ctype)
{
	enum MHD_Result r;

	if (!resp)
		return MHD_NO;
	add_headers(s, resp, ctype);
	r = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static struct MHD_Response *static_body(const char *body)
{
	return MHD_create_response_from_buffer(strlen(body), (void *)body,
					       MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result send_text(struct http_server *s, struct MHD_Connection *c,
				 unsigned status, const char *body)
{
	return respond(s, c, status, static_body(body), "text/plain; charset=utf-8");
}

/* Whether the client's certificate passes client_auth_type; when not, the
 * reason in *why. */
static bool client_cert_ok(const struct webconfig *w, struct MHD_Connection *c,
			   const char **why)
{
	/* the certificate's extended key usage must allow clientAuth (or any
	 * purpose), as Go's crypto/tls asks; none at all allows every purpose.
	 * Without it, a server certificate the same CA signed would pass. */
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
					  (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0 };
	const union MHD_ConnectionInfo *ci;
	unsigned status = 0;
	int r;

	if (!w || !w->tls || w->client_auth == WEBCONFIG_NO_CLIENT_CERT)
		return true;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session) {
		*why = "no TLS session\n";
		return false;
	}
	r = gnutls_certificate_verify_peers((gnutls_session_t)ci->tls_session, &purpose, 1,
					    &status);
	if (r == GNUTLS_E_NO_CERTIFICATE_FOUND) {
		*why = "a client certificate is required\n";
		return w->client_auth == WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN;
	}
	if (r == 0 && status == (GNUTLS_CERT_INVALID | GNUTLS_CERT_PURPOSE_MISMATCH)) {
		*why = "the client certificate is not for client authentication (its "
			"extended key usage lacks clientAuth)\n";
		return false;
	}
	if (r < 0 || status) {
		*why = "the client certificate does not verify against the client CA "
			"(not signed by it, or expired)\n";
		return false;
	}
	return true;
}

/* Basic auth when the config has users: true when it passes. */
static bool basic_ok(const struct webconfig *w, struct MHD_Connection *c)
{
	char *user, *pass = NULL;
	bool ok;

	if (!webconfig_has_users(w))
		return true;
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = user && pass && webconfig_check_basic(w, user, pass);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ok;
}

/* body gzip-compressed into *out (malloc'ed): 0, or -1 (send it plain). */
static int gzip(const char *body, size_t len, char **out, size_t *outlen)
{
	z_stream z = { 0 };
	uLong cap;
	char *buf;

	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	cap = deflateBound(&z, len);
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)body;
	z.avail_in = len;
	z.next_out = (Bytef *)buf;
	z.avail_out = cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(buf);
		return -1;
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	*out = buf;
	return 0;
}

static enum MHD_Result send_metrics(struct http_server *s, struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	const char *enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_ACCEPT_ENCODING);
	enum http_format fmt = http_negotiate(accept);
	struct MHD_Response *resp;
	char *body = NULL, *z;
	size_t len = 0, zlen;
	bool want_gzip = false;
	int r;

	r = s->fn(s->ctx, fmt, &body, &len);
	if (r < 0 || !body) {
		char msg[160];

		free(body);
		snprintf(msg, sizeof(msg), "bufscope: cannot build the metrics: %s\n",
			 strerror(r < 0 ? -r : EIO));
		log_warn("scrape: cannot build the metrics: %s", strerror(r < 0 ? -r : EIO));
		/* -EAGAIN: not ready (yet, or any more): try later */
		return respond(s, c, r == -EAGAIN ? MHD_HTTP_SERVICE_UNAVAILABLE
						  : MHD_HTTP_INTERNAL_SERVER_ERROR,
			    MHD_create_response_from_buffer(strlen(msg), msg,
							    MHD_RESPMEM_MUST_COPY),
			    "text/plain; charset=utf-8");
	}
	want_gzip = http_wants_gzip(enc);
	if (want_gzip && len >= GZIP_MIN && !gzip(body, len, &z, &zlen)) {
		free(body);
		body = z;
		len = zlen;
	} else {
		want_gzip = false;
	}
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (want_gzip)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return respond(s, c, MHD_HTTP_OK, resp, fmt == HTTP_OPENMETRICS_100 ?
		    HTTP_CONTENT_TYPE_OPENMETRICS : HTTP_CONTENT_TYPE_TEXT);
}

/* Answers a request whole (its body, if any, read or not): auth, route. */
static enum MHD_Result answer(struct http_server *s, struct MHD_Connection *c,
			      const char *url, const char *method)
{
	const char *why = NULL;
	enum http_endpoint ep;
	unsigned status;

	/* auth first, on every path, as the exporter-toolkit does */
	if (!client_cert_ok(s->web, c, &why))
		return send_text(s, c, MHD_HTTP_FORBIDDEN, why);
	if (!basic_ok(s->web, c)) {
		struct MHD_Response *resp = static_body("Unauthorized\n");
		enum MHD_Result r;

		if (!resp)
			return MHD_NO;
		add_headers(s, resp, "text/plain; charset=utf-8");
		r = MHD_queue_basic_auth_fail_response(c, REALM, resp);
		MHD_destroy_response(resp);
		return r;
	}
	status = http_route(method, url, &ep);
	if (status == MHD_HTTP_NOT_FOUND)
		return send_text(s, c, MHD_HTTP_NOT_FOUND, "404 page not found\n");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
		struct MHD_Response *resp = static_body("405 method not allowed (GET, HEAD)\n");

		if (resp)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, ALLOW);
		return respond(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, resp, "text/plain; charset=utf-8");
	}
	/* HEAD: libmicrohttpd sends the same headers, Content-Length
	 * included, and no body */
	if (ep == HTTP_EP_METRICS)
		return send_metrics(s, c);
	if (ep == HTTP_EP_HEALTHY)
		return send_text(s, c, MHD_HTTP_OK, "OK");
	return respond(s, c, MHD_HTTP_OK, static_body(s->landing), "text/html; charset=utf-8");
}

/* Whether the request announces a body bufscope does not read through:
 * longer than BODY_DISCARD_MAX, or chunked (of no announced length). */
static bool body_too_long(struct MHD_Connection *c)
{
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return true;
	if (!len)
		return false;
	errno = 0;
	n = strtoull(len, &end, 10);
	return errno || *end || n > BODY_DISCARD_MAX;
}

/* libmicrohttpd calls this once with the headers, once per piece of the
 * body, and once more when the request is whole. A response queued at the
 * first call is "early" to it (0.9.75), even for a request with no body,
 * and it closes the connection after it (Connection: close): so the first
 * call only marks the request (*req) and the answer comes with the last,
 * which keeps the connection open for Prometheus' next scrape. A
 * body (no endpoint takes one) is read and dropped; one longer than
 * BODY_DISCARD_MAX is answered at once instead, and the connection closed. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **req)
{
	static char seen;	/* the mark: the headers' call is done */

	(void)version, (void)upload;
	if (!*req) {
		*req = &seen;
		if (!body_too_long(c))
			return MHD_YES;
	} else if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	return answer(cls, c, url, method);
}

/* libmicrohttpd's messages (a failed handshake, a client over the limit)
 * with -v: printable, they may hold what a client sent. */
static void on_log(void *cls, const char *fmt, va_list ap)
{
	char raw[512], shown[512];
	size_t n;

	(void)cls;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	n = strlen(raw);
	while (n && (raw[n - 1] == '\n' || raw[n - 1] == '\r'))
		raw[--n] = 0;
	sanitize_text(shown, sizeof(shown), raw, n);
	log_debug("http: %s", shown);
}

/* The certificate and key load and match, the CA holds a certificate:
 * checked here with GnuTLS for a clear error (libmicrohttpd only fails). */
static int check_tls(const struct webconfig *w, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert = { (unsigned char *)w->cert_pem, strlen(w->cert_pem) };
	gnutls_datum_t key = { (unsigned char *)w->key_pem, strlen(w->key_pem) };
	int r;

	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		snprintf(err, errlen, "TLS: out of memory");
		return -ENOMEM;
	}
	r = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		snprintf(err, errlen, "%.200s: tls_server_config: the certificate and key do "
			 "not load as a PEM pair that matches: %s", w->path, gnutls_strerror(r));
	} else if (w->client_ca_pem) {
		gnutls_datum_t ca = { (unsigned char *)w->client_ca_pem,
				      strlen(w->client_ca_pem) };

		r = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			snprintf(err, errlen, "%.200s: tls_server_config: the client CA holds "
				 "no PEM certificate%s%s", w->path, r < 0 ? ": " : "",
				 r < 0 ? gnutls_strerror(r) : "");
			r = -1;
		}
	}
	gnutls_certificate_free_credentials(cred);
	if (r < 0) {
		char shown[512];

		sanitize_text(shown, errlen < sizeof(shown) ? errlen : sizeof(shown), err,
			      strlen(err));
		snprintf(err, errlen, "%s", shown);
		return -EINVAL;
	}
	return 0;
}

static unsigned or_default(unsigned v, unsigned def)
{
	return v ? v : def;
}

static struct MHD_Daemon *start_daemon(struct http_server *s, const struct http_config *cfg,
				       int fd, bool v6, char *prio, size_t priolen)
{
	const struct webconfig *w = cfg->web;
	unsigned max = or_default(cfg->max_connections, HTTP_DEFAULT_MAX_CONNECTIONS);
	unsigned per_ip = or_default(cfg->max_per_ip, max / 4 > 2 ? max / 4 : 2);
	struct MHD_OptionItem opts[12];
	/* ITC: a connection's thread wakes the listener when it ends, so its
	 * slot (and its address's) is free for the next connection; without it
	 * the slot was freed only after the next connection was refused. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
		MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	int n = 0;

	/* the logger first, or libmicrohttpd prints the other options' errors itself */
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
		(intptr_t)on_log, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, max, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
		or_default(cfg->timeout_s, HTTP_DEFAULT_TIMEOUT_S), NULL };
	if (w && w->tls) {
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, w->cert_pem };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, w->key_pem };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
			(void *)webconfig_tls_priorities(w, prio, priolen) };
		if (w->client_ca_pem)
			opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
				w->client_ca_pem };
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

int http_open(struct http_server **out, const struct http_config *cfg, http_metrics_fn fn,
	      void *ctx, char *err, size_t errlen)
{
	const char *text = cfg->listen ? cfg->listen : HTTP_DEFAULT_LISTEN;
	struct http_listen_addr a;
	struct http_server *s;
	int r;

	*out = NULL;
	r = http_parse_listen(text, &a, err, errlen);
	if (r)
		return r;
	if (cfg->web && cfg->web->tls && (r = check_tls(cfg->web, err, errlen)))
		return r;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->landing = strdup(cfg->landing_html ? cfg->landing_html :
					default_landing))) {
		free(s);
		snprintf(err, errlen, "HTTP server: out of memory");
		return -ENOMEM;
	}
	s->fn = fn;
	s->ctx = ctx;
	s->web = cfg->web;
	s->cfg = *cfg;
	s->v6 = a.ss.ss_family == AF_INET6;
	r = open_listener(text, &a, &s->fd, &s->port, err, errlen);
	if (r) {
		free(s->landing);
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

int http_serve(struct http_server *s, char *err, size_t errlen)
{
	sigset_t all, old;
	char prio[128];

	/* the server's threads inherit a mask with every signal blocked: the
	 * caller's signals (SIGINT, SIGTERM, a signalfd's) go to its threads */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	s->daemon = start_daemon(s, &s->cfg, s->fd, s->v6, prio, sizeof(prio));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->daemon) {
		snprintf(err, errlen, "the HTTP server (libmicrohttpd) did not start; "
			 "-v shows its message");
		return -EIO;
	}
	return 0;
}

uint16_t http_port(const struct http_server *s)
{
	return s ? s->port : 0;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	/* closes the listening socket and every connection, joins the threads */
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	else
		close(s->fd);
	free(s->landing);
	free(s);
}

#endif /* BUFSCOPE_NO_HTTP */

int http_start(struct http_server **out, const struct http_config *cfg, http_metrics_fn fn,
	       void *ctx, char *err, size_t errlen)
{
	int r = http_open(out, cfg, fn, ctx, err, errlen);

	if (!r && (r = http_serve(*out, err, errlen))) {
		http_stop(*out);
		*out = NULL;
	}
	return r;
}
