#pragma once
/* linux.maskedPaths: hide paths of the container's root (after pivot_root), like runc's maskPath. */
#include "util/error.h"

/*
 * Mask every path (resolved inside root_fd): a directory gets an empty
 * read-only tmpfs (with the SELinux mount_label, may be NULL), anything else
 * gets the container's /dev/null bind mounted on it.  That /dev/null is
 * opened once without following a final symlink and must be the 1:3
 * character device, and it is that very inode which is bound, so a rootfs
 * cannot turn the mask into a bind of something else (CVE-2025-31133 class).
 * Missing paths are skipped.
 */
int berth_masked_paths_apply(int root_fd, char *const *paths, const char *mount_label, struct berth_error *err);
