// SPDX-License-Identifier: GPL-2.0
/*
 * Random loss on a link, for `bufscope validate` on kernels without tc's
 * netem (src/validate/pathloss.c attaches it on clsact ingress of the veth
 * end that receives the direction). Each packet arriving is dropped with probability
 * drop_below / 2^32, and counted: what it dropped and what it let pass, so
 * the report can say how much loss the path really had. Built into its own
 * object and skeleton: it is no part of the collector's programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

char LICENSE[] SEC("license") = "GPL";

/* drop when a random u32 is below this: p * 2^32 (2^32: every packet) */
const volatile __u64 drop_below = 0;

enum { LOSS_DROPPED, LOSS_PASSED, LOSS__N };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LOSS__N);
	__type(key, __u32);
	__type(value, __u64);
} loss_counts SEC(".maps");

SEC("tc")
int path_loss(struct __sk_buff *skb)
{
	__u32 key = (__u64)bpf_get_prandom_u32() < drop_below ? LOSS_DROPPED : LOSS_PASSED;
	__u64 *n = bpf_map_lookup_elem(&loss_counts, &key);

	(void)skb;
	if (n)
		__sync_fetch_and_add(n, 1);
	return key == LOSS_DROPPED ? TC_ACT_SHOT : TC_ACT_OK;
}
