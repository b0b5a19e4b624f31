/*
 * berth push: the image's blobs the registry lacks, then its manifest as
 * stored (byte for byte: the digest the registry computes is berth's).
 * Each blob: HEAD (there already?), then a cross-repository mount when the
 * image was pulled from another repository of the same registry, else an
 * upload session: one PUT for a small blob, PATCH chunks of
 * $BERTH_PUSH_CHUNK_SIZE (default 32M) and a closing PUT for a large one.
 * Several blobs go at once; a transient failure starts the blob again.
 */
#include "registry.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "transfers.h"
#include "image/blob-store.h"
#include "image/image.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define DEFAULT_CHUNK_SIZE (32ULL * 1024 * 1024)
#define MAX_ATTEMPTS 5
#define BACKOFF_FIRST_MS 250

struct push_blob {
	const struct berth_descriptor *desc;
	char short_id[13];
	bool is_config; /* no progress row: docker shows none */
};

struct push_ctx {
	struct berth_store *s;
	const struct berth_registry_options *opts;
	struct berth_progress *progress;
	struct reg_client *c;
	struct berth_reference dest;
	char *repository;
	char **mount_from; /* repository paths on the same registry the image came from */
	uint64_t chunk_size;

	struct berth_image img;
	char *manifest_data;
	size_t manifest_len;
	struct berth_manifest manifest;
	struct push_blob *blobs;
	size_t n_blobs;

	struct reg_transfers xfer; /* the uploads */
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *row_id(const struct push_blob *b)
{
	return b->is_config ? NULL : b->short_id;
}

static void status(struct push_ctx *ctx, const struct push_blob *b, const char *text)
{
	if (row_id(b))
		berth_progress_status(ctx->progress, row_id(b), text);
}

/* One request with a status it must get (any of ok[], 0-terminated). */
static int expect(struct push_ctx *ctx, const struct reg_request *req, const long *ok, struct reg_response *resp,
		  const char *what, struct berth_error *err)
{
	int r;

	r = reg_client_do(ctx->c, req, resp, err);
	if (r < 0)
		return r;
	for (const long *s = ok; *s; s++)
		if (resp->status == *s)
			return 0;
	return reg_http_error(resp, err, "%s", what);
}

/* 1 when the registry has the blob, 0 when not. */
static int blob_exists(struct push_ctx *ctx, const struct push_blob *b, struct berth_error *err)
{
	_cleanup_free_ char *url = reg_api_path(ctx->dest.path, "blobs", b->desc->digest);
	struct reg_request req = { .method = "HEAD", .url = url, .body_fd = -1 };
	struct reg_response resp = { .content_length = -1 };
	int r;

	r = reg_client_do(ctx->c, &req, &resp, err);
	if (r == 0 && resp.status == 200)
		r = 1;
	else if (r == 0 && resp.status != 404)
		r = reg_http_error(&resp, err, "HEAD %s", url);
	reg_response_release(&resp);
	return r;
}

/*
 * Start an upload, or mount the blob from a repository it came from.
 * 1 when mounted (*ret_from: the repository), 0 with the upload URL.
 */
static int start_upload(struct push_ctx *ctx, const struct push_blob *b, char **ret_url, const char **ret_from,
			struct berth_error *err)
{
	_cleanup_free_ char *base = berth_xasprintf("/v2/%s/blobs/uploads/", ctx->dest.path);
	static const long ok[] = { 201, 202, 0 };
	struct reg_request req = { .method = "POST", .url = base, .body_fd = -1 };
	struct reg_response resp = { .content_length = -1 };
	int r;

