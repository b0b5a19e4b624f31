#include "blob-store.h"
#include "blob-store-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

enum writer_state {
	WRITER_OPEN,
	WRITER_COMMITTED,
	WRITER_ABORTED,
};

struct berth_blob_writer {
	struct berth_store *store;
	int fd;		/* the temp file, open until free: followers pread() it */
	char *tmp_name; /* a named temp file in tmp/, or NULL for an O_TMPFILE */
	struct berth_sha256 *hash;
	char expected_digest[BERTH_DIGEST_STR_LEN]; /* "" = not known */
	int64_t expected_size;
	uint64_t max_size;
	uint64_t written; /* only the producer changes it */

	/* what followers wait on */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t visible; /* bytes a follower may read */
	enum writer_state state;
};

static int open_temp(struct berth_store *s, struct berth_blob_writer *w, struct berth_error *err)
{
	/* An O_TMPFILE has no name until it is complete: a crash leaves nothing behind. */
	w->fd = openat(s->tmp_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	if (w->fd >= 0)
		goto chmod;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return berth_error_set(err, errno, "create a temp file in \"%s/tmp\"", s->root);

	for (int attempt = 0; attempt < 100; attempt++) {
		char rnd[BERTH_DIGEST_STR_LEN];
		uint64_t seed[2] = { (uint64_t)getpid(), (uint64_t)(uintptr_t)w + (uint64_t)attempt };

		berth_digest_buffer(seed, sizeof(seed), rnd);
		free(w->tmp_name);
		w->tmp_name = berth_xasprintf("blob-%.16s", berth_digest_hex(rnd));
		w->fd = openat(s->tmp_fd, w->tmp_name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (w->fd >= 0)
			goto chmod;
		if (errno != EEXIST)
			return berth_error_set(err, errno, "create \"%s/tmp/%s\"", s->root, w->tmp_name);
	}
	return berth_error_setx(err, EEXIST, "create a temp file in \"%s/tmp\": no free name", s->root);
chmod:
	/* the same mode whatever the umask: blobs are not secret, the store root keeps others out */
	if (fchmod(w->fd, 0644) < 0)
		return berth_error_set(err, errno, "chmod a temp file in \"%s/tmp\"", s->root);
	return 0;
}

int berth_blob_writer_new(struct berth_store *s, const char *expected_digest, int64_t expected_size, uint64_t max_size,
			  struct berth_blob_writer **ret, struct berth_error *err)
{
	struct berth_blob_writer *w;
	int r;

	if (expected_digest && berth_digest_validate(expected_digest, err) < 0)
		return -err->code;
	if (max_size && expected_size >= 0 && (uint64_t)expected_size > max_size)
		return berth_error_setx(err, EFBIG, "blob %s: %" PRId64 " bytes is more than the limit of %" PRIu64,
					expected_digest ? expected_digest : "", expected_size, max_size);

	w = berth_xzalloc(sizeof(*w));
	w->store = s;
	w->fd = -EBADF;
	w->expected_size = expected_size;
	w->max_size = max_size;
	if (expected_digest)
		snprintf(w->expected_digest, sizeof(w->expected_digest), "%s", expected_digest);
	r = open_temp(s, w, err);
	if (r < 0) {
		/* only a file we created is ours to remove */
		if (w->fd >= 0) {
			close(w->fd);
			if (w->tmp_name)
				unlinkat(s->tmp_fd, w->tmp_name, 0);
		}
		free(w->tmp_name);
		free(w);
		return r;
	}
	w->hash = berth_sha256_new();
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->state = WRITER_OPEN;
	*ret = w;
	return 0;
}

static void set_state(struct berth_blob_writer *w, enum writer_state state)
{
	pthread_mutex_lock(&w->lock);
	if (w->state == WRITER_OPEN)
		w->state = state;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void berth_blob_writer_abort(struct berth_blob_writer *w)
{
	bool was_open;

	pthread_mutex_lock(&w->lock);
	was_open = w->state == WRITER_OPEN;
	pthread_mutex_unlock(&w->lock);
	if (!was_open)
		return;
	set_state(w, WRITER_ABORTED);
	if (w->tmp_name)
		unlinkat(w->store->tmp_fd, w->tmp_name, 0);
	/* the fd stays open until free: a follower may be in the middle of a pread() */
}

static const char *blob_label(const struct berth_blob_writer *w)
{
	return w->expected_digest[0] ? w->expected_digest : "";
}

int berth_blob_writer_write(struct berth_blob_writer *w, const void *buf, size_t len, struct berth_error *err)
{
	uint64_t total;
	int r;

	if (w->state != WRITER_OPEN)
		return berth_error_setx(err, EINVAL, "write blob %s: already %s", blob_label(w),
					w->state == WRITER_COMMITTED ? "committed" : "aborted");
	if (len == 0)
		return 0;
	total = w->written + len;
	if (w->expected_size >= 0 && total > (uint64_t)w->expected_size) {
		berth_blob_writer_abort(w);
		return berth_error_setx(err, EFBIG, "blob %s: more data than the expected %" PRId64 " bytes",
					blob_label(w), w->expected_size);
	}
	if (w->max_size && total > w->max_size) {
		berth_blob_writer_abort(w);
		return berth_error_setx(err, EFBIG, "blob %s: larger than the limit of %" PRIu64 " bytes",
					blob_label(w), w->max_size);
	}
	r = berth_write_all(w->fd, buf, len);
	if (r < 0) {
		berth_blob_writer_abort(w);
		return berth_error_set(err, -r, "write blob %s to \"%s/tmp\"", blob_label(w), w->store->root);
	}
	berth_sha256_update(w->hash, buf, len);
	w->written = total;

	pthread_mutex_lock(&w->lock);
	w->visible = total;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

uint64_t berth_blob_writer_size(const struct berth_blob_writer *w)
{
	return w->written;
}

/* Give the temp file its name blobs/sha256/<hex>; an identical blob already there is kept. */
static int publish(struct berth_blob_writer *w, const char *digest, struct berth_error *err)
{
	struct berth_store *s = w->store;
	const char *hex = berth_digest_hex(digest);

	if (!w->tmp_name) {
		char proc[64];

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
		/* linkat() never replaces: EEXIST means the blob is there already */
		int r = linkat(AT_FDCWD, proc, s->blobs_fd, hex, AT_SYMLINK_FOLLOW);

		/* without /proc, AT_EMPTY_PATH does it (it needs CAP_DAC_READ_SEARCH) */
		if (r < 0 && errno == ENOENT)
			r = linkat(w->fd, "", s->blobs_fd, hex, AT_EMPTY_PATH);
		if (r < 0 && errno != EEXIST)
			return berth_error_set(err, errno, "link blob %s into \"%s/blobs/sha256\"", digest, s->root);
	} else {
		if (renameat2(s->tmp_fd, w->tmp_name, s->blobs_fd, hex, RENAME_NOREPLACE) < 0) {
			if (errno != EEXIST)
				return berth_error_set(err, errno, "rename blob %s into \"%s/blobs/sha256\"", digest,
						       s->root);
			unlinkat(s->tmp_fd, w->tmp_name, 0);
		}
		free(w->tmp_name);
		w->tmp_name = NULL;
	}
	if (fsync(s->blobs_fd) < 0)
		return berth_error_set(err, errno, "fsync \"%s/blobs/sha256\"", s->root);
	return 0;
}

int berth_blob_writer_commit(struct berth_blob_writer *w, char ret_digest[BERTH_DIGEST_STR_LEN],
			     struct berth_error *err)
{
	char digest[BERTH_DIGEST_STR_LEN];
	int r;

	if (w->state != WRITER_OPEN)
		return berth_error_setx(err, EINVAL, "commit blob %s: already %s", blob_label(w),
					w->state == WRITER_COMMITTED ? "committed" : "aborted");
	if (w->expected_size >= 0 && w->written != (uint64_t)w->expected_size) {
		berth_blob_writer_abort(w);
		return berth_error_setx(err, EIO, "blob %s: size mismatch: expected %" PRId64 " bytes, got %" PRIu64,
					blob_label(w), w->expected_size, w->written);
	}
	berth_sha256_final(w->hash, digest);
	berth_sha256_free(w->hash);
	w->hash = NULL;
	if (w->expected_digest[0] && strcmp(digest, w->expected_digest) != 0) {
		berth_blob_writer_abort(w);
		return berth_error_setx(err, EIO, "digest mismatch: expected %s, got %s", w->expected_digest, digest);
	}
	if (fsync(w->fd) < 0) {
		r = berth_error_set(err, errno, "fsync blob %s", digest);
		berth_blob_writer_abort(w);
		return r;
	}
	r = publish(w, digest, err);
	if (r < 0) {
		berth_blob_writer_abort(w);
		return r;
	}
	set_state(w, WRITER_COMMITTED);
	if (ret_digest)
		memcpy(ret_digest, digest, BERTH_DIGEST_STR_LEN);
	return 0;
}

void berth_blob_writer_free(struct berth_blob_writer *w)
{
	if (!w)
		return;
	berth_blob_writer_abort(w);
	if (w->fd >= 0)
		close(w->fd);
	berth_sha256_free(w->hash);
	free(w->tmp_name);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

ssize_t berth_blob_writer_follow_cancellable(struct berth_blob_writer *w, uint64_t *offset, void *buf, size_t len,
					     const atomic_bool *cancel)
{
	uint64_t avail;
	ssize_t n;

	if (len == 0)
		return 0;
	pthread_mutex_lock(&w->lock);
	while (w->state == WRITER_OPEN && *offset >= w->visible && !(cancel && atomic_load(cancel)))
		pthread_cond_wait(&w->cond, &w->lock);
	if (w->state == WRITER_ABORTED || (cancel && atomic_load(cancel))) {
		pthread_mutex_unlock(&w->lock);
		return -ECANCELED;
	}
	avail = w->visible > *offset ? w->visible - *offset : 0;
	pthread_mutex_unlock(&w->lock);
	if (avail == 0)
		return 0; /* committed and all read */
	if (len > avail)
		len = (size_t)avail;
	do
		n = pread(w->fd, buf, len, (off_t)*offset);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EIO; /* the file is shorter than what was written: cannot happen */
	*offset += (uint64_t)n;
	return n;
}

ssize_t berth_blob_writer_follow(struct berth_blob_writer *w, uint64_t *offset, void *buf, size_t len)
{
	return berth_blob_writer_follow_cancellable(w, offset, buf, len, NULL);
}

void berth_blob_writer_wake(struct berth_blob_writer *w)
{
	pthread_mutex_lock(&w->lock);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

const char *berth_blob_writer_expected_digest(const struct berth_blob_writer *w)
{
	return w->expected_digest[0] ? w->expected_digest : NULL;
}

bool berth_blob_exists(struct berth_store *s, const char *digest)
{
	struct stat st;

	if (!berth_digest_is_valid(digest))
		return false;
	return fstatat(s->blobs_fd, berth_digest_hex(digest), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int berth_blob_open(struct berth_store *s, const char *digest, int *ret_fd, struct berth_error *err)
{
	int fd;

	if (berth_digest_validate(digest, err) < 0)
		return -err->code;
	fd = openat(s->blobs_fd, berth_digest_hex(digest), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return berth_error_setx(err, ENOENT, "blob %s not found", digest);
		return berth_error_set(err, errno, "open blob %s", digest);
	}
	*ret_fd = fd;
	return 0;
}

int berth_blob_read(struct berth_store *s, const char *digest, size_t max, char **ret_buf, size_t *ret_len,
		    struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	char actual[BERTH_DIGEST_STR_LEN];
	struct stat st;
	ssize_t n;
	int r;

	r = berth_blob_open(s, digest, &fd, err);
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "stat blob %s", digest);
	if (!S_ISREG(st.st_mode))
		return berth_error_setx(err, EINVAL, "blob %s is not a regular file", digest);
	if (max && (uint64_t)st.st_size > max)
		return berth_error_setx(err, EFBIG, "blob %s: %lld bytes is more than the limit of %zu", digest,
					(long long)st.st_size, max);
	buf = berth_xmalloc((size_t)st.st_size + 1);
	n = berth_read_all(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return berth_error_set(err, (int)-n, "read blob %s", digest);
	if (n != st.st_size)
		return berth_error_setx(err, EIO, "read blob %s: short read", digest);
	buf[n] = '\0';
	berth_digest_buffer(buf, (size_t)n, actual);
	if (strcmp(actual, digest) != 0)
		return berth_error_setx(err, EIO, "blob %s is corrupt: its content has digest %s", digest, actual);
	*ret_buf = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = (size_t)n;
	return 0;
}

int berth_blob_put(struct berth_store *s, const void *buf, size_t len, char ret_digest[BERTH_DIGEST_STR_LEN],
		   struct berth_error *err)
{
	_cleanup_(berth_blob_writer_freep) struct berth_blob_writer *w = NULL;
	char digest[BERTH_DIGEST_STR_LEN];
	int r;

	berth_digest_buffer(buf, len, digest);
	if (!berth_blob_exists(s, digest)) {
		r = berth_blob_writer_new(s, digest, (int64_t)len, 0, &w, err);
		if (r < 0)
			return r;
		r = berth_blob_writer_write(w, buf, len, err);
		if (r < 0)
			return r;
		r = berth_blob_writer_commit(w, NULL, err);
		if (r < 0)
			return r;
	}
	if (ret_digest)
		memcpy(ret_digest, digest, BERTH_DIGEST_STR_LEN);
	return 0;
}

int berth_blob_remove(struct berth_store *s, const char *digest, struct berth_error *err)
{
	if (berth_digest_validate(digest, err) < 0)
		return -err->code;
	if (unlinkat(s->blobs_fd, berth_digest_hex(digest), 0) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, "remove blob %s", digest);
	return 0;
}

int berth_blob_list(struct berth_store *s, char ***ret, struct berth_error *err)
{
	_cleanup_strv_free_ char **list = NULL;
	int dfd = openat(s->blobs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (dfd < 0)
		return berth_error_set(err, errno, "open \"%s/blobs/sha256\"", s->root);
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return berth_error_set(err, errno, "open \"%s/blobs/sha256\"", s->root);
	}
	while ((errno = 0, de = readdir(d))) {
		char digest[BERTH_DIGEST_STR_LEN];

		/* anything else (".", "..", litter) is not a blob */
		if (strlen(de->d_name) != BERTH_DIGEST_HEX_LEN)
			continue;
		memcpy(digest, "sha256:", 7);
		memcpy(digest + 7, de->d_name, BERTH_DIGEST_HEX_LEN + 1);
		if (berth_digest_is_valid(digest))
			berth_strv_push(&list, digest);
	}
	if (errno != 0) {
		int e = errno;

		closedir(d);
		return berth_error_set(err, e, "read \"%s/blobs/sha256\"", s->root);
	}
	closedir(d);
	if (!list)
		list = berth_xcalloc(1, sizeof(char *));
	*ret = TAKE_PTR(list);
	return 0;
}
