// SPDX-License-Identifier: GPL-2.0
/*
 * The read path: every socket read, per socket, aggregated in the kernel.
 *
 * handle_read() is the one body; each attach tier adds only an entry wrapper
 * that knows where its hook finds the socket, the result and the request.
 */
#include "bufscope.bpf.h"
#include "syscall_args.bpf.h"
#include "flow.bpf.h"

struct read_info {
	int ret;		/* bytes, 0 at EOF, -errno */
	int flags;		/* MSG_* flags of the receive */
	__u64 req;		/* requested bytes, if req_known */
	bool req_known;
	__s32 nr;		/* system call number, -1 if unknown */
	__u32 queue_before;
	__u32 queue_after;
	__u32 copied_seq;	/* after the read: the next byte to read */
	__u64 now;		/* TCP's clock for the socket, ns */
};

static __always_inline void note_reader(struct bs_sock_state *st, __u64 pid_tgid)
{
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;

	if (st->reader.pid == tgid && st->reader.tid == tid)
		return;
	st->reader.pid = tgid;
	st->reader.tid = tid;
	st->reader.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(st->reader.comm, sizeof(st->reader.comm));
}

/* How long the first byte this read took had waited in the queue. */
static __always_inline void note_byte_age(struct bs_sock_state *st, __u32 seq,
					  __u64 now)
{
	__u64 arrived = arrival_of(st, seq), age;

	if (!arrived || arrived > now)
		return;		/* arrived before the marks we keep */
	age = now - arrived;
	hist_add(st, BS_HIST_AGE, age / 1000);
	st->c.age_sum_ns += age;
	if (age > st->f.age_max_ns)
		st->f.age_max_ns = age;
}

/*
 * The time since the socket's previous data read, then this read's time:
 * the gap histogram. A socket's first read seen (last_read_ns 0) has no
 * gap. TCP's clock for the socket never goes back; the test costs nothing.
 */
static __always_inline void note_gap(struct bs_sock_state *st, __u64 now)
{
	__u64 last = st->c.last_read_ns;

	if (last && now >= last) {
		hist_add(st, BS_HIST_GAP, (now - last) / 1000);
		st->c.gap_sum_ns += now - last;
	}
	st->c.last_read_ns = now;
}

static __always_inline void account_read(struct bs_sock_state *st,
					 const struct read_info *ri, __u64 now)
{
	struct bs_read_counters *c = &st->c;

	raise_peak(st, ri->queue_before);
	if (ri->ret < 0) {
		if (ri->ret == -EAGAIN)
			c->eagain_reads++;
		else
			c->error_reads++;
		return;
	}
	if (ri->ret == 0) {
		c->eof_reads++;
		return;
	}
	if (ri->flags & MSG_PEEK) {
		c->peek_reads++;
		c->peek_bytes += ri->ret;
		return;
	}
	c->reads++;
	c->bytes += ri->ret;
	note_gap(st, now);
	hist_add(st, BS_HIST_RET, ri->ret);
	hist_add(st, BS_HIST_QUEUE, ri->queue_before);
	c->queue_sum += ri->queue_before;
	note_byte_age(st, ri->copied_seq - (__u32)ri->ret, now);
	if (!ri->queue_after)
		st->f.nonempty_since_ns = 0;
	if (ri->req_known) {
		c->req_reads++;
		c->req_bytes += ri->req;
		if (ri->req == (__u64)ri->ret)
			c->full_reads++;
		hist_add(st, BS_HIST_REQ, ri->req);
	}
}

static __always_inline void emit_read(const struct sock *sk,
				      const struct bs_sock_state *st,
				      const struct read_info *ri,
				      __u64 pid_tgid, bool direct)
{
	struct bs_read_rec *r;

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_lost();
		return;
	}
	r->kind = BS_REC_READ;
	r->flags = (ri->flags & MSG_PEEK ? BS_RF_PEEK : 0) |
		   (ri->flags & MSG_DONTWAIT ? BS_RF_DONTWAIT : 0) |
		   (ri->req_known ? BS_RF_REQ_KNOWN : 0);
	r->cookie = cookie_of(st, sk);
	r->ts_ns = ri->now;
	r->pid = pid_tgid >> 32;
	r->tid = (__u32)pid_tgid;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	r->ret = ri->ret;
	r->req = ri->req > 0xffffffffULL ? 0xffffffffU : (__u32)ri->req;
	r->queue_before = ri->queue_before;
	r->queue_after = ri->queue_after;
	r->syscall_nr = (__u32)ri->nr;
	r->pad = 0;
	fill_endpoints(&r->ep, sk, direct);
	submit_record(r);
}

