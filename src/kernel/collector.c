// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bufscope/sock.h"
#include "bufscope.skel.h"
#include "util/array.h"
#include "util/caps.h"
#include "kernel/collector.h"
#include "kernel/drop_reasons.h"
#include "kernel/netns.h"
#include "util/log.h"
#include "util/sanitize.h"

#define DEFAULT_BTF "/sys/kernel/btf/vmlinux"
#define DEFAULT_RINGBUF (256 * 1024)
#define HOOK_MAX_PROGS 4	/* programs one hook's tier may need */
#define SCAN_CHUNK 64
/* Sample slots: room for the TCP sockets there are now, and a quarter more.
 * A walk that finds more sends the rest through the iterator's read(). */
#define SAMPLES_MIN 1024
#define SAMPLES_MAX 65536
/* With hist_every_pass a slot holds a whole record (2 KB, five times a
 * sample): fewer at most, 32 MiB of them. */
#define WHOLE_SLOTS_MAX 16384

struct collector {
	struct bufscope_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[HOOK__COUNT][HOOK_MAX_PROGS];
	struct hook_status hooks[HOOK__COUNT];
	struct drop_reasons reasons;
	int own_netns;		/* to come back after creating an iterator */
	bool warned_netns;
	bool force_hash;	/* BUFSCOPE_STATE_HASH=1: as if a kprobe hook were used */
	record_fn cur_fn;
	void *cur_ctx;
	int cb_err;
	const char *samples;	/* the `samples` map, mapped read-only */
	size_t samples_len;
	uint32_t nsamples;	/* its slots */
	size_t slot_size;	/* bytes a slot takes in the mapping */
	uint64_t missed_swept;	/* kprobe tier: stashed reads found stale here */
	/* entries the last scans found: close_folds, drop_counts */
	uint64_t folds_seen, drops_seen;
};

int collector_check_privileges(void)
{
	uint64_t eff, perm;

	/* the capabilities, not the uid: root in a container, or with its
	 * capabilities dropped, has none of them */
	if (!caps_get(&eff, &perm)) {
		if ((eff & CAP_MASK(CAP_SYS_ADMIN)) ||
		    ((eff & CAP_MASK(CAP_BPF)) && (eff & CAP_MASK(CAP_PERFMON))))
			return 0;
	} else if (geteuid() == 0) {
		return 0;	/* cannot tell: loading will say */
	}
	log_error("run it with sudo, or grant CAP_BPF and CAP_PERFMON",
		  geteuid() == 0 ? "loading BPF programs needs CAP_BPF and CAP_PERFMON (or "
				   "CAP_SYS_ADMIN): this root process does not have them"
				 : "loading BPF programs needs root (or CAP_BPF and CAP_PERFMON)");
	return -EPERM;
}

uint64_t collector_caps_after_attach(void)
{
	/* CAP_BPF: before Linux 6.5 every bpf() command (a map read, an
	 * iterator) needs it while unprivileged BPF is disabled.
	 * CAP_SYS_ADMIN: setns() into another network namespace, to walk its
	 * sockets (CAP_NET_ADMIN does not let a process enter one).
	 * CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH: /proc/PID/ns/net and
	 * /proc/PID/fd of other users' processes (the namespaces, the holders). */
	return CAP_MASK(CAP_BPF) | CAP_MASK(CAP_SYS_ADMIN) | CAP_MASK(CAP_SYS_PTRACE) |
	       CAP_MASK(CAP_DAC_READ_SEARCH);
}

static const char *btf_path(void)
{
	const char *p = getenv("BUFSCOPE_BTF");

	return p && *p ? p : DEFAULT_BTF;
}

/* libbpf's own errors (4000 and up) by their text too. */
static const char *bpf_strerror(int err, char *buf, size_t len)
{
	if (libbpf_strerror(err, buf, len))
		snprintf(buf, len, "%s", strerror(err));
	return buf;
}

static struct btf *load_kernel_btf(void)
{
	const char *path = btf_path();
	const char *hint = getenv("BUFSCOPE_BTF") ?
		"BUFSCOPE_BTF names the kernel's BTF file (unset: /sys/kernel/btf/vmlinux)" :
		"bufscope needs a kernel built with CONFIG_DEBUG_INFO_BTF=y";
	char shown[256], why[128];
	struct stat st;
	struct btf *btf;
	int err;

	sanitize_text(shown, sizeof(shown), path, strlen(path));
	/* a regular file only: a FIFO or a device would block or never end */
	if (stat(path, &st) || access(path, R_OK)) {
		err = errno;
		log_error(hint, "kernel BTF not readable at %s: %s", shown, strerror(err));
		errno = err;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error(hint, "kernel BTF at %s is not a regular file", shown);
		errno = EINVAL;
		return NULL;
	}
	btf = btf__parse(path, NULL);
	if (!btf) {
		err = errno;
		log_error(hint, "cannot parse kernel BTF at %s: %s", shown,
			  bpf_strerror(err, why, sizeof(why)));
		errno = err;
	}
	return btf;
}

