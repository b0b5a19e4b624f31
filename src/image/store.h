#pragma once
/*
 * The image store under one root (default /var/lib/berth):
 *
 *   oci-layout, index.json   OCI image-layout files (index.json lists named images)
 *   blobs/sha256/<hex>       content-addressed blobs: manifests, configs, layers as shipped
 *   layers/<chain-hex>/      one unpacked layer per chain id, whiteouts in overlay form
 *   tmp/                     temp files and dirs; same filesystem, so rename() publishes
 *   berth.db                 SQLite (WAL): names, images, layers (image-db.h)
 *   lock                     flock: shared while adding, exclusive while removing
 *
 * Writers publish with rename() after fsync, so a crash leaves only tmp/
 * litter, which the next exclusive locker sweeps.
 */
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct berth_db;

/* Limits on one layer's uncompressed tar stream (gzip bombs); 0 = no limit. */
struct berth_unpack_limits {
	uint64_t max_size;
	uint64_t max_entries;
};

struct berth_store {
	char *root;     /* absolute */
	char *run_root; /* /run/berth: runtime state, mounts */
	int root_fd;
	int blobs_fd;  /* blobs/sha256 */
	int layers_fd; /* layers */
	int tmp_fd;    /* tmp */
	int lock_fd;   /* lock, flock()ed */
	struct berth_db *db;
	struct berth_unpack_limits limits;
};

#define BERTH_DEFAULT_ROOT "/var/lib/berth"
#define BERTH_DEFAULT_RUN_ROOT "/run/berth"

/*
 * Open (creating on first use) the store.  root/run_root NULL = $BERTH_ROOT /
 * $BERTH_RUN_ROOT or the defaults.  Limits come from $BERTH_MAX_LAYER_SIZE
 * (bytes, with an optional K/M/G/T suffix; default 64G) and
 * $BERTH_MAX_LAYER_ENTRIES (default 4194304).  Takes the lock shared.
 */
int berth_store_open(const char *root, const char *run_root, struct berth_store **ret, struct berth_error *err);
void berth_store_free(struct berth_store *s);
static inline void berth_store_freep(struct berth_store **s)
{
	if (*s)
		berth_store_free(*s);
}

/* Upgrade the store lock to exclusive (rmi, prune) and sweep tmp/. Blocks while others add. */
int berth_store_lock_exclusive(struct berth_store *s, struct berth_error *err);

/* Make a fresh directory under tmp/ (mode 0700); ret_name is relative to tmp_fd. */
int berth_store_mkdtemp(struct berth_store *s, char **ret_name, struct berth_error *err);

/* Rewrite index.json from the database (OCI image layout: one entry per name). */
int berth_store_write_index(struct berth_store *s, struct berth_error *err);

/* Parse "123", "10K", "1.5G" style sizes (powers of 1024); -EINVAL on junk. */
int berth_parse_size(const char *s, uint64_t *ret);
