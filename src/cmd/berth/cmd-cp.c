/* berth cp: files between a container and the host, or a tar stream ("-"), as docker cp. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine/container-copy.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* docker's splitCpArg: "CONTAINER:PATH", unless the argument is an absolute or ./ path */
static void split_arg(const char *arg, char **ret_ctr, const char **ret_path)
{
	const char *colon = strchr(arg, ':');

	*ret_ctr = NULL;
	*ret_path = arg;
	if (arg[0] == '/' || arg[0] == '.' || !colon)
		return;
	*ret_ctr = berth_xstrndup(arg, (size_t)(colon - arg));
	*ret_path = colon + 1;
}

/* Every failure of the copy itself is docker's exit status 1; engine troubles stay 125. */
static int cp_fail(const struct berth_error *err)
{
	int r = cli_fail(err);

	switch (err->code) {
	case ENOENT:
	case ENOTDIR:
	case EISDIR:
	case EINVAL:
	case EEXIST:
	case EACCES:
	case EPERM:
	case EROFS:
	case ENOSPC:
		return CLI_EXIT_FAILURE;
	default:
		return r;
	}
}

static int cp_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "archive", 'a', CLI_FLAG, "Archive mode (copy all uid/gid information)" },
		{ "follow-link", 'L', CLI_FLAG, "Always follow symbol link in SRC_PATH" },
		{ "quiet", 'q', CLI_FLAG, "Suppress progress output during copy (automatic without a terminal)" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *src_ctr = NULL, *dst_ctr = NULL, *shown = NULL;
	struct berth_copy_options o = { 0 };
	const char *src, *dst;
	struct berth_engine *e;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 2, 2)))
		return r;
	split_arg(argv[0], &src_ctr, &src);
	split_arg(argv[1], &dst_ctr, &dst);
	if (src_ctr && dst_ctr)
		return cli_failf(CLI_EXIT_ENGINE, "copying between containers is not supported");
	if (!src_ctr && !dst_ctr)
		return cli_failf(CLI_EXIT_ENGINE, "must specify at least one container source");
	if (!*src || !*dst)
		return cli_failf(CLI_EXIT_ENGINE, "filepath cannot be empty");
	o.follow_link = cli_flag(opts, "follow-link");
	o.archive = cli_flag(opts, "archive");
	if (!(e = cli_engine(g, &status)))
		return status;
	if (src_ctr && strcmp(dst, "-") == 0) {
		r = berth_ctr_copy_from_tar(e, src_ctr, src, STDOUT_FILENO, &o, &err);
	} else if (dst_ctr && strcmp(src, "-") == 0) {
		r = berth_ctr_copy_to_tar(e, dst_ctr, STDIN_FILENO, dst, &o, &err);
	} else if (src_ctr) {
		r = berth_ctr_copy_from(e, src_ctr, src, dst, &o, &err);
		shown = berth_xstrdup(dst);
	} else {
		r = berth_ctr_copy_to(e, dst_ctr, src, dst, &o, &err);
		shown = berth_xasprintf("%s:%s", dst_ctr, dst);
	}
	if (r < 0)
		return cp_fail(&err);
	if (shown && !cli_flag(opts, "quiet") && isatty(STDERR_FILENO)) {
		char size[32];
		cli_human_size((int64_t)o.copied, size, sizeof(size));
		fprintf(stderr, "Successfully copied %s to %s\n", size, shown);
	}
	return CLI_EXIT_OK;
}

const struct cli_command cmd_cp = {
	.name = "cp",
	.usage = "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
	.summary = "Copy files/folders between a container and the local filesystem",
	.run = cp_run,
};

const struct cli_command cmd_container_cp = {
	.name = "cp",
	.usage = "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth container cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
	.summary = "Copy files/folders between a container and the local filesystem",
	.run = cp_run,
};
