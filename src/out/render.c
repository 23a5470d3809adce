// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "kernel/cgroups.h"
#include "out/render.h"

#define DEFAULT_TERM_WIDTH 80
#define MAX_WIDTH 100000

/* The descriptor behind a stream: standard output is a stream of bufscope's
 * own over descriptor 1 (output.c), which has no descriptor of its own. */
static int stream_fd(FILE *f)
{
	int fd = fileno(f);

	return fd >= 0 || f != stdout ? fd : STDOUT_FILENO;
}

void render_init(struct render *r, FILE *out, const struct render_config *cfg,
		 const struct hook_status *hooks)
{
	r->out = out;
	r->cfg = *cfg;
	r->hooks = hooks;
	r->tty = isatty(stream_fd(out));
	r->redraw = cfg->ops->redraws && r->tty;
	jw_init(&r->jw, out);
	wallclock_init(&r->clock);
}

/* $COLUMNS as a width, 0 when unset or not a number from 1 up */
static unsigned columns_value(const char *env)
{
	char *end;
	long v;

	if (!env || !*env)
		return 0;
	v = strtol(env, &end, 10);
	return *end || v < 1 || v > MAX_WIDTH ? 0 : (unsigned)v;
}

unsigned render_fit_width(bool wide, bool tty, unsigned winsize_cols,
			  const char *columns_env)
{
	unsigned env = columns_value(columns_env);

	if (wide)
		return 0;
	if (!tty)
		return env;
	if (winsize_cols)
		return winsize_cols;
	return env ? env : DEFAULT_TERM_WIDTH;
}

unsigned render_width(const struct render *r)
{
	struct winsize ws = { 0 };

	if (r->tty && ioctl(stream_fd(r->out), TIOCGWINSZ, &ws))
		ws.ws_col = 0;
	return render_fit_width(r->cfg.wide, r->tty, ws.ws_col, getenv("COLUMNS"));
}

const char *render_cgroup_of(const struct render *r, uint64_t id)
{
	return cgroups_path(r->cgroups, id);
}

const char *render_container_of(const struct render *r, uint64_t id)
{
	return cgroups_container(r->cgroups, id);
}

bool render_hook_on(const struct render *r, enum hook_id id)
{
	return !r->hooks || r->hooks[id].attached;
}

void render_interval(struct render *r, const struct frame *f)
{
	r->cfg.ops->interval(r, f);
	fflush(r->out);
}

void render_summary(struct render *r, const struct frame *f)
{
	r->cfg.ops->summary(r, f);
	fflush(r->out);
}

void render_trace_header(struct render *r)
{
	if (r->cfg.ops->trace_header)
		r->cfg.ops->trace_header(r);
}

void render_read(struct render *r, const struct bs_read_rec *rec)
{
	r->cfg.ops->read(r, rec);
}

void render_close(struct render *r, const struct sock_entry *s)
{
	r->cfg.ops->close(r, s);
}

void render_flow(struct render *r, const struct bs_flow_rec *rec)
{
	r->cfg.ops->flow(r, rec);
}

void render_lost(struct render *r, const struct losses *d)
{
	r->cfg.ops->lost(r, d);
}

void render_sock_now(const struct sock_entry *s, struct sock_now *n)
{
	memset(n, 0, sizeof(*n));
	if (s->closed)
		return;
	n->queue_bytes = s->queue_bytes;
	n->rmem_alloc = s->rmem_alloc;
	n->rcv_wnd = s->rcv_wnd;
	n->peer_rcv_wnd = s->snd_wnd;
	n->send_queue = s->send_queue;
}

void render_hist(struct render *r, const struct hist_frame *hf)
{
	r->cfg.ops->hist(r, hf);
	fflush(r->out);
}

const char *render_episode_owner(const struct render *r, const struct episode *e,
				 const struct sock_entry **owner)
{
	const struct sock_entry *s = model_find(r->model, e->cookie);

	*owner = NULL;
	if (s && e->dir == BS_ZW_RECV)
		s = model_peer(r->model, s);	/* the peer reads, or fails to */
	if (!s)
		return e->dir == BS_ZW_RECV ? "remote" : "unknown";
	if (s->owner == OWNER_UNKNOWN)
		return "unknown";
	*owner = s;
	return s->owner == OWNER_READER ? "reader" :
	       s->owner == OWNER_CLOSER ? "closer" : "fd";
}
