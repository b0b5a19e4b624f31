#pragma once
/*
 * linux.sysctl: only namespaced keys, written to the container's /proc/sys.
 *
 * Validation follows runc's config validator: kernel.msgmax, kernel.msgmnb,
 * kernel.msgmni, kernel.sem, kernel.shmall, kernel.shmmax, kernel.shmmni,
 * kernel.shm_rmid_forced and fs.mqueue.* need an ipc namespace entry; net.*
 * needs a network namespace that is not the host's; kernel.hostname and
 * kernel.domainname need a uts namespace.  Anything else fails with
 * "sysctl `x` is not in a separate kernel namespace".  A key may use "/" as
 * separator (then "." is literal: "net/ipv4/conf/eth0.100/forwarding").
 */
#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/*
 * Validate cfg->linux_.sysctls against cfg->linux_.namespaces.  Call in the
 * runtime before creating the container: a network namespace path is
 * compared with the caller's own network namespace to tell the host's.
 */
int berth_sysctl_validate(const struct berth_oci_config *cfg, struct berth_error *err);

/*
 * Validate (without the host network namespace check, which only the runtime
 * can do) and write every sysctl below proc_fd, an fd of the container's
 * /proc (checked to be procfs), without following symlinks.
 */
int berth_sysctl_apply(int proc_fd, const struct berth_oci_config *cfg, struct berth_error *err);
