/* berth container: the container management group, and the monitor's `container cleanup`. */
#include "cli-run.h"
#include "util/cleanup.h"

/* What the monitor runs when a container's process exits: record, tear down, --rm. */
static int cleanup_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_engine *e;
	int r, status = 0;

	r = cli_parse(cmd, NULL, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, 1)))
		return r;
	if (!(e = cli_engine(g, &status)))
		return status;
	if (berth_ctr_cleanup(e, argv[0], &err) < 0)
		return cli_fail(&err);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_container_cleanup = {
	.name = "cleanup",
	.usage = "CONTAINER",
	.summary = "Clean up after a container's process exited (run by its monitor)",
	.run = cleanup_run,
	.hidden = true,
};

/* One line each, alphabetical: other commands join here. */
static const struct cli_command *const container_commands[] = {
	&cmd_attach,
	&cmd_container_cleanup,
	&cmd_container_cp,
	&cmd_create,
	&cmd_exec,
	&cmd_container_inspect,
	&cmd_kill,
	&cmd_logs,
	&cmd_container_ls,
	&cmd_pause,
	&cmd_port,
	&cmd_container_prune,
	&cmd_rename,
	&cmd_restart,
	&cmd_container_rm,
	&cmd_run,
	&cmd_start,
	&cmd_stats,
	&cmd_stop,
	&cmd_top,
	&cmd_unpause,
	&cmd_wait,
	NULL,
};

const struct cli_command cmd_container = {
	.name = "container",
	.usage = "COMMAND",
	.summary = "Manage containers",
	.run = cli_run_group,
	.subcommands = container_commands,
};
