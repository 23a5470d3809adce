// SPDX-License-Identifier: GPL-2.0
/*
 * Data arrival: the queue depth each time the kernel wakes the reader, so the
 * peak includes what piled up between reads.
 */
#include "bufscope.bpf.h"
#include "flow.bpf.h"

static __always_inline void handle_arrival(const struct sock *sk)
{
	struct bs_sock_state *st;
	const struct tcp_sock *tp;
	__u64 now;

	if (!sk || !is_tcp(sk) || !port_selected(&sk->__sk_common))
		return;
	st = state_taskless(sk, true);	/* softirq: the reader is unknown */
	if (!st)
		return;
	tp = bpf_skc_to_tcp_sock((void *)sk);
	if (!tp)
		return;
	now = tcp_now_ns(tp);	/* refreshed by tcp_rcv_established() */
	remember_cookie(st, sk);
	st->c.arrivals++;
	raise_peak(st, queue_bytes(tp));
	mark_arrival(st, tp->rcv_nxt, now);
	note_rcvbuf(sk, st, now);
}

SEC("tp_btf/sk_data_ready")
int BPF_PROG(tp_sk_data_ready, const struct sock *sk)
{
	handle_arrival(sk);
	return 0;
}
