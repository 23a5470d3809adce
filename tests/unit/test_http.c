// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/serve/http.c: a server on 127.0.0.1 (a free port) with a
 * stub metrics function, spoken to with plain sockets (every byte of the
 * reply checked) and, for TLS, with curl and a certificate openssl makes in
 * a temporary directory. No root needed.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <crypt.h>
#include <dirent.h>
#include <signal.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <zlib.h>
#include <cmocka.h>

#include "testcrypt.h"
#include "testdir.h"

#include "serve/http.h"
#include "serve/webconfig.h"

#define UNUSED __attribute__((unused))

/* Prometheus 2.42's scrape Accept header, as it sends it. */
#define PROM_ACCEPT "application/openmetrics-text;version=1.0.0,application/openmetrics-text;" \
	"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
#define TEXT_BODY "# TYPE bufscope_test_total counter\nbufscope_test_total 1\n"
#define OM_BODY "# TYPE bufscope_test counter\nbufscope_test_total 1\n# EOF\n"

/* ---- the stub metrics function ---- */

struct stub {
	atomic_int calls;
	int delay_ms;	/* a slow scrape */
	int fail;	/* -errno to return */
	size_t big;	/* lines of filler (gzip) */
};

static int stub_metrics(void *ctx, enum http_format fmt, char **body, size_t *len)
{
	struct stub *st = ctx;
	const char *b = fmt == HTTP_OPENMETRICS_100 ? OM_BODY : TEXT_BODY;
	size_t n = strlen(b);

	atomic_fetch_add(&st->calls, 1);
	if (st->delay_ms)
		usleep(st->delay_ms * 1000);
	if (st->fail)
		return st->fail;
	*body = malloc(n + st->big * 40 + 1);
	if (!*body)
		return -ENOMEM;
	memcpy(*body, b, n);
	for (size_t i = 0; i < st->big; i++)
		n += sprintf(*body + n, "bufscope_filler{n=\"%08zu\"} %zu\n", i, i);
	*len = n;
	return 0;
}

static struct http_server *start(const struct http_config *cfg, struct stub *st)
{
	struct http_server *s = NULL;
	char err[512] = "";
	int r = http_start(&s, cfg, stub_metrics, st, err, sizeof(err));

	if (r)
		fail_msg("http_start: %d %s", r, err);
	assert_non_null(s);
	assert_true(http_port(s) > 0);
	return s;
}

static struct http_server *start_plain(struct stub *st)
{
	struct http_config cfg = { .listen = "127.0.0.1:0" };

	return start(&cfg, st);
}

/* ---- a plain-socket client ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A connected TCP socket to addr:port (IPv4 or IPv6), reads timing out
 * after timeout_s. */
static int dial(const char *addr, uint16_t port, int timeout_s)
{
	struct sockaddr_storage ss = { 0 };
	struct timeval tv = { .tv_sec = timeout_s };
	socklen_t len;
	int fd;

	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, addr, &a->sin_addr), 1);
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len))
		fail_msg("connect %s:%u: %s", addr, port, strerror(errno));
	return fd;
}

