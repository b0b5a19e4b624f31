/*
 * berth save / berth image save: a docker-archive of images, to a file
 * (written under a temp name beside it, fsynced and renamed: a reader never
 * sees half an archive) or to stdout when that is not a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* The temp file, removed if a signal ends the save half way. */
static char temp_path[4096];

static void on_signal(int sig)
{
	if (temp_path[0])
		unlink(temp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int open_temp(const char *out, char **ret_dir, struct berth_error *err)
{
	_cleanup_free_ char *copy1 = berth_xstrdup(out), *copy2 = berth_xstrdup(out);
	const char *dir = dirname(copy1), *base = basename(copy2);
	mode_t mask = umask(0);
	struct stat st;
	int fd;

	umask(mask);
	if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
		return berth_error_setx(err, EISDIR, "\"%s\" is a directory", out);
	if ((size_t)snprintf(temp_path, sizeof(temp_path), "%s/.%s.berth-XXXXXX", dir, base) >= sizeof(temp_path))
		return berth_error_setx(err, ENAMETOOLONG, "output path \"%s\" is too long", out);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	fd = mkostemp(temp_path, O_CLOEXEC);
	if (fd < 0) {
		temp_path[0] = '\0';
		return berth_error_set(err, errno, "create a temp file in \"%s\"", dir);
	}
	/* like a plain create: 0666 less the umask, not mkstemp's 0600 */
	fchmod(fd, 0666 & ~mask);
	*ret_dir = berth_xstrdup(dir);
	return fd;
}

static int save_to_file(struct berth_store *s, char *const *refs, const char *out, struct berth_error *err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -EBADF, dfd = -EBADF;
	int r;

	fd = open_temp(out, &dir, err);
	if (fd < 0)
		return fd;
	r = berth_image_save(s, refs, fd, err);
	if (r >= 0 && fsync(fd) < 0)
		r = berth_error_set(err, errno, "fsync \"%s\"", temp_path);
	if (r >= 0 && rename(temp_path, out) < 0)
		r = berth_error_set(err, errno, "rename to \"%s\"", out);
	if (r < 0) {
		unlink(temp_path);
		temp_path[0] = '\0';
		return r;
	}
	temp_path[0] = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}

static int save_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "output", 'o', CLI_STRING, "Write to a file, instead of STDOUT", "file" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	const char *out;
	struct berth_store *s;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	out = cli_value(opts, "output");
	if ((!out || strcmp(out, "-") == 0) && isatty(STDOUT_FILENO))
		return cli_failf(CLI_EXIT_FAILURE, "cowardly refusing to save to a terminal. Use the -o flag or redirect");
	s = cli_store(g, &status);
	if (!s)
		return status;
	if (out && strcmp(out, "-") != 0)
		r = save_to_file(s, argv, out, &err);
	else
		r = berth_image_save(s, argv, STDOUT_FILENO, &err);
	if (r < 0)
		return cli_fail(&err);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_save = {
	.name = "save",
	.usage = "[OPTIONS] IMAGE [IMAGE...]",
	.summary = "Save one or more images to a tar archive (streamed to STDOUT by default)",
	.run = save_run,
};

const struct cli_command cmd_image_save = {
	.name = "save",
	.usage = "[OPTIONS] IMAGE [IMAGE...]",
	.summary = "Save one or more images to a tar archive (streamed to STDOUT by default)",
	.run = save_run,
};
