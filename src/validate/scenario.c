// SPDX-License-Identifier: GPL-2.0
/*
 * Scenario files: libinih reads the lines, this file gives each key its
 * meaning, its unit and its checks. The first error ends the parse, with the
 * file, the line and the key; what can only be judged once everything is
 * read (a contradiction, a missing key) names the line of the key at fault.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>
#include "util/log.h"
#include "util/sanitize.h"
#include "validate/scenario.h"
#include "validate/units.h"

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-"

struct parse {
	struct scenario *s;
	const char *origin;
	char err[320];		/* "[section] key: why", the first error */
	int err_line;		/* after parsing: a contradiction's line */
	int line;		/* the line being parsed (counted by the reader) */
};

static int fail(struct parse *p, const char *section, const char *key,
		const char *fmt, ...)
{
	char why[224];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!p->err[0]) {
		if (section && key)
			snprintf(p->err, sizeof(p->err), "[%s] %s: %s", section, key, why);
		else
			snprintf(p->err, sizeof(p->err), "%s", why);
	}
	return 0;	/* libinih: an error on this line */
}


/* ------------------------------------------------------------ sections */

static void remember(struct parse *p, const char *section, const char *key)
{
	struct scenario *s = p->s;
	struct scen_key *k;

	if (s->nkeys >= sizeof(s->keys) / sizeof(s->keys[0]))
		return;
	k = &s->keys[s->nkeys++];
	snprintf(k->key, sizeof(k->key), "%s.%s", section, key);
	k->line = p->line;
}

static int line_of(const struct scenario *s, const char *section_key)
{
	for (unsigned i = 0; i < s->nkeys; i++)
		if (!strcmp(s->keys[i].key, section_key))
			return s->keys[i].line;
	return 0;
}

static bool given(const struct scenario *s, const char *section_key)
{
	return line_of(s, section_key) > 0;
}

static int scenario_key(struct parse *p, const char *key, const char *v)
{
	struct scenario *s = p->s;
	uint64_t x;

	if (!strcmp(key, "name")) {
		/* it reaches terminals, JSON and error lines as it is */
		if (!*v || strlen(v) >= sizeof(s->name) ||
		    strspn(v, NAME_CHARS) != strlen(v))
			return fail(p, "scenario", key, "a name of 1 to %zu letters, digits, "
				    "'.', '_', '+' or '-'", sizeof(s->name) - 1);
		snprintf(s->name, sizeof(s->name), "%s", v);
	} else if (!strcmp(key, "description")) {
		/* free text: kept printable (terminals) */
		sanitize_text(s->description, sizeof(s->description), v, strlen(v));
	} else if (!strcmp(key, "family")) {
		if (!strcmp(v, "ipv4"))
			s->family = AF_INET;
		else if (!strcmp(v, "ipv6"))
			s->family = AF_INET6;
		else
			return fail(p, "scenario", key, "'%s': ipv4 or ipv6", v);
	} else if (!strcmp(key, "port")) {
		if (units_bytes(v, &x) || !x || x > 65535 || strpbrk(v, "KMGB"))
			return fail(p, "scenario", key, "'%s': a port, 1 to 65535", v);
		s->port = (uint16_t)x;
	} else if (!strcmp(key, "timeout")) {
		if (units_usec(v, &s->timeout_us) || s->timeout_us < 100000 ||
		    s->timeout_us > 3600ULL * 1000000)
			return fail(p, "scenario", key, "'%s': from 100ms to 3600s (%s)",
				    v, TIME_HINT);
	} else if (!strcmp(key, "sample")) {
		if (units_usec(v, &s->sample_us) || s->sample_us < 10000 ||
		    s->sample_us > 1000000)
			return fail(p, "scenario", key, "'%s': from 10ms to 1s (%s)",
				    v, TIME_HINT);
	} else if (!strcmp(key, "listener")) {
		if (!strcmp(v, "receiver") || !strcmp(v, "sender"))
			s->listener = v[0] == 'r' ? SIDE_RECEIVER : SIDE_SENDER;
		else
			return fail(p, "scenario", key, "'%s': receiver or sender (the "
				    "side that listens on port)", v);
	} else if (!strcmp(key, "end")) {
		if (!strcmp(v, "both"))
			s->end = SIDE__N;
		else if (!strcmp(v, "receiver") || !strcmp(v, "sender"))
			s->end = v[0] == 'r' ? SIDE_RECEIVER : SIDE_SENDER;
		else
			return fail(p, "scenario", key, "'%s': both, receiver or sender "
				    "(whose exit ends the run)", v);
	} else {
		return fail(p, "scenario", key, "unknown key (name, description, "
			    "family, port, listener, end, timeout, sample)");
	}
	return 1;
}

