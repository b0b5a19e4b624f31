/* berth stats: a live table of the containers' resource usage, or one sample with --no-stream. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine/container-info.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static const char *const headers[] = {
	"ID",	"CONTAINER ID", "Container", "CONTAINER", "Name",     "NAME",	   "CPUPerc", "CPU %",
	"MemUsage", "MEM USAGE / LIMIT", "MemPerc", "MEM %", "NetIO", "NET I/O", "BlockIO", "BLOCK I/O",
	"PIDs",	"PIDS",		NULL,
};

#define DEFAULT_FORMAT \
	"table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

/* The time between the two readings --no-stream takes for the CPU %, and between refreshes when streaming. */
#define NO_STREAM_INTERVAL_MS 500
#define STREAM_INTERVAL_MS 1000

void cli_bytes_size(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)size;
	size_t i = 0;

	/* docker's units.BytesSize: "%.4g" in powers of 1024 */
	while (v >= 1024.0 && i < ARRAY_SIZE(units) - 1) {
		v /= 1024.0;
		i++;
	}
	snprintf(buf, len, "%.4g%s", v, units[i]);
}

/* One container on the screen: what the user called it, and its last reading. */
struct entry {
	char *ref;  /* as given, or the id */
	char *id;
	char *name;
	bool have;  /* prev is a reading */
	bool valid; /* the container exists */
	struct berth_ctr_stats prev, now;
};

static void entries_free(struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].ref);
		free(v[i].id);
		free(v[i].name);
	}
	free(v);
}

/* Read one container; a stopped one reads as zeros (docker shows them so with -a or by name). */
static void sample(struct berth_engine *e, struct entry *en)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_ctr c = { 0 };

	en->prev = en->now;
	en->have = en->valid && en->now.read_ns != 0;
	if (berth_ctr_get(e, en->id ? en->id : en->ref, &c, &err) < 0) {
		en->valid = false;
		en->now = (struct berth_ctr_stats){ 0 };
		return;
	}
	en->valid = true;
	free(en->id);
	free(en->name);
	en->id = berth_xstrdup(c.id);
	en->name = berth_xstrdup(c.name);
	if (berth_ctr_stats_read(e, &c, &en->now, &err) < 0)
		en->now = (struct berth_ctr_stats){ 0 };
	berth_ctr_release(&c);
}

static json_t *make_row(const struct entry *en, bool trunc)
{
	char cpu[32], mem[80], memp[32], net[80], blk[80], pids[32], a[32], b[32];
	_cleanup_free_ char *id = NULL;
	const struct berth_ctr_stats *s = &en->now;

	if (!en->valid)
		return json_pack("{ss ss ss ss ss ss ss ss ss}", "BlockIO", "--", "CPUPerc", "--", "Container", en->ref,
				 "ID", en->ref, "MemPerc", "--", "MemUsage", "-- / --", "Name", "--", "NetIO", "--", "PIDs",
				 "--");
	id = trunc ? berth_xstrndup(en->id, 12) : berth_xstrdup(en->id);
	snprintf(cpu, sizeof(cpu), "%.2f%%", en->have ? berth_ctr_stats_cpu_percent(&en->prev, s) : 0.0);
	cli_bytes_size(s->mem_usage, a, sizeof(a));
	cli_bytes_size(s->mem_limit, b, sizeof(b));
	snprintf(mem, sizeof(mem), "%s / %s", a, b);
	snprintf(memp, sizeof(memp), "%.2f%%", s->mem_limit ? (double)s->mem_usage * 100.0 / (double)s->mem_limit : 0.0);
	cli_human_size((int64_t)s->net_rx, a, sizeof(a));
	cli_human_size((int64_t)s->net_tx, b, sizeof(b));
	snprintf(net, sizeof(net), "%s / %s", a, b);
	cli_human_size((int64_t)s->blk_read, a, sizeof(a));
	cli_human_size((int64_t)s->blk_write, b, sizeof(b));
	snprintf(blk, sizeof(blk), "%s / %s", a, b);
	snprintf(pids, sizeof(pids), "%llu", (unsigned long long)s->pids);
	return json_pack("{ss ss ss ss ss ss ss ss ss}", "BlockIO", blk, "CPUPerc", cpu, "Container", en->ref, "ID", id,
			 "MemPerc", memp, "MemUsage", mem, "Name", en->name, "NetIO", net, "PIDs", pids);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Without names: the running containers (all with -a), refreshed each round so new ones show up. */
static void refresh_list(struct berth_engine *e, bool all, struct entry **v, size_t *n)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_ctr *cs = NULL;
	struct entry *next = NULL;
	size_t nc = 0, nn = 0;

	if (berth_ctr_list(e, &cs, &nc, &err) < 0)
		return;
	for (size_t i = 0; i < nc; i++) {
		struct entry en = { 0 };
		if (!all && cs[i].state != BERTH_CTR_RUNNING && cs[i].state != BERTH_CTR_PAUSED)
			continue;
		/* keep the last reading of one already shown: the CPU % needs it */
		for (size_t j = 0; j < *n; j++)
			if ((*v)[j].id && strcmp((*v)[j].id, cs[i].id) == 0) {
				en = (*v)[j];
				(*v)[j] = (struct entry){ 0 };
				break;
			}
		if (!en.ref) {
			en.ref = berth_xstrdup(cs[i].id);
			en.id = berth_xstrdup(cs[i].id);
			en.valid = true;
		}
		next = berth_xreallocarray(next, nn + 1, sizeof(*next));
		next[nn++] = en;
	}
	berth_ctr_array_free(cs, nc);
	entries_free(*v, *n);
	*v = next;
	*n = nn;
}

