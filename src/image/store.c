#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "image-db.h"
#include "manifest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define DEFAULT_MAX_LAYER_SIZE (64ULL << 30)
#define DEFAULT_MAX_LAYER_ENTRIES 4194304ULL
#define OCI_LAYOUT "{\"imageLayoutVersion\":\"1.0.0\"}"
#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

int berth_parse_size(const char *s, uint64_t *ret)
{
	uint64_t ip = 0, frac = 0, frac_div = 1, mult = 1, v;
	const char *p = s;

	if (!s || !(*p >= '0' && *p <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(ip, 10, &ip) || __builtin_add_overflow(ip, (uint64_t)(*p - '0'), &ip))
			return -ERANGE;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			/* digits past the ninth do not change a byte count worth having */
			if (frac_div < 1000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
		}
	}
	switch (*p) {
	case 'k': case 'K': mult = 1ULL << 10; p++; break;
	case 'm': case 'M': mult = 1ULL << 20; p++; break;
	case 'g': case 'G': mult = 1ULL << 30; p++; break;
	case 't': case 'T': mult = 1ULL << 40; p++; break;
	default: break;
	}
	/* "10K", "10KB", "10KiB", "10B" */
	if (mult > 1 && *p == 'i')
		p++;
	if (*p == 'B' || *p == 'b')
		p++;
	if (*p)
		return -EINVAL;
	if (__builtin_mul_overflow(ip, mult, &v))
		return -ERANGE;
	/* frac < frac_div <= 1e9 and mult <= 2^40: frac * mult fits in 64 bits */
	if (__builtin_add_overflow(v, frac * mult / frac_div, &v))
		return -ERANGE;
	*ret = v;
	return 0;
}

static int limit_from_env(const char *name, uint64_t dflt, uint64_t *ret, struct berth_error *err)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		*ret = dflt;
		return 0;
	}
	if (berth_parse_size(v, ret) < 0)
		return berth_error_setx(err, EINVAL, "invalid $%s \"%s\": expected a size like 1048576, 512M or 64G", name,
					v);
	return 0;
}

/* An absolute path for a user-given root: relative ones are taken from the working directory. */
static char *absolute_path(const char *p)
{
	char cwd[PATH_MAX];

	if (p[0] == '/')
		return berth_xstrdup(p);
	if (!getcwd(cwd, sizeof(cwd)))
		return berth_xstrdup(p);
	return berth_xasprintf("%s/%s", cwd, p);
}

/* name is relative to dirfd; display, relative to the root, is for messages */
static int open_subdir(struct berth_store *s, int dirfd, const char *name, const char *display, int *ret,
		       struct berth_error *err)
{
	int fd;

	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "mkdir \"%s/%s\"", s->root, display);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open \"%s/%s\"", s->root, display);
	*ret = fd;
	return 0;
}

#define EMPTY_INDEX "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_INDEX "\",\"manifests\":[]}"

static int write_root_file(struct berth_store *s, const char *name, const char *data, struct berth_error *err);

/* The layout files, written once; a concurrent first open writes the same bytes. */
static int ensure_layout(struct berth_store *s, struct berth_error *err)
{
	int r;

	if (faccessat(s->root_fd, "oci-layout", F_OK, 0) < 0) {
		r = write_root_file(s, "oci-layout", OCI_LAYOUT, err);
		if (r < 0)
			return r;
	}
	if (faccessat(s->root_fd, "index.json", F_OK, 0) < 0) {
		r = write_root_file(s, "index.json", EMPTY_INDEX, err);
		if (r < 0)
			return r;
	}
	return 0;
}

void berth_store_free(struct berth_store *s)
{
	if (!s)
		return;
	if (s->db)
		berth_db_free(s->db);
	/* closing the lock fd releases the flock */
	int fds[] = { s->root_fd, s->blobs_fd, s->layers_fd, s->tmp_fd, s->lock_fd };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(s->root);
	free(s->run_root);
	free(s);
}

