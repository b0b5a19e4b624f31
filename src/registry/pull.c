/*
 * berth pull: manifest (an index picks the platform), config, then the
 * layers the store lacks.  Up to max_concurrent downloader threads each take
 * the next missing layer and stream it into a blob writer that a layer job
 * follows (unpacking in its own thread, in the same pass); a dropped
 * transfer resumes where the writer stands, with a Range request.  Once
 * every transfer is done, the jobs are waited for bottom up, their diff ids
 * checked against the config, their layers published, and the image
 * recorded in one transaction.
 */
#include "registry.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "client.h"
#include "transfers.h"
#include "image/blob-store.h"
#include "image/image-db.h"
#include "image/image-internal.h"
#include "image/layer-store.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* no application/json: some registries answer it with schema 1, which berth does not read */
#define MANIFEST_ACCEPT \
	BERTH_MT_OCI_INDEX ", " BERTH_MT_DOCKER_LIST ", " BERTH_MT_OCI_MANIFEST ", " BERTH_MT_DOCKER_MANIFEST
#define MAX_ATTEMPTS 5
#define BACKOFF_FIRST_MS 250

enum layer_how {
	LAYER_PRESENT,	 /* unpacked already */
	LAYER_FROM_BLOB, /* the blob is stored: unpack it */
	LAYER_DOWNLOAD,
	LAYER_DUPLICATE, /* the same blob as a lower layer: unpack it once that one is stored */
};

struct pull_layer {
	const struct berth_descriptor *desc;
	const char *diff_id;
	char chain_id[BERTH_DIGEST_STR_LEN];
	char parent_chain_id[BERTH_DIGEST_STR_LEN]; /* "" for the bottom layer */
	char short_id[13];
	enum layer_how how;
	struct berth_blob_writer *writer;
	struct berth_layer_job *job;
	struct berth_unpack_result res;
	/* a download: where the current request started, what to drop of its answer */
	uint64_t range_start;
	uint64_t skip;
	bool sink_failed;
	bool stored; /* this pull stored its blob */
};

struct pull_ctx {
	struct berth_store *s;
	const struct berth_registry_options *opts;
	struct berth_progress *progress;
	struct reg_client *c;
	struct berth_reference ref;
	char *repository; /* "domain/path" */

	char *top_digest; /* what the tag names: an index or a manifest */
	char *manifest_data;
	size_t manifest_len;
	char manifest_digest[BERTH_DIGEST_STR_LEN];
	struct berth_manifest manifest;
	char *config_data;
	size_t config_len;
	char id[BERTH_DIGEST_STR_LEN];
	struct berth_image_config config;
	struct pull_layer *layers;
	size_t n_layers;

	struct reg_transfers xfer; /* the downloads */
	atomic_bool bad_content; /* a blob or layer was not what the manifest and config say */
};

void berth_pull_result_release(struct berth_pull_result *r)
{
	free(r->id);
	free(r->name);
	free(r->repo_digest);
	*r = (struct berth_pull_result){ 0 };
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static unsigned backoff_ms(int attempt)
{
	return BACKOFF_FIRST_MS << (attempt < 6 ? attempt : 6);
}

/*
 * A request whose answer is small (manifests, configs), retried with
 * backoff on transient failures; 0 with a 2xx answer in resp.
 */
static int get_small(struct pull_ctx *ctx, const char *url, const char *accept, const char *what,
		     struct reg_response *resp, struct berth_error *err)
{
	struct reg_request req = {
		.url = url, .accept = accept, .follow = true, .body_fd = -1, .max_body = BERTH_MANIFEST_MAX_SIZE,
	};
	int r = 0;

	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		if (attempt > 0)
			sleep_ms(backoff_ms(attempt - 1));
		berth_error_release(err);
		r = reg_client_do(ctx->c, &req, resp, err);
		if (r == 0 && resp->status >= 200 && resp->status < 300)
			return 0;
		if (r == 0)
			r = reg_http_error(resp, err, "%s", what);
		if (!reg_error_transient(r))
			break;
	}
	return r;
}