	for (char **from = ctx->mount_from; from && *from; from++) {
		_cleanup_free_ char *u1 = reg_url_add_query(base, "mount", b->desc->digest);
		_cleanup_free_ char *u2 = reg_url_add_query(u1, "from", *from);

		req.url = u2;
		r = expect(ctx, &req, ok, &resp, "start a blob mount", err);
		if (r < 0) {
			reg_response_release(&resp);
			return r;
		}
		if (resp.status == 201) {
			reg_response_release(&resp);
			*ret_from = *from;
			return 1;
		}
		/* 202: the registry could not mount it and opened an upload instead */
		break;
	}
	if (!ctx->mount_from) {
		req.url = base;
		r = expect(ctx, &req, ok + 1, &resp, "start a blob upload", err);
		if (r < 0) {
			reg_response_release(&resp);
			return r;
		}
	}
	if (!resp.location) {
		reg_response_release(&resp);
		return berth_error_setx(err, EPROTO, "start a blob upload: the registry sent no Location");
	}
	{
		_cleanup_free_ char *full = berth_xasprintf("%s%s", reg_client_base_url(ctx->c), base);

		*ret_url = reg_resolve_url(full, resp.location);
	}
	reg_response_release(&resp);
	return 0;
}

struct sent_ctx {
	struct push_ctx *ctx;
	const struct push_blob *b;
	uint64_t base;
};

static void on_sent(void *opaque, uint64_t now)
{
	struct sent_ctx *sc = opaque;

	if (row_id(sc->b))
		berth_progress_bytes(sc->ctx->progress, row_id(sc->b), "Pushing", sc->base + now, sc->b->desc->size);
}

/* PATCH chunks to *url (updated from each answer's Location). */
static int upload_chunks(struct push_ctx *ctx, const struct push_blob *b, int fd, char **url, struct berth_error *err)
{
	static const long ok[] = { 202, 0 };
	uint64_t size = (uint64_t)b->desc->size, off = 0;

	while (off < size) {
		uint64_t n = size - off < ctx->chunk_size ? size - off : ctx->chunk_size;
		/* a chunk's Content-Range is "start-end", as the distribution API has it (no "bytes ") */
		_cleanup_free_ char *range = berth_xasprintf("%" PRIu64 "-%" PRIu64, off, off + n - 1);
		struct sent_ctx sc = { ctx, b, off };
		struct reg_request req = {
			.method = "PATCH", .url = *url, .content_type = "application/octet-stream", .body_fd = fd,
			.body_offset = off, .body_size = n, .sent = on_sent, .opaque = &sc, .content_range = range,
		};
		struct reg_response resp = { .content_length = -1 };
		int r;

		r = expect(ctx, &req, ok, &resp, "upload a chunk", err);
		if (r == 0 && !resp.location)
			r = berth_error_setx(err, EPROTO, "upload a chunk: the registry sent no Location");
		if (r == 0) {
			char *next = reg_resolve_url(*url, resp.location);

			free(*url);
			*url = next;
		}
		reg_response_release(&resp);
		if (r < 0)
			return r;
		off += n;
	}
	return 0;
}

static int upload(struct push_ctx *ctx, const struct push_blob *b, char *url, struct berth_error *err)
{
	static const long ok[] = { 201, 204, 0 };
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *put_url = NULL;
	bool chunked = (uint64_t)b->desc->size > ctx->chunk_size;
	struct sent_ctx sc = { ctx, b, 0 };
	struct reg_request req = {
		.method = "PUT", .content_type = "application/octet-stream", .body_fd = -1, .sent = on_sent,
		.opaque = &sc,
	};
	struct reg_response resp = { .content_length = -1 };
	int r;

	r = berth_blob_open(ctx->s, b->desc->digest, &fd, err);
	if (r < 0)
		return r;
	if (chunked) {
		r = upload_chunks(ctx, b, fd, &url, err);
		if (r < 0) {
			free(url);
			return r;
		}
	} else {
		req.body_fd = fd;
		req.body_size = (uint64_t)b->desc->size;
	}
	put_url = reg_url_add_query(url, "digest", b->desc->digest);
	free(url);
	req.url = put_url;
	r = expect(ctx, &req, ok, &resp, "upload a blob", err);
	if (r == 0 && resp.docker_digest && strcmp(resp.docker_digest, b->desc->digest) != 0)
		r = berth_error_setx(err, EBADMSG, "blob %s: the registry stored it as %s", b->desc->digest,
				     resp.docker_digest);
	reg_response_release(&resp);
	return r;
}

static int push_blob_once(struct push_ctx *ctx, const struct push_blob *b, struct berth_error *err)
{
	char *url = NULL;
	const char *from = NULL;
	int r;

	r = blob_exists(ctx, b, err);
	if (r < 0)
		return r;
	if (r > 0) {
		status(ctx, b, "Layer already exists");
		return 0;
	}
	r = start_upload(ctx, b, &url, &from, err);
	if (r < 0)
		return r;
	if (r > 0) {
		_cleanup_free_ char *msg = berth_xasprintf("Mounted from %s", from);

		status(ctx, b, msg);
		return 0;
	}
	r = upload(ctx, b, url, err);
	if (r < 0)
		return r;
	status(ctx, b, "Pushed");
	return 0;
}

static int push_blob(struct push_ctx *ctx, const struct push_blob *b, struct berth_error *err)
{
	int r;

	for (int attempt = 0;; attempt++) {
		berth_error_release(err);
		r = push_blob_once(ctx, b, err);
		if (r == 0 || !reg_error_transient(r) || attempt + 1 >= MAX_ATTEMPTS || reg_transfers_failed(&ctx->xfer))
			break;
		{
			_cleanup_free_ char *msg = berth_xasprintf("Retrying in %u ms", BACKOFF_FIRST_MS << attempt);

			status(ctx, b, msg);
		}
		sleep_ms(BACKOFF_FIRST_MS << attempt);
	}
	if (r < 0)
		return berth_error_prefix(err, "blob %s", b->desc->digest);
	return 0;
}

static int run_blob(void *opaque, size_t i, struct berth_error *err)
{
	struct push_ctx *ctx = opaque;

	return push_blob(ctx, &ctx->blobs[i], err);
}

static int push_blobs(struct push_ctx *ctx, struct berth_error *err)
{
	ctx->xfer = (struct reg_transfers){ .client = ctx->c, .n = ctx->n_blobs, .run = run_blob, .opaque = ctx,
					    .what = "upload" };
	return reg_transfers_run(&ctx->xfer, ctx->opts->max_concurrent, err);
}

static int put_manifest(struct push_ctx *ctx, char **ret_digest, struct berth_error *err)
{
	static const long ok[] = { 201, 200, 0 };
	const char *tag = ctx->dest.tag ? ctx->dest.tag : ctx->img.manifest_digest;
	_cleanup_free_ char *url = reg_api_path(ctx->dest.path, "manifests", tag);
	struct reg_request req = {
		.method = "PUT", .url = url, .content_type = ctx->img.manifest_media_type, .body = ctx->manifest_data,
		.body_len = ctx->manifest_len, .body_fd = -1,
	};
	struct reg_response resp = { .content_length = -1 };
	int r = 0;

	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		if (attempt > 0)
			sleep_ms(BACKOFF_FIRST_MS << (attempt - 1));
		berth_error_release(err);
		r = expect(ctx, &req, ok, &resp, "put the manifest", err);
		if (r == 0 || !reg_error_transient(r))
			break;
	}
	if (r == 0 && resp.docker_digest && strcmp(resp.docker_digest, ctx->img.manifest_digest) != 0)
		r = berth_error_setx(err, EBADMSG, "manifest %s: the registry stored it as %s", ctx->img.manifest_digest,
				     resp.docker_digest);
	reg_response_release(&resp);
	if (r < 0)
		return r;
	*ret_digest = berth_xstrdup(ctx->img.manifest_digest);
	return 0;
}

