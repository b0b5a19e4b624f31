#pragma once
/*
 * berth_image_load() internals, shared by load.c (reading the archive,
 * streaming layers into the store, recording) and the two formats:
 * load-docker.c (manifest.json) and load-oci.c (index.json).
 *
 * The archive is a table of members.  Small JSON members are kept in
 * memory; a layer member is streamed into a blob writer that a layer job
 * follows, so it unpacks while the archive is read.  A format turns the
 * JSON members into a plan: the images, their configs, names and layers
 * (which member holds each layer and what its diff id must be).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "image-db.h"
#include "image.h"
#include "manifest.h"
#include "store.h"
#include "unpack.h"

struct berth_blob_writer;
struct berth_layer_job;

/* A layer streamed from the archive: its blob, and the job unpacking it. */
struct load_task {
	struct berth_blob_writer *writer;
	struct berth_layer_job *job;
	char *member;	     /* archive path, for messages */
	bool blob_committed; /* the writer published its blob */
	char blob_digest[BERTH_DIGEST_STR_LEN];
	bool waited;
	int rc; /* the job's, once waited */
	struct berth_error err;
	struct berth_unpack_result res;
	/* the chain the job's directory is published as (assigned while checking the plan) */
	const char *chain_id;
	const char *parent_chain_id;
	bool layer_committed;
};

enum load_member_type {
	LOAD_MEMBER_FILE,
	LOAD_MEMBER_LINK, /* symlink or hardlink: target is an archive path */
	LOAD_MEMBER_OTHER,
};

struct load_member {
	char *path; /* normalised: no "./", "..", "//" or leading "/" */
	enum load_member_type type;
	char *target; /* LOAD_MEMBER_LINK */
	int64_t size;
	char *data; /* JSON read into memory, NUL-terminated */
	size_t len;
	bool not_json; /* looked at: not JSON, or too large for it */
	struct load_task *task;
};

struct load_layer {
	char *member;	   /* archive path as the plan names it */
	char *blob_digest; /* the digest the archive promises (blobs/sha256/<hex>, descriptors), or NULL */
	int64_t blob_size; /* the size the descriptor promises, -1 unknown */
	char *media_type;  /* the descriptor's media type; NULL: from the compression found */
	char diff_id[BERTH_DIGEST_STR_LEN];
	char chain_id[BERTH_DIGEST_STR_LEN];
	char parent_chain_id[BERTH_DIGEST_STR_LEN]; /* "" for the bottom layer */
	bool have; /* the store had it when the plan was made: not streamed */
	/* filled while checking */
	struct load_task *task; /* NULL when the store has the layer already */
	struct berth_image_layer rec;
};

struct load_image {
	char id[BERTH_DIGEST_STR_LEN]; /* digest of the config bytes */
	const char *config_data;       /* points into the member table */
	size_t config_len;
	char *config_member;
	struct berth_image_config config;
	/* OCI: the archive's manifest, stored as is; docker: NULL, berth makes one */
	const char *manifest_data;
	size_t manifest_len;
	char *manifest_media_type;
	char manifest_digest[BERTH_DIGEST_STR_LEN];
	char **names; /* normalised references */
	struct load_layer *layers;
	size_t n_layers;
};

struct load_ctx {
	struct berth_store *s;
	berth_progress_fn progress;
	void *opaque;
	struct load_member **members;
	size_t n_members;
	bool complete; /* every member has been seen */
	struct load_task **tasks;
	size_t n_tasks;
	size_t max_running;
	/* the plan, once the JSON members are there */
	bool planned;
	struct load_image *images;
	size_t n_images;
	/* the images in the store, whose layers a load reuses instead of unpacking */
	bool known_loaded;
	struct berth_image *known;
	size_t n_known;
};

void load_progress(struct load_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Find a member by archive path, following links (NULL when absent). */
struct load_member *load_member_find(struct load_ctx *ctx, const char *path);
/*
 * Normalise an archive path ("./a//b/../c" -> "a/c"), relative to the
 * directory dir (NULL = the top); NULL for "" or a path that leaves the top.
 */
char *load_path_normalize(const char *dir, const char *path);
/*
 * A JSON member's bytes (NUL-terminated).  Returns 1 when it has not been
 * read yet (only before the whole archive has been seen), 0, or -errno:
 * missing, not JSON, too large.
 */
int load_member_json(struct load_ctx *ctx, const char *path, const char **ret_data, size_t *ret_len,
		     struct berth_error *err);
/* The same for a blob named by a descriptor: blobs/sha256/<hex>, its digest and size (-1 = any) checked. */
int load_blob_json(struct load_ctx *ctx, const char *digest, int64_t size, const char **ret_data, size_t *ret_len,
		   struct berth_error *err);

/* "blobs/sha256/<hex>" for a valid digest (malloc'd). */
char *load_blob_path(const char *digest);
/* The digest that a "blobs/sha256/<hex>" path names (malloc'd), or NULL. */
char *load_blob_path_digest(const char *path);

/* A new image in ctx->images for this config (id, parsed config, layers with diff and chain ids). */
int load_add_image(struct load_ctx *ctx, const char *config_member, const char *data, size_t len,
		   struct load_image **ret, struct berth_error *err);
/* Add the normalised name of a reference ("busybox" -> "docker.io/library/busybox:latest"). */
int load_image_add_name(struct load_image *img, const char *ref, struct berth_error *err);
void load_image_release(struct load_image *img);

/*
 * The formats: build ctx->images from the JSON members.  0 when done, 1
 * when a member they need has not been read yet, negative on error.
 */
int load_docker_plan(struct load_ctx *ctx, struct berth_error *err);
int load_oci_plan(struct load_ctx *ctx, struct berth_error *err);
