// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets as a whole: a TCP iterator that reports every socket's queue and
 * counters each interval (so a stalled reader that produces no events is still
 * seen), and the final totals of each socket as it is destroyed.
 */
#include "bufscope.bpf.h"
#include "closing.bpf.h"

/* A new fold starts as this. */
static const struct bs_fold bs_zero_fold;

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

/* The queue, buffer and windows now: both record forms carry them. */
static __always_inline void fill_queues(struct bs_sock_rec *rec,
					const struct tcp_sock *tp)
{
	const struct sock *sk = &tp->inet_conn.icsk_inet.sk;

	rec->queue_bytes = queue_bytes(tp, true);
	rec->rcvbuf = sk->sk_rcvbuf;
	rec->rmem_alloc = sk->sk_backlog.rmem_alloc.counter;
	rec->rcv_wnd = tp->rcv_wnd;
	rec->snd_wnd = tp->snd_wnd;
	rec->send_queue = tp->write_seq - tp->snd_una;
}

/* The port the socket serves, decided at the first call (see bs_sock_state). */
static __always_inline __u16 latch_port(struct bs_sock_state *st, const struct sock *sk)
{
	if (!st->port_known) {
		st->service_port = service_port(bpf_ntohs(BPF_CORE_READ(
			(const struct inet_sock *)sk, inet_sport)));
		st->port_known = 1;
	}
	return st->service_port;
}

/* BS_SF_SERVICE if the socket serves its port: as latched in its state once
 * known (latch_port), else as the listeners seen so far say. */
static __always_inline __u32 service_flag(const struct bs_sock_state *st, __u16 sport)
{
	return (st && st->port_known ? st->service_port : service_port(sport))
	       ? BS_SF_SERVICE : 0;
}

/* The record's head: the socket now, as the kernel has it. */
static __always_inline void fill_sock_head(struct bs_sock_rec *rec, __u32 kind,
					   const struct tcp_sock *tp,
					   const struct bs_sock_state *st)
{
	const struct sock *sk = &tp->inet_conn.icsk_inet.sk;

	rec->kind = kind;
	rec->flags = 0;
	rec->cookie = st && st->cookie ? st->cookie
				       : bpf_get_socket_cookie((void *)sk);
	rec->ts_ns = bpf_ktime_get_ns();
	rec->inode = socket_inode(tp);
	fill_endpoints(&rec->ep, sk, true);
	rec->flags |= service_flag(st, rec->ep.sport);
	fill_queues(rec, tp);
}

static __always_inline void set_state_flags(struct bs_sock_rec *rec)
{
	rec->flags |= BS_SF_HAS_STATE;
	if (rec->state.reader.pid)
		rec->flags |= BS_SF_HAS_READER;
}

/* A full record: the whole state, histograms included. */
static __always_inline void fill_sock_rec(struct bs_sock_rec *rec, __u32 kind,
					  const struct tcp_sock *tp,
					  const struct bs_sock_state *st)
{
	fill_sock_head(rec, kind, tp, st);
	if (st && !bpf_probe_read_kernel(&rec->state, sizeof(rec->state), st))
		set_state_flags(rec);
}

#define SAMPLE_STATE_BYTES (BS_SAMPLE_SIZE - __builtin_offsetof(struct bs_sock_rec, state))

/*
 * A sample: the state up to the arrival marks (BS_SAMPLE_SIZE bytes). Every
 * interval, for every socket that changed, so it is built with plain loads:
 * no probe reads, no cookie or inode lookups unless they are needed.
 */
static __always_inline void fill_sample(struct bs_sock_rec *rec,
					const struct tcp_sock *tp,
					const struct bs_sock_state *st)
{
	const struct sock *sk = &tp->inet_conn.icsk_inet.sk;
	const struct sock_common *skc = &sk->__sk_common;
	struct bs_endpoints *ep = &rec->ep;

	rec->kind = BS_REC_SAMPLE;
	rec->flags = BS_SF_HAS_STATE;
	rec->cookie = st->cookie;	/* remembered before */
	rec->ts_ns = bpf_ktime_get_ns();
	ep->family = skc->skc_family;
	ep->sport = bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport);
	ep->dport = bpf_ntohs(skc->skc_dport);
	ep->tcp_state = skc->skc_state;
	ep->pad = 0;
	rec->flags |= service_flag(st, ep->sport);
	if (ep->family == AF_INET) {
		__builtin_memset(ep->saddr, 0, sizeof(ep->saddr));
		__builtin_memset(ep->daddr, 0, sizeof(ep->daddr));
		__builtin_memcpy(ep->saddr, &skc->skc_rcv_saddr, 4);
		__builtin_memcpy(ep->daddr, &skc->skc_daddr, 4);
	} else {
		__builtin_memcpy(ep->saddr, &skc->skc_v6_rcv_saddr, 16);
		__builtin_memcpy(ep->daddr, &skc->skc_v6_daddr, 16);
	}
	fill_queues(rec, tp);
	__builtin_memcpy(&rec->state, st, SAMPLE_STATE_BYTES);
	if (rec->state.reader.pid) {
		rec->flags |= BS_SF_HAS_READER;
		rec->inode = 0;		/* the owner is known: not needed */
	} else {
		rec->inode = socket_inode(tp);
	}
}

