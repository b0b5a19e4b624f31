#include "whiteouts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

int berth_whiteout_classify(const char *base, enum berth_whiteout *ret, const char **ret_name, struct berth_error *err)
{
	const char *name;

	*ret_name = NULL;
	if (strncmp(base, BERTH_WHITEOUT_PREFIX, strlen(BERTH_WHITEOUT_PREFIX)) != 0) {
		*ret = BERTH_WHITEOUT_NONE;
		return 0;
	}
	if (strcmp(base, BERTH_WHITEOUT_OPAQUE_NAME) == 0) {
		*ret = BERTH_WHITEOUT_OPAQUE;
		return 0;
	}
	if (strncmp(base, BERTH_WHITEOUT_META_PREFIX, strlen(BERTH_WHITEOUT_META_PREFIX)) == 0) {
		*ret = BERTH_WHITEOUT_META;
		return 0;
	}
	name = base + strlen(BERTH_WHITEOUT_PREFIX);
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/'))
		return berth_error_setx(err, EINVAL, "invalid whiteout `%s`", base);
	*ret = BERTH_WHITEOUT_FILE;
	*ret_name = name;
	return 0;
}

int berth_whiteout_make(int dirfd, const char *name, struct berth_error *err)
{
	int r = berth_rm_rf_at(dirfd, name, err);

	if (r < 0)
		return r;
	if (mknodat(dirfd, name, S_IFCHR | 0000, makedev(0, 0)) < 0)
		return berth_error_set(err, errno, "create whiteout `%s`", name);
	return 0;
}

