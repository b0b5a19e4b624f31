/* berth wait: block until containers stop, print their exit codes. */
#include <stdio.h>

#include "cli-run.h"
#include "util/cleanup.h"

static int wait_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct berth_engine *e;
	int r, status = 0;

	r = cli_parse(cmd, NULL, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	if (!(e = cli_engine(g, &status)))
		return status;
	for (int i = 0; i < argc; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		int code = 0;
		if (berth_ctr_wait(e, argv[i], &code, &err) < 0) {
			status = cli_fail(&err);
			continue;
		}
		printf("%d\n", code);
		fflush(stdout);
	}
	return status;
}

const struct cli_command cmd_wait = {
	.name = "wait",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Block until one or more containers stop, then print their exit codes",
	.run = wait_run,
};
