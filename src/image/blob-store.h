#pragma once
/*
 * Content-addressed blobs in blobs/sha256/<hex>.  A blob is written to a
 * temp file in tmp/, hashed and counted while written, checked against the
 * expected digest and size, fsynced and renamed into place: a reader never
 * sees a partial or corrupt blob.
 *
 * A writer can be followed: berth_blob_writer_follow() reads the bytes
 * written so far and waits for more, so a layer unpacks while it is being
 * downloaded or loaded, in one pass over the data, without blocking the
 * producer (the temp file is the buffer).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "store.h"

struct berth_blob_writer;

/*
 * Start a blob.  expected_digest (validated) and expected_size (-1 =
 * unknown) are checked while writing and at commit.  max_size (0 = none)
 * refuses larger input early (manifests, configs).
 */
int berth_blob_writer_new(struct berth_store *s, const char *expected_digest, int64_t expected_size, uint64_t max_size,
			  struct berth_blob_writer **ret, struct berth_error *err);
int berth_blob_writer_write(struct berth_blob_writer *w, const void *buf, size_t len, struct berth_error *err);
/* Bytes written so far (for progress and for resuming a download with Range). */
uint64_t berth_blob_writer_size(const struct berth_blob_writer *w);
/*
 * End of input: verify size and digest, fsync, publish as blobs/sha256/<hex>
 * (an identical blob already there is kept).  ret_digest may be NULL.
 * Followers see the end of data.  On failure the blob is aborted.
 */
int berth_blob_writer_commit(struct berth_blob_writer *w, char ret_digest[BERTH_DIGEST_STR_LEN],
			     struct berth_error *err);
/* Abort: followers get -ECANCELED, the temp file goes away. */
void berth_blob_writer_abort(struct berth_blob_writer *w);
/* Free (aborting an uncommitted blob).  Waits for no follower: stop them first. */
void berth_blob_writer_free(struct berth_blob_writer *w);
static inline void berth_blob_writer_freep(struct berth_blob_writer **w)
{
	if (*w)
		berth_blob_writer_free(*w);
}

/*
 * Read up to len bytes at *offset of the blob being written, waiting until
 * bytes are there; advances *offset.  Returns the count, 0 at the end of a
 * committed blob, -ECANCELED once aborted.  Safe to call from another thread.
 */
ssize_t berth_blob_writer_follow(struct berth_blob_writer *w, uint64_t *offset, void *buf, size_t len);

bool berth_blob_exists(struct berth_store *s, const char *digest);
/* Open a blob read-only (O_CLOEXEC); the digest is validated first. */
int berth_blob_open(struct berth_store *s, const char *digest, int *ret_fd, struct berth_error *err);
/* Read a small blob (manifest, config) whole, refusing more than max bytes; checks its digest. */
int berth_blob_read(struct berth_store *s, const char *digest, size_t max, char **ret_buf, size_t *ret_len,
		    struct berth_error *err);
/* Store a buffer as a blob (manifests and configs berth makes). */
int berth_blob_put(struct berth_store *s, const void *buf, size_t len, char ret_digest[BERTH_DIGEST_STR_LEN],
		   struct berth_error *err);
int berth_blob_remove(struct berth_store *s, const char *digest, struct berth_error *err);
/* All blob digests present on disk (NULL-terminated, malloc'd). */
int berth_blob_list(struct berth_store *s, char ***ret, struct berth_error *err);
