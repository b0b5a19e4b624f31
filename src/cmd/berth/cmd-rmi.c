/* berth rmi / berth image rm: remove images or names, docker's way. */
#include <stdio.h>

#include "cli.h"
#include "image/image.h"
#include "util/cleanup.h"

static int rmi_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "force", 'f', CLI_FLAG, "Force removal of the image" },
		{ "no-prune", 0, CLI_FLAG, "Do not delete untagged parents" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	struct berth_store *s;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	s = cli_store(g, &status);
	if (!s)
		return status;
	/* like docker: go on with the others after a failure, and fail at the end */
	for (int i = 0; i < argc; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		_cleanup_strv_free_ char **lines = NULL;

		r = berth_image_remove(s, argv[i], cli_flag(opts, "force"), &lines, &err);
		for (char **l = lines; l && *l; l++)
			printf("%s\n", *l);
		if (r < 0) {
			fflush(stdout);
			status = cli_fail(&err);
		}
	}
	return status;
}

const struct cli_command cmd_rmi = {
	.name = "rmi",
	.usage = "[OPTIONS] IMAGE [IMAGE...]",
	.summary = "Remove one or more images",
	.run = rmi_run,
};

const struct cli_command cmd_image_rm = {
	.name = "rm",
	.aliases = "remove",
	.usage = "[OPTIONS] IMAGE [IMAGE...]",
	.summary = "Remove one or more images",
	.run = rmi_run,
};
