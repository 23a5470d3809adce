// SPDX-License-Identifier: GPL-2.0
/*
 * What serve's HTTP handler decides from a request (serve/http.c): its
 * route and status by method and path, the format by Accept (q-values),
 * gzip by Accept-Encoding, and basic auth by the user and password that
 * libmicrohttpd took from the Authorization header (its parsing is
 * libmicrohttpd's, not fuzzed here). The input: method, path, Accept,
 * Accept-Encoding, user, password, NUL-separated (the last two optional).
 * Checked: the status agrees with the three paths and two methods; Accept
 * and Accept-Encoding without the media type never choose it, and an
 * element with q=0 appended changes nothing; only alice with her password
 * passes auth (web config of one user, bcrypt cost 4).
 */
#include <ctype.h>
#include <unistd.h>
#include "serve/http.h"
#include "serve/webconfig.h"
#include "fuzzlib.h"

#define USER "alice"
#define PASS "secret"
/* htpasswd -nbBC 4 alice secret */
#define HASH "$2y$04$tC0Lp42kCw0wRIYbST3o.uvCdbl.D22T7.ZeiVObq3vPqQNXYI2kq"

static struct webconfig web;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/bufscope-fuzz-web-XXXXXX", err[512];
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	(void)argc, (void)argv;
	FUZZ_CHECK(f);
	fprintf(f, "basic_auth_users:\n  %s: %s\n", USER, HASH);
	fclose(f);
	if (webconfig_load(path, &web, err, sizeof(err)))
		fprintf(stderr, "fuzz_http: %s\n", err);
	unlink(path);
	FUZZ_CHECK(webconfig_has_users(&web));
	return 0;
}

static bool contains_nocase(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; *s; s++)
		if (!strncasecmp(s, needle, n))
			return true;
	return false;
}

static void check_route(const char *method, const char *url)
{
	enum http_endpoint ep = (enum http_endpoint)-1;
	unsigned status = http_route(method, url, &ep);
	bool known = !strcmp(url, "/metrics") || !strcmp(url, "/") ||
		!strcmp(url, "/-/healthy");
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

	FUZZ_CHECK(status == (!known ? 404u : get ? 200u : 405u));
	FUZZ_CHECK((status == 200) == (ep != HTTP_EP_NONE));
	FUZZ_CHECK(ep <= HTTP_EP_HEALTHY);
}

/* h with ",x/y;q=0" after it: an element nobody could choose. */
static char *with_refused(const char *h, const char *type)
{
	size_t n = strlen(h) + strlen(type) + 8;
	char *s = malloc(n);

	FUZZ_CHECK(s);
	snprintf(s, n, "%s,%s;q=0", h, type);
	return s;
}

static void check_accept(const char *accept)
{
	enum http_format f = http_negotiate(accept);
	char *more = with_refused(accept, "application/openmetrics-text");

	FUZZ_CHECK(f == HTTP_TEXT_004 || f == HTTP_OPENMETRICS_100);
	if (!contains_nocase(accept, "openmetrics"))
		FUZZ_CHECK(f == HTTP_TEXT_004);
	FUZZ_CHECK(http_negotiate(more) == f);
	free(more);
	FUZZ_CHECK(http_negotiate(NULL) == HTTP_TEXT_004);
}

static void check_encoding(const char *enc)
{
	bool gz = http_wants_gzip(enc);
	char *more = with_refused(enc, "gzip");

	if (!contains_nocase(enc, "gzip"))
		FUZZ_CHECK(!gz);
	FUZZ_CHECK(http_wants_gzip(more) == gz);
	free(more);
}

static void check_auth(const char *user, const char *pass)
{
	bool want = !strcmp(user, USER) && !strcmp(pass, PASS);

	FUZZ_CHECK(webconfig_check_basic(&web, user, pass) == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[6], *buf;
	size_t n = fuzz_fields(data, size, 0, f, 6, &buf);

	if (!buf)
		return 0;
	check_route(f[0], n > 1 ? f[1] : "/");
	check_accept(n > 2 ? f[2] : "");
	check_encoding(n > 3 ? f[3] : "");
	if (n > 5)
		check_auth(f[4], f[5]);
	free(buf);
	return 0;
}