/* Fills hooks[] with the tiers this kernel offers, without loading bufscope. */
int collector_probe(enum attach_mode mode, struct hook_status hooks[HOOK__COUNT])
{
	struct btf *btf = load_kernel_btf();

	if (!btf)
		return -errno;
	/* the trials load programs: root only; otherwise the BTF alone */
	hooks_probe(btf, mode, geteuid() == 0, hooks);
	btf__free(btf);
	return 0;
}

/*
 * The programs of hook id in tier t: one; for the kprobe tier's read hook the
 * kprobe, its kretprobe and the two programs that make sockets' cookies (see
 * read.bpf.c), at connection and, for existing sockets, once at start.
 */
static int hook_programs(struct bufscope_bpf *skel, enum hook_id id, enum tier t,
			 struct bpf_program *p[HOOK_MAX_PROGS])
{
	p[1] = p[2] = p[3] = NULL;
	switch (id) {
	case HOOK_READ:
		if (t == TIER_FENTRY) {
			p[0] = skel->progs.fexit_tcp_recvmsg;
		} else if (t == TIER_KPROBE) {
			p[0] = skel->progs.kp_tcp_recvmsg;
			p[1] = skel->progs.krp_tcp_recvmsg;
			p[2] = skel->progs.tp_cookie_at_connect;
			p[3] = skel->progs.iter_make_cookies;
		} else {
			p[0] = skel->progs.tp_sock_recv_length;
		}
		break;
	case HOOK_ARRIVAL:
		p[0] = t == TIER_FENTRY ? skel->progs.fentry_sock_def_readable :
		       t == TIER_KPROBE ? skel->progs.kp_sock_def_readable :
					  skel->progs.tp_sk_data_ready;
		break;
	case HOOK_CLOSE: p[0] = skel->progs.tp_tcp_destroy_sock; break;
	case HOOK_SOCKETS:
		p[0] = skel->progs.iter_tcp;
		p[1] = skel->progs.iter_listeners;	/* once, at start */
		break;
	case HOOK_STATE: p[0] = skel->progs.iter_state; break;
	case HOOK_WINDOW_OUT: p[0] = skel->progs.tp_net_dev_queue; break;
	case HOOK_WINDOW_IN:
		/* tcp_probe fires for ESTABLISHED sockets only; closing.bpf.c
		 * covers those that left it with data still to send */
		p[0] = skel->progs.tp_tcp_probe;
		p[1] = skel->progs.tp_closing_state;
		p[2] = skel->progs.tp_netif_receive_skb;
		break;
	case HOOK_DROPS: p[0] = skel->progs.tp_kfree_skb; break;
	default: p[0] = NULL;
	}
	return p[3] ? 4 : p[2] ? 3 : p[1] ? 2 : 1;
}

/*
 * With a kprobe-tier hook, per-socket state lives in a hash map (kprobe
 * programs cannot use socket storage), which the socket-storage iterator
 * cannot walk: every interval then walks the whole socket table.
 */
static bool state_in_hash(const struct collector *c)
{
	return hooks_use_tier(c->hooks, TIER_KPROBE) || c->force_hash;
}

/* A required hook with no usable tier is an error; an optional one is off. */
static int check_hooks(struct collector *c, enum attach_mode mode, bool warn)
{
	char why[4 * HOOK_WHY_LEN];

	struct hook_status *state = &c->hooks[HOOK_STATE];

	/* chosen by the probe, off while state is hashed (tiers can change) */
	state->available = state->variant >= 0 && !state_in_hash(c);
	state->tier = state->available ? tier_name(TIER_ITERATOR) : "none";
	if (warn && state->variant >= 0 && !state->available)
		log_debug("state hook off: the kprobe tier keeps socket state in a hash "
			  "map; every interval walks the whole socket table");
	for (int i = 0; i < HOOK__COUNT; i++) {
		struct hook_status *h = &c->hooks[i];

		if (h->available || (i == HOOK_STATE && state->variant >= 0))
			continue;
		hooks_explain(h, (enum hook_id)i, why, sizeof(why));
		if (h->required) {
			log_error(hooks_hint((enum hook_id)i, mode),
				  "no way to attach the %s hook%s%s: %s", h->name,
				  mode == ATTACH_AUTO ? "" : " with --attach ",
				  mode == ATTACH_AUTO ? "" : attach_mode_name(mode), why);
			return -ENOENT;
		}
		if (warn)
			log_warn("%s hook off: %s", h->name, why);
	}
	return 0;
}