extern struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__uint(value_size, BS_SAMPLE_SIZE);
} samples SEC(".maps");

/* The next free slot of `samples`, NULL when they are all taken. */
static __always_inline void *sample_slot(__u32 *idx)
{
	*idx = sample_count;
	return bpf_map_lookup_elem(&samples, idx);
}

/* Nothing a sample shows has changed since the last one sent. */
static __always_inline bool unchanged(const struct bs_sock_state *st, __u32 queue)
{
	return !queue && !st->c.queue_peak && !st->f.zw[BS_ZW_SENT].start_ns &&
	       !st->f.zw[BS_ZW_RECV].start_ns &&
	       st->sample_sum == bs_sample_sum(&st->c, &st->f);
}

/* Only the cookie, so that user space knows the socket is still there. */
static __always_inline void report_alive(struct seq_file *seq,
					 const struct bs_sock_state *st)
{
	struct bs_alive_rec a = { .kind = BS_REC_ALIVE, .cookie = st->cookie }, *slot;
	__u32 idx;

	slot = sample_slot(&idx);
	if (!slot) {
		bpf_seq_write(seq, &a, sizeof(a));	/* refused: shown again */
		return;
	}
	*slot = a;
	sample_count = idx + 1;
}

extern struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct bs_fold_key);
	__type(value, struct bs_fold);
} close_folds SEC(".maps");

extern struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bs_hist_copy);
} hist_reported SEC(".maps");

/*
 * cfg_hist_every_pass: keep the histograms of the full record just sent,
 * for a later folded close to subtract. If the copy cannot be made (no
 * memory), the socket has none and such a fold counts the reads it misses.
 */
static __always_inline void keep_hist_copy(struct sock *sk,
					   const struct bs_sock_rec *rec)
{
	struct bs_hist_copy *hc;

	hc = bpf_sk_storage_get(&hist_reported, sk, NULL,
				BPF_SK_STORAGE_GET_F_CREATE);
	if (!hc)
		return;
	/* a kind at a time: clang expands a copy this size, not the whole */
#pragma unroll
	for (int k = 0; k < BS_HIST_N; k++)
		__builtin_memcpy(hc->hist[k], rec->state.hist[k], sizeof(hc->hist[k]));
}

extern struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bs_fold);
} close_fold_spill SEC(".maps");

/* Time in zero-window episodes up to `now`, the open one included: as
 * src/model/model.c's zw_time() counts it from a record taken at `now`. */
static __always_inline __u64 zw_time(const struct bs_zw_side *z, __u64 now)
{
	return z->total_ns + (z->start_ns && now > z->start_ns ? now - z->start_ns : 0);
}

/* The totals user space derives from a record of state st taken at `now`. */
static __always_inline void totals_of(struct bs_totals *t,
				      const struct bs_sock_state *st, __u64 now)
{
	const struct bs_read_counters *c = &st->c;
	const struct bs_flow_state *f = &st->f;

	t->reads = c->reads;
	t->bytes = c->bytes;
	t->req_reads = c->req_reads;
	t->req_bytes = c->req_bytes;
	t->full_reads = c->full_reads;
	t->eof_reads = c->eof_reads;
	t->eagain_reads = c->eagain_reads;
	t->error_reads = c->error_reads;
	t->peek_reads = c->peek_reads;
	t->peek_bytes = c->peek_bytes;
	t->arrivals = c->arrivals;
	t->queue_sum = c->queue_sum;
	t->age_sum_ns = c->age_sum_ns;
	t->gap_sum_ns = c->gap_sum_ns;
	for (int d = 0; d < BS_ZW_N; d++) {
		t->zw_segments[d] = f->zw[d].segments;
		t->zw_episodes[d] = f->zw[d].episodes;
		t->zw_ns[d] = zw_time(&f->zw[d], now);
		t->zw_probes[d] = f->zw[d].probes;
	}
	t->drops = f->drops;
	t->drops_expected = f->drops_expected;
	t->rcvbuf_changes = f->rcvbuf_changes;
}

