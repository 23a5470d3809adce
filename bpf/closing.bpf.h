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
extern __u32 closing_ports[65536];

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
	/* a socket whose port has no closing socket: no key to build */
	if (!closing_ports[BPF_CORE_READ((const struct inet_sock *)sk, inet_sport)])
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

static const struct bs_closing bs_zero_closing;

/* From now on the socket's received windows are counted in an entry. */
static __always_inline void closing_insert(const struct sock *sk,
					   struct bs_sock_state *st)
{
	struct bs_conn_key k;
	struct bs_closing *e;

	conn_key_of(&k, sk);
	if (bpf_map_update_elem(&closing_socks, &k, &bs_zero_closing, BPF_NOEXIST)) {
		if (!bpf_map_lookup_elem(&closing_socks, &k))
			st->f.incomplete |= BS_INC_ZW_RECV;	/* full */
		return;		/* (or there already) */
	}
	__sync_fetch_and_add(&closing_count, 1);
	__sync_fetch_and_add(&closing_ports[k.lport], 1);
	e = bpf_map_lookup_elem(&closing_socks, &k);
	if (!e)
		return;
	e->sk = (__u64)(unsigned long)sk;
	e->st.cookie = st->cookie;
	e->st.reader = st->reader;
	e->st.f.zw[BS_ZW_RECV] = st->f.zw[BS_ZW_RECV];
}

#define TCP_CLOSE_WAIT 8

/*
 * A socket in CLOSE_WAIT (the peer closed) that sends data it wrote after
 * the peer's FIN: it had nothing to send when it left ESTABLISHED, so it is
 * tracked from its first unacknowledged byte (the send hook, for every
 * segment: one load of the state unless the socket is in CLOSE_WAIT).
 */
static __always_inline void closing_sending(const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct bs_sock_state *st;

	if (sk->__sk_common.skc_state != TCP_CLOSE_WAIT ||
	    BPF_CORE_READ(tp, write_seq) == BPF_CORE_READ(tp, snd_una) ||
	    closing_entry(sk))
		return;
	st = state_of(sk, false);
	if (st && st->cookie)	/* skb->sk cannot make the cookie: wait for it */
		closing_insert(sk, st);
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
	if (!bpf_map_delete_elem(&closing_socks, &k)) {
		__sync_fetch_and_add(&closing_count, -1);
		__sync_fetch_and_add(&closing_ports[k.lport], -1);
	}
}

#endif /* BUFSCOPE_CLOSING_BPF_H */
