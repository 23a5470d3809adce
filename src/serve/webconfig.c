// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter-toolkit web config (webconfig.h). libyaml's document API
 * gives every node its line, so each error names FILE:LINE. Unknown keys are
 * refused, as the exporter-toolkit's strict YAML decoding refuses them; keys
 * it knows that bufscope cannot honour (cipher lists, rate limits...) are
 * refused too, with why: a security setting silently ignored would be worse
 * than an error.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <yaml.h>

#include "serve/webconfig.h"
#include "util/array.h"
#include "util/sanitize.h"

/* A PEM file larger than this is not a certificate chain or a key. */
#define PEM_MAX (1 << 20)
/* sha256crypt's fewest rounds: the cache's remembered password costs
 * about a millisecond to check, against tens for bcrypt. */
#define CACHE_SETTING "$5$"
#define CACHE_ROUNDS 1000

/* What a password check against the cache costs when the user has no entry
 * (or is unknown): the same sha256crypt, which never matches. */
#define CACHE_DECOY "$5$rounds=1000$bufscope.decoy$"

struct webconfig_cache {
	pthread_mutex_t lock;	/* guards verified[], held for a copy only */
	/* one bcrypt at a time, as the exporter-toolkit: wrong passwords
	 * cost one core at most, and never delay a remembered one */
	pthread_mutex_t bcrypt;
	char **verified;	/* per user: sha256crypt of the verified password */
};

/* The TLS section as written, checked once the whole section is read. */
struct tls_raw {
	const yaml_node_t *section;
	const char *cert_file, *key_file, *ca_file;
	const char *cert, *key, *ca;
	const yaml_node_t *cert_node, *key_node, *ca_node, *auth_node;
	const yaml_node_t *min_node;
	bool auth_given;
};

struct parse {
	const char *path;
	char dir[PATH_MAX];
	yaml_document_t *doc;
	struct webconfig *w;
	struct tls_raw tls;
	char *err;
	size_t errlen;
};

typedef int (*key_fn)(struct parse *p, const yaml_node_t *key, const yaml_node_t *val);

/* A key of a section: handled by fn, or refused with `refused` (a key the
 * exporter-toolkit knows that bufscope does not implement). */
struct key {
	const char *name;
	key_fn fn;
	const char *refused;
};

static int fail(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "FILE:LINE: why", all of it printable: names and values come from the file. */
static int fail(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	char raw[1024];
	int off;
	va_list ap;

	if (n)
		off = snprintf(raw, sizeof(raw), "%s:%zu: ", p->path,
			       (size_t)n->start_mark.line + 1);
	else
		off = snprintf(raw, sizeof(raw), "%s: ", p->path);
	if (off < 0 || (size_t)off >= sizeof(raw))
		off = 0;
	va_start(ap, fmt);
	vsnprintf(raw + off, sizeof(raw) - off, fmt, ap);
	va_end(ap);
	sanitize_text(p->err, p->errlen, raw, strlen(raw));
	return -1;
}

static const yaml_node_t *node(struct parse *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

/* A plain empty, ~ or null scalar: YAML's null, a key given no value. */
static bool is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
		!strcmp(v, "NULL");
}

/* A scalar's text in *out ("" for null); what names it in the error. */
static int scalar(struct parse *p, const yaml_node_t *n, const char *what, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(p, n, "%s: a single value expected, not a %s", what,
			    n->type == YAML_MAPPING_NODE ? "mapping" : "list");
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return fail(p, n, "%s: the value holds a NUL character", what);
	*out = is_null(n) ? "" : (const char *)n->data.scalar.value;
	return 0;
}

/* YAML 1.1 booleans, as Go's yaml.v2 reads them. */
static int boolean(struct parse *p, const yaml_node_t *n, const char *what, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "on", "On" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "off", "Off" };
	const char *v;

	if (scalar(p, n, what, &v))
		return -1;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(v, yes[i]) || !strcmp(v, no[i])) {
			*out = !strcmp(v, yes[i]);
			return 0;
		}
	}
	return fail(p, n, "%s: '%.64s' is not true or false", what, v);
}

