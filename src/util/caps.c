// SPDX-License-Identifier: GPL-2.0
/*
 * Capabilities through the raw syscalls (capget/capset, prctl): no library,
 * the same in the static binary.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "util/caps.h"

#ifndef CAP_LAST_CAP_KNOWN
#define CAP_LAST_CAP_KNOWN 63
#endif

static int caps_read(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	memset(d, 0, 2 * sizeof(*d));
	return syscall(SYS_capget, &hdr, d) ? -errno : 0;
}

static uint64_t join(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

int caps_get(uint64_t *effective, uint64_t *permitted)
{
	struct __user_cap_data_struct d[2];
	int err = caps_read(d);

	if (err)
		return err;
	*effective = join(d[0].effective, d[1].effective);
	*permitted = join(d[0].permitted, d[1].permitted);
	return 0;
}

/* Every capability outside keep leaves the bounding set (needs
 * CAP_SETPCAP: without it the bounding set stays, and no_new_privs with
 * empty inheritable and ambient sets still keeps an exec from regaining
 * them). The kernel's last capability ends the loop (EINVAL). */
static void drop_bounding(uint64_t keep, uint64_t effective)
{
	if (!(effective & CAP_MASK(CAP_SETPCAP)))
		return;
	for (int cap = 0; cap <= CAP_LAST_CAP_KNOWN; cap++) {
		if (keep & CAP_MASK(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno == EINVAL)
			break;
	}
}

int caps_limit(uint64_t keep, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t eff, perm, now;
	int r = caps_read(d);

	if (r) {
		snprintf(err, errlen, "cannot read this process's capabilities: %s",
			 strerror(-r));
		return r;
	}
	eff = join(d[0].effective, d[1].effective);
	perm = join(d[0].permitted, d[1].permitted);
	drop_bounding(keep, eff);
	/* ambient ones would come back at the next exec */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	now = keep & perm;
	d[0].effective = d[0].permitted = (uint32_t)now;
	d[1].effective = d[1].permitted = (uint32_t)(now >> 32);
	d[0].inheritable = d[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, d)) {
		r = -errno;
		snprintf(err, errlen, "cannot give up capabilities: %s", strerror(errno));
		return r;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		r = -errno;
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return r;
	}
	return 0;
}

const char *caps_names(uint64_t mask, char *buf, size_t len)
{
	static const struct { int cap; const char *name; } known[] = {
		{ CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
		{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
		{ CAP_PERFMON, "CAP_PERFMON" },
		{ CAP_BPF, "CAP_BPF" },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (int cap = 0; cap <= CAP_LAST_CAP_KNOWN && off < len; cap++) {
		const char *name = NULL;
		char num[16];

		if (!(mask & CAP_MASK(cap)))
			continue;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (known[i].cap == cap)
				name = known[i].name;
		if (!name) {
			snprintf(num, sizeof(num), "cap %d", cap);
			name = num;
		}
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "", name);
	}
	return buf;
}
