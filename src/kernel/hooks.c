// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "kernel/hooks.h"

#define KPROBE_PMU_TYPE "/sys/bus/event_source/devices/kprobe/type"

struct hook_variant {
	enum tier tier;
	const char *target;	/* what it attaches to, as shown */
	const char *btf_name;	/* what the kernel's BTF must have */
	int nargs;		/* arguments it reads: at least this many */
	int max_args;		/* functions: at most this many (0: any) */
	const char *missing;	/* why a kernel may not have it */
};

struct hook_def {
	const char *name;
	bool required;
	struct hook_variant v[HOOK_MAX_VARIANTS];
};

#define TRACEPOINT(tp, n, why) { TIER_TRACEPOINT, "tp_btf/" tp, "btf_trace_" tp, n, 0, why }

/*
 * tcp_recvmsg(sk, msg, len, flags, ...): addr_len follows up to Linux 6.17;
 * before 5.19 a `nonblock` argument came before flags (six in all), which
 * the programs do not read. sock_def_readable(sk) has one argument.
 */
static const struct hook_def defs[HOOK__COUNT] = {
	[HOOK_READ] = { "read", true, {
		{ TIER_FENTRY, "fexit/tcp_recvmsg", "tcp_recvmsg", 4, 5,
		  "tcp_recvmsg with the arguments of Linux 5.19 and later" },
		{ TIER_KPROBE, "kprobe/tcp_recvmsg", "tcp_recvmsg", 4, 5,
		  "tcp_recvmsg with the arguments of Linux 5.19 and later" },
		TRACEPOINT("sock_recv_length", 0,
			   "the sock:sock_recv_length tracepoint is in Linux 6.3 and later"),
	} },
	[HOOK_ARRIVAL] = { "arrival", false, {
		{ TIER_FENTRY, "fentry/sock_def_readable", "sock_def_readable", 1, 1,
		  "sock_def_readable, the default data-ready callback" },
		{ TIER_KPROBE, "kprobe/sock_def_readable", "sock_def_readable", 1, 1,
		  "sock_def_readable, the default data-ready callback" },
		TRACEPOINT("sk_data_ready", 0,
			   "the sock:sk_data_ready tracepoint is in Linux 6.6 and later"),
	} },
	[HOOK_CLOSE] = { "close", true, {
		TRACEPOINT("tcp_destroy_sock", 0,
			   "the tcp:tcp_destroy_sock tracepoint is in Linux 5.12 and later"),
	} },
	[HOOK_SOCKETS] = { "sockets", true, {
		{ TIER_ITERATOR, "iter/tcp", "bpf_iter_tcp", 0, 0,
		  "TCP socket iterators are in Linux 5.9 and later" },
	} },
	[HOOK_STATE] = { "state", false, {
		{ TIER_ITERATOR, "iter/bpf_sk_storage_map", "bpf_iter_bpf_sk_storage_map", 0, 0,
		  "socket-storage iterators are in Linux 5.9 and later; every "
		  "interval walks the whole socket table instead" },
	} },
	[HOOK_WINDOW_OUT] = { "window_out", true, {
		TRACEPOINT("net_dev_queue", 0,
			   "the net:net_dev_queue tracepoint is in Linux 3.15 and later"),
	} },
	[HOOK_WINDOW_IN] = { "window_in", true, {
		TRACEPOINT("tcp_probe", 0,
			   "the tcp:tcp_probe tracepoint is in Linux 4.16 and later"),
	} },
	[HOOK_DROPS] = { "drops", false, {
		TRACEPOINT("kfree_skb", 4 /* skb, location, reason, rx_sk */,
			   "skb:kfree_skb with the receiving socket is in Linux 6.11 and later"),
	} },
};

static const char *const tier_names[TIER__COUNT] = {
	[TIER_FENTRY] = "fentry", [TIER_KPROBE] = "kprobe",
	[TIER_TRACEPOINT] = "tracepoint", [TIER_ITERATOR] = "iterator",
};

const char *attach_mode_name(enum attach_mode mode)
{
	static const char *const names[] = {
		[ATTACH_AUTO] = "auto", [ATTACH_FENTRY] = "fentry",
		[ATTACH_KPROBE] = "kprobe", [ATTACH_TRACEPOINT] = "tracepoint",
	};

	return mode <= ATTACH_TRACEPOINT ? names[mode] : "?";
}

const char *tier_name(enum tier t)
{
	return t < TIER__COUNT ? tier_names[t] : "?";
}

static const struct hook_variant *variant(enum hook_id id, int i)
{
	if (i < 0 || i >= HOOK_MAX_VARIANTS || !defs[id].v[i].target)
		return NULL;
	return &defs[id].v[i];
}

