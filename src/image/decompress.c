#include "decompress.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "berth-config.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#if BERTH_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

/* Compressed input is read in chunks of this size. */
#define IN_BUF_SIZE (256 * 1024)

static const uint8_t gzip_magic[] = { 0x1f, 0x8b };
static const uint8_t zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };

struct berth_decompressor {
	berth_read_fn read;
	void *opaque;
	enum berth_compression kind;
	uint8_t *in;
	size_t in_pos, in_len;
	bool in_eof;
	/* the decompressed stream ended (all members/frames, trailing input checked) */
	bool done;
	/* gzip: a member is in progress (its end not yet seen) */
	bool in_member;
#if BERTH_HAVE_ISAL
	struct inflate_state *isal;
#else
	z_stream zs;
	bool zs_init;
#endif
	ZSTD_DStream *zstd;
	/* zstd: the last ZSTD_decompressStream() said a frame is complete */
	bool zstd_frame_done;
};

const char *berth_compression_name(enum berth_compression c)
{
	switch (c) {
	case BERTH_COMPRESSION_NONE:
		return "none";
	case BERTH_COMPRESSION_GZIP:
		return "gzip";
	case BERTH_COMPRESSION_ZSTD:
		return "zstd";
	}
	return "unknown";
}

enum berth_compression berth_decompressor_kind(const struct berth_decompressor *d)
{
	return d->kind;
}

/* Refill the input buffer when it is empty; 0 with in_eof set at the end. */
static int fill(struct berth_decompressor *d, struct berth_error *err)
{
	ssize_t n;

	if (d->in_pos < d->in_len || d->in_eof)
		return 0;
	n = d->read(d->opaque, d->in, IN_BUF_SIZE);
	if (n < 0)
		return berth_error_set(err, (int)-n, "read compressed stream");
	d->in_pos = 0;
	d->in_len = (size_t)n;
	if (n == 0)
		d->in_eof = true;
	return 0;
}

/* Read until the buffer holds at least want bytes (or the input ends), to sniff magic numbers. */
static int fill_at_least(struct berth_decompressor *d, size_t want, struct berth_error *err)
{
	if (d->in_pos > 0) {
		memmove(d->in, d->in + d->in_pos, d->in_len - d->in_pos);
		d->in_len -= d->in_pos;
		d->in_pos = 0;
	}
	while (d->in_len < want && !d->in_eof) {
		ssize_t n = d->read(d->opaque, d->in + d->in_len, IN_BUF_SIZE - d->in_len);
		if (n < 0)
			return berth_error_set(err, (int)-n, "read compressed stream");
		if (n == 0)
			d->in_eof = true;
		d->in_len += (size_t)n;
	}
	return 0;
}

static bool has_magic(const struct berth_decompressor *d, const uint8_t *magic, size_t len)
{
	return d->in_len - d->in_pos >= len && memcmp(d->in + d->in_pos, magic, len) == 0;
}

/*
 * Between gzip members: another member may follow (multi-member streams are
 * valid gzip), and some writers pad with zeros; anything else is an error
 * rather than silently ignored bytes.
 */
static int gzip_next_member(struct berth_decompressor *d, bool *ret_more, struct berth_error *err)
{
	for (;;) {
		int r = fill_at_least(d, sizeof(gzip_magic), err);
		if (r < 0)
			return r;
		if (d->in_len == 0) {
			*ret_more = false;
			return 0;
		}
		if (has_magic(d, gzip_magic, sizeof(gzip_magic))) {
			*ret_more = true;
			return 0;
		}
		for (size_t i = 0; i < d->in_len; i++)
			if (d->in[i] != 0)
				return berth_error_setx(err, EINVAL, "gzip: unexpected data after the end of the stream");
		d->in_pos = d->in_len = 0;
	}
}

