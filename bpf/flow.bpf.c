// SPDX-License-Identifier: GPL-2.0
/*
 * Flow control on the wire: the window field of every TCP segment this host
 * sends (net:net_dev_queue) and receives (tcp:tcp_probe), and receive-path
 * drops with the kernel's reason (skb:kfree_skb).
 */
#include "bufscope.bpf.h"
#include "flow.bpf.h"
#include "closing.bpf.h"

/*
 * The sequence state a segment is judged against. skb->sk is an RCU pointer
 * that bpf_skc_to_tcp_sock() refuses, so these are CO-RE probe reads.
 */
struct seq_state {
	__u32 rcv_nxt, copied_seq, snd_una, write_seq;
	unsigned long flags;
};

static __always_inline void read_seq_state(const struct sock *sk,
					   struct seq_state *s)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;

	s->rcv_nxt = BPF_CORE_READ(tp, rcv_nxt);
	s->copied_seq = BPF_CORE_READ(tp, copied_seq);
	s->snd_una = BPF_CORE_READ(tp, snd_una);
	s->write_seq = BPF_CORE_READ(tp, write_seq);
	s->flags = BPF_CORE_READ(sk, __sk_common.skc_flags);
}

/* The episode's first zero-window probe: when it came (validate's time
 * relation "first probe within X ms of the window closing"). */
static __always_inline void first_probe(const struct sock *sk,
					const struct bs_sock_state *st, __u32 dir,
					__u64 start_ns, bool direct)
{
	struct bs_flow_rec *r;

	emit_flow(sk, st, BS_REC_ZW_PROBE, dir, bpf_ktime_get_ns(), direct, &r);
	if (!r)
		return;
	r->start_ns = start_ns;
	submit_record(r);
}

/*
 * A segment's window, going out (dir BS_ZW_SENT: the window this socket
 * advertises) or coming in (BS_ZW_RECV: the peer's). A zero-window probe is
 * a segment that repeats the last byte its receiver acknowledged, sent while
 * that receiver's window is 0 (tcp_xmit_probe_skb): outgoing, our snd_una - 1
 * while the peer's window is closed; incoming, our rcv_nxt - 1 while ours is.
 */
static __always_inline void handle_segment(const struct sock *sk,
					   const struct bs_tcp_wire *th,
					   __u32 dir, bool trusted_sk)
{
	__u32 probe_seq, queued;
	struct bs_sock_state *st;
	struct bs_zw_side *other;
	struct seq_state q;

	/* a non-zero window on a socket without state changes nothing */
	st = state_taskless(sk, th->window == 0);
	if (!st)
		return;
	if (trusted_sk)
		remember_cookie(st, sk);
	read_seq_state(sk, &q);
	probe_seq = dir == BS_ZW_SENT ? q.snd_una - 1 : q.rcv_nxt - 1;
	/* a closing socket's received windows are counted in its entry */
	other = dir == BS_ZW_SENT ? recv_side(sk, st) : &st->f.zw[BS_ZW_SENT];
	if (other->start_ns && bpf_ntohl(th->seq) == probe_seq) {
		if ((cfg_flow_records & BS_FR_PROBE) &&
		    (__u32)other->probes == other->start_probes)
			first_probe(sk, st, dir == BS_ZW_SENT ? BS_ZW_RECV : BS_ZW_SENT,
				    other->start_ns, trusted_sk);
		other->probes++;
	}
	queued = dir == BS_ZW_SENT ? queue_from(q.rcv_nxt, q.copied_seq, q.flags)
				   : q.write_seq - q.snd_una;
	window_seen(sk, st, dir, th->window, th->flags, queued, true);
}

extern struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct bs_drop_key);
	__type(value, __u64);
} drop_counts SEC(".maps");

static __always_inline void handle_drop(const struct sock *sk, __u32 reason)
{
	struct bs_drop_key key = { .reason = reason };
	struct bs_sock_state *st;
	struct bs_flow_rec *r;
	__u64 one = 1, *cnt;
	__u64 now;
	bool closed;

	/* A socket already closed gets no new state: nothing would report
	 * it (and a hash entry would outlive it). */
	closed = BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_CLOSE;
	st = state_taskless(sk, !closed);
	if (!st)
		return;
	/* Its final totals are out (the receive queue purged as the socket is
	 * freed, QUEUE_PURGE): counted on their own, not per socket. */
	if (st->gate >= BS_GATE_CLOSED) {
		__sync_fetch_and_add(&kstats.drops_after_close, 1);
		return;
	}
	st->f.drops++;
	/* the class here too, not only per reason below: a close folded in
	 * the kernel keeps its drops' class, and its reasons are not kept */
	if (reason < BS_DROP_REASON_MAX && cfg_drop_expected[reason])
		st->f.drops_expected++;
	key.cookie = cookie_of(st, sk);
	cnt = bpf_map_lookup_elem(&drop_counts, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else if (bpf_map_update_elem(&drop_counts, &key, &one, BPF_NOEXIST))
		__sync_fetch_and_add(&kstats.lost_events, 1);
	if (!(cfg_flow_records & BS_FR_DROP))
		return;
	now = bpf_ktime_get_ns();
	emit_flow(sk, st, BS_REC_DROP, 0, now, true, &r);
	if (!r)
		return;
	r->reason = reason;
	submit_record(r);
}

static __always_inline bool segment_selected(const struct sock *sk)
{
	return sk && is_tcp(sk, true) && !is_listener(sk, true) &&
	       sock_selected(&sk->__sk_common, true);
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(tp_net_dev_queue, struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	struct bs_tcp_wire th;

	if (!segment_selected(sk) || read_tcp_header(skb, &th))
		return 0;
	closing_sending(sk);
	handle_segment(sk, &th, BS_ZW_SENT, false);	/* skb->sk: RCU pointer */
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(tp_tcp_probe, struct sock *sk, const struct sk_buff *skb)
{
	struct bs_tcp_wire th;

	if (!segment_selected(sk) || read_tcp_header(skb, &th))
		return 0;
	handle_segment(sk, &th, BS_ZW_RECV, true);
	return 0;
}

/* SKB_NOT_DROPPED_YET (0) and SKB_CONSUMED (1) are not drops. */
#define BS_FIRST_DROP_REASON 2

SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason, struct sock *rx_sk)
{
	struct sock *sk = rx_sk ? rx_sk : skb->sk;

	if ((__u32)reason < BS_FIRST_DROP_REASON || !segment_selected(sk))
		return 0;
	handle_drop(sk, (__u32)reason);
	return 0;
}