/*
 * The fold of the socket's reader: its entry in close_folds, made if need
 * be; the spill slot when the map is full (*unowned set). Entries are never
 * deleted, so a later look-up for the same reader finds the same place.
 */
static __always_inline struct bs_fold *fold_of(const struct sock *sk,
					       struct bs_sock_state *st,
					       bool *unowned)
{
	const struct bs_reader *r = &st->reader;
	struct bs_fold_key key = { .pid = r->pid };
	struct bs_fold *v;
	__u32 zero = 0;

	*unowned = false;
	key.port = latch_port(st, sk);	/* as in its records */
	if (r->pid) {
		__builtin_memcpy(key.comm, r->comm, sizeof(key.comm));
		key.cgroup_id = r->cgroup_id;
	}
	v = bpf_map_lookup_elem(&close_folds, &key);
	if (v)
		return v;
	/* BPF_NOEXIST: another CPU may have made it meanwhile; then use it */
	bpf_map_update_elem(&close_folds, &key, &bs_zero_fold, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&close_folds, &key);
	if (v)
		return v;
	*unowned = true;
	return bpf_map_lookup_elem(&close_fold_spill, &zero);
}

extern struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct bs_close_owner);
} close_owners SEC(".maps");

/*
 * A folded close of a socket user space has a row for: the fold takes its
 * counts under its reader now, but counts the socket only in the row. A
 * row from a record sent before the first read has no owner (or, the
 * socket passed on, another), and one from a record without counts is not
 * listed: either way the socket would be in no process's count. The row is
 * told the fold's owner, and to be listed if the fold has counts of the
 * socket. With no room for that, it is counted as a fold without its
 * process.
 */
static __always_inline void note_close_owner(const struct bs_sock_state *st)
{
	struct bs_close_owner o = { .reader = st->reader };
	__u64 cookie = st->cookie;
	bool other = st->reader.pid && st->reader.pid != st->reported_pid;

	/* (bs_sample_sum() is 1 for a record without counts) */
	o.counted = st->sample_sum == 1 &&
		    bs_sample_sum(&st->c, &st->f) != st->sample_sum;
	if (!st->sample_sum || (!other && !o.counted))
		return;
	if (bpf_map_update_elem(&close_owners, &cookie, &o, BPF_ANY))
		__sync_fetch_and_add(&kstats.close_fold_unowned, 1);
}

/*
 * v += sign * (a - b), field by field, atomically: two CPUs may fold sockets
 * of the same reader at once. Differences wrap modulo 2^64, so the sum user
 * space makes (what it had + the fold) is exact whatever the order.
 */
static __always_inline void fold_add(struct bs_fold *v, const struct bs_totals *a,
				     const struct bs_totals *b, bool negate)
{
	const __u64 *pa = (const __u64 *)a, *pb = (const __u64 *)b;
	__u64 *pv = (__u64 *)&v->t;

#pragma unroll
	for (int i = 0; i < BS_TOTALS_N; i++) {
		__u64 d = pa[i] - (pb ? pb[i] : 0);

		if (d)
			__sync_fetch_and_add(&pv[i], negate ? -d : d);
	}
}

/* v's histograms += sign * (h - base): the model takes histograms whole
 * (base NULL), or what they gained since a record it has (base). */
static __always_inline void fold_hist(struct bs_fold *v, const __u64 *h,
				      const __u64 *base, bool negate)
{
	__u64 *pv = &v->hist[0][0];

	for (int i = 0; i < BS_HIST_N * BS_HIST_SLOTS; i++) {
		__u64 x = h[i] - (base ? base[i] : 0);

		if (x)
			__sync_fetch_and_add(&pv[i], negate ? -x : x);
	}
}

/*
 * The gate hands `reported` between the iterator and the socket's close,
 * which may run on another CPU at the same time (the socket-storage walk
 * takes no socket lock). The iterator takes it (FREE -> REPORTING) before
 * sending a record and gives it back after updating `reported`; a close
 * swaps in CLOSED or FOLDED whatever it held. A close that found REPORTING
 * cannot trust `reported` (being written) and folds the socket's whole
 * totals; the iterator, finding FOLDED when it gives the gate back, takes
 * out of the fold what user space has of the socket (`reported`, and the
 * histograms of a full record it sent).
 */
static __always_inline bool gate_take(struct bs_sock_state *st)
{
	return __sync_val_compare_and_swap(&st->gate, BS_GATE_FREE,
					   BS_GATE_REPORTING) == BS_GATE_FREE;
}