#if BERTH_HAVE_ISAL
static const char *isal_strerror(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK:
		return "invalid deflate block";
	case ISAL_INVALID_SYMBOL:
		return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK:
		return "invalid lookback distance";
	case ISAL_INVALID_WRAPPER:
		return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unsupported compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "checksum mismatch";
	case ISAL_NEED_DICT:
		return "a preset dictionary is needed";
	}
	return "corrupt data";
}

static void gzip_start_member(struct berth_decompressor *d)
{
	isal_inflate_init(d->isal);
	d->isal->crc_flag = ISAL_GZIP;
	d->in_member = true;
}

/*
 * One inflate step on what fill() buffered: *ret_produced bytes into buf,
 * *ret_end when the member's end was reached.  An input that ends inside a
 * member is for the caller to notice (no progress at the end of the input).
 */
static int gzip_inflate(struct berth_decompressor *d, void *buf, size_t len, size_t *ret_produced, bool *ret_end,
			struct berth_error *err)
{
	struct inflate_state *s = d->isal;
	int r;

	s->next_in = d->in + d->in_pos;
	s->avail_in = (uint32_t)(d->in_len - d->in_pos);
	s->next_out = buf;
	s->avail_out = (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len);
	r = isal_inflate(s);
	d->in_pos = d->in_len - s->avail_in;
	if (r < 0)
		return berth_error_setx(err, EINVAL, "gzip: %s", isal_strerror(r));
	*ret_produced = (len > UINT32_MAX ? UINT32_MAX : len) - s->avail_out;
	*ret_end = s->block_state == ISAL_BLOCK_FINISH;
	return 0;
}

static int gzip_init(struct berth_decompressor *d, struct berth_error *err)
{
	d->isal = berth_xmalloc(sizeof(*d->isal));
	return 0;
}

static void gzip_free(struct berth_decompressor *d)
{
	free(d->isal);
}
#else
static void gzip_start_member(struct berth_decompressor *d)
{
	inflateReset(&d->zs);
	d->in_member = true;
}

static int gzip_inflate(struct berth_decompressor *d, void *buf, size_t len, size_t *ret_produced, bool *ret_end,
			struct berth_error *err)
{
	z_stream *zs = &d->zs;
	size_t avail = len > UINT_MAX ? UINT_MAX : len;
	int r;

	zs->next_in = d->in + d->in_pos;
	zs->avail_in = (uInt)(d->in_len - d->in_pos);
	zs->next_out = buf;
	zs->avail_out = (uInt)avail;
	r = inflate(zs, Z_NO_FLUSH);
	d->in_pos = d->in_len - zs->avail_in;
	if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END)
		return berth_error_setx(err, EINVAL, "gzip: %s", zs->msg ? zs->msg : "corrupt data");
	*ret_produced = avail - zs->avail_out;
	*ret_end = r == Z_STREAM_END;
	return 0;
}

static int gzip_init(struct berth_decompressor *d, struct berth_error *err)
{
	/* 16 + 15: a gzip wrapper, the largest window */
	if (inflateInit2(&d->zs, 16 + MAX_WBITS) != Z_OK)
		return berth_error_setx(err, ENOMEM, "gzip: cannot initialise zlib");
	d->zs_init = true;
	return 0;
}

static void gzip_free(struct berth_decompressor *d)
{
	if (d->zs_init)
		inflateEnd(&d->zs);
}
#endif

/* Members one after another (multi-member gzip is valid), each through the backend's inflate. */
static ssize_t gzip_read(struct berth_decompressor *d, void *buf, size_t len, struct berth_error *err)
{
	for (;;) {
		size_t produced = 0;
		bool end = false;
		int r;

		if (!d->in_member) {
			bool more = false;
			r = gzip_next_member(d, &more, err);
			if (r < 0)
				return r;
			if (!more) {
				d->done = true;
				return 0;
			}
			gzip_start_member(d);
		}
		r = fill(d, err);
		if (r < 0)
			return r;
		r = gzip_inflate(d, buf, len, &produced, &end, err);
		if (r < 0)
			return r;
		if (end)
			d->in_member = false;
		else if (produced == 0 && d->in_eof && d->in_pos == d->in_len)
			return berth_error_setx(err, EINVAL, "gzip: unexpected end of the stream");
		if (produced > 0)
			return (ssize_t)produced;
	}
}