static void set_filters(struct bufscope_bpf *skel, const struct collector_config *cfg)
{
	for (unsigned i = 0; i < cfg->npids && i < BS_MAX_PIDS; i++)
		skel->rodata->cfg_pids[i] = cfg->pids[i];
	skel->rodata->cfg_npids = cfg->npids;
	if (cfg->comm) {
		strncpy((char *)skel->rodata->cfg_comm, cfg->comm, BS_COMM_LEN - 1);
		skel->rodata->cfg_has_comm = 1;
	}
	skel->rodata->cfg_port = cfg->port;
	for (unsigned i = 0; i < cfg->nnetns && i < BS_MAX_NETNS; i++)
		skel->rodata->cfg_netns[i] = cfg->netns[i];
	skel->rodata->cfg_nnetns = cfg->nnetns;
	skel->rodata->cfg_trace_reads = cfg->trace_reads;
	skel->rodata->cfg_flow_records = cfg->flow_records;
	skel->rodata->cfg_hist_every_pass = cfg->hist_every_pass;
	skel->rodata->cfg_has_cgroup = cfg->cgroup_dir != NULL;
	/* a quarter of the ring: early enough that it does not overflow */
	skel->rodata->cfg_wakeup_bytes = (cfg->ringbuf_bytes ? cfg->ringbuf_bytes
							     : DEFAULT_RINGBUF) / 4;
}

/*
 * The class of each drop reason, for the kernel to count expected discards
 * apart as they happen: a socket folded at its close keeps them apart too.
 * The same table as the model's per-reason split (drop_reason_class).
 */
static void set_drop_classes(struct bufscope_bpf *skel, const struct drop_reasons *dr)
{
	drop_reasons_expected_table(dr, (uint8_t *)skel->rodata->cfg_drop_expected,
				    BS_DROP_REASON_MAX);
}

/* TCP sockets in use now (all namespaces), from /proc/net/sockstat. */
static unsigned long tcp_sockets_now(void)
{
	unsigned long inuse = 0, tw = 0;
	char line[256];
	FILE *f = fopen("/proc/net/sockstat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TCP: inuse %lu orphan %*u tw %lu", &inuse, &tw) >= 1)
			break;
	fclose(f);
	return inuse;
}

static uint32_t samples_wanted(bool whole)
{
	unsigned long n = tcp_sockets_now(), max = whole ? WHOLE_SLOTS_MAX : SAMPLES_MAX;

	n += n / 4;
	if (n < SAMPLES_MIN)
		return SAMPLES_MIN;
	return n > max ? (uint32_t)max : (uint32_t)n;
}

/*
 * The sample slots: samples for `top`; whole records with hist_every_pass,
 * so that a walk still sends them without read() (a socket-storage walk
 * that read() interrupts starts its hash bucket again: quadratic).
 */
static int size_samples(struct bpf_map *m, const struct collector_config *cfg)
{
	int err = bpf_map__set_max_entries(m, samples_wanted(cfg->hist_every_pass));

	if (!err && cfg->hist_every_pass)
		err = bpf_map__set_value_size(m, sizeof(struct bs_sock_rec));
	return err;
}

static int map_samples(struct collector *c)
{
	struct bpf_map *m = c->skel->maps.samples;
	long page = sysconf(_SC_PAGESIZE);
	/* an array map's values are 8-byte aligned in its mapping */
	size_t slot = (bpf_map__value_size(m) + 7) & ~(size_t)7;
	size_t len = (size_t)bpf_map__max_entries(m) * slot;
	void *p;

	len = (len + page - 1) / page * page;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, bpf_map__fd(m), 0);
	if (p == MAP_FAILED) {
		log_error(NULL, "cannot map the sample slots: %s", strerror(errno));
		return -errno;
	}
	c->samples = p;
	c->samples_len = len;
	c->nsamples = bpf_map__max_entries(m);
	c->slot_size = slot;
	return 0;
}

static void log_load_error(int err)
{
	if (err == -EPERM)
		log_error("run as root; kernel lockdown or a BPF LSM policy may also forbid it (-v shows libbpf's log)",
			  "the kernel refused to load bufscope's BPF programs: %s",
			  strerror(-err));
	else if (err == -EACCES)
		log_error("this kernel may differ from what bufscope supports; -v shows the verifier's log",
			  "the BPF verifier rejected one of bufscope's programs");
	else
		log_error("-v shows libbpf's and the verifier's log",
			  "failed to load bufscope's BPF programs: %s", strerror(-err));
}

/*
 * Test knobs: a bounded table made smaller, so that a test with a few
 * sockets can fill it and see its fullness reported (docs/testing.md).
 * BUFSCOPE_STATE_HASH_SIZE: the kprobe tier's state map (untracked_sockets);
 * BUFSCOPE_DROP_MAP_SIZE: the per-socket, per-reason drop counts
 * (lost_events, the sockets' drops still whole); BUFSCOPE_FOLD_MAP_SIZE: the
 * readers with closes folded in the kernel (the spill slot,
 * close_fold_unowned); BUFSCOPE_CLOSING_MAP_SIZE: the closing sockets with
 * data to send (zero_window_recv_incomplete). Never larger than built.
 */