static bool mode_forces(enum attach_mode mode, enum tier *t)
{
	switch (mode) {
	case ATTACH_FENTRY: *t = TIER_FENTRY; return true;
	case ATTACH_KPROBE: *t = TIER_KPROBE; return true;
	case ATTACH_TRACEPOINT: *t = TIER_TRACEPOINT; return true;
	default: return false;
	}
}

/*
 * The variants of a hook in the order they are tried. Automatic: fentry,
 * then the tracepoint, then kprobes (the tracepoint tier is complete and
 * cheaper than a kprobe pair with probe reads). Forced: that tier only, for
 * the hooks that have it; the others have a single variant.
 */
static int try_order(enum hook_id id, enum attach_mode mode, int order[HOOK_MAX_VARIANTS])
{
	static const enum tier pref[] = { TIER_FENTRY, TIER_TRACEPOINT, TIER_KPROBE,
					  TIER_ITERATOR };
	bool has_forced = false;
	enum tier forced;
	int n = 0;

	if (mode_forces(mode, &forced))
		for (int i = 0; variant(id, i); i++)
			has_forced |= variant(id, i)->tier == forced;
	for (size_t p = 0; p < sizeof(pref) / sizeof(pref[0]); p++) {
		if (has_forced && pref[p] != forced)
			continue;
		for (int i = 0; variant(id, i); i++)
			if (variant(id, i)->tier == pref[p] && n < HOOK_MAX_VARIANTS)
				order[n++] = i;
	}
	return n;
}

/* The BTF type the variant needs, or a negative errno with *why filled. */
static int btf_target(const struct btf *btf, const struct hook_variant *v,
		      char *why, size_t len)
{
	int kind = v->tier == TIER_TRACEPOINT ? BTF_KIND_TYPEDEF : BTF_KIND_FUNC;
	int id = btf__find_by_name_kind(btf, v->btf_name, kind);
	const struct btf_type *t;
	int nargs;

	if (id < 0) {
		snprintf(why, len, "not in this kernel (%s)", v->missing);
		return -ENOENT;
	}
	if (!v->nargs)
		return id;
	t = btf__type_by_id(btf, id);
	while (t && (btf_is_typedef(t) || btf_is_ptr(t) || btf_is_func(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t)) {
		snprintf(why, len, "unexpected BTF type for %s", v->btf_name);
		return -EINVAL;
	}
	/* a tracepoint's prototype starts with the context */
	nargs = btf_vlen(t) - (v->tier == TIER_TRACEPOINT);
	if (nargs < v->nargs || (v->max_args && nargs > v->max_args)) {
		snprintf(why, len, "%s has %d arguments here (%s)", v->btf_name,
			 nargs, v->missing);
		return -EINVAL;
	}
	return id;
}

/* r0 = 0; exit */
static const struct bpf_insn noop_prog[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int trial_tracing(int btf_id, enum bpf_attach_type type, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type,
		    .attach_btf_id = btf_id);
	int prog, link, err;

	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "bufscope_trial", "GPL",
			     noop_prog, 2, &opts);
	if (prog < 0) {
		err = -errno;
		snprintf(why, len, "the kernel refused the program: %s", strerror(-err));
		return err;
	}
	link = bpf_raw_tracepoint_open(NULL, prog);
	err = link < 0 ? -errno : 0;
	if (err)
		snprintf(why, len, "attaching failed: %s", strerror(-err));
	else
		close(link);
	close(prog);
	return err;
}

static int trial_iter(int btf_id, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_ITER,
		    .attach_btf_id = btf_id);
	int prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "bufscope_trial", "GPL",
				 noop_prog, 2, &opts);

	if (prog < 0) {
		int err = -errno;

		snprintf(why, len, "the kernel refused the program: %s", strerror(-err));
		return err;
	}
	close(prog);
	return 0;
}

static int kprobe_pmu_type(void)
{
	FILE *f = fopen(KPROBE_PMU_TYPE, "r");
	int type = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	return type;
}

static int trial_kprobe(const char *func, char *why, size_t len)
{
	struct perf_event_attr attr;
	int type = kprobe_pmu_type(), prog, pfd, err = 0;

	if (type < 0) {
		snprintf(why, len, "this kernel has no kprobes (no %s)", KPROBE_PMU_TYPE);
		return -ENOENT;
	}
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "bufscope_trial", "GPL",
			     noop_prog, 2, NULL);
	if (prog < 0) {
		err = -errno;
		snprintf(why, len, "the kernel refused the program: %s", strerror(-err));
		return err;
	}
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config1 = (uint64_t)(uintptr_t)func;	/* kprobe_func */
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0 || ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) < 0) {
		err = -errno;
		snprintf(why, len, "attaching a kprobe to %s failed: %s", func,
			 strerror(-err));
	}
	if (pfd >= 0)
		close(pfd);
	close(prog);
	return err;
}