/*
 * One impairment, KEY = VALUE, onto a path: KEY is delay, jitter, loss, rate
 * or reorder, for both directions or, prefixed to_receiver. or to_sender.,
 * for one; VALUE "none" clears it. 0, or -1 with the reason in err.
 */
static int impair_set(struct impairment path[PATH__N], const char *key,
		      const char *v, int line, char *err, size_t errlen)
{
	static const char *const dirs[PATH__N] = { "to_receiver.", "to_sender." };
	unsigned first = 0, last = PATH__N - 1;
	bool none = !strcmp(v, "none");
	const char *k = key;
	uint64_t x = 0;
	double d = 0;

	for (unsigned i = 0; i < PATH__N; i++)
		if (!strncmp(key, dirs[i], strlen(dirs[i]))) {
			first = last = i;
			k = key + strlen(dirs[i]);
		}
	if (!strcmp(k, "delay") || !strcmp(k, "jitter")) {
		if (!none && (units_usec(v, &x) || x > 10000000)) {
			snprintf(err, errlen, "'%s': up to 10s (%s)", v, TIME_HINT);
			return -1;
		}
	} else if (!strcmp(k, "loss") || !strcmp(k, "reorder")) {
		if (!none && units_percent(v, &d)) {
			snprintf(err, errlen, "'%s': a percentage, 0%% to 100%% (e.g. 0.5%%)", v);
			return -1;
		}
	} else if (!strcmp(k, "rate")) {
		if (!none && (units_bits(v, &d) || d < 8000 || d > 1e11)) {
			snprintf(err, errlen, "'%s': bits per second as tc writes them, from "
				 "8kbit to 100gbit (e.g. 10mbit)", v);
			return -1;
		}
	} else {
		snprintf(err, errlen, "unknown key (mtu; delay, jitter, loss, rate, "
			 "reorder, each also as to_receiver.KEY or to_sender.KEY; at TIME)");
		return -1;
	}
	for (unsigned i = first; i <= last; i++) {
		struct impairment *m = &path[i];

		if (k[0] == 'd')
			m->delay_us = x;
		else if (k[0] == 'j')
			m->jitter_us = x;
		else if (k[0] == 'l')
			m->loss_pct = d;
		else if (k[0] == 'r' && k[1] == 'e')
			m->reorder_pct = d;
		else
			m->rate_bps = (uint64_t)d;
		if (!m->line)
			m->line = line;
	}
	return 0;
}

/* `at TIME = KEY VALUE, KEY VALUE`: a change of the path, kept as written
 * (resolved onto the path in force once the whole file is read). */
static int change_key(struct parse *p, const char *key, const char *v)
{
	struct scenario *s = p->s;
	struct path_change *c;

	if (s->nchanges >= SCEN_MAX_CHANGES)
		return fail(p, "network", key, "at most %d changes", SCEN_MAX_CHANGES);
	c = &s->changes[s->nchanges];
	if (units_usec(key + 3, &c->at_us) || !c->at_us)
		return fail(p, "network", key, "'%s': at TIME, a time after the start "
			    "(%s)", key + 3, TIME_HINT);
	if (!*v || strlen(v) >= sizeof(c->what))
		return fail(p, "network", key, "what changes: KEY VALUE, ... (e.g. "
			    "to_receiver.rate 1mbit, delay none)");
	snprintf(c->what, sizeof(c->what), "%s", v);
	c->line = p->line;
	s->nchanges++;
	return 1;
}

