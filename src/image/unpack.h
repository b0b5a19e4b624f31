#pragma once
/*
 * Unpack one layer: a (compressed) tar stream into an empty directory, in
 * one pass: read, inflate, hash (the diff id), extract.  Whiteouts are
 * converted to overlayfs form (".wh.x" -> a 0:0 character device "x",
 * ".wh..wh..opq" -> trusted.overlay.opaque=y on the directory).
 *
 * Nothing is ever created, linked, chmod'ed or removed outside dest:
 * parents resolve with openat2(RESOLVE_IN_ROOT), final components are never
 * followed, hardlink targets resolve inside dest, "../" names are refused.
 * trusted.overlay.* xattrs in the tar are dropped; device nodes need root.
 * dest itself takes the metadata of the tar's "./" entry, or mode 0755.
 * Limits (struct berth_unpack_limits) stop gzip bombs.  On failure dest
 * holds partial content: the caller removes it (it is always a temp dir).
 */
#include <stdint.h>

#include "decompress.h"
#include "digest.h"
#include "store.h"

struct berth_unpack_result {
	char diff_id[BERTH_DIGEST_STR_LEN];   /* sha256 of the uncompressed tar */
	char blob_digest[BERTH_DIGEST_STR_LEN]; /* sha256 of the bytes as read */
	uint64_t blob_size;
	uint64_t diff_size;
	uint64_t entries;
	enum berth_compression compression;
};

/* Unpack from a read callback into dest_dirfd (an empty directory). */
int berth_unpack_stream(berth_read_fn read, void *opaque, int dest_dirfd, const struct berth_unpack_limits *limits,
			struct berth_unpack_result *ret, struct berth_error *err);
/* The same from a file descriptor, read to its end. */
int berth_unpack_fd(int src_fd, int dest_dirfd, const struct berth_unpack_limits *limits,
		    struct berth_unpack_result *ret, struct berth_error *err);
