#include "cloned-binary.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/memfd.h>
#include <linux/mount.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

#define BERTH_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* set just before the re-exec from the overlay: the mount the new image must be on */
#define SEALED_MOUNT_ENV "_BERTH_SEALED_EXE_MOUNT"

extern char **environ;

static int is_sealed_fd(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	return seals >= 0 && (seals & BERTH_SEALS) == BERTH_SEALS;
}

/* The id of the mount fd is on (the never-reused 64-bit one where the kernel has it); 0 if unknown. */
static uint64_t mount_id(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_MNT_ID_UNIQUE, &stx) < 0 ||
	    !(stx.stx_mask & (STATX_MNT_ID | STATX_MNT_ID_UNIQUE)))
		return 0;
	return stx.stx_mnt_id;
}

/*
 * Whether this image was executed from our read-only overlay: the
 * environment names the mount, set by the process that made it right
 * before execveat(), and /proc/self/exe must be an overlayfs file on that
 * very mount (a leftover variable names a mount that no longer holds us).
 * Read once: the variable goes, the answer stays.
 */
static bool from_sealed_overlay(int exe)
{
	static int known = -1;
	const char *env;
	struct statfs sf;

	if (known >= 0)
		return known;
	env = getenv(SEALED_MOUNT_ENV);
	known = env && *env && fstatfs(exe, &sf) == 0 && (unsigned long)sf.f_type == OVERLAYFS_SUPER_MAGIC &&
		mount_id(exe) != 0 && strtoull(env, NULL, 10) == mount_id(exe);
	unsetenv(SEALED_MOUNT_ENV);
	return known;
}

int berth_cloned_binary_is_sealed(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	return fd >= 0 && (is_sealed_fd(fd) || from_sealed_overlay(fd));
}

static int make_memfd(void)
{
	int fd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

	/* kernels before 6.3 reject MFD_EXEC; memfds are executable there anyway */
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return fd;
}

/* A ':' or '\' in a lowerdir path is escaped with '\'. */
static char *escape_lowerdir(const char *dir)
{
	char *out = berth_xmalloc(2 * strlen(dir) + 1), *p = out;

	for (; *dir; dir++) {
		if (*dir == ':' || *dir == '\\')
			*p++ = '\\';
		*p++ = *dir;
	}
	*p = '\0';
	return out;
}

/*
 * runc 1.2's seal, without a copy: a private overlayfs mount with the
 * binary's directory as its top layer has no upper layer, so it is
 * read-only through and through: opening the binary for writing through it
 * fails (EROFS), and nothing can turn it writable, the mount being attached
 * nowhere; it lives as long as a process runs the file.  Overlayfs wants a
 * second lower layer for that and refuses one that overlaps the first (the
 * same directory, an ancestor): /dev, found everywhere and never a
 * binary's home, whose contents the binary's directory hides where they
 * meet and which nobody looks at.  Returns an O_PATH fd of the binary on
 * the mount, or -1 (no overlayfs, no new mount API, not privileged): the
 * caller copies instead.
 */
static int open_via_overlay(void)
{
	_cleanup_free_ char *path = realpath("/proc/self/exe", NULL), *lower = NULL, *layers = NULL;
	_cleanup_close_ int fs = -EBADF, mnt = -EBADF;
	char *slash = path ? strrchr(path, '/') : NULL;

	if (!slash || slash == path || !slash[1])
		return -1;
	*slash = '\0';
	lower = escape_lowerdir(path);
	layers = berth_xasprintf("%s:/dev", lower);
	fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir", layers, 0) < 0)
		return -1;
	/* xino is of no use here, and its automatic choice can log to dmesg */
	(void)syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "xino", "off", 0);
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -1;
	mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
	if (mnt < 0)
		return -1;
	return openat(mnt, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

static int exec_via_overlay(char **argv)
{
	_cleanup_close_ int fd = open_via_overlay();
	char id[32];
	uint64_t mnt;

	if (fd < 0 || (mnt = mount_id(fd)) == 0)
		return -1;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)mnt);
	setenv(SEALED_MOUNT_ENV, id, 1);
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	unsetenv(SEALED_MOUNT_ENV);
	return -1;
}

int berth_cloned_binary_ensure(char **argv, struct berth_error *err)
{
	_cleanup_close_ int exe = -EBADF, mfd = -EBADF;
	struct stat st;
	off_t off = 0;

	exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return berth_error_set(err, errno, "open `/proc/self/exe`");
	if (is_sealed_fd(exe) || from_sealed_overlay(exe))
		return 0;
	/* returns only when the overlay cannot be had */
	exec_via_overlay(argv);

	if (fstat(exe, &st) < 0)
		return berth_error_set(err, errno, "stat `/proc/self/exe`");
	mfd = make_memfd();
	if (mfd < 0)
		return berth_error_set(err, errno, "memfd_create");
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, exe, &off, (size_t)(st.st_size - off));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berth_error_set(err, errno, "copy runtime binary to memfd");
		}
		if (n == 0)
			break;
	}
	if (fcntl(mfd, F_ADD_SEALS, BERTH_SEALS) < 0)
		return berth_error_set(err, errno, "seal runtime binary copy");
	fexecve(mfd, argv, environ);
	return berth_error_set(err, errno, "re-execute sealed runtime binary");
}
