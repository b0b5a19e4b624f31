#pragma once
/*
 * The container root filesystem, built by the container's init in its new
 * mount namespace, in the order of runc's prepareRootfs/finalizeRootfs:
 *
 *	berth_rootfs_prepare()      propagation, rootfs bind, config mounts, /dev
 *	  (createContainer hooks)
 *	berth_rootfs_pivot()        pivot_root (or MS_MOVE + chroot)
 *	berth_rootfs_finalize()     /dev and / read-only, sysctls, readonlyPaths,
 *	                            maskedPaths, rootfsPropagation
 *	berth_rootfs_bind_console() when process.terminal, at any time after pivot
 *
 * Every path of the config is resolved inside the rootfs (see mounts.h): a
 * rootfs full of hostile symlinks cannot make berth create or mount anything
 * outside it.
 */
#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

struct berth_rootfs_options {
	bool in_userns;    /* we are root in a user namespace: device nodes are bind mounts of the host's */
	bool new_cgroupns; /* the container has its own cgroup namespace: cgroup filesystems are mounted fresh */
	bool new_netns;    /* not the host's network namespace: sysfs can be mounted fresh in a user namespace */
};

/*
 * Build the root filesystem at rootfs (an absolute host path) from the
 * config, before pivot_root.  Call in the container's new mount namespace
 * (and user namespace, with the id maps written), after the init process was
 * put in its cgroup.  A relative bind-mount source is taken relative to the
 * current directory (the bundle, as in runc).
 *
 * Steps: make every mount a slave (or linux.rootfsPropagation) so nothing
 * propagates to the host; make the parent mount of rootfs private when it is
 * shared (pivot_root needs it); bind rootfs onto itself; mount the config's
 * mounts in order; when /dev is not a bind mount, create the default devices
 * (null, zero, full, random, urandom, tty), linux.devices, the /dev/fd,
 * stdin, stdout, stderr, core and ptmx symlinks; when process.terminal, an
 * empty /dev/console for berth_rootfs_bind_console().
 *
 * Per mount type, following runc:
 *   bind/rbind   (an option, or the type) open_tree of the host source, then
 *                the flags with mount_setattr; a destination is a directory
 *                or a file like the source
 *   proc, sysfs  only on a real directory (not a symlink), and checked to be
 *                procfs/sysfs once mounted; sysfs in a user namespace without
 *                its own network namespace (or when refused with EPERM) is a
 *                recursive bind of the host's /sys, read-only etc. throughout
 *   cgroup       cgroup2 host: a fresh cgroup2 with a new cgroup namespace,
 *                else a bind of our own cgroup; v1 host: a tmpfs holding one
 *                directory per hierarchy, fresh in a new cgroup namespace,
 *                else binds of our own cgroup, plus symlinks for co-mounted
 *                controllers ("cpu" -> "cpu,cpuacct")
 *   mqueue       refused with EPERM in a user namespace: the host's /dev/mqueue
 *   tmpfs        keeps the mode of the directory it covers unless mode= is
 *                given; "tmpcopyup" copies the directory's contents up
 *   anything else by name, options as fsconfig(2) parameters
 * Nothing may be mounted on /proc but procfs, nor inside /proc but the files
 * lxcfs emulates (runc's checkProcMount).  A /dev mount with "ro" is mounted
 * read-write and made read-only by berth_rootfs_finalize().
 */
int berth_rootfs_prepare(const struct berth_oci_config *cfg, const char *rootfs, const struct berth_rootfs_options *opts,
			 struct berth_error *err);

/*
 * Make rootfs the root: pivot_root(".", ".") in it and detach the old root
 * (made a recursive slave first, so the unmount cannot reach the host).  With
 * no_pivot (runc --no-pivot, for ramfs roots): hide the host's full proc and
 * sysfs mounts, MS_MOVE rootfs onto "/" and chroot.  The working directory is
 * "/" afterwards.
 */
int berth_rootfs_pivot(const char *rootfs, bool no_pivot, struct berth_error *err);

/*
 * After the pivot: remount /dev read-only if its config mount asked for ro;
 * remount / read-only for root.readonly; write linux.sysctl (validated as in
 * berth_sysctl_validate(), without the host netns check); bind each
 * readonlyPath onto itself read-only, nosuid, nodev, noexec; mask each
 * maskedPath (an empty read-only tmpfs on a directory, the container's
 * /dev/null, verified to be the 1:3 character device, on anything else);
 * finally apply linux.rootfsPropagation to "/".  Missing readonly and masked
 * paths are skipped.
 */
int berth_rootfs_finalize(const struct berth_oci_config *cfg, struct berth_error *err);

/*
 * Bind the terminal slave (slave_path, e.g. "/dev/pts/0", in the container's
 * root) onto /dev/console, after the pivot.  The slave must be a character
 * device; /dev/console must not be a symlink (it is created if missing).
 */
int berth_rootfs_bind_console(const char *slave_path, struct berth_error *err);
