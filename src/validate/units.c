// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "validate/units.h"

const char *units_skip_ws(const char *v)
{
	while (*v == ' ' || *v == '\t')
		v++;
	return v;
}

/* A number and what follows it (its unit), spaces between allowed. */
static int number(const char *v, double *out, const char **unit)
{
	char *end;

	v = units_skip_ws(v);
	errno = 0;
	*out = strtod(v, &end);
	if (end == v || errno || !isfinite(*out) || *out < 0 || *v == '+' ||
	    (end - v > 1 && (v[1] == 'x' || v[1] == 'X')))
		return -1;
	*unit = units_skip_ws(end);
	return 0;
}

struct unit { const char *name; double mult; };

static int with_unit(const char *v, const struct unit *units, bool bare_ok,
		     double *out)
{
	const char *u;
	size_t n;
	double x;

	if (number(v, &x, &u))
		return -1;
	n = strlen(u);
	while (n && (u[n - 1] == ' ' || u[n - 1] == '\t'))
		n--;
	if (!n) {
		if (!bare_ok)
			return -1;
		*out = x;
		return 0;
	}
	for (; units->name; units++)
		if (strlen(units->name) == n && !strncmp(u, units->name, n)) {
			*out = x * units->mult;
			return 0;
		}
	return -1;
}

static const struct unit byte_units[] = {
	{ "B", 1 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 },
	{ "KiB", 1024 }, { "MiB", 1048576 }, { "GiB", 1073741824 }, { NULL, 0 },
};
static const struct unit time_units[] = {
	{ "us", 1 }, { "ms", 1e3 }, { "s", 1e6 }, { NULL, 0 },
};
static const struct unit ms_units[] = {
	{ "us", 1e-3 }, { "ms", 1 }, { "s", 1e3 }, { NULL, 0 },
};
static const struct unit rate_units[] = {	/* bytes per second */
	{ "B/s", 1 }, { "KB/s", 1e3 }, { "MB/s", 1e6 }, { "GB/s", 1e9 },
	{ "KiB/s", 1024 }, { "MiB/s", 1048576 }, { NULL, 0 },
};
static const struct unit bit_units[] = {	/* tc's */
	{ "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 }, { NULL, 0 },
};

int units_bytes(const char *v, uint64_t *out)
{
	double x;

	if (with_unit(v, byte_units, true, &x) || x >= 1e15 || x != floor(x))
		return -1;
	*out = (uint64_t)x;
	return 0;
}

int units_usec(const char *v, uint64_t *out)
{
	double x;

	if (with_unit(v, time_units, false, &x) || x >= 1e13)
		return -1;
	*out = (uint64_t)llround(x);
	return 0;
}

int units_percent(const char *v, double *out)
{
	const char *u;

	if (number(v, out, &u) || strcmp(u, "%") || *out > 100)
		return -1;
	return 0;
}

int units_rate(const char *v, double *out)
{
	return with_unit(v, rate_units, false, out);
}

int units_bits(const char *v, double *out)
{
	return with_unit(v, bit_units, false, out);
}

int units_bound(const char *v, double *out)
{
	if (!with_unit(v, byte_units, true, out))
		return 0;
	return with_unit(v, ms_units, false, out);
}