/* GET a manifest by tag or digest, check it against what is expected of it (NULL, -1: nothing). */
static int fetch_manifest(struct pull_ctx *ctx, const char *reference, const char *expect_digest, int64_t expect_size,
			  char **ret_data, size_t *ret_len, char **ret_media_type, char ret_digest[BERTH_DIGEST_STR_LEN],
			  struct berth_error *err)
{
	_cleanup_free_ char *url = reg_api_path(ctx->ref.path, "manifests", reference);
	struct reg_response resp = { .content_length = -1 };
	long status;
	int r;

	r = get_small(ctx, url, MANIFEST_ACCEPT, "", &resp, err);
	status = resp.status;
	if (r < 0)
		reg_response_release(&resp);
	if (r == -EACCES)
		return berth_error_prefix(err, "pull access denied for %s, the repository does not exist or needs "
					       "'berth login'",
					  ctx->repository);
	if (r == -ENOENT)
		return berth_error_prefix(err, "manifest for %s%s%s not found", ctx->repository,
					  berth_digest_is_valid(reference) ? "@" : ":", reference);
	if (r < 0 && status)
		return berth_error_prefix(err, "get manifest %s%s%s", ctx->repository,
					  berth_digest_is_valid(reference) ? "@" : ":", reference);
	if (r < 0)
		return r;
	berth_digest_buffer(resp.body ? resp.body : "", resp.body_len, ret_digest);
	if (expect_digest && strcmp(ret_digest, expect_digest) != 0)
		r = berth_error_setx(err, EBADMSG, "manifest %s: the registry sent content with digest %s", expect_digest,
				     ret_digest);
	else if (expect_size >= 0 && (uint64_t)expect_size != resp.body_len)
		r = berth_error_setx(err, EBADMSG, "manifest %s: %zu bytes, the index says %" PRId64, ret_digest,
				     resp.body_len, expect_size);
	else if (resp.docker_digest && berth_digest_is_valid(resp.docker_digest) &&
		 strcmp(resp.docker_digest, ret_digest) != 0)
		r = berth_error_setx(err, EBADMSG, "manifest %s:%s: Docker-Content-Digest says %s, the content is %s",
				     ctx->repository, reference, resp.docker_digest, ret_digest);
	if (r == 0) {
		*ret_data = resp.body ? TAKE_PTR(resp.body) : berth_xstrdup("");
		*ret_len = resp.body_len;
		*ret_media_type = TAKE_PTR(resp.content_type);
	}
	reg_response_release(&resp);
	return r;
}

/* The tag's manifest; an index's entry for the platform. */
static int resolve_manifest(struct pull_ctx *ctx, const char *platform, struct berth_error *err)
{
	_cleanup_free_ char *data = NULL, *mt = NULL;
	char digest[BERTH_DIGEST_STR_LEN];
	const char *reference = ctx->ref.digest ? ctx->ref.digest : ctx->ref.tag;
	struct berth_manifest m = { 0 };
	size_t len = 0;
	int r, i;

	r = fetch_manifest(ctx, reference, ctx->ref.digest, -1, &data, &len, &mt, digest, err);
	if (r < 0)
		return r;
	ctx->top_digest = berth_xstrdup(digest);
	r = berth_manifest_parse(data, len, mt, &m, err);
	if (r < 0)
		return berth_error_prefix(err, "%s@%s", ctx->repository, digest);
	if (m.kind == BERTH_MANIFEST_INDEX) {
		const struct berth_descriptor *d;

		i = berth_manifest_select_platform(&m, platform, err);
		if (i < 0) {
			berth_manifest_release(&m);
			return berth_error_prefix(err, "%s", ctx->repository);
		}
		d = &m.manifests[i];
		free(data);
		free(mt);
		data = NULL;
		mt = NULL;
		r = fetch_manifest(ctx, d->digest, d->digest, d->size, &data, &len, &mt, digest, err);
		berth_manifest_release(&m);
		if (r < 0)
			return r;
		m = (struct berth_manifest){ 0 };
		r = berth_manifest_parse(data, len, mt, &m, err);
		if (r < 0)
			return berth_error_prefix(err, "%s@%s", ctx->repository, digest);
		if (m.kind != BERTH_MANIFEST_IMAGE) {
			berth_manifest_release(&m);
			return berth_error_setx(err, ENOTSUP, "%s@%s: an index inside an index", ctx->repository, digest);
		}
	}
	ctx->manifest = m;
	ctx->manifest_data = TAKE_PTR(data);
	ctx->manifest_len = len;
	memcpy(ctx->manifest_digest, digest, sizeof(digest));
	return 0;
}