static ssize_t zstd_read(struct berth_decompressor *d, void *buf, size_t len, struct berth_error *err)
{
	for (;;) {
		ZSTD_inBuffer in;
		ZSTD_outBuffer out = { buf, len, 0 };
		size_t r;
		int rr = fill(d, err);

		if (rr < 0)
			return rr;
		if (d->in_eof && d->zstd_frame_done) {
			d->done = true;
			return 0;
		}
		/* at the end of the input this still flushes what the decoder holds */
		in = (ZSTD_inBuffer){ d->in, d->in_len, d->in_pos };
		r = ZSTD_decompressStream(d->zstd, &out, &in);
		d->in_pos = in.pos;
		if (ZSTD_isError(r))
			return berth_error_setx(err, EINVAL, "zstd: %s", ZSTD_getErrorName(r));
		/* 0 exactly when a frame is complete and flushed */
		d->zstd_frame_done = r == 0;
		if (out.pos > 0)
			return (ssize_t)out.pos;
		if (d->in_eof && !d->zstd_frame_done)
			return berth_error_setx(err, EINVAL, "zstd: unexpected end of the stream");
	}
}

static ssize_t plain_read(struct berth_decompressor *d, void *buf, size_t len, struct berth_error *err)
{
	size_t n;

	if (d->in_pos == d->in_len && !d->in_eof) {
		/* large reads go straight to the caller's buffer */
		ssize_t r = d->read(d->opaque, buf, len);
		if (r < 0)
			return berth_error_set(err, (int)-r, "read stream");
		if (r == 0) {
			d->in_eof = d->done = true;
		}
		return r;
	}
	if (d->in_pos == d->in_len) {
		d->done = true;
		return 0;
	}
	n = d->in_len - d->in_pos;
	if (n > len)
		n = len;
	memcpy(buf, d->in + d->in_pos, n);
	d->in_pos += n;
	return (ssize_t)n;
}

ssize_t berth_decompressor_read(struct berth_decompressor *d, void *buf, size_t len, struct berth_error *err)
{
	if (d->done || len == 0)
		return 0;
	switch (d->kind) {
	case BERTH_COMPRESSION_GZIP:
		return gzip_read(d, buf, len, err);
	case BERTH_COMPRESSION_ZSTD:
		return zstd_read(d, buf, len, err);
	case BERTH_COMPRESSION_NONE:
		break;
	}
	return plain_read(d, buf, len, err);
}

int berth_decompressor_new(berth_read_fn read, void *opaque, struct berth_decompressor **ret, struct berth_error *err)
{
	_cleanup_(berth_decompressor_freep) struct berth_decompressor *d = berth_xzalloc(sizeof(*d));
	int r;

	d->read = read;
	d->opaque = opaque;
	d->in = berth_xmalloc(IN_BUF_SIZE);
	r = fill_at_least(d, sizeof(zstd_magic), err);
	if (r < 0)
		return r;
	if (has_magic(d, gzip_magic, sizeof(gzip_magic))) {
		d->kind = BERTH_COMPRESSION_GZIP;
		r = gzip_init(d, err);
		if (r < 0)
			return r;
	} else if (has_magic(d, zstd_magic, sizeof(zstd_magic))) {
		d->kind = BERTH_COMPRESSION_ZSTD;
		d->zstd = ZSTD_createDStream();
		if (!d->zstd)
			return berth_error_setx(err, ENOMEM, "zstd: cannot create a decompression context");
	} else {
		d->kind = BERTH_COMPRESSION_NONE;
	}
	*ret = TAKE_PTR(d);
	return 0;
}

void berth_decompressor_free(struct berth_decompressor *d)
{
	if (d->kind == BERTH_COMPRESSION_GZIP)
		gzip_free(d);
	ZSTD_freeDStream(d->zstd);
	free(d->in);
	free(d);
}