/* [network]: mtu, the impairments (impair_set), and changes (at TIME). */
static int network_key(struct parse *p, const char *key, const char *v)
{
	struct scenario *s = p->s;
	char err[224];
	uint64_t x;

	if (!strcmp(key, "mtu")) {
		if (units_bytes(v, &x) || x < 1280 || x > 65535 || strpbrk(v, "KMGiB"))
			return fail(p, "network", key, "'%s': from 1280 to 65535", v);
		s->mtu = (unsigned)x;
		return 1;
	}
	if (!strncmp(key, "at ", 3))
		return change_key(p, key, v);
	if (!strcmp(v, "none") || impair_set(s->path, key, v, p->line, err, sizeof(err)))
		return fail(p, "network", key, "%s", !strcmp(v, "none") ?
			    "'none': only a change (at TIME) clears an impairment" : err);
	return 1;
}

static int cmp_change(const void *a, const void *b)
{
	const struct path_change *x = a, *y = b;

	return x->at_us < y->at_us ? -1 : x->at_us > y->at_us;
}

static int check_path(struct parse *p, const struct impairment path[PATH__N],
		      int line);
static int bad(struct parse *p, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The changes in time order, each the whole path from then on. */
static int resolve_changes(struct parse *p)
{
	struct scenario *s = p->s;
	struct impairment now[PATH__N];

	if (s->nchanges > 1)	/* changes may be NULL when empty */
		qsort(s->changes, s->nchanges, sizeof(s->changes[0]), cmp_change);
	memcpy(now, s->path, sizeof(now));
	for (unsigned i = 0; i < s->nchanges; i++) {
		struct path_change *c = &s->changes[i];
		char buf[sizeof(c->what)], *save = NULL, *item, err[224];

		if (i && c->at_us == s->changes[i - 1].at_us)
			return bad(p, NULL, "[network] at (line %d): the same time as line "
				   "%d", c->line, s->changes[i - 1].line);
		snprintf(buf, sizeof(buf), "%s", c->what);
		for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
			char key[64], value[64];

			if (sscanf(item, " %63s %63s", key, value) != 2 ||
			    impair_set(now, key, value, c->line, err, sizeof(err)))
				return bad(p, NULL, "[network] at (line %d): '%s': %s", c->line,
					   units_skip_ws(item), sscanf(item, " %63s %63s", key,
					   value) != 2 ? "KEY VALUE, e.g. to_receiver.rate 1mbit"
					   : err);
		}
		memcpy(c->path, now, sizeof(now));
		if (check_path(p, now, c->line))
			return -1;
	}
	return 0;
}

/* [sysctl]: net.* keys, for both namespaces or prefixed sender./receiver. */
static int sysctl_key(struct parse *p, const char *key, const char *v)
{
	struct scenario *s = p->s;
	struct sysctl_setting *ss;
	unsigned sides = (1u << SIDE_SENDER) | (1u << SIDE_RECEIVER);
	const char *k = key;

	if (!strncmp(key, "sender.", 7)) {
		sides = 1u << SIDE_SENDER;
		k += 7;
	} else if (!strncmp(key, "receiver.", 9)) {
		sides = 1u << SIDE_RECEIVER;
		k += 9;
	}
	if (strncmp(k, "net.", 4) || strlen(k) >= sizeof(ss->key) ||
	    strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789._") != strlen(k) ||
	    strstr(k, ".."))
		return fail(p, "sysctl", key, "a network namespace's setting, net.*, "
			    "e.g. net.ipv4.tcp_rmem (or receiver.net..., sender.net...)");
	if (!*v || strlen(v) >= sizeof(ss->value) || strpbrk(v, "\n/"))
		return fail(p, "sysctl", key, "'%s': a value such as 4096 131072 6291456", v);
	if (s->nsysctls >= SCEN_MAX_SYSCTLS)
		return fail(p, "sysctl", key, "at most %d settings", SCEN_MAX_SYSCTLS);
	ss = &s->sysctls[s->nsysctls++];
	snprintf(ss->key, sizeof(ss->key), "%s", k);
	snprintf(ss->value, sizeof(ss->value), "%s", v);
	ss->sides = sides;
	ss->line = p->line;
	return 1;
}

