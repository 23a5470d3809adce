/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Windows received by sockets that are no longer ESTABLISHED but still have
 * data to send (CLOSE_WAIT, FIN_WAIT1, CLOSING, LAST_ACK). The kernel handles
 * their segments in tcp_rcv_state_process(), where tcp:tcp_probe does not
 * fire; closing.bpf.c counts them at net:netif_receive_skb instead, in an
 * entry of closing_socks that is the home of the socket's received-window
 * side while the socket is there. This header is what the other hooks need
 * to read that side: the iterators and the close hook copy it back into the
 * socket's state, and the send hook counts the probes it sends there.
 */
#ifndef BUFSCOPE_CLOSING_BPF_H
#define BUFSCOPE_CLOSING_BPF_H

#include "bufscope.bpf.h"
#include "closing_types.h"

extern struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BS_CLOSING_SOCKETS);
	__type(key, struct bs_conn_key);
	__type(value, struct bs_closing);
} closing_socks SEC(".maps");

extern __u32 closing_count;

/* An address of either family in IPv6 form: IPv4 as ::ffff:a.b.c.d. */
static __always_inline void v4_mapped(__u8 out[16], __u32 addr)
{
	__builtin_memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	__builtin_memcpy(out + 12, &addr, 4);
}

/* The socket's endpoints as a key (CO-RE probe reads: any pointer will do). */
static __always_inline void conn_key_of(struct bs_conn_key *k, const struct sock *sk)
{
	const struct sock_common *skc = &sk->__sk_common;

	__builtin_memset(k, 0, sizeof(*k));
	if (BPF_CORE_READ(skc, skc_family) == AF_INET) {
		v4_mapped(k->laddr, BPF_CORE_READ(skc, skc_rcv_saddr));
		v4_mapped(k->raddr, BPF_CORE_READ(skc, skc_daddr));
	} else {
		BPF_CORE_READ_INTO(&k->laddr, skc, skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&k->raddr, skc, skc_v6_daddr.in6_u.u6_addr8);
	}
	k->lport = BPF_CORE_READ((const struct inet_sock *)sk, inet_sport);
	k->rport = BPF_CORE_READ(skc, skc_dport);
	k->net = (__u64)(unsigned long)BPF_CORE_READ(skc, skc_net.net);
}

/* The socket's entry, if it is closing with data to send. */
static __always_inline struct bs_closing *closing_entry(const struct sock *sk)
{
	struct bs_conn_key k;

	if (!closing_count)
		return NULL;
	conn_key_of(&k, sk);
	return bpf_map_lookup_elem(&closing_socks, &k);
}

/* Where the socket's received windows are counted now. */
static __always_inline struct bs_zw_side *recv_side(const struct sock *sk,
						    struct bs_sock_state *st)
{
	struct bs_closing *e = closing_entry(sk);

	return e ? &e->st.f.zw[BS_ZW_RECV] : &st->f.zw[BS_ZW_RECV];
}

/* Before the socket's state is read: its received windows, up to now. */
static __always_inline void closing_sync(const struct sock *sk,
					 struct bs_sock_state *st)
{
	struct bs_closing *e = closing_entry(sk);

	if (e)
		st->f.zw[BS_ZW_RECV] = e->st.f.zw[BS_ZW_RECV];
}

/* The socket is done sending (or destroyed): its side goes home. */
static __always_inline void closing_end(const struct sock *sk,
					struct bs_sock_state *st)
{
	struct bs_conn_key k;
	struct bs_closing *e;

	if (!closing_count)
		return;
	conn_key_of(&k, sk);
	e = bpf_map_lookup_elem(&closing_socks, &k);
	if (!e)
		return;
	if (st)
		st->f.zw[BS_ZW_RECV] = e->st.f.zw[BS_ZW_RECV];
	if (!bpf_map_delete_elem(&closing_socks, &k))
		__sync_fetch_and_add(&closing_count, -1);
}

#endif /* BUFSCOPE_CLOSING_BPF_H */
