/*
 * Root filesystems from image layers: overlayfs through the new mount API,
 * a read-only bind mount for a single read-only layer, and the "copy"
 * fallback where overlayfs is missing or refuses the upper directory.
 */
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"
#include "whiteouts.h"

/* The fs context's own log lines ("e overlayfs: ...") say more than errno. */
static int fs_error(int fsfd, int errnum, const char *what, struct berth_error *err)
{
	char log[512] = "";
	ssize_t n;

	if (fsfd >= 0) {
		n = read(fsfd, log, sizeof(log) - 1);
		if (n > 0) {
			log[n] = '\0';
			if (log[n - 1] == '\n')
				log[n - 1] = '\0';
			return berth_error_setx(err, errnum, "%s: %s (%s)", what, strerror(errnum),
						strncmp(log, "e ", 2) == 0 ? log + 2 : log);
		}
	}
	return berth_error_set(err, errnum, "%s", what);
}

static int attach(int mnt_fd, const char *target, struct berth_error *err)
{
	if (move_mount(mnt_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return berth_error_set(err, errno, "move_mount to \"%s\"", target);
	return 0;
}

/* A read-only bind mount of dirfd/path (a layer, or the copy) at target. */
static int bind_mount(int dirfd, const char *path, const char *target, bool read_only, struct berth_error *err)
{
	_cleanup_close_ int fd = open_tree(dirfd, path,
					   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW | (*path ? 0 : AT_EMPTY_PATH));
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV };

	if (fd < 0)
		return berth_error_set(err, errno, "open_tree \"%s\"", path);
	if (read_only && mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return berth_error_set(err, errno, "mount_setattr read-only");
	return attach(fd, target, err);
}

/* "hexN:…:hex1": top layer first, relative to layers/ (the cwd at CMD_CREATE). */
static char *lowerdir_option(char *const *chain_ids, size_t n)
{
	size_t len = n * (BERTH_DIGEST_HEX_LEN + 1) + 1;
	char *out = berth_xmalloc(len), *p = out;

	for (size_t i = n; i-- > 0;) {
		memcpy(p, berth_digest_hex(chain_ids[i]), BERTH_DIGEST_HEX_LEN);
		p += BERTH_DIGEST_HEX_LEN;
		*p++ = i ? ':' : '\0';
	}
	return out;
}

/* Configure and create the superblock: lower dirs resolve relative to layers/, our cwd meanwhile. */
static int overlay_create(struct berth_store *s, int fsfd, const char *lower, const char *upper, const char *work,
			  unsigned flags, struct berth_error *err)
{
	_cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = 0, saved;

	if (cwd < 0)
		return berth_error_set(err, errno, "open the working directory");
	/* older kernels look lowerdir up at CMD_CREATE, newer ones at fsconfig: both run in layers/ */
	if (fchdir(s->layers_fd) < 0)
		return berth_error_set(err, errno, "chdir \"%s/layers\"", s->root);
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
		r = fs_error(fsfd, errno, "overlay lowerdir", err);
	if (r == 0 && upper &&
	    (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
	     fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0))
		r = fs_error(fsfd, errno, "overlay upperdir/workdir", err);
	/* layers are shared by many mounts: no inode index tying a lower dir to one upper (docker does the same) */
	if (r == 0 && fsconfig(fsfd, FSCONFIG_SET_STRING, "index", "off", 0) < 0)
		r = fs_error(fsfd, errno, "overlay index=off", err);
	/* best effort: kernels before 5.10 have no volatile, and sync as before */
	if (r == 0 && upper && (flags & BERTH_OVERLAY_VOLATILE))
		(void)fsconfig(fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0);
	if (r == 0 && fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		r = fs_error(fsfd, errno, "create the overlay", err);
	saved = errno;
	if (fchdir(cwd) < 0)
		abort(); /* the process would go on in the wrong directory */
	errno = saved;
	return r;
}

static int overlay_mount(struct berth_store *s, char *const *chain_ids, size_t n, const char *upper, const char *work,
			 const char *target, unsigned flags, struct berth_error *err)
{
	_cleanup_free_ char *lower = lowerdir_option(chain_ids, n);
	_cleanup_close_ int fsfd = -EBADF, mfd = -EBADF;
	int r;

	fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return berth_error_set(err, errno, "fsopen overlay");
	r = overlay_create(s, fsfd, lower, upper, work, flags, err);
	if (r < 0)
		return r;
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, upper ? 0 : MOUNT_ATTR_RDONLY);
	if (mfd < 0)
		return fs_error(fsfd, errno, "fsmount overlay", err);
	return attach(mfd, target, err);
}

/* The copy driver: the layers applied bottom first onto dest_fd. */
static int copy_layers(struct berth_store *s, char *const *chain_ids, size_t n, int dest_fd, struct berth_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *hex = berth_digest_hex(chain_ids[i]);
		_cleanup_close_ int lfd = openat(s->layers_fd, hex, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int r;

		if (lfd < 0)
			return berth_error_set(err, errno, "open layer %s", chain_ids[i]);
		r = berth_layer_copy_over(lfd, dest_fd, err);
		if (r < 0)
			return berth_error_prefix(err, "copy layer %s", chain_ids[i]);
	}
	return 0;
}

#define COPY_DONE_MARK "berth-copied"

/*
 * Writable: the layers are copied into upper once (a mark in work says so:
 * a restarted container keeps its changes), and upper is bind-mounted.
 * Read-only: they are copied into target itself, bind-mounted onto itself.
 */
static int copy_mount(struct berth_store *s, char *const *chain_ids, size_t n, const char *upper, const char *work,
		      const char *target, struct berth_error *err)
{
	const char *dest = upper ? upper : target;
	_cleanup_close_ int dest_fd = -EBADF, work_fd = -EBADF;
	int r;

	dest_fd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dest_fd < 0)
		return berth_error_set(err, errno, "open \"%s\"", dest);
	if (upper) {
		work_fd = open(work, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (work_fd < 0)
			return berth_error_set(err, errno, "open \"%s\"", work);
	}
	if (!upper || faccessat(work_fd, COPY_DONE_MARK, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		r = copy_layers(s, chain_ids, n, dest_fd, err);
		if (r < 0)
			return r;
		if (upper) {
			r = berth_write_file_atomic(work_fd, COPY_DONE_MARK, "", 0, 0600, err);
			if (r < 0)
				return r;
		}
	}
	return bind_mount(dest_fd, "", target, !upper, err) < 0 ? berth_error_prefix(err, "bind \"%s\"", dest) : 0;
}

static int prepare_dirs(const char *upper, const char *work, const char *target, struct berth_error *err)
{
	int r = berth_mkdir_p(target, 0755, err);

	if (r < 0 || !upper)
		return r;
	if (upper[0] != '/' || work[0] != '/')
		return berth_error_setx(err, EINVAL, "upper and work directories must be absolute paths");
	r = berth_mkdir_p(upper, 0755, err);
	if (r >= 0)
		r = berth_mkdir_p(work, 0700, err);
	return r;
}

/*
 * A volatile mount leaves work/incompat/volatile in its work dir (unmounted
 * cleanly or not: overlayfs cannot tell), and refuses the dir until it goes,
 * since the upper dir may have lost writes: which a volatile (--rm)
 * container accepted from the start.
 */
static void drop_volatile_mark(const char *work)
{
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	_cleanup_close_ int fd = open(work, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		berth_rm_rf_at(fd, "work/incompat", &ignore);
}

int berth_overlay_mount(struct berth_store *s, char *const *chain_ids, size_t n, const char *upper_dir,
			const char *work_dir, const char *target, enum berth_rootfs_driver *ret_driver,
			struct berth_error *err)
{
	return berth_overlay_mount_flags(s, chain_ids, n, upper_dir, work_dir, target, 0, ret_driver, err);
}

int berth_overlay_mount_flags(struct berth_store *s, char *const *chain_ids, size_t n, const char *upper_dir,
			      const char *work_dir, const char *target, unsigned flags,
			      enum berth_rootfs_driver *ret_driver, struct berth_error *err)
{
	const char *forced = getenv("BERTH_ROOTFS_DRIVER");
	_cleanup_error_ struct berth_error overlay_err = BERTH_ERROR_INIT;
	int r;

	if (n == 0)
		return berth_error_setx(err, EINVAL, "mount \"%s\": an image without layers", target);
	if (!upper_dir != !work_dir)
		return berth_error_setx(err, EINVAL, "mount \"%s\": upper and work directories go together", target);
	for (size_t i = 0; i < n; i++) {
		if (berth_digest_validate(chain_ids[i], err) < 0)
			return berth_error_prefix(err, "mount \"%s\"", target);
		if (faccessat(s->layers_fd, berth_digest_hex(chain_ids[i]), F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_set(err, errno, "mount \"%s\": layer %s", target, chain_ids[i]);
	}
	r = prepare_dirs(upper_dir, work_dir, target, err);
	if (r < 0)
		return berth_error_prefix(err, "mount \"%s\"", target);
	if (upper_dir && (flags & BERTH_OVERLAY_VOLATILE))
		drop_volatile_mark(work_dir);

	if (!forced || strcmp(forced, "copy") != 0) {
		if (!upper_dir && n == 1)
			r = bind_mount(s->layers_fd, berth_digest_hex(chain_ids[0]), target, true, &overlay_err);
		else
			r = overlay_mount(s, chain_ids, n, upper_dir, work_dir, target, flags, &overlay_err);
		if (r >= 0) {
			if (ret_driver)
				*ret_driver = BERTH_ROOTFS_OVERLAY;
			return 0;
		}
		/* no overlayfs, or one that refuses this upper filesystem: copy; anything else is an error */
		if (r != -ENODEV && r != -EINVAL && r != -EOPNOTSUPP) {
			berth_error_setx(err, -r, "%s", overlay_err.msg);
			return berth_error_prefix(err, "mount \"%s\"", target);
		}
	}
	r = copy_mount(s, chain_ids, n, upper_dir, work_dir, target, err);
	if (r < 0)
		return berth_error_prefix(err, "mount \"%s\" (copy driver%s%s)", target, overlay_err.msg ? " after " : "",
					  overlay_err.msg ? overlay_err.msg : "");
	if (ret_driver)
		*ret_driver = BERTH_ROOTFS_COPY;
	return 0;
}

int berth_overlay_umount(const char *target, struct berth_error *err)
{
	if (umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return berth_error_set(err, errno, "unmount \"%s\"", target);
	return 0;
}