/* "100, 200, 50" */
static int byte_list(const char *v, uint64_t *out, unsigned max, unsigned *n)
{
	char buf[512], *save = NULL, *tok;

	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n >= max || units_bytes(tok, &out[*n]) || !out[*n])
			return -1;
		(*n)++;
	}
	return *n ? 0 : -1;
}

static int command_of(struct parse *p, const char *section, const char *key,
		      const char *v, char **out)
{
	if (!*units_skip_ws(v))
		return fail(p, section, key, "an empty command");
	free(*out);
	*out = strdup(v);
	if (!*out)
		return fail(p, section, key, "out of memory");
	return 1;
}

/* capture = FILE: where tcpdump writes that side's view of the run. */
static int capture_of(struct parse *p, const char *section, const char *key,
		      const char *v, char **out)
{
	if (!*v || strpbrk(v, "\n"))
		return fail(p, section, key, "a file name, e.g. run.pcap");
	free(*out);
	*out = strdup(v);
	if (!*out)
		return fail(p, section, key, "out of memory");
	return 1;
}

static int sender_key(struct parse *p, const char *key, const char *v)
{
	struct sender_spec *t = &p->s->sender;
	uint64_t x;
	double d;

	if (!strcmp(key, "command"))
		return command_of(p, "sender", key, v, &t->command);
	if (!strcmp(key, "capture"))
		return capture_of(p, "sender", key, v, &t->capture);
	if (!strcmp(key, "bytes")) {
		if (units_bytes(v, &t->bytes) || !t->bytes)
			return fail(p, "sender", key, "'%s': more than 0 %s", v, BYTES_HINT);
	} else if (!strcmp(key, "write_size")) {
		if (units_bytes(v, &x) || !x || x > 64 << 20)
			return fail(p, "sender", key, "'%s': 1 byte to 64MiB (%s)", v,
				    BYTES_HINT);
		t->write_size = x;
	} else if (!strcmp(key, "rate")) {
		if (units_rate(v, &d) || d < 1)
			return fail(p, "sender", key, "'%s': bytes per second, e.g. "
				    "100KiB/s, 1MB/s", v);
		t->rate = (uint64_t)d;
	} else if (!strcmp(key, "writes")) {
		if (byte_list(v, t->writes, SCEN_MAX_WRITES, &t->nwrites))
			return fail(p, "sender", key, "'%s': up to %d sizes, e.g. "
				    "100, 200, 50, 150", v, SCEN_MAX_WRITES);
	} else if (!strcmp(key, "pause")) {
		if (units_usec(v, &t->pause_us))
			return fail(p, "sender", key, "'%s': %s", v, TIME_HINT);
	} else if (!strcmp(key, "start_after")) {
		if (units_usec(v, &t->start_us))
			return fail(p, "sender", key, "'%s': %s", v, TIME_HINT);
	} else {
		return fail(p, "sender", key, "unknown key (command; or bytes, "
			    "write_size, rate, writes, pause; start_after; capture)");
	}
	return 1;
}

/* "read 1MiB, stall 2s, read rest" */
static int schedule_of(struct receiver_spec *r, const char *v)
{
	char buf[512], *save = NULL, *tok;

	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	r->nsteps = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct step *st = &r->steps[r->nsteps];
		const char *w = units_skip_ws(tok);
		char *end = tok + strlen(tok);

		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = 0;
		if (r->nsteps >= SCEN_MAX_STEPS)
			return -1;
		if (!strncmp(w, "read ", 5)) {
			st->kind = STEP_READ;
			if (!strcmp(units_skip_ws(w + 5), "rest"))
				st->bytes = 0;
			else if (units_bytes(w + 5, &st->bytes) || !st->bytes)
				return -1;
		} else if (!strncmp(w, "stall ", 6)) {
			st->kind = STEP_STALL;
			if (units_usec(w + 6, &st->us) || !st->us)
				return -1;
		} else {
			return -1;
		}
		r->nsteps++;
	}
	/* "read rest" only last */
	for (unsigned i = 0; i + 1 < r->nsteps; i++)
		if (r->steps[i].kind == STEP_READ && !r->steps[i].bytes)
			return -1;
	return r->nsteps ? 0 : -1;
}

