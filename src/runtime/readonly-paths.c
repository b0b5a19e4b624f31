#include "readonly-paths.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>

#include "mounts.h"
#include "util/cleanup.h"
#include "util/fs.h"

int berth_readonly_paths_apply(int root_fd, char *const *paths, struct berth_error *err)
{
	const uint64_t attr = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	int r;

	for (size_t i = 0; paths && paths[i]; i++) {
		_cleanup_close_ int target = -EBADF, mnt = -EBADF;

		target = berth_openat2(root_fd, paths[i], O_PATH, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		if (target == -ENOENT)
			continue;
		if (target < 0)
			return berth_error_set(err, -target, "readonly path `%s`: open", paths[i]);
		r = berth_mount_clone(target, "", true, &mnt, err);
		if (r >= 0)
			r = berth_mount_attach(mnt, target, err);
		if (r >= 0) {
			r = berth_mount_setattr(mnt, true, attr, 0, err);
			if (r == -EOPNOTSUPP) {
				/* no mount_setattr (before 5.12): the top mount only, like runc */
				berth_error_release(err);
				r = berth_mount_setattr(mnt, false, attr, 0, err);
			}
		}
		if (r < 0)
			return berth_error_prefix(err, "readonly path `%s`", paths[i]);
	}
	return 0;
}
