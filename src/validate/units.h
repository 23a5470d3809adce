/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The units of scenario files (docs/validate.md): bytes (4096, 10KiB, 10KB),
 * times (500us, 20ms, 2s: the unit is required), percentages (0.5%), rates in
 * bytes per second (1MB/s) and in bits per second as tc writes them (10mbit).
 * Each returns 0, or -1 when the text is not one.
 */
#ifndef BUFSCOPE_VALIDATE_UNITS_H
#define BUFSCOPE_VALIDATE_UNITS_H

#include <stdint.h>

#define BYTES_HINT "bytes: 4096, 10KiB (1024), 10KB (1000), 1MiB"
#define TIME_HINT "a time with its unit: 500us, 20ms, 2s"

const char *units_skip_ws(const char *v);
int units_bytes(const char *v, uint64_t *out);
int units_usec(const char *v, uint64_t *out);
int units_percent(const char *v, double *out);
int units_rate(const char *v, double *bytes_per_s);
int units_bits(const char *v, double *bits_per_s);
/* A plain number, or bytes with a unit (as bytes), or a time with a unit
 * (as milliseconds): what an expectation's bound is written in. */
int units_bound(const char *v, double *out);

#endif
