#pragma once
/*
 * Volumes, docker's "local" driver:
 *
 *   <root>/volumes/<name>/_data    what containers mount (the Mountpoint)
 *
 * and a row per volume in the store's SQLite database (name, labels,
 * created time, anonymous or not), plus a row per (volume, container) use,
 * so that a volume some container still references, running or not, cannot
 * be removed ("volume is in use"), and `rm -v` / `--rm` know the container's
 * anonymous volumes.  Anonymous volumes (`-v /path`, the image's VOLUMEs)
 * get a random 64-hex name and the label com.docker.volume.anonymous, as
 * docker 23+ gives them.
 *
 * A volume is created, found in use and removed inside SQLite write
 * transactions, so `volume rm` and a `run` that takes the volume never both
 * win.  A volume a container mounts is pre-filled from the image's content
 * at the mount point when the volume is empty, like docker.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "engine/engine.h"
#include "engine/run-options.h"
#include "util/error.h"

/* The label docker 23+ puts on anonymous volumes; `volume prune` without -a removes only those. */
#define BERTH_VOLUME_ANONYMOUS_LABEL "com.docker.volume.anonymous"

struct berth_volume {
	char *name;
	char *driver;     /* "local" */
	char *mountpoint; /* <root>/volumes/<name>/_data */
	int64_t created;  /* unix ns */
	char **labels;    /* "k=v", sorted by key */
	bool anonymous;
	char **users;     /* ids of the containers that reference it (berth_volume_list, _get) */
};

void berth_volume_release(struct berth_volume *v);
void berth_volume_array_free(struct berth_volume *v, size_t n);

/* Create the tables if needed (idempotent, safe under concurrency); berth_engine_open() calls it. */
struct berth_db;
int berth_volume_db_init(struct berth_db *db, struct berth_error *err);

/* docker's local volume name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool berth_volume_name_valid(const char *name);

/*
 * Create a named volume (name NULL: an anonymous one, random name).  An
 * existing volume of that name is not an error: it is returned as is, as
 * docker does.  labels: "k=v" or "k".
 */
int berth_volume_create(struct berth_engine *e, const char *name, char *const *labels, struct berth_volume *ret,
			struct berth_error *err);

/* By exact name: -ENOENT "No such volume: NAME". */
int berth_volume_get(struct berth_engine *e, const char *name, struct berth_volume *ret, struct berth_error *err);

/* Every volume, sorted by name, with its users. */
int berth_volume_list(struct berth_engine *e, struct berth_volume **ret, size_t *ret_n, struct berth_error *err);

/*
 * Remove a volume no container references: -EBUSY "remove NAME: volume is
 * in use - [ID, …]", -ENOENT "No such volume: NAME".
 */
int berth_volume_remove(struct berth_engine *e, const char *name, struct berth_error *err);

/*
 * Remove the volumes no container references: anonymous ones, or all with
 * all.  Appends the removed names to *ret_names and adds their size in
 * bytes to *ret_space.
 */
int berth_volume_prune(struct berth_engine *e, bool all, char ***ret_names, uint64_t *ret_space,
		       struct berth_error *err);

/* Bytes used by the volume's files (du-like: allocated blocks); -1 when unknown. */
int64_t berth_volume_size(const struct berth_volume *v);

/* docker volume inspect's object: Name, Driver, Mountpoint, CreatedAt, Labels, Scope, Options. */
json_t *berth_volume_inspect_json(const struct berth_volume *v);

/*
 * For `create`: turn the volume mounts of in[0..n_in) (kind VOLUME, source
 * a name or NULL for an anonymous volume) and the image's VOLUMEs that no
 * mount covers into bind mounts of volume directories, creating the volumes
 * that do not exist yet and recording that container id uses them.  An
 * empty volume is filled from what the image has at the mount point
 * (root_fd: the container's root, mounted; < 0: no filling).  *ret is a new array with its
 * own strings (berth_volume_mounts_free()), the other mounts copied as they
 * are.
 */
int berth_volume_prepare_mounts(struct berth_engine *e, const char *id, int root_fd, json_t *image_config,
				const struct berth_mount_spec *in, size_t n_in, struct berth_mount_spec **ret,
				size_t *ret_n, struct berth_error *err);
void berth_volume_mounts_free(struct berth_mount_spec *m, size_t n);

/*
 * For `rm`: forget that container id uses volumes; with remove_anonymous,
 * also remove its anonymous volumes no other container references.
 */
int berth_volume_release_ctr(struct berth_engine *e, const char *id, bool remove_anonymous, struct berth_error *err);

/*
 * docker inspect's "Mounts" of a container from its resolved mounts (what
 * berth_volume_prepare_mounts() returned): volumes by name, binds, tmpfs.
 */
json_t *berth_volume_mounts_json(const struct berth_engine *e, const struct berth_mount_spec *m, size_t n);
