// SPDX-License-Identifier: GPL-2.0
/* Unit tests of src/serve/webconfig.c: the exporter-toolkit web config
 * (files written to a temporary directory), bcrypt checks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <crypt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "testcrypt.h"
#include "testdir.h"

#include "serve/webconfig.h"

#define UNUSED __attribute__((unused))

/* Made by Apache's htpasswd (`htpasswd -nbBC 4 alice 'wonder land'`): a
 * bcrypt implementation other than libxcrypt's, and its $2y$ prefix. */
#define ALICE_HASH "$2y$04$3bXEYpD7ouYAPgZXFHVcVOEAwQgYcDVHq58oCEm6vLJltClX.S32q"

/* Loads text as web.yml: the return value, the error in err. */
static int load(const char *text, struct webconfig *w, char *err, size_t len)
{
	err[0] = 0;
	return webconfig_load(write_file("web.yml", text), w, err, len);
}

/* text must fail at line `line` with an error containing needle. */
static void expect_error(const char *text, int line, const char *needle)
{
	struct webconfig w;
	char err[512], prefix[128];

	assert_int_equal(load(text, &w, err, sizeof(err)), -1);
	snprintf(prefix, sizeof(prefix), "%s/web.yml:%d: ", dir, line);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, needle))
		fail_msg("error '%s': wanted '%s' and '%s'", err, prefix, needle);
	/* nothing left allocated: the struct is zeroed */
	assert_null(w.users);
	assert_null(w.path);
}

static void test_empty_file_is_plain_http(void **state UNUSED)
{
	struct webconfig w;
	char err[256];

	assert_int_equal(load("", &w, err, sizeof(err)), 0);
	assert_false(w.tls);
	assert_false(webconfig_has_users(&w));
	webconfig_free(&w);
	assert_int_equal(load("# only a comment\n", &w, err, sizeof(err)), 0);
	assert_false(w.tls);
	webconfig_free(&w);
}