static const struct {
	const char *env;
	const char *map;
} map_knobs[] = {
	{ "BUFSCOPE_STATE_HASH_SIZE", "sock_state_hash" },
	{ "BUFSCOPE_DROP_MAP_SIZE", "drop_counts" },
	{ "BUFSCOPE_FOLD_MAP_SIZE", "close_folds" },
	{ "BUFSCOPE_CLOSING_MAP_SIZE", "closing_socks" },
};

static int set_map_sizes(struct bufscope_bpf *skel)
{
	for (size_t i = 0; i < sizeof(map_knobs) / sizeof(map_knobs[0]); i++) {
		const char *v = getenv(map_knobs[i].env);
		struct bpf_map *m;
		unsigned long n;
		uint32_t max;
		char *end;
		int err;

		if (!v || !*v)
			continue;
		m = bpf_object__find_map_by_name(skel->obj, map_knobs[i].map);
		if (!m)
			return -ENOENT;
		max = bpf_map__max_entries(m);
		errno = 0;
		n = strtoul(v, &end, 10);
		if (errno || *end || !n || n > max) {
			char hint[64], shown[64];

			snprintf(hint, sizeof(hint), "give a number from 1 to %u", max);
			sanitize_text(shown, sizeof(shown), v, strlen(v));
			log_error(hint, "%s=%s is not a valid size", map_knobs[i].env, shown);
			return -EINVAL;
		}
		err = bpf_map__set_max_entries(m, (uint32_t)n);
		if (err)
			return err;
	}
	return 0;
}

/* Opens the object with the chosen hooks' programs, and only them, to load. */
static int open_object(struct collector *c, const struct collector_config *cfg)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct bpf_program *prog, *p[HOOK_MAX_PROGS];
	int err;

	if (getenv("BUFSCOPE_BTF"))
		open_opts.btf_custom_path = btf_path();
	c->skel = bufscope_bpf__open_opts(&open_opts);
	if (!c->skel) {
		err = -errno;
		log_error("-v shows libbpf's log", "cannot open bufscope's BPF object: %s",
			  strerror(-err));
		return err;
	}
	bpf_object__for_each_program(prog, c->skel->obj)
		bpf_program__set_autoload(prog, false);
	for (int i = 0; i < HOOK__COUNT; i++) {
		if (!c->hooks[i].available)
			continue;
		for (int n = hook_programs(c->skel, (enum hook_id)i,
					   hooks_tier(&c->hooks[i], (enum hook_id)i), p); n--; )
			bpf_program__set_autoload(p[n], true);
	}
	set_filters(c->skel, cfg);
	set_drop_classes(c->skel, &c->reasons);
	c->skel->rodata->cfg_state_hash = state_in_hash(c);
	err = set_map_sizes(c->skel);
	if (err)
		return err;
	err = bpf_map__set_max_entries(c->skel->maps.events,
				       cfg->ringbuf_bytes ? cfg->ringbuf_bytes
							  : DEFAULT_RINGBUF);
	return err ? err : size_samples(c->skel->maps.samples, cfg);
}

/*
 * --cgroup: the cgroup's directory into cgroup_filter[0], after load and
 * before attach. The map holds its own reference: the descriptor goes.
 */
static int set_cgroup(struct collector *c, const struct collector_config *cfg)
{
	uint32_t key = 0;
	int fd, err = 0;

	if (!cfg->cgroup_dir)
		return 0;
	fd = open(cfg->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || bpf_map__update_elem(c->skel->maps.cgroup_filter, &key,
					   sizeof(key), &fd, sizeof(fd), BPF_ANY))
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err)
		log_error("is it a cgroup v2 directory?", "cannot filter by cgroup %s: %s",
			  cfg->cgroup_dir, strerror(-err));
	return err;
}

static void close_object(struct collector *c)
{
	for (int i = 0; i < HOOK__COUNT; i++) {
		for (int j = 0; j < HOOK_MAX_PROGS; j++) {
			bpf_link__destroy(c->links[i][j]);
			c->links[i][j] = NULL;
		}
		c->hooks[i].attached = false;
	}
	bufscope_bpf__destroy(c->skel);
	c->skel = NULL;
}

static struct bpf_link *attach_program(struct collector *c, enum hook_id id,
				       struct bpf_program *prog)
{
	union bpf_iter_link_info info = {
		.map.map_fd = bpf_map__fd(c->skel->maps.sock_state),
	};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info,
		    .link_info_len = sizeof(info));

	if (id == HOOK_STATE)
		return bpf_program__attach_iter(prog, &opts);
	if (bpf_program__expected_attach_type(prog) == BPF_TRACE_ITER)
		return bpf_program__attach_iter(prog, NULL);
	return bpf_program__attach(prog);
}

