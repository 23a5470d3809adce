// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON and table writers (out/, util/json.c) fed what processes and
 * the kernel control: the input gives three sockets' records (endpoints,
 * reader's pid and name, counters), a read record, a flow record, drop
 * counts and losses, then strings, numbers and nesting for the JSON writer
 * itself. Everything is rendered by both backends into memory: every JSON
 * line must parse (a strict checker here, RFC 8259 with valid UTF-8), and
 * the table must hold no control byte but newlines (no ESC, CR, DEL, C1).
 * Drop reason names come from a BTF with an escape sequence in one.
 */
#define FUZZ_REASONS
#include "out/render.h"
#include "fuzzlib.h"

#define NSOCKS 3

static struct drop_reasons reasons;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* a BUFSCOPE_BTF file may name them anyhow */
	static const char *const names[] = { "SKB_DROP_REASON_NOT_SPECIFIED",
		"SKB_DROP_REASON_TCP_OLD_SEQUENCE", "SKB_DROP_REASON_\x1b[2J\"\\\xc2\x9b" };

	(void)argc, (void)argv;
	fuzz_reasons(&reasons, names, 3);
	return 0;
}

/* Socket i from the input: its sample part (endpoints, reader, counters),
 * made a connection with state so that the model keeps it. */
static void feed_socket(struct model *m, struct fuzz_input *in, unsigned i, bool close)
{
	struct bs_sock_rec *rec = malloc(sizeof(*rec));

	FUZZ_CHECK(rec);
	fuzz_bytes(in, rec, BS_SAMPLE_SIZE);
	memset((char *)rec + BS_SAMPLE_SIZE, 0, sizeof(*rec) - BS_SAMPLE_SIZE);
	rec->kind = close ? BS_REC_CLOSE : BS_REC_SOCK;
	rec->cookie = 1 + i;
	rec->flags |= BS_SF_HAS_STATE;
	rec->ep.dport |= 1;
	rec->state.hist[BS_HIST_RET][rec->state.c.reads % BS_HIST_SLOTS] = rec->state.c.reads;
	(void)model_apply(m, rec);
	model_set_drops(m, 1 + i, fuzz_byte(in) % 6, fuzz_byte(in));
	free(rec);
}

struct world {
	struct model m;
	struct bs_read_rec rd;
	struct bs_flow_rec fl;
	struct losses lost;
	uint8_t flags;
};

static void render_all(struct world *w, const struct render_ops *ops, FILE *f)
{
	struct hook_status hooks[HOOK__COUNT];
	struct render_config cfg = {
		.ops = ops, .command = "fuzz", .by = w->flags & 1 ? BY_PROCESS : BY_SOCKET,
		.rows = w->flags & 2 ? 2 : 0, .wide = w->flags & 4, .verbose = w->flags & 8,
	};
	struct frame fr;
	struct hist_frame hf;
	struct render r;

	memset(hooks, 0, sizeof(hooks));
	for (int i = 0; i < HOOK__COUNT; i++)
		hooks[i] = (struct hook_status){ .name = "hook", .tier = "tracepoint",
			.available = true, .attached = !(w->flags & 16) };
	memset(&r, 0, sizeof(r));
	render_init(&r, f, &cfg, hooks);
	r.model = &w->m;
	r.reasons = &reasons;
	render_trace_header(&r);
	render_read(&r, &w->rd);
	render_flow(&r, &w->fl);
	render_lost(&r, &w->lost);
	for (size_t i = 0; i < w->m.n; i++)
		if (w->m.socks[i].closed)
			render_close(&r, &w->m.socks[i]);
	for (int summary = 0; summary < 2; summary++) {
		FUZZ_CHECK(!(summary ? view_frame_summary(&fr, &w->m, &w->lost, 1.5)
				     : view_frame_interval(&fr, &w->m,
							   &(struct frame_mark){ 0 },
							   &w->lost, 1.0)));
		view_frame_order(&fr, (enum sort_key)(w->flags >> 5), cfg.rows);
		if (summary)
			render_summary(&r, &fr);
		else
			render_interval(&r, &fr);
		if (!view_hist_frame(&hf, &fr, !(w->flags & 1))) {
			render_hist(&r, &hf);
			free(hf.groups);
		}
		view_frame_free(&fr);
	}
	jw_flush(&r.jw);
}

/* The JSON writer itself: strings (cut at NUL) and bytes (with their NULs),
 * numbers of any bits, nesting; one object per line. */
static void write_json(struct fuzz_input *in, FILE *f)
{
	struct json_writer *jw = malloc(sizeof(*jw));

	FUZZ_CHECK(jw);
	jw_init(jw, f);
	jw_begin_object(jw);
	jw_kv_str(jw, "type", "fuzz");
	while (in->left) {
		uint8_t op = fuzz_byte(in), n = fuzz_byte(in);
		char buf[256];
		double d;
		uint64_t a, b;

		fuzz_bytes(in, buf, n);
		jw_key(jw, "k");
		switch (op % 6) {
		case 0: buf[n] = 0; jw_str(jw, buf); break;
		case 1: jw_strn(jw, buf, n); break;
		case 2: memcpy(&d, buf, sizeof(d)); jw_double(jw, d, op / 6 % 10); break;
		case 3:
			memcpy(&a, buf, sizeof(a));
			memcpy(&b, buf + 8, sizeof(b));
			jw_ratio(jw, a, b >> (op % 64), op / 6 % 7);
			break;
		case 4: memcpy(&a, buf, sizeof(a)); jw_i64(jw, (int64_t)a); break;
		case 5:
			jw_begin_array(jw);
			jw_strn(jw, buf, n);
			jw_null(jw);
			jw_end_array(jw);
			break;
		}
		if (op == 0xff) {	/* a line ends, another begins */
			jw_end_object(jw);
			jw_newline(jw);
			jw_begin_object(jw);
		}
	}
	jw_end_object(jw);
	jw_newline(jw);
	free(jw);
}

static void check_output(struct world *w, struct fuzz_input *strings)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	FUZZ_CHECK(f);
	render_all(w, &render_json_ops, f);
	write_json(strings, f);
	FUZZ_CHECK(!fclose(f));
	FUZZ_CHECK(fuzz_json_lines(buf, len));
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	FUZZ_CHECK(f);
	render_all(w, &render_table_ops, f);
	FUZZ_CHECK(!fclose(f));
	if (!fuzz_terminal_safe(buf, len))
		fprintf(stderr, "table:\n%s\n", buf);
	FUZZ_CHECK(fuzz_terminal_safe(buf, len));
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world *w = calloc(1, sizeof(*w));
	struct fuzz_input in = { data, size };

	FUZZ_CHECK(w && !model_init(&w->m));
	w->m.reasons = &reasons;
	w->flags = fuzz_byte(&in);
	FUZZ_CHECK(model_cursor_open(&w->m, MODEL_CURSOR_HIST) == 0);
	for (unsigned i = 0; i < NSOCKS; i++)
		feed_socket(&w->m, &in, i, i == NSOCKS - 1);
	fuzz_bytes(&in, &w->rd, sizeof(w->rd));
	w->rd.kind = BS_REC_READ;
	fuzz_bytes(&in, &w->fl, sizeof(w->fl));
	w->fl.kind = BS_REC_ZW_START + fuzz_byte(&in) % 4;
	(void)model_apply_flow(&w->m, &w->fl);
	fuzz_bytes(&in, &w->lost, sizeof(w->lost));
	check_output(w, &in);
	model_free(&w->m);
	free(w);
	return 0;
}
