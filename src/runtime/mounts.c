#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 0x2000
#endif

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
#define MAX_SYMLINKS 40

char *berth_path_clean(const char *path)
{
	size_t o = 0;
	char *out = berth_xmalloc(strlen(path) + 2);
	const char *p = path;

	out[o++] = '/';
	while (*p) {
		const char *s;
		size_t n;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - s);
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
			continue;
		}
		if (o > 1)
			out[o++] = '/';
		memcpy(out + o, s, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

static int open_in_root(int root_fd, const char *path, int flags)
{
	return berth_openat2(root_fd, path, O_PATH | flags, 0, IN_ROOT);
}

/* Create the last component name in dir_fd; an existing entry is fine, the caller opens and checks it. */
static int create_entry(int dir_fd, const char *name, bool file, const char *path, struct berth_error *err)
{
	int r = file ? mknodat(dir_fd, name, S_IFREG | 0644, 0) : mkdirat(dir_fd, name, 0755);

	if (r < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "create `%s`", path);
	return 0;
}

/* The path of fd as seen from root_fd ("/etc" for <rootfs>/etc), from /proc/self/fd. */
static int path_in_root(int root_fd, int fd, char **ret, struct berth_error *err)
{
	char link[64], root[PATH_MAX], path[PATH_MAX];
	ssize_t nr, np;
	size_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", root_fd);
	nr = readlink(link, root, sizeof(root) - 1);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	np = readlink(link, path, sizeof(path) - 1);
	if (nr < 0 || np < 0)
		return berth_error_set(err, errno, "readlink `%s`", link);
	root[nr] = path[np] = '\0';
	n = strcmp(root, "/") == 0 ? 0 : (size_t)nr;
	if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return berth_error_setx(err, EXDEV, "`%s` is outside the root `%s`", path, root);
	*ret = berth_xstrdup(path[n] ? path + n : "/");
	return 0;
}

/*
 * name in dir_fd is a dangling symlink: the in-root path it points to, with
 * rest appended, so the caller can create that instead (runc does, and
 * images have /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf).
 */
static int dangling_target(int root_fd, int dir_fd, const char *name, const char *rest, int depth, char **ret,
			   struct berth_error *err)
{
	_cleanup_free_ char *base = NULL, *joined = NULL;
	char target[PATH_MAX];
	ssize_t n;
	int r;

	if (depth >= MAX_SYMLINKS)
		return berth_error_setx(err, ELOOP, "too many levels of symbolic links at `%s`", name);
	n = readlinkat(dir_fd, name, target, sizeof(target) - 1);
	if (n < 0)
		return berth_error_set(err, errno == EINVAL ? ENOENT : errno, "readlink `%s`", name);
	target[n] = '\0';
	if (target[0] != '/') {
		r = path_in_root(root_fd, dir_fd, &base, err);
		if (r < 0)
			return r;
	}
	joined = berth_xasprintf("%s/%s/%s", base ? base : "", target, rest ? rest : "");
	*ret = berth_path_clean(joined);
	return 0;
}

/*
 * Open the directory `clean` (a cleaned absolute path) in root_fd.  When
 * creating, walk from the root: every prefix is resolved in-root by the
 * kernel, a missing one is made in its resolved parent and resolved again,
 * so a symlink anywhere, swapped in at any time, still lands inside.
 */
static int open_dir_in_root(int root_fd, const char *clean, bool mkdir, int depth, int *ret_fd,
			    struct berth_error *err)
{
	_cleanup_free_ char *prefix = NULL;
	_cleanup_close_ int cur = -EBADF;
	int fd = open_in_root(root_fd, clean, O_DIRECTORY);

	if (fd >= 0) {
		*ret_fd = fd;
		return 0;
	}
	if (fd != -ENOENT || !mkdir)
		return berth_error_set(err, -fd, "open `%s`", clean);

	cur = open_in_root(root_fd, "/", O_DIRECTORY);
	if (cur < 0)
		return berth_error_set(err, -cur, "open the root directory");
	prefix = berth_xstrdup(clean);
	for (char *s = prefix + 1;;) {
		char *e = strchrnul(s, '/');
		char saved = *e;
		int r;

		*e = '\0';
		fd = open_in_root(root_fd, prefix, O_DIRECTORY);
		if (fd == -ENOENT) {
			r = create_entry(cur, s, false, prefix, err);
			if (r < 0)
				return r;
			fd = open_in_root(root_fd, prefix, O_DIRECTORY);
		}
		if (fd == -ENOENT) {
			_cleanup_free_ char *next = NULL;

			r = dangling_target(root_fd, cur, s, saved ? e + 1 : NULL, depth, &next, err);
			if (r < 0)
				return r;
			return open_dir_in_root(root_fd, next, mkdir, depth + 1, ret_fd, err);
		}
		if (fd < 0)
			return berth_error_set(err, -fd, "open `%s`", prefix);
		close(cur);
		cur = fd;
		if (!saved)
			break;
		*e = '/';
		s = e + 1;
	}
	*ret_fd = TAKE_FD(cur);
	return 0;
}

static int check_type(int fd, unsigned flags, const char *path, struct berth_error *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "stat `%s`", path);
	if (S_ISLNK(st.st_mode))
		return berth_error_setx(err, ELOOP, "`%s` is a symlink", path);
	if ((flags & BERTH_PATH_DIRECTORY) && !S_ISDIR(st.st_mode))
		return berth_error_setx(err, ENOTDIR, "`%s` is not a directory", path);
	return 0;
}

