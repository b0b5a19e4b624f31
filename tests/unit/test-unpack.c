/*
 * Unit tests for the layer unpacker (src/image/unpack.c, extract.c,
 * whiteouts.c, decompress.c).  Every hostile tar is built here with
 * libarchive's writer and unpacked into jail/dest, beside jail/outside;
 * each test compares a snapshot of the jail (all but dest) before and after.
 * Absolute symlink targets point into the jail or at paths that do not exist
 * on the host (never at its /etc),
 * so a broken unpacker fails a test instead of damaging the machine.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "image/decompress.h"
#include "image/digest.h"
#include "image/unpack.h"
#include "image/whiteouts.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* ---- building tars ---- */

struct buf {
	uint8_t *data;
	size_t len, cap;
};

static void buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->data = berth_xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static la_ssize_t buf_write_cb(struct archive *a, void *opaque, const void *p, size_t n)
{
	buf_append(opaque, p, n);
	return (la_ssize_t)n;
}

struct tar {
	struct archive *a;
	struct buf out;
};

static struct tar *tar_new_format(int format)
{
	struct tar *t = berth_xzalloc(sizeof(*t));

	t->a = archive_write_new();
	/* not archive_write_set_format(): with a static libarchive that links every writer */
	if (format == ARCHIVE_FORMAT_TAR_GNUTAR)
		archive_write_set_format_gnutar(t->a);
	else
		archive_write_set_format_pax_restricted(t->a);
	archive_write_set_bytes_in_last_block(t->a, 1);
	archive_write_open2(t->a, &t->out, NULL, buf_write_cb, NULL, NULL);
	return t;
}

static struct tar *tar_new(void)
{
	return tar_new_format(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
}

/* Finish the tar and hand out its bytes. */
static struct buf tar_finish(struct tar *t)
{
	struct buf b;

	archive_write_close(t->a);
	archive_write_free(t->a);
	b = t->out;
	free(t);
	return b;
}

struct ent {
	const char *name;
	mode_t type; /* AE_IF* */
	mode_t perm;
	int64_t uid, gid;
	time_t mtime;
	const char *data;   /* regular files */
	const char *link;   /* symlink target */
	const char *hard;   /* hardlink target */
	unsigned dmaj, dmin; /* devices */
	const char *xname[3], *xval[3];
	size_t xlen[3]; /* 0: strlen(xval) */
};

static void tar_add(struct tar *t, const struct ent *x)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = x->data ? strlen(x->data) : 0;

	archive_entry_set_pathname(e, x->name);
	archive_entry_set_filetype(e, x->type ? x->type : AE_IFREG);
	archive_entry_set_perm(e, x->perm ? x->perm : x->type == AE_IFDIR ? 0755 : x->type == AE_IFLNK ? 0777 : 0644);
	archive_entry_set_uid(e, x->uid);
	archive_entry_set_gid(e, x->gid);
	archive_entry_set_mtime(e, x->mtime ? x->mtime : 1000000000, 0);
	if (x->link)
		archive_entry_set_symlink(e, x->link);
	if (x->hard)
		archive_entry_set_hardlink(e, x->hard);
	if (x->type == AE_IFCHR || x->type == AE_IFBLK) {
		archive_entry_set_rdevmajor(e, x->dmaj);
		archive_entry_set_rdevminor(e, x->dmin);
	}
	for (int i = 0; i < 3 && x->xname[i]; i++)
		archive_entry_xattr_add_entry(e, x->xname[i], x->xval[i], x->xlen[i] ? x->xlen[i] : strlen(x->xval[i]));
	archive_entry_set_size(e, (x->type ? x->type : AE_IFREG) == AE_IFREG && !x->hard ? (la_int64_t)len : 0);
	if (archive_write_header(t->a, e) < ARCHIVE_WARN)
		tap_diag("tar writer: %s: %s", x->name, archive_error_string(t->a));
	if (len && !x->hard)
		archive_write_data(t->a, x->data, len);
	archive_entry_free(e);
}

#define DIR_(n, ...) (&(struct ent){ .name = (n), .type = AE_IFDIR, __VA_ARGS__ })
#define FILE_(n, d, ...) (&(struct ent){ .name = (n), .type = AE_IFREG, .data = (d), __VA_ARGS__ })
#define LINK_(n, l, ...) (&(struct ent){ .name = (n), .type = AE_IFLNK, .link = (l), __VA_ARGS__ })
#define HARD_(n, h, ...) (&(struct ent){ .name = (n), .type = AE_IFREG, .hard = (h), __VA_ARGS__ })

static struct buf gzip_buf(const struct buf *in)
{
	struct buf out = { NULL, 0, 0 };
	z_stream zs = { 0 };
	uint8_t chunk[65536];
	int r;

	deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = in->data;
	zs.avail_in = (uInt)in->len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		r = deflate(&zs, Z_FINISH);
		buf_append(&out, chunk, sizeof(chunk) - zs.avail_out);
	} while (r != Z_STREAM_END);
	deflateEnd(&zs);
	return out;
}

static struct buf zstd_buf(const struct buf *in)
{
	struct buf out = { NULL, 0, 0 };

	out.cap = ZSTD_compressBound(in->len);
	out.data = berth_xmalloc(out.cap);
	out.len = ZSTD_compress(out.data, out.cap, in->data, in->len, 3);
	return out;
}

/* ---- the jail ---- */

struct jail {
	char dir[64];
	int fd;
	int dest;
	char outside[128]; /* absolute path of jail/outside */
};

static void jail_init(struct jail *j)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	/* the same path every time, so tests can name it before building their tar */
	snprintf(j->dir, sizeof(j->dir), "/tmp/berth-test-unpack-%d", (int)getpid());
	if (mkdir(j->dir, 0700) < 0)
		abort();
	snprintf(j->outside, sizeof(j->outside), "%s/outside", j->dir);
	j->fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mkdirat(j->fd, "outside", 0755);
	mkdirat(j->fd, "outside/dir", 0755);
	berth_write_file_atomic(j->fd, "outside/passwd", "root:x:0:0\n", 11, 0644, &err);
	symlinkat("passwd", j->fd, "outside/link");
	mkdirat(j->fd, "dest", 0700);
	j->dest = openat(j->fd, "dest", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void jail_release(struct jail *j)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	close(j->dest);
	close(j->fd);
	berth_rm_rf_at(AT_FDCWD, j->dir, &err);
}

