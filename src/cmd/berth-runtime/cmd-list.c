/* `list`: a tabwriter-style table like runc's, or JSON. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#include "berth-config.h"

#define N_COLS 6

/* Go's tabwriter with minwidth 12, padding 3, as runc uses it. */
static void print_table(char *rows[][N_COLS], size_t n)
{
	size_t width[N_COLS] = { 0 };

	for (size_t r = 0; r < n; r++)
		for (int c = 0; c < N_COLS; c++) {
			size_t w = strlen(rows[r][c]) + 3;
			if (w < 12)
				w = 12;
			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < n; r++) {
		for (int c = 0; c < N_COLS - 1; c++)
			printf("%-*s", (int)width[c], rows[r][c]);
		printf("%s\n", rows[r][N_COLS - 1]);
	}
}

static int run_list(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "format", 'f', CLI_STRING, "select one of: table or json (default: \"table\")" },
		{ "quiet", 'q', CLI_FLAG, "display only container IDs" },
		{ NULL },
	};
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_container_info *v = NULL;
	const char *format;
	size_t n = 0;
	int r = cli_parse(&cmd_list, opts, &argc, argv, false);

	if (r != 0)
		return r < 0 ? 1 : 0;
	r = cli_expect_args(g, &cmd_list, argc, 0, 0);
	if (r)
		return r;
	format = cli_opt(opts, "format")->value ? cli_opt(opts, "format")->value : "table";
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_failf(g, "invalid format option `%s`", format);
	if (berth_container_list(g->root, &v, &n, &err) < 0)
		return cli_fail(g, &err);

	if (cli_opt(opts, "quiet")->set) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", v[i].state->id);
	} else if (strcmp(format, "json") == 0) {
		json_t *a = json_array();
		char *text;
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *one = berth_state_to_oci_json(v[i].state, v[i].status, false);
			json_array_append_new(a, json_loads(one, 0, NULL));
		}
		text = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		free(text);
		json_decref(a);
	} else {
		char *(*rows)[N_COLS] = berth_xcalloc(n + 1, sizeof(*rows));
		rows[0][0] = berth_xstrdup("ID");
		rows[0][1] = berth_xstrdup("PID");
		rows[0][2] = berth_xstrdup("STATUS");
		rows[0][3] = berth_xstrdup("BUNDLE");
		rows[0][4] = berth_xstrdup("CREATED");
		rows[0][5] = berth_xstrdup("OWNER");
		for (size_t i = 0; i < n; i++) {
			const struct berth_state *s = v[i].state;
			rows[i + 1][0] = berth_xstrdup(s->id);
			rows[i + 1][1] = berth_xasprintf("%d", v[i].status == BERTH_STATUS_STOPPED ? 0 : (int)s->pid);
			rows[i + 1][2] = berth_xstrdup(berth_status_to_string(v[i].status));
			rows[i + 1][3] = berth_xstrdup(s->bundle);
			rows[i + 1][4] = berth_xstrdup(s->created);
			rows[i + 1][5] = berth_xstrdup(s->owner ? s->owner : "");
		}
		print_table(rows, n + 1);
		for (size_t i = 0; i <= n; i++)
			for (int c = 0; c < N_COLS; c++)
				free(rows[i][c]);
		free(rows);
	}
	berth_container_info_free(v, n);
	return 0;
}

const struct cli_command cmd_list = {
	.name = "list",
	.usage = "list [command options]",
	.summary = "lists containers started by berth-runtime with the given root",
	.run = run_list,
};
