/* berth top: the processes of a running container, in `ps -ef`'s columns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/container-info.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* Go's tabwriter as docker's top sets it up: minimum width 20, padding 3, the last cell unpadded. */
static void print_aligned(json_t *titles, json_t *procs)
{
	size_t ncols = json_array_size(titles), i, c;
	_cleanup_free_ size_t *width = berth_xcalloc(ncols + 1, sizeof(size_t));
	json_t *row;

	for (c = 0; c < ncols; c++)
		width[c] = 20;
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i <= json_array_size(procs); i++) {
			row = i == 0 ? titles : json_array_get(procs, i - 1);
			for (c = 0; c < json_array_size(row) && c < ncols; c++) {
				const char *cell = json_string_value(json_array_get(row, c)) ?: "";
				size_t len = strlen(cell);
				if (pass == 0) {
					if (c + 1 < json_array_size(row) && len + 3 > width[c])
						width[c] = len + 3;
					continue;
				}
				if (c + 1 < json_array_size(row))
					printf("%-*s", (int)width[c], cell);
				else
					printf("%s\n", cell);
			}
		}
	}
}

static int top_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = { { NULL } };
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_engine *e;
	json_t *top = NULL;
	int r, status = 0;

	/* everything after the container is for ps, which docker runs and berth does not: its columns are fixed */
	r = cli_parse(cmd, opts, &argc, argv, true);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	if (argc > 1)
		cli_debugf(g, "ps options ignored: berth lists ps -ef's columns");
	e = cli_engine(g, &status);
	if (!e)
		return status;
	if (berth_ctr_top(e, argv[0], &top, &err) < 0)
		return cli_fail(&err);
	print_aligned(json_object_get(top, "Titles"), json_object_get(top, "Processes"));
	json_decref(top);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_top = {
	.name = "top",
	.usage = "CONTAINER [ps OPTIONS]",
	.summary = "Display the running processes of a container",
	.run = top_run,
};
