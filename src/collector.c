// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bufscope/sock.h"
#include "bufscope.skel.h"
#include "array.h"
#include "collector.h"
#include "drop_reasons.h"
#include "netns.h"
#include "log.h"

#define DEFAULT_BTF "/sys/kernel/btf/vmlinux"
#define DEFAULT_RINGBUF (256 * 1024)
#define SCAN_CHUNK 64
/* Sample slots: room for the TCP sockets there are now, and a quarter more.
 * A walk that finds more sends the rest through the iterator's read(). */
#define SAMPLES_MIN 1024
#define SAMPLES_MAX 65536

struct hook_def {
	const char *name;
	const char *tier;
	const char *target;
	const char *btf_name;	/* what the kernel's BTF must have */
	int btf_kind;
	bool required;
	const char *missing_hint;
	int min_args;		/* a tracepoint's arguments the program reads */
};

static const struct hook_def hook_defs[HOOK__COUNT] = {
	[HOOK_READ] = { "read", "tracepoint", "tp_btf/sock_recv_length",
			"btf_trace_sock_recv_length", BTF_KIND_TYPEDEF, true,
			"the sock:sock_recv_length tracepoint is in Linux 6.3 and later" },
	[HOOK_ARRIVAL] = { "arrival", "tracepoint", "tp_btf/sk_data_ready",
			   "btf_trace_sk_data_ready", BTF_KIND_TYPEDEF, false,
			   "the sock:sk_data_ready tracepoint is in Linux 6.6 and later" },
	[HOOK_CLOSE] = { "close", "tracepoint", "tp_btf/tcp_destroy_sock",
			 "btf_trace_tcp_destroy_sock", BTF_KIND_TYPEDEF, true,
			 "the tcp:tcp_destroy_sock tracepoint is in Linux 5.12 and later" },
	[HOOK_SOCKETS] = { "sockets", "iterator", "iter/tcp", "bpf_iter_tcp",
			   BTF_KIND_FUNC, true,
			   "TCP socket iterators are in Linux 5.9 and later" },
	[HOOK_STATE] = { "state", "iterator", "iter/bpf_sk_storage_map",
			 "bpf_iter_bpf_sk_storage_map", BTF_KIND_FUNC, false,
			 "socket-storage iterators are in Linux 5.9 and later; every "
			 "interval walks the whole socket table instead" },
	[HOOK_WINDOW_OUT] = { "window_out", "tracepoint", "tp_btf/net_dev_queue",
			      "btf_trace_net_dev_queue", BTF_KIND_TYPEDEF, true,
			      "the net:net_dev_queue tracepoint is in Linux 3.15 and later" },
	[HOOK_WINDOW_IN] = { "window_in", "tracepoint", "tp_btf/tcp_probe",
			     "btf_trace_tcp_probe", BTF_KIND_TYPEDEF, true,
			     "the tcp:tcp_probe tracepoint is in Linux 4.16 and later" },
	[HOOK_DROPS] = { "drops", "tracepoint", "tp_btf/kfree_skb",
			 "btf_trace_kfree_skb", BTF_KIND_TYPEDEF, false,
			 "skb:kfree_skb with the receiving socket is in Linux 6.11 and later",
			 4 /* skb, location, reason, rx_sk */ },
};

struct collector {
	struct bufscope_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[HOOK__COUNT];
	struct hook_status hooks[HOOK__COUNT];
	struct drop_reasons reasons;
	int own_netns;		/* to come back after creating an iterator */
	bool warned_netns;
	record_fn cur_fn;
	void *cur_ctx;
	int cb_err;
	const char *samples;	/* the `samples` map, mapped read-only */
	size_t samples_len;
	uint32_t nsamples;	/* its slots */
};

int collector_check_privileges(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	bool sys_admin, bpf_perfmon;

	if (geteuid() == 0)
		return 0;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == 0) {
		sys_admin = data[0].effective & (1U << CAP_SYS_ADMIN);
		bpf_perfmon = (data[1].effective & (1U << (39 - 32))) &&	/* CAP_BPF */
			      (data[1].effective & (1U << (38 - 32)));		/* CAP_PERFMON */
		if (sys_admin || bpf_perfmon)
			return 0;
	}
	log_error("run it with sudo, or grant CAP_BPF and CAP_PERFMON",
		  "loading BPF programs needs root (or CAP_BPF and CAP_PERFMON)");
	return -EPERM;
}

static const char *btf_path(void)
{
	const char *p = getenv("BUFSCOPE_BTF");

	return p && *p ? p : DEFAULT_BTF;
}

static struct btf *load_kernel_btf(void)
{
	const char *path = btf_path();
	struct btf *btf;
	int err;