static int receiver_key(struct parse *p, const char *key, const char *v)
{
	static const char *const calls[] = { "read", "recv", "recvfrom", "recvmsg",
					     "readv" };
	struct receiver_spec *r = &p->s->receiver;
	uint64_t x;

	if (!strcmp(key, "command"))
		return command_of(p, "receiver", key, v, &r->command);
	if (!strcmp(key, "capture"))
		return capture_of(p, "receiver", key, v, &r->capture);
	if (!strcmp(key, "buf")) {
		if (units_bytes(v, &x) || !x || x > 64 << 20)
			return fail(p, "receiver", key, "'%s': 1 byte to 64MiB (%s)", v,
				    BYTES_HINT);
		r->buf = x;
	} else if (!strcmp(key, "rcvbuf")) {
		if (units_bytes(v, &x) || x < 1024 || x > 1 << 30)
			return fail(p, "receiver", key, "'%s': 1KiB to 1GiB (%s)", v,
				    BYTES_HINT);
		r->rcvbuf = x;
	} else if (!strcmp(key, "pace")) {
		if (units_usec(v, &r->pace_us))
			return fail(p, "receiver", key, "'%s': %s", v, TIME_HINT);
	} else if (!strcmp(key, "schedule")) {
		if (schedule_of(r, v))
			return fail(p, "receiver", key, "'%s': steps such as read 1MiB, "
				    "stall 2s, read rest (read rest last; at most %d)",
				    v, SCEN_MAX_STEPS);
	} else if (!strcmp(key, "call")) {
		for (x = 0; x < sizeof(calls) / sizeof(calls[0]); x++)
			if (!strcmp(v, calls[x]))
				break;
		if (x == sizeof(calls) / sizeof(calls[0]))
			return fail(p, "receiver", key, "'%s': read, recv, recvfrom, "
				    "recvmsg or readv", v);
		r->call = (enum read_call)x;
	} else if (!strcmp(key, "start")) {
		if (!strcmp(v, "now"))
			r->start = START_NOW;
		else if (!strcmp(v, "after_sender"))
			r->start = START_AFTER_SENDER;
		else
			return fail(p, "receiver", key, "'%s': now or after_sender", v);
	} else {
		return fail(p, "receiver", key, "unknown key (command; or buf, rcvbuf, "
			    "pace, schedule, call, start; capture)");
	}
	return 1;
}

static int on_key(void *user, const char *section, const char *key,
		  const char *value)
{
	struct parse *p = user;
	struct scenario *s = p->s;
	char err[224];

	if (!strcmp(section, "expect")) {
		struct expectation *e;

		if (s->nexpect >= SCEN_MAX_EXPECT)
			return fail(p, section, key, "at most %d expectations",
				    SCEN_MAX_EXPECT);
		e = &s->expect[s->nexpect];
		if (expect_parse(e, key, value, err, sizeof(err)))
			return fail(p, section, key, "%s", err);
		e->line = p->line;
		s->nexpect++;
		return 1;
	}
	for (unsigned i = 0; i < s->nkeys; i++) {
		size_t n = strlen(section);

		if (!strncmp(s->keys[i].key, section, n) && s->keys[i].key[n] == '.' &&
		    !strcmp(s->keys[i].key + n + 1, key))
			return fail(p, section, key, "given twice (first on line %d)",
				    s->keys[i].line);
	}
	remember(p, section, key);
	if (!strcmp(section, "scenario"))
		return scenario_key(p, key, value);
	if (!strcmp(section, "network"))
		return network_key(p, key, value);
	if (!strcmp(section, "sysctl"))
		return sysctl_key(p, key, value);
	if (!strcmp(section, "sender"))
		return sender_key(p, key, value);
	if (!strcmp(section, "receiver"))
		return receiver_key(p, key, value);
	if (!*section)
		return fail(p, NULL, NULL, "'%s' is outside any section: start with "
			    "[scenario]", key);
	return fail(p, NULL, NULL, "unknown section [%s] (scenario, network, sysctl, "
		    "sender, receiver, expect)", section);
}