static int store_open_dirs(struct berth_store *s, struct berth_error *err)
{
	_cleanup_close_ int blobs_fd = -EBADF;
	int r;

	r = berth_mkdir_p(s->root, 0700, err);
	if (r < 0)
		return r;
	s->root_fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0)
		return berth_error_set(err, errno, "open \"%s\"", s->root);

	s->lock_fd = openat(s->root_fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lock_fd < 0)
		return berth_error_set(err, errno, "open \"%s/lock\"", s->root);
	while (flock(s->lock_fd, LOCK_SH) < 0)
		if (errno != EINTR)
			return berth_error_set(err, errno, "lock \"%s/lock\"", s->root);

	r = open_subdir(s, s->root_fd, "blobs", "blobs", &blobs_fd, err);
	if (r < 0)
		return r;
	r = open_subdir(s, blobs_fd, "sha256", "blobs/sha256", &s->blobs_fd, err);
	if (r < 0)
		return r;
	r = open_subdir(s, s->root_fd, "layers", "layers", &s->layers_fd, err);
	if (r < 0)
		return r;
	r = open_subdir(s, s->root_fd, "tmp", "tmp", &s->tmp_fd, err);
	if (r < 0)
		return r;
	return ensure_layout(s, err);
}

int berth_store_open(const char *root, const char *run_root, struct berth_store **ret, struct berth_error *err)
{
	_cleanup_(berth_store_freep) struct berth_store *s = NULL;
	_cleanup_free_ char *db_path = NULL;
	int r;

	if (!root || !*root)
		root = getenv("BERTH_ROOT");
	if (!root || !*root)
		root = BERTH_DEFAULT_ROOT;
	if (!run_root || !*run_root)
		run_root = getenv("BERTH_RUN_ROOT");
	if (!run_root || !*run_root)
		run_root = BERTH_DEFAULT_RUN_ROOT;

	s = berth_xzalloc(sizeof(*s));
	s->root_fd = s->blobs_fd = s->layers_fd = s->tmp_fd = s->lock_fd = -EBADF;
	s->root = absolute_path(root);
	s->run_root = absolute_path(run_root);

	r = limit_from_env("BERTH_MAX_LAYER_SIZE", DEFAULT_MAX_LAYER_SIZE, &s->limits.max_size, err);
	if (r < 0)
		return r;
	r = limit_from_env("BERTH_MAX_LAYER_ENTRIES", DEFAULT_MAX_LAYER_ENTRIES, &s->limits.max_entries, err);
	if (r < 0)
		return r;

	r = store_open_dirs(s, err);
	if (r < 0)
		return berth_error_prefix(err, "open store \"%s\"", s->root);
	r = berth_mkdir_p(s->run_root, 0700, err);
	if (r < 0)
		return berth_error_prefix(err, "open store run root");

	db_path = berth_xasprintf("%s/berth.db", s->root);
	r = berth_db_open(db_path, &s->db, err);
	if (r < 0)
		return berth_error_prefix(err, "open store \"%s\"", s->root);
	*ret = TAKE_PTR(s);
	return 0;
}

/* Everything in tmp/ belongs to a process that held the lock shared; with it exclusive, none is left. */
static int sweep_tmp(struct berth_store *s, struct berth_error *err)
{
	int dfd = openat(s->tmp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (dfd < 0)
		return berth_error_set(err, errno, "open \"%s/tmp\"", s->root);
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return berth_error_set(err, errno, "open \"%s/tmp\"", s->root);
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = berth_rm_rf_at(s->tmp_fd, de->d_name, err);
		if (r < 0) {
			berth_error_prefix(err, "clean \"%s/tmp\"", s->root);
			break;
		}
	}
	closedir(d);
	return r;
}

int berth_store_lock_exclusive(struct berth_store *s, struct berth_error *err)
{
	while (flock(s->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return berth_error_set(err, errno, "lock \"%s/lock\"", s->root);
	return sweep_tmp(s, err);
}

/* "<prefix>-<12 random [a-z0-9]>" */
static int random_name(const char *prefix, char *buf, size_t size, struct berth_error *err)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[12];
	int n;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return berth_error_set(err, errno, "getrandom");
	n = snprintf(buf, size, "%s-", prefix);
	if (n < 0 || (size_t)n + sizeof(rnd) >= size)
		abort();
	for (size_t i = 0; i < sizeof(rnd); i++)
		buf[(size_t)n + i] = chars[rnd[i] % (sizeof(chars) - 1)];
	buf[(size_t)n + sizeof(rnd)] = '\0';
	return 0;
}

int berth_store_mkdtemp(struct berth_store *s, char **ret_name, struct berth_error *err)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		char name[32];
		int r = random_name("dir", name, sizeof(name), err);

		if (r < 0)
			return r;
		if (mkdirat(s->tmp_fd, name, 0700) == 0) {
			*ret_name = berth_xstrdup(name);
			return 0;
		}
		if (errno != EEXIST)
			return berth_error_set(err, errno, "mkdir \"%s/tmp/%s\"", s->root, name);
	}
	return berth_error_setx(err, EEXIST, "mkdir in \"%s/tmp\": no free name", s->root);
}