/* Attaches every chosen hook; on failure, *failed is the hook that failed. */
static int attach(struct collector *c, int *failed)
{
	struct bpf_program *p[HOOK_MAX_PROGS];

	for (int i = 0; i < HOOK__COUNT; i++) {
		struct hook_status *h = &c->hooks[i];
		int n;

		if (!h->available)
			continue;
		n = hook_programs(c->skel, (enum hook_id)i,
				  hooks_tier(h, (enum hook_id)i), p);
		for (int j = 0; j < n; j++) {
			c->links[i][j] = attach_program(c, (enum hook_id)i, p[j]);
			if (!c->links[i][j]) {
				*failed = i;
				return -errno;
			}
		}
		h->attached = true;
		log_debug("attached %s hook: %s (%s tier)", h->name, h->target, h->tier);
	}
	return 0;
}

/*
 * The first hook on a tier whose trial can pass while bufscope's own program
 * still fails to load (a verifier or helper difference): the one to move to
 * its next tier when loading fails.
 */
static int first_fallible_hook(const struct collector *c)
{
	for (int i = 0; i < HOOK__COUNT; i++) {
		enum tier t = hooks_tier(&c->hooks[i], (enum hook_id)i);

		if (c->hooks[i].available && (t == TIER_FENTRY || t == TIER_KPROBE))
			return i;
	}
	return -1;
}

/*
 * Open, load and attach with the tiers the probe chose; a hook whose program
 * then fails to load or attach moves to its next tier and everything is
 * tried again (each round removes one choice, so this ends).
 */
static int load_and_attach(struct collector *c, const struct btf *btf,
			   const struct collector_config *cfg)
{
	char why[HOOK_WHY_LEN];
	int err, failed;

	for (;;) {
		err = check_hooks(c, cfg->attach, false);
		if (err)
			return err;
		err = open_object(c, cfg);
		if (err)
			return err;
		err = bufscope_bpf__load(c->skel);
		if (err) {
			failed = first_fallible_hook(c);
			if (failed < 0) {
				log_load_error(err);
				return err;
			}
			snprintf(why, sizeof(why), "bufscope's program failed to load: %s",
				 strerror(-err));
		} else if ((err = set_cgroup(c, cfg))) {
			return err;
		} else {
			err = attach(c, &failed);
			if (!err)
				return check_hooks(c, cfg->attach, true);
			snprintf(why, sizeof(why), "attaching bufscope's program failed: %s",
				 strerror(-err));
		}
		log_debug("%s hook, %s tier: %s", c->hooks[failed].name,
			  c->hooks[failed].tier, why);
		close_object(c);
		hooks_demote(btf, cfg->attach, true, c->hooks, (enum hook_id)failed, why);
	}
}

static int on_ring_record(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	int err;

	if (!c->cur_fn)
		return 0;
	err = c->cur_fn(c->cur_ctx, data, size);
	if (err)
		c->cb_err = err;
	return err;
}

int collector_open(struct collector **out, const struct collector_config *cfg)
{
	struct collector *c;
	struct btf *btf;
	int err;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->own_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (c->own_netns < 0) {
		err = -errno;
		log_error(NULL, "cannot open /proc/self/ns/net: %s", strerror(-err));
		free(c);
		return err;
	}
	btf = load_kernel_btf();
	if (!btf) {
		err = -errno;
		goto fail;
	}
	hooks_probe(btf, cfg->attach, true, c->hooks);
	/* a test seam: the kprobe tier's state path on kernels without kprobes */
	c->force_hash = getenv("BUFSCOPE_STATE_HASH") &&
			!strcmp(getenv("BUFSCOPE_STATE_HASH"), "1");
	if (drop_reasons_load(&c->reasons, btf))
		log_debug("no enum skb_drop_reason in the kernel's BTF: drops shown by number");
	err = load_and_attach(c, btf, cfg);
	btf__free(btf);
	if (err)
		goto fail;
	err = map_samples(c);
	if (err)
		goto fail;
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_ring_record,
				 c, NULL);
	if (!c->rb) {
		err = -errno;
		log_error(NULL, "cannot open the ring buffer: %s", strerror(-err));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	collector_close(c);
	return err;
}

void collector_close(struct collector *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	if (c->samples)
		munmap((void *)c->samples, c->samples_len);
	close_object(c);
	drop_reasons_free(&c->reasons);
	if (c->own_netns >= 0)
		close(c->own_netns);
	free(c);
}

int collector_poll(struct collector *c, int timeout_ms, record_fn fn, void *ctx)
{
	int n;

	c->cur_fn = fn;
	c->cur_ctx = ctx;
	c->cb_err = 0;
	n = ring_buffer__poll(c->rb, timeout_ms);
	/* Records are mostly submitted without a wakeup: take what is there. */
	if (n >= 0 && !c->cb_err)
		n = ring_buffer__consume(c->rb);
	c->cur_fn = NULL;
	if (c->cb_err)
		return c->cb_err;
	return n < 0 ? n : 0;
}

/* The size of an iterator record of this kind, 0 if none is. */
static size_t iter_rec_size(uint32_t kind)
{
	switch (kind) {
	case BS_REC_SOCK: return sizeof(struct bs_sock_rec);
	case BS_REC_SAMPLE: return BS_SAMPLE_SIZE;
	case BS_REC_ALIVE: return sizeof(struct bs_alive_rec);
	default: return 0;
	}
}

