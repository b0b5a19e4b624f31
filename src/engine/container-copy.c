/*
 * `berth cp`.  A source (a tree walked with *at() calls, or a tar stream)
 * feeds a sink (a tar stream, or a tree made with *at() calls below a
 * directory resolved inside a root).  Nothing here follows a path as a
 * string: parents are opened with openat2() and leaves are handled on the
 * parent's fd without following them.
 */
#include "engine/container-copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "engine/container-internal.h"
#include "image/overlay.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
#define COPY_BUF (128 * 1024)

static void archive_readp(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static void archive_writep(struct archive **a)
{
	if (*a)
		archive_write_free(*a);
}

static void entryp(struct archive_entry **ae)
{
	if (*ae)
		archive_entry_free(*ae);
}

/* --- paths ---------------------------------------------------------------- */

/* Go's filepath.Clean: no "", ".", or ".." (where lexically possible) components, no trailing '/'. */
static char *clean_path(const char *p)
{
	bool abs = p[0] == '/';
	_cleanup_strv_free_ char **parts = NULL;
	_cleanup_free_ char *copy = berth_xstrdup(p);
	char *save = NULL, *out;
	size_t len = 2;

	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		size_t n = berth_strv_length(parts);
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0 && n > 0 && strcmp(parts[n - 1], "..") != 0) {
			free(parts[n - 1]);
			parts[n - 1] = NULL;
			continue;
		}
		if (strcmp(c, "..") == 0 && abs)
			continue;
		berth_strv_push(&parts, c);
	}
	for (char **c = parts; c && *c; c++)
		len += strlen(*c) + 1;
	out = berth_xmalloc(len);
	out[0] = '\0';
	if (abs)
		strcpy(out, "/");
	for (char **c = parts; c && *c; c++) {
		if (c != parts)
			strcat(out, "/");
		strcat(out, *c);
	}
	if (!*out)
		strcpy(out, ".");
	return out;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* "/." or "." at the end: the directory's contents, not the directory. */
static bool wants_contents(const char *p)
{
	return strcmp(p, ".") == 0 || ends_with(p, "/.");
}

/* Split a cleaned path into its parent and last component ("/" -> "/", "."). */
static void split_path(const char *clean, char **ret_parent, char **ret_leaf)
{
	const char *slash = strrchr(clean, '/');

	if (strcmp(clean, "/") == 0 || strcmp(clean, ".") == 0) {
		*ret_parent = berth_xstrdup(clean);
		*ret_leaf = berth_xstrdup(".");
	} else if (!slash) {
		*ret_parent = berth_xstrdup(".");
		*ret_leaf = berth_xstrdup(clean);
	} else {
		*ret_parent = slash == clean ? berth_xstrdup("/") : berth_xstrndup(clean, (size_t)(slash - clean));
		*ret_leaf = berth_xstrdup(slash + 1);
	}
}

static char *join(const char *a, const char *b)
{
	if (!*a || strcmp(a, ".") == 0)
		return berth_xstrdup(b);
	if (!*b)
		return berth_xstrdup(a);
	return berth_xasprintf("%s%s%s", a, ends_with(a, "/") ? "" : "/", b);
}

