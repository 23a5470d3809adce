// SPDX-License-Identifier: GPL-2.0
/*
 * The scenario's namespaces, with iproute2. Names carry bufscope's pid, so a
 * run killed before its teardown leaves namespaces its guard (a child that
 * outlives it) deletes, or else the next run, which recognises them (their
 * pid is gone). Settings are written from a child that
 * joined the namespace: /proc/sys/net is the opener's namespace's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/log.h"
#include "validate/netenv.h"
#include "workload.h"
#include "validate/pathloss.h"

#define NS_PREFIX "bufscope-"
#define RUN_NETNS "/run/netns"

/* ------------------------------------------------------------ commands */

/*
 * Runs argv (ip or tc) and waits; its stderr's first line goes to err.
 * Returns its exit status, or -1 if it could not run.
 */
static int run(char *const argv[], char *err, size_t errlen)
{
	int pipefd[2], status;
	ssize_t got = 0, r;
	pid_t pid;

	if (err && errlen)
		err[0] = 0;
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	while (err && (size_t)got + 1 < errlen &&
	       (r = read(pipefd[0], err + got, errlen - 1 - (size_t)got)) > 0)
		got += r;
	if (err && errlen) {
		char *nl;

		err[got] = 0;
		nl = strchr(err, '\n');
		if (nl)
			*nl = 0;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* run() with the words of a printf-made line (no quoting: our own words) */
static int runf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int runf(char *err, size_t errlen, const char *fmt, ...)
{
	char line[512], *argv[40], *save = NULL, *w;
	unsigned n = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug("validate: %s", line);
	for (w = strtok_r(line, " ", &save); w && n + 1 < 40; w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	argv[n] = NULL;
	return run(argv, err, errlen);
}

/* ------------------------------------------------------------ qdiscs */

static bool netem_here(void)
{
	struct utsname u;
	char path[256], line[256];
	static const char *const lists[] = { "modules.dep", "modules.builtin" };
	const char *no = getenv("BUFSCOPE_NO_NETEM");
	struct stat st;

	/* the tests' way to run the netem-less path on a kernel with netem */
	if (no && *no && strcmp(no, "0"))
		return false;
	if (!stat("/sys/module/sch_netem", &st))
		return true;
	if (uname(&u))
		return false;
	for (size_t i = 0; i < 2; i++) {
		FILE *f;
		bool found = false;

		snprintf(path, sizeof(path), "/lib/modules/%s/%s", u.release, lists[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (!found && fgets(line, sizeof(line), f))
			found = strstr(line, "/sch_netem.ko") != NULL;
		fclose(f);
		if (found)
			return true;
	}
	return false;
}

static void fmt_us(char *buf, size_t len, uint64_t us)
{
	if (us % 1000 == 0)
		snprintf(buf, len, "%llums", (unsigned long long)(us / 1000));
	else
		snprintf(buf, len, "%lluus", (unsigned long long)us);
}

/*
 * tc's words after "root" for one direction ("none" when it needs no qdisc),
 * and the random loss the BPF program does instead of netem (*bpf_loss, 0:
 * none).
 */
static int qdisc_words(const struct impairment *m, bool netem, char *out,
		       size_t len, double *bpf_loss, const char **refused)
{
	size_t off = 0;
	char a[32], b[32];

	out[0] = 0;
	*bpf_loss = 0;
	if (!m->delay_us && !m->jitter_us && m->loss_pct <= 0 &&
	    m->reorder_pct <= 0 && !m->rate_bps) {
		snprintf(out, len, "none");
		return 0;
	}
	if (netem) {
		off += (size_t)snprintf(out + off, len - off, "netem");
		if (m->delay_us) {
			fmt_us(a, sizeof(a), m->delay_us);
			off += (size_t)snprintf(out + off, len - off, " delay %s", a);
			if (m->jitter_us) {
				fmt_us(b, sizeof(b), m->jitter_us);
				off += (size_t)snprintf(out + off, len - off, " %s", b);
			}
		}
		if (m->loss_pct > 0)
			off += (size_t)snprintf(out + off, len - off, " loss %g%%", m->loss_pct);
		if (m->reorder_pct > 0)
			off += (size_t)snprintf(out + off, len - off, " reorder %g%%",
						m->reorder_pct);
		if (m->rate_bps)
			snprintf(out + off, len - off, " rate %llubit",
				 (unsigned long long)m->rate_bps);
		return 0;
	}
	if (m->delay_us || m->jitter_us || m->reorder_pct > 0) {
		*refused = m->delay_us ? "delay" : m->jitter_us ? "jitter" : "reorder";
		return -1;
	}
	*bpf_loss = m->loss_pct > 0 ? m->loss_pct : 0;
	if (!m->rate_bps) {
		snprintf(out, len, "none");
		return 0;
	}
	/* a rate: tbf, with a burst of at least one MTU-sized packet and
	 * 10 ms worth of the rate, and a queue of 1 s of it (as netem's rate,
	 * whose queue holds 1000 packets): with 100 ms, slow start overflowed
	 * it, and the rate became a lossy link (1 run in 10 of slow-link took
	 * a retransmission timeout longer) */
	snprintf(out, len, "tbf rate %llubit burst %llu latency 1s",
		 (unsigned long long)m->rate_bps,
		 (unsigned long long)fmax(16384.0, (double)m->rate_bps / 8 / 100));
	return 0;
}

/* What a direction gets, in words: its qdisc and the loss program. */
static void describe(char *out, size_t len, const char *tc, double bpf_loss)
{
	if (bpf_loss <= 0)
		snprintf(out, len, "%s", tc);
	else if (!strcmp(tc, "none"))
		snprintf(out, len, "clsact bpf loss %g%%", bpf_loss);
	else
		snprintf(out, len, "%s + clsact bpf loss %g%%", tc, bpf_loss);
}

/* The line of [network] KEY or to_receiver.KEY / to_sender.KEY for d. */
static int key_line(const struct scenario *s, enum path_dir d, const char *key)
{
	char both[64], one[64];

	snprintf(both, sizeof(both), "network.%s", key);
	snprintf(one, sizeof(one), "network.%s.%s",
		 d == TO_RECEIVER ? "to_receiver" : "to_sender", key);
	for (unsigned i = 0; i < s->nkeys; i++)
		if (!strcmp(s->keys[i].key, one) || !strcmp(s->keys[i].key, both))
			return s->keys[i].line;
	return s->path[d].line;
}

/* The tc words and BPF loss of both directions of a path (line: a change's,
 * 0: the keys'); -1 with why if not runnable. */
static int plan_path(const struct scenario *s, const struct impairment path[PATH__N],
		     int line, char tc[PATH__N][192], double bpf_loss[PATH__N],
		     char *why, size_t len)
{
	bool netem = netem_here();
	const char *refused = NULL;

	for (unsigned d = 0; d < PATH__N; d++)
		if (qdisc_words(&path[d], netem, tc[d], 192, &bpf_loss[d], &refused)) {
			snprintf(why, len, "%s (line %d, %s) needs tc's netem, which this "
				 "kernel does not have (no sch_netem); only a rate (tbf) and "
				 "random loss (a tc BPF program) can be set without it",
				 refused, line ? line : key_line(s, d, refused),
				 d == TO_RECEIVER ? "to the receiver" : "to the sender");
			return -1;
		}
	return 0;
}

/* The path at the start, and every change of it, can be had here. */
static int plan_paths(const struct scenario *s, char tc[PATH__N][192],
		      double bpf_loss[PATH__N], char *why, size_t len)
{
	char later[PATH__N][192];
	double later_loss[PATH__N];

	if (plan_path(s, s->path, 0, tc, bpf_loss, why, len))
		return -1;
	for (unsigned i = 0; i < s->nchanges; i++) {
		const struct path_change *c = &s->changes[i];

		if (plan_path(s, c->path, c->line, later, later_loss, why, len))
			return -1;
		for (unsigned d = 0; d < PATH__N; d++)
			if (later_loss[d] != bpf_loss[d]) {
				snprintf(why, len, "a change of random loss (line %d) needs "
					 "tc's netem, which this kernel does not have: the "
					 "tc BPF program's loss is set once", c->line);
				return -1;
			}
	}
	return 0;
}

int netenv_change(struct netenv *n, const struct scenario *s, unsigned k,
		  char *what, size_t len)
{
	char now[PATH__N][192], before[PATH__N][192], err[256];
	double loss[PATH__N];
	size_t off = 0;
	int rc = 0;

	what[0] = 0;
	if (k >= s->nchanges ||
	    plan_path(s, s->changes[k].path, s->changes[k].line, now, loss, err,
		      sizeof(err)) ||
	    plan_path(s, k ? s->changes[k - 1].path : s->path, 0, before, loss, err,
		      sizeof(err)))
		return -EINVAL;
	for (unsigned d = 0; d < PATH__N; d++) {
		enum side from = d == TO_RECEIVER ? SIDE_SENDER : SIDE_RECEIVER;

		if (!strcmp(now[d], before[d]))
			continue;
		if (!strcmp(now[d], "none"))
			rc |= runf(err, sizeof(err), "tc -n %s qdisc del dev %s root",
				   n->ns[from], n->dev[from]);
		else
			rc |= runf(err, sizeof(err), "tc -n %s qdisc replace dev %s root %s",
				   n->ns[from], n->dev[from], now[d]);
		describe(n->qdisc[d], sizeof(n->qdisc[d]), now[d], n->loss_pct[d]);
		off += (size_t)snprintf(what + off, len > off ? len - off : 0, "%s%s: %s",
					off ? "; " : "", d == TO_RECEIVER ? "to the receiver" :
					"to the sender", now[d]);
	}
	if (rc)
		log_warn("the path's change at %llu ms failed: %s",
			 (unsigned long long)s->changes[k].at_us / 1000, err);
	return rc ? -EIO : 0;
}

int netenv_plan(const struct scenario *s, char qdisc[PATH__N][192], char *why,
		size_t len)
{
	char tc[PATH__N][192];
	double bpf_loss[PATH__N];

	if (plan_paths(s, tc, bpf_loss, why, len))
		return -1;
	for (unsigned d = 0; d < PATH__N; d++)
		describe(qdisc[d], 192, tc[d], bpf_loss[d]);
	return 0;
}

/* ------------------------------------------------------------ settings */

/* In a child of ours inside ns: writes (value non-NULL) or reads a setting. */
static int ns_sysctl(const struct netenv *n, enum side side, const char *key,
		     const char *value, char *out, size_t outlen)
{
	int pipefd[2], status;
	char path[160];
	ssize_t got;
	pid_t pid;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	for (char *c = path + 10; *c; c++)
		if (*c == '.')
			*c = '/';
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char buf[128];
		ssize_t r;
		int fd;

		close(pipefd[0]);
		if (netenv_enter(n, side))
			_exit(2);
		fd = open(path, value ? O_WRONLY : O_RDONLY);
		if (fd < 0)
			_exit(errno == ENOENT ? 3 : 4);
		if (value) {
			if (write(fd, value, strlen(value)) < 0)
				_exit(5);
			close(fd);
			fd = open(path, O_RDONLY);
			if (fd < 0)
				_exit(4);
		}
		r = read(fd, buf, sizeof(buf) - 1);
		if (r < 0)
			_exit(4);
		if (write(pipefd[1], buf, (size_t)r) < 0)
			_exit(4);
		_exit(0);
	}
	close(pipefd[1]);
	got = read(pipefd[0], out, outlen - 1);
	close(pipefd[0]);
	out[got > 0 ? got : 0] = 0;
	out[strcspn(out, "\n")] = 0;
	for (char *c = out; *c; c++)
		if (*c == '\t')
			*c = ' ';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status))
		return -EIO;
	switch (WEXITSTATUS(status)) {
	case 0: return 0;
	case 3: return -ENOENT;
	case 5: return -EINVAL;
	default: return -EIO;
	}
}

/* What every run records, whatever the scenario sets. */
static const char *const recorded[] = {
	"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.tcp_moderate_rcvbuf",
	"net.ipv4.tcp_window_scaling", "net.ipv4.tcp_adv_win_scale",
	"net.ipv4.tcp_shrink_window", "net.ipv4.tcp_sack", "net.ipv4.tcp_timestamps",
	"net.ipv4.tcp_congestion_control", "net.ipv4.tcp_no_metrics_save",
	"net.core.rmem_max", "net.core.rmem_default",
};

static void note_sysctl(struct netenv *n, const char *key)
{
	struct netenv_sysctl *x = NULL;

	for (unsigned i = 0; i < n->nsysctls; i++)
		if (!strcmp(n->sysctls[i].key, key))
			return;
	if (n->nsysctls >= NETENV_MAX_SYSCTLS)
		return;
	x = &n->sysctls[n->nsysctls];
	snprintf(x->key, sizeof(x->key), "%s", key);
	for (int side = 0; side < SIDE__N; side++)
		if (ns_sysctl(n, side, key, NULL, x->value[side], sizeof(x->value[side])))
			snprintf(x->value[side], sizeof(x->value[side]), "-");
	if (strcmp(x->value[0], "-") || strcmp(x->value[1], "-"))
		n->nsysctls++;
}

static int apply_sysctls(struct netenv *n, const struct scenario *s, char *why,
			 size_t len)
{
	char got[96];

	for (unsigned i = 0; i < s->nsysctls; i++) {
		const struct sysctl_setting *ss = &s->sysctls[i];

		for (int side = 0; side < SIDE__N; side++) {
			int err;

			if (!(ss->sides & (1u << side)))
				continue;
			err = ns_sysctl(n, side, ss->key, ss->value, got, sizeof(got));
			if (err) {
				snprintf(why, len, "%s:%d: [sysctl] %s = %s: %s", s->origin,
					 ss->line, ss->key, ss->value,
					 err == -ENOENT ? "no such setting in a network "
					 "namespace of this kernel" :
					 err == -EINVAL ? "the kernel refused the value" :
					 "cannot write it");
				return -1;
			}
		}
	}
	for (size_t i = 0; i < sizeof(recorded) / sizeof(recorded[0]); i++)
		note_sysctl(n, recorded[i]);
	for (unsigned i = 0; i < s->nsysctls; i++)
		note_sysctl(n, s->sysctls[i].key);
	return 0;
}

/* ------------------------------------------------------------ setup */

int netenv_enter(const struct netenv *n, enum side side)
{
	char path[96];
	int fd, err = 0;

	snprintf(path, sizeof(path), RUN_NETNS "/%s", n->ns[side]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

static double mono_s(void)
{
	return (double)wl_mono_ns() / 1e9;
}

static int addresses(struct netenv *n, const struct scenario *s, char *err,
		     size_t len)
{
	for (int side = 0; side < SIDE__N; side++) {
		const char *ns = n->ns[side], *dev = n->dev[side];

		if (runf(err, len, "ip -n %s link set lo up", ns) ||
		    (s->mtu && runf(err, len, "ip -n %s link set %s mtu %u", ns, dev,
				    s->mtu)) ||
		    (s->family == AF_INET6 ?
		     runf(err, len, "ip -n %s addr add %s/64 dev %s nodad", ns,
			  scenario_addr(s, side), dev) :
		     runf(err, len, "ip -n %s addr add %s/24 dev %s", ns,
			  scenario_addr(s, side), dev)) ||
		    runf(err, len, "ip -n %s link set %s up", ns, dev))
			return -1;
	}
	return 0;
}

/* One namespace by name: what runs in it killed, then deleted. */
static void remove_ns(const char *name)
{
	struct netenv n = { 0 };

	snprintf(n.ns[0], sizeof(n.ns[0]), "%.39s", name);
	n.made[0] = true;
	netenv_teardown(&n);
}

/* The guard: waits for the end of the pipe, then removes owner's namespaces. */
static void guard_main(int rd, pid_t owner)
{
	static const int quiet[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	char buf[64];
	ssize_t r;

	setsid();	/* out of the terminal's and the group's signals */
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		signal(quiet[i], SIG_IGN);
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);		/* keeps no caller's pipe open */
	if (rd > 2)
		close_range(3, rd - 1, 0);
	close_range(rd + 1, ~0U, 0);	/* BPF objects, the pipe's writer */
	prctl(PR_SET_NAME, "bs-netns-guard");
	while ((r = read(rd, buf, sizeof(buf))) != 0)
		if (r < 0 && errno != EINTR)
			break;
	for (const char *const *t = (const char *const[]){ "tx", "rx", NULL }; *t; t++) {
		char path[96];

		snprintf(buf, sizeof(buf), NS_PREFIX "%d-%s", (int)owner, *t);
		snprintf(path, sizeof(path), RUN_NETNS "/%s", buf);
		if (!access(path, F_OK))	/* a normal end left none */
			remove_ns(buf);
	}
	_exit(0);
}

/*
 * A run killed by SIGKILL cannot tear its namespaces down (nor the loss
 * programs on their qdiscs). Its guard does: a child in a session of its
 * own, reading a pipe whose writer only bufscope holds (O_CLOEXEC: no
 * program it runs keeps it; its forked roles die with it), which ends
 * with bufscope however it ends. Then the namespaces named after bufscope's
 * pid are removed; after a normal end there are none. One guard a process.
 */
static void start_guard(void)
{
	static bool started;
	int p[2];
	pid_t pid;

	if (started || pipe2(p, O_CLOEXEC))
		return;		/* without a guard: the next run cleans up */
	started = true;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(p[1]);	/* whatever close_range() below can do */
		guard_main(p[0], getppid());
	}
	close(p[0]);
	if (pid < 0)
		close(p[1]);
	/* p[1] stays open until bufscope ends */
}

int netenv_setup(struct netenv *n, const struct scenario *s, char *why, size_t len)
{
	static const char *const tag[SIDE__N] = { "tx", "rx" };
	char err[256], path[96], tc[PATH__N][192];
	double t0 = mono_s();
	struct stat st;
	int rc;

	memset(n, 0, sizeof(*n));
	rc = plan_paths(s, tc, n->loss_pct, why, len);
	if (rc)
		return -2;
	start_guard();
	for (unsigned d = 0; d < PATH__N; d++)
		describe(n->qdisc[d], sizeof(n->qdisc[d]), tc[d], n->loss_pct[d]);
	for (int side = 0; side < SIDE__N; side++) {
		snprintf(n->ns[side], sizeof(n->ns[side]), NS_PREFIX "%d-%s",
			 (int)getpid(), tag[side]);
		snprintf(n->dev[side], sizeof(n->dev[side]), "bs%d%c",
			 (int)getpid() % 10000000, tag[side][0]);
		if (runf(err, sizeof(err), "ip netns add %s", n->ns[side])) {
			snprintf(why, len, "cannot make network namespace %s: %s",
				 n->ns[side], err[0] ? err : "ip failed");
			goto fail;
		}
		n->made[side] = true;
		snprintf(path, sizeof(path), RUN_NETNS "/%s", n->ns[side]);
		if (stat(path, &st)) {
			snprintf(why, len, "%s: %s", path, strerror(errno));
			goto fail;
		}
		n->ino[side] = (uint32_t)st.st_ino;
	}
	if (runf(err, sizeof(err), "ip link add %s netns %s type veth peer name %s "
		 "netns %s", n->dev[SIDE_SENDER], n->ns[SIDE_SENDER],
		 n->dev[SIDE_RECEIVER], n->ns[SIDE_RECEIVER])) {
		snprintf(why, len, "cannot make the veth pair: %s", err);
		goto fail;
	}
	if (addresses(n, s, err, sizeof(err))) {
		snprintf(why, len, "cannot set up the veth pair: %s", err);
		goto fail;
	}
	for (unsigned d = 0; d < PATH__N; d++) {
		/* a direction's qdisc is on the egress of its sending end */
		enum side from = d == TO_RECEIVER ? SIDE_SENDER : SIDE_RECEIVER;

		if (strcmp(tc[d], "none") &&
		    runf(err, sizeof(err), "tc -n %s qdisc add dev %s root %s",
			 n->ns[from], n->dev[from], tc[d])) {
			bool unknown = strstr(err, "nknown") || strstr(err, "No such file");

			snprintf(why, len, "%s: tc qdisc add ... %s: %s%s",
				 d == TO_RECEIVER ? "to_receiver" : "to_sender", tc[d],
				 err, unknown ? " (this kernel lacks that qdisc)" : "");
			netenv_teardown(n);
			return unknown ? -2 : -1;
		}
		if (n->loss_pct[d] > 0) {
			/* on the far end's ingress: a drop at the sending end's
			 * egress is returned to TCP (NET_XMIT_DROP), which sends
			 * the segment again at once, as if nothing had been lost;
			 * past the veth the packet is on the wire, gone unseen */
			enum side to = from == SIDE_SENDER ? SIDE_RECEIVER : SIDE_SENDER;

			snprintf(path, sizeof(path), RUN_NETNS "/%s", n->ns[to]);
			n->loss[d] = pathloss_attach(path, n->dev[to], n->loss_pct[d], err,
						     sizeof(err));
			if (!n->loss[d]) {
				snprintf(why, len, "%s: random loss %g%% (line %d) without "
					 "netem: %s", d == TO_RECEIVER ? "to_receiver" :
					 "to_sender", n->loss_pct[d], s->path[d].line, err);
				netenv_teardown(n);
				return -2;
			}
		}
	}
	if (apply_sysctls(n, s, why, len))
		goto fail;
	n->setup_s = mono_s() - t0;
	return 0;
fail:
	netenv_teardown(n);
	return -1;
}

/* One pass over /proc: every process inside the namespace killed; how many. */
static unsigned kill_pass(const struct stat *want)
{
	char link[96];
	struct stat st;
	struct dirent *d;
	unsigned killed = 0;
	DIR *proc = opendir("/proc");

	if (!proc)
		return 0;
	while ((d = readdir(proc))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(link, sizeof(link), "/proc/%.16s/ns/net", d->d_name);
		if (!stat(link, &st) && st.st_dev == want->st_dev && st.st_ino == want->st_ino &&
		    !kill(atoi(d->d_name), SIGKILL))
			killed++;
	}
	closedir(proc);
	return killed;
}

/* Every process inside the namespace, killed. Passes until one finds none: a
 * process may fork while a pass runs (a daemon's master starting its
 * workers), and its child, past the pass, would keep the namespace alive. A
 * process killed but not yet gone is found again; a dead one (a zombie) has
 * no namespace to be found by. */
static void kill_inside(const char *ns)
{
	char path[96];
	struct stat want;

	snprintf(path, sizeof(path), RUN_NETNS "/%s", ns);
	if (stat(path, &want))
		return;
	for (unsigned pass = 0; pass < 200 && kill_pass(&want); pass++)
		usleep(1000);
}

/*
 * The loss programs' counts, taken once the run's programs are done (before
 * anything is killed), into the direction's description; then closed.
 */
static void loss_done(struct netenv *n)
{
	for (unsigned d = 0; d < PATH__N; d++) {
		size_t off = strlen(n->qdisc[d]);

		if (!n->loss[d])
			continue;
		if (!pathloss_counts(n->loss[d], &n->loss_dropped[d], &n->loss_passed[d])) {
			n->loss_counted[d] = true;
			snprintf(n->qdisc[d] + off, sizeof(n->qdisc[d]) - off,
				 " (dropped %llu of %llu)",
				 (unsigned long long)n->loss_dropped[d],
				 (unsigned long long)(n->loss_dropped[d] + n->loss_passed[d]));
		} else {
			snprintf(n->qdisc[d] + off, sizeof(n->qdisc[d]) - off,
				 " (its counts could not be read)");
		}
		pathloss_free(n->loss[d]);
		n->loss[d] = NULL;
	}
}

void netenv_teardown(struct netenv *n)
{
	char err[256];
	double t0 = mono_s();

	loss_done(n);

	for (int side = 0; side < SIDE__N; side++) {
		if (!n->made[side])
			continue;
		kill_inside(n->ns[side]);
		if (runf(err, sizeof(err), "ip netns del %s", n->ns[side]))
			log_warn("cannot delete network namespace %s: %s", n->ns[side], err);
		n->made[side] = false;
	}
	n->teardown_s += mono_s() - t0;
}

void netenv_clean_stale(void)
{
	struct dirent *d;
	DIR *dir = opendir(RUN_NETNS);

	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char *end;
		long pid;

		if (strncmp(d->d_name, NS_PREFIX, strlen(NS_PREFIX)))
			continue;
		pid = strtol(d->d_name + strlen(NS_PREFIX), &end, 10);
		if (pid <= 0 || (strcmp(end, "-tx") && strcmp(end, "-rx")) ||
		    !kill((pid_t)pid, 0) || errno != ESRCH)
			continue;
		log_info("removing %s, left by a bufscope run that is gone", d->d_name);
		remove_ns(d->d_name);
	}
	closedir(dir);
}