/* The repositories of this registry the image was pulled from or pushed to (mount sources). */
static void find_mount_sources(struct push_ctx *ctx)
{
	for (char **rd = ctx->img.repo_digests; rd && *rd; rd++) {
		_cleanup_free_ char *repo = berth_xstrndup(*rd, strcspn(*rd, "@"));
		struct berth_reference ref = { 0 };
		struct berth_error err = BERTH_ERROR_INIT;
		_cleanup_free_ char *scope = NULL;

		if (berth_reference_parse(repo, &ref, &err) < 0) {
			berth_error_release(&err);
			continue;
		}
		if (strcmp(ref.domain, ctx->dest.domain) == 0 && strcmp(ref.path, ctx->dest.path) != 0 &&
		    !berth_strv_contains(ctx->mount_from, ref.path)) {
			berth_strv_push(&ctx->mount_from, ref.path);
			scope = berth_xasprintf("repository:%s:pull", ref.path);
			reg_client_add_scope(ctx->c, scope);
		}
		berth_reference_release(&ref);
	}
}

static int plan(struct push_ctx *ctx, const char *src, struct berth_error *err)
{
	int r;

	r = berth_image_resolve(ctx->s, src, &ctx->img, err);
	if (r < 0)
		return r;
	r = berth_blob_read(ctx->s, ctx->img.manifest_digest, BERTH_MANIFEST_MAX_SIZE, &ctx->manifest_data,
			    &ctx->manifest_len, err);
	if (r < 0)
		return berth_error_prefix(err, "image %s", ctx->img.id);
	r = berth_manifest_parse(ctx->manifest_data, ctx->manifest_len, ctx->img.manifest_media_type, &ctx->manifest,
				 err);
	if (r < 0)
		return berth_error_prefix(err, "image %s", ctx->img.id);
	if (ctx->manifest.kind != BERTH_MANIFEST_IMAGE)
		return berth_error_setx(err, ENOTSUP, "image %s: its manifest is an index", ctx->img.id);
	ctx->blobs = berth_xcalloc(ctx->manifest.n_layers + 1, sizeof(*ctx->blobs));
	for (size_t i = 0; i < ctx->manifest.n_layers; i++) {
		const struct berth_descriptor *d = &ctx->manifest.layers[i];
		bool dup = false;

		for (size_t j = 0; j < ctx->n_blobs; j++)
			dup |= strcmp(ctx->blobs[j].desc->digest, d->digest) == 0;
		if (dup)
			continue;
		if (!berth_blob_exists(ctx->s, d->digest))
			return berth_error_setx(err, ENOENT, "image %s: layer blob %s is not in the store", ctx->img.id,
						d->digest);
		ctx->blobs[ctx->n_blobs].desc = d;
		snprintf(ctx->blobs[ctx->n_blobs].short_id, sizeof(ctx->blobs[0].short_id), "%.12s",
			 berth_digest_hex(d->digest));
		ctx->n_blobs++;
	}
	ctx->blobs[ctx->n_blobs].desc = &ctx->manifest.config;
	ctx->blobs[ctx->n_blobs].is_config = true;
	ctx->n_blobs++;
	return 0;
}

