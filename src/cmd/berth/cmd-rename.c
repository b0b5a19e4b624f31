/* berth rename: a container's new name (unique, docker's name rule). */
#include "cli.h"
#include "engine/container.h"
#include "util/cleanup.h"

static int rename_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = { { NULL } };
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_engine *e;
	const char *name;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 2, 2)))
		return r;
	/* docker accepts "/name" and drops the slash */
	name = argv[1][0] == '/' ? argv[1] + 1 : argv[1];
	if (!*name)
		return cli_failf(CLI_EXIT_ENGINE, "Neither old nor new names may be empty");
	e = cli_engine(g, &status);
	if (!e)
		return status;
	if (berth_ctr_rename(e, argv[0], name, &err) < 0)
		return cli_fail(&err);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_rename = {
	.name = "rename",
	.usage = "CONTAINER NEW_NAME",
	.summary = "Rename a container",
	.run = rename_run,
};
