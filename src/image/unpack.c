#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extract.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* Uncompressed bytes are handed to libarchive in chunks of this size. */
#define TAR_BUF_SIZE (256 * 1024)

/* The bytes as read: hashed into the blob digest and counted. */
struct source {
	berth_read_fn read;
	void *opaque;
	struct berth_sha256 *hash;
	uint64_t size;
};

/* The uncompressed tar stream: hashed into the diff id, counted against the limit, fed to libarchive. */
struct feed {
	struct berth_decompressor *d;
	struct berth_sha256 *hash;
	uint64_t size;
	uint64_t max_size;
	uint8_t *buf;
	/* set when the stream under libarchive failed: the real cause, not libarchive's summary */
	struct berth_error err;
};

static void feed_release(struct feed *f)
{
	berth_error_release(&f->err);
}

static ssize_t source_read(void *opaque, void *buf, size_t len)
{
	struct source *s = opaque;
	ssize_t n = s->read(s->opaque, buf, len);

	if (n > 0) {
		berth_sha256_update(s->hash, buf, (size_t)n);
		s->size += (uint64_t)n;
	}
	return n;
}

static ssize_t feed_next(struct feed *f)
{
	ssize_t n;

	if (f->err.code)
		return -f->err.code;
	n = berth_decompressor_read(f->d, f->buf, TAR_BUF_SIZE, &f->err);
	if (n <= 0)
		return n;
	f->size += (uint64_t)n;
	/* checked per chunk: a bomb stops within one buffer of the limit */
	if (f->max_size && f->size > f->max_size)
		return berth_error_setx(&f->err, EFBIG, "layer exceeds the size limit of %llu bytes",
					(unsigned long long)f->max_size);
	berth_sha256_update(f->hash, f->buf, (size_t)n);
	return n;
}

static la_ssize_t feed_archive_read(struct archive *a, void *opaque, const void **ret_buf)
{
	struct feed *f = opaque;
	ssize_t n = feed_next(f);

	if (n < 0) {
		archive_set_error(a, f->err.code, "%s", f->err.msg);
		return ARCHIVE_FATAL;
	}
	*ret_buf = f->buf;
	return n;
}

/* A failure while libarchive was reading: the stream's own error when it was the cause. */
static int read_error(struct feed *f, struct archive *a, struct berth_error *err)
{
	if (f->err.code)
		return berth_error_setx(err, f->err.code, "%s", f->err.msg);
	return berth_error_setx(err, EINVAL, "read layer tar: %s",
				archive_error_string(a) ? archive_error_string(a) : "unknown error");
}

static int extract_all(struct feed *f, int dest_dirfd, const struct berth_unpack_limits *limits, uint64_t *ret_entries,
		       struct berth_error *err)
{
	_cleanup_(berth_extract_freep) struct berth_extract *x = berth_extract_new(dest_dirfd);
	struct archive *a = archive_read_new();
	uint64_t entries = 0;
	int r = 0;

	if (!a)
		abort();
	/* the tar reader knows ustar, GNU tar and pax; no libarchive filters: we inflate ourselves */
	archive_read_support_format_tar(a);
	if (archive_read_open(a, f, NULL, feed_archive_read, NULL) != ARCHIVE_OK) {
		r = read_error(f, a, err);
		archive_read_free(a);
		return r;
	}
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);

		if (ar == ARCHIVE_EOF)
			break;
		/* ARCHIVE_WARN: e.g. a name not convertible to the locale; the raw bytes are used */
		if (ar < ARCHIVE_WARN) {
			r = read_error(f, a, err);
			break;
		}
		entries++;
		if (limits && limits->max_entries && entries > limits->max_entries) {
			r = berth_error_setx(err, EFBIG, "layer exceeds the limit of %llu entries",
					     (unsigned long long)limits->max_entries);
			break;
		}
		r = berth_extract_entry(x, a, e, err);
		if (r < 0) {
			if (f->err.code)
				r = read_error(f, a, err);
			break;
		}
	}
	archive_read_free(a);
	if (r < 0)
		return r;
	*ret_entries = entries;
	return berth_extract_finish(x, err);
}

int berth_unpack_stream(berth_read_fn read, void *opaque, int dest_dirfd, const struct berth_unpack_limits *limits,
			struct berth_unpack_result *ret, struct berth_error *err)
{
	_cleanup_(berth_sha256_freep) struct berth_sha256 *blob_hash = berth_sha256_new();
	_cleanup_(berth_sha256_freep) struct berth_sha256 *diff_hash = berth_sha256_new();
	_cleanup_(berth_decompressor_freep) struct berth_decompressor *d = NULL;
	_cleanup_free_ uint8_t *buf = berth_xmalloc(TAR_BUF_SIZE);
	struct source src = { read, opaque, blob_hash, 0 };
	_cleanup_(feed_release) struct feed f = { NULL, diff_hash, 0, limits ? limits->max_size : 0, buf, BERTH_ERROR_INIT };
	uint64_t entries = 0;
	ssize_t n;
	int r;

	r = berth_decompressor_new(source_read, &src, &d, err);
	if (r < 0)
		return r;
	f.d = d;
	r = extract_all(&f, dest_dirfd, limits, &entries, err);
	if (r < 0)
		return r;
	/* Past the end of the tar: the rest still counts for both digests (and the limit). */
	while ((n = feed_next(&f)) > 0)
		;
	if (n < 0)
		return berth_error_setx(err, f.err.code, "%s", f.err.msg);

	memset(ret, 0, sizeof(*ret));
	berth_sha256_final(blob_hash, ret->blob_digest);
	berth_sha256_final(diff_hash, ret->diff_id);
	ret->blob_size = src.size;
	ret->diff_size = f.size;
	ret->entries = entries;
	ret->compression = berth_decompressor_kind(d);
	return 0;
}

static ssize_t fd_read(void *opaque, void *buf, size_t len)
{
	int fd = *(int *)opaque;

	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
	}
}

int berth_unpack_fd(int src_fd, int dest_dirfd, const struct berth_unpack_limits *limits,
		    struct berth_unpack_result *ret, struct berth_error *err)
{
	return berth_unpack_stream(fd_read, &src_fd, dest_dirfd, limits, ret, err);
}
