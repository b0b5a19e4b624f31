#pragma once
/* Shared between the image operations (image.c, prune.c, import.c, bootstrap.c, inspect.c); not an API. */
#include <stdbool.h>
#include <stdint.h>

#include "image.h"

/*
 * berth_image_resolve() that also says how the image was found: the full
 * name it matched (NULL when found by id, id prefix or digest).
 */
int berth_image_resolve_name(struct berth_store *s, const char *ref, struct berth_image *ret, char **ret_name,
			     struct berth_error *err);

/* The image is mounted by `berth image mount` (its layers must stay). */
bool berth_image_is_mounted(struct berth_store *s, const char *id);

/* docker's familiar form of a full name: "busybox:latest", "localhost/x:1" (malloc'd). */
char *berth_image_familiar_name(const char *name);

/*
 * After images were deleted (under the exclusive lock): remove the unpacked
 * layers and blobs that no image uses any more.  only_layers/only_blobs
 * (NULL-terminated) restrict it to those candidates (rmi); NULL = all (prune).
 * Adds "Deleted: <chain id>" lines (prefix "Deleted: " or "deleted: ") and
 * the bytes freed.
 */
int berth_image_collect_garbage(struct berth_store *s, char *const *only_layers, char *const *only_blobs,
				const char *line_prefix, char ***lines, uint64_t *reclaimed, struct berth_error *err);

/*
 * berth_image_import() with a fixed creation time (created >= 0, unix
 * seconds; -1 = now) and history text, for reproducible images (bootstrap).
 */
int berth_image_import_full(struct berth_store *s, int fd, const char *name, char *const *changes, const char *message,
			    int64_t created, const char *created_by, char **ret_id, struct berth_error *err);

/* "2006-01-02T15:04:05.999999999Z07:00" -> unix seconds; -EINVAL on junk. */
int berth_parse_rfc3339(const char *s, int64_t *ret);
