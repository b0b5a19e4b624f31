#pragma once
/*
 * Image metadata in SQLite (berth.db, WAL, busy timeout): images, their
 * layers, names, and unpacked layers.  Safe under concurrent berth
 * processes; a command's changes go in one IMMEDIATE transaction.
 *
 * An image is keyed by its id, the digest of its config (docker's image id).
 * A name is a full normalised reference ("docker.io/library/busybox:latest")
 * and points at one image; setting a name moves it (the old image may be
 * left untagged, "<none>").
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct berth_db;

struct berth_image_layer {
	char *chain_id;
	char *diff_id;
	char *blob_digest; /* the layer as shipped (compressed or not) */
	char *media_type;
	int64_t blob_size;
	int64_t diff_size; /* uncompressed tar size */
};

struct berth_image {
	char *id;		   /* config digest */
	char *manifest_digest;	   /* the manifest berth has for it (pulled, loaded or made) */
	char *manifest_media_type;
	char **repo_digests;	   /* "docker.io/library/busybox@sha256:…", from pulls; may be empty */
	char **names;		   /* sorted full references; may be empty */
	int64_t created;	   /* from the config, unix seconds (0 = unknown) */
	int64_t added;		   /* when berth stored it */
	int64_t size;		   /* sum of diff sizes */
	struct berth_image_layer *layers; /* bottom first */
	size_t n_layers;
};

void berth_image_release(struct berth_image *img);
void berth_image_array_free(struct berth_image *imgs, size_t n);

int berth_db_open(const char *path, struct berth_db **ret, struct berth_error *err);
void berth_db_free(struct berth_db *db);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int berth_db_begin(struct berth_db *db, struct berth_error *err);
int berth_db_commit(struct berth_db *db, struct berth_error *err);
void berth_db_rollback(struct berth_db *db);

/* Layers that are unpacked in layers/<hex>. */
int berth_db_add_layer(struct berth_db *db, const char *chain_id, const char *parent_chain_id, const char *diff_id,
		       int64_t diff_size, struct berth_error *err);
bool berth_db_has_layer(struct berth_db *db, const char *chain_id);
int berth_db_remove_layer(struct berth_db *db, const char *chain_id, struct berth_error *err);
/* Chain ids of unpacked layers that no image uses (NULL-terminated). */
int berth_db_unused_layers(struct berth_db *db, char ***ret, struct berth_error *err);

/* Insert an image with its layers, or update the manifest of an existing one; names are not touched. */
int berth_db_put_image(struct berth_db *db, const struct berth_image *img, struct berth_error *err);
/* Get by full id (-ENOENT when absent). */
int berth_db_get_image(struct berth_db *db, const char *id, struct berth_image *ret, struct berth_error *err);
/* Images whose hex id starts with prefix (NULL-terminated ids). */
int berth_db_find_by_id_prefix(struct berth_db *db, const char *hex_prefix, char ***ret, struct berth_error *err);
/* The image id a full name points at (-ENOENT). */
int berth_db_find_by_name(struct berth_db *db, const char *name, char **ret_id, struct berth_error *err);
/* All images, newest first by added. */
int berth_db_list_images(struct berth_db *db, struct berth_image **ret, size_t *ret_n, struct berth_error *err);
int berth_db_remove_image(struct berth_db *db, const char *id, struct berth_error *err);

int berth_db_set_name(struct berth_db *db, const char *name, const char *id, struct berth_error *err);
int berth_db_remove_name(struct berth_db *db, const char *name, struct berth_error *err);
int berth_db_add_repo_digest(struct berth_db *db, const char *id, const char *repo_digest, struct berth_error *err);

/* Every blob digest an image refers to: manifests, configs, layer blobs (NULL-terminated). */
int berth_db_referenced_blobs(struct berth_db *db, char ***ret, struct berth_error *err);

/* For other subsystems' tables in the same database (containers, volumes, networks). */
struct sqlite3;
struct sqlite3 *berth_db_handle(struct berth_db *db);
