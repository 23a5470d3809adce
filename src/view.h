/* SPDX-License-Identifier: GPL-2.0 */
/* Derived values of rows (rates, averages, fill) and their ordering. */
#ifndef BUFSCOPE_VIEW_H
#define BUFSCOPE_VIEW_H

#include <stddef.h>
#include "cli.h"
#include "model.h"

/* NAN when there is nothing to average. */
double view_avg_req(const struct counts *d);
double view_avg_ret(const struct counts *d);
/* 100 * rmem_alloc / rcvbuf, NAN without a buffer size. */
double view_fill_pct(uint64_t rmem_alloc, uint64_t rcvbuf);
uint64_t view_partial_reads(const struct counts *d);

void view_sort_socks(struct sock_row *rows, size_t n, enum sort_key key);
/* Only the first k rows in order (k 0: all of them); the others follow in
 * no particular order. O(n log k) instead of a sort of all n. */
void view_top_socks(struct sock_row *rows, size_t n, enum sort_key key, size_t k);
void view_sort_procs(struct proc_row *rows, size_t n, enum sort_key key);

#endif
