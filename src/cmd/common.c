// SPDX-License-Identifier: GPL-2.0
/* What the commands share: the table, and the options turned into configs. */
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "util/log.h"

const struct cmd *const commands[CMD__COUNT] = {
	[CMD_TOP] = &cmd_top,
	[CMD_TRACE] = &cmd_trace,
	[CMD_HIST] = &cmd_hist,
	[CMD_DEMO] = &cmd_demo,
	[CMD_VALIDATE] = &cmd_validate,
	[CMD_SERVE] = &cmd_serve,
};

void cmd_engine_config(const struct options *opt, struct engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kernel.pids = opt->pids;
	cfg->kernel.npids = opt->npids;
	cfg->kernel.comm = opt->has_comm ? opt->comm : NULL;
	cfg->kernel.port = opt->port;
	cfg->kernel.cgroup_dir = opt->cgroup ? opt->cgroup_dir : NULL;
	memcpy(cfg->kernel.netns, opt->netns, sizeof(cfg->kernel.netns));
	cfg->kernel.nnetns = opt->nnetns;
	cfg->kernel.attach = opt->attach;
	cfg->interval_s = opt->interval_s;
	cfg->duration_s = opt->duration_s;
}

void cmd_render_config(const struct options *opt, struct render_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ops = opt->output == OUT_JSON ? &render_json_ops : &render_table_ops;
	cfg->command = commands[opt->cmd]->name;
	cfg->by = opt->by;
	cfg->rows = opt->rows;
	cfg->wide = opt->wide;
	cfg->verbose = opt->verbose;
}

size_t cmd_rows_ordered(const struct options *opt)
{
	return opt->output == OUT_TABLE && opt->by != BY_PROCESS ? opt->rows : 0;
}

void cmd_render_open(struct render *r, const struct options *opt, struct engine *e)
{
	struct render_config rc;

	cmd_render_config(opt, &rc);
	render_init(r, stdout, &rc, engine_hooks(e));
	r->model = engine_model(e);
	r->reasons = engine_drop_reasons(e);
	r->cgroups = engine_cgroups(e);
}

int cmd_frame(struct frame *f, struct engine *e, struct frame_mark *mk,
	      double elapsed_s)
{
	struct losses now;

	engine_losses(e, true, &now);
	return mk ? view_frame_interval(f, engine_model(e), mk, &now, elapsed_s)
		  : view_frame_summary(f, engine_model(e), &now, elapsed_s);
}

int cmd_summary(struct render *r, const struct options *opt, struct engine *e,
		double elapsed_s)
{
	struct frame f;
	int err = cmd_frame(&f, e, NULL, elapsed_s);

	if (err)
		return err;
	view_frame_order(&f, opt->sort, cmd_rows_ordered(opt));
	render_summary(r, &f);
	view_frame_free(&f);
	return 0;
}

int cmd_cursor_check(int cursor)
{
	if (cursor >= 0)
		return 0;
	log_error(NULL, "the model has no cursor left (at most %d consumers)",
		  MODEL_CURSORS);
	return -1;
}