	if (access(path, R_OK)) {
		err = errno;
		log_error("bufscope needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			  "kernel BTF not readable at %s: %s", path, strerror(err));
		errno = err;
		return NULL;
	}
	btf = btf__parse(path, NULL);
	if (!btf) {
		err = errno;
		log_error("bufscope needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			  "cannot parse kernel BTF at %s: %s", path, strerror(err));
		errno = err;
	}
	return btf;
}

/*
 * Does the kernel have the hook, with at least the arguments we read? A
 * tracepoint's btf_trace_<name> typedef points to a function prototype whose
 * first parameter is the context, then the tracepoint's arguments.
 */
static bool hook_present(const struct btf *btf, const struct hook_def *d)
{
	int id = btf__find_by_name_kind(btf, d->btf_name, d->btf_kind);
	const struct btf_type *t;

	if (id < 0)
		return false;
	if (!d->min_args)
		return true;
	t = btf__type_by_id(btf, id);
	while (t && (btf_is_typedef(t) || btf_is_ptr(t)))
		t = btf__type_by_id(btf, t->type);
	return t && btf_is_func_proto(t) && btf_vlen(t) - 1 >= d->min_args;
}

static void probe_hooks(const struct btf *btf, struct hook_status hooks[HOOK__COUNT])
{
	for (int i = 0; i < HOOK__COUNT; i++) {
		const struct hook_def *d = &hook_defs[i];

		hooks[i] = (struct hook_status){
			.name = d->name, .tier = d->tier, .target = d->target,
			.required = d->required,
			.available = hook_present(btf, d),
		};
		if (!hooks[i].available)
			hooks[i].tier = "none";
	}
}

int collector_probe(struct hook_status hooks[HOOK__COUNT])
{
	struct btf *btf = load_kernel_btf();

	if (!btf)
		return -errno;
	probe_hooks(btf, hooks);
	btf__free(btf);
	return 0;
}

void collector_describe(const struct hook_status *hooks, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < HOOK__COUNT && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s=%s", i ? " " : "",
				hooks[i].name, hooks[i].tier);
}

static struct bpf_program *hook_program(struct bufscope_bpf *skel, enum hook_id id)
{
	switch (id) {
	case HOOK_READ: return skel->progs.tp_sock_recv_length;
	case HOOK_ARRIVAL: return skel->progs.tp_sk_data_ready;
	case HOOK_CLOSE: return skel->progs.tp_tcp_destroy_sock;
	case HOOK_SOCKETS: return skel->progs.iter_tcp;
	case HOOK_STATE: return skel->progs.iter_state;
	case HOOK_WINDOW_OUT: return skel->progs.tp_net_dev_queue;
	case HOOK_WINDOW_IN: return skel->progs.tp_tcp_probe;
	case HOOK_DROPS: return skel->progs.tp_kfree_skb;
	default: return NULL;
	}
}

static int check_hooks(struct collector *c)
{
	for (int i = 0; i < HOOK__COUNT; i++) {
		struct hook_status *h = &c->hooks[i];

		if (h->available)
			continue;
		if (h->required) {
			log_error(hook_defs[i].missing_hint,
				  "this kernel has no %s, which bufscope's %s hook needs",
				  h->target, h->name);
			return -ENOENT;
		}
		log_warn("no %s on this kernel: %s hook off (%s)", h->target,
			 h->name, hook_defs[i].missing_hint);
		bpf_program__set_autoload(hook_program(c->skel, (enum hook_id)i), false);
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
	skel->rodata->cfg_trace_reads = cfg->trace_reads;
	/* a quarter of the ring: early enough that it does not overflow */
	skel->rodata->cfg_wakeup_bytes = (cfg->ringbuf_bytes ? cfg->ringbuf_bytes
							     : DEFAULT_RINGBUF) / 4;
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

static uint32_t samples_wanted(void)
{
	unsigned long n = tcp_sockets_now();

	n += n / 4;
	if (n < SAMPLES_MIN)
		return SAMPLES_MIN;
	return n > SAMPLES_MAX ? SAMPLES_MAX : (uint32_t)n;
}

static int map_samples(struct collector *c)
{
	struct bpf_map *m = c->skel->maps.samples;
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)bpf_map__max_entries(m) * BS_SAMPLE_SIZE;
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
	return 0;
}

static int load(struct collector *c)
{
	int err = bufscope_bpf__load(c->skel);

	if (!err)
		return 0;
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
	return err;
}

static int attach(struct collector *c)
{
	for (int i = 0; i < HOOK__COUNT; i++) {
		struct hook_status *h = &c->hooks[i];
		struct bpf_program *prog = hook_program(c->skel, (enum hook_id)i);
		struct bpf_link *link;
		int err;

		if (!h->available)
			continue;
		if (i == HOOK_SOCKETS) {
			link = bpf_program__attach_iter(prog, NULL);
		} else if (i == HOOK_STATE) {
			union bpf_iter_link_info info = {
				.map.map_fd = bpf_map__fd(c->skel->maps.sock_state),
			};
			LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info,
				    .link_info_len = sizeof(info));

			link = bpf_program__attach_iter(prog, &opts);
		} else {
			link = bpf_program__attach(prog);
		}
		if (!link) {
			err = -errno;
			log_error("-v shows libbpf's log",
				  "cannot attach the %s hook (%s): %s", h->name,
				  h->target, strerror(-err));
			return err;
		}
		c->links[i] = link;
		h->attached = true;
		log_debug("attached %s hook: %s (%s tier)", h->name, h->target, h->tier);
	}
	return 0;
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
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
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
	probe_hooks(btf, c->hooks);
	if (drop_reasons_load(&c->reasons, btf))
		log_debug("no enum skb_drop_reason in the kernel's BTF: drops shown by number");
	btf__free(btf);
	if (getenv("BUFSCOPE_BTF"))
		open_opts.btf_custom_path = btf_path();
	c->skel = bufscope_bpf__open_opts(&open_opts);
	if (!c->skel) {
		err = -errno;
		log_error("-v shows libbpf's log", "cannot open bufscope's BPF object: %s",
			  strerror(-err));
		goto fail;
	}
	err = check_hooks(c);
	if (err)
		goto fail;
	set_filters(c->skel, cfg);
	err = bpf_map__set_max_entries(c->skel->maps.events,
				       cfg->ringbuf_bytes ? cfg->ringbuf_bytes
							  : DEFAULT_RINGBUF);
	if (err)
		goto fail;
	err = bpf_map__set_max_entries(c->skel->maps.samples, samples_wanted());
	if (err)
		goto fail;
	err = load(c);
	if (err)
		goto fail;
	err = map_samples(c);
	if (err)
		goto fail;
	err = attach(c);
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
	for (int i = 0; i < HOOK__COUNT; i++)
		bpf_link__destroy(c->links[i]);
	bufscope_bpf__destroy(c->skel);
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
		const char *rec = c->samples + (size_t)i * BS_SAMPLE_SIZE;
		size_t size = iter_rec_size(*(const uint32_t *)rec);

		if (size && size <= BS_SAMPLE_SIZE)
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
static int iter_in(struct collector *c, int ns_fd)
{
	int fd, err = 0;

	if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET))
		return -errno;
	fd = iter_start(c, bpf_link__fd(c->links[HOOK_SOCKETS]));
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

int collector_scan(struct collector *c, const struct netns_set *ns, bool full,
		   bool records, record_fn fn, void *ctx)
{
	int err = 0;
	bool any = ns && ns->n;	/* none known: our own namespace at least */

	c->skel->bss->iter_full = records;
	if (!full && c->links[HOOK_STATE]) {
		int fd = iter_start(c, bpf_link__fd(c->links[HOOK_STATE]));

		if (fd < 0)
			return -errno;
		err = read_iter(c, fd, fn, ctx);
		close(fd);
		return err;
	}

	for (size_t i = 0; i < (any ? ns->n : 1) && !err; i++) {
		int ns_fd = any ? ns->ents[i].fd : -1;
		int fd = iter_in(c, ns_fd);

		if (fd == -EPERM && !c->warned_netns) {
			log_warn("cannot enter other network namespaces (%s): their "
				 "sockets are seen only through their events",
				 strerror(EPERM));
			c->warned_netns = true;
		}
		if (fd < 0)
			continue;	/* a namespace that just ended */
		err = read_iter(c, fd, fn, ctx);
		close(fd);
	}
	return err;
}

int collector_scan_drops(struct collector *c, drop_fn fn, void *ctx)
{
	int fd = bpf_map__fd(c->skel->maps.drop_counts);
	struct bs_drop_key key, next, *gone = NULL;
	size_t ngone = 0, cap = 0;
	bool first = true;
	int err = 0;
	__u64 total;

	/* A walk restarts if its current key is deleted: delete afterwards. */
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
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

const struct drop_reasons *collector_drop_reasons(const struct collector *c)
{
	return &c->reasons;
}

uint64_t collector_lost(const struct collector *c)
{
	return c->skel->bss->kstats.lost_events;
}

const struct hook_status *collector_hooks(const struct collector *c)
{
	return c->hooks;
}
