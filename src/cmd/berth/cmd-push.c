/* berth push: an image to a registry (under its own name, or another: podman's SOURCE DESTINATION). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "registry/registry.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int write_digest_file(const char *path, const char *digest, struct berth_error *err)
{
	_cleanup_close_ int dfd = -EBADF;
	_cleanup_free_ char *copy = berth_xstrdup(path);
	char *slash = strrchr(copy, '/');

	if (slash)
		*slash = '\0';
	dfd = open(slash ? (*copy ? copy : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_set(err, errno, "open the directory of \"%s\"", path);
	return berth_write_file_atomic(dfd, slash ? slash + 1 : path, digest, strlen(digest), 0644, err);
}

static int push_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "quiet", 'q', CLI_FLAG, "Suppress verbose output" },
		{ "digestfile", 0, CLI_STRING, "Write the digest of the pushed image to this file", "file" },
		CLI_REGISTRY_OPTIONS,
		{ "creds", 0, CLI_STRING, "Use these credentials (USERNAME:PASSWORD) instead of stored ones" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_progress_freep) struct berth_progress *progress = NULL;
	_cleanup_free_ char *digest = NULL;
	struct berth_registry_options ro;
	bool tls_given = cli_registry_tls_given(argc, argv);
	const char *digestfile;
	struct berth_store *s;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, 2)))
		return r;
	if ((r = cli_registry_options(opts, tls_given, &ro)))
		return r;
	s = cli_store(g, &status);
	if (!s)
		return status;
	progress = berth_progress_new(stdout, cli_flag(opts, "quiet") ? BERTH_PROGRESS_QUIET : BERTH_PROGRESS_AUTO);
	ro.progress = progress;
	r = berth_registry_push(s, argv[0], argc > 1 ? argv[1] : NULL, &ro, &digest, &err);
	if (r < 0) {
		fflush(stdout);
		cli_fail(&err);
		return CLI_EXIT_FAILURE;
	}
	digestfile = cli_value(opts, "digestfile");
	if (digestfile && write_digest_file(digestfile, digest, &err) < 0)
		return cli_fail(&err);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_push = {
	.name = "push",
	.usage = "[OPTIONS] NAME[:TAG] [DESTINATION]",
	.summary = "Upload an image to a registry",
	.run = push_run,
};

const struct cli_command cmd_image_push = {
	.name = "push",
	.usage = "[OPTIONS] NAME[:TAG] [DESTINATION]",
	.summary = "Upload an image to a registry",
	.run = push_run,
};