/* Write root/name atomically through a temp file in tmp/, where a crash's litter gets swept. */
static int write_root_file(struct berth_store *s, const char *name, const char *data, struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	char tmp[32];
	int r;

	r = random_name("file", tmp, sizeof(tmp), err);
	if (r < 0)
		return r;
	fd = openat(s->tmp_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_error_set(err, errno, "create \"%s/tmp/%s\"", s->root, tmp);
	r = berth_write_all(fd, data, strlen(data));
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && renameat(s->tmp_fd, tmp, s->root_fd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(s->tmp_fd, tmp, 0);
		return berth_error_set(err, -r, "write \"%s/%s\"", s->root, name);
	}
	if (fsync(s->root_fd) < 0)
		return berth_error_set(err, errno, "fsync \"%s\"", s->root);
	return 0;
}

static int name_entry(struct berth_store *s, const struct berth_image *img, const char *name, json_t *manifests,
		      struct berth_error *err)
{
	json_t *d, *ann;
	struct stat st;

	if (berth_digest_validate(img->manifest_digest, err) < 0)
		return berth_error_prefix(err, "image %s", img->id);
	if (fstatat(s->blobs_fd, berth_digest_hex(img->manifest_digest), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "manifest %s of %s", img->manifest_digest, name);
	d = json_object();
	json_object_set_new(d, "mediaType", json_string(img->manifest_media_type));
	json_object_set_new(d, "digest", json_string(img->manifest_digest));
	json_object_set_new(d, "size", json_integer(st.st_size));
	ann = json_object();
	json_object_set_new(ann, ANNOTATION_REF_NAME, json_string(name));
	json_object_set_new(d, "annotations", ann);
	json_array_append_new(manifests, d);
	return 0;
}

static int cmp_entry_name(const void *a, const void *b)
{
	json_t *const *x = a, *const *y = b;
	const char *nx = json_string_value(json_object_get(json_object_get(*x, "annotations"), ANNOTATION_REF_NAME));
	const char *ny = json_string_value(json_object_get(json_object_get(*y, "annotations"), ANNOTATION_REF_NAME));

	return strcmp(nx, ny);
}

static int build_index(struct berth_store *s, char **ret, struct berth_error *err)
{
	_cleanup_(json_decrefp) json_t *doc = json_object(), *manifests = json_array();
	struct berth_image *imgs = NULL;
	json_t **sorted = NULL;
	size_t n = 0, n_entries;
	char *text;
	int r;

	r = berth_db_list_images(s->db, &imgs, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r >= 0; i++)
		for (char **name = imgs[i].names; name && *name && r >= 0; name++)
			r = name_entry(s, &imgs[i], *name, manifests, err);
	berth_image_array_free(imgs, n);
	if (r < 0)
		return r;

	/* one stable order, whatever the database returns */
	n_entries = json_array_size(manifests);
	sorted = berth_xcalloc(n_entries + 1, sizeof(*sorted));
	for (size_t i = 0; i < n_entries; i++)
		sorted[i] = json_incref(json_array_get(manifests, i));
	qsort(sorted, n_entries, sizeof(*sorted), cmp_entry_name);
	json_array_clear(manifests);
	for (size_t i = 0; i < n_entries; i++)
		json_array_append_new(manifests, sorted[i]);
	free(sorted);

	json_object_set_new(doc, "schemaVersion", json_integer(2));
	json_object_set_new(doc, "mediaType", json_string(BERTH_MT_OCI_INDEX));
	json_object_set(doc, "manifests", manifests);
	text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		abort();
	*ret = text;
	return 0;
}

int berth_store_write_index(struct berth_store *s, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	/* Serialise against other writers: without a transaction of the caller's, take one for the read and the write. */
	bool own_tx = sqlite3_get_autocommit(berth_db_handle(s->db)) != 0;
	int r;

	if (own_tx) {
		r = berth_db_begin(s->db, err);
		if (r < 0)
			return berth_error_prefix(err, "write index.json");
	}
	r = build_index(s, &text, err);
	if (r >= 0)
		r = write_root_file(s, "index.json", text, err);
	if (own_tx)
		berth_db_rollback(s->db);
	if (r < 0)
		return berth_error_prefix(err, "write index.json");
	return 0;
}
