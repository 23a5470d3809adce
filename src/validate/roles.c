// SPDX-License-Identifier: GPL-2.0
/*
 * The scenario's programs. The built-in ones are forked children of bufscope
 * in their side's namespace; they send the harness small fixed-size messages
 * (listening, a phase of their schedule, their own counts) on a pipe, and the
 * receiver that waits for the sender's data to be queued reads a "go" on
 * another. A command runs under /bin/sh in its own process group.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "util/log.h"
#include "validate/roles.h"
#include "workload.h"

enum msg_kind { MSG_READY = 1, MSG_PHASE, MSG_STATS };

struct msg {
	uint32_t kind;
	uint32_t pad;
	uint64_t t_ns;		/* CLOCK_MONOTONIC */
	uint64_t bytes, calls, blocked_ns;
	char what[64];
};

#define BLOCKED_NS (1000 * 1000ULL)	/* a call that took longer waited */
#define LISTEN_WAIT_NS (5000 * 1000 * 1000ULL)

static int out_fd = -1;	/* in a built-in child: its message pipe */

static void say(enum msg_kind kind, const char *what, uint64_t bytes,
		uint64_t calls, uint64_t blocked_ns)
{
	struct msg m = { .kind = kind, .t_ns = wl_mono_ns(), .bytes = bytes,
			 .calls = calls, .blocked_ns = blocked_ns };

	if (what)
		snprintf(m.what, sizeof(m.what), "%s", what);
	if (write(out_fd, &m, sizeof(m)) < 0)
		_exit(3);
}

/* ------------------------------------------------------------ sockets */

/* The built-in side's connection: listen and accept one (the listener), or
 * connect (retrying while the listener is not there yet). rcvbuf before. */
static int connection(const struct scenario *s, enum side me, uint64_t rcvbuf)
{
	unsigned long long until = wl_mono_ns() + LISTEN_WAIT_NS;
	const char *addr = scenario_addr(s, s->listener);
	int fd, c;

	if (s->listener == me) {
		fd = wl_listen(s->family, addr, s->port, (int)rcvbuf, 4, NULL);
		if (fd < 0)
			return -1;
		say(MSG_READY, NULL, 0, 0, 0);
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		close(fd);
		return c;
	}
	while ((fd = wl_connect(s->family, addr, s->port, (int)rcvbuf)) == -ECONNREFUSED &&
	       wl_mono_ns() < until)
		wl_sleep_ns(2 * 1000 * 1000ULL);
	return fd < 0 ? -1 : fd;
}

/* ------------------------------------------------------------ sender */