static int fetch_config(struct pull_ctx *ctx, struct berth_error *err)
{
	const struct berth_descriptor *d = &ctx->manifest.config;
	_cleanup_free_ char *url = NULL;
	struct reg_response resp = { .content_length = -1 };
	int r;

	if (d->size > BERTH_MANIFEST_MAX_SIZE)
		return berth_error_setx(err, EFBIG, "config %s: %" PRId64 " bytes is more than the limit of %d", d->digest,
					d->size, BERTH_MANIFEST_MAX_SIZE);
	if (berth_blob_exists(ctx->s, d->digest) &&
	    berth_blob_read(ctx->s, d->digest, BERTH_MANIFEST_MAX_SIZE, &ctx->config_data, &ctx->config_len, err) == 0)
		goto parse;
	berth_error_release(err);
	url = reg_api_path(ctx->ref.path, "blobs", d->digest);
	r = get_small(ctx, url, NULL, "get config", &resp, err);
	if (r < 0) {
		reg_response_release(&resp);
		return berth_error_prefix(err, "config %s", d->digest);
	}
	ctx->config_data = resp.body ? TAKE_PTR(resp.body) : berth_xstrdup("");
	ctx->config_len = resp.body_len;
	reg_response_release(&resp);
parse:
	berth_digest_buffer(ctx->config_data, ctx->config_len, ctx->id);
	if (strcmp(ctx->id, d->digest) != 0)
		return berth_error_setx(err, EBADMSG, "config %s: the registry sent content with digest %s", d->digest,
					ctx->id);
	if (d->size >= 0 && (uint64_t)d->size != ctx->config_len)
		return berth_error_setx(err, EBADMSG, "config %s: %zu bytes, the manifest says %" PRId64, d->digest,
					ctx->config_len, d->size);
	r = berth_image_config_parse(ctx->config_data, ctx->config_len, &ctx->config, err);
	if (r < 0)
		return berth_error_prefix(err, "config %s", d->digest);
	if (ctx->config.n_diff_ids != ctx->manifest.n_layers)
		return berth_error_setx(err, EBADMSG, "%s@%s: %zu layers, but the config has %zu diff ids",
					ctx->repository, ctx->manifest_digest, ctx->manifest.n_layers,
					ctx->config.n_diff_ids);
	return 0;
}

/* An explicit --platform must match a plain manifest's config, as docker checks. */
static int check_platform(struct pull_ctx *ctx, const char *platform, struct berth_error *err)
{
	struct berth_manifest one = { .kind = BERTH_MANIFEST_INDEX, .n_manifests = 1 };
	struct berth_descriptor d = {
		.os = ctx->config.os, .architecture = ctx->config.architecture, .variant = ctx->config.variant,
		.media_type = (char *)BERTH_MT_OCI_MANIFEST, .digest = ctx->manifest_digest,
	};

	if (!platform || !ctx->config.os || !ctx->config.architecture)
		return 0;
	one.manifests = &d;
	if (berth_manifest_select_platform(&one, platform, err) < 0) {
		berth_error_release(err);
		return berth_error_setx(err, ENOENT,
					"image %s was found but does not match the specified platform: wanted %s, "
					"actual: %s/%s%s%s",
					ctx->repository, platform, ctx->config.os, ctx->config.architecture,
					ctx->config.variant ? "/" : "", ctx->config.variant ? ctx->config.variant : "");
	}
	return 0;
}

/* --- layers ------------------------------------------------------------------------- */