static void known_keys(const struct key *keys, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "", keys[i].name);
}

/* Walks a section's mapping, each key to its handler; an absent (null)
 * section is an empty one. */
static int section(struct parse *p, const yaml_node_t *map, const char *name,
		   const struct key *keys, size_t nkeys)
{
	unsigned long seen = 0;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, map, "%s: a mapping of key: value lines expected", name);
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = node(p, pair->key), *v = node(p, pair->value);
		const char *kname;
		size_t i;

		if (scalar(p, k, name, &kname))
			return -1;
		for (i = 0; i < nkeys && strcmp(keys[i].name, kname); i++)
			;
		if (i == nkeys) {
			char list[512];

			known_keys(keys, nkeys, list, sizeof(list));
			return fail(p, k, "unknown key '%.64s' in %s (known: %s)", kname,
				    name, list);
		}
		if (seen & (1UL << i))
			return fail(p, k, "%s: %s given twice", name, kname);
		seen |= 1UL << i;
		if (keys[i].refused)
			return fail(p, k, "%s.%s: %s", name, kname, keys[i].refused);
		if (keys[i].fn(p, k, v))
			return -1;
	}
	return 0;
}

/* ---- tls_server_config ---- */

#define TLS_STRING_KEY(fn_name, field, node_field)					\
static int fn_name(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)		\
{											\
	p->tls.node_field = k;								\
	return scalar(p, v, (const char *)k->data.scalar.value, &p->tls.field);		\
}

TLS_STRING_KEY(tls_cert_file, cert_file, cert_node)
TLS_STRING_KEY(tls_key_file, key_file, key_node)
TLS_STRING_KEY(tls_ca_file, ca_file, ca_node)
TLS_STRING_KEY(tls_cert, cert, cert_node)
TLS_STRING_KEY(tls_key, key, key_node)
TLS_STRING_KEY(tls_ca, ca, ca_node)

static int tls_client_auth(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	static const struct {
		const char *name;
		int mode;	/* -1: refused */
	} modes[] = {
		{ "", WEBCONFIG_NO_CLIENT_CERT },
		{ "NoClientCert", WEBCONFIG_NO_CLIENT_CERT },
		{ "VerifyClientCertIfGiven", WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN },
		{ "RequireAndVerifyClientCert", WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT },
		{ "RequestClientCert", -1 },
		{ "RequireAnyClientCert", -1 },
		{ "RequireClientCert", -1 },
	};
	const char *s;

	if (scalar(p, v, "client_auth_type", &s))
		return -1;
	p->tls.auth_node = k;
	p->tls.auth_given = *s;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(s, modes[i].name))
			continue;
		if (modes[i].mode < 0)
			return fail(p, v, "client_auth_type %s: a certificate that is not "
				    "verified is not supported by bufscope (use "
				    "RequireAndVerifyClientCert or VerifyClientCertIfGiven)", s);
		p->w->client_auth = modes[i].mode;
		return 0;
	}
	return fail(p, v, "client_auth_type '%.64s': not one of NoClientCert, "
		    "VerifyClientCertIfGiven, RequireAndVerifyClientCert", s);
}

