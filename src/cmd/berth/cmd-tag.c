/* berth tag / berth image tag: another name for an image. */
#include "cli.h"
#include "image/image.h"
#include "util/cleanup.h"

static int tag_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_store *s;
	int r, status = 0;

	r = cli_parse(cmd, NULL, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 2, 2)))
		return r;
	s = cli_store(g, &status);
	if (!s)
		return status;
	if (berth_image_tag(s, argv[0], argv[1], &err) < 0)
		return cli_fail(&err);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_tag = {
	.name = "tag",
	.usage = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
	.summary = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	.run = tag_run,
};

const struct cli_command cmd_image_tag = {
	.name = "tag",
	.usage = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
	.summary = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	.run = tag_run,
};
