/*
 * inflate-bench: measurements for bench/inflate.sh, and a way to run the
 * layer unpacker by hand.
 *
 *   inflate-bench inflate FILE.gz [REPS]   gzip inflate rate of zlib and of
 *                                          ISA-L (when built with it), and of
 *                                          the decompressor berth uses
 *   inflate-bench unpack FILE DEST         berth_unpack_fd() into DEST (an
 *                                          empty directory): digests, sizes, time
 *   inflate-bench copy LAYER DEST          berth_layer_copy_over(), the copy
 *                                          rootfs driver, of one unpacked layer
 *
 * Rates are MB/s (10^6 bytes) of decompressed output, the best of REPS
 * (default 5) runs over the file held in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "berth-config.h"
#include "image/decompress.h"
#include "image/unpack.h"
#include "image/whiteouts.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#if BERTH_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#define OUT_SIZE (1 << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t zlib_inflate(const uint8_t *in, size_t len, uint8_t *out)
{
	z_stream zs = { 0 };
	uint64_t total = 0;
	int r;

	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		abort();
	zs.next_in = (uint8_t *)in;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = out;
		zs.avail_out = OUT_SIZE;
		r = inflate(&zs, Z_NO_FLUSH);
		if (r != Z_OK && r != Z_STREAM_END) {
			fprintf(stderr, "zlib: %s\n", zs.msg ? zs.msg : "error");
			exit(1);
		}
		total += OUT_SIZE - zs.avail_out;
	} while (r != Z_STREAM_END);
	inflateEnd(&zs);
	return total;
}

#if BERTH_HAVE_ISAL
static uint64_t isal_inflate_all(const uint8_t *in, size_t len, uint8_t *out)
{
	struct inflate_state *s = berth_xmalloc(sizeof(*s));
	uint64_t total = 0;

	isal_inflate_init(s);
	s->crc_flag = ISAL_GZIP;
	s->next_in = (uint8_t *)in;
	s->avail_in = (uint32_t)len;
	do {
		s->next_out = out;
		s->avail_out = OUT_SIZE;
		if (isal_inflate(s) != ISAL_DECOMP_OK) {
			fprintf(stderr, "isa-l: error\n");
			exit(1);
		}
		total += OUT_SIZE - s->avail_out;
	} while (s->block_state != ISAL_BLOCK_FINISH);
	free(s);
	return total;
}
#endif

struct mem {
	const uint8_t *data;
	size_t len, pos;
};

static ssize_t mem_read(void *opaque, void *buf, size_t len)
{
	struct mem *m = opaque;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;

	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static uint64_t berth_inflate(const uint8_t *in, size_t len, uint8_t *out)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_decompressor_freep) struct berth_decompressor *d = NULL;
	struct mem m = { in, len, 0 };
	uint64_t total = 0;
	ssize_t n;

	if (berth_decompressor_new(mem_read, &m, &d, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	/* the unpacker's chunk size */
	while ((n = berth_decompressor_read(d, out, 256 * 1024, &err)) > 0)
		total += (uint64_t)n;
	if (n < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	return total;
}

static double measure(const char *name, uint64_t (*fn)(const uint8_t *, size_t, uint8_t *), const uint8_t *in,
		      size_t len, uint8_t *out, int reps)
{
	double best = 0;
	uint64_t total = 0;

	for (int i = 0; i < reps; i++) {
		double t0 = now(), dt;

		total = fn(in, len, out);
		dt = now() - t0;
		if (best == 0 || dt < best)
			best = dt;
	}
	printf("%-18s %8.1f MB/s  (%.3f s for %llu bytes out)\n", name, (double)total / best / 1e6, best,
	       (unsigned long long)total);
	return (double)total / best / 1e6;
}

static int cmd_inflate(const char *path, int reps)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *in = NULL;
	_cleanup_free_ uint8_t *out = berth_xmalloc(OUT_SIZE);
	size_t len = 0;
	double z, b;

	if (berth_read_file(path, 0, &in, &len, &err) < 0) {
		fprintf(stderr, "inflate-bench: %s\n", err.msg);
		return 1;
	}
	printf("input: %s, %zu bytes compressed\n", path, len);
	z = measure("zlib", zlib_inflate, (uint8_t *)in, len, out, reps);
#if BERTH_HAVE_ISAL
	{
		double i = measure("isa-l igzip", isal_inflate_all, (uint8_t *)in, len, out, reps);
		printf("%-18s %8.2fx\n", "isa-l / zlib", i / z);
	}
#else
	printf("isa-l igzip        (not built with libisal)\n");
#endif
	b = measure("berth decompressor", berth_inflate, (uint8_t *)in, len, out, reps);
	printf("%-18s %8.2fx  (%s)\n", "berth / zlib", b / z, BERTH_HAVE_ISAL ? "isa-l" : "zlib");
	return 0;
}

static int cmd_unpack(const char *path, const char *dest)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct berth_unpack_limits limits = { 0, 0 };
	struct berth_unpack_result res;
	double t0, dt;

	if (fd < 0 || dfd < 0) {
		fprintf(stderr, "inflate-bench: open `%s`: %s\n", fd < 0 ? path : dest, strerror(errno));
		return 1;
	}
	t0 = now();
	if (berth_unpack_fd(fd, dfd, &limits, &res, &err) < 0) {
		fprintf(stderr, "inflate-bench: unpack `%s`: %s\n", path, err.msg);
		return 1;
	}
	dt = now() - t0;
	printf("compression %s\nblob_digest %s\nblob_size %llu\ndiff_id %s\ndiff_size %llu\nentries %llu\n"
	       "seconds %.3f\nMB/s %.1f\n",
	       berth_compression_name(res.compression), res.blob_digest, (unsigned long long)res.blob_size, res.diff_id,
	       (unsigned long long)res.diff_size, (unsigned long long)res.entries, dt, (double)res.diff_size / dt / 1e6);
	return 0;
}

static int cmd_copy(const char *layer, const char *dest)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_close_ int lfd = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (lfd < 0 || dfd < 0) {
		fprintf(stderr, "inflate-bench: open `%s`: %s\n", lfd < 0 ? layer : dest, strerror(errno));
		return 1;
	}
	if (berth_layer_copy_over(lfd, dfd, &err) < 0) {
		fprintf(stderr, "inflate-bench: copy `%s` over `%s`: %s\n", layer, dest, err.msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "inflate") == 0)
		return cmd_inflate(argv[2], argc > 3 ? atoi(argv[3]) > 0 ? atoi(argv[3]) : 1 : 5);
	if (argc == 4 && strcmp(argv[1], "unpack") == 0)
		return cmd_unpack(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "copy") == 0)
		return cmd_copy(argv[2], argv[3]);
	fprintf(stderr, "usage: inflate-bench inflate FILE.gz [REPS]\n       inflate-bench unpack FILE DEST\n"
			"       inflate-bench copy LAYER DEST\n");
	return 2;
}
