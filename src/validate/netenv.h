/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scenario's network: two private network namespaces (the sender's and
 * the receiver's) joined by a veth pair, their addresses, the impairment of
 * each direction (tc netem where the kernel has it; without it tbf for a
 * rate and a tc BPF program for random loss, src/validate/pathloss.c) and
 * their TCP settings. Made with iproute2's ip and tc; torn down on
 * every path, and what a killed run left behind is removed by the next.
 */
#ifndef BUFSCOPE_VALIDATE_NETENV_H
#define BUFSCOPE_VALIDATE_NETENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "validate/scenario.h"

#define NETENV_MAX_SYSCTLS 24

struct pathloss;

struct netenv {
	char ns[SIDE__N][40];		/* bufscope-PID-tx, bufscope-PID-rx */
	char dev[SIDE__N][16];		/* the veth ends */
	uint32_t ino[SIDE__N];		/* the namespaces' inode numbers */
	bool made[SIDE__N];
	/* what impairs each direction, as tc was told ("none" if nothing),
	 * and the loss program without netem: "clsact bpf loss 1%", followed
	 * after the run by its counts "(dropped N of M)" */
	char qdisc[PATH__N][192];
	/* random loss by a tc BPF program (no netem): its percentage (0: none),
	 * the program, and what it dropped and passed (counted: read) */
	double loss_pct[PATH__N];
	struct pathloss *loss[PATH__N];
	uint64_t loss_dropped[PATH__N], loss_passed[PATH__N];
	bool loss_counted[PATH__N];
	/* the TCP settings in force in each namespace, after the scenario's */
	struct netenv_sysctl {
		char key[96];
		char value[SIDE__N][96];
	} sysctls[NETENV_MAX_SYSCTLS];
	unsigned nsysctls;
	double setup_s;			/* how long the setup took */
	double teardown_s;		/* ... and the teardown */
};

/*
 * How each direction would be impaired here (qdisc[]), or -1 with why: an
 * impairment no mechanism on this kernel provides (delay without netem).
 * Looks, changes nothing.
 */
int netenv_plan(const struct scenario *s, char qdisc[PATH__N][192], char *why,
		size_t len);

/*
 * Makes the namespaces, the veth, the qdiscs and the settings. 0, or -1 with
 * the reason in why (what was made is torn down already); -2: not runnable
 * on this kernel (why names the impairment).
 */
int netenv_setup(struct netenv *n, const struct scenario *s, char *why, size_t len);
/*
 * Change k of the scenario's path (at its time): the qdiscs of the
 * directions that change are replaced; `what` says what they are now. 0, or
 * -errno (logged).
 */
int netenv_change(struct netenv *n, const struct scenario *s, unsigned k,
		  char *what, size_t len);
/* Takes the loss programs' counts (into qdisc[]), kills what still runs
 * inside, deletes the namespaces (their veth and qdiscs go with them).
 * Idempotent. */
void netenv_teardown(struct netenv *n);
/* In a child: joins a side's namespace. 0 or -errno. */
int netenv_enter(const struct netenv *n, enum side side);
/* Namespaces of bufscope runs that are gone (killed): deleted. */
void netenv_clean_stale(void);

#endif