static int timed_write(int fd, const char *buf, size_t len, uint64_t *blocked)
{
	size_t off = 0;

	while (off < len) {
		unsigned long long t = wl_mono_ns(), dt;
		ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL);

		dt = wl_mono_ns() - t;
		if (dt > BLOCKED_NS)
			*blocked += dt;
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* The sender's write failed (the receiver went away): what it did, told. */
static void sender_failed(uint64_t sent, uint64_t calls, uint64_t blocked)
{
	char what[64];

	snprintf(what, sizeof(what), "sender stops: %s", strerror(errno));
	say(MSG_STATS, NULL, sent, calls, blocked);
	say(MSG_PHASE, what, sent, 0, 0);
	_exit(1);
}

static void sender_main(const struct scenario *s)
{
	const struct sender_spec *t = &s->sender;
	uint64_t sent = 0, calls = 0, blocked = 0;
	size_t chunk = t->write_size ? t->write_size : 64 * 1024;
	unsigned long long start;
	char *buf;
	int fd;

	if (s->listener != SIDE_SENDER && t->start_us)
		wl_sleep_ns(t->start_us * 1000);
	fd = connection(s, SIDE_SENDER, 0);
	if (fd < 0)
		_exit(2);
	for (unsigned i = 0; i < t->nwrites; i++)
		if (t->writes[i] > chunk)
			chunk = t->writes[i];
	buf = malloc(chunk);
	if (!buf)
		_exit(2);
	memset(buf, 'x', chunk);
	say(MSG_PHASE, "sender starts", 0, 0, 0);
	start = wl_mono_ns();
	if (t->nwrites) {
		for (unsigned i = 0; i < t->nwrites; i++) {
			if (timed_write(fd, buf, t->writes[i], &blocked))
				sender_failed(sent, calls, blocked);
			sent += t->writes[i];
			calls++;
			if (t->pause_us && i + 1 < t->nwrites)
				wl_sleep_ns(t->pause_us * 1000);
		}
	} else {
		while (sent < t->bytes) {
			size_t n = t->bytes - sent < chunk ? t->bytes - sent : chunk;

			if (timed_write(fd, buf, n, &blocked))
				sender_failed(sent, calls, blocked);
			sent += n;
			calls++;
			if (t->rate)	/* not ahead of the rate */
				wl_sleep_until(start + (unsigned long long)
					       ((double)sent / (double)t->rate * 1e9));
		}
	}
	say(MSG_STATS, NULL, sent, calls, blocked);
	say(MSG_PHASE, "sender done", sent, 0, 0);
	close(fd);
	_exit(0);
}

/* ------------------------------------------------------------ receiver */

static ssize_t one_read(int fd, char *buf, size_t len, enum read_call call)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);

	switch (call) {
	case CALL_RECV: return recv(fd, buf, len, 0);
	case CALL_RECVFROM: return recvfrom(fd, buf, len, 0, (struct sockaddr *)&from, &fl);
	case CALL_RECVMSG: return recvmsg(fd, &mh, 0);
	case CALL_READV: return readv(fd, &iov, 1);
	default: return read(fd, buf, len);
	}
}

/* Waits for the harness's go (the sender is done: its byte count), then
 * until that much is queued or the queue stops growing. */
static void wait_queued(int fd, int go_fd)
{
	uint64_t want = 0;
	int last = -1, q;
	unsigned stable = 0;
	char what[64];

	if (read(go_fd, &want, sizeof(want)) != sizeof(want))
		_exit(2);
	for (unsigned i = 0; i < 1000; i++) {	/* 2 s at most */
		q = wl_inq(fd);
		if (q < 0 || (uint64_t)q >= want)
			break;
		stable = q == last ? stable + 1 : 0;
		if (stable >= 50)	/* 100 ms without growth: it holds no more */
			break;
		last = q;
		wl_sleep_ns(2 * 1000 * 1000ULL);
	}
	snprintf(what, sizeof(what), "reads begin, %d bytes queued", wl_inq(fd));
	say(MSG_PHASE, what, 0, 0, 0);
}

static void receiver_main(const struct scenario *s, int go_fd)
{
	const struct receiver_spec *r = &s->receiver;
	uint64_t got = 0, calls = 0, blocked = 0, step_got = 0;
	unsigned step = 0;
	char *buf = malloc(r->buf);
	int fd;

	if (!buf)
		_exit(2);
	fd = connection(s, SIDE_RECEIVER, r->rcvbuf);
	if (fd < 0)
		_exit(2);
	if (r->start == START_AFTER_SENDER)
		wait_queued(fd, go_fd);
	for (;;) {
		unsigned long long t;
		ssize_t n;

		while (step < r->nsteps && r->steps[step].kind == STEP_STALL) {
			char what[64];

			snprintf(what, sizeof(what), "stall %llu ms begins",
				 (unsigned long long)r->steps[step].us / 1000);
			say(MSG_PHASE, what, 0, 0, 0);
			wl_sleep_ns(r->steps[step].us * 1000);
			say(MSG_PHASE, "reads resume", 0, 0, 0);
			step++;
			step_got = 0;
		}
		t = wl_mono_ns();
		n = one_read(fd, buf, r->buf, r->call);
		if (wl_mono_ns() - t > BLOCKED_NS)
			blocked += wl_mono_ns() - t;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (uint64_t)n;
		calls++;
		step_got += (uint64_t)n;
		if (step < r->nsteps && r->steps[step].bytes &&
		    step_got >= r->steps[step].bytes) {
			step++;
			step_got = 0;
			if (step == r->nsteps)
				break;	/* a schedule that ends with "read N": done */
		}
		if (r->pace_us)
			wl_sleep_ns(r->pace_us * 1000);
	}
	say(MSG_STATS, NULL, got, calls, blocked);
	say(MSG_PHASE, step == r->nsteps && r->nsteps ? "receiver done" :
	    "receiver reads EOF", got, 0, 0);
	close(fd);
	_exit(0);
}