static int print_round(struct entry *v, size_t n, const char *format, bool trunc, bool clear)
{
	json_t *rows = json_array();
	int r;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(rows, make_row(&v[i], trunc));
	/* docker redraws the screen in place (on a pipe too) */
	if (clear)
		fputs("\033[2J\033[H", stdout);
	r = cli_print_rows(rows, format, DEFAULT_FORMAT, headers, stdout);
	json_decref(rows);
	fflush(stdout);
	return r;
}

static int stats_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "all", 'a', CLI_FLAG, "Show all containers (default shows just running)" },
		{ "format", 0, CLI_STRING,
		  "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" },
		{ "no-stream", 0, CLI_FLAG, "Disable streaming stats and only pull the first result" },
		{ "no-trunc", 0, CLI_FLAG, "Do not truncate output" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	const char *format;
	struct berth_engine *e;
	struct entry *v = NULL;
	size_t n = 0;
	bool stream, trunc, named;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	named = argc > 0;
	stream = !cli_flag(opts, "no-stream");
	trunc = !cli_flag(opts, "no-trunc");
	format = cli_value(opts, "format");
	e = cli_engine(g, &status);
	if (!e)
		return status;
	if (named) {
		v = berth_xcalloc((size_t)argc, sizeof(*v));
		n = (size_t)argc;
		for (int i = 0; i < argc; i++) {
			v[i].ref = berth_xstrdup(argv[i]);
			sample(e, &v[i]);
			if (!v[i].valid && !stream) {
				/* docker: a name that is no container fails the one-shot form */
				_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
				struct berth_ctr c = { 0 };
				r = berth_ctr_get(e, argv[i], &c, &err) < 0 ? cli_fail(&err) : 0;
				berth_ctr_release(&c);
				entries_free(v, n);
				return r ? r : CLI_EXIT_FAILURE;
			}
		}
	} else {
		refresh_list(e, cli_flag(opts, "all"), &v, &n);
		for (size_t i = 0; i < n; i++)
			sample(e, &v[i]);
	}
	if (!stream) {
		/* the CPU % is a rate: a second reading a moment later */
		sleep_ms(NO_STREAM_INTERVAL_MS);
		for (size_t i = 0; i < n; i++)
			sample(e, &v[i]);
		status = print_round(v, n, format, trunc, false);
		entries_free(v, n);
		return status;
	}
	/* streaming ends with the user's ^C (or a closed stdout), as docker's does */
	for (;;) {
		sleep_ms(STREAM_INTERVAL_MS);
		if (!named)
			refresh_list(e, cli_flag(opts, "all"), &v, &n);
		for (size_t i = 0; i < n; i++)
			sample(e, &v[i]);
		if ((status = print_round(v, n, format, trunc, true)) != 0 || ferror(stdout))
			break;
	}
	entries_free(v, n);
	return status;
}

const struct cli_command cmd_stats = {
	.name = "stats",
	.usage = "[OPTIONS] [CONTAINER...]",
	.summary = "Display a live stream of container(s) resource usage statistics",
	.run = stats_run,
};
