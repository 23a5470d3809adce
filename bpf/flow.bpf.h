/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow-control bookkeeping shared by the read, arrival and segment hooks:
 * zero-window episodes, receive-buffer changes, and when bytes arrived (so a
 * read can tell how long the oldest byte it took had waited).
 */
#ifndef BUFSCOPE_FLOW_BPF_H
#define BUFSCOPE_FLOW_BPF_H

#include "bufscope.bpf.h"

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04

/* The first 16 bytes of a TCP header, as on the wire. */
struct bs_tcp_wire {
	__be16 sport;
	__be16 dport;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff;
	__u8 flags;
	__be16 window;
};

static __always_inline int read_tcp_header(const struct sk_buff *skb,
					   struct bs_tcp_wire *th)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 off = BPF_CORE_READ(skb, transport_header);

	if (!head || off == (__u16)~0U)
		return -1;
	return bpf_probe_read_kernel(th, sizeof(*th), head + off);
}

static __always_inline void emit_flow(const struct sock *sk,
				      const struct bs_sock_state *st, __u32 kind,
				      __u32 dir, __u64 now, bool direct,
				      struct bs_flow_rec **out)
{
	struct bs_flow_rec *r;

	*out = NULL;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_lost();
		return;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->dir = dir;
	r->cookie = cookie_of(st, sk);
	r->ts_ns = now;
	r->reader = st->reader;
	fill_endpoints(&r->ep, sk, direct);
	*out = r;
}

/*
 * sk_rcvbuf moved (autotuning grew it, or SO_RCVBUF set it): record it.
 * `direct`: see BS_LOAD.
 */
static __always_inline void note_rcvbuf(const struct sock *sk,
					struct bs_sock_state *st, __u64 now,
					bool direct)
{
	__u32 rcvbuf = BS_LOAD(direct, sk, sk_rcvbuf), old = st->f.last_rcvbuf;
	struct bs_flow_rec *r;

	if (rcvbuf == old)
		return;
	st->f.last_rcvbuf = rcvbuf;
	if (!old)
		return;		/* first sight, not a change */
	st->f.rcvbuf_changes++;
	if (!(cfg_flow_records & BS_FR_RCVBUF))
		return;
	emit_flow(sk, st, BS_REC_RCVBUF, 0, now, direct, &r);
	if (!r)
		return;
	r->old_rcvbuf = old;
	r->new_rcvbuf = rcvbuf;
	submit_record(r);
}

/* Data arrived: remember up to where, and when. */
static __always_inline void mark_arrival(struct bs_sock_state *st, __u32 rcv_nxt,
					 __u64 now)
{
	__u32 i = st->f.mark_next % BS_ARRIVAL_MARKS;

	st->f.marks[i].seq = rcv_nxt;
	st->f.marks[i].ns = now;
	st->f.mark_next = i + 1;
	if (!st->f.nonempty_since_ns)
		st->f.nonempty_since_ns = now;
}

/*
 * When did the byte at sequence `seq` arrive? The earliest remembered arrival
 * that reached past it; 0 if none is remembered (older than the marks kept).
 */
static __always_inline __u64 arrival_of(const struct bs_sock_state *st, __u32 seq)
{
	__u64 best = 0;

	for (int i = 0; i < BS_ARRIVAL_MARKS; i++) {
		const struct bs_arrival_mark *m = &st->f.marks[i];

		if (!m->ns || (__s32)(m->seq - seq) <= 0)
			continue;
		if (!best || m->ns < best)
			best = m->ns;
	}
	return best;
}

/* `direct`: see BS_LOAD (the closing-socket hook has only an address). */
static __always_inline void episode_begin(const struct sock *sk,
					  struct bs_sock_state *st, __u32 dir,
					  __u32 queued, __u64 now, bool direct)
{
	struct bs_zw_side *z = &st->f.zw[dir & 1];
	struct bs_flow_rec *r;

	z->episodes++;
	z->start_ns = now;
	z->start_queue = queued;
	z->start_probes = (__u32)z->probes;
	emit_flow(sk, st, BS_REC_ZW_START, dir, now, direct, &r);
	if (!r)
		return;
	r->start_ns = now;
	r->queue = queued;
	submit_record(r);
}

static __always_inline void episode_end(const struct sock *sk,
					struct bs_sock_state *st, __u32 dir,
					__u64 now, bool direct)
{
	struct bs_zw_side *z = &st->f.zw[dir & 1];
	__u64 start = z->start_ns;
	struct bs_flow_rec *r;

	z->ended++;
	z->total_ns += now - start;
	z->start_ns = 0;
	emit_flow(sk, st, BS_REC_ZW_END, dir, now, direct, &r);
	if (!r)
		return;
	r->start_ns = start;
	r->duration_ns = now - start;
	r->queue = z->start_queue;
	r->probes = (__u32)z->probes - z->start_probes;
	submit_record(r);
}

/*
 * One segment's window, in the direction dir. The rule is Wireshark's "TCP
 * ZeroWindow": the window field is 0 and none of SYN, FIN, RST is set. An
 * episode begins at the first such segment and ends at the first segment
 * (SYN and RST aside) whose window is not 0.
 */
static __always_inline void window_seen(const struct sock *sk,
					struct bs_sock_state *st, __u32 dir,
					__u16 window, __u8 flags, __u32 queued,
					bool direct)
{
	struct bs_zw_side *z = &st->f.zw[dir & 1];

	if (flags & (TCP_FLAG_SYN | TCP_FLAG_RST))
		return;
	/* the clock is read only when an episode begins or ends */
	if (!window) {
		if (flags & TCP_FLAG_FIN)
			return;
		z->segments++;
		if (!z->start_ns)
			episode_begin(sk, st, dir, queued, bpf_ktime_get_ns(), direct);
	} else if (z->start_ns) {
		episode_end(sk, st, dir, bpf_ktime_get_ns(), direct);
	}
}

#endif /* BUFSCOPE_FLOW_BPF_H */