static void send_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		assert_true(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

struct reply {
	int status;		/* 0: no reply (the connection closed) */
	char head[4096];	/* status line and headers */
	char *body;
	size_t body_len;
	double seconds;		/* from the request to the end of the reply */
};

/* Reads until the server closes (every request says Connection: close). */
static void read_reply(int fd, struct reply *r)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *sep;
	ssize_t got;

	assert_non_null(buf);
	while ((got = recv(fd, buf + n, cap - n - 1, 0)) > 0) {
		n += (size_t)got;
		if (n + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[n] = 0;
	r->status = 0;
	r->head[0] = 0;
	r->body = NULL;
	r->body_len = 0;
	sep = strstr(buf, "\r\n\r\n");
	if (sep && !strncmp(buf, "HTTP/1.1 ", 9)) {
		r->status = atoi(buf + 9);
		snprintf(r->head, sizeof(r->head), "%.*s\r\n", (int)(sep - buf), buf);
		r->body_len = n - (size_t)(sep + 4 - buf);
		r->body = malloc(r->body_len + 1);
		memcpy(r->body, sep + 4, r->body_len + 1);
	}
	free(buf);
}

static void request_to(const char *addr, uint16_t port, const char *method,
		       const char *path, const char *headers, struct reply *r)
{
	char req[2048];
	double t0 = now_s();
	int fd = dial(addr, port, 5);

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: localhost\r\n%s"
		 "Connection: close\r\n\r\n", method, path, headers ? headers : "");
	send_all(fd, req);
	read_reply(fd, r);
	r->seconds = now_s() - t0;
	close(fd);
}

static void request(uint16_t port, const char *method, const char *path,
		    const char *headers, struct reply *r)
{
	request_to("127.0.0.1", port, method, path, headers, r);
}

/* The value of header name in r (case-insensitive name), or NULL. */
static const char *header(const struct reply *r, const char *name)
{
	static char value[512];
	size_t nlen = strlen(name);

	for (const char *l = strstr(r->head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
		const char *line = l + 2, *end = strstr(line, "\r\n");

		if (!strncasecmp(line, name, nlen) && line[nlen] == ':') {
			const char *v = line + nlen + 1;

			while (*v == ' ')
				v++;
			snprintf(value, sizeof(value), "%.*s", (int)(end - v), v);
			return value;
		}
	}
	return NULL;
}

static void expect_header(const struct reply *r, const char *name, const char *want)
{
	const char *v = header(r, name);

	if (!v || strcmp(v, want))
		fail_msg("header %s: '%s', wanted '%s' in\n%s", name, v ? v : "(none)", want,
			 r->head);
}

static void reply_free(struct reply *r)
{
	free(r->body);
	r->body = NULL;
}

/* ---- one connection, several requests (keep-alive) ---- */

struct conn {
	int fd;
	char buf[1 << 17];	/* read and not yet taken as a reply */
	size_t n;
};

static void conn_open(struct conn *k, uint16_t port)
{
	k->fd = dial("127.0.0.1", port, 5);
	k->n = 0;
}

/* Reads more into k->buf: false when the server closed (or timed out). */
static bool conn_fill(struct conn *k)
{
	ssize_t got;

	assert_true(k->n < sizeof(k->buf));
	got = recv(k->fd, k->buf + k->n, sizeof(k->buf) - k->n, 0);
	if (got <= 0)
		return false;
	k->n += (size_t)got;
	return true;
}

/* The next reply on k: the head, then Content-Length bytes of body (none
 * after a HEAD); the bytes after it stay for the next. status 0 when the
 * connection closed before a whole reply. */
static void conn_reply(struct conn *k, bool head, struct reply *r)
{
	char *sep;
	const char *cl;
	size_t hlen, blen;

	memset(r, 0, sizeof(*r));
	while (!(sep = memmem(k->buf, k->n, "\r\n\r\n", 4)))
		if (!conn_fill(k))
			return;
	hlen = (size_t)(sep + 4 - k->buf);
	assert_true(hlen < sizeof(r->head));
	snprintf(r->head, sizeof(r->head), "%.*s", (int)(hlen - 2), k->buf);
	cl = header(r, "Content-Length");
	assert_non_null(cl);	/* every answer says its length */
	blen = head ? 0 : strtoul(cl, NULL, 10);
	while (k->n < hlen + blen)
		if (!conn_fill(k))
			return;
	assert_int_equal(strncmp(k->buf, "HTTP/1.1 ", 9), 0);
	r->status = atoi(k->buf + 9);
	r->body = malloc(blen + 1);
	memcpy(r->body, k->buf + hlen, blen);
	r->body[blen] = 0;
	r->body_len = blen;
	memmove(k->buf, k->buf + hlen + blen, k->n - hlen - blen);
	k->n -= hlen + blen;
}

/* Sends raw on k and takes one reply: the status, checked with want; the
 * connection kept open (no Connection: close) unless want_close. */
static void conn_expect(struct conn *k, const char *raw, bool head, int want, bool want_close,
			struct reply *r)
{
	const char *conn;

	if (raw)
		send_all(k->fd, raw);
	conn_reply(k, head, r);
	if (r->status != want)
		fail_msg("status %d, wanted %d, after\n%s", r->status, want, raw ? raw : "");
	conn = header(r, "Connection");
	if (want_close != (conn && !strcasecmp(conn, "close")))
		fail_msg("Connection: %s, wanted %s, in\n%s", conn ? conn : "(none)",
			 want_close ? "close" : "kept open", r->head);
}

/* Whether the server still holds k open, idle: nothing to read, no FIN. */
static bool conn_alive(struct conn *k)
{
	char c;
	ssize_t got = recv(k->fd, &c, 1, MSG_DONTWAIT);

	return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* ---- fixtures ---- */

/* Loads text as dir/name into *w. */
static void load_config(const char *name, const char *text, struct webconfig *w)
{
	char path[256], err[512];

	write_file(name, text);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (webconfig_load(path, w, err, sizeof(err)))
		fail_msg("webconfig_load: %s", err);
}

static void run(const char *cmd)
{
	char full[2048];

	snprintf(full, sizeof(full), "cd '%s' && (%s) >/dev/null 2>&1", dir, cmd);
	if (system(full))
		fail_msg("command failed: %s", cmd);
}

/* ---- negotiation ---- */

static void test_negotiate(void **state UNUSED)
{
	assert_int_equal(http_negotiate(NULL), HTTP_TEXT_004);
	assert_int_equal(http_negotiate(""), HTTP_TEXT_004);
	assert_int_equal(http_negotiate(PROM_ACCEPT), HTTP_OPENMETRICS_100);
	/* Prometheus 3's, with escaping and a text/plain version 1.0.0 */
	assert_int_equal(http_negotiate("application/openmetrics-text;version=1.0.0;"
					"escaping=allow-utf-8;q=0.6,application/openmetrics-text;"
					"version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping="
					"allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"),
			 HTTP_OPENMETRICS_100);
	assert_int_equal(http_negotiate("application/openmetrics-text"), HTTP_OPENMETRICS_100);
	assert_int_equal(http_negotiate(" Application/OpenMetrics-Text ; Version=\"1.0.0\" "),
			 HTTP_OPENMETRICS_100);
	/* a version we do not make, q=0, lower q: the text format */
	assert_int_equal(http_negotiate("application/openmetrics-text;version=0.0.1"),
			 HTTP_TEXT_004);
	assert_int_equal(http_negotiate("application/openmetrics-text;q=0"), HTTP_TEXT_004);
	assert_int_equal(http_negotiate("application/openmetrics-text;q=0.000,*/*;q=0.1"),
			 HTTP_TEXT_004);
	assert_int_equal(http_negotiate("application/openmetrics-text;q=0.5,text/plain"),
			 HTTP_TEXT_004);
	assert_int_equal(http_negotiate("text/plain;q=0.5,application/openmetrics-text;q=0.501"),
			 HTTP_OPENMETRICS_100);
	/* a tie: the first wins */
	assert_int_equal(http_negotiate("text/plain,application/openmetrics-text"), HTTP_TEXT_004);
	assert_int_equal(http_negotiate("application/openmetrics-text,text/plain"),
			 HTTP_OPENMETRICS_100);
	/* a malformed q drops its element */
	assert_int_equal(http_negotiate("application/openmetrics-text;q=2,text/plain;q=0.1"),
			 HTTP_TEXT_004);
	assert_int_equal(http_negotiate("application/openmetrics-text;q=abc"), HTTP_TEXT_004);
	assert_int_equal(http_negotiate("application/json, text/html"), HTTP_TEXT_004);
	assert_int_equal(http_negotiate(",,;;=,"), HTTP_TEXT_004);
}

/* ---- endpoints ---- */

static void test_get_metrics(void **state UNUSED)
{
	struct stub st = { 0 };
	struct http_server *s = start_plain(&st);
	struct reply r;

	request(http_port(s), "GET", "/metrics", NULL, &r);
	assert_int_equal(r.status, 200);
	expect_header(&r, "Content-Type", HTTP_CONTENT_TYPE_TEXT);
	assert_string_equal(header(&r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
	assert_int_equal(r.body_len, strlen(TEXT_BODY));
	assert_string_equal(r.body, TEXT_BODY);
	reply_free(&r);

	request(http_port(s), "GET", "/metrics", "Accept: " PROM_ACCEPT "\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "Content-Type"),
			    "application/openmetrics-text; version=1.0.0; charset=utf-8");
	assert_string_equal(r.body, OM_BODY);
	reply_free(&r);

	request(http_port(s), "GET", "/metrics",
		"Accept: application/openmetrics-text;q=0,text/plain;q=0.3\r\n", &r);
	expect_header(&r, "Content-Type", HTTP_CONTENT_TYPE_TEXT);
	assert_string_equal(r.body, TEXT_BODY);
	reply_free(&r);
	/* a query string (Prometheus' `params`) is the same path */
	request(http_port(s), "GET", "/metrics?collect%5B%5D=x", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, TEXT_BODY);
	reply_free(&r);
	assert_int_equal(atomic_load(&st.calls), 4);
	http_stop(s);
}

static void test_head(void **state UNUSED)
{
	struct stub st = { 0 };
	struct http_server *s = start_plain(&st);
	struct reply r;
	char len[16];

	request(http_port(s), "HEAD", "/metrics", "Accept: " PROM_ACCEPT "\r\n", &r);
	assert_int_equal(r.status, 200);
	expect_header(&r, "Content-Type", HTTP_CONTENT_TYPE_OPENMETRICS);
	/* the GET's length, and no body */
	snprintf(len, sizeof(len), "%zu", strlen(OM_BODY));
	expect_header(&r, "Content-Length", len);
	assert_int_equal(r.body_len, 0);
	reply_free(&r);
	request(http_port(s), "HEAD", "/-/healthy", NULL, &r);
	assert_int_equal(r.status, 200);
	expect_header(&r, "Content-Length", "2");
	assert_int_equal(r.body_len, 0);
	reply_free(&r);
	http_stop(s);
}

static void test_landing_healthy_404_405(void **state UNUSED)
{
	struct stub st = { 0 };
	struct http_server *s = start_plain(&st);
	uint16_t port = http_port(s);
	struct reply r;

	request(port, "GET", "/", NULL, &r);
	assert_int_equal(r.status, 200);
	expect_header(&r, "Content-Type", "text/html; charset=utf-8");
	assert_non_null(strstr(r.body, "<a href=\"metrics\">"));
	reply_free(&r);

	request(port, "GET", "/-/healthy", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "OK");
	reply_free(&r);

	for (const char **m = (const char *[]){ "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
						 NULL }; *m; m++) {
		request(port, *m, "/metrics", "Content-Length: 0\r\n", &r);
		assert_int_equal(r.status, 405);
		expect_header(&r, "Allow", "GET, HEAD");
		reply_free(&r);
	}
	request(port, "POST", "/", "Content-Length: 5\r\n\r\nhello", &r);
	assert_int_equal(r.status, 405);
	expect_header(&r, "Allow", "GET, HEAD");
	reply_free(&r);
	request(port, "DELETE", "/-/healthy", NULL, &r);
	assert_int_equal(r.status, 405);
	reply_free(&r);

	for (const char **p = (const char *[]){ "/nope", "/metrics/", "/metricsx", "//metrics",
						 "/-/ready", NULL }; *p; p++) {
		request(port, "GET", *p, NULL, &r);
		assert_int_equal(r.status, 404);
		reply_free(&r);
	}
	request(port, "POST", "/nope", "Content-Length: 0\r\n", &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	/* none of these built the metrics */
	assert_int_equal(atomic_load(&st.calls), 0);
	http_stop(s);
}

static void test_metrics_error_is_500(void **state UNUSED)
{
	struct stub st = { .fail = -ENOMEM };
	struct http_server *s = start_plain(&st);
	struct reply r;

	request(http_port(s), "GET", "/metrics", NULL, &r);
	assert_int_equal(r.status, 500);
	assert_non_null(strstr(r.body, "Cannot allocate memory"));
	reply_free(&r);
	http_stop(s);
}

/* Accept-Encoding: gzip compresses a large body; the inflated bytes are the
 * stub's exactly. */
static void test_gzip(void **state UNUSED)
{
	struct stub st = { .big = 2000 };
	struct http_server *s = start_plain(&st);
	struct reply plain, zipped;
	z_stream z = { 0 };
	char *out;

	request(http_port(s), "GET", "/metrics", NULL, &plain);
	assert_int_equal(plain.status, 200);
	assert_null(header(&plain, "Content-Encoding"));
	request(http_port(s), "GET", "/metrics", "Accept-Encoding: gzip, deflate\r\n", &zipped);
	assert_int_equal(zipped.status, 200);
	expect_header(&zipped, "Content-Encoding", "gzip");
	expect_header(&zipped, "Content-Type", HTTP_CONTENT_TYPE_TEXT);
	assert_true(zipped.body_len < plain.body_len / 4);
	out = malloc(plain.body_len + 1);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)zipped.body;
	z.avail_in = zipped.body_len;
	z.next_out = (Bytef *)out;
	z.avail_out = plain.body_len + 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, plain.body_len);
	assert_memory_equal(out, plain.body, plain.body_len);
	inflateEnd(&z);
	print_message("gzip: %zu bytes -> %zu\n", plain.body_len, zipped.body_len);
	free(out);
	reply_free(&plain);
	reply_free(&zipped);
	/* gzip;q=0 refuses it */
	request(http_port(s), "GET", "/metrics", "Accept-Encoding: gzip;q=0\r\n", &zipped);
	assert_null(header(&zipped, "Content-Encoding"));
	reply_free(&zipped);
	http_stop(s);
}

/* ---- keep-alive ---- */

#define GET_HEALTHY "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"
#define GET_METRICS "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"

/* raw on a new connection gets the status want, then the close. */
static void expect_closed_after(uint16_t port, const char *raw, int want)
{
	static struct conn k;
	struct reply r;

	conn_open(&k, port);
	conn_expect(&k, raw, false, want, true, &r);
	reply_free(&r);
	assert_false(conn_fill(&k));	/* the server's FIN, nothing more */
	close(k.fd);
}

/* Every answer keeps the connection open: the requests after a GET, a
 * HEAD, a 404 and a 405 with a body (read and dropped) are all answered on
 * the same TCP connection, pipelined too; a body too long to read through,
 * or chunked, gets its 405 and the connection is closed after it. */
static void test_keep_alive(void **state UNUSED)
{
	struct stub st = { 0 };
	struct http_server *s = start_plain(&st);
	static struct conn k;
	struct reply r;
	char len[16];

	conn_open(&k, http_port(s));
	conn_expect(&k, GET_METRICS, false, 200, false, &r);
	assert_string_equal(r.body, TEXT_BODY);
	reply_free(&r);
	conn_expect(&k, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", true, 200, false, &r);
	snprintf(len, sizeof(len), "%zu", strlen(TEXT_BODY));
	expect_header(&r, "Content-Length", len);
	reply_free(&r);
	conn_expect(&k, GET_HEALTHY, false, 200, false, &r);
	assert_string_equal(r.body, "OK");	/* the HEAD left no body behind */
	reply_free(&r);
	conn_expect(&k, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", false, 404, false, &r);
	reply_free(&r);
	conn_expect(&k, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n"
		    "GET / HTTP/1.1\r\n", false, 405, false, &r);
	expect_header(&r, "Allow", "GET, HEAD");
	reply_free(&r);
	/* the body, which looked like a request, was not taken for one */
	conn_expect(&k, GET_HEALTHY, false, 200, false, &r);
	assert_string_equal(r.body, "OK");
	reply_free(&r);
	/* three requests in one write: three answers, in order */
	send_all(k.fd, "POST /-/healthy HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
		 GET_METRICS GET_HEALTHY);
	conn_expect(&k, NULL, false, 405, false, &r);
	reply_free(&r);
	conn_expect(&k, NULL, false, 200, false, &r);
	assert_string_equal(r.body, TEXT_BODY);
	reply_free(&r);
	conn_expect(&k, NULL, false, 200, false, &r);
	assert_string_equal(r.body, "OK");
	reply_free(&r);
	usleep(50 * 1000);
	assert_true(conn_alive(&k));
	close(k.fd);
	/* the two GETs and the HEAD of /metrics */
	assert_int_equal(atomic_load(&st.calls), 3);

	/* a body over 64 KiB is not read: 405 at once, then the close */
	expect_closed_after(http_port(s), "POST /metrics HTTP/1.1\r\nHost: x\r\n"
			    "Content-Length: 65537\r\n\r\nabc", 405);
	/* 64 KiB exactly is read through */
	conn_open(&k, http_port(s));
	{
		static char body[64 * 1024 + 1];

		memset(body, 'x', sizeof(body) - 1);
		send_all(k.fd, "PUT /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n");
		send_all(k.fd, body);
	}
	conn_expect(&k, NULL, false, 405, false, &r);
	reply_free(&r);
	conn_expect(&k, GET_HEALTHY, false, 200, false, &r);
	reply_free(&r);
	close(k.fd);
	/* chunked: no length announced, likewise closed */
	expect_closed_after(http_port(s), "POST /metrics HTTP/1.1\r\nHost: x\r\n"
			    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 405);
	/* a client that asks for the close gets it, and so does an HTTP/1.0
	 * client (no keep-alive asked) */
	expect_closed_after(http_port(s), "GET /-/healthy HTTP/1.1\r\nHost: x\r\n"
			    "Connection: close\r\n\r\n", 200);
	expect_closed_after(http_port(s), "GET /-/healthy HTTP/1.0\r\n\r\n", 200);
	http_stop(s);
}

/* An idle kept-alive connection holds its slot until the idle timeout
 * closes it: with two slots per address, two idle connections make a third
 * refused; after the timeout (1 s here) both are closed and a new one is
 * served. */
static void test_keep_alive_idle_timeout(void **state UNUSED)
{
	struct stub st = { 0 };
	struct http_config cfg = { .listen = "127.0.0.1:0", .max_connections = 8,
				   .max_per_ip = 2, .timeout_s = 1 };
	struct http_server *s = start(&cfg, &st);
	static struct conn k[3];
	struct reply r;
	double t0;

	for (int i = 0; i < 2; i++) {
		conn_open(&k[i], http_port(s));
		conn_expect(&k[i], GET_HEALTHY, false, 200, false, &r);
		reply_free(&r);
	}
	t0 = now_s();
	conn_open(&k[2], http_port(s));
	send_all(k[2].fd, GET_HEALTHY);
	conn_reply(&k[2], false, &r);
	assert_int_equal(r.status, 0);	/* over the limit: closed, no answer */
	close(k[2].fd);
	assert_true(conn_alive(&k[0]) && conn_alive(&k[1]));
	for (int i = 0; i < 2; i++) {
		assert_false(conn_fill(&k[i]));	/* the server's FIN */
		close(k[i].fd);
	}
	print_message("idle kept-alive connections closed after %.2f s (timeout 1 s)\n",
		      now_s() - t0);
	assert_true(now_s() - t0 > 0.5 && now_s() - t0 < 3.0);
	usleep(100 * 1000);
	request(http_port(s), "GET", "/-/healthy", NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	http_stop(s);
}

/* ---- basic auth ---- */

static void test_basic_auth(void **state UNUSED)
{
	struct stub st = { 0 };
	struct webconfig w;
	struct http_config cfg = { .listen = "127.0.0.1:0", .web = &w };
	struct http_server *s;
	struct reply r;
	char hash[128], text[512];

	make_hash("s3cret:pass", 5, hash, sizeof(hash));
	snprintf(text, sizeof(text), "basic_auth_users:\n  prom: '%s'\n"
		 "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n", hash);
	load_config("auth.yml", text, &w);
	s = start(&cfg, &st);
	/* no credentials, wrong password, unknown user, garbage */
	static const char *const bad[] = {
		NULL,
		"Authorization: Basic cHJvbTp3cm9uZw==\r\n",		/* prom:wrong */
		"Authorization: Basic cHJvbTpzM2NyZXQ=\r\n",		/* prom:s3cret */
		"Authorization: Basic b3RoZXI6czNjcmV0OnBhc3M=\r\n",	/* other:s3cret:pass */
		"Authorization: Basic !!!!\r\n",
		"Authorization: Bearer cHJvbTpzM2NyZXQ6cGFzcw==\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		request(http_port(s), "GET", "/metrics", bad[i], &r);
		assert_int_equal(r.status, 401);
		expect_header(&r, "WWW-Authenticate", "Basic realm=\"bufscope\"");
		expect_header(&r, "X-Content-Type-Options", "nosniff");
		reply_free(&r);
	}
	/* every path asks, as the exporter-toolkit does */
	request(http_port(s), "GET", "/-/healthy", NULL, &r);
	assert_int_equal(r.status, 401);
	reply_free(&r);
	assert_int_equal(atomic_load(&st.calls), 0);
	/* prom:s3cret:pass (the password holds a ':') */
	request(http_port(s), "GET", "/metrics",
		"Authorization: Basic cHJvbTpzM2NyZXQ6cGFzcw==\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, TEXT_BODY);
	expect_header(&r, "X-Content-Type-Options", "nosniff");
	reply_free(&r);
	assert_int_equal(atomic_load(&st.calls), 1);
	/* a 401 keeps the connection: the retry with the password is
	 * answered on it, as a client that asks first does it */
	{
		static struct conn k;

		conn_open(&k, http_port(s));
		conn_expect(&k, GET_METRICS, false, 401, false, &r);
		reply_free(&r);
		conn_expect(&k, "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
			    "cHJvbTpzM2NyZXQ6cGFzcw==\r\n\r\n", false, 200, false, &r);
		assert_string_equal(r.body, TEXT_BODY);
		reply_free(&r);
		close(k.fd);
	}
	http_stop(s);
	webconfig_free(&w);
}

/* ---- concurrency, slow and hostile clients ---- */

struct scrape_arg {
	uint16_t port;
	struct reply r;
};

static void *scrape_thread(void *p)
{
	struct scrape_arg *a = p;

	request(a->port, "GET", "/metrics", NULL, &a->r);
	return NULL;
}

/* Two scrapes of 300 ms each at once end in about 300 ms, not 600. */
static void test_concurrent_scrapes(void **state UNUSED)
{
	struct stub st = { .delay_ms = 300 };
	struct http_server *s = start_plain(&st);
	struct scrape_arg a[2] = { { .port = http_port(s) }, { .port = http_port(s) } };
	pthread_t t[2];
	double t0 = now_s(), took;

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, scrape_thread, &a[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	took = now_s() - t0;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(a[i].r.status, 200);
		assert_string_equal(a[i].r.body, TEXT_BODY);
		reply_free(&a[i].r);
	}
	assert_int_equal(atomic_load(&st.calls), 2);
	print_message("two concurrent 300 ms scrapes: %.0f ms in all\n", took * 1e3);
	assert_true(took < 0.55);
	http_stop(s);
}

/* A client that sends half a request and stalls holds its own connection
 * only: a scrape meanwhile answers at once; the server drops the stalled
 * one after the timeout. */
static void test_slow_client(void **state UNUSED)
{
	struct stub st = { 0 };
	struct http_config cfg = { .listen = "127.0.0.1:0", .timeout_s = 2 };
	struct http_server *s = start(&cfg, &st);
	struct reply r;
	double t0, closed_after, worst = 0;
	char buf[64];
	int slow[3];

	t0 = now_s();
	for (int i = 0; i < 3; i++) {
		slow[i] = dial("127.0.0.1", http_port(s), 10);
		send_all(slow[i], i == 2 ? "G" : "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	}
	usleep(100 * 1000);
	for (int i = 0; i < 5; i++) {
		request(http_port(s), "GET", "/metrics", NULL, &r);
		assert_int_equal(r.status, 200);
		assert_string_equal(r.body, TEXT_BODY);
		if (r.seconds > worst)
			worst = r.seconds;
		reply_free(&r);
	}
	assert_true(worst < 1.0);
	/* the server closes the stalled connections, without a reply */
	for (int i = 0; i < 3; i++) {
		ssize_t n = recv(slow[i], buf, sizeof(buf), 0);

		assert_true(n <= 0);
		close(slow[i]);
	}
	closed_after = now_s() - t0;
	print_message("3 stalled clients: 5 scrapes, the slowest %.1f ms; stalled ones "
		      "closed after %.1f s (timeout 2 s)\n", worst * 1e3, closed_after);
	assert_true(closed_after > 1.5 && closed_after < 4.5);
	http_stop(s);
}

/* http_stop with a client stalled mid-request and one idle keep-alive
 * connection returns at once, the port closed. */
static void test_stop_with_clients(void **state UNUSED)
{
	struct stub st = { 0 };
	struct http_config cfg = { .listen = "127.0.0.1:0", .timeout_s = 30 };
	struct http_server *s = start(&cfg, &st);
	uint16_t port = http_port(s);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	char buf[4096];
	double t0;
	int stalled, idle, fd;

	stalled = dial("127.0.0.1", port, 5);
	send_all(stalled, "GET /metrics HTTP/1.1\r\n");
	idle = dial("127.0.0.1", port, 5);
	send_all(idle, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(recv(idle, buf, sizeof(buf), 0) > 0);	/* kept alive */
	usleep(50 * 1000);
	t0 = now_s();
	http_stop(s);
	print_message("http_stop with a stalled and an idle connection: %.1f ms\n",
		      (now_s() - t0) * 1e3);
	assert_true(now_s() - t0 < 1.0);
	assert_true(recv(stalled, buf, sizeof(buf), 0) <= 0);
	assert_true(recv(idle, buf, sizeof(buf), 0) <= 0);
	close(stalled);
	close(idle);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	close(fd);
}

/* Past the per-address limit a connection is closed at once; the others,
 * and later ones, are served. */
static void test_connection_limits(void **state UNUSED)
{
	struct stub st = { 0 };
	struct http_config cfg = { .listen = "127.0.0.1:0", .max_connections = 8,
				   .max_per_ip = 2, .timeout_s = 5 };
	struct http_server *s = start(&cfg, &st);
	struct reply r;
	double t0;
	int held[2], extra;

	for (int i = 0; i < 2; i++) {
		held[i] = dial("127.0.0.1", http_port(s), 5);
		send_all(held[i], "GET /metrics HTTP/1.1\r\n");
	}
	usleep(100 * 1000);
	t0 = now_s();
	extra = dial("127.0.0.1", http_port(s), 5);
	send_all(extra, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	read_reply(extra, &r);
	close(extra);
	assert_int_equal(r.status, 0);
	assert_true(now_s() - t0 < 1.0);
	for (int i = 0; i < 2; i++)
		close(held[i]);
	/* the slots are free again at once: the first scrape after is served
	 * (libmicrohttpd reaps a closed connection's thread when woken) */
	usleep(100 * 1000);
	request(http_port(s), "GET", "/metrics", NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	http_stop(s);
}

/* The signal mask of thread tid (SigBlk in /proc). */
static unsigned long long sigblk(const char *tid)
{
	char path[300], line[128];
	unsigned long long mask = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "SigBlk:", 7))
			mask = strtoull(line + 7, NULL, 16);
	fclose(f);
	return mask;
}

/* The server's threads block every signal (the caller's SIGTERM must not
 * land in one of them); the caller's own mask is left as it was. */
static void test_threads_block_signals(void **state UNUSED)
{
	struct stub st = { .delay_ms = 300 };
	struct http_server *s = start_plain(&st);
	unsigned long long term = 1ULL << (SIGTERM - 1), intr = 1ULL << (SIGINT - 1);
	char self[16];
	struct dirent *e;
	struct reply r;
	sigset_t now;
	DIR *d;
	int others = 0, fd;

	/* a connection's thread exists while the scrape sleeps; the test
	 * itself runs no other thread */
	fd = dial("127.0.0.1", http_port(s), 5);
	send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	usleep(150 * 1000);
	snprintf(self, sizeof(self), "%d", getpid());
	d = opendir("/proc/self/task");
	assert_non_null(d);
	while ((e = readdir(d))) {
		unsigned long long m;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, self))
			continue;
		m = sigblk(e->d_name);
		if (!(m & term) || !(m & intr))
			fail_msg("thread %s: SigBlk %llx", e->d_name, m);
		others++;
	}
	closedir(d);
	/* the listener's thread and the connection's */
	assert_true(others >= 2);
	read_reply(fd, &r);
	close(fd);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	assert_false(sigismember(&now, SIGTERM));
	http_stop(s);
}

/* ---- listen addresses ---- */

static void test_listen_errors(void **state UNUSED)
{
	static const char *const bad[] = {
		"nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:80x",
		"localhost:9435", "[::1:9435", "::1:9435", "1.2.3:80", "127.0.0.1:-1", ":",
		"[]:9435", "127.0.0.1: 80",
	};
	struct stub st = { 0 };
	struct http_config cfg = { 0 };
	struct http_server *s;
	char err[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.listen = bad[i];
		assert_int_equal(http_start(&s, &cfg, stub_metrics, &st, err, sizeof(err)),
				 -EINVAL);
		assert_null(s);
		assert_non_null(strstr(err, "not ADDRESS:PORT (e.g. 127.0.0.1:9435"));
	}
	cfg.listen = "\x1b[2J:9435";
	assert_int_equal(http_start(&s, &cfg, stub_metrics, &st, err, sizeof(err)), -EINVAL);
	assert_null(strchr(err, 0x1b));
	cfg.listen = "192.0.2.1:19401";	/* TEST-NET-1: on no interface here */
	assert_int_equal(http_start(&s, &cfg, stub_metrics, &st, err, sizeof(err)),
			 -EADDRNOTAVAIL);
	assert_string_equal(err, "listen address 192.0.2.1:19401: not an address of this "
			    "host (`ip addr` lists them; :19401 listens on all)");
}

static void test_port_in_use(void **state UNUSED)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(19400) };
	struct stub st = { 0 };
	struct http_config cfg = { .listen = "127.0.0.1:19400" };
	struct http_server *s;
	char err[512];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(http_start(&s, &cfg, stub_metrics, &st, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "listen address 127.0.0.1:19400: port 19400 is in use"));
	assert_non_null(strstr(err, "ss -ltnp 'sport = :19400'"));
	close(fd);
	/* free again: it starts, on that port */
	assert_int_equal(http_start(&s, &cfg, stub_metrics, &st, err, sizeof(err)), 0);
	assert_int_equal(http_port(s), 19400);
	http_stop(s);
	/* and stopping released it */
	assert_int_equal(http_start(&s, &cfg, stub_metrics, &st, err, sizeof(err)), 0);
	http_stop(s);
}

/* ":PORT" is every interface, IPv4 and IPv6; "[::1]:PORT" IPv6 loopback. */
static void test_listen_any_and_ipv6(void **state UNUSED)
{
	struct stub st = { 0 };
	struct http_config cfg = { .listen = ":0" };
	struct http_server *s = start(&cfg, &st);
	struct reply r;

	request_to("127.0.0.1", http_port(s), "GET", "/-/healthy", NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	request_to("::1", http_port(s), "GET", "/-/healthy", NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	http_stop(s);

	cfg.listen = "[::1]:0";
	s = start(&cfg, &st);
	request_to("::1", http_port(s), "GET", "/metrics", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, TEXT_BODY);
	reply_free(&r);
	http_stop(s);
}

/* ---- TLS ---- */

#define EC_KEY "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"

/* A certificate name.crt/key signed by the client CA with the extended key
 * usage eku (openssl's names); checked to show as shown in its text. */
static void ca_signed(const char *name, const char *eku, const char *shown)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "printf 'extendedKeyUsage=%s\\n' >%s.ext && "
		 "openssl req " EC_KEY " -keyout %s.key -out %s.csr -subj /CN=%s && "
		 "openssl x509 -req -in %s.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
		 "-extfile %s.ext -out %s.crt -days 1 && "
		 "openssl x509 -in %s.crt -noout -ext extendedKeyUsage | grep -qx ' *%s'",
		 eku, name, name, name, name, name, name, name, name, shown);
	run(cmd);
}

/* server.crt/key (self-signed, for 127.0.0.1), a CA, client.crt signed by
 * it (no extended key usage), rogue.crt signed by nobody, and certificates
 * the CA signed with extended key usages: eku-client.crt (clientAuth),
 * eku-server.crt (serverAuth only: another host's server certificate),
 * eku-both.crt (both), eku-any.crt (anyExtendedKeyUsage). */
static int setup_certs(void **state UNUSED)
{
	if (dir_setup(NULL))
		return -1;
	run("openssl req -x509 " EC_KEY " -keyout server.key -out server.crt -days 1 "
	    "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1");
	run("openssl req -x509 " EC_KEY " -keyout ca.key -out ca.crt -days 1 "
	    "-subj /CN=bufscope-test-ca");
	run("openssl req " EC_KEY " -keyout client.key -out client.csr -subj /CN=scraper && "
	    "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
	    "-out client.crt -days 1");
	run("openssl req -x509 " EC_KEY " -keyout rogue.key -out rogue.crt -days 1 "
	    "-subj /CN=scraper");
	/* client.crt has no extended key usage, which allows every purpose */
	run("! openssl x509 -in client.crt -noout -text | grep -q 'Extended Key Usage'");
	ca_signed("eku-client", "clientAuth", "TLS Web Client Authentication");
	ca_signed("eku-server", "serverAuth", "TLS Web Server Authentication");
	ca_signed("eku-both", "serverAuth,clientAuth",
		  "TLS Web Server Authentication, TLS Web Client Authentication");
	ca_signed("eku-any", "anyExtendedKeyUsage", "Any Extended Key Usage");
	return 0;
}

struct curl_result {
	int code;		/* HTTP status; 0: no HTTP reply */
	char ctype[128];
	char body[512];
	int exit;		/* curl's exit status */
};

/* curl to the server over TLS with the test's CA; extra: curl options. */
static void curl(uint16_t port, const char *path, const char *extra, struct curl_result *c)
{
	char cmd[1024], out[256] = "", bodypath[128];
	FILE *p, *f;
	size_t n;

	snprintf(bodypath, sizeof(bodypath), "%s/body.out", dir);
	unlink(bodypath);
	snprintf(cmd, sizeof(cmd), "cd '%s' && curl -sS --max-time 5 --cacert server.crt %s "
		 "-o body.out -w '%%{http_code}|%%{content_type}' https://127.0.0.1:%u%s "
		 "2>/dev/null", dir, extra, port, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	c->exit = WEXITSTATUS(pclose(p));
	c->code = atoi(out);
	snprintf(c->ctype, sizeof(c->ctype), "%s", strchr(out, '|') ? strchr(out, '|') + 1 : "");
	c->body[0] = 0;
	f = fopen(bodypath, "r");
	if (f) {
		n = fread(c->body, 1, sizeof(c->body) - 1, f);
		c->body[n] = 0;
		fclose(f);
	}
}

static void test_tls(void **state UNUSED)
{
	struct stub st = { 0 };
	struct webconfig w;
	struct http_config cfg = { .listen = "127.0.0.1:0", .web = &w, .timeout_s = 5 };
	struct http_server *s;
	struct curl_result c;
	struct reply r;
	char text[512], hash[128];
	double t0;
	int fd;

	make_hash("tls-pass", 5, hash, sizeof(hash));
	snprintf(text, sizeof(text), "tls_server_config:\n  cert_file: server.crt\n"
		 "  key_file: server.key\nbasic_auth_users:\n  prom: %s\n", hash);
	load_config("tls.yml", text, &w);
	s = start(&cfg, &st);

	curl(http_port(s), "/metrics", "-u prom:tls-pass -H 'Accept: " PROM_ACCEPT "'", &c);
	assert_int_equal(c.exit, 0);
	assert_int_equal(c.code, 200);
	assert_string_equal(c.ctype, HTTP_CONTENT_TYPE_OPENMETRICS);
	assert_string_equal(c.body, OM_BODY);
	curl(http_port(s), "/metrics", "-u prom:wrong", &c);
	assert_int_equal(c.code, 401);
	curl(http_port(s), "/metrics", "", &c);
	assert_int_equal(c.code, 401);
	/* TLS 1.2 also (min_version's default), TLS 1.1 refused */
	curl(http_port(s), "/-/healthy", "-u prom:tls-pass --tls-max 1.2", &c);
	assert_int_equal(c.code, 200);
	assert_string_equal(c.body, "OK");
	curl(http_port(s), "/-/healthy", "-u prom:tls-pass --tlsv1.0 --tls-max 1.1", &c);
	assert_int_equal(c.code, 0);
	assert_int_not_equal(c.exit, 0);
	/* without the CA, curl refuses the server: the certificate is the one served */
	curl(http_port(s), "/metrics", "--cacert /dev/null -u prom:tls-pass", &c);
	assert_int_equal(c.code, 0);

	/* plain HTTP to the TLS port: no reply, the connection closed, no hang */
	t0 = now_s();
	fd = dial("127.0.0.1", http_port(s), 5);
	send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	read_reply(fd, &r);
	close(fd);
	assert_int_equal(r.status, 0);
	print_message("plain HTTP to the TLS port: closed after %.1f ms\n", (now_s() - t0) * 1e3);
	assert_true(now_s() - t0 < 2.0);
	/* and the server still serves TLS */
	curl(http_port(s), "/metrics", "-u prom:tls-pass", &c);
	assert_int_equal(c.code, 200);
	assert_string_equal(c.ctype, HTTP_CONTENT_TYPE_TEXT);
	assert_string_equal(c.body, TEXT_BODY);
	/* two scrapes, one TLS connection: curl's second transfer reuses it */
	{
		char cmd[1024], out[64] = "";
		FILE *p;
		size_t n;

		snprintf(cmd, sizeof(cmd), "cd '%s' && curl -sS --max-time 5 --cacert server.crt "
			 "-u prom:tls-pass -o /dev/null -o /dev/null -w '%%{num_connects} "
			 "%%{http_code} ' https://127.0.0.1:%u/metrics https://127.0.0.1:%u/metrics",
			 dir, http_port(s), http_port(s));
		p = popen(cmd, "r");
		assert_non_null(p);
		n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = 0;
		assert_int_equal(WEXITSTATUS(pclose(p)), 0);
		assert_string_equal(out, "1 200 0 200 ");
	}
	http_stop(s);
	webconfig_free(&w);
}

static void test_tls_client_cert(void **state UNUSED)
{
	struct stub st = { 0 };
	struct webconfig w;
	struct http_config cfg = { .listen = "127.0.0.1:0", .web = &w };
	struct http_server *s;
	struct curl_result c;

	load_config("mtls.yml", "tls_server_config:\n  cert_file: server.crt\n"
		    "  key_file: server.key\n  client_ca_file: ca.crt\n"
		    "  client_auth_type: RequireAndVerifyClientCert\n", &w);
	s = start(&cfg, &st);
	curl(http_port(s), "/metrics", "--cert client.crt --key client.key", &c);
	assert_int_equal(c.code, 200);
	assert_string_equal(c.body, TEXT_BODY);
	curl(http_port(s), "/metrics", "", &c);
	assert_int_equal(c.code, 403);
	assert_string_equal(c.body, "a client certificate is required\n");
	curl(http_port(s), "/metrics", "--cert rogue.crt --key rogue.key", &c);
	assert_int_equal(c.code, 403);
	assert_string_equal(c.body, "the client certificate does not verify against the "
			    "client CA (not signed by it, or expired)\n");
	assert_int_equal(atomic_load(&st.calls), 1);
	/* signed by the CA, but for servers only (another host's exporter
	 * certificate): refused, as Go's crypto/tls refuses it */
	curl(http_port(s), "/metrics", "--cert eku-server.crt --key eku-server.key", &c);
	assert_int_equal(c.code, 403);
	assert_string_equal(c.body, "the client certificate is not for client "
			    "authentication (its extended key usage lacks clientAuth)\n");
	/* clientAuth, clientAuth among others, any purpose: accepted */
	for (const char **n = (const char *[]){ "eku-client", "eku-both", "eku-any", NULL };
	     *n; n++) {
		char opts[128];

		snprintf(opts, sizeof(opts), "--cert %s.crt --key %s.key", *n, *n);
		curl(http_port(s), "/metrics", opts, &c);
		if (c.code != 200)
			fail_msg("%s: %d %s", *n, c.code, c.body);
		assert_string_equal(c.body, TEXT_BODY);
	}
	assert_int_equal(atomic_load(&st.calls), 4);
	http_stop(s);
	webconfig_free(&w);

	/* VerifyClientCertIfGiven: none is fine, a rogue one is not */
	load_config("mtls2.yml", "tls_server_config:\n  cert_file: server.crt\n"
		    "  key_file: server.key\n  client_ca_file: ca.crt\n"
		    "  client_auth_type: VerifyClientCertIfGiven\n", &w);
	s = start(&cfg, &st);
	curl(http_port(s), "/metrics", "", &c);
	assert_int_equal(c.code, 200);
	curl(http_port(s), "/metrics", "--cert rogue.crt --key rogue.key", &c);
	assert_int_equal(c.code, 403);
	curl(http_port(s), "/metrics", "--cert client.crt --key client.key", &c);
	assert_int_equal(c.code, 200);
	curl(http_port(s), "/metrics", "--cert eku-server.crt --key eku-server.key", &c);
	assert_int_equal(c.code, 403);
	curl(http_port(s), "/metrics", "--cert eku-client.crt --key eku-client.key", &c);
	assert_int_equal(c.code, 200);
	http_stop(s);
	webconfig_free(&w);
}

/* min_version and max_version reach GnuTLS: what is outside is refused. */
static void test_tls_versions(void **state UNUSED)
{
	struct stub st = { 0 };
	struct webconfig w;
	struct http_config cfg = { .listen = "127.0.0.1:0", .web = &w };
	struct http_server *s;
	struct curl_result c;

	load_config("tls13.yml", "tls_server_config:\n  cert_file: server.crt\n"
		    "  key_file: server.key\n  min_version: TLS13\n", &w);
	s = start(&cfg, &st);
	curl(http_port(s), "/metrics", "--tlsv1.3", &c);
	assert_int_equal(c.code, 200);
	curl(http_port(s), "/metrics", "--tls-max 1.2", &c);
	assert_int_equal(c.code, 0);
	assert_int_not_equal(c.exit, 0);
	http_stop(s);
	webconfig_free(&w);
	load_config("tls12.yml", "tls_server_config:\n  cert_file: server.crt\n"
		    "  key_file: server.key\n  max_version: TLS12\n", &w);
	s = start(&cfg, &st);
	curl(http_port(s), "/metrics", "--tls-max 1.2", &c);
	assert_int_equal(c.code, 200);
	curl(http_port(s), "/metrics", "--tlsv1.3", &c);
	assert_int_equal(c.code, 0);
	http_stop(s);
	webconfig_free(&w);
}

/* A certificate and key that do not match, a CA file that is not one:
 * http_start says which, before listening. */
static void test_tls_bad_files(void **state UNUSED)
{
	struct stub st = { 0 };
	struct webconfig w;
	struct http_config cfg = { .listen = "127.0.0.1:0", .web = &w };
	struct http_server *s;
	char err[512];

	load_config("bad.yml", "tls_server_config:\n  cert_file: server.crt\n"
		    "  key_file: client.key\n", &w);
	assert_int_equal(http_start(&s, &cfg, stub_metrics, &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad.yml: tls_server_config: the certificate and key do "
			       "not load as a PEM pair that matches"));
	webconfig_free(&w);
	write_file("notca.pem", "not a certificate\n");
	load_config("bad2.yml", "tls_server_config:\n  cert_file: server.crt\n"
		    "  key_file: server.key\n  client_ca_file: notca.pem\n"
		    "  client_auth_type: RequireAndVerifyClientCert\n", &w);
	assert_int_equal(http_start(&s, &cfg, stub_metrics, &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "the client CA holds no PEM certificate"));
	webconfig_free(&w);
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_get_metrics),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_landing_healthy_404_405),
		cmocka_unit_test(test_metrics_error_is_500),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_keep_alive_idle_timeout),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_concurrent_scrapes),
		cmocka_unit_test(test_slow_client),
		cmocka_unit_test(test_connection_limits),
		cmocka_unit_test(test_stop_with_clients),
		cmocka_unit_test(test_threads_block_signals),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_listen_any_and_ipv6),
	};
	const struct CMUnitTest tls[] = {
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tls_client_cert),
		cmocka_unit_test(test_tls_versions),
		cmocka_unit_test(test_tls_bad_files),
	};
	int failed = cmocka_run_group_tests_name("http", plain, dir_setup, dir_teardown);

	return failed | cmocka_run_group_tests_name("http over TLS", tls, setup_certs, dir_teardown);
}
