// SPDX-License-Identifier: GPL-2.0
/* The one definition of every map and setting the programs share. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bufscope/sock.h"
#include "closing_types.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 cfg_pids[BS_MAX_PIDS] = {};
const volatile __u32 cfg_npids = 0;
const volatile char cfg_comm[BS_COMM_LEN] = {};
const volatile __u8 cfg_has_comm = 0;
const volatile __u16 cfg_port = 0;
const volatile __u32 cfg_netns[BS_MAX_NETNS] = {};
const volatile __u32 cfg_nnetns = 0;
const volatile __u8 cfg_trace_reads = 0;
const volatile __u8 cfg_flow_records = 0;
const volatile __u32 cfg_wakeup_bytes = 64 * 1024;
const volatile __u8 cfg_state_hash = 0;
const volatile __u8 cfg_drop_expected[BS_DROP_REASON_MAX] = {};
const volatile __u8 cfg_hist_every_pass = 0;
const volatile __u8 cfg_has_cgroup = 0;

/* --cgroup: slot 0 holds the cgroup (its directory's descriptor, set by user
 * space after load) whose tasks, and those of the cgroups below it, read. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

struct bs_kstats kstats = {};

/* The socket iterator's samples: its output, read by user space through a
 * mapping of `samples` (no copy, no system call per record). Written by the
 * iterator only; user space zeroes sample_count before each walk. */
__u32 sample_count = 0;
/* Set by user space for the last walk: full records, histograms included. */
__u32 iter_full = 0;

/* Resized by the collector before load to the sockets it expects. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__uint(value_size, BS_SAMPLE_SIZE);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bs_sock_state);
} sock_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BS_HASH_SOCKETS);
	__type(key, __u64);
	__type(value, struct bs_sock_state);
} sock_state_hash SEC(".maps");

/*
 * Sockets that could not get state (the state map full, or no memory), by
 * address, so that each is counted once in kstats.untracked_sockets; an entry
 * goes when its socket is destroyed (the address is then reused).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BS_HASH_SOCKETS);
	__type(key, __u64);
	__type(value, __u8);
} untracked SEC(".maps");

/* Resized by the collector before load: small for `top`, large for `trace`. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Receive-path drops per socket and reason: rare, so a hash map will do. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct bs_drop_key);
	__type(value, __u64);
} drop_counts SEC(".maps");

/* Sockets closing with data to send, by endpoints (see closing.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, BS_CLOSING_SOCKETS);
	__type(key, struct bs_conn_key);
	__type(value, struct bs_closing);
} closing_socks SEC(".maps");

/* Entries in closing_socks: 0 lets the receive hook return at once. */
__u32 closing_count = 0;
/* ... and per local port (network order): a packet to a port without any
 * is passed over before its endpoints are hashed. */
__u32 closing_ports[65536] = {};
/*
 * Local ports a listening socket has (bit per port, any namespace): a socket
 * on one of them serves it, and is labelled with it; the others' ports are
 * ephemeral (bs_sock_flags BS_SF_SERVICE, bs_fold_key.port; a socket's is
 * decided once, bs_sock_state.service_port). Set by the iterators as they
 * pass listeners and by listen() itself, in both arrays; a full walk starts
 * listen_seen empty and user space makes it listen_ports after the walk, so
 * a port nobody listens on any more stops labelling new sockets.
 */
__u64 listen_ports[65536 / 64] = {};
__u64 listen_seen[65536 / 64] = {};
/*
 * Closes the ring buffer had no room for, folded per reader (struct
 * bs_fold): user space reads them each pass and never deletes. Distinct
 * readers with such closes are few; past this many, the spill slot below.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct bs_fold_key);
	__type(value, struct bs_fold);
} close_folds SEC(".maps");

/* Folds whose reader found no room in close_folds: owner unknown. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bs_fold);
} close_fold_spill SEC(".maps");

/*
 * Folded closes of sockets whose row in user space would not count them in
 * their fold's process (struct bs_close_owner): its record went out before
 * the first read (the walk found bytes waiting, or an arrival gave the
 * socket state), without owner or counts. User space gives the row the
 * fold's owner and lists it, and deletes the entry, each pass.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct bs_close_owner);
} close_owners SEC(".maps");

/*
 * With cfg_hist_every_pass: per socket, the histograms of the last full
 * record sent (struct bs_hist_copy), so that a folded close adds only what
 * came after it. Made by the iterator, never with cfg_hist_every_pass off.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bs_hist_copy);
} hist_reported SEC(".maps");
