// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's loop: epoll over the ring buffer, the pass timer and the
 * descriptors commands add; the passes (socket walks, folds, drops, owners);
 * and the sinks, called in order.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "util/array.h"
#include "engine/engine.h"
#include "kernel/cgroups.h"
#include "kernel/filter_hint.h"
#include "util/log.h"
#include "kernel/netns.h"
#include "util/output.h"
#include "kernel/owners.h"

/* The loop wakes at least this often: records are mostly submitted without
 * a wakeup, and the stop flag and standard output are looked at. */
#define POLL_SLICE_MS 100
#define MAX_EVENTS 8
/* Without intervals (trace, hist without -i), passes still run this often,
 * unseen by the sinks: closed sockets leave the model (it stays bounded)
 * and the kernel's per-socket drop counts and close folds are read before
 * their maps fill. */
#define HOUSEKEEPING_S 1.0

static volatile sig_atomic_t stop_signal;

/*
 * The first signal asks for the summary; a second one ends bufscope at once,
 * by that signal (a run blocked writing to a reader that never reads again
 * can still be stopped).
 */
static void on_signal(int sig)
{
	if (stop_signal) {
		signal(sig, SIG_DFL);
		raise(sig);	/* delivered when the handler returns */
		return;
	}
	stop_signal = sig;
}

/*
 * SIGINT, SIGTERM and SIGHUP (a closed terminal or a service manager's
 * reload) end the run with its summary. SA_RESTART: a write blocked on a slow
 * reader goes on after the handler (a line cut there would be spliced with
 * the next); poll() and epoll_wait() still return EINTR, and the loop looks
 * at the flag at least every POLL_SLICE_MS anyway.
 */
static int install_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct engine {
	const struct engine_config *cfg;
	struct sink *sinks;
	size_t nsinks;
	struct collector *col;
	struct model model;
	struct owners owners;
	struct losses pass_losses;	/* as the last pass read them */
	/* Cookies of per-reason drop counts with no socket in the model, at
	 * the last drop scan [0] and this one [1] (see on_drops). */
	uint64_t *unknown[2];
	size_t nunknown[2], capunknown[2];
	uint64_t passes;
	bool final;		/* the last pass walks everything */
	bool hinted;		/* the filter hint was considered */
	bool stop;		/* a sink asked for the end (engine_stop) */
	double start;		/* CLOCK_MONOTONIC seconds at the start */
	double last_pass;	/* ... at the last pass */
	struct netns_set netns;
	struct cgroups *cgroups;	/* readers' cgroup ids to paths */
	char cgroup_rel[4096];		/* --cgroup below the cgroup2 root */
	int epfd, timerfd;
	/* passes asked for by another thread (engine_request_pass): how many
	 * so far, and how many of them the last pass began after */
	int request_fd;
	uint64_t requests, requests_served;
	size_t started;		/* sinks whose on_start was called */
	int err;		/* a sink failed: -errno */
	int out_err;		/* standard output failed: this errno */
};

/*
 * The whole socket table (every namespace) is walked this often, to find
 * sockets with bytes waiting that had no event (a stalled reader); the passes
 * between walk only sockets bufscope already tracks. Namespaces, which come
 * and go with containers, are looked for again at the same pace.
 */
#define FULL_WALK_PASSES 5

/* A socket /proc could not place is looked for again only this often. */
#define OWNER_RETRY_PASSES 8

static bool is_flow(uint32_t kind)
{
	return kind == BS_REC_ZW_START || kind == BS_REC_ZW_END ||
	       kind == BS_REC_DROP || kind == BS_REC_RCVBUF ||
	       kind == BS_REC_ZW_PROBE;
}

static void to_sinks(struct engine *s, const struct engine_record *r)
{
	for (size_t i = 0; i < s->nsinks; i++)
		if (s->sinks[i].on_record)
			s->sinks[i].on_record(s->sinks[i].ctx, s, r);
}

