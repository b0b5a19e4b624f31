/*
 * berth save: a docker-archive in the legacy layout that `docker save` and
 * `podman save` write, so docker, podman and skopeo load it:
 *
 *	<config-hex>.json          the config, byte for byte (the image id stays)
 *	manifest.json              [{"Config", "RepoTags", "Layers"}]
 *	repositories               {"repo": {"tag": "<top layer dir>"}}
 *	<diffid-hex>/VERSION, json the legacy v1 layer files
 *	<diffid-hex>/layer.tar     the layer, uncompressed
 *
 * The metadata comes first, so a streaming loader (berth load from a pipe)
 * knows the images before their layers.  Layers shared by several images
 * are written once.  Compressed blobs are inflated while written: the tar
 * header needs the uncompressed size, which the store knows (diff size);
 * the bytes are checked against the diff id on the way.  Every entry has
 * mtime 0 and owner 0:0, so the same images give the same archive.
 */
#include "image.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob-store.h"
#include "decompress.h"
#include "digest.h"
#include "image-db.h"
#include "image-internal.h"
#include "reference.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define COPY_BUF_SIZE (1024 * 1024)

struct save_image {
	struct berth_image img;
	char **tags; /* the names asked for */
	char *config;
	size_t config_len;
};

struct save_layer {
	const char *diff_id;
	const char *blob_digest;
	int64_t diff_size;
	const char *parent_diff_id; /* the layer below, in the first image that has it */
};

struct save_ctx {
	struct berth_store *s;
	struct archive *a;
	int fd;
	struct save_image *images;
	size_t n_images;
	struct save_layer *layers;
	size_t n_layers;
};

/* The name a reference stands for when it is one of the image's names, else NULL (an id). */
static int add_image(struct save_ctx *ctx, const char *ref, struct berth_error *err)
{
	struct berth_image img = { 0 };
	struct save_image *si = NULL;
	char *name = NULL;
	int r;

	/* the name the reference matched is the tag to write; by id: none, as docker */
	r = berth_image_resolve_name(ctx->s, ref, &img, &name, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ctx->n_images; i++)
		if (strcmp(ctx->images[i].img.id, img.id) == 0) {
			berth_image_release(&img);
			si = &ctx->images[i];
			break;
		}
	if (!si) {
		ctx->images = berth_xreallocarray(ctx->images, ctx->n_images + 1, sizeof(*ctx->images));
		si = &ctx->images[ctx->n_images++];
		*si = (struct save_image){ .img = img };
		r = berth_blob_read(ctx->s, img.id, BERTH_MANIFEST_MAX_SIZE, &si->config, &si->config_len, err);
		if (r < 0) {
			free(name);
			return berth_error_prefix(err, "config of image %s", img.id);
		}
	}
	if (name && !berth_strv_contains(si->tags, name))
		berth_strv_consume(&si->tags, name);
	else
		free(name);
	return 0;
}

static void collect_layers(struct save_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_images; i++)
		for (size_t j = 0; j < ctx->images[i].img.n_layers; j++) {
			const struct berth_image_layer *l = &ctx->images[i].img.layers[j];
			bool seen = false;

			for (size_t k = 0; k < ctx->n_layers && !seen; k++)
				seen = strcmp(ctx->layers[k].diff_id, l->diff_id) == 0;
			if (seen)
				continue;
			ctx->layers = berth_xreallocarray(ctx->layers, ctx->n_layers + 1, sizeof(*ctx->layers));
			ctx->layers[ctx->n_layers++] = (struct save_layer){
				.diff_id = l->diff_id,
				.blob_digest = l->blob_digest,
				.diff_size = l->diff_size,
				.parent_diff_id = j > 0 ? ctx->images[i].img.layers[j - 1].diff_id : NULL,
			};
		}
}

/* --- the tar writer ------------------------------------------------------------ */

static la_ssize_t write_cb(struct archive *a, void *opaque, const void *buf, size_t len)
{
	struct save_ctx *ctx = opaque;
	int r = berth_write_all(ctx->fd, buf, len);

	if (r < 0) {
		archive_set_error(a, -r, "write: %s", strerror(-r));
		return -1;
	}
	return (la_ssize_t)len;
}

static int archive_err(struct archive *a, const char *what, struct berth_error *err)
{
	return berth_error_setx(err, archive_errno(a) > 0 ? archive_errno(a) : EIO, "%s: %s", what,
				archive_error_string(a));
}

