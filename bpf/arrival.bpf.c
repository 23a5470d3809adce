// SPDX-License-Identifier: GPL-2.0
/*
 * Data arrival: the queue depth each time the kernel wakes the reader, so the
 * peak includes what piled up between reads.
 *
 * handle_arrival() is the one body; each tier's wrapper only knows how its
 * hook finds the socket. The tracepoint sock:sk_data_ready (Linux 6.6+)
 * fires at the start of the socket's data-ready callback, which for TCP
 * sockets read by applications is sock_def_readable(): the fentry and
 * kprobe tiers hook that function, at the same moment.
 */
#include "bufscope.bpf.h"
#include "flow.bpf.h"

/* `direct`: see BS_LOAD. */
static __always_inline void handle_arrival(const struct sock *sk, bool direct)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct bs_sock_state *st;
	__u64 now;

	if (!sk || !is_tcp(sk, direct) || is_listener(sk, direct) ||
	    !sock_selected(&sk->__sk_common, direct))
		return;
	st = state_taskless(sk, true);	/* softirq: the reader is unknown */
	if (!st)
		return;
	if (direct) {
		tp = bpf_skc_to_tcp_sock((void *)sk);
		if (!tp)
			return;
		remember_cookie(st, sk);
	}
	now = tcp_now_ns(tp, direct);	/* refreshed by tcp_rcv_established() */
	st->c.arrivals++;
	raise_peak(st, queue_bytes(tp, direct));
	mark_arrival(st, BS_LOAD(direct, tp, rcv_nxt), now);
	note_rcvbuf(sk, st, now, direct);
}

SEC("tp_btf/sk_data_ready")
int BPF_PROG(tp_sk_data_ready, const struct sock *sk)
{
	handle_arrival(sk, true);
	return 0;
}

SEC("fentry/sock_def_readable")
int BPF_PROG(fentry_sock_def_readable, struct sock *sk)
{
	handle_arrival(sk, true);
	return 0;
}

SEC("kprobe/sock_def_readable")
int BPF_KPROBE(kp_sock_def_readable, struct sock *sk)
{
	handle_arrival(sk, false);
	return 0;
}
