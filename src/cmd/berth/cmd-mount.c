/*
 * berth image mount / unmount: an image's layers, read-only, at
 * <runroot>/image-mounts/<id-hex>/merged (podman's `image mount`).  Mounting
 * a mounted image prints the same path; a lock file serialises mounts of one
 * image across berth processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "image/digest.h"
#include "image/image.h"
#include "image/overlay.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int image_for(struct cli_global *g, const char *ref, struct berth_store **ret_store, struct berth_image *img,
		     char **ret_dir)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_store *s;
	int status = 0;

	s = cli_store(g, &status);
	if (!s)
		return status;
	if (berth_image_resolve(s, ref, img, &err) < 0)
		return cli_fail(&err);
	*ret_dir = berth_xasprintf("%s/image-mounts/%s", s->run_root, berth_digest_hex(img->id));
	*ret_store = s;
	return 0;
}

static int lock_dir(const char *dir, struct berth_error *err)
{
	_cleanup_free_ char *lock = berth_xasprintf("%s/lock", dir);
	_cleanup_close_ int fd = -EBADF;
	int r;

	r = berth_mkdir_p(dir, 0700, err);
	if (r < 0)
		return r;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berth_error_set(err, errno, "open \"%s\"", lock);
	if (flock(fd, LOCK_EX) < 0)
		return berth_error_set(err, errno, "lock \"%s\"", lock);
	return TAKE_FD(fd);
}

static bool is_mount_root(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int mount_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *dir = NULL, *target = NULL;
	_cleanup_free_ char **chains = NULL;
	_cleanup_close_ int lock_fd = -EBADF;
	struct berth_image img = { 0 };
	enum berth_rootfs_driver driver;
	struct berth_store *s = NULL;
	int r;

	r = cli_parse(cmd, NULL, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, 1)))
		return r;
	if ((r = image_for(g, argv[0], &s, &img, &dir)))
		return r;
	target = berth_xasprintf("%s/merged", dir);
	lock_fd = lock_dir(dir, &err);
	if (lock_fd < 0)
		goto fail;
	if (!is_mount_root(target)) {
		chains = berth_xcalloc(img.n_layers + 1, sizeof(char *));
		for (size_t i = 0; i < img.n_layers; i++)
			chains[i] = img.layers[i].chain_id;
		if (berth_mkdir_p(target, 0755, &err) < 0 ||
		    berth_overlay_mount(s, chains, img.n_layers, NULL, NULL, target, &driver, &err) < 0)
			goto fail;
		cli_debugf(g, "mounted %s at %s (%s)", img.id, target, driver == BERTH_ROOTFS_OVERLAY ? "overlay" : "copy");
	}
	printf("%s\n", target);
	berth_image_release(&img);
	return CLI_EXIT_OK;
fail:
	berth_image_release(&img);
	berth_error_prefix(&err, "mount %s", argv[0]);
	return cli_fail(&err);
}

static int unmount_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *dir = NULL, *target = NULL, *lock = NULL;
	_cleanup_close_ int lock_fd = -EBADF;
	struct berth_image img = { 0 };
	struct berth_store *s = NULL;
	int r;

	r = cli_parse(cmd, NULL, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, 1)))
		return r;
	if ((r = image_for(g, argv[0], &s, &img, &dir)))
		return r;
	target = berth_xasprintf("%s/merged", dir);
	lock = berth_xasprintf("%s/lock", dir);
	if (access(dir, F_OK) == 0) {
		lock_fd = lock_dir(dir, &err);
		if (lock_fd < 0 || berth_overlay_umount(target, &err) < 0) {
			berth_image_release(&img);
			return cli_fail(&err);
		}
		/* the copy fallback leaves the layers' files in merged: remove them with the dir */
		if (!is_mount_root(target)) {
			_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
			_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0)
				berth_rm_rf_at(dfd, "merged", &ignored);
			unlink(lock);
			rmdir(dir);
		}
	}
	printf("%s\n", img.id);
	berth_image_release(&img);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_image_mount = {
	.name = "mount",
	.usage = "IMAGE",
	.summary = "Mount an image's root filesystem read-only and print its path",
	.run = mount_run,
};

const struct cli_command cmd_image_unmount = {
	.name = "unmount",
	.aliases = "umount",
	.usage = "IMAGE",
	.summary = "Unmount an image's root filesystem",
	.run = unmount_run,
};