/* ------------------------------------------------------------ checks */

/* A contradiction or a gap: the error names the line of `at` if given. */
static int bad(struct parse *p, const char *at, const char *fmt, ...)
{
	va_list ap;

	p->err_line = at ? line_of(p->s, at) : 0;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The program a command starts, if it can be told: its first word, unless
 * the shell itself reads it (a keyword, a builtin, an assignment, a
 * subshell). NULL: nothing to look for.
 */
static const char *program_of(const char *cmd, char *buf, size_t len)
{
	static const char *const shell_words[] = { "exec", "if", "for", "while",
		"until", "case", "{", "(", "!", "cd", "set", "export", "trap",
		"eval", ".", "echo", "printf", "test", "[", "true", "false",
		"exit", "read", "ulimit", "umask", "wait", "sleep", NULL };
	size_t n;

	cmd = units_skip_ws(cmd);
	n = strcspn(cmd, " \t;&|<>()$`'\"");
	if (!n || n >= len || cmd[n] == '=' || memchr(cmd, '=', n))
		return NULL;
	memcpy(buf, cmd, n);
	buf[n] = 0;
	for (size_t i = 0; shell_words[i]; i++)
		if (!strcmp(buf, shell_words[i]))
			return NULL;
	return buf;
}

/* Can the shell find this program? A path must be executable; a name must
 * be in one of PATH's directories. */
static bool program_found(const char *prog)
{
	const char *path = getenv("PATH");
	char dir[512], full[1024];

	if (strchr(prog, '/'))
		return !access(prog, X_OK);
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
		snprintf(full, sizeof(full), "%s/%s", dir[0] ? dir : ".", prog);
		if (!access(full, X_OK))
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/* A command whose program is missing: found now, with its line. */
static int check_program(struct parse *p, const char *cmd, const char *key)
{
	char buf[256];
	const char *prog = cmd ? program_of(cmd, buf, sizeof(buf)) : NULL;

	if (prog && !program_found(prog))
		return bad(p, key, "[%.*s] command: '%s' is not a program this system "
			   "has (not in PATH%s); install it, or give its path",
			   (int)(strchr(key, '.') - key), key, prog,
			   strchr(prog, '/') ? ", or not executable" : "");
	return 0;
}

/* A path's impairments agree with each other (line: of a change, 0: the
 * keys' own). */
static int check_path(struct parse *p, const struct impairment path[PATH__N],
		      int line)
{
	for (unsigned i = 0; i < PATH__N; i++) {
		const struct impairment *m = &path[i];
		int at = line ? line : m->line;

		if (m->jitter_us && !m->delay_us)
			return bad(p, NULL, "[network] jitter (line %d): needs a delay "
				   "at least as large", at);
		if (m->jitter_us > m->delay_us)
			return bad(p, NULL, "[network] jitter (line %d): larger than the "
				   "delay (%llu us)", at, (unsigned long long)m->delay_us);
		if (m->reorder_pct > 0 && !m->delay_us)
			return bad(p, NULL, "[network] reorder (line %d): needs a delay "
				   "(netem sends the other packets late)", at);
	}
	return 0;
}

static int check(struct parse *p)
{
	struct scenario *s = p->s;
	const struct sender_spec *t = &s->sender;
	const struct receiver_spec *r = &s->receiver;
	static const char *const sender_own[] = { "sender.bytes", "sender.write_size",
		"sender.rate", "sender.writes", "sender.pause" };
	static const char *const receiver_own[] = { "receiver.buf", "receiver.rcvbuf",
		"receiver.pace", "receiver.schedule", "receiver.call", "receiver.start" };

	if (!s->name[0])
		return bad(p, NULL, "[scenario] name: missing");
	if (check_program(p, t->command, "sender.command") ||
	    check_program(p, r->command, "receiver.command"))
		return -1;
	if (t->command) {
		for (size_t i = 0; i < sizeof(sender_own) / sizeof(sender_own[0]); i++)
			if (given(s, sender_own[i]))
				return bad(p, sender_own[i], "[sender] %s: applies to the "
					   "built-in sender, not with command =",
					   sender_own[i] + 7);
	} else {
		if (!t->bytes && !t->nwrites)
			return bad(p, NULL, "[sender]: say what to send: bytes = N, "
				   "writes = N, N, ..., or command = ...");
		if (t->bytes && t->nwrites)
			return bad(p, "sender.writes", "[sender] writes: contradicts "
				   "bytes = (give one of them)");
		if (t->nwrites && (t->write_size || t->rate))
			return bad(p, "sender.writes", "[sender] writes: each write is "
				   "listed; write_size and rate are for bytes =");
		if (t->pause_us && !t->nwrites)
			return bad(p, "sender.pause", "[sender] pause: the pause between "
				   "listed writes; with bytes =, use rate =");
	}
	if (r->command) {
		for (size_t i = 0; i < sizeof(receiver_own) / sizeof(receiver_own[0]); i++)
			if (given(s, receiver_own[i]))
				return bad(p, receiver_own[i], "[receiver] %s: applies to "
					   "the built-in receiver, not with command =",
					   receiver_own[i] + 9);
		if (!strstr(r->command, "{port}"))
			return bad(p, "receiver.command", "[receiver] command: it must "
				   "use {port} (%s on it)", s->listener == SIDE_RECEIVER ?
				   "listen" : "connect to {addr}");
	} else if (!r->buf) {
		return bad(p, NULL, "[receiver]: buf = N (the application's read size) "
			   "or command = ...");
	}
	if (t->command && !strstr(t->command, "{port}"))
		return bad(p, "sender.command", "[sender] command: it must use {port} "
			   "(%s on it)", s->listener == SIDE_SENDER ? "listen" :
			   "connect to {addr}");
	if (t->capture && r->capture && !strcmp(t->capture, r->capture))
		return bad(p, "receiver.capture", "[receiver] capture: the same file as "
			   "[sender] capture (one file per side)");
	if (r->start == START_AFTER_SENDER && s->listener == SIDE_SENDER)
		return bad(p, "receiver.start", "[receiver] start: after_sender needs "
			   "the receiver to listen (listener = receiver)");
	if (check_path(p, s->path, 0) || resolve_changes(p))
		return -1;
	if (!s->nexpect)
		return bad(p, NULL, "[expect]: no expectation: nothing to validate");
	return 0;
}

/* ------------------------------------------------------------ loading */

static void defaults(struct scenario *s, const char *origin)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->origin, sizeof(s->origin), "%s", origin);
	s->family = AF_INET;
	s->port = 5001;
	s->timeout_us = 30ULL * 1000000;
	s->sample_us = 50000;
	s->receiver.call = CALL_READ;
	s->listener = SIDE_RECEIVER;
	s->end = SIDE__N;
}