/* A tar entry's name as a relative path; ".." is refused (a stream must not climb out of its destination). */
static int entry_name(const char *raw, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *copy = berth_xstrdup(raw ? raw : "");
	_cleanup_free_ char *out = berth_xstrdup("");
	char *save = NULL;

	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		char *next;
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return berth_error_setx(err, EINVAL, "archive entry \"%s\": a \"..\" component", raw);
		next = join(out, c);
		free(out);
		out = next;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

/* --- sinks ---------------------------------------------------------------- */

struct dir_meta {
	char *path; /* relative to the sink's root */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
};

enum sink_kind { SINK_TAR, SINK_TREE };

struct sink {
	enum sink_kind kind;
	uint64_t bytes;
	struct archive *a; /* SINK_TAR */
	/* SINK_TREE: entries go below base, resolved inside root_fd */
	int root_fd;
	const char *base;
	unsigned long long resolve;
	bool keep_owner; /* else what berth makes is root's, without set-id bits (as chown(2) would clear them) */
	bool root_meta;  /* the unnamed root entry's owner and mode go to base itself */
	bool no_devices; /* the host: a device node from a container would be a door to the host's devices */
	struct dir_meta *dirs;
	size_t n_dirs;
};

/* Where an entry's data comes from: an open file or the tar stream being read. */
struct data {
	int fd;
	struct archive *a;
};

static ssize_t data_read(struct data *d, void *buf, size_t len)
{
	if (d->a)
		return archive_read_data(d->a, buf, len);
	for (;;) {
		ssize_t n = read(d->fd, buf, len);
		if (n >= 0 || errno != EINTR)
			return n < 0 ? -errno : n;
	}
}

static int tar_entry(struct sink *s, struct archive_entry *ae, struct data *d, struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	int64_t left = archive_entry_size(ae);

	if (!*archive_entry_pathname(ae))
		return 0; /* the root of a "/." copy: only its contents */
	if (archive_write_header(s->a, ae) < ARCHIVE_WARN)
		return berth_error_setx(err, EIO, "write tar header of \"%s\": %s", archive_entry_pathname(ae),
					archive_error_string(s->a));
	if (!d || archive_entry_filetype(ae) != AE_IFREG || archive_entry_hardlink(ae))
		return 0;
	buf = berth_xmalloc(COPY_BUF);
	while (left > 0) {
		ssize_t n = data_read(d, buf, (size_t)left < COPY_BUF ? (size_t)left : COPY_BUF);
		if (n < 0)
			return berth_error_set(err, (int)-n, "read \"%s\"", archive_entry_pathname(ae));
		if (n == 0)
			break; /* shrunk meanwhile: libarchive pads the entry */
		if (archive_write_data(s->a, buf, (size_t)n) < 0)
			return berth_error_setx(err, EIO, "write tar data of \"%s\": %s", archive_entry_pathname(ae),
						archive_error_string(s->a));
		s->bytes += (uint64_t)n;
		left -= n;
	}
	return 0;
}

/* The directory path (relative to the sink's root), made when missing (tar streams may skip parents). */
static int open_dir_p(struct sink *s, const char *path, struct berth_error *err)
{
	_cleanup_free_ char *prefix = NULL, *copy = NULL;
	char *save = NULL;
	int fd = berth_openat2(s->root_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, s->resolve);

	if (fd >= 0 || fd != -ENOENT)
		return fd >= 0 ? fd : berth_error_set(err, -fd, "open directory \"%s\"", path);
	copy = berth_xstrdup(path);
	prefix = berth_xstrdup(path[0] == '/' ? "/" : ".");
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		_cleanup_close_ int pfd = berth_openat2(s->root_fd, prefix, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, s->resolve);
		char *next = join(prefix, c);
		free(prefix);
		prefix = next;
		if (pfd < 0)
			return berth_error_set(err, -pfd, "open directory \"%s\"", prefix);
		if (mkdirat(pfd, c, 0755) < 0 && errno != EEXIST)
			return berth_error_set(err, errno, "create directory \"%s\"", prefix);
	}
	fd = berth_openat2(s->root_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, s->resolve);
	return fd >= 0 ? fd : berth_error_set(err, -fd, "open directory \"%s\"", path);
}

enum leaf_state { LEAF_FREE, LEAF_DIR, LEAF_BUSY };

/* Make room for a new leaf: an existing non-directory goes (unless it is a mount point: LEAF_BUSY). */
static int clear_leaf(int pfd, const char *leaf, const char *name, bool want_dir, struct berth_error *err)
{
	struct stat st;

	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? LEAF_FREE : berth_error_set(err, errno, "stat \"%s\"", name);
	if (S_ISDIR(st.st_mode)) {
		if (want_dir)
			return LEAF_DIR;
		return berth_error_setx(err, EISDIR, "cannot overwrite directory \"%s\" with non-directory", name);
	}
	if (unlinkat(pfd, leaf, 0) < 0) {
		if (errno == EBUSY && S_ISREG(st.st_mode) && !want_dir)
			return LEAF_BUSY;
		return berth_error_set(err, errno, "remove \"%s\"", name);
	}
	return LEAF_FREE;
}

/* An entry's permission bits as made: set-id bits only where the owner is kept. */
static mode_t entry_perm(const struct sink *s, struct archive_entry *ae)
{
	mode_t perm = archive_entry_perm(ae);

	return s->keep_owner ? perm : perm & ~(mode_t)(S_ISUID | S_ISGID);
}

