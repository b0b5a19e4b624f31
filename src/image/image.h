#pragma once
/*
 * Image operations over the store: the library side of `berth images`,
 * `rmi`, `tag`, `inspect`, `history`, `load`, `save`, `import`, `prune` and
 * `image bootstrap`.  Each is one transaction: it completes, or it leaves
 * the store as it was (blobs and layers it added are garbage for prune).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "image-db.h"
#include "manifest.h"
#include "store.h"

/*
 * Find an image by name (normalised; a short name also matches
 * "localhost/<name>"), name@digest, full id, or a unique id prefix
 * (at least 3 hex digits; "sha256:" optional).
 */
int berth_image_resolve(struct berth_store *s, const char *ref, struct berth_image *ret, struct berth_error *err);

int berth_image_tag(struct berth_store *s, const char *src, const char *dst, struct berth_error *err);

/*
 * rmi: a name removes that name and, when it was the last one, the image;
 * an id removes the image when it has at most one name (or force).
 * ret_lines gets docker's "Untagged: …" / "Deleted: …" lines.
 */
int berth_image_remove(struct berth_store *s, const char *ref, bool force, char ***ret_lines, struct berth_error *err);

/* Remove images with no name (all: also unused named images), then unused layers, blobs and tmp/ litter. */
int berth_image_prune(struct berth_store *s, bool all, char ***ret_deleted, uint64_t *ret_reclaimed,
		      struct berth_error *err);

/* docker image inspect's JSON object for one image. */
int berth_image_inspect(struct berth_store *s, const struct berth_image *img, json_t **ret, struct berth_error *err);
/* The config's history, newest first, with the layer sizes (docker history). */
int berth_image_history(struct berth_store *s, const struct berth_image *img, json_t **ret, struct berth_error *err);

/* Progress lines for load/import/pull ("Copying blob sha256:…", …); may be NULL. */
typedef void (*berth_progress_fn)(void *opaque, const char *line);

/*
 * Load a docker-archive (docker/podman save) or an OCI archive (skopeo
 * oci-archive:), plain or gzip-compressed, from fd.  Layers unpack in
 * parallel while being read.  ret_loaded gets "Loaded image: NAME" /
 * "Loaded image ID: sha256:…" lines.
 */
int berth_image_load(struct berth_store *s, int fd, berth_progress_fn progress, void *opaque, char ***ret_loaded,
		     struct berth_error *err);

/* Write a docker-archive of the images (names keep their tags) to out_fd: loadable by docker, podman, skopeo. */
int berth_image_save(struct berth_store *s, char *const *refs, int out_fd, struct berth_error *err);

/*
 * A rootfs tarball (plain, gzip or zstd) as a one-layer image; name may be
 * NULL (untagged).  changes: NULL-terminated Dockerfile-like "CMD …",
 * "ENV k=v", "WORKDIR /x", "ENTRYPOINT …", "EXPOSE 80", "USER u" (docker import -c).
 */
int berth_image_import(struct berth_store *s, int fd, const char *name, char *const *changes, const char *message,
		       char **ret_id, struct berth_error *err);

/*
 * The built-in default image: a one-layer busybox image made from the
 * host's static busybox (busybox_path NULL = /bin/busybox, which must be
 * statically linked), with its applets linked, /etc/passwd and /etc/group,
 * and CMD ["sh"].  Reproducible: the same busybox gives the same image id.
 */
int berth_image_bootstrap(struct berth_store *s, const char *busybox_path, const char *name, char **ret_id,
			  struct berth_error *err);
