// SPDX-License-Identifier: GPL-2.0
/*
 * serve's --web.config.file: the input is the file, in a directory of its
 * own that also holds the PEM files the seeds name (bufscope.crt,
 * bufscope.key, clients-ca.crt). It loads, consistent (users with bcrypt
 * hashes and names without ':', headers of the allowed list with one-line
 * values, TLS with its certificate and key, a client CA exactly when
 * client certificates are verified, versions in order), or it is refused
 * with one printable line. A loaded user whose hash is alice's (cost 4)
 * passes with her password only.
 */
#include <fcntl.h>
#include <unistd.h>
#include "serve/webconfig.h"
#include "fuzzlib.h"

/* htpasswd -nbBC 4 alice secret */
#define PASS "secret"
#define HASH "$2y$04$tC0Lp42kCw0wRIYbST3o.uvCdbl.D22T7.ZeiVObq3vPqQNXYI2kq"

/* testdir.h's directory and write_file(), checked as a fuzz target does */
#define assert_non_null(p) FUZZ_CHECK((p) != NULL)
#include "../unit/testdir.h"

static char path[96];

static void remove_dir(void)
{
	dir_teardown(NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	FUZZ_CHECK(!dir_setup(NULL) && !atexit(remove_dir));
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	/* read as bytes only: webconfig_load does not parse PEM */
	write_file("bufscope.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	write_file("bufscope.key", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
	write_file("clients-ca.crt", "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n");
	write_file("empty.crt", "");
	return 0;
}

static void check_loaded(const struct webconfig *w)
{
	char prio[128];

	FUZZ_CHECK(w->path && w->cache);
	FUZZ_CHECK(w->min_version >= 10 && w->min_version <= w->max_version &&
		   w->max_version <= 13);
	FUZZ_CHECK(!w->tls || (w->cert_pem && w->key_pem && *w->cert_pem && *w->key_pem));
	FUZZ_CHECK((w->client_auth != WEBCONFIG_NO_CLIENT_CERT) == (w->client_ca_pem != NULL));
	FUZZ_CHECK(!w->client_ca_pem || w->tls);
	for (size_t i = 0; i < w->n_users; i++) {
		FUZZ_CHECK(w->users[i].name[0] && !strchr(w->users[i].name, ':'));
		FUZZ_CHECK(strlen(w->users[i].hash) == 60 && !strncmp(w->users[i].hash, "$2", 2));
	}
	for (size_t i = 0; i < w->n_headers; i++) {
		FUZZ_CHECK(w->headers[i].name[0] && fuzz_printable(w->headers[i].name));
		FUZZ_CHECK(fuzz_terminal_safe(w->headers[i].value, strlen(w->headers[i].value)) &&
			   !strchr(w->headers[i].value, '\n'));
	}
	webconfig_tls_priorities(w, prio, sizeof(prio));
	FUZZ_CHECK(fuzz_printable(prio) && !strncmp(prio, "NORMAL:-VERS-ALL", 16));
	/* bcrypt at the cost the file asks is too slow to fuzz: cost 4 only */
	if (w->n_users && !strncmp(w->users[0].hash + 3, "$04$", 4)) {
		bool alice = !strcmp(w->users[0].hash, HASH);

		FUZZ_CHECK(webconfig_check_basic(w, w->users[0].name, PASS) == alice);
		FUZZ_CHECK(!webconfig_check_basic(w, w->users[0].name, "not" PASS));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webconfig w;
	char err[512];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	FUZZ_CHECK(fd >= 0 && write(fd, data, size) == (ssize_t)size && !close(fd));
	memset(err, 0x5a, sizeof(err));
	if (webconfig_load(path, &w, err, sizeof(err))) {
		FUZZ_CHECK(memchr(err, 0, sizeof(err)) && err[0] && fuzz_printable(err));
		return 0;
	}
	check_loaded(&w);
	webconfig_free(&w);
	return 0;
}
