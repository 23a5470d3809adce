/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BUFSCOPE_DEMO_H
#define BUFSCOPE_DEMO_H

#include "cli.h"

/* `bufscope demo`: a fast sender, a slow reader, and top watching them. */
int demo_run(const struct options *opt);

#endif
