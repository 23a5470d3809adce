/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel hooks bufscope attaches to, the attach tiers each can use, and
 * the start-up probe that picks a tier per hook: what the kernel's BTF
 * offers, then a real trial (a minimal program loaded and attached), never a
 * guess from the kernel's version.
 */
#ifndef BUFSCOPE_HOOKS_H
#define BUFSCOPE_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

enum hook_id {
	HOOK_READ, HOOK_ARRIVAL, HOOK_CLOSE, HOOK_SOCKETS, HOOK_STATE,
	HOOK_WINDOW_OUT, HOOK_WINDOW_IN, HOOK_DROPS, HOOK__COUNT
};

enum tier { TIER_FENTRY, TIER_KPROBE, TIER_TRACEPOINT, TIER_ITERATOR, TIER__COUNT };

/* --attach: auto, or one tier for every hook that has it. */
enum attach_mode { ATTACH_AUTO, ATTACH_FENTRY, ATTACH_KPROBE, ATTACH_TRACEPOINT };

#define HOOK_MAX_VARIANTS 3
#define HOOK_WHY_LEN 160

struct hook_status {
	const char *name;	/* "read", "arrival", "close", "sockets", ... */
	const char *tier;	/* the chosen tier's name, or "none" */
	const char *target;	/* the chosen variant, e.g. "fexit/tcp_recvmsg" */
	int variant;		/* index of the chosen variant, -1: none */
	bool required;
	bool available;		/* a variant was chosen */
	bool attached;
	/* why each variant was passed over ("" where it was not tried) */
	char why[HOOK_MAX_VARIANTS][HOOK_WHY_LEN];
};

struct btf;

const char *tier_name(enum tier t);
const char *attach_mode_name(enum attach_mode mode);	/* "auto", "fentry", ... */

/*
 * Picks a variant for every hook: with mode ATTACH_AUTO the first that the
 * kernel has and that passes its trial, in the order fentry, tracepoint,
 * kprobe; otherwise the forced tier for the hooks that have it. `trial`:
 * load and attach a minimal program for each candidate (needs root);
 * without it only the BTF is checked.
 */
void hooks_probe(const struct btf *btf, enum attach_mode mode, bool trial,
		 struct hook_status hooks[HOOK__COUNT]);

/*
 * The chosen variant of hook id failed later (loading or attaching the real
 * program): records why and moves to the next usable variant. Returns false
 * when none is left (the hook is then unavailable).
 */
bool hooks_demote(const struct btf *btf, enum attach_mode mode, bool trial,
		  struct hook_status hooks[HOOK__COUNT], enum hook_id id,
		  const char *why);

enum tier hooks_tier(const struct hook_status *h, enum hook_id id);

/* Does any chosen variant use this tier? */
bool hooks_use_tier(const struct hook_status hooks[HOOK__COUNT], enum tier t);

/* "fentry (fexit/tcp_recvmsg): <why>; kprobe (...): <why>" over the
 * variants passed over. */
void hooks_explain(const struct hook_status *h, enum hook_id id, char *buf,
		   size_t len);

/* One line of advice for a hook that has no usable variant. */
const char *hooks_hint(enum hook_id id, enum attach_mode mode);

/* "read=tracepoint arrival=tracepoint ..." */
void hooks_describe(const struct hook_status *hooks, char *buf, size_t len);

#endif