static int write_header(struct save_ctx *ctx, const char *path, mode_t type, int64_t size, struct berth_error *err)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(e, type == AE_IFREG ? size : 0);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(ctx->a, e) != ARCHIVE_OK)
		r = archive_err(ctx->a, path, err);
	archive_entry_free(e);
	return r;
}

static int write_data(struct save_ctx *ctx, const char *path, const void *buf, size_t len, struct berth_error *err)
{
	la_ssize_t n = archive_write_data(ctx->a, buf, len);

	if (n < 0 || (size_t)n != len)
		return archive_err(ctx->a, path, err);
	return 0;
}

static int write_file(struct save_ctx *ctx, const char *path, const void *buf, size_t len, struct berth_error *err)
{
	int r = write_header(ctx, path, AE_IFREG, (int64_t)len, err);

	return r < 0 ? r : write_data(ctx, path, buf, len, err);
}

static int write_json(struct save_ctx *ctx, const char *path, json_t *j, struct berth_error *err)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);

	if (!text)
		abort();
	return write_file(ctx, path, text, strlen(text), err);
}

/* --- layers ----------------------------------------------------------------- */

static ssize_t fd_read(void *opaque, void *buf, size_t len)
{
	int fd = *(int *)opaque;

	for (;;) {
		ssize_t n = read(fd, buf, len);

		if (n >= 0 || errno != EINTR)
			return n < 0 ? -errno : n;
	}
}

/* The uncompressed size of a blob, when the store does not know it. */
static int count_diff_size(struct berth_store *s, const char *blob, int64_t *ret, struct berth_error *err)
{
	_cleanup_(berth_decompressor_freep) struct berth_decompressor *d = NULL;
	_cleanup_free_ char *buf = berth_xmalloc(COPY_BUF_SIZE);
	_cleanup_close_ int fd = -EBADF;
	int64_t total = 0;
	int r;

	r = berth_blob_open(s, blob, &fd, err);
	if (r < 0)
		return r;
	r = berth_decompressor_new(fd_read, &fd, &d, err);
	if (r < 0)
		return r;
	for (;;) {
		ssize_t n = berth_decompressor_read(d, buf, COPY_BUF_SIZE, err);

		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		total += n;
	}
	*ret = total;
	return 0;
}

static int write_layer_tar(struct save_ctx *ctx, const struct save_layer *l, const char *path,
			   struct berth_error *err)
{
	_cleanup_(berth_decompressor_freep) struct berth_decompressor *d = NULL;
	_cleanup_(berth_sha256_freep) struct berth_sha256 *h = berth_sha256_new();
	_cleanup_free_ char *buf = berth_xmalloc(COPY_BUF_SIZE);
	_cleanup_close_ int fd = -EBADF;
	char digest[BERTH_DIGEST_STR_LEN];
	int64_t size = l->diff_size, total = 0;
	int r;

	if (size < 0) {
		r = count_diff_size(ctx->s, l->blob_digest, &size, err);
		if (r < 0)
			return r;
	}
	r = berth_blob_open(ctx->s, l->blob_digest, &fd, err);
	if (r < 0)
		return r;
	r = berth_decompressor_new(fd_read, &fd, &d, err);
	if (r < 0)
		return r;
	r = write_header(ctx, path, AE_IFREG, size, err);
	if (r < 0)
		return r;
	for (;;) {
		ssize_t n = berth_decompressor_read(d, buf, COPY_BUF_SIZE, err);

		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		if (total + n > size)
			break;
		berth_sha256_update(h, buf, (size_t)n);
		r = write_data(ctx, path, buf, (size_t)n, err);
		if (r < 0)
			return r;
		total += n;
	}
	if (total != size)
		return berth_error_setx(err, EBADMSG, "blob %s does not inflate to the %lld bytes the store recorded",
					l->blob_digest, (long long)size);
	berth_sha256_final(h, digest);
	if (strcmp(digest, l->diff_id) != 0)
		return berth_error_setx(err, EBADMSG, "blob %s inflates to %s, not the diff id %s", l->blob_digest,
					digest, l->diff_id);
	return 0;
}