static int write_file(struct sink *s, int pfd, const char *leaf, const char *name, struct archive_entry *ae,
		      struct data *d, bool busy, struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;

	if (busy)
		fd = openat(pfd, leaf, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	else
		fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_error_set(err, errno, "create \"%s\"", name);
	buf = berth_xmalloc(COPY_BUF);
	for (;;) {
		ssize_t n = d ? data_read(d, buf, COPY_BUF) : 0;
		int r;
		if (n < 0)
			return d->a ? berth_error_setx(err, EIO, "read tar data of \"%s\": %s", name, archive_error_string(d->a))
				    : berth_error_set(err, (int)-n, "read \"%s\"", name);
		if (n == 0)
			break;
		if ((r = berth_write_all(fd, buf, (size_t)n)) < 0)
			return berth_error_set(err, -r, "write \"%s\"", name);
		s->bytes += (uint64_t)n;
	}
	/* owner first: chown clears set-id bits */
	if (s->keep_owner && fchown(fd, archive_entry_uid(ae), archive_entry_gid(ae)) < 0)
		return berth_error_set(err, errno, "chown \"%s\"", name);
	if (fchmod(fd, entry_perm(s, ae)) < 0)
		return berth_error_set(err, errno, "chmod \"%s\"", name);
	if (futimens(fd, (struct timespec[]){ { .tv_nsec = UTIME_OMIT },
					     { archive_entry_mtime(ae), archive_entry_mtime_nsec(ae) } }) < 0)
		return berth_error_set(err, errno, "set the times of \"%s\"", name);
	return 0;
}

static int make_link(struct sink *s, int pfd, const char *leaf, const char *name, struct archive_entry *ae,
		     struct berth_error *err)
{
	_cleanup_free_ char *target = NULL, *full = NULL, *tparent = NULL, *tleaf = NULL;
	_cleanup_close_ int tfd = -EBADF;
	int r;

	if ((r = entry_name(archive_entry_hardlink(ae), &target, err)) < 0)
		return r;
	if (!*target)
		return berth_error_setx(err, EINVAL, "archive entry \"%s\": a hard link to the root", name);
	full = join(s->base, target);
	split_path(full, &tparent, &tleaf);
	if ((tfd = open_dir_p(s, tparent, err)) < 0)
		return tfd;
	if (linkat(tfd, tleaf, pfd, leaf, 0) < 0)
		return berth_error_set(err, errno, "link \"%s\" to \"%s\"", name, target);
	return 0;
}

static void meta_at(struct sink *s, int pfd, const char *leaf, struct archive_entry *ae)
{
	if (s->keep_owner)
		(void)fchownat(pfd, leaf, archive_entry_uid(ae), archive_entry_gid(ae), AT_SYMLINK_NOFOLLOW);
	(void)utimensat(pfd, leaf,
			(struct timespec[]){ { .tv_nsec = UTIME_OMIT },
					     { archive_entry_mtime(ae), archive_entry_mtime_nsec(ae) } },
			AT_SYMLINK_NOFOLLOW);
}

static void remember_dir(struct sink *s, const char *path, struct archive_entry *ae)
{
	s->dirs = berth_xreallocarray(s->dirs, s->n_dirs + 1, sizeof(*s->dirs));
	s->dirs[s->n_dirs++] = (struct dir_meta){
		.path = berth_xstrdup(path),
		.mode = archive_entry_perm(ae),
		.uid = archive_entry_uid(ae),
		.gid = archive_entry_gid(ae),
		.mtime = { archive_entry_mtime(ae), archive_entry_mtime_nsec(ae) },
	};
}

static int tree_entry(struct sink *s, struct archive_entry *ae, struct data *d, struct berth_error *err)
{
	_cleanup_free_ char *name = NULL, *full = NULL, *parent = NULL, *leaf = NULL;
	_cleanup_close_ int pfd = -EBADF;
	mode_t type = archive_entry_filetype(ae);
	int r, state;

	if ((r = entry_name(archive_entry_pathname(ae), &name, err)) < 0)
		return r;
	if (!*name) {
		/* the destination directory itself */
		if (s->root_meta && type == AE_IFDIR)
			remember_dir(s, s->base, ae);
		return 0;
	}
	full = join(s->base, name);
	split_path(full, &parent, &leaf);
	if ((pfd = open_dir_p(s, parent, err)) < 0)
		return pfd;
	if (archive_entry_hardlink(ae)) {
		if ((state = clear_leaf(pfd, leaf, name, false, err)) < 0)
			return state;
		return make_link(s, pfd, leaf, name, ae, err);
	}
	if ((state = clear_leaf(pfd, leaf, name, type == AE_IFDIR, err)) < 0)
		return state;
	switch (type) {
	case AE_IFDIR:
		if (state != LEAF_DIR && mkdirat(pfd, leaf, 0700) < 0)
			return berth_error_set(err, errno, "create directory \"%s\"", name);
		remember_dir(s, full, ae);
		return 0;
	case AE_IFREG:
		return write_file(s, pfd, leaf, name, ae, d, state == LEAF_BUSY, err);
	case AE_IFLNK:
		if (symlinkat(archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "", pfd, leaf) < 0)
			return berth_error_set(err, errno, "create symlink \"%s\"", name);
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		if (s->no_devices)
			return 0;
		/* fall through */
	case AE_IFIFO:
		if (mknodat(pfd, leaf, type | 0600, archive_entry_rdev(ae)) < 0)
			return berth_error_set(err, errno, "create \"%s\"", name);
		/* never through a symlink the container may have swapped in meanwhile */
		if (fchmodat(pfd, leaf, entry_perm(s, ae), AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_set(err, errno, "chmod \"%s\"", name);
		break;
	default:
		return 0; /* sockets and the like: tar has no use for them either */
	}
	meta_at(s, pfd, leaf, ae);
	return 0;
}

static int sink_entry(struct sink *s, struct archive_entry *ae, struct data *d, struct berth_error *err)
{
	return s->kind == SINK_TAR ? tar_entry(s, ae, d, err) : tree_entry(s, ae, d, err);
}

/* Directories get their modes and times last: making their entries changed both. */
static int sink_finish(struct sink *s, struct berth_error *err)
{
	int r = 0;

	if (s->kind == SINK_TAR)
		return archive_write_close(s->a) == ARCHIVE_OK
			       ? 0
			       : berth_error_setx(err, EIO, "write tar: %s", archive_error_string(s->a));
	for (size_t i = s->n_dirs; i-- > 0 && r == 0;) {
		struct dir_meta *m = &s->dirs[i];
		_cleanup_close_ int fd = berth_openat2(s->root_fd, m->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
						       0, s->resolve);
		if (fd < 0)
			r = berth_error_set(err, -fd, "open directory \"%s\"", m->path);
		else if (s->keep_owner && fchown(fd, m->uid, m->gid) < 0)
			r = berth_error_set(err, errno, "chown \"%s\"", m->path);
		else if (fchmod(fd, m->mode) < 0)
			r = berth_error_set(err, errno, "chmod \"%s\"", m->path);
		else
			(void)futimens(fd, (struct timespec[]){ { .tv_nsec = UTIME_OMIT }, m->mtime });
	}
	return r;
}

static void sink_release(struct sink *s)
{
	for (size_t i = 0; i < s->n_dirs; i++)
		free(s->dirs[i].path);
	free(s->dirs);
	s->dirs = NULL;
	s->n_dirs = 0;
}

/* --- the walker: a tree read with *at() calls, never following a symlink ---- */

struct link_seen {
	dev_t dev;
	ino_t ino;
	char *name;
};

struct walk {
	struct sink *sink;
	struct link_seen *links;
	size_t n_links;
	int depth;
};

static void walk_release(struct walk *w)
{
	for (size_t i = 0; i < w->n_links; i++)
		free(w->links[i].name);
	free(w->links);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_obj(struct walk *w, int pfd, const char *leaf, const char *name, struct berth_error *err);

static int walk_children(struct walk *w, int dfd, const char *name, struct berth_error *err)
{
	_cleanup_strv_free_ char **children = NULL;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *dir;
	int r = 0;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		r = berth_error_set(err, errno, "read directory \"%s\"", *name ? name : ".");
		if (fd >= 0)
			close(fd);
		return r;
	}
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			berth_strv_push(&children, de->d_name);
	closedir(dir);
	if (children)
		qsort(children, berth_strv_length(children), sizeof(char *), cmp_str);
	for (char **c = children; c && *c && r == 0; c++) {
		_cleanup_free_ char *child = join(name, *c);
		r = walk_obj(w, dfd, *c, child, err);
	}
	return r;
}

static struct archive_entry *entry_from_stat(const char *name, const struct stat *st)
{
	struct archive_entry *ae = archive_entry_new();

	archive_entry_copy_pathname(ae, name);
	archive_entry_set_mode(ae, st->st_mode);
	archive_entry_set_uid(ae, st->st_uid);
	archive_entry_set_gid(ae, st->st_gid);
	archive_entry_set_mtime(ae, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	archive_entry_set_size(ae, S_ISREG(st->st_mode) ? st->st_size : 0);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		archive_entry_set_rdev(ae, st->st_rdev);
	return ae;
}

/* A file seen before under another name: a hard link entry to it. */
static bool hardlink_of(struct walk *w, const struct stat *st, struct archive_entry *ae, const char *name)
{
	if (!S_ISREG(st->st_mode) || st->st_nlink < 2)
		return false;
	for (size_t i = 0; i < w->n_links; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino) {
			archive_entry_copy_hardlink(ae, w->links[i].name);
			archive_entry_set_size(ae, 0);
			return true;
		}
	w->links = berth_xreallocarray(w->links, w->n_links + 1, sizeof(*w->links));
	w->links[w->n_links++] = (struct link_seen){ .dev = st->st_dev, .ino = st->st_ino, .name = berth_xstrdup(name) };
	return false;
}

static int walk_obj(struct walk *w, int pfd, const char *leaf, const char *name, struct berth_error *err)
{
	_cleanup_(entryp) struct archive_entry *ae = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st, fst;
	char target[PATH_MAX + 1];
	ssize_t n;
	int r;

	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "stat \"%s\"", *name ? name : leaf);
	if (S_ISSOCK(st.st_mode))
		return 0;
	ae = entry_from_stat(name, &st);
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(pfd, leaf, target, sizeof(target) - 1)) < 0)
			return berth_error_set(err, errno, "read symlink \"%s\"", name);
		target[n] = '\0';
		archive_entry_copy_symlink(ae, target);
		return sink_entry(w->sink, ae, NULL, err);
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return sink_entry(w->sink, ae, NULL, err);
	if (S_ISREG(st.st_mode) && hardlink_of(w, &st, ae, name))
		return sink_entry(w->sink, ae, NULL, err);
	/* O_NOFOLLOW and the inode check: the leaf cannot have become a symlink or another file meanwhile */
	fd = openat(pfd, leaf,
		    (S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY | O_NONBLOCK | O_NOCTTY) | O_NOFOLLOW |
			    O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open \"%s\"", *name ? name : leaf);
	if (fstat(fd, &fst) < 0 || fst.st_ino != st.st_ino || fst.st_dev != st.st_dev)
		return berth_error_setx(err, EAGAIN, "\"%s\" changed during the copy", name);
	if (S_ISREG(st.st_mode))
		return sink_entry(w->sink, ae, &(struct data){ .fd = fd }, err);
	if ((r = sink_entry(w->sink, ae, NULL, err)) < 0)
		return r;
	if (++w->depth > 512)
		return berth_error_setx(err, ELOOP, "\"%s\": directories nested too deep", name);
	r = walk_children(w, fd, name, err);
	w->depth--;
	return r;
}

/* --- sources ------------------------------------------------------------------ */

/* An opened source or destination path: its parent's fd and its last component. */
struct path_at {
	int parent;
	char *leaf;
	char *path; /* cleaned */
	struct stat st;
};

static void path_at_release(struct path_at *p)
{
	if (p->parent >= 0)
		close(p->parent);
	free(p->leaf);
	free(p->path);
	*p = (struct path_at){ .parent = -EBADF };
}

/*
 * Open the parent of path (inside root_fd with resolve) and lstat the leaf;
 * follow: a symlink leaf is followed, inside the root too.  -ENOENT
 * without an error message when the path does not exist.
 */
static int path_at_open(int root_fd, unsigned long long resolve, const char *path, bool follow, struct path_at *ret,
			struct berth_error *err)
{
	_cleanup_free_ char *cur = clean_path(path);

	for (int hops = 0;; hops++) {
		_cleanup_free_ char *parent = NULL, *leaf = NULL;
		char target[PATH_MAX + 1];
		int fd;
		ssize_t n;

		split_path(cur, &parent, &leaf);
		fd = berth_openat2(root_fd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, resolve);
		if (fd == -ENOENT || fd == -ENOTDIR)
			return -ENOENT;
		if (fd < 0)
			return berth_error_set(err, -fd, "open \"%s\"", parent);
		if (fstatat(fd, leaf, &ret->st, AT_SYMLINK_NOFOLLOW) < 0) {
			int e = errno;
			close(fd);
			return e == ENOENT || e == ENOTDIR ? -ENOENT : berth_error_set(err, e, "stat \"%s\"", cur);
		}
		if (!follow || !S_ISLNK(ret->st.st_mode)) {
			*ret = (struct path_at){ .parent = fd, .leaf = TAKE_PTR(leaf), .path = TAKE_PTR(cur), .st = ret->st };
			return 0;
		}
		n = readlinkat(fd, leaf, target, sizeof(target) - 1);
		close(fd);
		if (n < 0)
			return berth_error_set(err, errno, "read symlink \"%s\"", cur);
		if (hops >= 40)
			return berth_error_setx(err, ELOOP, "\"%s\": too many levels of symbolic links", path);
		target[n] = '\0';
		{
			_cleanup_free_ char *next = target[0] == '/' ? berth_xstrdup(target) : join(parent, target);
			free(cur);
			cur = clean_path(next);
		}
	}
}

static int walk_path(struct sink *s, const struct path_at *src, const char *name, struct berth_error *err)
{
	struct walk w = { .sink = s };
	int r = walk_obj(&w, src->parent, src->leaf, name, err);

	walk_release(&w);
	return r;
}

/* --- the container's root ------------------------------------------------- */

struct ctr_root {
	int fd;
	int lock;       /* held while a stopped container's root is mounted for us */
	char *unmount;  /* the root mounted for this copy, to unmount after */
	char *name;
	char **binds;   /* stopped: "destination", "source" pairs of its directory mounts (volumes, -v) */
	int bind_fd;    /* the source directory ctr_path() opened last */
};

static void ctr_root_release(struct ctr_root *cr)
{
	if (cr->fd >= 0)
		close(cr->fd);
	if (cr->bind_fd >= 0)
		close(cr->bind_fd);
	berth_strv_free(cr->binds);
	if (cr->unmount) {
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		berth_overlay_umount(cr->unmount, &ignore);
	}
	if (cr->lock >= 0)
		close(cr->lock);
	free(cr->unmount);
	free(cr->name);
	*cr = (struct ctr_root){ .fd = -EBADF, .lock = -EBADF, .bind_fd = -EBADF };
}

static bool is_mount_root(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* A running container's root as its processes see it (with its volumes), pinned by an fd. */
static int running_root(struct berth_engine *e, struct berth_ctr *c, struct berth_error *err)
{
	char proc[64];
	_cleanup_close_ int fd = -EBADF;
	struct berth_ctr again = { 0 };
	int r;

	snprintf(proc, sizeof(proc), "/proc/%d/root", (int)c->pid);
	fd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -EAGAIN;
	/* the pid could have been reused if the container exited meanwhile: look again */
	if ((r = berth_ctr_get(e, c->id, &again, err)) < 0)
		return r;
	r = (again.state == BERTH_CTR_RUNNING || again.state == BERTH_CTR_PAUSED) && again.pid == c->pid ? 0 : -EAGAIN;
	berth_ctr_release(&again);
	return r == 0 ? TAKE_FD(fd) : r;
}

/* The directories a stopped container would have mounted (its config.json's binds: volumes, -v). */
static void stopped_binds(struct berth_engine *e, const char *id, struct ctr_root *cr)
{
	_cleanup_free_ char *path = berth_engine_ctr_path(e, id, "config.json");
	json_t *spec = json_load_file(path, 0, NULL), *m;
	size_t i;

	json_array_foreach(json_object_get(spec, "mounts"), i, m) {
		const char *type = json_string_value(json_object_get(m, "type"));
		const char *src = json_string_value(json_object_get(m, "source"));
		const char *dst = json_string_value(json_object_get(m, "destination"));
		struct stat st;
		if (!type || strcmp(type, "bind") != 0 || !src || !dst || dst[0] != '/' || stat(src, &st) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		berth_strv_consume(&cr->binds, clean_path(dst));
		berth_strv_push(&cr->binds, src);
	}
	json_decref(spec);
}

/* A stopped container's root filesystem, mounted if it is not; its lock is held until the copy ends. */
static int stopped_root(struct berth_engine *e, const char *ref, struct ctr_root *cr, struct berth_error *err)
{
	_cleanup_free_ char *rootfs = NULL;
	struct berth_ctr c = { 0 };
	int r = 0;

	if ((cr->lock = berth_ctr_get_locked(e, ref, &c, err)) < 0)
		return cr->lock;
	rootfs = berth_engine_run_path(e, c.id, "rootfs");
	if (c.state == BERTH_CTR_RUNNING || c.state == BERTH_CTR_PAUSED) {
		close(TAKE_FD(cr->lock));
		r = -EAGAIN; /* started meanwhile */
	} else if (c.state == BERTH_CTR_REMOVING) {
		r = berth_error_setx(err, EBUSY, "container %s is being removed", c.name);
	} else if (!is_mount_root(rootfs)) {
		r = berth_ctr_mount_rootfs(e, &c, err);
		/* a created container keeps its root mounted; an exited one had none */
		if (r == 0 && c.state != BERTH_CTR_CREATED)
			cr->unmount = berth_xstrdup(rootfs);
	}
	if (r == 0)
		stopped_binds(e, c.id, cr);
	berth_ctr_release(&c);
	if (r < 0)
		return r;
	cr->fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return cr->fd >= 0 ? 0 : berth_error_set(err, errno, "open \"%s\"", rootfs);
}

static int ctr_root_open(struct berth_engine *e, const char *ref, struct ctr_root *cr, struct berth_error *err)
{
	int r = -EAGAIN;

	*cr = (struct ctr_root){ .fd = -EBADF, .lock = -EBADF, .bind_fd = -EBADF };
	for (int attempt = 0; attempt < 5 && r == -EAGAIN; attempt++) {
		struct berth_ctr c = { 0 };
		if ((r = berth_ctr_get(e, ref, &c, err)) < 0)
			break;
		free(cr->name);
		cr->name = berth_xstrdup(c.name);
		if (c.state == BERTH_CTR_RUNNING || c.state == BERTH_CTR_PAUSED) {
			r = running_root(e, &c, err);
			if (r >= 0) {
				cr->fd = r;
				r = 0;
			}
		} else {
			r = stopped_root(e, c.id, cr, err);
		}
		berth_ctr_release(&c);
	}
	if (r == -EAGAIN)
		r = berth_error_setx(err, EAGAIN, "container %s: its state keeps changing", cr->name);
	if (r < 0)
		ctr_root_release(cr);
	return r;
}

/* dest is path or one of its parents, component-wise: the rest of path after it ("" for path itself) */
static const char *below(const char *path, const char *dest)
{
	size_t n = strlen(dest);

	if (strcmp(dest, "/") == 0)
		return path + 1;
	if (strncmp(path, dest, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return NULL;
	return path[n] ? path + n + 1 : path + n;
}

/*
 * Where a path of the container is, from the berth side: its root, or, for
 * a stopped container, the source of the directory mount it is below (the
 * deepest one), as docker mounts them for a copy.  *ret_path is the path
 * from *ret_fd (cr owns the fd).  Running containers are seen whole through
 * /proc/PID/root.
 */
static int ctr_path(struct ctr_root *cr, const char *abs, int *ret_fd, char **ret_path, struct berth_error *err)
{
	_cleanup_free_ char *clean = clean_path(abs);
	const char *best = NULL, *rest = NULL, *src = NULL;
	/* keep a trailing "/." or "/": they mean something to docker's rules */
	const char *suffix = ends_with(abs, "/.") ? "/." : ends_with(abs, "/") ? "/" : "";

	for (char **b = cr->binds; b && b[0] && b[1]; b += 2) {
		const char *r = below(clean, b[0]);
		if (r && (!best || strlen(b[0]) > strlen(best))) {
			best = b[0];
			rest = r;
			src = b[1];
		}
	}
	if (!best) {
		*ret_fd = cr->fd;
		*ret_path = berth_xasprintf("%s%s", clean, strcmp(clean, "/") == 0 ? "" : suffix);
		return 0;
	}
	if (cr->bind_fd >= 0)
		close(TAKE_FD(cr->bind_fd));
	cr->bind_fd = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cr->bind_fd < 0)
		return berth_error_set(err, errno, "open \"%s\" (mounted at %s)", src, best);
	*ret_fd = cr->bind_fd;
	*ret_path = berth_xasprintf("/%s%s", rest, *rest ? suffix : "");
	return 0;
}

/* --- docker's rules ------------------------------------------------------- */

/* The base name a copied tree takes: SRC's, or none for "/." (its contents) and for "/". */
static char *src_name(const struct path_at *src, bool contents)
{
	if (contents || strcmp(src->leaf, ".") == 0)
		return berth_xstrdup("");
	return berth_xstrdup(src->leaf);
}

/*
 * Where the copy of src goes, given what dest is: *ret_dir (the directory to
 * extract into, as a path) and *ret_name (the name of src's root in it).
 * dest_st NULL: dest does not exist.
 */
static int place(const struct path_at *src, bool contents, const char *dest, const struct stat *dest_st,
		 char **ret_dir, char **ret_name, struct berth_error *err)
{
	_cleanup_free_ char *clean = clean_path(dest), *parent = NULL, *leaf = NULL;
	bool src_dir = S_ISDIR(src->st.st_mode);

	if (dest_st && S_ISDIR(dest_st->st_mode)) {
		*ret_dir = TAKE_PTR(clean);
		*ret_name = src_name(src, contents);
		return 0;
	}
	if (dest_st && src_dir)
		return berth_error_setx(err, ENOTDIR, "cannot copy a directory to a file: \"%s\" is not a directory", dest);
	if (!dest_st && !src_dir && ends_with(dest, "/"))
		return berth_error_setx(err, ENOENT, "no such directory: \"%s\"", dest);
	split_path(clean, &parent, &leaf);
	if (strcmp(leaf, ".") == 0)
		return berth_error_setx(err, EINVAL, "invalid destination \"%s\"", dest);
	*ret_dir = TAKE_PTR(parent);
	*ret_name = TAKE_PTR(leaf);
	return 0;
}

static char *abs_in_ctr(const char *p)
{
	return p[0] == '/' ? berth_xstrdup(p) : berth_xasprintf("/%s", p);
}

static int not_found_in(const char *path, const char *ctr, struct berth_error *err)
{
	return berth_error_setx(err, ENOENT, "Could not find the file %s in container %s", path, ctr);
}

/* src is a directory when it must be: "dir/" and "dir/." */
static int check_src_dir(const struct path_at *src, const char *given, bool contents, struct berth_error *err)
{
	if ((contents || ends_with(given, "/")) && !S_ISDIR(src->st.st_mode))
		return berth_error_setx(err, ENOTDIR, "\"%s\": not a directory", given);
	return 0;
}

int berth_ctr_copy_from(struct berth_engine *e, const char *ref, const char *src, const char *dest,
			struct berth_copy_options *o, struct berth_error *err)
{
	_cleanup_(ctr_root_release) struct ctr_root cr = { .fd = -EBADF, .lock = -EBADF, .bind_fd = -EBADF };
	_cleanup_(path_at_release) struct path_at s = { .parent = -EBADF };
	_cleanup_free_ char *abs = abs_in_ctr(src), *dir = NULL, *name = NULL, *rel = NULL;
	_cleanup_close_ int dfd = -EBADF;
	bool contents = wants_contents(src);
	struct stat dst, *dstp = &dst;
	struct sink sink;
	int r, rfd;

	if ((r = ctr_root_open(e, ref, &cr, err)) < 0 || (r = ctr_path(&cr, abs, &rfd, &rel, err)) < 0)
		return r;
	r = path_at_open(rfd, IN_ROOT, rel, o->follow_link, &s, err);
	if (r == -ENOENT)
		return not_found_in(abs, cr.name, err);
	if (r < 0 || (r = check_src_dir(&s, src, contents, err)) < 0)
		return r;
	if (stat(dest, &dst) < 0) {
		if (errno != ENOENT)
			return berth_error_set(err, errno, "stat \"%s\"", dest);
		dstp = NULL;
	}
	if ((r = place(&s, contents, dest, dstp, &dir, &name, err)) < 0)
		return r;
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_set(err, errno, "destination directory \"%s\"", dir);
	/* what the container's tree holds cannot climb out of the destination either */
	sink = (struct sink){ .kind = SINK_TREE, .root_fd = dfd, .base = ".", .resolve = IN_ROOT, .keep_owner = o->archive,
			      .no_devices = true };
	r = walk_path(&sink, &s, name, err);
	if (r == 0)
		r = sink_finish(&sink, err);
	o->copied = sink.bytes;
	sink_release(&sink);
	return r;
}

int berth_ctr_copy_to(struct berth_engine *e, const char *ref, const char *src, const char *dest,
		      struct berth_copy_options *o, struct berth_error *err)
{
	_cleanup_(ctr_root_release) struct ctr_root cr = { .fd = -EBADF, .lock = -EBADF, .bind_fd = -EBADF };
	_cleanup_(path_at_release) struct path_at s = { .parent = -EBADF };
	_cleanup_free_ char *abs = abs_in_ctr(dest), *dir = NULL, *name = NULL, *rel = NULL;
	_cleanup_close_ int dfd = -EBADF, check = -EBADF;
	bool contents = wants_contents(src);
	struct stat dst, *dstp = &dst;
	struct sink sink;
	int r, rfd;

	r = path_at_open(AT_FDCWD, 0, src, o->follow_link, &s, err);
	if (r == -ENOENT)
		return berth_error_set(err, ENOENT, "lstat %s", src);
	if (r < 0 || (r = check_src_dir(&s, src, contents, err)) < 0)
		return r;
	if ((r = ctr_root_open(e, ref, &cr, err)) < 0 || (r = ctr_path(&cr, abs, &rfd, &rel, err)) < 0)
		return r;
	/* the destination as the container sees it: its symlinks followed, inside its root */
	dfd = berth_openat2(rfd, rel, O_PATH | O_CLOEXEC, 0, IN_ROOT);
	if (dfd < 0 && dfd != -ENOENT)
		return berth_error_set(err, -dfd, "open \"%s\" in container %s", abs, cr.name);
	if (dfd < 0 || fstat(dfd, &dst) < 0)
		dstp = NULL;
	if ((r = place(&s, contents, rel, dstp, &dir, &name, err)) < 0)
		return r;
	check = berth_openat2(rfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, IN_ROOT);
	if (check < 0)
		return check == -ENOENT ? not_found_in(abs, cr.name, err)
					: berth_error_set(err, -check, "destination directory of \"%s\"", abs);
	sink = (struct sink){ .kind = SINK_TREE, .root_fd = rfd, .base = dir, .resolve = IN_ROOT, .keep_owner = o->archive };
	r = walk_path(&sink, &s, name, err);
	if (r == 0)
		r = sink_finish(&sink, err);
	o->copied = sink.bytes;
	sink_release(&sink);
	return r;
}

int berth_ctr_copy_from_tar(struct berth_engine *e, const char *ref, const char *src, int out_fd,
			    struct berth_copy_options *o, struct berth_error *err)
{
	_cleanup_(ctr_root_release) struct ctr_root cr = { .fd = -EBADF, .lock = -EBADF, .bind_fd = -EBADF };
	_cleanup_(path_at_release) struct path_at s = { .parent = -EBADF };
	_cleanup_(archive_writep) struct archive *a = NULL;
	_cleanup_free_ char *abs = abs_in_ctr(src), *name = NULL, *rel = NULL;
	bool contents = wants_contents(src);
	struct sink sink;
	int r, rfd;

	if ((r = ctr_root_open(e, ref, &cr, err)) < 0 || (r = ctr_path(&cr, abs, &rfd, &rel, err)) < 0)
		return r;
	r = path_at_open(rfd, IN_ROOT, rel, o->follow_link, &s, err);
	if (r == -ENOENT)
		return not_found_in(abs, cr.name, err);
	if (r < 0 || (r = check_src_dir(&s, src, contents, err)) < 0)
		return r;
	a = archive_write_new();
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
		return berth_error_setx(err, EIO, "write tar: %s", archive_error_string(a));
	name = src_name(&s, contents);
	sink = (struct sink){ .kind = SINK_TAR, .a = a };
	r = walk_path(&sink, &s, name, err);
	if (r == 0)
		r = sink_finish(&sink, err);
	o->copied = sink.bytes;
	return r;
}

static int extract_stream(struct sink *s, struct archive *a, struct berth_error *err)
{
	struct archive_entry *ae;
	int r = 0, rc;

	while (r == 0 && (rc = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
		if (rc < ARCHIVE_WARN)
			return berth_error_setx(err, EIO, "read tar: %s", archive_error_string(a));
		r = sink_entry(s, ae, &(struct data){ .fd = -EBADF, .a = a }, err);
	}
	return r;
}

int berth_ctr_copy_to_tar(struct berth_engine *e, const char *ref, int in_fd, const char *dest,
			  struct berth_copy_options *o, struct berth_error *err)
{
	_cleanup_(ctr_root_release) struct ctr_root cr = { .fd = -EBADF, .lock = -EBADF, .bind_fd = -EBADF };
	_cleanup_(archive_readp) struct archive *a = NULL;
	_cleanup_free_ char *abs = abs_in_ctr(dest), *clean = clean_path(abs), *rel = NULL;
	_cleanup_close_ int dfd = -EBADF;
	struct sink sink;
	struct stat st;
	int r, rfd;

	if ((r = ctr_root_open(e, ref, &cr, err)) < 0 || (r = ctr_path(&cr, clean, &rfd, &rel, err)) < 0)
		return r;
	dfd = berth_openat2(rfd, rel, O_PATH | O_CLOEXEC, 0, IN_ROOT);
	if (dfd < 0)
		return dfd == -ENOENT ? not_found_in(clean, cr.name, err)
				      : berth_error_set(err, -dfd, "open \"%s\" in container %s", clean, cr.name);
	if (fstat(dfd, &st) < 0 || !S_ISDIR(st.st_mode))
		return berth_error_setx(err, ENOTDIR, "extraction point is not a directory");
	a = archive_read_new();
	/* docker's set (DecompressStream); filter_all would also link lz4, lzo, lrzip... */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_fd(a, in_fd, COPY_BUF) != ARCHIVE_OK)
		return berth_error_setx(err, EIO, "read tar: %s", archive_error_string(a));
	sink = (struct sink){ .kind = SINK_TREE, .root_fd = rfd, .base = rel, .resolve = IN_ROOT, .keep_owner = o->archive };
	r = extract_stream(&sink, a, err);
	if (r == 0)
		r = sink_finish(&sink, err);
	o->copied = sink.bytes;
	sink_release(&sink);
	return r;
}

int berth_copy_prefill(int root_fd, const char *path, int dest_fd, struct berth_error *err)
{
	_cleanup_(path_at_release) struct path_at s = { .parent = -EBADF };
	struct sink sink;
	int r;

	r = path_at_open(root_fd, IN_ROOT, path, true, &s, err);
	if (r == -ENOENT || (r == 0 && !S_ISDIR(s.st.st_mode)))
		return 0;
	if (r < 0)
		return r;
	sink = (struct sink){ .kind = SINK_TREE, .root_fd = dest_fd, .base = ".", .resolve = IN_ROOT, .keep_owner = true,
			      .root_meta = true };
	r = walk_path(&sink, &s, "", err);
	if (r == 0)
		r = sink_finish(&sink, err);
	sink_release(&sink);
	return r;
}