/* What the iterator put in the sample slots during the walk. */
static int take_samples(struct collector *c, record_fn fn, void *ctx)
{
	uint32_t n = __atomic_load_n(&c->skel->bss->sample_count, __ATOMIC_ACQUIRE);
	int err = 0;

	if (n > c->nsamples)
		n = c->nsamples;
	for (uint32_t i = 0; i < n && !err; i++) {
		const char *rec = c->samples + (size_t)i * c->slot_size;
		size_t size = iter_rec_size(*(const uint32_t *)rec);

		if (size && size <= c->slot_size)
			err = fn(ctx, rec, size);
	}
	return err;
}

/*
 * One walk: records in the sample slots, and what did not fit them through
 * read(). Every read() that stops inside the walk makes the kernel find its
 * place again from the start of a hash bucket (the socket-storage map has as
 * many buckets as CPUs): the slots keep the walk to one read() in the
 * common case.
 */
static int read_iter(struct collector *c, int fd, record_fn fn, void *ctx)
{
	char buf[SCAN_CHUNK * sizeof(struct bs_sock_rec)];
	size_t have = 0;
	int err = 0;

	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		size_t off = 0, size;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		while (!err && have - off >= sizeof(uint32_t)) {
			size = iter_rec_size(*(const uint32_t *)(buf + off));
			if (!size) {
				err = -EPROTO;
				break;
			}
			if (have - off < size)
				break;
			err = fn(ctx, buf + off, size);
			off += size;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
		if (err)
			break;
	}
	if (!err)
		err = take_samples(c, fn, ctx);
	return err;
}

/* A walk's iterator, the sample slots emptied first. */
static int iter_start(struct collector *c, int link_fd)
{
	__atomic_store_n(&c->skel->bss->sample_count, 0, __ATOMIC_RELEASE);
	return bpf_iter_create(link_fd);
}

/* An iterator over the sockets of the namespace behind ns_fd (-1: ours). */
static int iter_in(struct collector *c, int ns_fd, struct bpf_link *link)
{
	int fd, err = 0;

	if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET))
		return -errno;
	fd = iter_start(c, bpf_link__fd(link));
	if (fd < 0)
		err = -errno;
	if (ns_fd >= 0 && setns(c->own_netns, CLONE_NEWNET)) {
		/* stranded in another namespace: nothing after this is right */
		log_error(NULL, "cannot return to bufscope's own network namespace: %s",
			  strerror(errno));
		exit(1);
	}
	return fd < 0 ? err : fd;
}

/* The first port of the host's ephemeral range (ip_local_port_range). */
static unsigned ephemeral_low(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned low = 32768;

	if (f) {
		if (fscanf(f, "%u", &low) != 1 || low > 65535)
			low = 32768;
		fclose(f);
	}
	return low;
}

/*
 * After a full walk: ports below the ephemeral range stay served once a
 * listener had them (a service's socket accepted before its listener
 * closed still serves it); in the range, where a program's listener on a
 * port the kernel chose is short-lived, only the listeners the walk found
 * serve now, unless a namespace could not be entered (its listeners were
 * not seen: the ports known before stay).
 */
static void update_listen_ports(struct collector *c, bool every_namespace)
{
	__u64 *ports = c->skel->bss->listen_ports;
	const __u64 *seen = c->skel->bss->listen_seen;
	unsigned low = ephemeral_low();

	for (unsigned i = 0; i < sizeof(c->skel->bss->listen_ports) / sizeof(*ports); i++) {
		/* the bits of this word's ports below the range */
		__u64 sticky = (i + 1) * 64 <= low ? ~0ULL
			       : i * 64 >= low ? 0 : (1ULL << (low - i * 64)) - 1;

		ports[i] = every_namespace ? seen[i] | (ports[i] & sticky) : ports[i] | seen[i];
	}
}

int collector_scan(struct collector *c, const struct netns_set *ns, bool full,
		   bool records, record_fn fn, void *ctx)
{
	int err = 0;
	bool any = ns && ns->n;	/* none known: our own namespace at least */
	bool every = true;	/* namespace was walked */

	c->skel->bss->iter_full = records;
	if (!full && c->links[HOOK_STATE][0]) {
		int fd = iter_start(c, bpf_link__fd(c->links[HOOK_STATE][0]));

		if (fd < 0)
			return -errno;
		err = read_iter(c, fd, fn, ctx);
		close(fd);
		return err;
	}

	/* the walk finds the listeners there are now (listen_ports) */
	memset(c->skel->bss->listen_seen, 0, sizeof(c->skel->bss->listen_seen));
	for (size_t i = 0; i < (any ? ns->n : 1) && !err; i++) {
		int ns_fd = any ? ns->ents[i].fd : -1;
		int fd = iter_in(c, ns_fd, c->links[HOOK_SOCKETS][0]);

		if (fd == -EPERM && !c->warned_netns) {
			log_warn("cannot enter other network namespaces (%s): their "
				 "sockets are seen only through their events",
				 strerror(EPERM));
			c->warned_netns = true;
		}
		every &= fd != -EPERM;
		if (fd < 0)
			continue;	/* a namespace that just ended */
		err = read_iter(c, fd, fn, ctx);
		close(fd);
	}
	if (!err)
		update_listen_ports(c, every);
	return err;
}