/* One line per file below dirfd (skipping top-level "dest"): what would show any change. */
static void snapshot_dir(int dirfd, const char *rel, struct buf *out)
{
	struct dirent **names = NULL;
	int n = scandirat(dirfd, ".", &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char line[1024], target[256] = "", digest[BERTH_DIGEST_STR_LEN] = "";
		struct stat st;

		if (strcmp(name, ".") && strcmp(name, "..") && !(!*rel && strcmp(name, "dest") == 0) &&
		    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			_cleanup_free_ char *path = berth_xasprintf("%s/%s", rel, name);

			if (S_ISLNK(st.st_mode))
				readlinkat(dirfd, name, target, sizeof(target) - 1);
			if (S_ISREG(st.st_mode)) {
				_cleanup_free_ char *data = NULL;
				_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
				size_t len = 0;

				if (berth_read_file_at(dirfd, name, 0, &data, &len, &err) == 0)
					berth_digest_buffer(data, len, digest);
			}
			snprintf(line, sizeof(line), "%s %o %u:%u %lld %lld.%09ld %lu %s %s\n", path, st.st_mode,
				 st.st_uid, st.st_gid, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
				 st.st_mtim.tv_nsec, (unsigned long)st.st_nlink, target, digest);
			buf_append(out, line, strlen(line));
			if (S_ISDIR(st.st_mode)) {
				_cleanup_close_ int sub =
					openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub >= 0)
					snapshot_dir(sub, path, out);
			}
		}
		free(names[i]);
	}
	free(names);
}

static char *snapshot(struct jail *j)
{
	struct buf b = { NULL, 0, 0 };

	snapshot_dir(j->fd, "", &b);
	buf_append(&b, "", 1);
	return (char *)b.data;
}

/* ---- unpacking ---- */

struct mem {
	const uint8_t *data;
	size_t len, pos, chunk;
	size_t read_total;
};

static ssize_t mem_read(void *opaque, void *buf, size_t len)
{
	struct mem *m = opaque;
	size_t n = m->len - m->pos;

	if (n > len)
		n = len;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	m->read_total += n;
	return (ssize_t)n;
}

static int unpack_buf(struct jail *j, const struct buf *b, const struct berth_unpack_limits *lim,
		      struct berth_unpack_result *res, struct berth_error *err)
{
	struct mem m = { b->data, b->len, 0, 0, 0 };
	struct berth_unpack_result dummy;

	berth_error_release(err);
	return berth_unpack_stream(mem_read, &m, j->dest, lim, res ? res : &dummy, err);
}

/*
 * Build a tar from ents, unpack it in a fresh jail, check that nothing
 * outside dest changed; returns unpack's result, err holds its message,
 * the jail stays for more checks.
 */
static int run_tar(struct jail *j, const struct ent *const *ents, size_t n, struct berth_error *err)
{
	_cleanup_free_ char *before = NULL, *after = NULL;
	struct tar *t = tar_new();
	struct buf b;
	int r;

	for (size_t i = 0; i < n; i++)
		tar_add(t, ents[i]);
	b = tar_finish(t);
	jail_init(j);
	before = snapshot(j);
	r = unpack_buf(j, &b, NULL, NULL, err);
	after = snapshot(j);
	if (!tap_ok(strcmp(before, after) == 0, "nothing outside dest changed (%s)", ents[n - 1]->name))
		tap_diag("before:\n%s\nafter:\n%s", before, after);
	free(b.data);
	return r;
}

#define RUN(j, err, ...)                                                                           \
	run_tar((j), (const struct ent *const[]){ __VA_ARGS__ },                                   \
		sizeof((const struct ent *const[]){ __VA_ARGS__ }) / sizeof(const struct ent *), (err))

static bool has_msg(const struct berth_error *err, const char *s)
{
	if (err->msg && strstr(err->msg, s))
		return true;
	tap_diag("error message: %s (wanted \"%s\")", err->msg ? err->msg : "(none)", s);
	return false;
}

static bool file_is(int dirfd, const char *path, const char *content)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *data = NULL;
	int fd = berth_openat2(dirfd, path, O_RDONLY | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS);
	size_t len;

	if (fd < 0)
		return false;
	close(fd);
	if (berth_read_file_at(dirfd, path, 0, &data, &len, &err) < 0)
		return false;
	return len == strlen(content) && memcmp(data, content, len) == 0;
}

static mode_t lmode(int dirfd, const char *path)
{
	struct stat st;

	return fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 ? 0 : st.st_mode;
}

/* ---- tests ---- */