static int push(struct push_ctx *ctx, const char *src, const char *dest, char **ret_digest, struct berth_error *err)
{
	_cleanup_free_ char *scope = NULL, *repo_digest = NULL, *digest = NULL;
	const char *env = getenv("BERTH_PUSH_CHUNK_SIZE");
	int r;

	ctx->chunk_size = DEFAULT_CHUNK_SIZE;
	if (env && *env && (berth_parse_size(env, &ctx->chunk_size) < 0 || ctx->chunk_size == 0))
		return berth_error_setx(err, EINVAL, "$BERTH_PUSH_CHUNK_SIZE \"%s\" is not a size", env);
	if (strncmp(dest, "docker://", 9) == 0)
		dest += 9;
	r = berth_reference_parse(dest, &ctx->dest, err);
	if (r < 0)
		return r;
	ctx->repository = berth_reference_repository(&ctx->dest);
	r = plan(ctx, src, err);
	if (r < 0)
		return r;
	r = reg_client_new(ctx->dest.domain, ctx->opts, &ctx->c, err);
	if (r < 0)
		return r;
	scope = berth_xasprintf("repository:%s:pull,push", ctx->dest.path);
	reg_client_add_scope(ctx->c, scope);
	find_mount_sources(ctx);
	r = reg_client_ping(ctx->c, err);
	if (r < 0)
		return r;
	berth_progress_message(ctx->progress, "The push refers to repository [%s]", ctx->repository);
	for (size_t i = ctx->n_blobs; i-- > 0;)
		status(ctx, &ctx->blobs[i], "Preparing");
	r = push_blobs(ctx, err);
	if (r < 0)
		return r;
	r = put_manifest(ctx, &digest, err);
	if (r < 0)
		return r;
	berth_progress_message(ctx->progress, "%s: digest: %s size: %zu", ctx->dest.tag ? ctx->dest.tag : digest, digest,
			       ctx->manifest_len);
	repo_digest = berth_xasprintf("%s@%s", ctx->repository, digest);
	r = berth_db_add_repo_digest(ctx->s->db, ctx->img.id, repo_digest, err);
	if (r < 0)
		return r;
	if (ret_digest)
		*ret_digest = TAKE_PTR(digest);
	return 0;
}

int berth_registry_push(struct berth_store *s, const char *src, const char *dest,
			const struct berth_registry_options *opts, char **ret_digest, struct berth_error *err)
{
	struct push_ctx ctx = { .s = s, .opts = opts, .progress = opts->progress };
	int r;

	r = push(&ctx, src, dest ? dest : src, ret_digest, err);
	free(ctx.blobs);
	berth_manifest_release(&ctx.manifest);
	free(ctx.manifest_data);
	berth_image_release(&ctx.img);
	berth_strv_free(ctx.mount_from);
	free(ctx.repository);
	berth_reference_release(&ctx.dest);
	reg_client_free(ctx.c);
	if (r < 0)
		return berth_error_prefix(err, "push %s", dest ? dest : src);
	return 0;
}
