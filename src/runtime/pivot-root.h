#pragma once
/* Switching the root of the mount namespace to the container's rootfs. */
#include "util/error.h"

/*
 * pivot_root(".", ".") inside rootfs (a mount point), then make the old root,
 * now stacked under the new one, a recursive slave so the unmount does not
 * propagate to the host, and detach it.  The working directory ends as "/".
 */
int berth_pivot_root(const char *rootfs, struct berth_error *err);

/*
 * For roots pivot_root cannot handle (ramfs): hide the host's full proc and
 * sysfs mounts outside rootfs (the kernel allows new proc/sysfs mounts only
 * while a full one is visible; a chroot does not hide them), then MS_MOVE
 * rootfs onto "/" and chroot into it, as runc --no-pivot.
 */
int berth_pivot_move_root(const char *rootfs, struct berth_error *err);
