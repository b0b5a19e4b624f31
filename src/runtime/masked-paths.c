#include "masked-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mounts.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int open_dev_null(int root_fd, int *ret_fd, struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	fd = berth_openat2(root_fd, "/dev/null", O_PATH | O_NOFOLLOW, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return berth_error_set(err, -fd, "open `/dev/null`");
	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "stat `/dev/null`");
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
		return berth_error_setx(err, EINVAL, "`/dev/null` is not the 1:3 character device");
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int mask_dir(int target, const char *mount_label, struct berth_error *err)
{
	_cleanup_free_ char *data = berth_mount_label_data(NULL, mount_label);
	_cleanup_close_ int mnt = -EBADF;
	int r;

	r = berth_mount_new_fs("tmpfs", "tmpfs", MS_RDONLY, data,
			       MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, &mnt, err);
	if (r < 0)
		return r;
	return berth_mount_attach(mnt, target, err);
}

int berth_masked_paths_apply(int root_fd, char *const *paths, const char *mount_label, struct berth_error *err)
{
	_cleanup_close_ int dev_null = -EBADF;
	int r;

	for (size_t i = 0; paths && paths[i]; i++) {
		_cleanup_close_ int target = -EBADF, mnt = -EBADF;
		struct stat st;

		target = berth_openat2(root_fd, paths[i], O_PATH, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		if (target == -ENOENT)
			continue;
		if (target < 0)
			return berth_error_set(err, -target, "mask `%s`: open", paths[i]);
		if (fstat(target, &st) < 0)
			return berth_error_set(err, errno, "mask `%s`: stat", paths[i]);
		if (S_ISDIR(st.st_mode)) {
			r = mask_dir(target, mount_label, err);
		} else {
			if (dev_null < 0) {
				r = open_dev_null(root_fd, &dev_null, err);
				if (r < 0)
					return berth_error_prefix(err, "mask `%s`", paths[i]);
			}
			r = berth_mount_clone(dev_null, "", false, &mnt, err);
			if (r >= 0)
				r = berth_mount_attach(mnt, target, err);
		}
		if (r < 0)
			return berth_error_prefix(err, "mask `%s`", paths[i]);
	}
	return 0;
}
