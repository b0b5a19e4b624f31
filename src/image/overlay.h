#pragma once
/*
 * A container's root filesystem from an image: an overlayfs mount whose
 * lower layers are layers/<chain-hex> (top first) and whose upper/work dirs
 * belong to the container, made with the new mount API (fsopen/fsconfig/
 * fsmount/move_mount).  Lower dirs are passed relative to layers/ (the mount
 * is set up with that as the working directory) to stay within the one-page
 * option limit; this allows about 55 layers.
 *
 * Where overlayfs cannot be used (no module, or an upper dir on a
 * filesystem it refuses), the fallback is the "vfs" way: the layers are
 * copied, bottom first, into the upper dir itself, applying whiteouts, and
 * that directory is bind-mounted.  berth_overlay_mount() says which it did.
 */
#include <stdbool.h>
#include <stddef.h>

#include "store.h"

enum berth_rootfs_driver {
	BERTH_ROOTFS_OVERLAY,
	BERTH_ROOTFS_COPY,
};

/*
 * Mount the layers (chain ids, bottom first) at target.  upper_dir and
 * work_dir (absolute, on one filesystem; created when missing) make it
 * writable; both NULL mounts it read-only.  $BERTH_ROOTFS_DRIVER=copy
 * forces the fallback.
 */
int berth_overlay_mount(struct berth_store *s, char *const *chain_ids, size_t n, const char *upper_dir,
			const char *work_dir, const char *target, enum berth_rootfs_driver *ret_driver,
			struct berth_error *err);
/*
 * BERTH_OVERLAY_VOLATILE: overlayfs's "volatile" (Linux 5.10; ignored
 * before): no sync of the upper filesystem, neither for fsync() in the
 * container nor at unmount, where overlayfs otherwise syncs the whole
 * filesystem the upper dir is on (milliseconds, far more when it is busy).
 * For containers whose writes go with them (--rm), as podman does.
 */
#define BERTH_OVERLAY_VOLATILE (1U << 0)

/* berth_overlay_mount() with BERTH_OVERLAY_* flags. */
int berth_overlay_mount_flags(struct berth_store *s, char *const *chain_ids, size_t n, const char *upper_dir,
			      const char *work_dir, const char *target, unsigned flags,
			      enum berth_rootfs_driver *ret_driver, struct berth_error *err);

/* Detach the mount at target (MNT_DETACH); a target that is not mounted is fine. */
int berth_overlay_umount(const char *target, struct berth_error *err);