/* ------------------------------------------------------------ parent */

void roles_init(struct roles *rs, const struct scenario *s, struct netenv *net,
		struct observation *o)
{
	memset(rs, 0, sizeof(*rs));
	rs->s = s;
	rs->net = net;
	rs->o = o;
	for (int i = 0; i < SIDE__N; i++)
		rs->r[i].msg_fd = rs->r[i].go_fd = rs->r[i].go_keep = -1;
}

static const char *side_name(enum side side)
{
	return side == SIDE_RECEIVER ? "receiver" : "sender";
}

static int start(struct roles *rs, enum side side)
{
	const char *tmpl = side == SIDE_RECEIVER ? rs->s->receiver.command
						 : rs->s->sender.command;
	struct role *ro = &rs->r[side];
	int msg[2] = { -1, -1 }, go[2] = { -1, -1 };
	char *cmd = NULL;
	pid_t pid;

	if (tmpl) {
		cmd = scenario_command(tmpl, scenario_addr(rs->s, rs->s->listener),
				       rs->s->port, rs->net->ns[side]);
		if (!cmd)
			return -ENOMEM;
		snprintf(ro->cmdline, sizeof(ro->cmdline), "%s", cmd);
	} else if (pipe2(msg, O_CLOEXEC) ||
		   (side == SIDE_RECEIVER && rs->s->receiver.start == START_AFTER_SENDER &&
		    pipe2(go, O_CLOEXEC))) {
		return -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		free(cmd);
		return -errno;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGINT, SIG_IGN);	/* the harness stops us */
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (netenv_enter(rs->net, side))
			_exit(126);
		if (cmd) {
			setpgid(0, 0);
			/* stdout is the report's (-o json): what the program
			 * prints goes to stderr, where the user still sees it.
			 * stdin: /dev/null, as its own process group is not the
			 * terminal's (a read there would stop it, SIGTTIN) */
			int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

			if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
			    dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
				_exit(126);
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		prctl(PR_SET_NAME, side == SIDE_RECEIVER ? "bs-receiver" : "bs-sender");
		out_fd = msg[1];
		if (side == SIDE_RECEIVER)
			receiver_main(rs->s, go[0]);
		sender_main(rs->s);
	}
	free(cmd);
	ro->pid = pid;
	if (!tmpl) {
		close(msg[1]);
		ro->msg_fd = msg[0];
		fcntl(ro->msg_fd, F_SETFL, O_NONBLOCK);
		/* the read end stays open here too: a write to a receiver
		 * that is gone cannot raise SIGPIPE */
		ro->go_fd = go[1];
		ro->go_keep = go[0];
	} else {
		setpgid(pid, pid);	/* both sides set it: no race */
	}
	return 0;
}

/* Messages a built-in program sent, taken. */
static void drain(struct roles *rs, enum side side)
{
	struct role *ro = &rs->r[side];
	struct msg m;

	while (ro->msg_fd >= 0 && read(ro->msg_fd, &m, sizeof(m)) == sizeof(m)) {
		struct obs_app *app = &rs->o->side[side].app;
		char what[96];

		m.what[sizeof(m.what) - 1] = 0;
		switch (m.kind) {
		case MSG_READY:
			ro->ready = true;
			break;
		case MSG_PHASE:
			snprintf(what, sizeof(what), "%s", m.what);
			if (m.bytes)
				snprintf(what, sizeof(what), "%s (%llu bytes)", m.what,
					 (unsigned long long)m.bytes);
			observe_phase(rs->o, m.t_ns, what);
			break;
		case MSG_STATS:
			app->known = true;
			app->bytes = m.bytes;
			app->calls = m.calls;
			app->blocked_ns = m.blocked_ns;
			break;
		}
	}
}

