#pragma once
/* linux.readonlyPaths: make paths of the container's root read-only (after pivot_root). */
#include "util/error.h"

/*
 * Bind every path (resolved inside root_fd) recursively onto itself and make
 * the whole new tree read-only, nosuid, nodev and noexec, so mounts below the
 * path (/proc/sys/fs/binfmt_misc) are covered too (only the top one before
 * Linux 5.12, without mount_setattr).  Missing paths are skipped.
 */
int berth_readonly_paths_apply(int root_fd, char *const *paths, struct berth_error *err);