/* One walk of an iterator that writes nothing, in every namespace. */
static void run_iterator(struct collector *c, struct bpf_link *link,
			 const struct netns_set *ns)
{
	bool any = ns && ns->n;
	char buf[64];

	if (!link)
		return;
	for (size_t i = 0; i < (any ? ns->n : 1); i++) {
		int fd = iter_in(c, any ? ns->ents[i].fd : -1, link);

		if (fd < 0)
			continue;
		for (;;) {	/* the program writes nothing: it runs to the end */
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n <= 0 && !(n < 0 && errno == EINTR))
				break;
		}
		close(fd);
	}
}

void collector_prime(struct collector *c, const struct netns_set *ns)
{
	/* the kprobe tier's read hook: the cookies of the sockets there are */
	run_iterator(c, c->links[HOOK_READ][3], ns);
	/* the ports that serve (listen_ports) */
	run_iterator(c, c->links[HOOK_SOCKETS][1], ns);
}

int collector_scan_drops(struct collector *c, drop_fn fn, void *ctx)
{
	int fd = bpf_map__fd(c->skel->maps.drop_counts);
	struct bs_drop_key key, next, *gone = NULL;
	size_t ngone = 0, cap = 0;
	bool first = true;
	int err = 0;
	__u64 total;

	c->drops_seen = 0;
	/* A walk restarts if its current key is deleted: delete afterwards. */
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		c->drops_seen++;
		if (bpf_map_lookup_elem(fd, &key, &total) ||
		    !fn(ctx, key.cookie, key.reason, total))
			continue;
		err = array_reserve(&gone, &cap, ngone, sizeof(*gone), 16);
		if (err)
			break;
		gone[ngone++] = key;
	}
	for (size_t i = 0; i < ngone; i++)
		bpf_map_delete_elem(fd, &gone[i]);
	free(gone);
	return err;
}

/* System calls that can be inside tcp_recvmsg() (x86-64): read, pread64,
 * readv, recvfrom, recvmsg, preadv, recvmmsg, preadv2, io_uring_enter. */
static bool may_be_reading(long nr)
{
	static const long nrs[] = { 0, 17, 19, 45, 47, 295, 299, 327, 426 };

	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (nr == nrs[i])
			return true;
	return false;
}

/*
 * A stashed call (kprobe tier) whose thread cannot be inside it any more: the
 * thread is gone, or (unless `gone_only`) it is in a system call that cannot
 * be a read. "running" or no system call (a kernel thread, an io_uring
 * worker) may still be reading: not stale.
 */
static bool stale_call(uint64_t pid_tgid, bool gone_only)
{
	char path[64], buf[64];
	uint32_t tgid = pid_tgid >> 32, tid = (uint32_t)pid_tgid;
	long nr;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/syscall", tgid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	n = gone_only ? 0 : read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (sscanf(buf, "%ld", &nr) != 1 || nr < 0)
		return false;
	return !may_be_reading(nr);
}

void collector_sweep_calls(struct collector *c, bool final)
{
	int fd = bpf_map__fd(c->skel->maps.recv_calls);
	uint64_t key, next, *gone = NULL;
	size_t ngone = 0, cap = 0;
	bool first = true;

	if (fd < 0)
		return;
	/* a walk restarts if its current key is deleted: delete afterwards */
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (!stale_call(key, !final))
			continue;
		c->missed_swept++;
		if (!final && !array_reserve(&gone, &cap, ngone, sizeof(*gone), 16))
			gone[ngone++] = key;
	}
	/* the thread is gone: nobody else touches its entry */
	for (size_t i = 0; i < ngone; i++)
		bpf_map_delete_elem(fd, &gone[i]);
	free(gone);
}

const struct drop_reasons *collector_drop_reasons(const struct collector *c)
{
	return &c->reasons;
}

static bool fold_any(const struct bs_fold *f)
{
	const uint64_t *t = (const uint64_t *)&f->t;

	for (size_t i = 0; i < BS_TOTALS_N; i++)
		if (t[i])
			return true;
	return f->sockets != 0;
}

int collector_scan_folds(struct collector *c, fold_fn fn, void *ctx)
{
	int fd = bpf_map__fd(c->skel->maps.close_folds);
	struct bs_fold_key key, next, none = { 0 };
	struct bs_fold f;
	bool first = true;
	__u32 zero = 0;
	int err = 0;

	c->folds_seen = 0;
	/* never deleted while walked: the walk cannot restart */
	while (!err && !bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		c->folds_seen++;
		if (!bpf_map_lookup_elem(fd, &key, &f))
			err = fn(ctx, &key, false, &f);
	}
	if (err)
		return err;
	fd = bpf_map__fd(c->skel->maps.close_fold_spill);
	/* a close of a socket that had a row adds totals but no socket */
	if (!bpf_map_lookup_elem(fd, &zero, &f) && fold_any(&f))
		err = fn(ctx, &none, true, &f);
	return err;
}