static int plan_layers(struct pull_ctx *ctx, struct berth_error *err)
{
	ctx->n_layers = ctx->manifest.n_layers;
	ctx->layers = berth_xcalloc(ctx->n_layers ? ctx->n_layers : 1, sizeof(*ctx->layers));
	for (size_t i = 0; i < ctx->n_layers; i++) {
		struct pull_layer *l = &ctx->layers[i];

		l->desc = &ctx->manifest.layers[i];
		l->diff_id = ctx->config.diff_ids[i];
		snprintf(l->parent_chain_id, sizeof(l->parent_chain_id), "%s", i > 0 ? ctx->layers[i - 1].chain_id : "");
		berth_chain_id(i > 0 ? ctx->layers[i - 1].chain_id : NULL, l->diff_id, l->chain_id);
		snprintf(l->short_id, sizeof(l->short_id), "%.12s", berth_digest_hex(l->desc->digest));
		if (!berth_layer_media_type_supported(l->desc->media_type))
			return berth_error_setx(err, ENOTSUP, "layer %s: unsupported media type \"%s\"", l->desc->digest,
						l->desc->media_type);
		if (berth_layer_exists(ctx->s, l->chain_id))
			l->how = LAYER_PRESENT;
		else if (berth_blob_exists(ctx->s, l->desc->digest))
			l->how = LAYER_FROM_BLOB;
		else
			l->how = LAYER_DOWNLOAD;
		for (size_t j = 0; j < i && l->how == LAYER_DOWNLOAD; j++)
			if (ctx->layers[j].how == LAYER_DOWNLOAD && strcmp(ctx->layers[j].desc->digest, l->desc->digest) == 0)
				l->how = LAYER_DUPLICATE;
	}
	return 0;
}

/* The body of a blob GET, into the layer's writer (dropping what a 200 to a Range request repeats). */
static int blob_sink(void *opaque, const struct reg_response *resp, const void *buf, size_t len,
		     struct berth_error *err)
{
	struct pull_ctx *ctx = ((void **)opaque)[0];
	struct pull_layer *l = ((void **)opaque)[1];
	const char *p = buf;
	int r;

	if (resp->streamed == 0) {
		l->skip = 0;
		if (resp->status == 206) {
			unsigned long long start = 0;

			if (!resp->content_range || sscanf(resp->content_range, "bytes %llu-", &start) != 1 ||
			    start > l->range_start) {
				l->sink_failed = true;
				return berth_error_setx(err, EPROTO, "blob %s: bad Content-Range \"%s\" for bytes %" PRIu64 "-",
							l->desc->digest, resp->content_range ? resp->content_range : "",
							l->range_start);
			}
			l->skip = l->range_start - start;
		} else {
			l->skip = l->range_start; /* the server ignored the Range: the start comes again */
		}
	}
	if (l->skip > 0) {
		size_t n = l->skip < len ? (size_t)l->skip : len;

		l->skip -= n;
		p += n;
		len -= n;
	}
	if (len == 0)
		return 0;
	r = berth_blob_writer_write(l->writer, p, len, err);
	if (r < 0) {
		l->sink_failed = true;
		if (r == -EFBIG)
			atomic_store(&ctx->bad_content, true);
		return r;
	}
	berth_progress_bytes(ctx->progress, l->short_id, "Downloading", berth_blob_writer_size(l->writer), l->desc->size);
	return 0;
}

/* One GET of the rest of the blob. */
static int download_once(struct pull_ctx *ctx, struct pull_layer *l, const char *url, struct berth_error *err)
{
	_cleanup_free_ char *range = NULL;
	void *pair[2] = { ctx, l };
	struct reg_request req = { .url = url, .follow = true, .body_fd = -1, .sink = blob_sink, .opaque = pair };
	struct reg_response resp = { .content_length = -1 };
	int r;

	l->range_start = berth_blob_writer_size(l->writer);
	if (l->range_start > 0) {
		range = berth_xasprintf("bytes=%" PRIu64 "-", l->range_start);
		req.range = range;
	}
	r = reg_client_do(ctx->c, &req, &resp, err);
	if (r == 0 && (resp.status < 200 || resp.status >= 300))
		r = reg_http_error(&resp, err, "GET %s", url);
	/* a 416 means we have it all: the commit below says whether that is true */
	if (r < 0 && resp.status == 416 && l->range_start > 0 && l->desc->size >= 0 &&
	    l->range_start == (uint64_t)l->desc->size) {
		berth_error_release(err);
		r = 0;
	}
	reg_response_release(&resp);
	return r;
}