/* The filters, applied by every entry wrapper before it does any work. */
static __always_inline bool read_selected(const struct sock *sk, __u64 pid_tgid,
					  bool direct)
{
	return sk && is_tcp(sk, direct) &&
	       sock_selected(&sk->__sk_common, direct) &&
	       task_selected(pid_tgid >> 32);
}

/*
 * The queue after the read, from the socket as the read left it, and before
 * it: what is left plus what was taken (the same rule in every tier). TCP's
 * clock was refreshed by tcp_rcv_space_adjust() inside a read that copied
 * data; other reads record no time.
 */
static __always_inline void read_queue(struct read_info *ri,
				       const struct tcp_sock *tp, bool direct)
{
	ri->queue_after = queue_bytes(tp, direct);
	ri->copied_seq = BS_LOAD(direct, tp, copied_seq);
	ri->queue_before = ri->queue_after;
	if (ri->ret > 0 && !(ri->flags & MSG_PEEK))
		ri->queue_before += ri->ret;
	ri->now = tcp_now_ns(tp, direct);
}

/*
 * One selected read has finished and its read_info is filled in. `direct`:
 * sk is a pointer the verifier knows (see BS_LOAD); only then may the
 * socket's cookie be asked for.
 */
static __always_inline void handle_read(const struct sock *sk,
					const struct read_info *ri,
					__u64 pid_tgid, bool direct)
{
	struct bs_sock_state *st;

	st = state_of(sk, true);
	if (!st)
		return;
	if (direct)
		remember_cookie(st, sk);
	note_reader(st, pid_tgid);
	account_read(st, ri, ri->now);
	note_rcvbuf(sk, st, ri->now, direct);
	if (cfg_trace_reads)
		emit_read(sk, st, ri, pid_tgid, direct);
}

/*
 * A read-only view of a socket known to be a full TCP socket. The verifier
 * turns bpf_rdonly_cast() into a plain move, where bpf_skc_to_tcp_sock() is a
 * helper call; on this project's machines every call and return costs
 * ~25-35 ns (the SRSO "safe RET" mitigation), a third of the read hook.
 * (Declared in this file only: libbpf 1.1's linker cannot merge a kfunc
 * extern that several objects declare. Weak: a kernel without it, 6.1,
 * loads the object as long as this tier's program is not loaded.)
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline const struct tcp_sock *tcp_view(const struct sock *sk)
{
	return bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
}

/*
 * Tracepoint tier (Linux 6.3+): sock:sock_recv_length fires after every
 * sock_recvmsg(), so it covers read, readv, recv, recvfrom, recvmsg,
 * recvmmsg and io_uring. It has no requested size: that comes from the
 * system call's saved registers. Three helper calls on the common path: the
 * task (for the pid and the registers), its registers, the socket's storage.
 */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_sock_recv_length, struct sock *sk, int ret, int flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = (__u64)task->tgid << 32 | (__u32)task->pid;
	struct read_info ri = { .ret = ret, .flags = flags, .nr = -1 };

	if (!read_selected(sk, pid_tgid, true))
		return 0;
	read_queue(&ri, tcp_view(sk), true);
	/* Counters need the size of data reads only; a trace shows it for all. */
	if (ret > 0 || cfg_trace_reads)
		ri.req_known = requested_size(task, &ri.req, &ri.nr);
	handle_read(sk, &ri, pid_tgid, true);
	return 0;
}

/*
 * fentry tier: fexit on tcp_recvmsg sees the socket, the requested length
 * (the iovecs' total, for every caller: system calls, io_uring, ia32) and
 * the result in one place. Its first four arguments (sk, msg, len, flags)
 * are the same since Linux 5.19; a fifth (addr_len) went in 6.18, so the
 * result comes from bpf_get_func_ret(), which the verifier inlines, rather
 * than from a fixed slot. bpf_skc_to_tcp_sock() rather than tcp_view():
 * bpf_rdonly_cast() needs Linux 6.2.
 */