static void test_entry_types(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct jail j;
	struct stat st, st2;
	char v[64];
	ssize_t n;
	int r;

	r = RUN(&j, &err, DIR_("./", .perm = 0751, .mtime = 1500000000),
		DIR_("etc/", .perm = 0755, .mtime = 1400000000),
		FILE_("etc/hosts", "127.0.0.1 localhost\n", .perm = 0640, .uid = 12, .gid = 34, .mtime = 1300000000),
		FILE_("bin/su", "#!su\n", .perm = 04755), FILE_("bin/wall", "", .perm = 02755, .gid = 5),
		DIR_("tmp/", .perm = 01777), LINK_("etc/localtime", "/berth-test-nonexistent/UTC", .uid = 7),
		HARD_("etc/hosts.bak", "etc/hosts", .perm = 0640, .uid = 12, .gid = 34, .mtime = 1300000000),
		(&(struct ent){ .name = "run/fifo", .type = AE_IFIFO, .perm = 0620 }),
		(&(struct ent){ .name = "dev/null", .type = AE_IFCHR, .perm = 0666, .dmaj = 1, .dmin = 3 }),
		(&(struct ent){ .name = "dev/loop0", .type = AE_IFBLK, .perm = 0660, .dmaj = 7, .dmin = 0 }),
		FILE_("caps", "x", .xname = { "security.capability", "user.note", "trusted.overlay.opaque" },
		      .xval = { "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
				"hello", "y" },
		      .xlen = { 20 }),
		DIR_("fake-opaque/", .xname = { "trusted.overlay.opaque", "user.overlay.redirect", "trusted.x" },
		     .xval = { "y", "/x", "1" }));
	TAP_OK(r == 0);
	if (r < 0)
		tap_diag("%s", err.msg);
	TAP_OK(file_is(j.dest, "etc/hosts", "127.0.0.1 localhost\n"));
	TAP_OK(fstatat(j.dest, "etc/hosts", &st, 0) == 0 && (st.st_mode & 07777) == 0640 && st.st_uid == 12 &&
	       st.st_gid == 34 && st.st_mtim.tv_sec == 1300000000);
	TAP_OK(st.st_nlink == 2 && fstatat(j.dest, "etc/hosts.bak", &st2, 0) == 0 && st2.st_ino == st.st_ino);
	TAP_OK((lmode(j.dest, "bin/su") & 07777) == 04755);
	TAP_OK((lmode(j.dest, "bin/wall") & 07777) == 02755);
	TAP_OK(lmode(j.dest, "tmp") == (S_IFDIR | 01777));
	/* implicit parents: 0755 root, whatever the umask (077 in this test) */
	TAP_OK(fstatat(j.dest, "bin", &st, 0) == 0 && st.st_mode == (S_IFDIR | 0755) && st.st_uid == 0);
	/* the "./" entry sets the root, directory times are set after their contents */
	TAP_OK(fstat(j.dest, &st) == 0 && (st.st_mode & 07777) == 0751 && st.st_mtim.tv_sec == 1500000000);
	TAP_OK(fstatat(j.dest, "etc", &st, 0) == 0 && st.st_mtim.tv_sec == 1400000000);
	n = readlinkat(j.dest, "etc/localtime", v, sizeof(v));
	TAP_OK(n == 27 && memcmp(v, "/berth-test-nonexistent/UTC", 27) == 0);
	TAP_OK(fstatat(j.dest, "etc/localtime", &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == 7);
	TAP_OK(lmode(j.dest, "run/fifo") == (S_IFIFO | 0620));
	TAP_OK(fstatat(j.dest, "dev/null", &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mode == (S_IFCHR | 0666) &&
	       st.st_rdev == makedev(1, 3));
	TAP_OK(fstatat(j.dest, "dev/loop0", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISBLK(st.st_mode) &&
	       st.st_rdev == makedev(7, 0));
	{
		_cleanup_close_ int fd = openat(j.dest, "caps", O_RDONLY | O_CLOEXEC);
		_cleanup_close_ int dfd = openat(j.dest, "fake-opaque", O_RDONLY | O_CLOEXEC);

		TAP_OK(fgetxattr(fd, "security.capability", v, sizeof(v)) == 20);
		n = fgetxattr(fd, "user.note", v, sizeof(v));
		TAP_OK(n == 5 && memcmp(v, "hello", 5) == 0);
		/* a tar cannot forge overlay metadata */
		TAP_OK(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) < 0 && errno == ENODATA);
		TAP_OK(fgetxattr(dfd, "trusted.overlay.opaque", v, sizeof(v)) < 0 && errno == ENODATA);
		TAP_OK(fgetxattr(dfd, "user.overlay.redirect", v, sizeof(v)) < 0 && errno == ENODATA);
		TAP_OK(fgetxattr(dfd, "trusted.x", v, sizeof(v)) < 0 && errno == ENODATA);
	}
	jail_release(&j);
}

static void test_dotdot_and_absolute(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *abs = NULL;
	struct jail j;

	TAP_OK(RUN(&j, &err, FILE_("../outside/passwd", "pwned\n")) == -EINVAL);
	TAP_OK(has_msg(&err, "`../outside/passwd`: a path with a `..` component is not allowed"));
	jail_release(&j);

	TAP_OK(RUN(&j, &err, DIR_("a/"), FILE_("a/../../outside/passwd", "pwned\n")) == -EINVAL);
	TAP_OK(has_msg(&err, "`..`"));
	jail_release(&j);

	TAP_OK(RUN(&j, &err, LINK_("x", "../outside/passwd"), HARD_("y", "../outside/passwd")) == -EINVAL);
	TAP_OK(has_msg(&err, "hardlink `y`: `../outside/passwd`: a path with a `..` component is not allowed"));
	jail_release(&j);

	/* absolute names lose their leading "/" like tar's */
	jail_init(&j);
	abs = berth_xasprintf("%s/passwd", j.outside);
	jail_release(&j);
	TAP_OK(RUN(&j, &err, FILE_(abs, "pwned\n"), FILE_("//berth-test-nonexistent/./x", "x\n")) == 0);
	TAP_OK(file_is(j.dest, abs + 1, "pwned\n") && file_is(j.dest, "berth-test-nonexistent/x", "x\n"));
	jail_release(&j);
}

static void test_symlink_parents(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *out_abs = NULL, *out_rel = NULL;
	struct jail j;
	int r;

	jail_init(&j);
	out_abs = berth_xstrdup(j.outside);
	jail_release(&j);

	/* "a" -> the jail's outside dir (absolute) then "a/passwd": lands in dest/<outside>/passwd */
	r = RUN(&j, &err, LINK_("a", out_abs), DIR_(out_abs + 1), FILE_("a/passwd", "pwned\n"));
	TAP_OK(r == 0);
	{
		_cleanup_free_ char *p = berth_xasprintf("%s/passwd", out_abs + 1);
		TAP_OK(file_is(j.dest, p, "pwned\n"));
	}
	jail_release(&j);

	/* the same without the directory inside dest: refused (the symlink dangles inside dest) */
	r = RUN(&j, &err, LINK_("a", out_abs), FILE_("a/passwd", "pwned\n"));
	TAP_OK(r == -ENOENT && has_msg(&err, "`a/passwd`: parent `a` is a symlink to a missing directory"));
	jail_release(&j);

	/* relative escapes: "../../x" clamps at dest's root */
	r = RUN(&j, &err, LINK_("b", "../../../../outside"), DIR_("outside/"), FILE_("b/passwd", "pwned\n"),
		LINK_("c", "../outside/link"), FILE_("c", "replaced\n"));
	TAP_OK(r == 0 && file_is(j.dest, "outside/passwd", "pwned\n") && file_is(j.dest, "c", "replaced\n"));
	jail_release(&j);

	/* chained relative symlinks, each climbing further */
	out_rel = berth_xstrdup("l3/../../../outside");
	r = RUN(&j, &err, DIR_("d/"), LINK_("d/l1", ".."), LINK_("l2", "d/l1/.."), LINK_("l3", "l2/../d/l1/../.."),
		LINK_("l4", out_rel), LINK_("l5", "l4/dir/../../outside/dir"), DIR_("outside/dir/"),
		FILE_("l4/passwd", "pwned\n"), FILE_("l5/x", "x\n"));
	TAP_OK(r == 0 && file_is(j.dest, "outside/passwd", "pwned\n") && file_is(j.dest, "outside/dir/x", "x\n"));
	jail_release(&j);

	/* a symlink loop: refused */
	r = RUN(&j, &err, LINK_("p", "q"), LINK_("q", "p"), FILE_("p/x", "x\n"));
	TAP_OK(r == -ELOOP && has_msg(&err, "`p/x`: parent `p`: Too many levels of symbolic links"));
	jail_release(&j);

	/* final components are never followed: a file over a symlink replaces the symlink */
	r = RUN(&j, &err, LINK_("f", out_abs), FILE_("f", "mine\n"), LINK_("g", "../outside/passwd"),
		FILE_("g", "mine too\n", .perm = 04777));
	TAP_OK(r == 0 && file_is(j.dest, "f", "mine\n") && lmode(j.dest, "g") == (S_IFREG | 04777));
	jail_release(&j);
}

static void test_hardlinks(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *passwd = NULL;
	struct jail j;
	struct stat st;
	int r;

	jail_init(&j);
	passwd = berth_xasprintf("%s/passwd", j.outside);
	jail_release(&j);

	/* an absolute target resolves inside dest, where it does not exist */
	r = RUN(&j, &err, HARD_("h", passwd));
	TAP_OK(r == -ENOENT && has_msg(&err, "not found in the layer"));
	jail_release(&j);

	/* through a symlinked parent: still resolved inside dest */
	r = RUN(&j, &err, LINK_("s", "../outside"), HARD_("h", "s/passwd"));
	TAP_OK(r == -ENOENT && has_msg(&err, "hardlink `h`: target `s/passwd` not found in the layer"));
	jail_release(&j);

	/* a hardlink to a symlink pointing out, then chown/chmod through the hardlink's header */
	r = RUN(&j, &err, LINK_("s", passwd), HARD_("h", "s", .perm = 04777, .uid = 1234, .gid = 1234),
		LINK_("t", "../outside/passwd"), HARD_("u", "t", .perm = 0777, .uid = 99),
		FILE_("h", "replaced\n", .perm = 0600));
	TAP_OK(r == 0);
	/* the symlink itself was chowned (never followed); "h" was replaced, not written through */
	TAP_OK(fstatat(j.dest, "u", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) && st.st_uid == 99 &&
	       st.st_nlink == 2);
	TAP_OK(file_is(j.dest, "h", "replaced\n") && lmode(j.dest, "s") == (S_IFLNK | 0777));
	jail_release(&j);

	/* hardlink to a directory */
	r = RUN(&j, &err, DIR_("d/"), HARD_("h", "d"));
	TAP_OK(r == -EPERM && has_msg(&err, "hardlink `h`: target `d` is a directory"));
	jail_release(&j);
}

static void test_replacements(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *out_abs = NULL;
	struct jail j;
	struct stat st;
	int r;

	jail_init(&j);
	out_abs = berth_xstrdup(j.outside);
	jail_release(&j);

	/* a directory replacing a symlink: the symlink goes, nothing is made through it */
	r = RUN(&j, &err, LINK_("d", out_abs), DIR_("d/", .perm = 0700), FILE_("d/passwd", "pwned\n"),
		LINK_("e", "../outside/dir"), DIR_("e/"), DIR_("e/new/"));
	TAP_OK(r == 0 && lmode(j.dest, "d") == (S_IFDIR | 0700) && file_is(j.dest, "d/passwd", "pwned\n"));
	TAP_OK(lmode(j.dest, "e") == (S_IFDIR | 0755) && lmode(j.dest, "e/new") == (S_IFDIR | 0755));
	jail_release(&j);
	/* without the directory entry, its child is refused: never made through the symlink */
	r = RUN(&j, &err, LINK_("e", "../outside/dir"), DIR_("e/new/"));
	TAP_OK(r == -ENOENT && has_msg(&err, "`e/new/`: parent `e` is a symlink to a missing directory"));
	jail_release(&j);

	/* a file replacing a directory (with contents), a symlink replacing a file */
	r = RUN(&j, &err, DIR_("d/"), FILE_("d/f", "f\n"), DIR_("d/sub/"), FILE_("d", "now a file\n"),
		FILE_("s", "file\n"), LINK_("s", "d"), DIR_("k/", .perm = 0700), DIR_("k/", .perm = 0750));
	TAP_OK(r == 0 && file_is(j.dest, "d", "now a file\n") && lmode(j.dest, "s") == (S_IFLNK | 0777));
	TAP_OK(fstatat(j.dest, "k", &st, 0) == 0 && (st.st_mode & 07777) == 0750);
	jail_release(&j);

	/* a non-directory parent */
	r = RUN(&j, &err, FILE_("f", "f\n"), FILE_("f/g", "g\n"));
	TAP_OK(r == -ENOTDIR && has_msg(&err, "`f/g`: parent `f`: Not a directory"));
	jail_release(&j);

	/* the root can only be a directory */
	r = RUN(&j, &err, FILE_(".", "x"));
	TAP_OK(r == -EINVAL && has_msg(&err, "the root of a layer can only be a directory"));
	jail_release(&j);
}

static void test_whiteouts(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct jail j;
	struct stat st;
	char v[8];
	int r;

	r = RUN(&j, &err, DIR_("etc/"), FILE_("etc/.wh.passwd", ""), FILE_("gone", "x"), FILE_(".wh.gone", ""),
		DIR_("tree/"), FILE_("tree/f", "f"), FILE_(".wh.tree", ""), FILE_("new/dir/.wh.x", ""),
		DIR_("opq/"), FILE_("opq/.wh..wh..opq", ""), FILE_("opq/kept", "k"),
		DIR_(".wh..wh.plnk/"), FILE_(".wh..wh.plnk/123.456", "aufs"), FILE_(".wh..wh.aufs", ""));
	TAP_OK(r == 0);
	if (r < 0)
		tap_diag("%s", err.msg);
	TAP_OK(fstatat(j.dest, "etc/passwd", &st, AT_SYMLINK_NOFOLLOW) == 0 && berth_whiteout_is_overlay(&st));
	/* removing what this layer made first */
	TAP_OK(fstatat(j.dest, "gone", &st, AT_SYMLINK_NOFOLLOW) == 0 && berth_whiteout_is_overlay(&st));
	TAP_OK(fstatat(j.dest, "tree", &st, AT_SYMLINK_NOFOLLOW) == 0 && berth_whiteout_is_overlay(&st));
	TAP_OK(fstatat(j.dest, "new/dir/x", &st, AT_SYMLINK_NOFOLLOW) == 0 && berth_whiteout_is_overlay(&st) &&
	       lmode(j.dest, "new/dir") == (S_IFDIR | 0755));
	{
		_cleanup_close_ int fd = openat(j.dest, "opq", O_RDONLY | O_CLOEXEC);
		TAP_OK(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
	}
	TAP_OK(file_is(j.dest, "opq/kept", "k"));
	/* no whiteout files themselves, no aufs metadata */
	TAP_OK(lmode(j.dest, "etc/.wh.passwd") == 0 && lmode(j.dest, ".wh..wh.plnk") == 0 &&
	       lmode(j.dest, ".wh..wh.aufs") == 0 && lmode(j.dest, "opq/.wh..wh..opq") == 0);
	jail_release(&j);

	r = RUN(&j, &err, FILE_(".wh.", ""));
	TAP_OK(r == -EINVAL && has_msg(&err, "`.wh.`: invalid whiteout `.wh.`"));
	jail_release(&j);
	r = RUN(&j, &err, FILE_("a/.wh..", ""));
	TAP_OK(r == -EINVAL && has_msg(&err, "invalid whiteout `.wh..`"));
	jail_release(&j);
	r = RUN(&j, &err, FILE_(".wh...", ""));
	TAP_OK(r == -EINVAL && has_msg(&err, "invalid whiteout `.wh...`"));
	jail_release(&j);
	r = RUN(&j, &err, FILE_(".wh.x/y", ""));
	TAP_OK(r == -EINVAL && has_msg(&err, "`.wh.x/y`: an entry below whiteout `.wh.x` is not allowed"));
	jail_release(&j);

	/* whiteouts never cross symlinks, not even ones inside dest */
	r = RUN(&j, &err, LINK_("s", "../outside"), FILE_("s/.wh.passwd", ""));
	TAP_OK(r == -ELOOP && has_msg(&err, "whiteout `s/.wh.passwd`: parent `s` crosses a symlink"));
	jail_release(&j);
	r = RUN(&j, &err, DIR_("d/"), LINK_("s", "d"), FILE_("s/.wh..wh..opq", ""));
	TAP_OK(r == -ELOOP && has_msg(&err, "whiteout `s/.wh..wh..opq`: parent `s` crosses a symlink"));
	jail_release(&j);
	r = RUN(&j, &err, DIR_("d/"), LINK_("s", "d"), FILE_("s/x/.wh.y", ""));
	TAP_OK(r == -ELOOP && has_msg(&err, "whiteout `s/x/.wh.y`: parent `s/x` crosses a symlink"));
	jail_release(&j);
}

/* A tar whose one file is size bytes of zeros. */
static struct buf zeros_tar(size_t size)
{
	struct tar *t = tar_new();
	struct archive_entry *e = archive_entry_new();
	_cleanup_free_ char *zeros = berth_xzalloc(1 << 20);

	archive_entry_set_pathname(e, "zeros");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_write_header(t->a, e);
	for (size_t done = 0; done < size; done += 1 << 20)
		archive_write_data(t->a, zeros, size - done < (1 << 20) ? size - done : 1 << 20);
	archive_entry_free(e);
	return tar_finish(t);
}

static void test_limits(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_unpack_limits lim = { .max_size = 1 << 20 };
	struct buf plain = zeros_tar(100 << 20), gz = gzip_buf(&plain), zst = zstd_buf(&plain);
	const struct buf *bombs[] = { &gz, &zst };
	struct jail j;
	struct stat st;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(bombs); i++) {
		/* small reads, so "stopped early" shows in how much was read */
		struct mem m = { bombs[i]->data, bombs[i]->len, 0, 256, 0 };
		struct berth_unpack_result res;

		jail_init(&j);
		r = berth_unpack_stream(mem_read, &m, j.dest, &lim, &res, &err);
		TAP_OK(r == -EFBIG && has_msg(&err, "layer exceeds the size limit of 1048576 bytes"));
		tap_ok(m.read_total < bombs[i]->len / 4, "%s bomb: read %zu of %zu compressed bytes",
		       i ? "zstd" : "gzip", m.read_total, bombs[i]->len);
		TAP_OK(fstatat(j.dest, "zeros", &st, 0) == 0 && st.st_size <= (2 << 20));
		berth_error_release(&err);
		jail_release(&j);
	}
	/* the same stream with room enough */
	{
		struct berth_unpack_result res;

		lim.max_size = (100 << 20) + 4096;
		jail_init(&j);
		r = unpack_buf(&j, &gz, &lim, &res, &err);
		TAP_OK(r == 0 && res.diff_size == plain.len && res.blob_size == gz.len);
		jail_release(&j);
	}
	free(plain.data);
	free(gz.data);
	free(zst.data);

	{
		struct tar *t = tar_new();
		struct berth_unpack_limits elim = { .max_entries = 5 };
		struct buf b;

		for (int i = 0; i < 10; i++) {
			char name[16];
			snprintf(name, sizeof(name), "f%d", i);
			tar_add(t, FILE_(name, "x"));
		}
		b = tar_finish(t);
		jail_init(&j);
		r = unpack_buf(&j, &b, &elim, NULL, &err);
		TAP_OK(r == -EFBIG && has_msg(&err, "layer exceeds the limit of 5 entries"));
		TAP_OK(lmode(j.dest, "f4") != 0 && lmode(j.dest, "f5") == 0);
		jail_release(&j);
		elim.max_entries = 10;
		jail_init(&j);
		TAP_OK(unpack_buf(&j, &b, &elim, NULL, &err) == 0);
		jail_release(&j);
		free(b.data);
	}
}

static void test_digests_and_formats(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct tar *t = tar_new();
	struct buf plain, gz, zst, padded = { NULL, 0, 0 }, multi = { NULL, 0, 0 }, gz2;
	char want_diff[BERTH_DIGEST_STR_LEN], want_blob[BERTH_DIGEST_STR_LEN];
	static const uint8_t zero_blocks[8192];
	struct jail j;

	tar_add(t, DIR_("d/"));
	tar_add(t, FILE_("d/f", "hello\n"));
	plain = tar_finish(t);
	gz = gzip_buf(&plain);
	zst = zstd_buf(&plain);
	berth_digest_buffer(plain.data, plain.len, want_diff);

	struct {
		const char *what;
		const struct buf *b;
		enum berth_compression c;
	} cases[] = {
		{ "plain", &plain, BERTH_COMPRESSION_NONE },
		{ "gzip", &gz, BERTH_COMPRESSION_GZIP },
		{ "zstd", &zst, BERTH_COMPRESSION_ZSTD },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct berth_unpack_result res;
		int r;

		berth_digest_buffer(cases[i].b->data, cases[i].b->len, want_blob);
		jail_init(&j);
		r = unpack_buf(&j, cases[i].b, NULL, &res, &err);
		tap_ok(r == 0 && strcmp(res.diff_id, want_diff) == 0 && strcmp(res.blob_digest, want_blob) == 0 &&
			       res.compression == cases[i].c && res.blob_size == cases[i].b->len &&
			       res.diff_size == plain.len && res.entries == 2 && file_is(j.dest, "d/f", "hello\n"),
		       "%s: digests, sizes, kind", cases[i].what);
		jail_release(&j);
	}

	/* bytes after the tar's end still count in both digests */
	{
		struct berth_unpack_result res;

		buf_append(&padded, plain.data, plain.len);
		buf_append(&padded, zero_blocks, sizeof(zero_blocks));
		gz2 = gzip_buf(&padded);
		/* and a multi-member gzip */
		buf_append(&multi, gz2.data, gz2.len);
		free(gz2.data);
		gz2 = gzip_buf(&(struct buf){ (uint8_t *)"trailing junk", 13, 13 });
		buf_append(&multi, gz2.data, gz2.len);
		buf_append(&padded, "trailing junk", 13);
		berth_digest_buffer(padded.data, padded.len, want_diff);
		berth_digest_buffer(multi.data, multi.len, want_blob);
		jail_init(&j);
		TAP_OK(unpack_buf(&j, &multi, NULL, &res, &err) == 0 && strcmp(res.diff_id, want_diff) == 0 &&
		       strcmp(res.blob_digest, want_blob) == 0 && res.diff_size == padded.len);
		jail_release(&j);
		free(gz2.data);
	}

	/* corrupt and truncated streams */
	{
		struct buf bad = { NULL, 0, 0 };

		buf_append(&bad, gz.data, gz.len);
		bad.data[bad.len - 6] ^= 0xff; /* the CRC */
		jail_init(&j);
		TAP_OK(unpack_buf(&j, &bad, NULL, NULL, &err) == -EINVAL && has_msg(&err, "gzip: "));
		jail_release(&j);
		bad.len = gz.len / 2;
		jail_init(&j);
		TAP_OK(unpack_buf(&j, &bad, NULL, NULL, &err) == -EINVAL && has_msg(&err, "gzip: "));
		jail_release(&j);
		bad.len = 0;
		buf_append(&bad, zst.data, zst.len - 3);
		jail_init(&j);
		TAP_OK(unpack_buf(&j, &bad, NULL, NULL, &err) == -EINVAL &&
		       has_msg(&err, "zstd: unexpected end of the stream"));
		jail_release(&j);
		bad.len = 0;
		buf_append(&bad, plain.data, 700);
		jail_init(&j);
		TAP_OK(unpack_buf(&j, &bad, NULL, NULL, &err) == -EINVAL && has_msg(&err, "read layer tar: "));
		jail_release(&j);
		bad.len = 0;
		buf_append(&bad, gz.data, gz.len);
		buf_append(&bad, "junk", 4);
		jail_init(&j);
		TAP_OK(unpack_buf(&j, &bad, NULL, NULL, &err) == -EINVAL &&
		       has_msg(&err, "gzip: unexpected data after the end of the stream"));
		jail_release(&j);
		bad.len = 0;
		buf_append(&bad, "this is not a tar", 17);
		jail_init(&j);
		TAP_OK(unpack_buf(&j, &bad, NULL, NULL, &err) == -EINVAL && has_msg(&err, "read layer tar: "));
		jail_release(&j);
		free(bad.data);
	}
	free(padded.data);
	free(multi.data);
	free(plain.data);
	free(gz.data);
	free(zst.data);
}

/* GNU tar and ustar headers, long names, sparse files, names that are not ASCII. */
static void test_formats(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	char longname[400] = "", link[400];
	int formats[] = { ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED };
	struct jail j;
	struct stat st;

	for (int i = 0; i < 30; i++)
		strcat(longname, "directory/");
	strcat(longname, "file-with-a-long-name");
	for (size_t f = 0; f < ARRAY_SIZE(formats); f++) {
		struct tar *t = tar_new_format(formats[f]);
		struct archive_entry *e = archive_entry_new();
		_cleanup_free_ char *data = berth_xzalloc(2 << 20);
		_cleanup_free_ char *got = NULL;
		struct buf b;
		size_t len = 0;

		tar_add(t, FILE_(longname, "long\n"));
		tar_add(t, LINK_("long-link", longname));
		tar_add(t, HARD_("long-hard", longname));
		tar_add(t, FILE_("caf\xc3\xa9", "utf-8\n"));
		tar_add(t, FILE_("latin\xe9", "latin-1\n"));
		/* 2 MiB with data at 0 and 1 MiB, holes between */
		memset(data, 'A', 4096);
		memset(data + (1 << 20), 'B', 4096);
		archive_entry_set_pathname(e, "sparse");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 2 << 20);
		archive_entry_sparse_add_entry(e, 0, 4096);
		archive_entry_sparse_add_entry(e, 1 << 20, 4096);
		archive_write_header(t->a, e);
		archive_write_data(t->a, data, 2 << 20);
		archive_entry_free(e);
		b = tar_finish(t);
		jail_init(&j);
		tap_ok(unpack_buf(&j, &b, NULL, NULL, &err) == 0, "%s: unpacked (%s)", f ? "pax" : "gnutar",
		       err.msg ? err.msg : "ok");
		TAP_OK(file_is(j.dest, longname, "long\n") && file_is(j.dest, "long-hard", "long\n"));
		TAP_OK(readlinkat(j.dest, "long-link", link, sizeof(link)) == (ssize_t)strlen(longname) &&
		       memcmp(link, longname, strlen(longname)) == 0);
		TAP_OK(file_is(j.dest, "caf\xc3\xa9", "utf-8\n") && file_is(j.dest, "latin\xe9", "latin-1\n"));
		TAP_OK(berth_read_file_at(j.dest, "sparse", 0, &got, &len, &err) == 0 && len == (2 << 20) &&
		       memcmp(got, data, len) == 0);
		TAP_OK(fstatat(j.dest, "sparse", &st, 0) == 0 && st.st_size == (2 << 20));
		if (f == 1)
			tap_diag("sparse file: %lld blocks of 512 bytes for %lld bytes", (long long)st.st_blocks,
				 (long long)st.st_size);
		jail_release(&j);
		free(b.data);
	}
}

/* Device nodes need root; everything else unpacks unprivileged. */
static void test_unprivileged(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct tar *t = tar_new();
	struct buf b;
	struct jail j;
	int status = -1;
	pid_t pid;

	tar_add(t, FILE_("f", "x", .uid = 5));
	tar_add(t, (&(struct ent){ .name = "p", .type = AE_IFIFO, .perm = 0600 }));
	tar_add(t, (&(struct ent){ .name = "null", .type = AE_IFCHR, .perm = 0666, .dmaj = 1, .dmin = 3 }));
	b = tar_finish(t);
	jail_init(&j);
	fchown(j.fd, 65534, 65534);
	fchown(j.dest, 65534, 65534);
	pid = fork();
	if (pid == 0) {
		int r;

		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		r = unpack_buf(&j, &b, NULL, NULL, &err);
		_exit(r == -EPERM && strstr(err.msg, "`null`: device nodes can only be unpacked as root") &&
				      lmode(j.dest, "p") == (S_IFIFO | 0600) && file_is(j.dest, "f", "x")
			      ? 0
			      : 1);
	}
	waitpid(pid, &status, 0);
	TAP_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	jail_release(&j);
	free(b.data);
}

static void test_decompressor(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_decompressor_freep) struct berth_decompressor *d = NULL;
	struct buf in = { NULL, 0, 0 }, gz, zst, two = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	uint8_t chunk[1000];
	ssize_t n;

	for (int i = 0; i < 100000; i++) {
		char line[32];
		int len = snprintf(line, sizeof(line), "line %d\n", i);
		buf_append(&in, line, (size_t)len);
	}
	gz = gzip_buf(&in);
	zst = zstd_buf(&in);
	/* two zstd frames back to back are one stream */
	buf_append(&two, zst.data, zst.len);
	buf_append(&two, zst.data, zst.len);
	{
		struct mem m = { two.data, two.len, 0, 777, 0 };

		TAP_OK(berth_decompressor_new(mem_read, &m, &d, &err) == 0 &&
		       berth_decompressor_kind(d) == BERTH_COMPRESSION_ZSTD);
		while ((n = berth_decompressor_read(d, chunk, sizeof(chunk), &err)) > 0)
			buf_append(&out, chunk, (size_t)n);
		TAP_OK(n == 0 && out.len == 2 * in.len && memcmp(out.data, in.data, in.len) == 0 &&
		       memcmp(out.data + in.len, in.data, in.len) == 0);
		berth_decompressor_free(TAKE_PTR(d));
	}
	{
		struct mem m = { gz.data, gz.len, 0, 1, 0 }; /* one byte at a time */

		out.len = 0;
		TAP_OK(berth_decompressor_new(mem_read, &m, &d, &err) == 0 &&
		       berth_decompressor_kind(d) == BERTH_COMPRESSION_GZIP);
		while ((n = berth_decompressor_read(d, chunk, sizeof(chunk), &err)) > 0)
			buf_append(&out, chunk, (size_t)n);
		TAP_OK(n == 0 && out.len == in.len && memcmp(out.data, in.data, in.len) == 0);
		berth_decompressor_free(TAKE_PTR(d));
	}
	{
		struct mem m = { (const uint8_t *)"ab", 2, 0, 0, 0 };

		out.len = 0;
		TAP_OK(berth_decompressor_new(mem_read, &m, &d, &err) == 0 &&
		       berth_decompressor_kind(d) == BERTH_COMPRESSION_NONE);
		while ((n = berth_decompressor_read(d, chunk, sizeof(chunk), &err)) > 0)
			buf_append(&out, chunk, (size_t)n);
		TAP_OK(n == 0 && out.len == 2 && memcmp(out.data, "ab", 2) == 0);
		TAP_OK(strcmp(berth_compression_name(BERTH_COMPRESSION_ZSTD), "zstd") == 0);
	}
	free(in.data);
	free(gz.data);
	free(zst.data);
	free(two.data);
	free(out.data);
}