void collector_scan_close_owners(struct collector *c, owner_fn fn, void *ctx)
{
	int fd = bpf_map__fd(c->skel->maps.close_owners);
	uint64_t key, next, *gone = NULL;
	size_t ngone = 0, cap = 0;
	struct bs_close_owner o;
	bool first = true;

	/* a walk restarts if its current key is deleted: delete afterwards;
	 * an entry that cannot be deleted now is given again, harmlessly */
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &o))
			continue;
		fn(ctx, key, &o);
		if (!array_reserve(&gone, &cap, ngone, sizeof(*gone), 16))
			gone[ngone++] = key;
	}
	for (size_t i = 0; i < ngone; i++)
		bpf_map_delete_elem(fd, &gone[i]);
	free(gone);
}

struct bs_kstats collector_kstats(const struct collector *c)
{
	struct bs_kstats k;

	/* each counter is one aligned word: read whole, if not all at once */
	k.lost_events = __atomic_load_n(&c->skel->bss->kstats.lost_events, __ATOMIC_RELAXED);
	k.storage_failures = __atomic_load_n(&c->skel->bss->kstats.storage_failures,
					     __ATOMIC_RELAXED);
	k.untracked_sockets = __atomic_load_n(&c->skel->bss->kstats.untracked_sockets,
					      __ATOMIC_RELAXED);
	k.missed_reads = __atomic_load_n(&c->skel->bss->kstats.missed_reads, __ATOMIC_RELAXED);
	k.close_folded = __atomic_load_n(&c->skel->bss->kstats.close_folded, __ATOMIC_RELAXED);
	k.close_fold_unowned = __atomic_load_n(&c->skel->bss->kstats.close_fold_unowned,
					       __ATOMIC_RELAXED);
	k.drops_after_close = __atomic_load_n(&c->skel->bss->kstats.drops_after_close,
					      __ATOMIC_RELAXED);
	k.hist_reads_unfolded = __atomic_load_n(&c->skel->bss->kstats.hist_reads_unfolded,
						__ATOMIC_RELAXED);
	return k;
}

/*
 * The runs of our programs the kernel skipped because the program was
 * already running on that CPU (a softirq interrupting it, or a trampoline's
 * recursion guard): bpf_prog_info's recursion_misses (5.12+), per program
 * since its load, ours since we loaded it. Counted for the tp_btf, raw
 * tracepoint and fentry/fexit programs; kprobe programs' skips count there
 * only from 6.7 (trace_call_bpf), and a kprobe the kprobe layer itself did
 * not run (its own `missed`) is not counted: on 6.1 no bpf interface gives
 * it. A program not loaded (its hook off or on another tier) has no fd.
 */
static uint64_t hook_misses(const struct collector *c)
{
	struct bpf_program *prog;
	uint64_t n = 0;

	bpf_object__for_each_program(prog, c->skel->obj) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		int fd = bpf_program__fd(prog);

		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

void collector_losses(const struct collector *c, struct losses *l)
{
	struct bs_kstats k = collector_kstats(c);

	l->events = k.lost_events;
	l->missed_reads = k.missed_reads + c->missed_swept;
	l->untracked_sockets = k.untracked_sockets;
	l->close_folded = k.close_folded;
	l->close_fold_unowned = k.close_fold_unowned;
	l->drops_after_close = k.drops_after_close;
	l->hist_reads_unfolded = k.hist_reads_unfolded;
	l->hook_misses = hook_misses(c);
}

void losses_sub(struct losses *d, const struct losses *now,
		const struct losses *mark)
{
	const uint64_t *n = (const uint64_t *)now, *m = (const uint64_t *)mark;
	uint64_t *o = (uint64_t *)d;

	for (size_t i = 0; i < sizeof(*d) / sizeof(uint64_t); i++)
		o[i] = n[i] - m[i];
}

size_t collector_map_usage(const struct collector *c, struct map_usage *out,
			   size_t max)
{
	const struct bpf_map *maps[] = {
		c->skel->maps.close_folds, c->skel->maps.drop_counts,
		c->skel->maps.closing_socks,
	};
	uint64_t entries[] = {
		c->folds_seen, c->drops_seen,
		__atomic_load_n(&c->skel->bss->closing_count, __ATOMIC_RELAXED),
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]) && n < max; i++, n++) {
		out[n].name = bpf_map__name(maps[i]);
		out[n].entries = entries[i];
		out[n].capacity = bpf_map__max_entries(maps[i]);
	}
	return n;
}

int collector_fd(const struct collector *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

const struct hook_status *collector_hooks(const struct collector *c)
{
	return c->hooks;
}