static int tls_version(struct parse *p, const yaml_node_t *n, const char *what, int *out)
{
	static const char *const names[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
	const char *s;

	if (scalar(p, n, what, &s))
		return -1;
	for (int i = 0; i < 4; i++) {
		if (!strcmp(s, names[i])) {
			*out = 10 + i;
			return 0;
		}
	}
	return fail(p, n, "%s '%.64s': not one of TLS10, TLS11, TLS12, TLS13", what, s);
}

static int tls_min_version(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	p->tls.min_node = k;
	return tls_version(p, v, "min_version", &p->w->min_version);
}

static int tls_max_version(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	(void)k;
	return tls_version(p, v, "max_version", &p->w->max_version);
}

/* Go ignores it since Go 1.18; bufscope lets GnuTLS choose. */
static int tls_prefer_server(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	bool b;

	(void)k;
	return boolean(p, v, "prefer_server_cipher_suites", &b);
}

static const struct key tls_keys[] = {
	{ "cert_file", tls_cert_file, NULL },
	{ "key_file", tls_key_file, NULL },
	{ "client_ca_file", tls_ca_file, NULL },
	{ "cert", tls_cert, NULL },
	{ "key", tls_key, NULL },
	{ "client_ca", tls_ca, NULL },
	{ "client_auth_type", tls_client_auth, NULL },
	{ "min_version", tls_min_version, NULL },
	{ "max_version", tls_max_version, NULL },
	{ "prefer_server_cipher_suites", tls_prefer_server, NULL },
	{ "cipher_suites", NULL, "not supported by bufscope (GnuTLS's default "
	  "ciphers apply; min_version and max_version are supported)" },
	{ "curve_preferences", NULL, "not supported by bufscope (GnuTLS's default "
	  "groups apply)" },
	{ "client_allowed_sans", NULL, "not supported by bufscope (any certificate "
	  "the client CA signed is accepted)" },
};

/*
 * path opened for reading if it is a regular file (or /dev/null: empty):
 * NULL with errno set otherwise (EISDIR, EINVAL for a FIFO, a socket or
 * another device, which could block the start or never end). Opened
 * without blocking, then checked.
 */
static FILE *open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), e;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !(S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) &&
						       st.st_rdev == makedev(1, 3)))) {
		e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		errno = e;
		return NULL;
	}
	/* reads of these never block: the flag can stay */
	f = fdopen(fd, "r");
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

/* A file name of the config, relative to the config file's directory. */
static void resolve(const struct parse *p, const char *name, char *out, size_t len)
{
	if (name[0] == '/')
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, "%s/%s", p->dir, name);
}

/* The whole file at name (resolved) into *out, NUL-terminated. */
static int read_pem(struct parse *p, const yaml_node_t *n, const char *key,
		    const char *name, char **out)
{
	char path[PATH_MAX + 256];
	FILE *f;
	char *buf;
	size_t got;

	resolve(p, name, path, sizeof(path));
	f = open_regular(path);
	if (!f)
		return fail(p, n, "%s %.200s: cannot read it: %s", key, path,
			    errno == EINVAL ? "not a regular file" : strerror(errno));
	buf = malloc(PEM_MAX + 1);
	if (!buf) {
		fclose(f);
		return fail(p, n, "%s: out of memory", key);
	}
	got = fread(buf, 1, PEM_MAX + 1, f);
	if (ferror(f) || got > PEM_MAX || got == 0) {
		int e = ferror(f) ? errno : 0;

		fclose(f);
		free(buf);
		return fail(p, n, "%s %.200s: %s", key, path,
			    e ? strerror(e) : got ? "larger than 1 MiB: not a PEM file" :
			    "empty");
	}
	fclose(f);
	buf[got] = 0;
	*out = buf;
	return 0;
}