/* Is something listening on the port in the listener's namespace? The
 * anchor's /proc/PID/net/tcp (a process inside sees its namespace's). */
static bool listening(const struct roles *rs)
{
	static const char *const files[] = { "tcp", "tcp6" };
	char path[64], line[256];
	pid_t pid = rs->anchor;

	for (int i = 0; pid > 0 && i < 2; i++) {
		FILE *f;
		bool found = false;

		snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, files[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (!found && fgets(line, sizeof(line), f)) {
			unsigned port, st;
			char *colon = strchr(line, ':');

			/* "  0: 0100007F:1389 00000000:0000 0A ..." */
			colon = colon ? strchr(colon + 1, ':') : NULL;
			if (colon && sscanf(colon + 1, "%x %*s %x", &port, &st) == 2)
				found = port == rs->s->port && st == 0x0A;
		}
		fclose(f);
		if (found)
			return true;
	}
	return false;
}

static void reap(struct roles *rs, bool wait)
{
	for (int side = 0; side < SIDE__N; side++) {
		struct role *ro = &rs->r[side];
		int status;
		pid_t got;

		if (ro->pid <= 0 || ro->exited)
			continue;
		got = waitpid(ro->pid, &status, wait ? 0 : WNOHANG);
		if (got != ro->pid)
			continue;
		drain(rs, side);
		ro->exited = true;
		ro->status = status;
		rs->o->side[side].app.exit_status = WIFEXITED(status) ?
			WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (!rs->o->side[side].app.known || ro->cmdline[0]) {
			char what[64];

			snprintf(what, sizeof(what), "%s exits (%s %d)", side_name(side),
				 WIFEXITED(status) ? "status" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			observe_phase(rs->o, wl_mono_ns(), what);
		}
	}
}

/* The anchor: a child that only waits, in the side's namespace. */
static pid_t anchor_start(const struct netenv *net, enum side side)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_IGN);
	if (netenv_enter(net, side))
		_exit(126);
	prctl(PR_SET_NAME, "bs-anchor");
	for (;;)
		pause();
}

/* The listener's command ended at once (a shell that started a daemon, its
 * status 0): something it left behind may still come to listen. */
static bool may_still_listen(const struct role *ro)
{
	return ro->cmdline[0] && ro->exited && WIFEXITED(ro->status) &&
	       !WEXITSTATUS(ro->status);
}

int roles_start(void *ctx)
{
	struct roles *rs = ctx;
	enum side first = rs->s->listener, second = first == SIDE_RECEIVER ?
					     SIDE_SENDER : SIDE_RECEIVER;
	unsigned long long until;
	int err;

	rs->o->t0_ns = wl_mono_ns();
	rs->o->cpu0_us = observe_cpu_us();
	if ((first == SIDE_RECEIVER ? rs->s->receiver.command : rs->s->sender.command) &&
	    (rs->anchor = anchor_start(rs->net, first)) < 0) {
		rs->anchor = 0;
		snprintf(rs->err, sizeof(rs->err), "cannot fork: %s", strerror(errno));
		return 2;
	}
	err = start(rs, first);
	if (err) {
		snprintf(rs->err, sizeof(rs->err), "cannot start the %s: %s",
			 side_name(first), strerror(-err));
		return 2;
	}
	until = wl_mono_ns() + LISTEN_WAIT_NS;
	while (!rs->r[first].ready && wl_mono_ns() < until) {
		drain(rs, first);
		if (rs->r[first].cmdline[0] && listening(rs))
			rs->r[first].ready = true;
		reap(rs, false);
		if (rs->r[first].exited && !may_still_listen(&rs->r[first]))
			break;
		if (!rs->r[first].ready)
			wl_sleep_ns(2 * 1000 * 1000ULL);
	}
	if (!rs->r[first].ready) {
		const struct role *ro = &rs->r[first];

		snprintf(rs->err, sizeof(rs->err), "the %s %s on port %u %s",
			 side_name(first), ro->cmdline[0] ? "command never "
			 "listened" : "could not listen", rs->s->port,
			 may_still_listen(ro) ? "within 5 s (it exited 0, and nothing "
			 "it left running listened)" : ro->exited ? "(it exited)" :
			 "within 5 s");
		return 2;
	}
	observe_phase(rs->o, wl_mono_ns(), first == SIDE_RECEIVER ?
		      "receiver listens" : "sender listens");
	/* a built-in sender waits by itself */
	if (second == SIDE_SENDER && rs->s->sender.command && rs->s->sender.start_us)
		wl_sleep_ns(rs->s->sender.start_us * 1000);
	err = start(rs, second);
	if (err) {
		snprintf(rs->err, sizeof(rs->err), "cannot start the %s: %s",
			 side_name(second), strerror(-err));
		return 2;
	}
	return 0;
}

