// SPDX-License-Identifier: GPL-2.0
/*
 * The loss program's loading and attaching. The tc hook is made through a
 * netlink socket and the device found by name, both in the namespace of the
 * calling thread, so this thread joins the scenario's namespace for the
 * attach and returns to its own at once. setns(CLONE_NEWNET) moves only the
 * calling thread: the collector's threads, if any, are not disturbed, and
 * the program and its counts stay in this process (a child that attached
 * would have to hand the map back). The filter holds the program, and goes
 * when the namespace (and so the device) is deleted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "util/log.h"
#include "validate/pathloss.h"
#include "loss.skel.h"

struct pathloss {
	struct loss_bpf *skel;
};

/* p% as the program's threshold: drop when a random u32 is below it */
static uint64_t threshold(double loss_pct)
{
	double t = loss_pct / 100.0 * 4294967296.0;

	return t <= 0 ? 0 : t >= 4294967296.0 ? 4294967296ull : (uint64_t)t;
}

/* In the namespace: the clsact ingress hook of dev, and the program on it. */
static int attach_here(struct pathloss *pl, const char *dev, char *why, size_t len)
{
	unsigned ifindex = if_nametoindex(dev);
	int err;

	if (!ifindex) {
		snprintf(why, len, "no device %s in the namespace: %s", dev, strerror(errno));
		return -1;
	}
	{
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts,
			    .prog_fd = bpf_program__fd(pl->skel->progs.path_loss));

		err = bpf_tc_hook_create(&hook);
		if (err && err != -EEXIST) {
			snprintf(why, len, "cannot add clsact on %s: %s", dev, strerror(-err));
			return -1;
		}
		err = bpf_tc_attach(&hook, &opts);
		if (err) {
			snprintf(why, len, "cannot attach the loss program on %s ingress: %s",
				 dev, strerror(-err));
			return -1;
		}
	}
	return 0;
}

/* Joins ns_path, attaches, returns to the thread's own namespace. */
static int attach_in(struct pathloss *pl, const char *ns_path, const char *dev,
		     char *why, size_t len)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(ns_path, O_RDONLY | O_CLOEXEC);
	int rc = -1;

	if (self < 0 || target < 0) {
		snprintf(why, len, "cannot open %s: %s", self < 0 ?
			 "/proc/thread-self/ns/net" : ns_path, strerror(errno));
		goto out;
	}
	if (setns(target, CLONE_NEWNET)) {
		snprintf(why, len, "cannot join %s: %s", ns_path, strerror(errno));
		goto out;
	}
	rc = attach_here(pl, dev, why, len);
	if (setns(self, CLONE_NEWNET)) {
		/* everything after would be done in the scenario's namespace */
		log_error(NULL, "cannot return from %s to bufscope's network namespace: %s",
			  ns_path, strerror(errno));
		abort();
	}
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return rc;
}

struct pathloss *pathloss_attach(const char *ns_path, const char *dev,
				 double loss_pct, char *why, size_t len)
{
	struct pathloss *pl = calloc(1, sizeof(*pl));
	int err;

	if (!pl) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	pl->skel = loss_bpf__open();
	if (!pl->skel) {
		snprintf(why, len, "cannot open the loss program: %s", strerror(errno));
		goto fail;
	}
	pl->skel->rodata->drop_below = threshold(loss_pct);
	err = loss_bpf__load(pl->skel);
	if (err) {
		snprintf(why, len, "cannot load the loss program: %s", strerror(-err));
		goto fail;
	}
	if (attach_in(pl, ns_path, dev, why, len))
		goto fail;
	return pl;
fail:
	pathloss_free(pl);
	return NULL;
}

int pathloss_counts(const struct pathloss *pl, uint64_t *dropped, uint64_t *passed)
{
	int fd = bpf_map__fd(pl->skel->maps.loss_counts);
	uint32_t k0 = 0, k1 = 1;

	*dropped = *passed = 0;
	if (bpf_map_lookup_elem(fd, &k0, dropped) || bpf_map_lookup_elem(fd, &k1, passed))
		return -errno;
	return 0;
}

void pathloss_free(struct pathloss *pl)
{
	if (!pl)
		return;
	loss_bpf__destroy(pl->skel);
	free(pl);
}
