#pragma once
/* process.user: switch the container init to the configured user. */
#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/*
 * setgroups(additionalGids) (skipped when !setgroups_allowed, i.e. a user
 * namespace whose /proc/PID/setgroups says "deny"; an empty list clears the
 * runtime's groups), then setresgid and setresuid to the configured ids, then
 * umask (0022 when the config sets none, like runc).  To keep capabilities
 * across the uid change, set keep-caps first (see capabilities.h).
 */
int berth_user_apply(const struct berth_oci_user *u, bool setgroups_allowed, struct berth_error *err);

/* Whether /proc/self/setgroups allows setgroups(2) ("allow", or no such file outside a user namespace). */
bool berth_user_setgroups_allowed(void);
