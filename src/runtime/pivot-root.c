#include "pivot-root.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mounts.h"
#include "util/cleanup.h"

int berth_pivot_root(const char *rootfs, struct berth_error *err)
{
	_cleanup_close_ int old_root = -EBADF, new_root = -EBADF;

	old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (old_root < 0)
		return berth_error_set(err, errno, "open `/`");
	new_root = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (new_root < 0)
		return berth_error_set(err, errno, "open `%s`", rootfs);
	if (fchdir(new_root) < 0)
		return berth_error_set(err, errno, "chdir `%s`", rootfs);
	/* the old root ends up stacked under the new one, no put_old directory needed */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berth_error_set(err, errno, "pivot_root `%s`", rootfs);
	/* the kernel leaves "." on the old root today, but does not promise it */
	if (fchdir(old_root) < 0)
		return berth_error_set(err, errno, "chdir to the old root");
	/* not rprivate: a private copy could keep host mounts busy (runc's reasoning) */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return berth_error_set(err, errno, "make the old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		return berth_error_set(err, errno, "detach the old root");
	if (chdir("/") < 0)
		return berth_error_set(err, errno, "chdir `/`");
	return 0;
}

static bool path_is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Unmount, or cover with a tmpfs where we may not unmount, each full proc and sysfs mount outside rootfs. */
static int hide_host_pseudo_fs(const char *rootfs, struct berth_error *err)
{
	struct berth_mountinfo *mi = NULL;
	size_t n = 0;
	int r;

	r = berth_mountinfo_read(NULL, &mi, &n, err);
	if (r < 0)
		return r;
	for (size_t i = n; i-- > 0;) {
		const char *mp = mi[i].mount_point;

		if (strcmp(mi[i].root, "/") != 0 || path_is_below(mp, rootfs) ||
		    (strcmp(mi[i].fstype, "proc") != 0 && strcmp(mi[i].fstype, "sysfs") != 0))
			continue;
		if (mount(NULL, mp, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
			if (errno == ENOENT) /* under something already detached */
				continue;
			r = berth_error_set(err, errno, "make `%s` a slave", mp);
			break;
		}
		if (umount2(mp, MNT_DETACH) == 0)
			continue;
		if (errno != EINVAL && errno != EPERM) {
			r = berth_error_set(err, errno, "unmount `%s`", mp);
			break;
		}
		if (mount("tmpfs", mp, "tmpfs", 0, NULL) < 0) {
			r = berth_error_set(err, errno, "cover `%s`", mp);
			break;
		}
	}
	berth_mountinfo_free(mi, n);
	return r;
}

int berth_pivot_move_root(const char *rootfs, struct berth_error *err)
{
	_cleanup_free_ char *real = realpath(rootfs, NULL);
	int r;

	if (!real)
		return berth_error_set(err, errno, "resolve `%s`", rootfs);
	rootfs = real;
	r = hide_host_pseudo_fs(rootfs, err);
	if (r < 0)
		return r;
	if (chdir(rootfs) < 0)
		return berth_error_set(err, errno, "chdir `%s`", rootfs);
	if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		return berth_error_set(err, errno, "move `%s` to `/`", rootfs);
	if (chroot(".") < 0)
		return berth_error_set(err, errno, "chroot `%s`", rootfs);
	if (chdir("/") < 0)
		return berth_error_set(err, errno, "chdir `/`");
	return 0;
}
