/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every bufscope BPF program shares: the maps and settings (defined once,
 * in maps.bpf.c, declared extern here), the in-kernel filters, and the small
 * readers of struct sock / struct tcp_sock.
 */
#ifndef BUFSCOPE_BPF_H
#define BUFSCOPE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "bufscope/sock.h"
#include "bufscope/log2.h"

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define TCP_CLOSE 7
#define TCP_LISTEN 10
#define MSG_PEEK 0x2
#define MSG_DONTWAIT 0x40
#define EAGAIN 11

/*
 * A field of a kernel object. `direct` (a constant at every call site) says
 * the verifier knows the pointer's type (tp_btf, fentry/fexit, iterators):
 * a plain load. Otherwise (kprobes: a bare address) a CO-RE probe read, a
 * helper call. The compiler drops the branch not taken.
 */
#define BS_LOAD(direct, p, field) ((direct) ? (p)->field : BPF_CORE_READ(p, field))

/* Settings written by the collector before load (read-only to the verifier). */
extern const volatile __u32 cfg_pids[BS_MAX_PIDS];
extern const volatile __u32 cfg_npids;
extern const volatile char cfg_comm[BS_COMM_LEN];
extern const volatile __u8 cfg_has_comm;
extern const volatile __u16 cfg_port;		/* local or remote, 0 = any */
/* network namespaces (their inode numbers) sockets must be in; none: any */
extern const volatile __u32 cfg_netns[BS_MAX_NETNS];
extern const volatile __u32 cfg_nnetns;
extern const volatile __u8 cfg_trace_reads;	/* send a record per read */
/* Drop and rcvbuf-change records are for `trace` only (top counts them in
 * the state): without them, a full ring buffer loses none (bs_flow_records). */
extern const volatile __u8 cfg_flow_records;
extern const volatile __u32 cfg_wakeup_bytes;	/* wake the reader past this */
extern const volatile __u8 cfg_state_hash;	/* per-socket state in sock_state_hash */
/* By enum skb_drop_reason value of the running kernel: 1 for an expected
 * discard (src/kernel/drop_reasons.c classes the names; user space sets it). */
extern const volatile __u8 cfg_drop_expected[BS_DROP_REASON_MAX];
/* Every pass sends full records (histograms) of the sockets that changed,
 * not samples: for `hist` (collector_config.hist_every_pass). */
extern const volatile __u8 cfg_hist_every_pass;
/* --cgroup: only tasks under the cgroup in cgroup_filter[0] are readers */
extern const volatile __u8 cfg_has_cgroup;

extern struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

extern struct bs_kstats kstats;
extern __u32 sample_count;
extern __u32 iter_full;

extern struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bs_sock_state);
} sock_state SEC(".maps");

/*
 * The same state keyed by the socket's address, for when a kprobe-tier hook is
 * attached: kprobe programs cannot use socket storage. Entries go when the
 * socket is destroyed (tcp_destroy_sock).
 */
extern struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BS_HASH_SOCKETS);
	__type(key, __u64);
	__type(value, struct bs_sock_state);
} sock_state_hash SEC(".maps");

extern struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BS_HASH_SOCKETS);
	__type(key, __u64);
	__type(value, __u8);
} untracked SEC(".maps");

extern struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/*
 * Submit without waking user space, which polls at least every 100 ms: a
 * wakeup is an inter-processor interrupt, microseconds in a virtual machine,
 * once per record. Only a ring filling up (a busy trace) wakes the reader early.
 */
static __always_inline void submit_record(void *rec)
{
	__u64 pending = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(rec, pending >= cfg_wakeup_bytes ? BPF_RB_FORCE_WAKEUP
							    : BPF_RB_NO_WAKEUP);
}

static __always_inline void count_lost(void)
{
	__sync_fetch_and_add(&kstats.lost_events, 1);
}


static __always_inline bool pid_selected(__u32 tgid)
{
	if (!cfg_npids)
		return true;
	for (int i = 0; i < BS_MAX_PIDS; i++) {
		if (i >= cfg_npids)
			break;
		if (cfg_pids[i] == tgid)
			return true;
	}
	return false;
}