static void test_full_config(void **state UNUSED)
{
	struct webconfig w;
	char err[256], text[1024], prio[128];

	write_file("server.crt", "CERTIFICATE TEXT\n");
	write_file("server.key", "KEY TEXT\n");
	write_file("ca.crt", "CA TEXT\n");
	snprintf(text, sizeof(text),
		 "# a comment\n"
		 "tls_server_config:\n"
		 "  cert_file: server.crt\n"
		 "  key_file: %s/server.key\n"
		 "  client_auth_type: RequireAndVerifyClientCert\n"
		 "  client_ca_file: ca.crt\n"
		 "  min_version: TLS13\n"
		 "  prefer_server_cipher_suites: true\n"
		 "http_server_config:\n"
		 "  http2: false\n"
		 "  headers:\n"
		 "    X-Frame-Options: deny\n"
		 "    Strict-Transport-Security: max-age=31536000\n"
		 "basic_auth_users:\n"
		 "  alice: %s\n"
		 "  bob: '%s'\n", dir, ALICE_HASH, ALICE_HASH);
	assert_int_equal(load(text, &w, err, sizeof(err)), 0);
	assert_true(w.tls);
	/* relative to the file's directory, absolute as given */
	assert_string_equal(w.cert_pem, "CERTIFICATE TEXT\n");
	assert_string_equal(w.key_pem, "KEY TEXT\n");
	assert_string_equal(w.client_ca_pem, "CA TEXT\n");
	assert_int_equal(w.client_auth, WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT);
	assert_int_equal(w.min_version, 13);
	assert_int_equal(w.max_version, 13);
	assert_string_equal(webconfig_tls_priorities(&w, prio, sizeof(prio)),
			    "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	assert_int_equal(w.n_headers, 2);
	assert_string_equal(w.headers[0].name, "X-Frame-Options");
	assert_string_equal(w.headers[0].value, "deny");
	assert_int_equal(w.n_users, 2);
	assert_string_equal(w.users[1].name, "bob");
	assert_string_equal(w.users[1].hash, ALICE_HASH);
	webconfig_free(&w);
}

static void test_default_tls_versions(void **state UNUSED)
{
	struct webconfig w;
	char err[256], prio[128];

	write_file("c.pem", "C\n");
	write_file("k.pem", "K\n");
	assert_int_equal(load("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n",
			      &w, err, sizeof(err)), 0);
	assert_true(w.tls);
	assert_null(w.client_ca_pem);
	assert_int_equal(w.client_auth, WEBCONFIG_NO_CLIENT_CERT);
	/* the exporter-toolkit's default: TLS 1.2 and 1.3 */
	assert_string_equal(webconfig_tls_priorities(&w, prio, sizeof(prio)),
			    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	webconfig_free(&w);
	/* inline PEM (cert, key), as the exporter-toolkit allows */
	assert_int_equal(load("tls_server_config:\n  cert: |\n    INLINE CERT\n"
			      "  key: INLINE KEY\n", &w, err, sizeof(err)), 0);
	assert_string_equal(w.cert_pem, "INLINE CERT\n");
	assert_string_equal(w.key_pem, "INLINE KEY");
	webconfig_free(&w);
	/* an empty section, or versions alone: no TLS (the exporter-toolkit's rule) */
	assert_int_equal(load("tls_server_config:\n  min_version: TLS12\n", &w, err,
			      sizeof(err)), 0);
	assert_false(w.tls);
	webconfig_free(&w);
}

static void test_unknown_keys(void **state UNUSED)
{
	expect_error("basic_auth_users:\n\ntls_config:\n  cert_file: x\n", 3,
		     "unknown key 'tls_config' in the web config (known: tls_server_config");
	expect_error("tls_server_config:\n  cert_file: a\n  certfile: b\n", 3,
		     "unknown key 'certfile' in tls_server_config");
	expect_error("http_server_config:\n  http2: true\n  keep_alive: true\n", 3,
		     "unknown key 'keep_alive' in http_server_config (known: http2, headers)");
	expect_error("http_server_config:\n  http2: maybe\n", 2, "http2: 'maybe' is not true or false");
	expect_error("http_server_config:\n  headers:\n    X-Powered-By: me\n", 3,
		     "header 'X-Powered-By' cannot be configured");
	expect_error("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", 3,
		     "header X-Frame-Options: 'allow' is not one of deny, sameorigin");
	expect_error("basic_auth_users: {}\nbasic_auth_users: {}\n", 2, "given twice");
	expect_error("http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nX: b\"\n",
		     3, "header Content-Security-Policy: control character in the value");
}

static void test_refused_keys(void **state UNUSED)
{
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", 4,
		     "tls_server_config.cipher_suites: not supported by bufscope");
	expect_error("\nrate_limit:\n  burst: 3\n", 2, "rate_limit: not supported");
	expect_error("tls_server_config:\n  client_auth_type: RequireAnyClientCert\n", 2,
		     "not verified is not supported");
	expect_error("tls_server_config:\n  client_auth_type: Sometimes\n", 2,
		     "client_auth_type 'Sometimes': not one of");
	expect_error("tls_server_config:\n  min_version: TLS14\n", 2,
		     "min_version 'TLS14': not one of TLS10, TLS11, TLS12, TLS13");
	expect_error("tls_server_config:\n  min_version: TLS13\n  max_version: TLS12\n", 2,
		     "min_version TLS13 is above max_version TLS12");
}

static void test_tls_errors(void **state UNUSED)
{
	write_file("c.pem", "C\n");
	write_file("k.pem", "K\n");
	expect_error("tls_server_config:\n  cert_file: c.pem\n", 2,
		     "tls_server_config: missing one of key or key_file");
	expect_error("tls_server_config:\n  key_file: k.pem\n", 2,
		     "missing one of cert or cert_file");
	expect_error("tls_server_config:\n  cert_file: c.pem\n  key_file: nothere.pem\n", 3,
		     "key_file ");
	expect_error("tls_server_config:\n  cert_file: c.pem\n  key_file: nothere.pem\n", 3,
		     "/nothere.pem: cannot read it: No such file or directory");
	expect_error("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		     "  client_ca_file: c.pem\n", 4,
		     "a client CA is given but client_auth_type is NoClientCert");
	expect_error("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		     "  client_auth_type: RequireAndVerifyClientCert\n", 4,
		     "client_ca_file (or client_ca) is needed");
	expect_error("tls_server_config:\n  cert_file: c.pem\n  cert: C\n  key_file: k.pem\n", 3,
		     "give cert or cert_file, not both");
	expect_error("tls_server_config: [a, b]\n", 1, "tls_server_config: a mapping");
	expect_error("tls_server_config:\n  cert_file: [a]\n", 2,
		     "cert_file: a single value expected, not a list");
}

static void test_yaml_and_user_errors(void **state UNUSED)
{
	expect_error("basic_auth_users:\n  alice: \"unterminated\n", 3, "not valid YAML");
	expect_error("- a\n- b\n", 1, "not a mapping of sections");
	/* libyaml's reader errors come with an offset: the line is counted */
	expect_error("basic_auth_users:\n\n  alice: \"\xff\xfe\"\n", 3,
		     "not valid YAML: invalid leading UTF-8 octet");
	expect_error("basic_auth_users:\n---\n\nrate_limit: {}\n", 4,
		     "a second YAML document: the web config is one");
	expect_error("basic_auth_users:\n  alice: secret\n", 2,
		     "user alice: the password is not a bcrypt hash");
	expect_error("basic_auth_users:\n  alice: $1$abc$def\n", 2, "htpasswd -nbBC 10");
	/* one character short */
	expect_error("basic_auth_users:\n  alice: $2y$04$3bXEYpD7ouYAPgZXFHVcVOEAwQgYcDVHq58"
		     "oCEm6vLJltClX.S32\n", 2, "not a bcrypt hash");
	expect_error("basic_auth_users:\n  a:b: " ALICE_HASH "\n", 2, "has no ':'");
	expect_error("basic_auth_users:\n  alice: " ALICE_HASH "\n  alice: " ALICE_HASH "\n",
		     3, "user alice given twice");
}

/* What the file holds reaches the message printable. */
static void test_error_escaped(void **state UNUSED)
{
	struct webconfig w;
	char err[512];

	assert_int_equal(load("\"\\e[31mred\\u00e9\": 1\n", &w, err, sizeof(err)), -1);
	assert_null(strchr(err, 0x1b));
	assert_non_null(strstr(err, "unknown key '?[31mred?'"));
	for (const char *c = err; *c; c++)
		assert_true(*c >= 0x20 && *c < 0x7f);
}

static void test_missing_file(void **state UNUSED)
{
	struct webconfig w;
	char err[256], want[256], path[128];

	snprintf(want, sizeof(want), "%s/none.yml: cannot read it: No such file or directory",
		 dir);
	snprintf(path, sizeof(path), "%s/none.yml", dir);
	assert_int_equal(webconfig_load(path, &w, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_int_equal(webconfig_load(dir, &w, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot read it: a directory", dir);
	assert_string_equal(err, want);
	/* /dev/null reads as an empty file: no TLS, no users */
	assert_int_equal(webconfig_load("/dev/null", &w, err, sizeof(err)), 0);
	assert_false(w.tls);
	webconfig_free(&w);
}

/* A FIFO (the config or a PEM file) is refused at once: opening it waited
 * for a writer, forever. */
static void test_fifo_refused(void **state UNUSED)
{
	struct webconfig w;
	char err[512], fifo[128], want[256], text[256];

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(webconfig_load(fifo, &w, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot read it: not a regular file", fifo);
	assert_string_equal(err, want);
	snprintf(text, sizeof(text), "tls_server_config:\n  cert_file: fifo\n"
		 "  key_file: fifo\n");
	expect_error(text, 2, "fifo: cannot read it: not a regular file");
	unlink(fifo);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_check_basic(void **state UNUSED)
{
	struct webconfig w;
	char err[256], text[512], bob[128];
	double t0, first, second;

	make_hash("builder", 4, bob, sizeof(bob));
	snprintf(text, sizeof(text), "basic_auth_users:\n  alice: %s\n  bob: %s\n",
		 ALICE_HASH, bob);
	assert_int_equal(load(text, &w, err, sizeof(err)), 0);
	assert_true(webconfig_has_users(&w));
	/* htpasswd's $2y$ and libxcrypt's $2b$ both verify */
	t0 = now_s();
	assert_true(webconfig_check_basic(&w, "alice", "wonder land"));
	first = now_s() - t0;
	assert_true(webconfig_check_basic(&w, "bob", "builder"));
	assert_false(webconfig_check_basic(&w, "alice", "wonder lan"));
	assert_false(webconfig_check_basic(&w, "alice", "wonder land "));
	assert_false(webconfig_check_basic(&w, "alice", ""));
	assert_false(webconfig_check_basic(&w, "alice", "builder"));
	assert_false(webconfig_check_basic(&w, "Alice", "wonder land"));
	/* an unknown user with the first user's password: refused */
	assert_false(webconfig_check_basic(&w, "carol", "wonder land"));
	assert_false(webconfig_check_basic(&w, NULL, "wonder land"));
	/* the second time from the cache, still exact */
	t0 = now_s();
	assert_true(webconfig_check_basic(&w, "alice", "wonder land"));
	second = now_s() - t0;
	assert_false(webconfig_check_basic(&w, "alice", "wonder lanD"));
	assert_true(webconfig_check_basic(&w, "bob", "builder"));
	print_message("bcrypt cost 4: %.2f ms; cached: %.2f ms\n", first * 1e3, second * 1e3);
	webconfig_free(&w);
	/* no users: nothing passes, and nothing is asked for */
	assert_int_equal(load("", &w, err, sizeof(err)), 0);
	assert_false(webconfig_check_basic(&w, "alice", "wonder land"));
	webconfig_free(&w);
}

/* The shortest of three checks of user's password pass, in seconds. */
static double fastest_check(const struct webconfig *w, const char *user, const char *pass)
{
	double best = 1e9;

	for (int i = 0; i < 3; i++) {
		double t0 = now_s();

		assert_false(webconfig_check_basic(w, user, pass));
		if (now_s() - t0 < best)
			best = now_s() - t0;
	}
	return best;
}

/* An unknown user is checked against the costliest hash, wherever it is in
 * the list: not the first user's, which would make a name that exists
 * answer slower than one that does not. */
static void test_decoy_hash(void **state UNUSED)
{
	struct webconfig w;
	char err[256], text[1024], h[4][128];
	double unknown, known;

	make_hash("a", 4, h[0], sizeof(h[0]));
	make_hash("b", 8, h[1], sizeof(h[1]));
	make_hash("c", 5, h[2], sizeof(h[2]));
	make_hash("d", 8, h[3], sizeof(h[3]));
	snprintf(text, sizeof(text), "basic_auth_users:\n  a: %s\n  b: %s\n  c: %s\n  d: %s\n",
		 h[0], h[1], h[2], h[3]);
	assert_int_equal(load(text, &w, err, sizeof(err)), 0);
	/* the highest cost, the first of equals */
	assert_string_equal(webconfig_decoy_hash(&w), h[1]);
	/* and it is what an unknown user costs: a bcrypt of cost 8 (16 times
	 * cost 4's), as long as a wrong password of b's */
	unknown = fastest_check(&w, "nobody", "x");
	known = fastest_check(&w, "b", "x");
	print_message("wrong password: user of cost 8 %.1f ms, unknown user %.1f ms, "
		      "user of cost 4 %.1f ms\n", known * 1e3, unknown * 1e3,
		      fastest_check(&w, "a", "x") * 1e3);
	assert_true(unknown > known / 2);
	webconfig_free(&w);

	snprintf(text, sizeof(text), "basic_auth_users:\n  d: %s\n  a: %s\n", h[3], h[0]);
	assert_int_equal(load(text, &w, err, sizeof(err)), 0);
	assert_string_equal(webconfig_decoy_hash(&w), h[3]);
	webconfig_free(&w);
	assert_int_equal(load("", &w, err, sizeof(err)), 0);
	assert_null(webconfig_decoy_hash(&w));
	webconfig_free(&w);
}

/* The cache saves the bcrypt of a cost-10 hash (htpasswd's default). */
static void test_cache_saves_bcrypt(void **state UNUSED)
{
	struct webconfig w;
	char err[256];
	double t0, first, second;

	assert_int_equal(load("basic_auth_users:\n  user: "
			      "$2y$10$UUxNRZEDvXAJT60L5El8J.tg37DGD5xCUzypxHgQziBnWWgN7/STK\n",
			      &w, err, sizeof(err)), 0);
	t0 = now_s();
	assert_true(webconfig_check_basic(&w, "user", "pass"));
	first = now_s() - t0;
	t0 = now_s();
	assert_true(webconfig_check_basic(&w, "user", "pass"));
	second = now_s() - t0;
	assert_false(webconfig_check_basic(&w, "user", "pas"));
	print_message("bcrypt cost 10: %.1f ms; cached: %.2f ms\n", first * 1e3, second * 1e3);
	assert_true(second < first / 4);
	webconfig_free(&w);
}

struct guesser {
	const struct webconfig *w;
	atomic_bool stop;
	int tries;
};

static void *guess_passwords(void *p)
{
	struct guesser *g = p;

	while (!atomic_load(&g->stop)) {
		assert_false(webconfig_check_basic(g->w, "user", "guess"));
		g->tries++;
	}
	return NULL;
}

/* Two clients trying wrong passwords (a bcrypt each, 60 ms at cost 10)
 * do not delay the scraper whose password is remembered. */
static void test_guessing_does_not_delay(void **state UNUSED)
{
	struct webconfig w;
	struct guesser g = { .w = &w };
	pthread_t t[2];
	char err[256];
	double worst = 0;

	assert_int_equal(load("basic_auth_users:\n  user: "
			      "$2y$10$UUxNRZEDvXAJT60L5El8J.tg37DGD5xCUzypxHgQziBnWWgN7/STK\n",
			      &w, err, sizeof(err)), 0);
	assert_true(webconfig_check_basic(&w, "user", "pass"));
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, guess_passwords, &g), 0);
	for (int i = 0; i < 20; i++) {
		double t0 = now_s(), took;

		assert_true(webconfig_check_basic(&w, "user", "pass"));
		took = now_s() - t0;
		if (took > worst)
			worst = took;
		usleep(20 * 1000);
	}
	atomic_store(&g.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	print_message("while %d wrong passwords were tried: a remembered one took %.2f ms "
		      "at worst\n", g.tries, worst * 1e3);
	assert_true(g.tries >= 2);
	assert_true(worst < 0.04);
	webconfig_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_file_is_plain_http),
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_default_tls_versions),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_refused_keys),
		cmocka_unit_test(test_tls_errors),
		cmocka_unit_test(test_yaml_and_user_errors),
		cmocka_unit_test(test_error_escaped),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_fifo_refused),
		cmocka_unit_test(test_check_basic),
		cmocka_unit_test(test_decoy_hash),
		cmocka_unit_test(test_cache_saves_bcrypt),
		cmocka_unit_test(test_guessing_does_not_delay),
	};

	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