static int open_path_in_root(int root_fd, const char *path, unsigned flags, int depth, int *ret_fd,
			     struct berth_error *err)
{
	_cleanup_free_ char *clean = berth_path_clean(path);
	_cleanup_close_ int parent = -EBADF, fd = -EBADF;
	bool mk = flags & (BERTH_PATH_MKDIR | BERTH_PATH_MKFILE);
	char *slash, *last;
	int r;

	if (strcmp(clean, "/") == 0) {
		fd = open_in_root(root_fd, "/", O_DIRECTORY);
		if (fd < 0)
			return berth_error_set(err, -fd, "open the root directory");
		*ret_fd = TAKE_FD(fd);
		return 0;
	}
	if (!(flags & BERTH_PATH_NOFOLLOW)) {
		fd = open_in_root(root_fd, clean, 0);
		if (fd >= 0 || fd != -ENOENT || !mk)
			goto done;
	}

	slash = strrchr(clean, '/');
	*slash = '\0';
	r = open_dir_in_root(root_fd, slash == clean ? "/" : clean, mk, depth, &parent, err);
	*slash = '/';
	if (r < 0)
		return r;
	last = slash + 1;

	if (flags & BERTH_PATH_NOFOLLOW) {
		/* one component below a trusted directory: no symlink may be followed */
		const unsigned long long res = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;

		fd = berth_openat2(parent, last, O_PATH | O_NOFOLLOW, 0, res);
		if (fd == -ENOENT && mk) {
			r = create_entry(parent, last, flags & BERTH_PATH_MKFILE, clean, err);
			if (r < 0)
				return r;
			fd = berth_openat2(parent, last, O_PATH | O_NOFOLLOW, 0, res);
		}
	} else {
		r = create_entry(parent, last, flags & BERTH_PATH_MKFILE, clean, err);
		if (r < 0)
			return r;
		fd = open_in_root(root_fd, clean, 0);
		if (fd == -ENOENT) {
			_cleanup_free_ char *next = NULL;

			r = dangling_target(root_fd, parent, last, NULL, depth, &next, err);
			if (r < 0)
				return r;
			return open_path_in_root(root_fd, next, flags, depth + 1, ret_fd, err);
		}
	}
done:
	if (fd < 0)
		return berth_error_set(err, -fd, "open `%s`", clean);
	r = check_type(fd, flags, clean, err);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int berth_path_open_in_root(int root_fd, const char *path, unsigned flags, int *ret_fd, struct berth_error *err)
{
	return open_path_in_root(root_fd, path, flags, 0, ret_fd, err);
}

int berth_fd_check_fs(int fd, long magic, const char *what, struct berth_error *err)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return berth_error_set(err, errno, "statfs `%s`", what);
	if ((long)sfs.f_type != magic)
		return berth_error_setx(err, EINVAL, "`%s` is not the expected filesystem (magic 0x%lx, wanted 0x%lx)", what,
					(unsigned long)sfs.f_type, (unsigned long)magic);
	return 0;
}

int berth_mount_clone(int dirfd, const char *path, bool recursive, int *ret_fd, struct berth_error *err)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
	int fd;

	if (recursive)
		flags |= AT_RECURSIVE;
	if (path[0] == '\0')
		flags |= AT_EMPTY_PATH;
	fd = open_tree(dirfd, path, flags);
	if (fd < 0)
		return berth_error_set(err, errno, "clone mount tree `%s`", path[0] ? path : "(fd)");
	*ret_fd = fd;
	return 0;
}

