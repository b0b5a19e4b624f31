#pragma once
/*
 * Mount primitives for building the container root filesystem.
 *
 * Every target is an O_PATH file descriptor found by resolving a path inside
 * the rootfs with openat2(RESOLVE_IN_ROOT): a symlink, even an absolute one or
 * one full of "..", is resolved as if the rootfs were "/", so nothing outside
 * the rootfs can be reached or created (CVE-2021-30465 class).  Mounts are
 * made with the new mount API (fsopen/fsconfig/fsmount, open_tree,
 * move_mount onto the target fd, mount_setattr), so the target cannot be
 * swapped between the check and the mount.
 *
 * Needs Linux 5.6 (openat2; fsopen and open_tree are older).  Without
 * mount_setattr (before 5.12) non-recursive attribute and propagation changes
 * fall back to mount(2) on /proc/self/fd/N; recursive ones then fail.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/*
 * Lexically clean a path the way Go's filepath.Clean does for an absolute
 * one: "//a/./b/../c/" -> "/a/c", ".." at the root stays at the root.  A
 * relative path is taken relative to "/".  Never NULL.
 */
char *berth_path_clean(const char *path);

/* Flags for berth_path_open_in_root(). */
enum {
	BERTH_PATH_MKDIR = 1 << 0,    /* create missing directories, the last component too */
	BERTH_PATH_MKFILE = 1 << 1,   /* create missing directories and an empty file as the last component */
	BERTH_PATH_NOFOLLOW = 1 << 2, /* the last component must not be a symlink (ELOOP) */
	BERTH_PATH_DIRECTORY = 1 << 3, /* the result must be a directory (ENOTDIR) */
};

/*
 * Open path (absolute, taken inside root_fd) as an O_PATH|O_CLOEXEC fd in
 * *ret_fd.  Symlinks are resolved within root_fd, component by component
 * where something has to be created (mode 0755 for directories, 0644 for
 * files); a dangling symlink on the way is followed to what it names,
 * which is created, as runc does; more than 40 of them fail with ELOOP.
 */
int berth_path_open_in_root(int root_fd, const char *path, unsigned flags, int *ret_fd, struct berth_error *err);

/* Fail with EINVAL unless fd is on a filesystem with the given statfs magic; what names it in the message. */
int berth_fd_check_fs(int fd, long magic, const char *what, struct berth_error *err);

/*
 * Clone the mount tree at dirfd/path (path "" = dirfd itself) into a
 * detached mount: a bind mount, recursive for rbind.  Symlinks in path are
 * followed (sources are host paths).
 */
int berth_mount_clone(int dirfd, const char *path, bool recursive, int *ret_fd, struct berth_error *err);

/*
 * Create a detached mount of a new filesystem of the given type.  ms_flags
 * are mount(2) flags: the superblock ones (MS_RDONLY, MS_SYNCHRONOUS,
 * MS_DIRSYNC, MS_MANDLOCK, MS_LAZYTIME) become fsconfig flags as mount(2)
 * would pass them; data is the comma-separated option string ("size=64k,
 * mode=755"; double quotes protect commas and are removed); attr are the
 * MOUNT_ATTR_* flags of the new mount.  A failure carries the kernel's own
 * explanation from the fs context log when there is one.
 */
int berth_mount_new_fs(const char *type, const char *source, unsigned long ms_flags, const char *data, uint64_t attr,
		       int *ret_fd, struct berth_error *err);

/* Attach a detached mount (from the two above) on top of target_fd: move_mount(2). */
int berth_mount_attach(int mnt_fd, int target_fd, struct berth_error *err);

/*
 * Change the MOUNT_ATTR_* attributes of the mount mnt_fd refers to (its root
 * must be the fd), of the whole tree below it when recursive.  Nothing to do
 * when set and clr are both 0.
 */
int berth_mount_setattr(int mnt_fd, bool recursive, uint64_t set, uint64_t clr, struct berth_error *err);

/* Change propagation: ms is MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE, maybe | MS_REC. */
int berth_mount_set_propagation(int mnt_fd, unsigned long ms, struct berth_error *err);

/* One line of /proc/PID/mountinfo, unescaped. */
struct berth_mountinfo {
	int id;
	int parent_id;
	char *root;          /* root of the mount within its filesystem */
	char *mount_point;   /* in the reader's root */
	char *options;       /* per-mount options: "rw,nosuid" */
	char *optional;      /* optional fields: "shared:1 master:2", may be "" */
	char *fstype;        /* "ext4", "cgroup", ... */
	char *source;        /* "/dev/sda1", "proc", ... */
	char *super_options; /* per-superblock options: "rw,cpu,cpuacct" */
};

/* Read and parse path (NULL = /proc/self/mountinfo). */
int berth_mountinfo_read(const char *path, struct berth_mountinfo **ret, size_t *ret_n, struct berth_error *err);
void berth_mountinfo_free(struct berth_mountinfo *m, size_t n);

/* true if "opt" is one of the comma-separated options in list */
bool berth_mount_option_in_list(const char *list, const char *opt);

/*
 * The data string with the SELinux context= option for label added, as
 * runc's label.FormatMountLabel: only when label is set and SELinux is
 * enabled.  Returns a new string or NULL when both are empty.
 */
char *berth_mount_label_data(const char *data, const char *label);

/*
 * Copy the contents of the directory src_fd into the directory dst_fd (the
 * root of a new tmpfs, for the "tmpcopyup" option): directories, regular
 * files, symlinks, device nodes and fifos, with owner, mode and timestamps;
 * no extended attributes.  Neither fd is followed through a symlink.
 */
int berth_mount_copy_up(int src_fd, int dst_fd, struct berth_error *err);
