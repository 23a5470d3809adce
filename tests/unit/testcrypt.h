/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bcrypt hashes for the web config's basic-auth tests, made here with
 * libxcrypt ($2b$): a low cost keeps them fast. Include after <cmocka.h>.
 */
#ifndef BUFSCOPE_TESTCRYPT_H
#define BUFSCOPE_TESTCRYPT_H

#include <crypt.h>
#include <stdio.h>
#include <string.h>

/* The hash of pass at cost (4..31) in out (len bytes). */
static inline void make_hash(const char *pass, int cost, char *out, size_t len)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], prefix[16];
	struct crypt_data cd;

	memset(&cd, 0, sizeof(cd));
	assert_non_null(crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, setting,
					 sizeof(setting)));
	assert_non_null(crypt_rn(pass, setting, &cd, sizeof(cd)));
	snprintf(prefix, sizeof(prefix), "$2b$%02d$", cost);
	assert_int_equal(strncmp(cd.output, prefix, 7), 0);
	assert_true(strlen(cd.output) < len);
	memcpy(out, cd.output, strlen(cd.output) + 1);
}

#endif