/* Is variant i of hook id usable? 0, or a negative errno with h->why[i]. */
static int check_variant(const struct btf *btf, enum hook_id id, int i, bool trial,
			 struct hook_status *h)
{
	const struct hook_variant *v = variant(id, i);
	char *why = h->why[i];
	int btf_id = btf_target(btf, v, why, HOOK_WHY_LEN);

	if (btf_id < 0 || !trial)
		return btf_id < 0 ? btf_id : 0;
	switch (v->tier) {
	case TIER_FENTRY:
		return trial_tracing(btf_id, strncmp(v->target, "fexit/", 6) ?
					     BPF_TRACE_FENTRY : BPF_TRACE_FEXIT,
				     why, HOOK_WHY_LEN);
	case TIER_TRACEPOINT:
		return trial_tracing(btf_id, BPF_TRACE_RAW_TP, why, HOOK_WHY_LEN);
	case TIER_KPROBE:
		return trial_kprobe(v->btf_name, why, HOOK_WHY_LEN);
	default:
		/* iterators: loaded only (attaching one needs bufscope's map);
		 * some kernels refuse one kind but not another */
		return trial_iter(btf_id, why, HOOK_WHY_LEN);
	}
}

static void choose(struct hook_status *h, enum hook_id id, int i)
{
	const struct hook_variant *v = variant(id, i);

	h->variant = v ? i : -1;
	h->available = v != NULL;
	h->tier = v ? tier_name(v->tier) : "none";
	h->target = v ? v->target : defs[id].v[0].target;
}

/* From position `from` of the hook's order on, the first usable variant. */
static void choose_from(const struct btf *btf, enum attach_mode mode, bool trial,
			struct hook_status *h, enum hook_id id, int from)
{
	int order[HOOK_MAX_VARIANTS], n = try_order(id, mode, order);

	for (int k = from; k < n; k++) {
		if (!check_variant(btf, id, order[k], trial, h)) {
			choose(h, id, order[k]);
			return;
		}
	}
	choose(h, id, -1);
}

void hooks_probe(const struct btf *btf, enum attach_mode mode, bool trial,
		 struct hook_status hooks[HOOK__COUNT])
{
	for (int i = 0; i < HOOK__COUNT; i++) {
		memset(&hooks[i], 0, sizeof(hooks[i]));
		hooks[i].name = defs[i].name;
		hooks[i].required = defs[i].required;
		choose_from(btf, mode, trial, &hooks[i], (enum hook_id)i, 0);
	}
}

bool hooks_demote(const struct btf *btf, enum attach_mode mode, bool trial,
		  struct hook_status hooks[HOOK__COUNT], enum hook_id id,
		  const char *why)
{
	struct hook_status *h = &hooks[id];
	int order[HOOK_MAX_VARIANTS], n = try_order(id, mode, order), k = 0;

	if (h->variant < 0)
		return false;
	snprintf(h->why[h->variant], HOOK_WHY_LEN, "%s", why);
	while (k < n && order[k] != h->variant)
		k++;
	choose_from(btf, mode, trial, h, id, k + 1);
	return h->available;
}

enum tier hooks_tier(const struct hook_status *h, enum hook_id id)
{
	const struct hook_variant *v = variant(id, h->variant);

	return v ? v->tier : TIER__COUNT;
}

bool hooks_use_tier(const struct hook_status hooks[HOOK__COUNT], enum tier t)
{
	for (int i = 0; i < HOOK__COUNT; i++)
		if (hooks[i].available && hooks_tier(&hooks[i], (enum hook_id)i) == t)
			return true;
	return false;
}

void hooks_explain(const struct hook_status *h, enum hook_id id, char *buf,
		   size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; variant(id, i) && off < len; i++) {
		const struct hook_variant *v = variant(id, i);

		if (!h->why[i][0])
			continue;
		off += snprintf(buf + off, len - off, "%s%s (%s): %s", off ? "; " : "",
				tier_name(v->tier), v->target, h->why[i]);
	}
}

const char *hooks_hint(enum hook_id id, enum attach_mode mode)
{
	if (mode != ATTACH_AUTO && variant(id, 1))
		return "try --attach auto, which falls back to the other tiers";
	if (id == HOOK_READ)
		return "bufscope needs BPF trampolines (fentry), kprobes, or the "
		       "sock:sock_recv_length tracepoint (Linux 6.3+); -v shows libbpf's log";
	return defs[id].v[0].missing;
}

void hooks_describe(const struct hook_status *hooks, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < HOOK__COUNT && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s=%s", i ? " " : "",
				hooks[i].name, hooks[i].tier);
}