static void test_copy_over(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *before = NULL, *after = NULL;
	_cleanup_close_ int layer = -EBADF, fd = -EBADF;
	struct jail j;
	struct stat st, st2;
	char v[8];
	int r;

	/* the layer: unpacked from a tar, so in overlay form */
	r = RUN(&j, &err, DIR_("./", .perm = 0755, .mtime = 1600000000), DIR_("etc/", .perm = 0711),
		FILE_("etc/.wh.shadow", ""), FILE_("etc/hosts", "new hosts\n", .perm = 0600, .uid = 3, .mtime = 1234567),
		HARD_("etc/hosts2", "etc/hosts", .perm = 0600, .uid = 3, .mtime = 1234567), FILE_(".wh.olddir", ""), DIR_("opq/"),
		FILE_("opq/.wh..wh..opq", ""), FILE_("opq/mine", "mine\n"), DIR_("was-link/"),
		FILE_("was-link/passwd", "pwned\n"), LINK_("sym", "/berth-test-nonexistent/hosts"),
		FILE_("caps", "c", .perm = 0755, .xname = { "user.a" }, .xval = { "1" }),
		(&(struct ent){ .name = "fifo", .type = AE_IFIFO, .perm = 0640, .uid = 8 }), FILE_("dir-now-file", "f\n"),
		FILE_(".wh.lnk", ""), DIR_("opq-lnk/"), FILE_("opq-lnk/.wh..wh..opq", ""), FILE_("opq-lnk/f", "f\n"));
	TAP_OK(r == 0);
	/* move it aside, make a fresh dest holding the "lower" content */
	renameat(j.fd, "dest", j.fd, "layer");
	close(j.dest);
	layer = openat(j.fd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mkdirat(j.fd, "dest", 0700);
	j.dest = openat(j.fd, "dest", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mkdirat(j.dest, "etc", 0755);
	berth_write_file_atomic(j.dest, "etc/shadow", "secret\n", 7, 0600, &err);
	berth_write_file_atomic(j.dest, "etc/hosts", "old hosts\n", 10, 0644, &err);
	mkdirat(j.dest, "olddir", 0755);
	mkdirat(j.dest, "olddir/sub", 0755);
	mkdirat(j.dest, "opq", 0755);
	berth_write_file_atomic(j.dest, "opq/lower", "lower\n", 6, 0644, &err);
	symlinkat(j.outside, j.dest, "was-link");
	mkdirat(j.dest, "dir-now-file", 0755);
	mkdirat(j.dest, "dir-now-file/x", 0755);
	/* symlinks in dest where the layer deletes or has an opaque directory: never followed */
	symlinkat(j.outside, j.dest, "lnk");
	symlinkat("../outside/dir", j.dest, "opq-lnk");
	/* the snapshot covers jail/layer and jail/outside */
	before = snapshot(&j);
	r = berth_layer_copy_over(layer, j.dest, &err);
	after = snapshot(&j);
	TAP_OK(r == 0);
	if (r < 0)
		tap_diag("%s", err.msg);
	if (!TAP_OK(strcmp(before, after) == 0))
		tap_diag("before:\n%s\nafter:\n%s", before, after);
	TAP_OK(lmode(j.dest, "etc/shadow") == 0 && lmode(j.dest, "olddir") == 0);
	TAP_OK(file_is(j.dest, "etc/hosts", "new hosts\n"));
	TAP_OK(fstatat(j.dest, "etc/hosts", &st, 0) == 0 && st.st_uid == 3 && (st.st_mode & 07777) == 0600 &&
	       st.st_mtim.tv_sec == 1234567 && st.st_nlink == 2);
	TAP_OK(fstatat(j.dest, "etc/hosts2", &st2, 0) == 0 && st2.st_ino == st.st_ino);
	TAP_OK(lmode(j.dest, "etc") == (S_IFDIR | 0711));
	TAP_OK(lmode(j.dest, "opq/lower") == 0 && file_is(j.dest, "opq/mine", "mine\n"));
	fd = openat(j.dest, "opq", O_RDONLY | O_CLOEXEC);
	TAP_OK(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) < 0 && errno == ENODATA);
	close(fd);
	fd = openat(j.dest, "caps", O_RDONLY | O_CLOEXEC);
	TAP_OK(fgetxattr(fd, "user.a", v, sizeof(v)) == 1 && v[0] == '1');
	TAP_OK(lmode(j.dest, "was-link") == (S_IFDIR | 0755) && file_is(j.dest, "was-link/passwd", "pwned\n"));
	TAP_OK(lmode(j.dest, "sym") == (S_IFLNK | 0777) && lmode(j.dest, "fifo") == (S_IFIFO | 0640));
	TAP_OK(file_is(j.dest, "dir-now-file", "f\n"));
	TAP_OK(lmode(j.dest, "lnk") == 0 && lmode(j.dest, "opq-lnk") == (S_IFDIR | 0755) &&
	       file_is(j.dest, "opq-lnk/f", "f\n"));
	TAP_OK(fstat(j.dest, &st) == 0 && st.st_mtim.tv_sec == 1600000000 && (st.st_mode & 07777) == 0755);
	jail_release(&j);
}

int main(void)
{
	if (geteuid() != 0)
		tap_skip_all("needs root (owners, devices, trusted xattrs)");
	/* the unpacker must not depend on it */
	umask(077);
	test_entry_types();
	test_dotdot_and_absolute();
	test_symlink_parents();
	test_hardlinks();
	test_replacements();
	test_whiteouts();
	test_limits();
	test_digests_and_formats();
	test_formats();
	test_unprivileged();
	test_decompressor();
	test_copy_over();
	return tap_done();
}