int berth_whiteout_make_opaque(int dirfd, struct berth_error *err)
{
	if (fsetxattr(dirfd, BERTH_OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
		return berth_error_set(err, errno, "set `%s`", BERTH_OVERLAY_OPAQUE_XATTR);
	return 0;
}

/* ---- the copy driver ---- */

/* A file of the layer with more than one link, and where its first copy went. */
struct link {
	dev_t dev;
	ino_t ino;
	char *path; /* relative to dest */
};

struct copy {
	int dest; /* dest root */
	void *links; /* tsearch() tree of struct link */
};

static int link_cmp(const void *a, const void *b)
{
	const struct link *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static void link_free(void *p)
{
	struct link *l = p;

	free(l->path);
	free(l);
}

static bool is_opaque(int fd)
{
	char v[2];
	ssize_t n = fgetxattr(fd, BERTH_OVERLAY_OPAQUE_XATTR, v, sizeof(v));

	return n == 1 && v[0] == 'y';
}

static bool xattr_copied(const char *name)
{
	return strncmp(name, "trusted.overlay.", strlen("trusted.overlay.")) != 0;
}

static int copy_xattrs(int src, int dst, const char *path, struct berth_error *err)
{
	_cleanup_free_ char *names = NULL;
	ssize_t len = flistxattr(src, NULL, 0);

	if (len < 0) {
		if (errno == EOPNOTSUPP)
			return 0;
		return berth_error_set(err, errno, "`%s`: list xattrs", path);
	}
	if (len == 0)
		return 0;
	names = berth_xmalloc((size_t)len);
	len = flistxattr(src, names, (size_t)len);
	if (len < 0)
		return berth_error_set(err, errno, "`%s`: list xattrs", path);
	for (char *n = names; n < names + len; n += strlen(n) + 1) {
		_cleanup_free_ char *value = NULL;
		ssize_t vlen;

		if (!xattr_copied(n))
			continue;
		vlen = fgetxattr(src, n, NULL, 0);
		if (vlen < 0)
			return berth_error_set(err, errno, "`%s`: get xattr `%s`", path, n);
		value = berth_xmalloc((size_t)vlen + 1);
		vlen = fgetxattr(src, n, value, (size_t)vlen);
		if (vlen < 0)
			return berth_error_set(err, errno, "`%s`: get xattr `%s`", path, n);
		if (fsetxattr(dst, n, value, (size_t)vlen, 0) < 0)
			return berth_error_set(err, errno, "`%s`: set xattr `%s`", path, n);
	}
	return 0;
}

/* Owner, mode, xattrs, times of a file or directory open in both trees; chmod after chown (setuid). */
static int copy_meta_fd(int src, int dst, const struct stat *st, const char *path, struct berth_error *err)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int r;

	if (fchown(dst, st->st_uid, st->st_gid) < 0)
		return berth_error_set(err, errno, "`%s`: chown", path);
	if (fchmod(dst, st->st_mode & 07777) < 0)
		return berth_error_set(err, errno, "`%s`: chmod", path);
	r = copy_xattrs(src, dst, path, err);
	if (r < 0)
		return r;
	if (futimens(dst, ts) < 0)
		return berth_error_set(err, errno, "`%s`: set times", path);
	return 0;
}

/* The same for a symlink, device or fifo, by name, never followed. */
static int copy_meta_at(int dfd, const char *name, const struct stat *st, const char *path, struct berth_error *err)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "`%s`: chown", path);
	if (!S_ISLNK(st->st_mode) && fchmodat(dfd, name, st->st_mode & 07777, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "`%s`: chmod", path);
	if (utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "`%s`: set times", path);
	return 0;
}

static int copy_data(int src, int dst, const char *path, struct berth_error *err)
{
	char buf[64 * 1024];

	/* a reflink where the filesystem shares extents (btrfs, xfs) */
	if (ioctl(dst, FICLONE, src) == 0)
		return 0;
	for (;;) {
		ssize_t n = copy_file_range(src, NULL, dst, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return berth_error_set(err, errno, "`%s`: copy", path);
		break;
	}
	/* copy_file_range() refused (it moved both offsets as far as it got): plain read/write */
	for (;;) {
		ssize_t n = read(src, buf, sizeof(buf));
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_set(err, errno, "`%s`: read", path);
		if (n == 0)
			return 0;
		r = berth_write_all(dst, buf, (size_t)n);
		if (r < 0)
			return berth_error_set(err, -r, "`%s`: write", path);
	}
}

/* A second name of a file already copied: link to that copy. */
static bool copy_as_link(struct copy *c, const struct stat *st, int dfd, const char *name)
{
	struct link key = { st->st_dev, st->st_ino, NULL };
	struct link **found = tfind(&key, &c->links, link_cmp);
	_cleanup_free_ char *split = NULL;
	_cleanup_close_ int pfd = -EBADF;
	const char *parent = ".", *base;
	char *slash;

	if (!found)
		return false;
	split = berth_xstrdup((*found)->path);
	slash = strrchr(split, '/');
	base = split;
	if (slash) {
		*slash = '\0';
		parent = split;
		base = slash + 1;
	}
	/* our own copy: real directories, nothing to follow */
	pfd = berth_openat2(c->dest, parent, O_PATH | O_DIRECTORY, 0, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
	/* on failure the data is copied instead */
	return pfd >= 0 && linkat(pfd, base, dfd, name, 0) == 0;
}

static void remember_link(struct copy *c, const struct stat *st, const char *path)
{
	struct link *l = berth_xzalloc(sizeof(*l));
	struct link **slot;

	l->dev = st->st_dev;
	l->ino = st->st_ino;
	l->path = berth_xstrdup(path);
	slot = tsearch(l, &c->links, link_cmp);
	if (!slot)
		abort(); /* out of memory */
	if (*slot != l)
		link_free(l);
}

static int copy_file(struct copy *c, int lfd, int dfd, const char *name, const struct stat *st, const char *path,
		     struct berth_error *err)
{
	_cleanup_close_ int src = -EBADF, dst = -EBADF;
	int r;

	if (st->st_nlink > 1 && copy_as_link(c, st, dfd, name))
		return 0;
	src = openat(lfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0)
		return berth_error_set(err, errno, "`%s`: open", path);
	dst = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dst < 0)
		return berth_error_set(err, errno, "`%s`: create", path);
	r = copy_data(src, dst, path, err);
	if (r < 0)
		return r;
	r = copy_meta_fd(src, dst, st, path, err);
	if (r < 0)
		return r;
	if (st->st_nlink > 1)
		remember_link(c, st, path);
	return 0;
}

static int copy_symlink(int lfd, int dfd, const char *name, const struct stat *st, const char *path,
			struct berth_error *err)
{
	_cleanup_free_ char *target = NULL;
	size_t size = (size_t)st->st_size + 1;

	for (;;) {
		ssize_t n;

		target = berth_xrealloc(target, size);
		n = readlinkat(lfd, name, target, size);
		if (n < 0)
			return berth_error_set(err, errno, "`%s`: readlink", path);
		if ((size_t)n < size) {
			target[n] = '\0';
			break;
		}
		size *= 2;
	}
	if (symlinkat(target, dfd, name) < 0)
		return berth_error_set(err, errno, "`%s`: symlink", path);
	return copy_meta_at(dfd, name, st, path, err);
}

static int copy_tree(struct copy *c, int lfd, int dfd, const char *rel, struct berth_error *err);

/* Empty dest's directory, for an opaque layer directory. */
static int empty_dir(int dfd, const char *path, struct berth_error *err)
{
	DIR *d;
	struct dirent *de;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return berth_error_set(err, errno, "`%s`: open", path);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return berth_error_set(err, errno, "`%s`: open", path);
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = berth_rm_rf_at(dfd, de->d_name, err);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

static int copy_dir(struct copy *c, int lfd, int dfd, const char *name, const struct stat *st, const char *path,
		    struct berth_error *err)
{
	_cleanup_close_ int lsub = -EBADF, dsub = -EBADF;
	struct stat dst;
	bool existed = false;
	int r;

	lsub = openat(lfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lsub < 0)
		return berth_error_set(err, errno, "`%s`: open", path);
	if (fstatat(dfd, name, &dst, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(dst.st_mode)) {
			existed = true;
		} else if (unlinkat(dfd, name, 0) < 0) {
			return berth_error_set(err, errno, "`%s`: remove the old entry", path);
		}
	} else if (errno != ENOENT) {
		return berth_error_set(err, errno, "`%s`: stat", path);
	}
	if (!existed && mkdirat(dfd, name, 0700) < 0)
		return berth_error_set(err, errno, "`%s`: mkdir", path);
	dsub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dsub < 0)
		return berth_error_set(err, errno, "`%s`: open", path);
	if (existed && is_opaque(lsub)) {
		r = empty_dir(dsub, path, err);
		if (r < 0)
			return r;
	}
	r = copy_tree(c, lsub, dsub, path, err);
	if (r < 0)
		return r;
	/* after the contents, which change the directory's times */
	return copy_meta_fd(lsub, dsub, st, path, err);
}

static int copy_entry(struct copy *c, int lfd, int dfd, const char *name, const char *path, struct berth_error *err)
{
	struct stat st;
	int r;

	if (fstatat(lfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "`%s`: stat", path);
	if (berth_whiteout_is_overlay(&st)) {
		r = berth_rm_rf_at(dfd, name, err);
		return r < 0 ? berth_error_prefix(err, "whiteout `%s`", path) : 0;
	}
	if (S_ISDIR(st.st_mode))
		return copy_dir(c, lfd, dfd, name, &st, path, err);
	r = berth_rm_rf_at(dfd, name, err);
	if (r < 0)
		return berth_error_prefix(err, "`%s`: remove the old entry", path);
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		return copy_file(c, lfd, dfd, name, &st, path, err);
	case S_IFLNK:
		return copy_symlink(lfd, dfd, name, &st, path, err);
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		if (mknodat(dfd, name, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0)
			return berth_error_set(err, errno, "`%s`: mknod", path);
		return copy_meta_at(dfd, name, &st, path, err);
	}
	return berth_error_setx(err, EINVAL, "`%s`: unsupported file type 0%o", path, st.st_mode & S_IFMT);
}

static int copy_tree(struct copy *c, int lfd, int dfd, const char *rel, struct berth_error *err)
{
	int fd = openat(lfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return berth_error_set(err, errno, "`%s`: open", *rel ? rel : ".");
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return berth_error_set(err, errno, "`%s`: open", *rel ? rel : ".");
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = *rel ? berth_xasprintf("%s/%s", rel, de->d_name) : berth_xstrdup(de->d_name);
		r = copy_entry(c, lfd, dfd, de->d_name, path, err);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int berth_layer_copy_over(int layer_dirfd, int dest_dirfd, struct berth_error *err)
{
	_cleanup_close_ int lfd = -EBADF, dfd = -EBADF;
	struct copy c = { .links = NULL };
	struct stat st;
	int r;

	lfd = openat(layer_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0)
		return berth_error_set(err, errno, "open the layer");
	dfd = openat(dest_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_set(err, errno, "open the destination");
	if (fstat(lfd, &st) < 0)
		return berth_error_set(err, errno, "stat the layer");
	c.dest = dfd;
	r = is_opaque(lfd) ? empty_dir(dfd, ".", err) : 0;
	if (r >= 0)
		r = copy_tree(&c, lfd, dfd, "", err);
	if (r >= 0)
		r = copy_meta_fd(lfd, dfd, &st, ".", err);
	tdestroy(c.links, link_free);
	return r;
}
