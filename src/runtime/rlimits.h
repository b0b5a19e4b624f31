#pragma once
/* process.rlimits: applied by the container init to itself, inherited across execve(). */
#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/*
 * Set each rlimit (soft and hard) with prlimit(2).  Raising a hard limit
 * above its current value needs CAP_SYS_RESOURCE in the initial user
 * namespace; the error then names the rlimit and says so.
 */
int berth_rlimits_apply(const struct berth_oci_rlimit *r, size_t n, struct berth_error *err);