/* The model takes the record first; then the sinks see it. */
static int on_record(void *ctx, const void *data, size_t size)
{
	struct engine *s = ctx;
	const struct bs_sock_rec *sr = data;
	const uint32_t kind = *(const uint32_t *)data;
	struct engine_record r = { .kind = kind, .visible = true };
	int err;

	if (kind == BS_REC_READ && size >= sizeof(struct bs_read_rec)) {
		r.read = data;
		to_sinks(s, &r);
		return 0;
	}
	if (is_flow(kind) && size >= sizeof(struct bs_flow_rec)) {
		r.flow = data;
		err = model_apply_flow(&s->model, r.flow);
		if (err)
			return err;
		r.sock = model_find(&s->model, r.flow->cookie);
		r.visible = !r.sock || model_visible(&s->model, r.sock);
		to_sinks(s, &r);
		return 0;
	}
	if (kind == BS_REC_ALIVE && size >= sizeof(struct bs_alive_rec)) {
		model_alive(&s->model, ((const struct bs_alive_rec *)data)->cookie);
		return 0;
	}
	if (size < (kind == BS_REC_SAMPLE ? BS_SAMPLE_SIZE : sizeof(*sr)))
		return 0;
	err = model_apply(&s->model, sr);
	if (err)
		return err;
	if (kind == BS_REC_CLOSE) {
		r.sock = model_find(&s->model, sr->cookie);
		if (r.sock) {
			r.visible = model_visible(&s->model, r.sock);
			to_sinks(s, &r);
		}
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * A socket with state is in the model after the pass that follows its first
 * event; one still unknown at two drop scans in a row is gone without ever
 * being reported (its close folded, or another reader's): its counts can go.
 */
static bool unknown_twice(struct engine *s, uint64_t cookie)
{
	if (s->nunknown[0] &&
	    bsearch(&cookie, s->unknown[0], s->nunknown[0], sizeof(cookie), cmp_u64))
		return true;
	if (!array_reserve(&s->unknown[1], &s->capunknown[1], s->nunknown[1],
			   sizeof(cookie), 64))
		s->unknown[1][s->nunknown[1]++] = cookie;
	return false;
}

/* This scan's unknown cookies become the last scan's. */
static void unknown_rotate(struct engine *s)
{
	uint64_t *p = s->unknown[0];
	size_t cap = s->capunknown[0];

	if (s->nunknown[1] > 1)	/* (qsort's array may not be NULL, even empty) */
		qsort(s->unknown[1], s->nunknown[1], sizeof(uint64_t), cmp_u64);
	s->unknown[0] = s->unknown[1];
	s->capunknown[0] = s->capunknown[1];
	s->nunknown[0] = s->nunknown[1];
	s->unknown[1] = p;
	s->capunknown[1] = cap;
	s->nunknown[1] = 0;
}

/*
 * Per-reason drop totals; the entries of a socket that nothing will update
 * again are then forgotten, so that the kernel's map does not fill: closed
 * with its record, gone without it (its close folded), or never reported.
 */
static bool on_drops(void *ctx, uint64_t cookie, uint32_t reason, uint64_t total)
{
	struct engine *s = ctx;
	const struct sock_entry *e = model_find(&s->model, cookie);

	if (!e)
		return unknown_twice(s, cookie);
	model_set_drops(&s->model, cookie, reason, total);
	return e->destroyed || e->vanished;
}

/* One reader's folded closes: cumulative totals for its folded entry. */
static int on_fold(void *ctx, const struct bs_fold_key *key, bool unowned,
		   const struct bs_fold *f)
{
	struct engine *s = ctx;

	return model_apply_fold(&s->model, key, unowned, f);
}

/* A folded close that its socket's row must count (see model_close_owner). */
static void on_close_owner(void *ctx, uint64_t cookie, const struct bs_close_owner *o)
{
	struct engine *s = ctx;

	model_close_owner(&s->model, cookie, &o->reader, o->counted);
}

/*
 * A socket nobody read, placed by /proc: its holder's cgroup as it is now,
 * for `cgroup` and for --cgroup (the kernel saw no task of it to ask).
 */
static void note_holder_cgroup(struct engine *s, struct sock_entry *e)
{
	char rel[4096];

	if (e->owner != OWNER_FD || cgroup_of_pid("/proc", e->pid, rel, sizeof(rel)))
		return;
	e->cgroup_id = cgroups_id(s->cgroups, rel);
	e->holder_in_cgroup = s->cgroup_rel[0] && cgroup_path_under(rel, s->cgroup_rel);
}

/*
 * Sockets nobody read from while we watched: find their holder in /proc.
 * A full scan costs time on a busy host, so it runs only for a socket not yet
 * looked for, or every few passes while one stays unplaced.
 */
static void resolve_owners(struct engine *s)
{
	bool scan = false;

	for (size_t i = 0; i < s->model.n && !scan; i++) {
		const struct sock_entry *e = &s->model.socks[i];

		if (e->owner == OWNER_UNKNOWN && e->active && !e->closed && e->inode)
			scan = !e->owner_misses || s->passes % OWNER_RETRY_PASSES == 0;
	}
	if (!scan)
		return;
	int err = owners_scan(&s->owners, s->cfg->kernel.pids, s->cfg->kernel.npids);

	if (err)
		log_debug("scanning /proc for socket owners: %s", strerror(-err));
	for (size_t i = 0; i < s->model.n; i++) {
		struct sock_entry *e = &s->model.socks[i];
		const struct owner_ent *o;

		if (e->owner != OWNER_UNKNOWN || !e->active || e->closed || !e->inode)
			continue;
		o = owners_lookup(&s->owners, e->inode);
		if (o) {
			model_set_owner(e, o->pid, o->comm);
			note_holder_cgroup(s, e);
		} else
			e->owner_misses++;
	}
}

/* Everything the kernel has now: pending records, then every socket. */
static int take_pass(struct engine *s)
{
	int err = collector_poll(s->col, 0, on_record, s);

	if (err && err != -EINTR)
		return err;
	bool walk_due = s->passes % FULL_WALK_PASSES == 0;
	bool full = walk_due || s->final;

	if (walk_due) {	/* the namespaces a full walk will visit */
		int n = netns_refresh(&s->netns, s->cfg->kernel.pids, s->cfg->kernel.npids);

		if (n < 0)
			log_debug("looking for network namespaces: %s", strerror(-n));
	}
	model_begin_pass(&s->model);
	cgroups_new_pass(s->cgroups);
	/* the last pass sends whole records: the summary's histograms */
	err = collector_scan(s->col, &s->netns, full, s->final, on_record, s);
	if (err)
		return err;
	model_end_pass(&s->model);
	/* closes during the walk: records, or else folds, both read after it
	 * (the last pass's are otherwise never read) */
	err = collector_poll(s->col, 0, on_record, s);
	if (err && err != -EINTR)
		return err;
	/* before the folds: each close counted has been folded by then, so
	 * the folds read next hold at least the closes counted */
	collector_losses(s->col, &s->pass_losses);
	err = collector_scan_folds(s->col, on_fold, s);
	if (err)
		return err;
	collector_scan_close_owners(s->col, on_close_owner, s);
	err = collector_scan_drops(s->col, on_drops, s);
	if (err)
		return err;
	collector_sweep_calls(s->col, s->final);
	unknown_rotate(s);
	s->passes++;
	resolve_owners(s);
	return 0;
}

/* A filter's processes get this long to read before the hint. */
#define HINT_AFTER_S 5.0

/*
 * -p/-c selected processes that hold TCP sockets but have not read from one
 * (nginx's master, not its workers): say so, once, on stderr; after a few
 * seconds of the run, or at its end; only at the end when the table is
 * redrawn on the terminal, which would clear it at once.
 */
static void filter_hint(struct engine *s, bool at_end)
{
	const struct collector_config *k = &s->cfg->kernel;
	struct filter_census c;
	char text[512];

	if (s->hinted || (!k->npids && !k->comm))
		return;
	if (model_any_read(&s->model)) {
		s->hinted = true;	/* a selected process reads: nothing to say */
		return;
	}
	if (!at_end && (s->cfg->hint_at_end || now_s() - s->start < HINT_AFTER_S))
		return;
	s->hinted = true;
	if (filter_census("/proc", k->pids, k->npids, k->comm, &c)) {
		log_debug("looking in /proc for the filter's processes failed");
		return;
	}
	if (filter_hint_text(&c, k->pids, k->npids, k->comm, text, sizeof(text)))
		log_info("hint: %s", text);
}

void engine_losses(const struct engine *s, bool as_of_pass, struct losses *out)
{
	if (as_of_pass)
		*out = s->pass_losses;
	else
		collector_losses(s->col, out);
}

struct model *engine_model(struct engine *s)
{
	return &s->model;
}

struct cgroups *engine_cgroups(struct engine *s)
{
	return s->cgroups;
}

const struct hook_status *engine_hooks(const struct engine *s)
{
	return collector_hooks(s->col);
}

const struct drop_reasons *engine_drop_reasons(const struct engine *s)
{
	return collector_drop_reasons(s->col);
}

static void engine_fail(struct engine *s, int err)
{
	if (!s->err)
		s->err = err;
}

static void model_filter_from(struct model_filter *f, const struct collector_config *k)
{
	memcpy(f->pids, k->pids, k->npids * sizeof(*k->pids));
	f->npids = k->npids;
	if (k->comm)
		snprintf(f->comm, sizeof(f->comm), "%s", k->comm);
	f->has_comm = k->comm != NULL;
	f->has_cgroup = k->cgroup_dir != NULL;
}

/*
 * A failed write, or a reader of standard output that went away (found
 * without writing: a trace with nothing to say still ends promptly), ends
 * the run: nothing more can be delivered.
 */
static bool output_lost(struct engine *s)
{
	if (!output_closed())
		return false;
	s->out_err = output_error();
	return true;
}

/* Pending ring-buffer records, then the sinks' tick. */
static int drain(struct engine *s)
{
	int err = collector_poll(s->col, 0, on_record, s);

	if (err && err != -EINTR)
		return err;
	for (size_t i = 0; i < s->nsinks; i++)
		if (s->sinks[i].on_tick)
			s->sinks[i].on_tick(s->sinks[i].ctx, s);
	return 0;
}

static int pass_sinks(struct engine *s, double elapsed, bool last)
{
	if (!last && s->cfg->interval_s <= 0)
		return 0;	/* a housekeeping pass */
	for (size_t i = 0; i < s->nsinks && !s->err; i++) {
		struct sink *k = &s->sinks[i];
		int err = last ? (k->on_finish ? k->on_finish(k->ctx, s, elapsed) : 0)
			       : (k->on_pass ? k->on_pass(k->ctx, s, elapsed) : 0);

		if (err)
			engine_fail(s, err);
	}
	filter_hint(s, last);
	return s->err;
}

/* The pass timer: every interval (or HOUSEKEEPING_S) from now on. */
static int arm_timer(struct engine *s)
{
	double iv = s->cfg->interval_s > 0 ? s->cfg->interval_s : HOUSEKEEPING_S;
	struct itimerspec its = { 0 };
	struct epoll_event ev = { .events = EPOLLIN };

	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timerfd < 0)
		return -errno;
	its.it_interval.tv_sec = (time_t)iv;
	its.it_interval.tv_nsec = (long)((iv - (double)(time_t)iv) * 1e9);
	its.it_value = its.it_interval;
	ev.data.fd = s->timerfd;
	if (timerfd_settime(s->timerfd, 0, &its, NULL) ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->timerfd, &ev))
		return -errno;
	return 0;
}

size_t engine_map_usage(const struct engine *e, struct map_usage *out, size_t max)
{
	return collector_map_usage(e->col, out, max);
}

uint64_t engine_request_pass(struct engine *e)
{
	uint64_t one = 1;
	uint64_t ticket = __atomic_add_fetch(&e->requests, 1, __ATOMIC_SEQ_CST);

	if (write(e->request_fd, &one, sizeof(one)) != sizeof(one))
		log_debug("asking for a pass: %s", strerror(errno));
	return ticket;
}

uint64_t engine_requests_served(const struct engine *e)
{
	return e->requests_served;
}

/* Did the eventfd or timerfd fd count anything since it was last read (a
 * pass another thread asked for, the pass timer's expiries)? Reading resets it. */
static bool fd_fired(int fd)
{
	uint64_t n = 0;

	return fd >= 0 && read(fd, &n, sizeof(n)) == sizeof(n) && n;
}

/*
 * Until the duration ends, a signal stops the run, or standard output is
 * lost: wait, drain the ring buffer, and take a pass when the timer says.
 */
static int run_loop(struct engine *s)
{
	double end = s->cfg->duration_s > 0 ? s->start + s->cfg->duration_s : 0;
	struct epoll_event evs[MAX_EVENTS];
	int err;

	while (!stop_signal && !s->stop && !output_lost(s)) {
		const double slice = POLL_SLICE_MS / 1000.0;
		double left = end ? end - now_s() : slice;

		if (end && left <= 0)
			break;
		if (epoll_wait(s->epfd, evs, MAX_EVENTS,
			       (int)((left < slice ? left : slice) * 1000) + 1) < 0 &&
		    errno != EINTR)
			return -errno;
		err = drain(s);
		if (err)
			return err;
		/* both read, so neither counts again next time */
		bool requested = fd_fired(s->request_fd);

		if (fd_fired(s->timerfd) || requested) {
			double t = now_s();
			/* the requests this pass answers: those made before it */
			uint64_t asked = __atomic_load_n(&s->requests, __ATOMIC_SEQ_CST);

			/* the end is this close: its last pass ends the interval */
			if (end && end - t < slice)
				break;
			err = take_pass(s);
			s->requests_served = asked;
			if (err)
				return err;
			if (pass_sinks(s, t - s->last_pass, false))
				return 0;
			s->last_pass = t;
		}
	}
	return 0;
}

void engine_stop(struct engine *e)
{
	e->stop = true;
}

bool engine_interrupted(void)
{
	return stop_signal != 0;
}

static int engine_open(struct engine *s)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	if (collector_open(&s->col, &s->cfg->kernel))
		return -EINVAL;
	err = model_init(&s->model);
	if (err)
		return err;
	model_filter_from(&s->model.filter, &s->cfg->kernel);
	s->model.reasons = collector_drop_reasons(s->col);	/* lost or expected */
	owners_init(&s->owners, "/proc");
	s->cgroups = cgroups_open(NULL);
	if (!s->cgroups)
		return -ENOMEM;
	if (s->cfg->kernel.cgroup_dir) {
		err = cgroups_rel_of_dir(s->cgroups, s->cfg->kernel.cgroup_dir,
					 s->cgroup_rel, sizeof(s->cgroup_rel));
		if (err)
			return err;
	}
	if (netns_init(&s->netns, "/proc", "/run/netns"))
		log_warn("cannot read /proc/self/ns/net: other namespaces not scanned");
	if (s->cfg->kernel.nnetns)	/* the others hold no socket of ours */
		netns_limit(&s->netns, s->cfg->kernel.netns, s->cfg->kernel.nnetns);
	collector_prime(s->col, &s->netns);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	ev.data.fd = collector_fd(s->col);
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	s->request_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev.data.fd = s->request_fd;
	if (s->request_fd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->request_fd, &ev))
		return -errno;
	return 0;
}

