/* berth load / berth image load: images from a docker-archive or OCI archive (file or stdin). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "image/image.h"
#include "util/cleanup.h"

static void progress(void *opaque, const char *line)
{
	bool *quiet = opaque;

	if (!*quiet)
		fprintf(stderr, "%s\n", line);
}

static int load_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "input", 'i', CLI_STRING, "Read from tar archive file, instead of STDIN", "file" },
		{ "quiet", 'q', CLI_FLAG, "Suppress the load output" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_strv_free_ char **loaded = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *input;
	struct berth_store *s;
	bool quiet;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 0)))
		return r;
	quiet = cli_flag(opts, "quiet");
	input = cli_value(opts, "input");
	if (input && strcmp(input, "-") != 0) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			berth_error_set(&err, errno, "open \"%s\"", input);
			return cli_fail(&err);
		}
	} else {
		if (isatty(STDIN_FILENO))
			return cli_failf(CLI_EXIT_FAILURE, "requested load from stdin, but stdin is empty");
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			berth_error_set(&err, errno, "stdin");
			return cli_fail(&err);
		}
	}
	s = cli_store(g, &status);
	if (!s)
		return status;
	r = berth_image_load(s, fd, progress, &quiet, &loaded, &err);
	for (char **l = loaded; l && *l; l++)
		printf("%s\n", *l);
	if (r < 0) {
		fflush(stdout);
		return cli_fail(&err);
	}
	return CLI_EXIT_OK;
}

const struct cli_command cmd_load = {
	.name = "load",
	.usage = "[OPTIONS]",
	.summary = "Load an image from a tar archive or STDIN",
	.run = load_run,
};

const struct cli_command cmd_image_load = {
	.name = "load",
	.usage = "[OPTIONS]",
	.summary = "Load an image from a tar archive or STDIN",
	.run = load_run,
};
