#include "extract.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"
#include "whiteouts.h"

/* Ordinary entries: symlinks in parents are followed, but only inside dest (like a chroot). */
#define RESOLVE_INSIDE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
/* Whiteouts name what they delete literally: their parents may not be symlinks at all. */
#define RESOLVE_WHITEOUT (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)

struct dir_time {
	char *path; /* normalised, "" for dest itself */
	struct timespec ts[2];
};

struct berth_extract {
	int dest;
	/* euid 0: owners are restored and device nodes allowed */
	bool privileged;
	bool root_seen;
	struct dir_time *dirs;
	size_t n_dirs;
};

/* The metadata of one entry, checked. */
struct meta {
	uid_t uid;
	gid_t gid;
	mode_t perm;
	struct timespec ts[2]; /* atime, mtime */
};

struct berth_extract *berth_extract_new(int dest_dirfd)
{
	struct berth_extract *x = berth_xzalloc(sizeof(*x));

	x->dest = dest_dirfd;
	x->privileged = geteuid() == 0;
	return x;
}

void berth_extract_free(struct berth_extract *x)
{
	for (size_t i = 0; i < x->n_dirs; i++)
		free(x->dirs[i].path);
	free(x->dirs);
	free(x);
}

/*
 * Normalise a tar path as tar does: leading "/" stripped, empty and "."
 * components dropped.  A ".." component is refused rather than resolved:
 * a name in a layer never means anything but what it says.  "" is the root.
 */
static int normalize_path(const char *name, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *out = berth_xmalloc(strlen(name) + 1);
	size_t len = 0;

	for (const char *p = name; *p;) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return berth_error_setx(err, EINVAL, "`%s`: a path with a `..` component is not allowed", name);
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (len > 0)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p = *end ? end + 1 : end;
	}
	out[len] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

/* Split a normalised non-root path in place into its parent ("." at the top) and last component. */
static void split_path(char *path, const char **ret_parent, const char **ret_base)
{
	char *slash = strrchr(path, '/');

	if (!slash) {
		*ret_parent = ".";
		*ret_base = path;
		return;
	}
	*slash = '\0';
	*ret_parent = path;
	*ret_base = slash + 1;
}

/*
 * Check the directories on the way: below aufs metadata (".wh..wh.plnk/...")
 * is skipped, below an ordinary whiteout is nonsense.
 */
static int check_parents(const char *path, const char *name, bool *ret_skip, struct berth_error *err)
{
	*ret_skip = false;
	for (const char *p = path;;) {
		const char *slash = strchr(p, '/');

		if (!slash)
			return 0;
		if (strncmp(p, BERTH_WHITEOUT_META_PREFIX, strlen(BERTH_WHITEOUT_META_PREFIX)) == 0) {
			*ret_skip = true;
			return 0;
		}
		if (strncmp(p, BERTH_WHITEOUT_PREFIX, strlen(BERTH_WHITEOUT_PREFIX)) == 0)
			return berth_error_setx(err, EINVAL, "`%s`: an entry below whiteout `%.*s` is not allowed", name,
						(int)(slash - p), p);
		p = slash + 1;
	}
}

static int entry_meta(struct archive_entry *e, const char *name, struct meta *m, struct berth_error *err)
{
	int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
	long nsec;

	/* (uid_t)-1 means "leave unchanged" to chown */
	if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX)
		return berth_error_setx(err, EINVAL, "`%s`: owner %lld:%lld out of range", name, (long long)uid,
					(long long)gid);
	m->uid = (uid_t)uid;
	m->gid = (gid_t)gid;
	m->perm = archive_entry_perm(e) & 07777;
	nsec = archive_entry_mtime_nsec(e);
	m->ts[1] = (struct timespec){ archive_entry_mtime(e), nsec >= 0 && nsec < 1000000000 ? nsec : 0 };
	if (archive_entry_atime_is_set(e)) {
		nsec = archive_entry_atime_nsec(e);
		m->ts[0] = (struct timespec){ archive_entry_atime(e), nsec >= 0 && nsec < 1000000000 ? nsec : 0 };
	} else {
		m->ts[0] = m->ts[1];
	}
	return 0;
}

