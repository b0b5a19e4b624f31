#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mounts.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static const struct berth_oci_device default_devices[] = {
	{ .path = (char *)"/dev/null", .type = 'c', .major = 1, .minor = 3 },
	{ .path = (char *)"/dev/zero", .type = 'c', .major = 1, .minor = 5 },
	{ .path = (char *)"/dev/full", .type = 'c', .major = 1, .minor = 7 },
	{ .path = (char *)"/dev/random", .type = 'c', .major = 1, .minor = 8 },
	{ .path = (char *)"/dev/urandom", .type = 'c', .major = 1, .minor = 9 },
	{ .path = (char *)"/dev/tty", .type = 'c', .major = 5, .minor = 0 },
};

static mode_t device_format(char type)
{
	switch (type) {
	case 'c':
	case 'u':
		return S_IFCHR;
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default:
		return 0;
	}
}

/* An empty file at parent/name with the host's node at host_path bind mounted on it. */
static int device_bind(int parent, const char *name, const char *host_path, const char *path,
		       struct berth_error *err)
{
	_cleanup_close_ int target = -EBADF, src = -EBADF;
	const unsigned long long res = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
	struct stat st;
	int r;

	/* a symlink is left alone, as an existing node is by device_mknod() */
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return 0;
	if (mknodat(parent, name, S_IFREG | 0, 0) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "create `%s`", path);
	target = berth_openat2(parent, name, O_PATH | O_NOFOLLOW, 0, res);
	if (target < 0)
		return berth_error_set(err, -target, "open `%s`", path);
	if (fstat(target, &st) < 0)
		return berth_error_set(err, errno, "stat `%s`", path);
	if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))
		return berth_error_setx(err, EEXIST, "`%s` exists and is not a file", path);
	r = berth_mount_clone(AT_FDCWD, host_path, false, &src, err);
	if (r < 0)
		return r;
	r = berth_mount_attach(src, target, err);
	if (r < 0)
		return berth_error_prefix(err, "bind `%s` onto `%s`", host_path, path);
	return 0;
}

/* mknod the node; *ret_denied tells the caller to bind mount instead (mknod gave EPERM). */
static int device_mknod(int parent, const char *name, const struct berth_oci_device *dev, const char *path,
			bool *ret_denied, struct berth_error *err)
{
	mode_t fmt = device_format(dev->type);
	mode_t mode = (dev->has_file_mode ? dev->file_mode : 0666) & 07777;
	dev_t rdev = fmt == S_IFIFO ? 0 : makedev((unsigned)dev->major, (unsigned)dev->minor);
	struct stat st;
	mode_t old;
	int r;

	/*
	 * Like runc, what the rootfs already has is left alone: it is the
	 * container's own view, and masking checks /dev/null for itself.
	 */
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	/* umask would cut fileMode; we are single-threaded here */
	old = umask(0);
	r = mknodat(parent, name, fmt | mode, rdev);
	umask(old);
	if (r < 0 && errno == EPERM) {
		*ret_denied = true;
		return 0;
	}
	if (r < 0)
		return berth_error_set(err, errno, "mknod `%s`", path);
	if (fchownat(parent, name, dev->has_uid ? dev->uid : 0, dev->has_gid ? dev->gid : 0, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "chown `%s`", path);
	return 0;
}

int berth_device_create(int root_fd, const struct berth_oci_device *dev, bool bind, struct berth_error *err)
{
	_cleanup_free_ char *path = berth_path_clean(dev->path);
	_cleanup_close_ int parent = -EBADF;
	char *slash = strrchr(path, '/');
	int r;

	if (!device_format(dev->type))
		return berth_error_setx(err, EINVAL, "device `%s`: invalid type `%c`", path, dev->type);
	if (strcmp(path, "/") == 0)
		return berth_error_setx(err, EINVAL, "invalid device path `%s`", dev->path);
	*slash = '\0';
	r = berth_path_open_in_root(root_fd, path[0] ? path : "/", BERTH_PATH_MKDIR | BERTH_PATH_DIRECTORY, &parent,
				    err);
	*slash = '/';
	if (r < 0)
		return berth_error_prefix(err, "device `%s`", path);
	if (!bind) {
		bool denied = false;

		r = device_mknod(parent, slash + 1, dev, path, &denied, err);
		if (r < 0 || !denied)
			return r;
	}
	return device_bind(parent, slash + 1, path, path, err);
}

static bool in_config(const struct berth_oci_config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->linux_.n_devices; i++) {
		_cleanup_free_ char *p = berth_path_clean(cfg->linux_.devices[i].path);

		if (strcmp(p, path) == 0)
			return true;
	}
	return false;
}

static int dev_symlinks(int root_fd, struct berth_error *err)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },
		{ "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" },
		{ "/proc/self/fd/2", "stderr" },
		{ "/proc/kcore", "core" },
	};
	_cleanup_close_ int dev = -EBADF;
	int r;

	r = berth_path_open_in_root(root_fd, "/dev", BERTH_PATH_MKDIR | BERTH_PATH_DIRECTORY, &dev, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		/* CONFIG_PROC_KCORE may be off: only link to what exists (on the host, as runc checks) */
		if (strcmp(links[i][1], "core") == 0 && access(links[i][0], F_OK) < 0)
			continue;
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			return berth_error_set(err, errno, "symlink `/dev/%s`", links[i][1]);
	}
	/* /dev/ptmx must be the devpts one, whatever the rootfs ships */
	if (unlinkat(dev, "ptmx", 0) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, "remove `/dev/ptmx`");
	if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
		return berth_error_set(err, errno, "symlink `/dev/ptmx`");
	return 0;
}

int berth_devices_setup(int root_fd, const struct berth_oci_config *cfg, bool in_userns, struct berth_error *err)
{
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		if (in_config(cfg, default_devices[i].path))
			continue;
		r = berth_device_create(root_fd, &default_devices[i], in_userns, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < cfg->linux_.n_devices; i++) {
		r = berth_device_create(root_fd, &cfg->linux_.devices[i], in_userns, err);
		if (r < 0)
			return r;
	}
	return dev_symlinks(root_fd, err);
}