/* The last error or warning the kernel logged in the fs context, for the message; "" if none. */
static void fs_log(int fsfd, char *buf, size_t size)
{
	char line[512];
	ssize_t n;

	buf[0] = '\0';
	while ((n = read(fsfd, line, sizeof(line) - 1)) > 0) {
		while (n > 0 && line[n - 1] == '\n')
			n--;
		line[n] = '\0';
		if (n > 2 && (line[0] == 'e' || line[0] == 'w') && line[1] == ' ')
			snprintf(buf, size, "%s", line + 2);
	}
}

static int fs_error(int fsfd, int errnum, const char *what, struct berth_error *err)
{
	char log[512];

	fs_log(fsfd, log, sizeof(log));
	if (log[0])
		return berth_error_setx(err, errnum, "%s: %s (%s)", what, strerror(errnum), log);
	return berth_error_set(err, errnum, "%s", what);
}

static int fs_config_data(int fsfd, const char *data, struct berth_error *err)
{
	_cleanup_free_ char *copy = berth_xstrdup(data);

	for (char *p = copy; *p;) {
		char *key = p, *value;
		bool quoted = false;
		size_t len;

		while (*p && (quoted || *p != ',')) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		if (*p)
			*p++ = '\0';
		if (!key[0])
			continue;
		value = strchr(key, '=');
		if (!value) {
			if (fsconfig(fsfd, FSCONFIG_SET_FLAG, key, NULL, 0) < 0) {
				int e = errno;
				_cleanup_free_ char *what = berth_xasprintf("option `%s`", key);
				return fs_error(fsfd, e, what, err);
			}
			continue;
		}
		*value++ = '\0';
		len = strlen(value);
		if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
			value[len - 1] = '\0';
			value++;
		}
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, key, value, 0) < 0) {
			int e = errno;
			_cleanup_free_ char *what = berth_xasprintf("option `%s=%s`", key, value);
			return fs_error(fsfd, e, what, err);
		}
	}
	return 0;
}

int berth_mount_new_fs(const char *type, const char *source, unsigned long ms_flags, const char *data, uint64_t attr,
		       int *ret_fd, struct berth_error *err)
{
	static const struct {
		unsigned long ms;
		const char *name;
	} sb_flags[] = {
		{ MS_RDONLY, "ro" },     { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" },
		{ MS_MANDLOCK, "mand" }, { MS_LAZYTIME, "lazytime" },
	};
	const uint64_t valid = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
			       MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW;
	_cleanup_close_ int fsfd = fsopen(type, FSOPEN_CLOEXEC);
	int fd, r;

	if (fsfd < 0) {
		if (errno == ENODEV)
			return berth_error_setx(err, ENODEV, "unknown filesystem type `%s`", type);
		return berth_error_set(err, errno, "fsopen `%s`", type);
	}
	if (source && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
		return fs_error(fsfd, errno, "source", err);
	for (size_t i = 0; i < ARRAY_SIZE(sb_flags); i++)
		if ((ms_flags & sb_flags[i].ms) && fsconfig(fsfd, FSCONFIG_SET_FLAG, sb_flags[i].name, NULL, 0) < 0)
			return fs_error(fsfd, errno, sb_flags[i].name, err);
	if (data) {
		r = fs_config_data(fsfd, data, err);
		if (r < 0)
			return r;
	}
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_error(fsfd, errno, "create superblock", err);
	fd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned)(attr & valid));
	if (fd < 0)
		return fs_error(fsfd, errno, "fsmount", err);
	*ret_fd = fd;
	return 0;
}