static int download_layer(struct pull_ctx *ctx, struct pull_layer *l, struct berth_error *err)
{
	_cleanup_free_ char *url = reg_api_path(ctx->ref.path, "blobs", l->desc->digest);
	int r;

	r = berth_blob_writer_new(ctx->s, l->desc->digest, l->desc->size, 0, &l->writer, err);
	if (r < 0)
		return r;
	r = berth_layer_job_start(ctx->s, l->writer, NULL, &l->job, err);
	if (r < 0)
		return r;
	for (int attempt = 0;; attempt++) {
		berth_error_release(err);
		r = download_once(ctx, l, url, err);
		if (r == 0)
			break;
		if (l->sink_failed || !reg_error_transient(r) || attempt + 1 >= MAX_ATTEMPTS ||
		    reg_transfers_failed(&ctx->xfer)) {
			berth_blob_writer_abort(l->writer);
			return berth_error_prefix(err, "layer %s", l->desc->digest);
		}
		{
			_cleanup_free_ char *msg = berth_xasprintf("Retrying in %u ms", backoff_ms(attempt));

			berth_progress_status(ctx->progress, l->short_id, msg);
		}
		sleep_ms(backoff_ms(attempt));
	}
	berth_progress_status(ctx->progress, l->short_id, "Verifying Checksum");
	/* size and digest are checked here; a mismatch aborts the writer and the job following it */
	r = berth_blob_writer_commit(l->writer, NULL, err);
	if (r < 0) {
		if (r == -EIO)
			atomic_store(&ctx->bad_content, true); /* a size or digest mismatch */
		return berth_error_prefix(err, "layer %s", l->desc->digest);
	}
	l->stored = true;
	berth_progress_status(ctx->progress, l->short_id, "Download complete");
	return 0;
}

static bool wanted_layer(void *opaque, size_t i)
{
	struct pull_ctx *ctx = opaque;

	return ctx->layers[i].how == LAYER_DOWNLOAD;
}

static int run_layer(void *opaque, size_t i, struct berth_error *err)
{
	struct pull_ctx *ctx = opaque;

	return download_layer(ctx, &ctx->layers[i], err);
}

static int download_all(struct pull_ctx *ctx, struct berth_error *err)
{
	ctx->xfer = (struct reg_transfers){ .client = ctx->c, .n = ctx->n_layers, .wanted = wanted_layer,
					    .run = run_layer, .opaque = ctx, .what = "download" };
	return reg_transfers_run(&ctx->xfer, ctx->opts->max_concurrent, err);
}

static int start_stored(struct pull_ctx *ctx, enum layer_how how, struct berth_error *err)
{
	for (size_t i = 0; i < ctx->n_layers; i++) {
		struct pull_layer *l = &ctx->layers[i];
		int r;

		if (l->how != how)
			continue;
		r = berth_layer_job_start(ctx->s, NULL, l->desc->digest, &l->job, err);
		if (r < 0)
			return r;
		if (how == LAYER_FROM_BLOB)
			berth_progress_status(ctx->progress, l->short_id, "Download complete");
	}
	return 0;
}

/*
 * Wait for every unpack and check its diff id, then publish the layers,
 * bottom up: a layer that is not what the config says publishes none.
 */
static int commit_layers(struct pull_ctx *ctx, struct berth_error *err)
{
	int r;

	for (size_t i = 0; i < ctx->n_layers; i++) {
		struct pull_layer *l = &ctx->layers[i];

		if (!l->job)
			continue;
		berth_progress_status(ctx->progress, l->short_id, "Extracting");
		r = berth_layer_job_wait(l->job, &l->res, err);
		if (r == -ECANCELED)
			return r;
		if (r < 0) {
			atomic_store(&ctx->bad_content, true);
			return r;
		}
		if (strcmp(l->res.diff_id, l->diff_id) != 0) {
			atomic_store(&ctx->bad_content, true);
			return berth_error_setx(err, EBADMSG, "layer %s: its diff id is %s, but the image config says %s",
						l->desc->digest, l->res.diff_id, l->diff_id);
		}
	}
	for (size_t i = 0; i < ctx->n_layers; i++) {
		struct pull_layer *l = &ctx->layers[i];

		if (!l->job)
			continue;
		r = berth_layer_job_commit(l->job, l->chain_id, *l->parent_chain_id ? l->parent_chain_id : NULL, err);
		if (r < 0)
			return r;
		berth_progress_status(ctx->progress, l->short_id, "Pull complete");
	}
	return 0;
}