static void engine_close(struct engine *s)
{
	free(s->unknown[0]);
	free(s->unknown[1]);
	owners_free(&s->owners);
	cgroups_free(s->cgroups);
	netns_free(&s->netns);
	model_free(&s->model);
	if (s->timerfd >= 0)
		close(s->timerfd);
	if (s->request_fd >= 0)
		close(s->request_fd);
	if (s->epfd >= 0)
		close(s->epfd);
	collector_close(s->col);
}

static int start_sinks(struct engine *s)
{
	for (size_t i = 0; i < s->nsinks; i++) {
		s->started++;
		if (s->sinks[i].on_start && s->sinks[i].on_start(s->sinks[i].ctx, s))
			return -1;
	}
	return 0;
}

/* Whatever ended the run: the sinks that started let go of the engine. */
static void stop_sinks(struct engine *s)
{
	for (size_t i = 0; i < s->started; i++)
		if (s->sinks[i].on_stop)
			s->sinks[i].on_stop(s->sinks[i].ctx);
}

/*
 * The last pass walks everything and sends whole records; with passes every
 * interval, it ends the last (short) interval too; then the end.
 */
static int finish(struct engine *s)
{
	double t = now_s();	/* the end, as run_loop times its passes */
	int err;

	s->final = true;
	/* the pass reads what the ring buffer holds first; the sinks' last
	 * tick is theirs to take at on_finish (trace's losses) */
	err = take_pass(s);
	if (err)
		return err;
	if (s->cfg->interval_s > 0 && pass_sinks(s, t - s->last_pass, false))
		return 0;
	pass_sinks(s, t - s->start, true);
	return 0;
}