int berth_mount_attach(int mnt_fd, int target_fd, struct berth_error *err)
{
	if (move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return berth_error_set(err, errno, "move_mount");
	return 0;
}

/* mount(2) MS_REMOUNT|MS_BIND for kernels without mount_setattr: needs every flag, so start from the current ones */
static int setattr_legacy(int mnt_fd, uint64_t set, uint64_t clr, struct berth_error *err)
{
	static const struct {
		unsigned long st;
		unsigned long ms;
		uint64_t attr;
	} map[] = {
		{ ST_RDONLY, MS_RDONLY, MOUNT_ATTR_RDONLY },
		{ ST_NOSUID, MS_NOSUID, MOUNT_ATTR_NOSUID },
		{ ST_NODEV, MS_NODEV, MOUNT_ATTR_NODEV },
		{ ST_NOEXEC, MS_NOEXEC, MOUNT_ATTR_NOEXEC },
		{ ST_NODIRATIME, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME },
		{ ST_NOSYMFOLLOW, MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
	};
	unsigned long flags = MS_REMOUNT | MS_BIND;
	struct statvfs sv;
	char path[64];

	if (fstatvfs(mnt_fd, &sv) < 0)
		return berth_error_set(err, errno, "statvfs");
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if ((set & map[i].attr) || ((sv.f_flag & map[i].st) && !(clr & map[i].attr)))
			flags |= map[i].ms;
	if (clr & MOUNT_ATTR__ATIME) {
		if ((set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME)
			flags |= MS_NOATIME;
		else if ((set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_STRICTATIME)
			flags |= MS_STRICTATIME;
	} else if (sv.f_flag & ST_NOATIME) {
		flags |= MS_NOATIME;
	} else if (!(sv.f_flag & ST_RELATIME)) {
		flags |= MS_STRICTATIME;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mnt_fd);
	if (mount(NULL, path, NULL, flags, NULL) < 0)
		return berth_error_set(err, errno, "remount");
	return 0;
}

int berth_mount_setattr(int mnt_fd, bool recursive, uint64_t set, uint64_t clr, struct berth_error *err)
{
	struct mount_attr a = { .attr_set = set, .attr_clr = clr };

	if (!set && !clr)
		return 0;
	if (mount_setattr(mnt_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) == 0)
		return 0;
	if (errno != ENOSYS)
		return berth_error_set(err, errno, "mount_setattr");
	if (recursive)
		return berth_error_setx(err, EOPNOTSUPP, "recursive mount options need mount_setattr (linux 5.12)");
	return setattr_legacy(mnt_fd, set, clr, err);
}

int berth_mount_set_propagation(int mnt_fd, unsigned long ms, struct berth_error *err)
{
	struct mount_attr a = { .propagation = ms & ~(unsigned long)MS_REC };
	char path[64];

	if (mount_setattr(mnt_fd, "", AT_EMPTY_PATH | ((ms & MS_REC) ? AT_RECURSIVE : 0), &a, sizeof(a)) == 0)
		return 0;
	if (errno != ENOSYS)
		return berth_error_set(err, errno, "set mount propagation");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mnt_fd);
	if (mount(NULL, path, NULL, ms, NULL) < 0)
		return berth_error_set(err, errno, "set mount propagation");
	return 0;
}

bool berth_mount_option_in_list(const char *list, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = list; p && *p;) {
		const char *e = strchrnul(p, ',');

		if ((size_t)(e - p) == n && strncmp(p, opt, n) == 0)
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

/* Undo the octal escapes (\040 for a space) of a mountinfo field, in place. */
static char *unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
		    p[3] <= '7') {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return s;
}

static int mountinfo_parse_line(char *line, struct berth_mountinfo *m)
{
	char *f[6], *save = NULL, *tok, *sep;
	size_t n = 0;

	sep = strstr(line, " - ");
	if (!sep)
		return -EINVAL;
	*sep = '\0';
	/* id parent major:minor root mount_point options [optional...] */
	while (n < 6 && (tok = strtok_r(n ? NULL : line, " ", &save)))
		f[n++] = tok;
	if (n < 6)
		return -EINVAL;
	m->id = atoi(f[0]);
	m->parent_id = atoi(f[1]);
	m->root = berth_xstrdup(unescape(f[3]));
	m->mount_point = berth_xstrdup(unescape(f[4]));
	m->options = berth_xstrdup(f[5]);
	m->optional = berth_xstrdup(save ? save : "");
	/* fstype source super_options */
	save = NULL;
	tok = strtok_r(sep + 3, " ", &save);
	m->fstype = berth_xstrdup(tok ? unescape(tok) : "");
	tok = strtok_r(NULL, " ", &save);
	m->source = berth_xstrdup(tok ? unescape(tok) : "");
	tok = strtok_r(NULL, " \n", &save);
	m->super_options = berth_xstrdup(tok ? tok : "");
	return 0;
}

int berth_mountinfo_read(const char *path, struct berth_mountinfo **ret, size_t *ret_n, struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	struct berth_mountinfo *v = NULL;
	size_t n = 0;
	int r;

	if (!path)
		path = "/proc/self/mountinfo";
	r = berth_read_file(path, 0, &buf, NULL, err);
	if (r < 0)
		return r;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		v = berth_xreallocarray(v, n + 1, sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		if (mountinfo_parse_line(line, &v[n]) < 0) {
			berth_mountinfo_free(v, n + 1);
			return berth_error_setx(err, EINVAL, "`%s`: malformed line %zu", path, n + 1);
		}
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void berth_mountinfo_free(struct berth_mountinfo *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free(m[i].root);
		free(m[i].mount_point);
		free(m[i].options);
		free(m[i].optional);
		free(m[i].fstype);
		free(m[i].source);
		free(m[i].super_options);
	}
	free(m);
}

static bool selinux_enabled(void)
{
	static int cached = -1;
	struct statfs sfs;

	if (cached < 0)
		cached = statfs("/sys/fs/selinux", &sfs) == 0 && sfs.f_type == SELINUX_MAGIC;
	return cached;
}

char *berth_mount_label_data(const char *data, const char *label)
{
	if (!label || !label[0] || !selinux_enabled())
		return berth_xstrdup_or_null(data);
	if (!data || !data[0])
		return berth_xasprintf("context=\"%s\"", label);
	return berth_xasprintf("%s,context=\"%s\"", data, label);
}

static int copy_file(int src_dir, int dst_dir, const char *name, const struct stat *st, struct berth_error *err)
{
	_cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	_cleanup_close_ int out = -EBADF;

	if (in < 0)
		return berth_error_set(err, errno, "open `%s`", name);
	out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
	if (out < 0)
		return berth_error_set(err, errno, "create `%s`", name);
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		char buf[65536];

		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return berth_error_set(err, errno, "copy `%s`", name);
		/* no copy_file_range between these filesystems: plain read/write from here on */
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (berth_write_all(out, buf, (size_t)n) < 0)
				return berth_error_set(err, errno, "write `%s`", name);
		if (n < 0)
			return berth_error_set(err, errno, "read `%s`", name);
		return 0;
	}
}

static int copy_up(int src_fd, int dst_fd, int depth, struct berth_error *err);

static int copy_entry(int src_dir, int dst_dir, const char *name, int depth, struct berth_error *err)
{
	struct stat st;
	int r = 0;

	if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "stat `%s`", name);
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int s = -EBADF, d = -EBADF;

		if (depth > 64)
			return berth_error_setx(err, ELOOP, "`%s`: directories nested too deep", name);
		if (mkdirat(dst_dir, name, st.st_mode & 07777) < 0)
			return berth_error_set(err, errno, "mkdir `%s`", name);
		s = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return berth_error_set(err, errno, "open `%s`", name);
		r = copy_up(s, d, depth, err);
		if (r < 0)
			return berth_error_prefix(err, "%s", name);
	} else if (S_ISREG(st.st_mode)) {
		r = copy_file(src_dir, dst_dir, name, &st, err);
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(src_dir, name, target, sizeof(target) - 1);

		if (n < 0)
			return berth_error_set(err, errno, "readlink `%s`", name);
		target[n] = '\0';
		if (symlinkat(target, dst_dir, name) < 0)
			return berth_error_set(err, errno, "symlink `%s`", name);
	} else if (mknodat(dst_dir, name, st.st_mode, st.st_rdev) < 0) {
		return berth_error_set(err, errno, "mknod `%s`", name);
	}
	if (r < 0)
		return r;
	if (fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM &&
	    errno != EINVAL)
		return berth_error_set(err, errno, "chown `%s`", name);
	/* chown drops setuid bits: set the mode again (not on symlinks, which have none) */
	if (!S_ISLNK(st.st_mode) && fchmodat(dst_dir, name, st.st_mode & 07777, 0) < 0)
		return berth_error_set(err, errno, "chmod `%s`", name);
	utimensat(dst_dir, name, (struct timespec[]){ st.st_atim, st.st_mtim }, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int copy_up(int src_fd, int dst_fd, int depth, struct berth_error *err)
{
	_cleanup_close_ int dfd = openat(src_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (dfd < 0)
		return berth_error_set(err, errno, "open directory");
	d = fdopendir(dfd);
	if (!d)
		return berth_error_set(err, errno, "open directory");
	dfd = -EBADF;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = copy_entry(dirfd(d), dst_fd, de->d_name, depth + 1, err);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int berth_mount_copy_up(int src_fd, int dst_fd, struct berth_error *err)
{
	return copy_up(src_fd, dst_fd, 0, err);
}
