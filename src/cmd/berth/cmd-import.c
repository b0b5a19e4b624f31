/* berth import / berth image import: a rootfs tarball as a one-layer image. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "image/image.h"
#include "util/cleanup.h"

static int import_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "change", 'c', CLI_LIST, "Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR)" },
		{ "message", 'm', CLI_STRING, "Set commit message for imported image" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *id = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct berth_store *s;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, 2)))
		return r;
	if (strcmp(argv[0], "-") == 0) {
		if (isatty(STDIN_FILENO))
			return cli_failf(CLI_EXIT_FAILURE, "requested import from stdin, but stdin is a terminal");
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	} else if (strstr(argv[0], "://")) {
		return cli_failf(CLI_EXIT_ENGINE, "importing from a URL is not supported: \"%s\"", argv[0]);
	} else {
		fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		berth_error_set(&err, errno, "open \"%s\"", argv[0]);
		return cli_fail(&err);
	}
	s = cli_store(g, &status);
	if (!s)
		return status;
	if (berth_image_import(s, fd, argc > 1 ? argv[1] : NULL, cli_opt(opts, "change")->values,
			       cli_value(opts, "message"), &id, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", id);
	return CLI_EXIT_OK;
}

#define IMPORT_USAGE "[OPTIONS] file|- [REPOSITORY[:TAG]]"

const struct cli_command cmd_import = {
	.name = "import",
	.usage = IMPORT_USAGE,
	.summary = "Import the contents from a tarball to create a filesystem image",
	.run = import_run,
};

const struct cli_command cmd_image_import = {
	.name = "import",
	.usage = IMPORT_USAGE,
	.summary = "Import the contents from a tarball to create a filesystem image",
	.run = import_run,
};