SEC("fexit/tcp_recvmsg")
int fexit_tcp_recvmsg(__u64 *ctx)
{
	struct sock *sk = (struct sock *)ctx[0];
	__u64 pid_tgid = bpf_get_current_pid_tgid(), ret = 0;
	struct read_info ri = { .flags = (int)ctx[3], .req = ctx[2],
				.req_known = true, .nr = -1 };
	struct tcp_sock *tp;

	if (!read_selected(sk, pid_tgid, true))
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return 0;
	bpf_get_func_ret(ctx, &ret);
	ri.ret = (int)ret;
	read_queue(&ri, tp, true);
	if (cfg_trace_reads)
		ri.nr = current_syscall_nr();
	handle_read(sk, &ri, pid_tgid, true);
	return 0;
}

/*
 * kprobe tier: the entry saves the arguments per thread, the return does the
 * work. The socket is a bare address here: fields come through probe reads,
 * and state lives in sock_state_hash (kprobes cannot use socket storage).
 */
struct recv_call {
	__u64 sk;
	__u64 len;
	__s32 flags;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);		/* pid_tgid */
	__type(value, struct recv_call);
} recv_calls SEC(".maps");

SEC("kprobe/tcp_recvmsg")
int BPF_KPROBE(kp_tcp_recvmsg, struct sock *sk, struct msghdr *msg, size_t len,
	       int flags)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct recv_call call = { .sk = (__u64)(unsigned long)sk, .len = len,
				  .flags = flags };
	long err;

	if (!read_selected(sk, pid_tgid, false))
		return 0;
	err = bpf_map_update_elem(&recv_calls, &pid_tgid, &call, BPF_NOEXIST);
	if (!err)
		return 0;
	/*
	 * The thread's previous call is still there: its kretprobe did not run
	 * (every instance was taken, maxactive = max(10, 2 * CPUs) reads in
	 * flight at once, or the program could not run), so that read was not
	 * counted. Or the map is full, and this one will not be.
	 */
	__sync_fetch_and_add(&kstats.missed_reads, 1);
	if (err == -EEXIST)
		bpf_map_update_elem(&recv_calls, &pid_tgid, &call, BPF_ANY);
	return 0;
}

/*
 * A kprobe program cannot make a socket's cookie (bpf_get_socket_cookie() is
 * not for kprobes), and a socket may be read before any hook that can has
 * seen it (a new socket read empty, data that arrived before bufscope
 * started): the kprobe tier's read hook makes it when a TCP socket becomes
 * established ...
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_cookie_at_connect, const struct sock *sk, int oldstate, int newstate)
{
	if (newstate == BPF_TCP_ESTABLISHED && sk && is_tcp(sk, true))
		bpf_get_socket_cookie((void *)sk);
	return 0;
}

/* ... and for the sockets that exist when it attaches, one pass at start. */
SEC("iter/tcp")
int iter_make_cookies(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;

	if (skc && skc->skc_state != BPF_TCP_TIME_WAIT &&
	    skc->skc_state != BPF_TCP_NEW_SYN_RECV)
		bpf_get_socket_cookie(skc);
	return 0;
}

SEC("kretprobe/tcp_recvmsg")
int BPF_KRETPROBE(krp_tcp_recvmsg, int ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct read_info ri = { .ret = ret, .req_known = true, .nr = -1 };
	struct recv_call *call;
	struct sock *sk;

	call = bpf_map_lookup_elem(&recv_calls, &pid_tgid);
	if (!call)
		return 0;
	sk = (struct sock *)(unsigned long)call->sk;
	ri.req = call->len;
	ri.flags = call->flags;
	bpf_map_delete_elem(&recv_calls, &pid_tgid);
	read_queue(&ri, (const struct tcp_sock *)sk, false);
	if (cfg_trace_reads)
		ri.nr = current_syscall_nr();
	handle_read(sk, &ri, pid_tgid, false);
	return 0;
}
