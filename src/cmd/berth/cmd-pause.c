/* berth pause / unpause: freeze and thaw every process of containers. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "engine/container.h"
#include "util/cleanup.h"

/* docker's verbs over several containers: each one done is printed, each failure reported, the rest go on. */
static int each_container(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv,
			  int (*fn)(struct berth_engine *e, const char *ref, struct berth_error *err))
{
	struct cli_option opts[] = { { NULL } };
	_cleanup_options_ struct cli_option *release = opts;
	struct berth_engine *e;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	e = cli_engine(g, &status);
	if (!e)
		return status;
	for (int i = 0; i < argc; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		if (fn(e, argv[i], &err) < 0) {
			r = cli_fail(&err);
			if (!status)
				status = r;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

static int pause_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	return each_container(g, cmd, argc, argv, berth_ctr_pause);
}

static int unpause_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	return each_container(g, cmd, argc, argv, berth_ctr_unpause);
}

const struct cli_command cmd_pause = {
	.name = "pause",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Pause all processes within one or more containers",
	.run = pause_run,
};

const struct cli_command cmd_unpause = {
	.name = "unpause",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Unpause all processes within one or more containers",
	.run = unpause_run,
};
