/* berth rm: remove containers (-f: running ones too, killed first). */
#include <stdio.h>

#include "cli-run.h"
#include "util/cleanup.h"

static int rm_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "force", 'f', CLI_FLAG, "Force the removal of a running container (uses SIGKILL)" },
		{ "volumes", 'v', CLI_FLAG, "Remove anonymous volumes associated with the container" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	struct berth_engine *e;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	if (!(e = cli_engine(g, &status)))
		return status;
	for (int i = 0; i < argc; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		if (berth_ctr_remove(e, argv[i], cli_flag(opts, "force"), cli_flag(opts, "volumes"), &err) < 0) {
			status = cli_fail(&err);
			continue;
		}
		printf("%s\n", argv[i]);
		fflush(stdout);
	}
	return status;
}

const struct cli_command cmd_rm = {
	.name = "rm",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Remove one or more containers",
	.run = rm_run,
};

const struct cli_command cmd_container_rm = {
	.name = "rm",
	.aliases = "remove",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Remove one or more containers",
	.run = rm_run,
};
