// SPDX-License-Identifier: GPL-2.0
/*
 * Windows received after a socket left ESTABLISHED with data still to send
 * (see closing.bpf.h). tp_btf/inet_sock_set_state puts such a socket in
 * closing_socks and takes it out when it has nothing left to send (FIN_WAIT2,
 * TIME_WAIT, CLOSE); tp_btf/netif_receive_skb finds each received segment's
 * socket there by its endpoints. That hook runs for every packet the host
 * receives, so it returns at once while the map is empty.
 */
#include "bufscope.bpf.h"
#include "flow.bpf.h"
#include "closing.bpf.h"

#define TCP_FIN_WAIT1 4
#define TCP_LAST_ACK 9
#define TCP_CLOSING 11

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

/* States in which data can still be sent but tcp:tcp_probe does not fire. */
static __always_inline bool closing_state(int state)
{
	return state == TCP_CLOSE_WAIT || state == TCP_FIN_WAIT1 ||
	       state == TCP_CLOSING || state == TCP_LAST_ACK;
}

/*
 * close() (FIN_WAIT1 from ESTABLISHED, LAST_ACK from CLOSE_WAIT) runs in the
 * process that held the socket: a socket nobody read from is given it as its
 * owner, with tid 0 to say it did not read (a writer that closes and exits
 * within an interval has no descriptor left for /proc to find).
 */
static __always_inline void note_closer(struct bs_sock_state *st, __u64 pid_tgid)
{
	if (st->reader.pid || !(pid_tgid >> 32))
		return;
	/* --cgroup: a closer outside is no owner (the iterator has no task to
	 * ask; -p and -c recheck a recorded owner, a cgroup cannot be) */
	if (!cgroup_selected())
		return;
	st->reader.pid = pid_tgid >> 32;
	st->reader.tid = 0;
	st->reader.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(st->reader.comm, sizeof(st->reader.comm));
}

/* The socket left ESTABLISHED: track it while it has data to send. */
static __always_inline void closing_begin(const struct sock *sk, int newstate)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u32 unsent = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
	bool by_close = newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct bs_sock_state *st;
	bool create;

	create = unsent && (by_close ? task_selected(pid_tgid >> 32) : !has_task_filter());
	st = state_of(sk, create);
	if (!st)
		return;
	remember_cookie(st, sk);
	if (by_close)
		note_closer(st, pid_tgid);
	if (!unsent && !st->f.zw[BS_ZW_RECV].start_ns)
		return;		/* nothing to send, nothing waiting: nothing to see */
	closing_insert(sk, st);	/* (CLOSE_WAIT -> LAST_ACK: already there) */
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_closing_state, const struct sock *sk, int oldstate, int newstate)
{
	if (!sk || !is_tcp(sk, true))
		return 0;
	if (newstate == TCP_LISTEN) {	/* listen(): the port serves */
		note_listen_port(sk->__sk_common.skc_num);
		return 0;
	}
	if (!sock_selected(&sk->__sk_common, true))
		return 0;
	if (closing_state(newstate)) {
		/* CLOSE_WAIT -> LAST_ACK: close(), the closer to note; a socket
		 * already in the map stays there */
		if (!closing_state(oldstate) || newstate == TCP_LAST_ACK)
			closing_begin(sk, newstate);
		return 0;
	}
	if (closing_state(oldstate))
		closing_end(sk, state_of(sk, false));
	return 0;
}

/* An IPv6 header and the TCP header after it; an IPv4 header without
 * options and the TCP header after it fit too. */
struct ip_wire {
	__u8 b[40 + sizeof(struct bs_tcp_wire)];
};

/*
 * The TCP header of a received packet and its socket's key, from the IP
 * header at skb->data (the link header is already pulled at this point): one
 * probe read, two for IPv4 with options. A packet to a local port without
 * closing sockets stops before its key is made. IPv6 extension headers and
 * IPv4 fragments are not followed: TCP segments on Linux carry neither.
 */
static __always_inline int parse_segment(const struct sk_buff *skb,
					 struct bs_conn_key *k,
					 struct bs_tcp_wire *th)
{
	__u16 proto = bpf_ntohs(skb->protocol);
	unsigned char *data = skb->data;
	struct ip_wire ip;
	__u32 off, a4;
	bool v4;

	if (proto != ETH_P_IP && proto != ETH_P_IPV6)
		return -1;
	if (bpf_probe_read_kernel(&ip, sizeof(ip), data))
		return -1;
	v4 = proto == ETH_P_IP;
	if (v4 ? ip.b[0] >> 4 != 4 || ip.b[9] != IPPROTO_TCP || (ip.b[6] & 0x3f) || ip.b[7]
	       : ip.b[0] >> 4 != 6 || ip.b[6] != IPPROTO_TCP)
		return -1;
	off = v4 ? (ip.b[0] & 15) * 4 : 40;
	if (off == 20 || off == 40)
		__builtin_memcpy(th, &ip.b[off == 20 ? 20 : 40], sizeof(*th));
	else if (off < 20 || bpf_probe_read_kernel(th, sizeof(*th), data + off))
		return -1;
	if (!closing_ports[th->dport])
		return -1;
	__builtin_memset(k, 0, sizeof(*k));
	if (v4) {
		__builtin_memcpy(&a4, &ip.b[16], 4);
		v4_mapped(k->laddr, a4);
		__builtin_memcpy(&a4, &ip.b[12], 4);
		v4_mapped(k->raddr, a4);
	} else {
		__builtin_memcpy(k->laddr, &ip.b[24], 16);
		__builtin_memcpy(k->raddr, &ip.b[8], 16);
	}
	k->lport = th->dport;
	k->rport = th->sport;
	k->net = (__u64)(unsigned long)BPF_CORE_READ(skb, dev, nd_net.net);
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(tp_netif_receive_skb, struct sk_buff *skb)
{
	struct bs_tcp_wire th;
	struct bs_conn_key k;
	struct bs_closing *e;
	const struct sock *sk;
	const struct tcp_sock *tp;

	if (!closing_count || parse_segment(skb, &k, &th))
		return 0;
	e = bpf_map_lookup_elem(&closing_socks, &k);
	if (!e)
		return 0;
	/* an address, not a pointer the verifier knows: probe reads only */
	sk = (const struct sock *)(unsigned long)e->sk;
	tp = (const struct tcp_sock *)sk;
	window_seen(sk, &e->st, BS_ZW_RECV, th.window, th.flags,
		    BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una), false);
	return 0;
}
