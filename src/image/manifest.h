#pragma once
/*
 * OCI and Docker schema2 manifests, indexes / manifest lists and image
 * configs: the parts berth needs, validated (every digest is checked with
 * berth_digest_validate before it is stored here).
 */
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "util/error.h"

#define BERTH_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define BERTH_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define BERTH_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define BERTH_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define BERTH_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define BERTH_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define BERTH_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define BERTH_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define BERTH_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define BERTH_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define BERTH_MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* Manifests, indexes and configs larger than this are refused. */
#define BERTH_MANIFEST_MAX_SIZE (4 * 1024 * 1024)

struct berth_descriptor {
	char *media_type;
	char *digest;
	int64_t size;
	/* only in index entries */
	char *os, *architecture, *variant;
	/* org.opencontainers.image.ref.name annotation, or NULL */
	char *ref_name;
};

enum berth_manifest_kind {
	BERTH_MANIFEST_IMAGE, /* OCI manifest or docker schema2 */
	BERTH_MANIFEST_INDEX, /* OCI index or docker manifest list */
};

struct berth_manifest {
	enum berth_manifest_kind kind;
	char *media_type;
	/* BERTH_MANIFEST_IMAGE */
	struct berth_descriptor config;
	struct berth_descriptor *layers;
	size_t n_layers;
	/* BERTH_MANIFEST_INDEX */
	struct berth_descriptor *manifests;
	size_t n_manifests;
};

/*
 * Parse a manifest or index.  media_type (from the HTTP Content-Type or the
 * referring descriptor) may be NULL: then the document's mediaType field, or
 * its shape, decides.
 */
int berth_manifest_parse(const char *buf, size_t len, const char *media_type, struct berth_manifest *ret,
			 struct berth_error *err);
void berth_manifest_release(struct berth_manifest *m);
void berth_descriptor_release(struct berth_descriptor *d);

/*
 * Pick the entry of an index for a platform "os/arch[/variant]" (NULL = this
 * host, linux/amd64).  Returns its index or -ENOENT with a message listing
 * what the index offers.
 */
int berth_manifest_select_platform(const struct berth_manifest *index, const char *platform, struct berth_error *err);

/* True for the layer media types berth can unpack (tar, tar+gzip, tar+zstd, OCI and Docker). */
bool berth_layer_media_type_supported(const char *media_type);

/* The image config: what the engine needs from it; json keeps the whole document. */
struct berth_image_config {
	json_t *json;
	char *os, *architecture, *variant;
	char *created;       /* RFC 3339 or NULL */
	char **diff_ids;     /* rootfs.diff_ids, validated */
	size_t n_diff_ids;
};

int berth_image_config_parse(const char *buf, size_t len, struct berth_image_config *ret, struct berth_error *err);
void berth_image_config_release(struct berth_image_config *c);

/* Serialise a docker schema2 or OCI image manifest (compact JSON, malloc'd). */
char *berth_manifest_serialize(const struct berth_manifest *m);