/* libinih reads lines through this, so each key knows its line. */
struct line_reader {
	FILE *f;
	const char *text;
	int *line;
};

static char *read_line(char *str, int num, void *stream)
{
	struct line_reader *lr = stream;
	int i = 0;

	if (num <= 1)
		return NULL;
	if (lr->f) {
		if (!fgets(str, num, lr->f))
			return NULL;
	} else {
		if (!*lr->text)
			return NULL;
		while (*lr->text && i < num - 1) {
			str[i++] = *lr->text;
			if (*lr->text++ == '\n')
				break;
		}
		str[i] = 0;
	}
	(*lr->line)++;
	return str;
}

/* A scenario's error: the file (its line, if known) and why, printable
 * only (both come from the user's file and command line). */
static void load_error(const char *origin, int line, const char *why,
		       const char *hint)
{
	char where[256], what[sizeof(((struct parse *)0)->err)];

	sanitize_text(where, sizeof(where), origin, strlen(origin));
	sanitize_text(what, sizeof(what), why, strlen(why));
	if (line > 0)
		log_error(hint, "%s:%d: %s", where, line, what);
	else
		log_error(hint, "%s: %s", where, what);
}

static int load(struct scenario *s, struct line_reader *lr, const char *origin)
{
	struct parse p = { .s = s, .origin = origin };
	int line;

	defaults(s, origin);
	lr->line = &p.line;
	/* one clear error, lines as long as a command needs */
	ini_stop_on_first_error = true;
	ini_allow_multiline = false;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 4096;
	line = ini_parse_stream(read_line, lr, on_key, &p);
	if (line > 0) {
		if (!p.err[0])
			snprintf(p.err, sizeof(p.err), "not a key = value line, nor a "
				 "[section]");
		load_error(origin, line, p.err, "docs/validate.md has the format; "
			   "bufscope validate --show NAME prints a built-in one");
		return -1;
	}
	if (line < 0) {
		load_error(origin, 0, line == -2 ? "cannot read it: out of memory" :
			   "cannot read it: I/O error", NULL);
		return -1;
	}
	if (check(&p)) {
		load_error(origin, p.err_line, p.err, "docs/validate.md has the format");
		return -1;
	}
	return 0;
}