int engine_run(const struct engine_config *cfg, struct sink *sinks, size_t nsinks)
{
	struct engine s = { .cfg = cfg, .sinks = sinks, .nsinks = nsinks,
			    .epfd = -1, .timerfd = -1, .request_fd = -1 };
	char desc[256];
	int err, status = 1;

	if (collector_check_privileges() || install_signals())
		return 1;
	err = engine_open(&s);
	if (err) {
		if (err != -EINVAL)	/* otherwise the collector said why */
			log_error(NULL, "cannot set up the run: %s", strerror(-err));
		goto out;
	}
	hooks_describe(collector_hooks(s.col), desc, sizeof(desc));
	log_info("ready: attached %s", desc);
	fflush(stderr);
	if (cfg->on_ready && (status = cfg->on_ready(cfg->ready_ctx)))
		goto out;
	status = 1;
	if (start_sinks(&s))
		goto out;
	s.start = s.last_pass = now_s();
	err = arm_timer(&s);	/* intervals count from here */
	if (!err)
		err = run_loop(&s);
	if (!err && !s.err && !s.out_err)
		err = finish(&s);
	output_lost(&s);
	if (err) {
		log_error("-v shows more", "collection failed: %s", strerror(-err));
		goto out;
	}
	if (s.out_err) {
		log_output_error(s.out_err);
		goto out;
	}
	if (s.err) {
		log_error("-v shows more", "the run failed: %s", strerror(-s.err));
		goto out;
	}
	status = 0;
out:
	stop_sinks(&s);
	engine_close(&s);
	return status;
}