static __always_inline void gate_give(const struct sock *sk,
				      struct bs_sock_state *st,
				      const struct bs_sock_rec *sent_full)
{
	struct bs_fold *v;
	bool unowned;

	if (__sync_val_compare_and_swap(&st->gate, BS_GATE_REPORTING,
					BS_GATE_FREE) != BS_GATE_FOLDED)
		return;
	v = fold_of(sk, st, &unowned);
	if (!v)
		return;
	fold_add(v, &st->reported, NULL, true);
	/* the close counted it as a socket user space never saw */
	if (st->sample_sum)
		__sync_fetch_and_add(&v->sockets, -1);
	/* ... and could not know which record user space has */
	note_close_owner(st);
	/* the full record sent, still where it was built */
	if (sent_full)
		fold_hist(v, &sent_full->state.hist[0][0], NULL, true);
}

/*
 * One socket with state into an iterator's output, filters applied: a sample
 * in the next slot of `samples` (the seq_file when they are full), or a full
 * record on the last walk (through the seq_file: a slot holds a sample); an
 * unchanged socket only as alive, except on the last walk. With
 * cfg_hist_every_pass every record is full, and the collector makes the
 * slots that big. The per-pass marks move only once the record is out: a
 * record the seq_file refuses is shown again on the next read().
 */
static __always_inline void report_socket(struct seq_file *seq, struct sock *sk,
					  const struct tcp_sock *tp,
					  struct bs_sock_state *st)
{
	bool last = iter_full, full = last || cfg_hist_every_pass;
	struct bs_sock_rec *rec;
	__u32 zero = 0, idx = 0;

	remember_cookie(st, sk);
	closing_sync(sk, st);
	latch_port(st, sk);
	/* A socket read by someone else is skipped; an unread one is kept, and
	 * user space finds its owner through /proc. */
	if (st->reader.pid && !reader_selected(&st->reader))
		return;
	if (!last && unchanged(st, queue_bytes(tp, true))) {
		report_alive(seq, st);
		return;
	}
	if (!gate_take(st))
		return;		/* destroyed: its close says the rest */
	/* (a branch on the constant alone: without the option the verifier
	 * never sees a full record written into a sample-sized slot) */
	if (cfg_hist_every_pass) {
		rec = sample_slot(&idx);
		if (rec)
			fill_sock_rec(rec, BS_REC_SOCK, tp, st);
	} else {
		rec = full ? NULL : sample_slot(&idx);
		if (rec)
			fill_sample(rec, tp, st);
	}
	if (rec) {
		sample_count = idx + 1;
	} else {
		rec = bpf_map_lookup_elem(&rec_scratch, &zero);
		if (!rec)
			goto out;
		if (full)
			fill_sock_rec(rec, BS_REC_SOCK, tp, st);
		else
			fill_sample(rec, tp, st);
		if (bpf_seq_write(seq, rec, full ? sizeof(*rec) : BS_SAMPLE_SIZE)) {
			rec = NULL;
			goto out;
		}
	}
	/* what user space now has: from the record, not from st, which a
	 * hook on another CPU may have moved since */
	totals_of(&st->reported, &rec->state, rec->ts_ns);
	st->sample_sum = bs_sample_sum(&rec->state.c, &rec->state.f);
	st->reported_pid = rec->state.reader.pid;
	if (full) {
		st->hist_sent = 1;
		if (cfg_hist_every_pass)
			keep_hist_copy(sk, rec);
	}
	/* peak and byte age are per interval: the next one starts now */
	st->c.queue_peak = rec->queue_bytes;
	st->f.age_max_ns = 0;
	if (!rec->queue_bytes)
		st->f.nonempty_since_ns = 0;
out:
	gate_give(sk, st, full ? rec : NULL);
}

/*
 * Every TCP socket of the namespace the iterator was created in. A socket
 * with bytes waiting is tracked from now on, even if nothing happened to it
 * since bufscope attached (a stalled reader): it gets state, and so a final
 * record when it closes. Other sockets without state are idle: not reported.
 */
/*
 * Once at start, before the first pass: the ports listeners have, so that
 * the sockets of a service that was listening before bufscope started are
 * labelled with its port from their first record (see listen_ports).
 */
SEC("iter/tcp")
int iter_listeners(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;

	if (skc && skc->skc_state == TCP_LISTEN)
		note_listen_port(skc->skc_num);
	return 0;
}

