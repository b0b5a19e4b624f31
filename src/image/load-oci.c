/*
 * OCI archive: a tar of an OCI image layout (oci-layout, index.json,
 * blobs/sha256/<hex>), as `skopeo copy … oci-archive:` writes it.  Each
 * entry of index.json is an image manifest or an index (a multi-platform
 * image), from which linux/amd64 is taken.
 *
 * Names: an entry's io.containerd.image.name annotation (containerd's and
 * docker's full name) or else its org.opencontainers.image.ref.name when
 * that is a reference ("busybox:latest", skopeo's oci-archive:FILE:NAME).
 * A bare ref.name such as "latest" (umoci's) is a tag without a repository:
 * such an image loads untagged.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "load-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* Indexes within indexes are followed this deep. */
#define MAX_INDEX_DEPTH 4

static void manifest_releasep(struct berth_manifest *m)
{
	berth_manifest_release(m);
}

static const char *annotated_name(json_t *entry)
{
	json_t *ann = json_object_get(entry, "annotations");
	const char *name = NULL;

	if (!json_is_object(ann))
		return NULL;
	name = json_string_value(json_object_get(ann, "io.containerd.image.name"));
	if (name)
		return name;
	name = json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
	return name && strpbrk(name, "/:@") ? name : NULL;
}

/* The name entry i of index.json (whose digest is digest) gives its image, or NULL. */
static const char *entry_name(json_t *index, size_t i, const char *digest)
{
	json_t *manifests = json_object_get(index, "manifests");
	json_t *e = json_array_get(manifests, i);
	const char *d = json_string_value(json_object_get(e, "digest"));

	if (d && strcmp(d, digest) == 0)
		return annotated_name(e);
	json_array_foreach (manifests, i, e) {
		d = json_string_value(json_object_get(e, "digest"));
		if (d && strcmp(d, digest) == 0)
			return annotated_name(e);
	}
	return NULL;
}

static int set_layers(struct load_image *img, const struct berth_manifest *m, const char *manifest_digest,
		      struct berth_error *err)
{
	if (m->n_layers != img->n_layers)
		return berth_error_setx(err, EINVAL, "manifest %s lists %zu layers, its config %s has %zu diff ids",
					manifest_digest, m->n_layers, m->config.digest, img->n_layers);
	for (size_t i = 0; i < m->n_layers; i++) {
		struct load_layer *l = &img->layers[i];
		const struct berth_descriptor *d = &m->layers[i];

		if (!berth_layer_media_type_supported(d->media_type))
			return berth_error_setx(err, ENOTSUP, "manifest %s: layer %s has the unsupported media type \"%s\"",
						manifest_digest, d->digest, d->media_type ? d->media_type : "");
		l->member = load_blob_path(d->digest);
		l->blob_digest = berth_xstrdup(d->digest);
		l->blob_size = d->size;
		l->media_type = berth_xstrdup_or_null(d->media_type);
	}
	return 0;
}

/* An image manifest: its image (with the name), from its config and layers. */
static int plan_manifest(struct load_ctx *ctx, const struct berth_descriptor *d, const char *name,
			 struct berth_error *err)
{
	_cleanup_(manifest_releasep) struct berth_manifest m = { 0 };
	_cleanup_free_ char *config_member = NULL;
	struct load_image *img = NULL;
	const char *data = NULL, *config = NULL;
	size_t len = 0, config_len = 0;
	size_t before = ctx->n_images;
	int r;

	r = load_blob_json(ctx, d->digest, d->size, &data, &len, err);
	if (r != 0)
		return r;
	r = berth_manifest_parse(data, len, d->media_type, &m, err);
	if (r < 0)
		return berth_error_prefix(err, "manifest %s", d->digest);
	if (m.kind != BERTH_MANIFEST_IMAGE)
		return berth_error_setx(err, EINVAL, "manifest %s is not an image manifest", d->digest);
	/* artifacts (signatures, SBOMs) stored beside images are no images */
	if (m.config.media_type && strcmp(m.config.media_type, BERTH_MT_OCI_CONFIG) != 0 &&
	    strcmp(m.config.media_type, BERTH_MT_DOCKER_CONFIG) != 0)
		return 0;
	r = load_blob_json(ctx, m.config.digest, m.config.size, &config, &config_len, err);
	if (r != 0)
		return r;
	config_member = load_blob_path(m.config.digest);
	r = load_add_image(ctx, config_member, config, config_len, &img, err);
	if (r < 0)
		return r;
	if (ctx->n_images > before) {
		img->manifest_data = data;
		img->manifest_len = len;
		img->manifest_media_type = berth_xstrdup(m.media_type ? m.media_type : BERTH_MT_OCI_MANIFEST);
		r = set_layers(img, &m, d->digest, err);
		if (r < 0)
			return r;
	}
	return name ? load_image_add_name(img, name, err) : 0;
}

/* An entry of index.json: a manifest, or an index to pick this platform's manifest from. */
static int plan_descriptor(struct load_ctx *ctx, const struct berth_descriptor *d, const char *name, int depth,
			   struct berth_error *err)
{
	_cleanup_(manifest_releasep) struct berth_manifest idx = { 0 };
	const char *data = NULL;
	size_t len = 0;
	int r, k;

	if (!d->media_type || (strcmp(d->media_type, BERTH_MT_OCI_INDEX) != 0 &&
			       strcmp(d->media_type, BERTH_MT_DOCKER_LIST) != 0))
		return plan_manifest(ctx, d, name, err);
	if (depth >= MAX_INDEX_DEPTH)
		return berth_error_setx(err, ELOOP, "index %s: indexes nested too deep", d->digest);
	r = load_blob_json(ctx, d->digest, d->size, &data, &len, err);
	if (r != 0)
		return r;
	r = berth_manifest_parse(data, len, d->media_type, &idx, err);
	if (r < 0)
		return berth_error_prefix(err, "index %s", d->digest);
	if (idx.kind != BERTH_MANIFEST_INDEX)
		return plan_manifest(ctx, d, name, err);
	k = berth_manifest_select_platform(&idx, NULL, err);
	if (k < 0)
		return berth_error_prefix(err, "index %s", d->digest);
	return plan_descriptor(ctx, &idx.manifests[k], name, depth + 1, err);
}

int load_oci_plan(struct load_ctx *ctx, struct berth_error *err)
{
	_cleanup_(manifest_releasep) struct berth_manifest index = { 0 };
	json_auto_t *root = NULL;
	json_error_t jerr;
	const char *data = NULL;
	size_t len = 0;
	int r;

	r = load_member_json(ctx, "index.json", &data, &len, err);
	if (r != 0)
		return r;
	root = json_loadb(data, len, 0, &jerr);
	if (!root)
		return berth_error_setx(err, EINVAL, "\"index.json\": line %d: %s", jerr.line, jerr.text);
	r = berth_manifest_parse(data, len, BERTH_MT_OCI_INDEX, &index, err);
	if (r < 0)
		return berth_error_prefix(err, "\"index.json\"");
	if (index.kind != BERTH_MANIFEST_INDEX)
		return berth_error_setx(err, EINVAL, "\"index.json\" is not an image index");
	for (size_t i = 0; i < index.n_manifests; i++) {
		const struct berth_descriptor *d = &index.manifests[i];

		r = plan_descriptor(ctx, d, entry_name(root, i, d->digest), 0, err);
		if (r != 0)
			return r;
	}
	return 0;
}
