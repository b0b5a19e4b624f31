#pragma once
/*
 * Streaming decompression of layer blobs, chosen by the stream's magic
 * bytes (gzip 1f 8b, zstd 28 b5 2f fd, anything else = plain tar), so a
 * mislabelled media type still unpacks.  gzip uses ISA-L's igzip when built
 * with it (faster than zlib, see bench/inflate.sh), zlib otherwise.
 */
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

enum berth_compression {
	BERTH_COMPRESSION_NONE,
	BERTH_COMPRESSION_GZIP,
	BERTH_COMPRESSION_ZSTD,
};

/* Source of compressed bytes: returns the count, 0 at the end, -errno on error. */
typedef ssize_t (*berth_read_fn)(void *opaque, void *buf, size_t len);

struct berth_decompressor;

int berth_decompressor_new(berth_read_fn read, void *opaque, struct berth_decompressor **ret, struct berth_error *err);
/* Read decompressed bytes: count, 0 at the end of the stream, negative errno with err set. */
ssize_t berth_decompressor_read(struct berth_decompressor *d, void *buf, size_t len, struct berth_error *err);
enum berth_compression berth_decompressor_kind(const struct berth_decompressor *d);
void berth_decompressor_free(struct berth_decompressor *d);
static inline void berth_decompressor_freep(struct berth_decompressor **d)
{
	if (*d)
		berth_decompressor_free(*d);
}

const char *berth_compression_name(enum berth_compression c);
