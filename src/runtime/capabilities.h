#pragma once
/*
 * Process capabilities of the container init, in the order that works
 * around the switch to the container user (as runc does):
 *
 *	berth_capabilities_apply_bounding(caps)   needs CAP_SETPCAP, so first
 *	berth_capabilities_set_keepcaps(true)     keep permitted across setuid
 *	berth_user_apply(...)                     setgroups/setresgid/setresuid
 *	berth_capabilities_set_keepcaps(false)
 *	berth_capabilities_apply(caps)            capset E/P/I, then ambient
 *
 * berth_process_finalize() runs exactly this sequence.  Capability numbers
 * above the running kernel's last capability are ignored everywhere, so a
 * config written for a newer kernel still works.
 */
#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/* The kernel's highest capability number (/proc/sys/kernel/cap_last_cap, else probed), at most 63. */
int berth_capabilities_last_cap(void);

/* Drop from the bounding set every capability that caps->bounding lacks (requires CAP_SETPCAP). */
int berth_capabilities_apply_bounding(const struct berth_oci_capabilities *caps, struct berth_error *err);

/* prctl(PR_SET_KEEPCAPS): keep the permitted set when all uids become non-zero. */
int berth_capabilities_set_keepcaps(bool keep, struct berth_error *err);

/*
 * Set the effective, permitted and inheritable sets to exactly the config's
 * (capset via libcap), then clear the ambient set and raise each ambient
 * capability.  Sets the config leaves empty end empty.  As in runc, an
 * ambient capability that cannot be raised (not in both the permitted and
 * inheritable sets) is skipped rather than fatal, and a kernel without
 * ambient capabilities is tolerated.
 */
int berth_capabilities_apply(const struct berth_oci_capabilities *caps, struct berth_error *err);