SEC("iter/tcp")
int iter_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct bs_sock_state *st;
	struct tcp_sock *tp;
	bool waiting;

	if (!skc)
		return 0;
	/* time-wait and request socks have no state: no helper call for them */
	if (skc->skc_state == BPF_TCP_TIME_WAIT || skc->skc_state == BPF_TCP_NEW_SYN_RECV)
		return 0;
	if (skc->skc_state == TCP_LISTEN) {	/* listeners come first */
		note_listen_port(skc->skc_num);
		return 0;
	}
	tp = bpf_skc_to_tcp_sock(skc);	/* NULL for time-wait and request socks */
	if (!tp || !sock_selected(skc, true))
		return 0;
	waiting = queue_bytes(tp, true) != 0;
	st = stored_state((struct sock *)tp, waiting);
	if (st)
		report_socket(ctx->meta->seq, (struct sock *)tp, tp, st);
	else if (waiting)
		note_untracked((struct sock *)tp);
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
	/* (bpf_rdonly_cast() would save this helper call, but libbpf 1.1's
	 * linker cannot take the kfunc from two objects: see read.bpf.c) */
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp || sk->__sk_common.skc_state == TCP_LISTEN ||
	    !sock_selected(&sk->__sk_common, true))
		return 0;
	report_socket(ctx->meta->seq, sk, tp, st);
	return 0;
}

/*
 * The histograms of a folded close whose socket had a full record sent: what
 * they gained since that record, if its copy was kept (cfg_hist_every_pass);
 * otherwise (the last pass's record, or no memory for the copy) the reads
 * since are in no histogram user space gets, and are counted as such.
 */
static __always_inline void fold_hist_since(struct bs_fold *v, struct sock *sk,
					    struct bs_sock_state *st,
					    const struct bs_totals *fin)
{
	struct bs_hist_copy *hc = NULL;

	if (cfg_hist_every_pass)
		hc = bpf_sk_storage_get(&hist_reported, sk, NULL, 0);
	if (hc)
		fold_hist(v, &st->hist[0][0], &hc->hist[0][0], false);
	else if (fin->reads > st->reported.reads)
		__sync_fetch_and_add(&kstats.hist_reads_unfolded,
				     fin->reads - st->reported.reads);
}

/*
 * No room in the ring for the close record: what it would have added to
 * what user space has goes to the reader's fold, which user space reads each
 * pass. Histograms whole when user space has none of the socket's (it takes
 * them from full records only), else what they gained since its last one.
 */
static __always_inline void fold_close(struct sock *sk, struct bs_sock_state *st)
{
	__u32 was = __sync_lock_test_and_set(&st->gate, BS_GATE_FOLDED);
	struct bs_totals fin;
	struct bs_fold *v;
	bool unowned;

	v = fold_of(sk, st, &unowned);
	if (!v) {
		count_lost();
		return;
	}
	totals_of(&fin, st, bpf_ktime_get_ns());
	/* `reported` is being written by the iterator: all now, it takes out
	 * its part when it gives the gate back */
	fold_add(v, &fin, was == BS_GATE_REPORTING ? NULL : &st->reported, false);
	/* a record being sent: whole, the iterator takes out what it sent */
	if (was == BS_GATE_REPORTING || !st->hist_sent)
		fold_hist(v, &st->hist[0][0], NULL, false);
	else
		fold_hist_since(v, sk, st, &fin);
	/* a socket user space has a row for is counted there, under the
	 * owner it is told if the row has none yet (the iterator tells it
	 * when it gives back a gate it held) */
	if (was == BS_GATE_REPORTING || !st->sample_sum)
		__sync_fetch_and_add(&v->sockets, 1);
	if (was != BS_GATE_REPORTING)
		note_close_owner(st);
	/* a flag, not a count: OR-ed in, and never taken out again */
	if (st->f.incomplete)
		__sync_fetch_and_or(&v->incomplete, st->f.incomplete);
	__sync_fetch_and_add(&kstats.close_folded, 1);
	if (unowned)
		__sync_fetch_and_add(&kstats.close_fold_unowned, 1);
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
	/* also a socket that got state after it had been refused some */
	forget_untracked(sk);
	st = state_of(sk, false);
	closing_end(sk, st);
	if (!st)
		return 0;
	latch_port(st, sk);
	tp = bpf_skc_to_tcp_sock(sk);
	rec = tp ? bpf_ringbuf_reserve(&events, sizeof(*rec), 0) : NULL;
	if (rec) {
		__sync_lock_test_and_set(&st->gate, BS_GATE_CLOSED);
		fill_sock_rec(rec, BS_REC_CLOSE, tp, st);
		submit_record(rec);
	} else if (tp) {
		fold_close(sk, st);
	}
	forget_state(sk);
	return 0;
}