/*
 * Which xattrs a layer may carry: user.* (but not user.overlay.*, which
 * overlayfs reads with "userxattr") and file capabilities.  trusted.* would
 * let a tar forge overlay metadata (opaque, redirect, metacopy); other
 * security.* labels belong to the host.
 */
static bool xattr_wanted(const char *name)
{
	if (strncmp(name, "user.overlay.", strlen("user.overlay.")) == 0)
		return false;
	return strncmp(name, "user.", strlen("user.")) == 0 || strcmp(name, "security.capability") == 0;
}

static int apply_xattrs(int fd, struct archive_entry *e, const char *name, struct berth_error *err)
{
	const char *xname;
	const void *value;
	size_t size;

	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
		if (!xname || !xattr_wanted(xname))
			continue;
		if (fsetxattr(fd, xname, value, size, 0) < 0) {
			/* a filesystem without user xattrs: they are optional */
			if (errno == EOPNOTSUPP && strncmp(xname, "user.", 5) == 0)
				continue;
			return berth_error_set(err, errno, "`%s`: set xattr `%s`", name, xname);
		}
	}
	return 0;
}

/* Metadata of a file or directory we hold open; chmod after chown (which clears setuid), xattrs after both. */
static int apply_meta_fd(struct berth_extract *x, int fd, struct archive_entry *e, const struct meta *m,
			 bool set_times, const char *name, struct berth_error *err)
{
	int r;

	if (x->privileged && fchown(fd, m->uid, m->gid) < 0)
		return berth_error_set(err, errno, "`%s`: chown", name);
	if (fchmod(fd, m->perm) < 0)
		return berth_error_set(err, errno, "`%s`: chmod", name);
	r = apply_xattrs(fd, e, name, err);
	if (r < 0)
		return r;
	if (set_times && futimens(fd, m->ts) < 0)
		return berth_error_set(err, errno, "`%s`: set times", name);
	return 0;
}

