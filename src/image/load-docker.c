/*
 * docker-archive, as `docker save` and `podman save` write it: manifest.json
 * lists the images, each with its config member, its RepoTags and its
 * layer members, bottom first:
 *
 *	[{"Config": "<hex>.json", "RepoTags": ["busybox:latest"],
 *	  "Layers": ["<id>/layer.tar", …]}]
 *
 * Layer members are "<id>/layer.tar" (docker before 25), "<diffid>.tar" with
 * "<id>/layer.tar" symlinks to them (podman), or "blobs/sha256/<hex>" of the
 * OCI layout that docker 25+ writes beside manifest.json.  They are usually
 * uncompressed tars; compressed ones are unpacked just as well.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "load-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int field_error(struct berth_error *err, size_t i, const char *field, const char *what)
{
	return berth_error_setx(err, EINVAL, "\"manifest.json\": entry %zu: \"%s\" %s", i, field, what);
}

static int add_names(struct load_image *img, json_t *tags, size_t i, struct berth_error *err)
{
	size_t k;
	json_t *t = NULL;

	if (!tags || json_is_null(tags))
		return 0;
	if (!json_is_array(tags))
		return field_error(err, i, "RepoTags", "is not an array");
	json_array_foreach (tags, k, t) {
		int r;

		if (!json_is_string(t))
			return field_error(err, i, "RepoTags", "has an entry that is not a string");
		r = load_image_add_name(img, json_string_value(t), err);
		if (r < 0)
			return berth_error_prefix(err, "\"manifest.json\": entry %zu", i);
	}
	return 0;
}

static int set_layers(struct load_image *img, json_t *layers, size_t i, struct berth_error *err)
{
	size_t k;
	json_t *l = NULL;

	if (!json_is_array(layers))
		return field_error(err, i, "Layers", "is missing or not an array");
	if (json_array_size(layers) != img->n_layers)
		return berth_error_setx(err, EINVAL,
					"\"manifest.json\": entry %zu lists %zu layers, its config \"%s\" has %zu diff ids",
					i, json_array_size(layers), img->config_member, img->n_layers);
	json_array_foreach (layers, k, l) {
		struct load_layer *ll = &img->layers[k];

		if (!json_is_string(l))
			return field_error(err, i, "Layers", "has an entry that is not a string");
		free(ll->member);
		ll->member = load_path_normalize(NULL, json_string_value(l));
		if (!ll->member)
			return berth_error_setx(err, EINVAL, "\"manifest.json\": entry %zu: bad layer path \"%s\"", i,
						json_string_value(l));
		free(ll->blob_digest);
		ll->blob_digest = load_blob_path_digest(ll->member);
	}
	return 0;
}

static int plan_entry(struct load_ctx *ctx, json_t *entry, size_t i, struct berth_error *err)
{
	_cleanup_free_ char *config = NULL;
	_cleanup_free_ char *config_digest = NULL;
	json_t *v = NULL;
	struct load_image *img = NULL;
	const char *data = NULL;
	size_t len = 0;
	size_t before = ctx->n_images;
	int r;

	if (!json_is_object(entry))
		return berth_error_setx(err, EINVAL, "\"manifest.json\": entry %zu is not an object", i);
	v = json_object_get(entry, "Config");
	if (!json_is_string(v))
		return field_error(err, i, "Config", "is missing or not a string");
	config = load_path_normalize(NULL, json_string_value(v));
	if (!config)
		return field_error(err, i, "Config", "is not a path in the archive");
	r = load_member_json(ctx, config, &data, &len, err);
	if (r != 0)
		return r;
	r = load_add_image(ctx, config, data, len, &img, err);
	if (r < 0)
		return r;
	config_digest = load_blob_path_digest(config);
	if (config_digest && strcmp(config_digest, img->id) != 0)
		return berth_error_setx(err, EBADMSG, "archive member \"%s\": its digest is %s", config, img->id);
	/* the same config twice: one image, with the names of both entries */
	if (ctx->n_images > before) {
		r = set_layers(img, json_object_get(entry, "Layers"), i, err);
		if (r < 0)
			return r;
	}
	return add_names(img, json_object_get(entry, "RepoTags"), i, err);
}

int load_docker_plan(struct load_ctx *ctx, struct berth_error *err)
{
	json_auto_t *root = NULL;
	json_error_t jerr;
	const char *data = NULL;
	size_t len = 0;
	size_t i;
	json_t *entry = NULL;
	int r;

	r = load_member_json(ctx, "manifest.json", &data, &len, err);
	if (r != 0)
		return r;
	root = json_loadb(data, len, 0, &jerr);
	if (!root)
		return berth_error_setx(err, EINVAL, "\"manifest.json\": line %d: %s", jerr.line, jerr.text);
	if (!json_is_array(root))
		return berth_error_setx(err, EINVAL, "\"manifest.json\" is not an array");
	json_array_foreach (root, i, entry) {
		r = plan_entry(ctx, entry, i, err);
		if (r != 0)
			return r;
	}
	return 0;
}
