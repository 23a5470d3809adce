/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `--web.config.file`: the Prometheus exporter-toolkit's web configuration
 * (YAML), as every exporter reads it: TLS (tls_server_config), basic auth
 * with bcrypt hashes (basic_auth_users) and extra response headers
 * (http_server_config). docs/serve.md lists what is supported.
 */
#ifndef BUFSCOPE_WEBCONFIG_H
#define BUFSCOPE_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* The hint the caller prints with webconfig_load's message. */
#define WEBCONFIG_HINT "docs/serve.md describes the web config file"

/* tls_server_config's client_auth_type; the others are refused at load. */
enum webconfig_client_auth {
	WEBCONFIG_NO_CLIENT_CERT,
	WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN,
	WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

struct webconfig_user {
	char *name;
	char *hash;	/* bcrypt: $2a$, $2b$ or $2y$ */
};

struct webconfig_header {
	char *name;
	char *value;
};

struct webconfig_cache;

struct webconfig {
	char *path;			/* the file, for messages */
	bool tls;			/* tls_server_config has a certificate */
	char *cert_pem, *key_pem;	/* read at load, NUL-terminated */
	char *client_ca_pem;		/* NULL: no client certificates asked */
	enum webconfig_client_auth client_auth;
	int min_version, max_version;	/* 10..13 for TLS 1.0..1.3 */
	struct webconfig_user *users;
	size_t n_users, users_cap;
	struct webconfig_header *headers;	/* http_server_config.headers */
	size_t n_headers, headers_cap;
	struct webconfig_cache *cache;	/* passwords already verified */
};

/*
 * Reads the web config file at path into *out (zeroed first): 0, or -1 with
 * one line in err: "FILE:LINE: what is wrong", printable whatever the file
 * holds. Relative file names in it are taken from the file's directory, as
 * the exporter-toolkit does; the certificate, key and CA files are read now.
 */
int webconfig_load(const char *path, struct webconfig *out, char *err, size_t errlen);

/* Whether basic auth is asked for (basic_auth_users has a user). */
bool webconfig_has_users(const struct webconfig *w);

/*
 * Whether user and pass match a basic_auth_users entry (bcrypt, compared in
 * constant time; an unknown user costs a bcrypt of the highest cost among
 * the users' hashes, webconfig_decoy_hash's).
 * A password once verified is remembered as a salted SHA-256 crypt, so a
 * scrape every few seconds does not pay a bcrypt each time. Thread-safe;
 * bcrypts run one at a time, and a remembered password never waits for
 * them (a client trying passwords does not delay the scrapes).
 */
bool webconfig_check_basic(const struct webconfig *w, const char *user, const char *pass);

/* The hash an unknown user's password is checked against: the users' hash
 * of the highest bcrypt cost (the first of equals); NULL without users. */
const char *webconfig_decoy_hash(const struct webconfig *w);

/* The GnuTLS priority string for min_version..max_version, in buf. */
const char *webconfig_tls_priorities(const struct webconfig *w, char *buf, size_t len);

void webconfig_free(struct webconfig *w);

#endif