static int write_layer(struct save_ctx *ctx, const struct save_layer *l, struct berth_error *err)
{
	json_auto_t *v1 = json_object();
	const char *hex = berth_digest_hex(l->diff_id);
	_cleanup_free_ char *dir = berth_xasprintf("%s/", hex);
	_cleanup_free_ char *version = berth_xasprintf("%s/VERSION", hex);
	_cleanup_free_ char *json = berth_xasprintf("%s/json", hex);
	_cleanup_free_ char *tar = berth_xasprintf("%s/layer.tar", hex);
	int r;

	json_object_set_new(v1, "id", json_string(hex));
	if (l->parent_diff_id)
		json_object_set_new(v1, "parent", json_string(berth_digest_hex(l->parent_diff_id)));
	json_object_set_new(v1, "created", json_string("1970-01-01T00:00:00Z"));
	r = write_header(ctx, dir, AE_IFDIR, 0, err);
	if (r == 0)
		r = write_file(ctx, version, "1.0", 3, err);
	if (r == 0)
		r = write_json(ctx, json, v1, err);
	if (r == 0)
		r = write_layer_tar(ctx, l, tar, err);
	if (r < 0)
		return berth_error_prefix(err, "layer %s", l->diff_id);
	return 0;
}

/* --- metadata --------------------------------------------------------------- */

static int write_metadata(struct save_ctx *ctx, struct berth_error *err)
{
	json_auto_t *manifest = json_array();
	json_auto_t *repos = json_object();
	int r;

	for (size_t i = 0; i < ctx->n_images; i++) {
		struct save_image *si = &ctx->images[i];
		_cleanup_free_ char *config = berth_xasprintf("%s.json", berth_digest_hex(si->img.id));
		json_t *entry = json_object(), *tags = json_array(), *layers = json_array();
		const char *top = NULL;

		r = write_file(ctx, config, si->config, si->config_len, err);
		if (r < 0)
			return berth_error_prefix(err, "config of image %s", si->img.id);
		for (size_t j = 0; j < si->img.n_layers; j++) {
			top = berth_digest_hex(si->img.layers[j].diff_id);
			json_array_append_new(layers, json_sprintf("%s/layer.tar", top));
		}
		for (size_t j = 0; si->tags && si->tags[j]; j++) {
			struct berth_reference ref = { 0 };
			_cleanup_error_ struct berth_error e = BERTH_ERROR_INIT;
			_cleanup_free_ char *repo = NULL;
			json_t *tagmap = NULL;

			json_array_append_new(tags, json_string(si->tags[j]));
			if (!top || berth_reference_parse(si->tags[j], &ref, &e) < 0)
				continue;
			repo = berth_reference_repository(&ref);
			tagmap = json_object_get(repos, repo);
			if (!tagmap)
				json_object_set_new(repos, repo, tagmap = json_object());
			json_object_set_new(tagmap, ref.tag, json_string(top));
			berth_reference_release(&ref);
		}
		json_object_set_new(entry, "Config", json_string(config));
		json_object_set_new(entry, "RepoTags", tags);
		json_object_set_new(entry, "Layers", layers);
		json_array_append_new(manifest, entry);
	}
	r = write_json(ctx, "manifest.json", manifest, err);
	if (r == 0 && json_object_size(repos) > 0)
		r = write_json(ctx, "repositories", repos, err);
	return r;
}

static void ctx_release(struct save_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_images; i++) {
		berth_image_release(&ctx->images[i].img);
		berth_strv_free(ctx->images[i].tags);
		free(ctx->images[i].config);
	}
	free(ctx->images);
	free(ctx->layers);
	if (ctx->a)
		archive_write_free(ctx->a);
}

static int save(struct save_ctx *ctx, char *const *refs, struct berth_error *err)
{
	int r;

	if (!refs || !refs[0])
		return berth_error_setx(err, EINVAL, "no images to save");
	for (size_t i = 0; refs[i]; i++) {
		r = add_image(ctx, refs[i], err);
		if (r < 0)
			return berth_error_prefix(err, "\"%s\"", refs[i]);
	}
	collect_layers(ctx);

	ctx->a = archive_write_new();
	archive_write_set_format_pax_restricted(ctx->a);
	if (archive_write_open(ctx->a, ctx, NULL, write_cb, NULL) != ARCHIVE_OK)
		return archive_err(ctx->a, "open the archive", err);
	r = write_metadata(ctx, err);
	for (size_t i = 0; r == 0 && i < ctx->n_layers; i++)
		r = write_layer(ctx, &ctx->layers[i], err);
	if (r < 0)
		return r;
	if (archive_write_close(ctx->a) != ARCHIVE_OK)
		return archive_err(ctx->a, "finish the archive", err);
	return 0;
}

int berth_image_save(struct berth_store *s, char *const *refs, int out_fd, struct berth_error *err)
{
	struct save_ctx ctx = { .s = s, .fd = out_fd };
	int r;

	r = save(&ctx, refs, err);
	ctx_release(&ctx);
	if (r < 0)
		return berth_error_prefix(err, "save");
	return 0;
}