/* The path's changes that are due (the tick comes every 100 ms at most). */
static void path_changes(struct roles *rs)
{
	uint64_t elapsed_us = (wl_mono_ns() - rs->o->t0_ns) / 1000;

	while (rs->changes_done < rs->s->nchanges &&
	       rs->s->changes[rs->changes_done].at_us <= elapsed_us) {
		char what[384], phase[sizeof(rs->o->phases[0].what)];
		/* the phase begins as `tc` is started: the new qdisc is in place
		 * some milliseconds before `tc` has exited */
		uint64_t begun = wl_mono_ns();

		netenv_change(rs->net, rs->s, rs->changes_done, what, sizeof(what));
		snprintf(phase, sizeof(phase), "path: %.150s", what[0] ? what : "unchanged");
		observe_phase(rs->o, begun, phase);
		rs->changes_done++;
	}
}

void roles_tick(void *ctx, struct engine *e)
{
	struct roles *rs = ctx;
	struct role *tx = &rs->r[SIDE_SENDER], *rx = &rs->r[SIDE_RECEIVER];

	path_changes(rs);
	for (int side = 0; side < SIDE__N; side++)
		drain(rs, side);
	reap(rs, false);
	/* the receiver that reads once everything is queued: go */
	if (!rs->go_sent && rx->go_fd >= 0 && tx->exited) {
		uint64_t bytes = rs->o->side[SIDE_SENDER].app.bytes;

		if (write(rx->go_fd, &bytes, sizeof(bytes)) == sizeof(bytes) ||
		    errno != EINTR)
			rs->go_sent = true;
	}
	if (rs->s->end == SIDE__N ? tx->exited && rx->exited : rs->r[rs->s->end].exited) {
		rs->done = true;
		engine_stop(e);
	}
}

void roles_stop(struct roles *rs)
{
	unsigned long long until = wl_mono_ns() + 300 * 1000 * 1000ULL;

	for (int side = 0; side < SIDE__N; side++) {
		struct role *ro = &rs->r[side];

		if (ro->pid > 0 && !ro->exited)
			kill(ro->cmdline[0] ? -ro->pid : ro->pid, SIGTERM);
	}
	while (wl_mono_ns() < until) {
		reap(rs, false);
		if ((rs->r[0].pid <= 0 || rs->r[0].exited) &&
		    (rs->r[1].pid <= 0 || rs->r[1].exited))
			break;
		wl_sleep_ns(5 * 1000 * 1000ULL);
	}
	for (int side = 0; side < SIDE__N; side++) {
		struct role *ro = &rs->r[side];

		if (ro->pid > 0 && !ro->exited) {
			kill(ro->cmdline[0] ? -ro->pid : ro->pid, SIGKILL);
			kill(ro->pid, SIGKILL);
		}
	}
	reap(rs, true);
	if (rs->anchor > 0) {
		kill(rs->anchor, SIGKILL);
		waitpid(rs->anchor, NULL, 0);
		rs->anchor = 0;
	}
	for (int side = 0; side < SIDE__N; side++) {
		struct role *ro = &rs->r[side];

		drain(rs, side);
		if (ro->msg_fd >= 0)
			close(ro->msg_fd);
		if (ro->go_fd >= 0)
			close(ro->go_fd);
		if (ro->go_keep >= 0)
			close(ro->go_keep);
		ro->msg_fd = ro->go_fd = ro->go_keep = -1;
	}
}
