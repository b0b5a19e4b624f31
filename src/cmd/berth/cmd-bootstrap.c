/* berth image bootstrap: the built-in busybox image, made from the host's static busybox. */
#include <stdio.h>

#include "cli.h"
#include "image/image.h"
#include "util/cleanup.h"

#define DEFAULT_NAME "localhost/busybox:latest"

static int bootstrap_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "busybox", 0, CLI_STRING, "A statically linked busybox binary (default /bin/busybox)", "path" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *id = NULL;
	struct berth_store *s;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 1)))
		return r;
	s = cli_store(g, &status);
	if (!s)
		return status;
	if (berth_image_bootstrap(s, cli_value(opts, "busybox"), argc ? argv[0] : DEFAULT_NAME, &id, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", id);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_image_bootstrap = {
	.name = "bootstrap",
	.usage = "[OPTIONS] [NAME[:TAG]]",
	.summary = "Create the built-in busybox image (default " DEFAULT_NAME ") from the host's static busybox",
	.run = bootstrap_run,
};