/*
 * A pull of bad content leaves nothing: the blobs it stored go again unless
 * an image uses them.  (A pull that fails otherwise keeps them, verified,
 * for the next one: prune removes them if none comes.)
 */
static void forget_stored_blobs(struct pull_ctx *ctx)
{
	struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_strv_free_ char **used = NULL;

	if (berth_db_referenced_blobs(ctx->s->db, &used, &err) < 0) {
		berth_error_release(&err);
		return;
	}
	for (size_t i = 0; i < ctx->n_layers; i++) {
		struct pull_layer *l = &ctx->layers[i];

		if (l->stored && !berth_strv_contains(used, l->desc->digest) &&
		    berth_blob_remove(ctx->s, l->desc->digest, &err) < 0)
			berth_error_release(&err);
	}
}

/* --- recording ---------------------------------------------------------------------- */

/* The uncompressed size of a layer unpacked before (the store's layers table has it). */
static int64_t stored_diff_size(struct pull_ctx *ctx, const char *chain_id)
{
	sqlite3_stmt *st = NULL;
	int64_t size = 0;

	if (sqlite3_prepare_v2(berth_db_handle(ctx->s->db), "SELECT diff_size FROM layers WHERE chain_id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, chain_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		size = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return size;
}

static void layer_record(struct pull_ctx *ctx, const struct pull_layer *l, struct berth_image_layer *ret)
{
	*ret = (struct berth_image_layer){
		.chain_id = (char *)l->chain_id,
		.diff_id = (char *)l->diff_id,
		.blob_digest = l->desc->digest,
		.media_type = l->desc->media_type,
		.blob_size = l->desc->size,
		.diff_size = l->job ? (int64_t)l->res.diff_size : stored_diff_size(ctx, l->chain_id),
	};
}

static int record_image(struct pull_ctx *ctx, const char *name, const char *repo_digest, struct berth_error *err)
{
	_cleanup_free_ struct berth_image_layer *layers = NULL;
	char *repo_digests[] = { (char *)repo_digest, NULL };
	struct berth_image rec = {
		.id = ctx->id,
		.manifest_digest = ctx->manifest_digest,
		.manifest_media_type = ctx->manifest.media_type,
		.repo_digests = repo_digests,
		.added = (int64_t)time(NULL),
		.n_layers = ctx->n_layers,
	};
	int r;

	if (ctx->config.created && berth_parse_rfc3339(ctx->config.created, &rec.created) < 0)
		rec.created = 0;
	layers = berth_xcalloc(ctx->n_layers ? ctx->n_layers : 1, sizeof(*layers));
	for (size_t i = 0; i < ctx->n_layers; i++) {
		layer_record(ctx, &ctx->layers[i], &layers[i]);
		rec.size += layers[i].diff_size;
	}
	rec.layers = layers;
	r = berth_blob_put(ctx->s, ctx->config_data, ctx->config_len, NULL, err);
	if (r < 0)
		return berth_error_prefix(err, "store the config");
	r = berth_blob_put(ctx->s, ctx->manifest_data, ctx->manifest_len, NULL, err);
	if (r < 0)
		return berth_error_prefix(err, "store the manifest");
	r = berth_db_begin(ctx->s->db, err);
	if (r < 0)
		return r;
	r = berth_db_put_image(ctx->s->db, &rec, err);
	if (r == 0 && name)
		r = berth_db_set_name(ctx->s->db, name, ctx->id, err);
	if (r < 0) {
		berth_db_rollback(ctx->s->db);
		return berth_error_prefix(err, "record image %s", ctx->id);
	}
	r = berth_db_commit(ctx->s->db, err);
	if (r < 0)
		return r;
	return berth_store_write_index(ctx->s, err);
}

static void ctx_release(struct pull_ctx *ctx)
{
	/* jobs first: they read the writers */
	for (size_t i = 0; i < ctx->n_layers; i++)
		berth_layer_job_free(ctx->layers[i].job);
	for (size_t i = 0; i < ctx->n_layers; i++)
		berth_blob_writer_free(ctx->layers[i].writer);
	free(ctx->layers);
	berth_image_config_release(&ctx->config);
	free(ctx->config_data);
	berth_manifest_release(&ctx->manifest);
	free(ctx->manifest_data);
	free(ctx->top_digest);
	free(ctx->repository);
	berth_reference_release(&ctx->ref);
	reg_client_free(ctx->c);
}

static bool image_complete(struct pull_ctx *ctx)
{
	struct berth_image img = { 0 };
	struct berth_error err = BERTH_ERROR_INIT;
	bool have;

	for (size_t i = 0; i < ctx->n_layers; i++)
		if (ctx->layers[i].how != LAYER_PRESENT)
			return false;
	have = berth_db_get_image(ctx->s->db, ctx->id, &img, &err) == 0;
	berth_image_release(&img);
	berth_error_release(&err);
	return have;
}

static int pull(struct pull_ctx *ctx, const char *platform, struct berth_pull_result *ret, struct berth_error *err)
{
	_cleanup_free_ char *name = NULL, *repo_digest = NULL, *familiar = NULL, *scope = NULL;
	bool complete;
	int r;

	ctx->repository = berth_reference_repository(&ctx->ref);
	familiar = berth_reference_familiar(ctx->repository);
	scope = berth_xasprintf("repository:%s:pull", ctx->ref.path);
	r = reg_client_new(ctx->ref.domain, ctx->opts, &ctx->c, err);
	if (r < 0)
		return r;
	reg_client_add_scope(ctx->c, scope);
	berth_progress_message(ctx->progress, "%s: Pulling from %s", ctx->ref.tag ? ctx->ref.tag : ctx->ref.digest,
			       familiar);
	r = resolve_manifest(ctx, platform, err);
	if (r < 0)
		return r;
	r = fetch_config(ctx, err);
	if (r < 0)
		return r;
	r = check_platform(ctx, platform, err);
	if (r < 0)
		return r;
	r = plan_layers(ctx, err);
	if (r < 0)
		return r;
	complete = image_complete(ctx);
	for (size_t i = 0; i < ctx->n_layers; i++)
		berth_progress_status(ctx->progress, ctx->layers[i].short_id,
				      ctx->layers[i].how == LAYER_PRESENT ? "Already exists" : "Pulling fs layer");
	r = start_stored(ctx, LAYER_FROM_BLOB, err);
	if (r == 0)
		r = download_all(ctx, err);
	if (r == 0)
		r = start_stored(ctx, LAYER_DUPLICATE, err);
	if (r == 0)
		r = commit_layers(ctx, err);
	if (r < 0)
		return r;

	if (ctx->ref.tag)
		name = berth_xasprintf("%s:%s", ctx->repository, ctx->ref.tag);
	repo_digest = berth_xasprintf("%s@%s", ctx->repository, ctx->top_digest);
	r = record_image(ctx, name, repo_digest, err);
	if (r < 0)
		return r;
	berth_progress_message(ctx->progress, "Digest: %s", ctx->top_digest);
	{
		_cleanup_free_ char *shown = name ? berth_image_familiar_name(name) : berth_xstrdup(repo_digest);

		berth_progress_message(ctx->progress, "Status: %s for %s",
				       complete ? "Image is up to date" : "Downloaded newer image", shown);
	}
	ret->id = berth_xstrdup(ctx->id);
	ret->name = TAKE_PTR(name);
	ret->repo_digest = TAKE_PTR(repo_digest);
	ret->downloaded = !complete;
	return 0;
}

int berth_registry_pull(struct berth_store *s, const char *ref, const char *platform,
			const struct berth_registry_options *opts, struct berth_pull_result *ret,
			struct berth_error *err)
{
	struct pull_ctx ctx = { .s = s, .opts = opts, .progress = opts->progress };
	struct berth_pull_result res = { 0 };
	int r;

	atomic_init(&ctx.bad_content, false);
	r = berth_reference_parse(ref, &ctx.ref, err);
	if (r == 0)
		r = pull(&ctx, platform, &res, err);
	if (r < 0 && atomic_load(&ctx.bad_content))
		forget_stored_blobs(&ctx);
	ctx_release(&ctx);
	if (r < 0) {
		berth_pull_result_release(&res);
		return berth_error_prefix(err, "pull %s", ref);
	}
	*ret = res;
	return 0;
}
