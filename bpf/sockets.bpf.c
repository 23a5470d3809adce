// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets as a whole: a TCP iterator that reports every socket's queue and
 * counters each interval (so a stalled reader that produces no events is still
 * seen), and the final totals of each socket as it is destroyed.
 */
#include "bufscope.bpf.h"

/* One record is larger than the BPF stack: build it in per-CPU scratch. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bs_sock_rec);
} rec_scratch SEC(".maps");

static __always_inline __u64 socket_inode(const struct tcp_sock *tp)
{
	struct socket *sock = BPF_CORE_READ(tp, inet_conn.icsk_inet.sk.sk_socket);
	struct socket_alloc *sa;

	if (!sock)
		return 0;
	sa = container_of(sock, struct socket_alloc, socket);
	return BPF_CORE_READ(sa, vfs_inode.i_ino);
}

static __always_inline void fill_sock_rec(struct bs_sock_rec *rec, __u32 kind,
					  const struct tcp_sock *tp,
					  const struct bs_sock_state *st)
{
	const struct sock *sk = &tp->inet_conn.icsk_inet.sk;

	rec->kind = kind;
	rec->flags = 0;
	rec->cookie = bpf_get_socket_cookie((void *)sk);
	rec->ts_ns = bpf_ktime_get_ns();
	rec->inode = socket_inode(tp);
	fill_endpoints(&rec->ep, sk, true);
	rec->queue_bytes = queue_bytes(tp, true);
	rec->rcvbuf = sk->sk_rcvbuf;
	rec->rmem_alloc = sk->sk_backlog.rmem_alloc.counter;
	rec->rcv_wnd = tp->rcv_wnd;
	rec->snd_wnd = tp->snd_wnd;
	rec->send_queue = tp->write_seq - tp->snd_una;
	if (st && !bpf_probe_read_kernel(&rec->state, sizeof(rec->state), st)) {
		rec->flags |= BS_SF_HAS_STATE;
		if (rec->state.reader.pid)
			rec->flags |= BS_SF_HAS_READER;
	}
}

/* One socket with state into an iterator's output, filters applied. */
static __always_inline void report_socket(struct seq_file *seq, struct tcp_sock *tp,
					  struct bs_sock_state *st)
{
	struct bs_sock_rec *rec;
	__u32 zero = 0;

	remember_cookie(st, (struct sock *)tp);
	/* A socket read by someone else is skipped; an unread one is kept, and
	 * user space finds its owner through /proc. */
	if (st->reader.pid && !reader_selected(&st->reader))
		return;
	rec = bpf_map_lookup_elem(&rec_scratch, &zero);
	if (!rec)
		return;
	fill_sock_rec(rec, BS_REC_SOCK, tp, st);
	/* peak and byte age are per interval: the next one starts now */
	st->c.queue_peak = rec->queue_bytes;
	st->f.age_max_ns = 0;
	if (!rec->queue_bytes)
		st->f.nonempty_since_ns = 0;
	bpf_seq_write(seq, rec, sizeof(*rec));
}

/*
 * Every TCP socket of the namespace the iterator was created in. A socket
 * with bytes waiting is tracked from now on, even if nothing happened to it
 * since bufscope attached (a stalled reader): it gets state, and so a final
 * record when it closes. Other sockets without state are idle: not reported.
 */
SEC("iter/tcp")
int iter_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct bs_sock_state *st;
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);	/* NULL for time-wait and request socks */
	if (!tp || skc->skc_state == TCP_LISTEN || !port_selected(skc, true))
		return 0;
	st = stored_state((struct sock *)tp, queue_bytes(tp, true) != 0);
	if (st)
		report_socket(ctx->meta->seq, tp, st);
	return 0;
}

/*
 * Only the sockets with state, in every namespace: the state map itself. Most
 * intervals walk this instead of the whole socket table, whose cost grows
 * with idle sockets (20,000 idle sockets: ~2 % of a core at one walk a second).
 */
SEC("iter/bpf_sk_storage_map")
int iter_state(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	struct bs_sock_state *st = ctx->value;
	struct sock *sk = ctx->sk;
	struct tcp_sock *tp;

	if (!sk || !st)
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp || sk->__sk_common.skc_state == TCP_LISTEN ||
	    !port_selected(&sk->__sk_common, true))
		return 0;
	report_socket(ctx->meta->seq, tp, st);
	return 0;
}

/* tcp:tcp_destroy_sock: the socket's last moment; no read can follow. */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tp_tcp_destroy_sock, struct sock *sk)
{
	struct bs_sock_state *st;
	struct bs_sock_rec *rec;
	struct tcp_sock *tp;

	if (!sk || !is_tcp(sk, true))
		return 0;
	st = state_of(sk, false);
	if (!st)
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	rec = tp ? bpf_ringbuf_reserve(&events, sizeof(*rec), 0) : NULL;
	if (rec) {
		fill_sock_rec(rec, BS_REC_CLOSE, tp, st);
		submit_record(rec);
	} else if (tp) {
		count_lost();
	}
	forget_state(sk);
	return 0;
}
