#pragma once
/*
 * Device nodes and the standard symlinks in the container's /dev, made before
 * pivot_root like runc's createDevices/setupPtmx/setupDevSymlinks.  Paths are
 * resolved inside the rootfs, so a /dev that is a symlink (even to "/../..")
 * only ever leads somewhere inside the rootfs.
 */
#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/*
 * Create the default devices (null, zero, full, random, urandom, tty, mode
 * 0666, root-owned; a linux.devices entry with the same path replaces one),
 * then linux.devices, then /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr,
 * /dev/core (if the host has /proc/kcore) and /dev/ptmx -> pts/ptmx.
 * root_fd is the rootfs.  In a user namespace, where mknod is not allowed,
 * each node is an empty file with the host's node of the same path bind
 * mounted on it; outside one, mknod failing with EPERM falls back to that.
 */
int berth_devices_setup(int root_fd, const struct berth_oci_config *cfg, bool in_userns, struct berth_error *err);

/*
 * Create one device node at dev->path inside root_fd (missing directories
 * included).  As in runc, an entry the rootfs already has is kept (a bind
 * mount goes on top of a file, a symlink is left alone): it only shapes the
 * container's own view, and berth_masked_paths_apply() verifies /dev/null
 * before it relies on it.
 */
int berth_device_create(int root_fd, const struct berth_oci_device *dev, bool bind, struct berth_error *err);