int scenario_load_file(struct scenario *s, const char *path)
{
	struct line_reader lr = { 0 };
	int err;

	defaults(s, path);
	lr.f = fopen(path, "re");
	if (!lr.f) {
		char why[128];

		err = errno;
		snprintf(why, sizeof(why), "cannot open it: %s", strerror(err));
		load_error(path, 0, why, err == ENOENT ? "bufscope validate --list names "
			   "the built-in scenarios" : NULL);
		return -1;
	}
	err = load(s, &lr, path);
	fclose(lr.f);
	return err;
}

int scenario_load_text(struct scenario *s, const char *text, const char *name)
{
	struct line_reader lr = { .text = text };

	return load(s, &lr, name);
}

void scenario_free(struct scenario *s)
{
	free(s->sender.command);
	free(s->receiver.command);
	free(s->sender.capture);
	free(s->receiver.capture);
	s->sender.command = s->receiver.command = NULL;
	s->sender.capture = s->receiver.capture = NULL;
}

const char *scenario_addr(const struct scenario *s, enum side side)
{
	if (s->family == AF_INET6)
		return side == SIDE_RECEIVER ? "fd00:b5::2" : "fd00:b5::1";
	return side == SIDE_RECEIVER ? "10.181.0.2" : "10.181.0.1";
}

void scenario_addr_bytes(const struct scenario *s, enum side side, uint8_t out[16])
{
	memset(out, 0, 16);
	inet_pton(s->family, scenario_addr(s, side), out);
}

const char *scenario_needs_netem(const struct scenario *s)
{
	for (unsigned i = 0; i < PATH__N; i++) {
		if (s->path[i].delay_us)
			return "delay";
		if (s->path[i].reorder_pct > 0)
			return "reorder";
	}
	return NULL;
}

char *scenario_command(const char *tmpl, const char *addr, unsigned port,
		       const char *ns)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (const char *c = tmpl; *c; ) {
		if (!strncmp(c, "{addr}", 6)) {
			fputs(addr, f);
			c += 6;
		} else if (!strncmp(c, "{port}", 6)) {
			fprintf(f, "%u", port);
			c += 6;
		} else if (!strncmp(c, "{ns}", 4)) {
			fputs(ns, f);
			c += 4;
		} else {
			fputc(*c++, f);
		}
	}
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}