static __always_inline bool comm_selected(const char *comm)
{
	if (!cfg_has_comm)
		return true;
	for (int i = 0; i < BS_COMM_LEN; i++) {
		if (comm[i] != cfg_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/*
 * --cgroup: is the current task in that cgroup or one below it (cgroup v2)?
 * Only a task can be asked: a socket's state remembers a reader or closer
 * that passed (note_reader, note_closer), for the hooks and the iterator
 * that run without one.
 */
static __always_inline bool cgroup_selected(void)
{
	return !cfg_has_cgroup ||
	       bpf_current_task_under_cgroup(&cgroup_filter, 0) == 1;
}

/* -p, -c and --cgroup: is the current task one we were asked to watch? */
static __always_inline bool task_selected(__u32 tgid)
{
	char comm[BS_COMM_LEN];

	if (!pid_selected(tgid) || !cgroup_selected())
		return false;
	if (!cfg_has_comm)
		return true;	/* the name is fetched only when it matters */
	bpf_get_current_comm(comm, sizeof(comm));
	return comm_selected(comm);
}

/*
 * The same test for a reader recorded earlier (the iterator has no task).
 * Its cgroup passed when it was recorded: only a selected task is.
 */
static __always_inline bool reader_selected(const struct bs_reader *r)
{
	return pid_selected(r->pid) && comm_selected(r->comm);
}

static __always_inline bool has_task_filter(void)
{
	return cfg_npids || cfg_has_comm || cfg_has_cgroup;
}

#define SOCK_DONE 1	/* enum sock_flags: the peer's FIN was received */

/*
 * Bytes received in order but not yet read, as FIONREAD (tcp_inq) counts
 * them: rcv_nxt also advanced over the FIN, which is no byte to read.
 * ss's Recv-Q (tcp_diag) does not make that correction.
 */
static __always_inline __u32 queue_from(__u32 rcv_nxt, __u32 copied_seq,
					unsigned long sk_flags)
{
	__s32 q = (__s32)(rcv_nxt - copied_seq);

	if (q > 0 && (sk_flags & (1UL << SOCK_DONE)))
		q--;
	return q > 0 ? (__u32)q : 0;
}

static __always_inline __u32 queue_bytes(const struct tcp_sock *tp, bool direct)
{
	return queue_from(BS_LOAD(direct, tp, rcv_nxt),
			  BS_LOAD(direct, tp, copied_seq),
			  BS_LOAD(direct, tp, inet_conn.icsk_inet.sk.__sk_common.skc_flags));
}


/* TCP over IPv4 or IPv6, stream sockets only (not MPTCP subflows' parents). */
static __always_inline bool is_tcp(const struct sock *sk, bool direct)
{
	__u16 family = BS_LOAD(direct, sk, __sk_common.skc_family);

	if (family != AF_INET && family != AF_INET6)
		return false;
	return BS_LOAD(direct, sk, sk_protocol) == IPPROTO_TCP &&
	       BS_LOAD(direct, sk, sk_type) == SOCK_STREAM;
}

/*
 * A listening socket is not a connection: it queues no data (its
 * sk_data_ready only says a connection can be accepted), the iterators skip
 * it, and no hook gives it state, or its close record would list it.
 */
static __always_inline bool is_listener(const struct sock *sk, bool direct)
{
	return BS_LOAD(direct, sk, __sk_common.skc_state) == TCP_LISTEN;
}

extern __u64 listen_ports[65536 / 64];
extern __u64 listen_seen[65536 / 64];

/* A listener has this local port: remember it (see maps.bpf.c). */
static __always_inline void note_listen_port(__u16 port)
{
	__u64 bit = 1ULL << (port & 63);

	if (!port)		/* listen() without bind(): not chosen yet */
		return;
	if (!(listen_seen[(port / 64) & 1023] & bit))
		__sync_fetch_and_or(&listen_seen[(port / 64) & 1023], bit);
	if (!(listen_ports[(port / 64) & 1023] & bit))
		__sync_fetch_and_or(&listen_ports[(port / 64) & 1023], bit);
}

/* The socket's local port if a listener has had it, else 0 (ephemeral). */
static __always_inline __u16 service_port(__u16 local_port)
{
	return listen_ports[(local_port / 64) & 1023] & (1ULL << (local_port & 63))
	       ? local_port : 0;
}

/* Is the socket in one of the namespaces the run is limited to? */
static __always_inline bool netns_selected(const struct sock_common *skc)
{
	__u32 ino;

	if (!cfg_nnetns)
		return true;
	ino = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	for (__u32 i = 0; i < BS_MAX_NETNS; i++)
		if (i < cfg_nnetns && cfg_netns[i] == ino)
			return true;
	return false;
}

/* The socket filters: its port (local or remote) and its namespace. */
static __always_inline bool sock_selected(const struct sock_common *skc,
					  bool direct)
{
	if (!netns_selected(skc))
		return false;
	if (!cfg_port)
		return true;
	return BS_LOAD(direct, skc, skc_num) == cfg_port ||
	       bpf_ntohs(BS_LOAD(direct, skc, skc_dport)) == cfg_port;
}

/*
 * The local port comes from inet_sport: skc_num is cleared when the socket is
 * unhashed, before tcp_destroy_sock fires.
 */
static __always_inline void fill_endpoints(struct bs_endpoints *ep,
					   const struct sock *sk, bool direct)
{
	const struct sock_common *skc = &sk->__sk_common;

	ep->family = BS_LOAD(direct, skc, skc_family);
	ep->sport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	ep->dport = bpf_ntohs(BS_LOAD(direct, skc, skc_dport));
	ep->tcp_state = BS_LOAD(direct, skc, skc_state);
	if (ep->family == AF_INET && direct) {
		__builtin_memcpy(ep->saddr, &skc->skc_rcv_saddr, 4);
		__builtin_memcpy(ep->daddr, &skc->skc_daddr, 4);
	} else if (ep->family == AF_INET) {
		__u32 saddr = BPF_CORE_READ(skc, skc_rcv_saddr);
		__u32 daddr = BPF_CORE_READ(skc, skc_daddr);

		__builtin_memcpy(ep->saddr, &saddr, 4);
		__builtin_memcpy(ep->daddr, &daddr, 4);
	} else {
		BPF_CORE_READ_INTO(&ep->saddr, skc, skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&ep->daddr, skc, skc_v6_daddr.in6_u.u6_addr8);
	}
}

static __always_inline void hist_add(struct bs_sock_state *st, int kind, __u64 v)
{
	__u32 slot = bs_log2_slot(v);

	if (kind >= 0 && kind < BS_HIST_N && slot < BS_HIST_SLOTS)
		st->hist[kind][slot]++;
}

static __always_inline void raise_peak(struct bs_sock_state *st, __u32 q)
{
	if (q > st->c.queue_peak)
		st->c.queue_peak = q;
}

/*
 * TCP's own clock for the socket, in ns: tcp_mstamp (CLOCK_MONOTONIC, in
 * microseconds) is refreshed by tcp_rcv_space_adjust() inside every read that
 * copies data, and at the start of tcp_rcv_established() for every arrival.
 * Right after those, it is "now" at no cost (bpf_ktime_get_ns() is a call).
 */
static __always_inline __u64 tcp_now_ns(const struct tcp_sock *tp, bool direct)
{
	return BS_LOAD(direct, tp, tcp_mstamp) * 1000;
}

/* A new socket's state in sock_state_hash starts as this. */
static const struct bs_sock_state bs_zero_state;

static __always_inline struct bs_sock_state *hashed_state(const struct sock *sk,
							  bool create)
{
	__u64 key = (__u64)(unsigned long)sk;
	struct bs_sock_state *st;

	st = bpf_map_lookup_elem(&sock_state_hash, &key);
	if (st || !create)
		return st;
	/* another CPU may have added it meanwhile: then look it up */
	bpf_map_update_elem(&sock_state_hash, &key, &bs_zero_state, BPF_NOEXIST);
	return bpf_map_lookup_elem(&sock_state_hash, &key);
}

/*
 * The socket's state: socket storage, or (kprobe tier) the hash map. The
 * branch is on a constant set before load: the verifier sees only one path,
 * so kprobe programs never meet bpf_sk_storage_get(), which they may not call.
 */
static __always_inline struct bs_sock_state *stored_state(const struct sock *sk,
							  bool create)
{
	if (cfg_state_hash)
		return hashed_state(sk, create);
	return bpf_sk_storage_get(&sock_state, (struct sock *)sk, NULL,
				  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
}

/* The socket is being destroyed: socket storage goes with it, the hash entry
 * must be deleted (its address will be reused). */
static __always_inline void forget_state(const struct sock *sk)
{
	__u64 key = (__u64)(unsigned long)sk;

	if (cfg_state_hash)
		bpf_map_delete_elem(&sock_state_hash, &key);
}

#define EEXIST 17

/*
 * A socket that should have had state and could not get it: nothing of it is
 * counted from now on. Counted once per socket (the `untracked` set; a set
 * that is itself full counts the socket again: too many rather than too few).
 */
static __always_inline void note_untracked(const struct sock *sk)
{
	__u64 key = (__u64)(unsigned long)sk;
	__u8 one = 1;

	__sync_fetch_and_add(&kstats.storage_failures, 1);
	if (bpf_map_update_elem(&untracked, &key, &one, BPF_NOEXIST) != -EEXIST)
		__sync_fetch_and_add(&kstats.untracked_sockets, 1);
}

/* A destroyed socket leaves the set: its address may come back as another. */
static __always_inline void forget_untracked(const struct sock *sk)
{
	__u64 key = (__u64)(unsigned long)sk;

	if (kstats.untracked_sockets)	/* none ever: no helper call */
		bpf_map_delete_elem(&untracked, &key);
}

static __always_inline struct bs_sock_state *state_of(const struct sock *sk,
						      bool create)
{
	struct bs_sock_state *st = stored_state(sk, create);

	if (!st) {
		if (create)
			note_untracked(sk);
		return NULL;
	}
	if (!st->c.first_ns)
		st->c.first_ns = bpf_ktime_get_ns();
	return st;
}

/*
 * State for a socket seen where the current task is not its reader (softirq,
 * segments, drops): created only when no -p/-c filter says whose sockets to
 * track; with one, only sockets a selected reader already has are updated.
 */
static __always_inline struct bs_sock_state *state_taskless(const struct sock *sk,
							     bool create)
{
	return state_of(sk, create && !has_task_filter());
}

/*
 * Hooks that see the socket through a trusted pointer record its cookie in the
 * state; those that only have an RCU pointer (skb->sk), which
 * bpf_get_socket_cookie() refuses, read it from there.
 */
static __always_inline void remember_cookie(struct bs_sock_state *st,
					    const struct sock *sk)
{
	if (!st->cookie)
		st->cookie = bpf_get_socket_cookie((void *)sk);
}

static __always_inline __u64 cookie_of(const struct bs_sock_state *st,
				       const struct sock *sk)
{
	return st->cookie ? st->cookie
			  : BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

#endif /* BUFSCOPE_BPF_H */
