/* berth image prune: remove unnamed (or, with -a, all) images and whatever they alone used. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "image/image.h"
#include "util/cleanup.h"

static bool confirm(bool all)
{
	char line[16];

	printf("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
	       all ? "images without at least one container associated to them" : "dangling images");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static int prune_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "all", 'a', CLI_FLAG, "Remove all unused images, not just dangling ones" },
		{ "force", 'f', CLI_FLAG, "Do not prompt for confirmation" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_strv_free_ char **deleted = NULL;
	uint64_t reclaimed = 0;
	struct berth_store *s;
	char size[32];
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 0)))
		return r;
	if (!cli_flag(opts, "force") && !confirm(cli_flag(opts, "all")))
		return CLI_EXIT_OK;
	s = cli_store(g, &status);
	if (!s)
		return status;
	if (berth_image_prune(s, cli_flag(opts, "all"), &deleted, &reclaimed, &err) < 0)
		return cli_fail(&err);
	if (deleted && deleted[0]) {
		printf("Deleted Images:\n");
		for (char **d = deleted; *d; d++)
			printf("%s\n", *d);
		printf("\n");
	}
	cli_human_size((int64_t)reclaimed, size, sizeof(size));
	printf("Total reclaimed space: %s\n", size);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_image_prune = {
	.name = "prune",
	.usage = "[OPTIONS]",
	.summary = "Remove unused images",
	.run = prune_run,
};