/* Metadata of parentfd/base without ever following it; symlinks have no mode of their own. */
static int apply_meta_at(struct berth_extract *x, int parentfd, const char *base, bool is_symlink,
			 const struct meta *m, const char *name, struct berth_error *err)
{
	if (x->privileged && fchownat(parentfd, base, m->uid, m->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "`%s`: chown", name);
	if (!is_symlink && fchmodat(parentfd, base, m->perm, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "`%s`: chmod", name);
	if (utimensat(parentfd, base, m->ts, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "`%s`: set times", name);
	return 0;
}

/* A directory tar did not list but an entry needs: 0755, root's. */
static int make_implicit_dir(struct berth_extract *x, int parentfd, const char *base, const char *path,
			     const char *name, struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;

	if (mkdirat(parentfd, base, 0700) < 0) {
		if (errno == EEXIST)
			return berth_error_setx(err, ENOENT, "`%s`: parent `%s` is a symlink to a missing directory", name,
						path);
		return berth_error_set(err, errno, "`%s`: create parent `%s`", name, path);
	}
	fd = openat(parentfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "`%s`: open parent `%s`", name, path);
	if (x->privileged && fchown(fd, 0, 0) < 0)
		return berth_error_set(err, errno, "`%s`: chown parent `%s`", name, path);
	if (fchmod(fd, 0755) < 0)
		return berth_error_set(err, errno, "`%s`: chmod parent `%s`", name, path);
	return 0;
}

static int parent_error(int r, bool whiteout, const char *path, const char *name, struct berth_error *err)
{
	if (whiteout && r == -ELOOP)
		return berth_error_setx(err, ELOOP, "whiteout `%s`: parent `%s` crosses a symlink", name, path);
	return berth_error_set(err, -r, "`%s`: parent `%s`", name, path);
}

/*
 * Open dest/parent (O_PATH), resolved inside dest, creating missing
 * directories on the way.  whiteout: no symlinks may be crossed at all.
 */
static int open_parent(struct berth_extract *x, const char *parent, bool whiteout, const char *name,
		       struct berth_error *err)
{
	unsigned long long resolve = whiteout ? RESOLVE_WHITEOUT : RESOLVE_INSIDE;
	_cleanup_free_ char *walk = NULL;
	_cleanup_close_ int cur = -EBADF;
	int fd;

	fd = berth_openat2(x->dest, parent, O_PATH | O_DIRECTORY, 0, resolve);
	if (fd >= 0)
		return fd;
	if (fd != -ENOENT)
		return parent_error(fd, whiteout, parent, name, err);

	/* Walk down from dest, resolving each prefix the same way, and create what is missing. */
	walk = berth_xstrdup(parent);
	cur = berth_openat2(x->dest, ".", O_PATH | O_DIRECTORY, 0, resolve);
	if (cur < 0)
		return berth_error_set(err, -cur, "open the destination");
	for (char *comp = walk;;) {
		char *slash = strchr(comp, '/');
		int r;

		if (slash)
			*slash = '\0';
		fd = berth_openat2(x->dest, walk, O_PATH | O_DIRECTORY, 0, resolve);
		if (fd == -ENOENT) {
			r = make_implicit_dir(x, cur, comp, walk, name, err);
			if (r < 0)
				return r;
			fd = berth_openat2(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS);
		}
		if (fd < 0)
			return parent_error(fd, whiteout, walk, name, err);
		close(cur);
		cur = fd;
		if (!slash)
			break;
		*slash = '/';
		comp = slash + 1;
	}
	return TAKE_FD(cur);
}

/*
 * Make room for a new entry at parentfd/base: an existing directory stays
 * when a directory comes, anything else goes (a directory with its
 * contents).  Nothing is followed.
 */
static int make_room(int parentfd, const char *base, bool keep_dir, bool *ret_dir_kept, const char *name,
		     struct berth_error *err)
{
	struct stat st;

	*ret_dir_kept = false;
	if (fstatat(parentfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return berth_error_set(err, errno, "`%s`: stat", name);
	}
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir) {
			*ret_dir_kept = true;
			return 0;
		}
		if (berth_rm_rf_at(parentfd, base, err) < 0)
			return berth_error_prefix(err, "`%s`: replace a directory", name);
		return 0;
	}
	if (unlinkat(parentfd, base, 0) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, "`%s`: remove the old entry", name);
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* The entry's data; sparse entries come as blocks at offsets, holes stay holes. */
static int write_data(struct archive *a, int fd, int64_t size, const char *name, struct berth_error *err)
{
	int64_t end = 0;

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return berth_error_setx(err, EIO, "`%s`: read data: %s", name, archive_error_string(a));
		if (off < 0)
			return berth_error_setx(err, EINVAL, "`%s`: negative data offset", name);
		if (len == 0)
			continue;
		r = pwrite_all(fd, buf, len, (off_t)off);
		if (r < 0)
			return berth_error_set(err, -r, "`%s`: write", name);
		if (off + (int64_t)len > end)
			end = off + (int64_t)len;
	}
	if (size > end && ftruncate(fd, (off_t)size) < 0)
		return berth_error_set(err, errno, "`%s`: truncate", name);
	return 0;
}

static void defer_dir_times(struct berth_extract *x, const char *path, const struct meta *m)
{
	x->dirs = berth_xreallocarray(x->dirs, x->n_dirs + 1, sizeof(*x->dirs));
	x->dirs[x->n_dirs].path = berth_xstrdup(path);
	memcpy(x->dirs[x->n_dirs].ts, m->ts, sizeof(m->ts));
	x->n_dirs++;
}

static int extract_root(struct berth_extract *x, struct archive_entry *e, const char *name, struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	struct meta m;
	int r;

	if (archive_entry_filetype(e) != AE_IFDIR || archive_entry_hardlink(e))
		return berth_error_setx(err, EINVAL, "`%s`: the root of a layer can only be a directory", name);
	r = entry_meta(e, name, &m, err);
	if (r < 0)
		return r;
	fd = openat(x->dest, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open the destination");
	r = apply_meta_fd(x, fd, e, &m, false, name, err);
	if (r < 0)
		return r;
	defer_dir_times(x, "", &m);
	x->root_seen = true;
	return 0;
}

static int extract_dir(struct berth_extract *x, int parentfd, const char *base, const char *path,
		       struct archive_entry *e, const struct meta *m, const char *name, struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	bool kept;
	int r;

	r = make_room(parentfd, base, true, &kept, name, err);
	if (r < 0)
		return r;
	if (!kept && mkdirat(parentfd, base, 0700) < 0)
		return berth_error_set(err, errno, "`%s`: mkdir", name);
	fd = openat(parentfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "`%s`: open", name);
	r = apply_meta_fd(x, fd, e, m, false, name, err);
	if (r < 0)
		return r;
	defer_dir_times(x, path, m);
	return 0;
}

static int extract_file(struct berth_extract *x, struct archive *a, int parentfd, const char *base,
			struct archive_entry *e, const struct meta *m, const char *name, struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	bool kept;
	int r;

	r = make_room(parentfd, base, false, &kept, name, err);
	if (r < 0)
		return r;
	/* O_EXCL: a new inode, never one reached through a link */
	fd = openat(parentfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_error_set(err, errno, "`%s`: create", name);
	r = write_data(a, fd, archive_entry_size(e), name, err);
	if (r < 0)
		return r;
	return apply_meta_fd(x, fd, e, m, true, name, err);
}

static int extract_symlink(struct berth_extract *x, int parentfd, const char *base, struct archive_entry *e,
			   const struct meta *m, const char *name, struct berth_error *err)
{
	const char *target = archive_entry_symlink(e);
	bool kept;
	int r;

	if (!target || !*target)
		return berth_error_setx(err, EINVAL, "`%s`: symlink without a target", name);
	r = make_room(parentfd, base, false, &kept, name, err);
	if (r < 0)
		return r;
	if (symlinkat(target, parentfd, base) < 0)
		return berth_error_set(err, errno, "`%s`: symlink", name);
	return apply_meta_at(x, parentfd, base, true, m, name, err);
}

static int extract_special(struct berth_extract *x, int parentfd, const char *base, struct archive_entry *e,
			   const struct meta *m, const char *name, struct berth_error *err)
{
	mode_t type = archive_entry_filetype(e);
	dev_t dev = 0;
	bool kept;
	int r;

	if (type == AE_IFCHR || type == AE_IFBLK) {
		if (!x->privileged)
			return berth_error_setx(err, EPERM, "`%s`: device nodes can only be unpacked as root", name);
		dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
	}
	r = make_room(parentfd, base, false, &kept, name, err);
	if (r < 0)
		return r;
	if (mknodat(parentfd, base, type | 0600, dev) < 0)
		return berth_error_set(err, errno, "`%s`: mknod", name);
	return apply_meta_at(x, parentfd, base, false, m, name, err);
}

/*
 * A hardlink: the target resolves inside dest and must exist there (an
 * earlier entry); a symlink target is linked itself, never followed.
 */
static int extract_hardlink(struct berth_extract *x, int parentfd, const char *base, struct archive_entry *e,
			    const struct meta *m, const char *name, struct berth_error *err)
{
	_cleanup_free_ char *tpath = NULL;
	_cleanup_close_ int tfd = -EBADF;
	const char *target = archive_entry_hardlink(e), *tparent, *tbase;
	struct stat tst, st;
	bool kept;
	int r;

	r = normalize_path(target, &tpath, err);
	if (r < 0)
		return berth_error_prefix(err, "hardlink `%s`", name);
	if (!*tpath)
		return berth_error_setx(err, EINVAL, "hardlink `%s`: target `%s` is the root", name, target);
	split_path(tpath, &tparent, &tbase);
	tfd = berth_openat2(x->dest, tparent, O_PATH | O_DIRECTORY, 0, RESOLVE_INSIDE);
	if (tfd < 0 || fstatat(tfd, tbase, &tst, AT_SYMLINK_NOFOLLOW) < 0) {
		int e2 = tfd < 0 ? -tfd : errno;
		if (e2 == ENOENT)
			return berth_error_setx(err, ENOENT, "hardlink `%s`: target `%s` not found in the layer", name,
						target);
		return berth_error_set(err, e2, "hardlink `%s`: target `%s`", name, target);
	}
	if (S_ISDIR(tst.st_mode))
		return berth_error_setx(err, EPERM, "hardlink `%s`: target `%s` is a directory", name, target);
	if (fstatat(parentfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != tst.st_dev ||
	    st.st_ino != tst.st_ino) {
		r = make_room(parentfd, base, false, &kept, name, err);
		if (r < 0)
			return r;
		if (linkat(tfd, tbase, parentfd, base, 0) < 0)
			return berth_error_set(err, errno, "hardlink `%s` to `%s`", name, target);
	}
	return apply_meta_at(x, parentfd, base, S_ISLNK(tst.st_mode), m, name, err);
}

static int extract_whiteout(struct berth_extract *x, const char *parent, enum berth_whiteout kind,
			    const char *wname, const char *name, struct berth_error *err)
{
	_cleanup_close_ int pfd = -EBADF, dfd = -EBADF;
	int r;

	pfd = open_parent(x, parent, true, name, err);
	if (pfd < 0)
		return pfd;
	if (kind == BERTH_WHITEOUT_FILE) {
		r = berth_whiteout_make(pfd, wname, err);
		return r < 0 ? berth_error_prefix(err, "whiteout `%s`", name) : 0;
	}
	dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_set(err, errno, "whiteout `%s`: open its directory", name);
	r = berth_whiteout_make_opaque(dfd, err);
	return r < 0 ? berth_error_prefix(err, "whiteout `%s`", name) : 0;
}

static int extract_node(struct berth_extract *x, struct archive *a, struct archive_entry *e, const char *path,
			const char *parent, const char *base, const char *name, struct berth_error *err)
{
	_cleanup_close_ int pfd = -EBADF;
	struct meta m;
	int r;

	r = entry_meta(e, name, &m, err);
	if (r < 0)
		return r;
	pfd = open_parent(x, parent, false, name, err);
	if (pfd < 0)
		return pfd;
	if (archive_entry_hardlink(e))
		return extract_hardlink(x, pfd, base, e, &m, name, err);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return extract_file(x, a, pfd, base, e, &m, name, err);
	case AE_IFDIR:
		return extract_dir(x, pfd, base, path, e, &m, name, err);
	case AE_IFLNK:
		return extract_symlink(x, pfd, base, e, &m, name, err);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return extract_special(x, pfd, base, e, &m, name, err);
	}
	return berth_error_setx(err, EINVAL, "`%s`: unsupported entry type 0%o", name,
				(unsigned)archive_entry_filetype(e));
}

int berth_extract_entry(struct berth_extract *x, struct archive *a, struct archive_entry *e, struct berth_error *err)
{
	const char *name = archive_entry_pathname(e), *parent, *base, *wname = NULL;
	_cleanup_free_ char *path = NULL, *split = NULL;
	enum berth_whiteout kind;
	bool skip;
	int r;

	if (!name || !*name)
		return berth_error_setx(err, EINVAL, "an entry without a name");
	r = normalize_path(name, &path, err);
	if (r < 0)
		return r;
	if (!*path)
		return extract_root(x, e, name, err);
	r = check_parents(path, name, &skip, err);
	if (r < 0 || skip)
		return r;
	split = berth_xstrdup(path);
	split_path(split, &parent, &base);
	r = berth_whiteout_classify(base, &kind, &wname, err);
	if (r < 0)
		return berth_error_prefix(err, "`%s`", name);
	switch (kind) {
	case BERTH_WHITEOUT_META:
		return 0;
	case BERTH_WHITEOUT_FILE:
	case BERTH_WHITEOUT_OPAQUE:
		return extract_whiteout(x, parent, kind, wname, name, err);
	case BERTH_WHITEOUT_NONE:
		break;
	}
	return extract_node(x, a, e, path, parent, base, name, err);
}

int berth_extract_finish(struct berth_extract *x, struct berth_error *err)
{
	/* A layer without a "./" entry still gets a usable root (the caller made dest 0700). */
	if (!x->root_seen && fchmodat(x->dest, ".", 0755, 0) < 0)
		return berth_error_set(err, errno, "chmod the destination");
	/* In tar order, so a directory listed twice gets its last times. */
	for (size_t i = 0; i < x->n_dirs; i++) {
		_cleanup_free_ char *split = berth_xstrdup(x->dirs[i].path);
		_cleanup_close_ int pfd = -EBADF;
		const char *parent = ".", *base = ".";
		struct stat st;

		if (*split)
			split_path(split, &parent, &base);
		pfd = berth_openat2(x->dest, parent, O_PATH | O_DIRECTORY, 0, RESOLVE_INSIDE);
		/* gone or replaced by a later entry: nothing to do */
		if (pfd < 0 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (utimensat(pfd, base, x->dirs[i].ts, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_set(err, errno, "`%s`: set times", x->dirs[i].path);
	}
	return 0;
}