/* cert or cert_file (one of them) into *out. */
static int pem_of(struct parse *p, const yaml_node_t *n, const char *inline_key,
		  const char *inline_val, const char *file_key, const char *file_val,
		  char **out)
{
	if (*inline_val && *file_val)
		return fail(p, n, "give %s or %s, not both", inline_key, file_key);
	if (*file_val)
		return read_pem(p, n, file_key, file_val, out);
	*out = strdup(inline_val);
	return *out ? 0 : fail(p, n, "%s: out of memory", inline_key);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* The exporter-toolkit's checks: TLS is on when anything but the versions
 * is set; then a certificate and a key are needed, and a client CA goes
 * with a client_auth_type that verifies. */
static int tls_finish(struct parse *p)
{
	struct tls_raw *t = &p->tls;
	struct webconfig *w = p->w;
	const char *cert = or_empty(t->cert), *cert_file = or_empty(t->cert_file);
	const char *key = or_empty(t->key), *key_file = or_empty(t->key_file);
	const char *ca = or_empty(t->ca), *ca_file = or_empty(t->ca_file);

	if (w->min_version > w->max_version)
		return fail(p, t->min_node ? t->min_node : t->section, "min_version TLS1%d is above max_version TLS1%d",
			    w->min_version - 10, w->max_version - 10);
	if (!*cert && !*cert_file && !*key && !*key_file && !*ca && !*ca_file &&
	    !t->auth_given)
		return 0;
	if (!*cert && !*cert_file)
		return fail(p, t->section, "tls_server_config: missing one of cert or "
			    "cert_file");
	if (!*key && !*key_file)
		return fail(p, t->section, "tls_server_config: missing one of key or "
			    "key_file");
	if ((*ca || *ca_file) && w->client_auth == WEBCONFIG_NO_CLIENT_CERT)
		return fail(p, t->ca_node, "a client CA is given but client_auth_type "
			    "is NoClientCert (set it to RequireAndVerifyClientCert)");
	if (!*ca && !*ca_file && w->client_auth != WEBCONFIG_NO_CLIENT_CERT)
		return fail(p, t->auth_node, "client_auth_type verifies client "
			    "certificates: client_ca_file (or client_ca) is needed");
	if (pem_of(p, t->cert_node, "cert", cert, "cert_file", cert_file, &w->cert_pem) ||
	    pem_of(p, t->key_node, "key", key, "key_file", key_file, &w->key_pem))
		return -1;
	if ((*ca || *ca_file) &&
	    pem_of(p, t->ca_node, "client_ca", ca, "client_ca_file", ca_file,
		   &w->client_ca_pem))
		return -1;
	w->tls = true;
	return 0;
}

static int top_tls(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	(void)k;
	p->tls.section = v;
	if (section(p, v, "tls_server_config", tls_keys, sizeof(tls_keys) / sizeof(tls_keys[0])))
		return -1;
	return tls_finish(p);
}

/* ---- http_server_config ---- */

/* bufscope speaks HTTP/1.1 only (libmicrohttpd): http2 is read and has no
 * effect, as with the exporter-toolkit over plain HTTP. */
static int http_http2(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	bool b;

	(void)k;
	return boolean(p, v, "http2", &b);
}

/* The exporter-toolkit's list of headers a config may add, with their
 * allowed values where it has a list. */
static const struct {
	const char *name;
	const char *values[3];
} header_rules[] = {
	{ "Strict-Transport-Security", { NULL } },
	{ "X-Content-Type-Options", { "nosniff", NULL } },
	{ "X-Frame-Options", { "deny", "sameorigin", NULL } },
	{ "X-XSS-Protection", { NULL } },
	{ "Content-Security-Policy", { NULL } },
};

static int header_check(struct parse *p, const yaml_node_t *k, const char *name,
			const yaml_node_t *v, const char *value)
{
	size_t i, n = sizeof(header_rules) / sizeof(header_rules[0]);
	const char *const *allowed;

	for (i = 0; i < n && strcmp(name, header_rules[i].name); i++)
		;
	if (i == n)
		return fail(p, k, "header '%.64s' cannot be configured (only "
			    "Strict-Transport-Security, X-Content-Type-Options, "
			    "X-Frame-Options, X-XSS-Protection, Content-Security-Policy)", name);
	allowed = header_rules[i].values;
	if (allowed[0]) {
		for (int j = 0; allowed[j]; j++)
			if (!strcmp(value, allowed[j]))
				return 0;
		return fail(p, v, "header %s: '%.64s' is not one of %s%s%s", name, value,
			    allowed[0], allowed[1] ? ", " : "", or_empty(allowed[1]));
	}
	/* a header value is one line: a newline would start another header */
	for (const char *c = value; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return fail(p, v, "header %s: control character in the value", name);
	return 0;
}

static int http_headers(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	struct webconfig *w = p->w;

	(void)k;
	if (is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return fail(p, v, "headers: a mapping of Header-Name: value expected");
	for (yaml_node_pair_t *pair = v->data.mapping.pairs.start;
	     pair < v->data.mapping.pairs.top; pair++) {
		const yaml_node_t *hk = node(p, pair->key), *hv = node(p, pair->value);
		const char *name, *value;
		struct webconfig_header *h;

		if (scalar(p, hk, "headers", &name) || scalar(p, hv, name, &value) ||
		    header_check(p, hk, name, hv, value))
			return -1;
		for (size_t i = 0; i < w->n_headers; i++)
			if (!strcasecmp(w->headers[i].name, name))
				return fail(p, hk, "header %s given twice", name);
		if (array_reserve(&w->headers, &w->headers_cap, w->n_headers,
				  sizeof(*w->headers), 4))
			return fail(p, hk, "out of memory");
		h = &w->headers[w->n_headers++];
		h->name = strdup(name);
		h->value = strdup(value);
		if (!h->name || !h->value)
			return fail(p, hk, "out of memory");
	}
	return 0;
}

static const struct key http_keys[] = {
	{ "http2", http_http2, NULL },
	{ "headers", http_headers, NULL },
};

static int top_http(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	(void)k;
	return section(p, v, "http_server_config", http_keys,
		       sizeof(http_keys) / sizeof(http_keys[0]));
}

/* ---- basic_auth_users ---- */

/* $2a$, $2b$ or $2y$, a two-digit cost 04..31, 53 characters of bcrypt's
 * base64: what htpasswd -B and the exporter-toolkit's bcrypt make. */
static bool is_bcrypt(const char *h)
{
	static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	int cost;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) ||
	    h[3] != '$' || h[6] != '$' || h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9')
		return false;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return false;
	return strspn(h + 7, b64) == 53;
}

static int top_users(struct parse *p, const yaml_node_t *k, const yaml_node_t *v)
{
	struct webconfig *w = p->w;

	(void)k;
	if (is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return fail(p, v, "basic_auth_users: a mapping of user: bcrypt hash expected");
	for (yaml_node_pair_t *pair = v->data.mapping.pairs.start;
	     pair < v->data.mapping.pairs.top; pair++) {
		const yaml_node_t *uk = node(p, pair->key), *uv = node(p, pair->value);
		const char *name, *hash;
		struct webconfig_user *u;

		if (scalar(p, uk, "basic_auth_users", &name) || scalar(p, uv, name, &hash))
			return -1;
		if (!*name || strchr(name, ':'))
			return fail(p, uk, "user '%.64s': a user name is not empty and has "
				    "no ':' (basic auth splits user:password there)", name);
		for (size_t i = 0; i < w->n_users; i++)
			if (!strcmp(w->users[i].name, name))
				return fail(p, uk, "user %.64s given twice", name);
		if (!is_bcrypt(hash))
			return fail(p, uv, "user %.64s: the password is not a bcrypt hash "
				    "($2y$10$ and 53 more characters; make one with "
				    "htpasswd -nbBC 10 USER PASSWORD)", name);
		if (array_reserve(&w->users, &w->users_cap, w->n_users,
				  sizeof(*w->users), 4))
			return fail(p, uk, "out of memory");
		u = &w->users[w->n_users++];
		u->name = strdup(name);
		u->hash = strdup(hash);
		if (!u->name || !u->hash)
			return fail(p, uk, "out of memory");
	}
	return 0;
}

static const struct key top_keys[] = {
	{ "tls_server_config", top_tls, NULL },
	{ "http_server_config", top_http, NULL },
	{ "basic_auth_users", top_users, NULL },
	{ "rate_limit", NULL, "not supported by bufscope (its connection limits "
	  "and timeout apply: docs/serve.md)" },
};

/* ---- loading ---- */

static int parse_document(struct parse *p)
{
	const yaml_node_t *root = yaml_document_get_root_node(p->doc);

	if (!root)
		return 0;	/* an empty file: plain HTTP, no auth */
	if (root->type != YAML_MAPPING_NODE && !is_null(root))
		return fail(p, root, "the file is not a mapping of sections "
			    "(tls_server_config, http_server_config, basic_auth_users)");
	return section(p, root, "the web config", top_keys,
		       sizeof(top_keys) / sizeof(top_keys[0]));
}

static int cache_init(struct webconfig *w)
{
	w->cache = calloc(1, sizeof(*w->cache));
	if (!w->cache)
		return -1;
	w->cache->verified = calloc(w->n_users ? w->n_users : 1, sizeof(char *));
	if (!w->cache->verified)
		return -1;
	pthread_mutex_init(&w->cache->lock, NULL);
	pthread_mutex_init(&w->cache->bcrypt, NULL);
	return 0;
}

static void set_dir(struct parse *p, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(p->dir, sizeof(p->dir), ".");
	else if (slash == path)
		snprintf(p->dir, sizeof(p->dir), "/");
	else
		snprintf(p->dir, sizeof(p->dir), "%.*s", (int)(slash - path), path);
}

/* The line of byte offset off of f (libyaml's reader errors give an offset,
 * its parser errors a line). */
static size_t line_at(FILE *f, size_t off)
{
	size_t line = 1;
	int c;

	rewind(f);
	while (off-- && (c = getc(f)) != EOF)
		line += c == '\n';
	return line;
}

/* libyaml's error as "FILE:LINE: not valid YAML: why". */
static int yaml_error(struct parse *p, yaml_parser_t *parser, FILE *f)
{
	char raw[512];
	size_t line = parser->error == YAML_READER_ERROR ?
		line_at(f, parser->problem_offset) : parser->problem_mark.line + 1;

	snprintf(raw, sizeof(raw), "%s:%zu: not valid YAML: %s%s%s", p->path, line,
		 or_empty(parser->problem), parser->context ? " " : "",
		 or_empty(parser->context));
	sanitize_text(p->err, p->errlen, raw, strlen(raw));
	return -1;
}

/* Parses the one YAML document of f into p->w. */
static int parse_file(struct parse *p, FILE *f)
{
	yaml_parser_t parser;
	yaml_document_t doc, next;
	int ret;

	if (!yaml_parser_initialize(&parser))
		return fail(p, NULL, "out of memory");
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = yaml_error(p, &parser, f);
		yaml_parser_delete(&parser);
		return ret;
	}
	p->doc = &doc;
	ret = parse_document(p);
	/* a second document would be ignored by the exporter-toolkit: refused */
	if (!ret && !yaml_parser_load(&parser, &next)) {
		ret = yaml_error(p, &parser, f);
	} else if (!ret) {
		const yaml_node_t *root = yaml_document_get_root_node(&next);

		if (root)
			ret = fail(p, root, "a second YAML document: the web config is one");
		yaml_document_delete(&next);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}

int webconfig_load(const char *path, struct webconfig *out, char *err, size_t errlen)
{
	struct parse p = { .path = path, .w = out, .err = err, .errlen = errlen };
	FILE *f;
	int ret;

	memset(out, 0, sizeof(*out));
	out->min_version = 12;	/* the exporter-toolkit's defaults */
	out->max_version = 13;
	set_dir(&p, path);
	f = open_regular(path);
	if (!f)
		return fail(&p, NULL, "cannot read it: %s", errno == EISDIR ? "a directory" :
			    errno == EINVAL ? "not a regular file" : strerror(errno));
	out->path = strdup(path);
	ret = out->path ? parse_file(&p, f) : fail(&p, NULL, "out of memory");
	fclose(f);
	if (!ret && cache_init(out))
		ret = fail(&p, NULL, "out of memory");
	if (ret)
		webconfig_free(out);
	return ret;
}

bool webconfig_has_users(const struct webconfig *w)
{
	return w && w->n_users > 0;
}

/* Equal strings, in a time that depends on their lengths only. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)(i < lb ? b[i] : 0);
	return diff == 0;
}

/* crypt of pass with setting, compared with expect; false on any error. */
static bool crypt_matches(const char *pass, const char *setting, const char *expect)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h;
	bool ok;

	if (!cd)
		return false;
	h = crypt_rn(pass, setting, cd, sizeof(*cd));
	ok = h && h[0] != '*' && same_secret(h, expect);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/* Remembers pass for user i as sha256crypt with a fresh salt. */
static void cache_store(struct webconfig_cache *c, size_t i, const char *pass)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], *copy = NULL;
	struct crypt_data *cd;
	const char *h;

	if (!crypt_gensalt_rn(CACHE_SETTING, CACHE_ROUNDS, NULL, 0, setting, sizeof(setting)))
		return;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return;
	h = crypt_rn(pass, setting, cd, sizeof(*cd));
	if (h && h[0] != '*')
		copy = strdup(h);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	if (!copy)
		return;
	pthread_mutex_lock(&c->lock);
	free(c->verified[i]);
	c->verified[i] = copy;
	pthread_mutex_unlock(&c->lock);
}

/* User i's remembered sha256crypt, or the decoy, copied into buf. */
static void cache_get(struct webconfig_cache *c, size_t i, bool known, char *buf, size_t len)
{
	pthread_mutex_lock(&c->lock);
	snprintf(buf, len, "%s", known && c->verified[i] ? c->verified[i] : CACHE_DECOY);
	pthread_mutex_unlock(&c->lock);
}

/* A bcrypt hash's cost, its two digits after "$2y$" (is_bcrypt checked them). */
static int bcrypt_cost(const char *hash)
{
	return (hash[4] - '0') * 10 + (hash[5] - '0');
}

const char *webconfig_decoy_hash(const struct webconfig *w)
{
	size_t best = 0;

	if (!w || !w->n_users)
		return NULL;
	for (size_t i = 1; i < w->n_users; i++)
		if (bcrypt_cost(w->users[i].hash) > bcrypt_cost(w->users[best].hash))
			best = i;
	return w->users[best].hash;
}

bool webconfig_check_basic(const struct webconfig *w, const char *user, const char *pass)
{
	struct webconfig_cache *c;
	char remembered[CRYPT_OUTPUT_SIZE];
	const char *hash;
	size_t i;
	bool known, ok;

	if (!w || !w->n_users || !user || !pass)
		return false;
	c = w->cache;
	for (i = 0; i < w->n_users && strcmp(w->users[i].name, user); i++)
		;
	known = i < w->n_users;
	/* known or not, remembered or not: one sha256crypt, then one bcrypt */
	cache_get(c, i, known, remembered, sizeof(remembered));
	if (crypt_matches(pass, remembered, remembered))
		return known;
	/* An unknown user is checked against the costliest user hash (the
	 * result is refused anyway): it takes as long as a user of that cost,
	 * not less, whichever hash is first. */
	hash = known ? w->users[i].hash : webconfig_decoy_hash(w);
	pthread_mutex_lock(&c->bcrypt);
	ok = crypt_matches(pass, hash, hash);
	pthread_mutex_unlock(&c->bcrypt);
	if (ok && known)
		cache_store(c, i, pass);
	return ok && known;
}

const char *webconfig_tls_priorities(const struct webconfig *w, char *buf, size_t len)
{
	size_t off = snprintf(buf, len, "NORMAL:-VERS-ALL");

	for (int v = w->max_version; v >= w->min_version && off < len; v--)
		off += snprintf(buf + off, len - off, ":+VERS-TLS1.%d", v - 10);
	return buf;
}

void webconfig_free(struct webconfig *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_users; i++) {
		free(w->users[i].name);
		free(w->users[i].hash);
		if (w->cache && w->cache->verified)
			free(w->cache->verified[i]);
	}
	for (size_t i = 0; i < w->n_headers; i++) {
		free(w->headers[i].name);
		free(w->headers[i].value);
	}
	if (w->cache) {
		if (w->cache->verified) {
			pthread_mutex_destroy(&w->cache->lock);
			pthread_mutex_destroy(&w->cache->bcrypt);
		}
		free(w->cache->verified);
		free(w->cache);
	}
	if (w->key_pem)
		explicit_bzero(w->key_pem, strlen(w->key_pem));
	free(w->key_pem);
	free(w->cert_pem);
	free(w->client_ca_pem);
	free(w->users);
	free(w->headers);
	free(w->path);
	memset(w, 0, sizeof(*w));
}
