#pragma once
/* User namespace id mappings, written by the runtime for the init. */
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* Write /proc/PID/uid_map and gid_map from the config (the runtime is root in the parent namespace). */
int berth_idmap_write(pid_t pid, const struct berth_oci_linux *l, struct berth_error *err);

/* Format mappings as the kernel wants them ("cid hid size\n" lines); pure, for tests. */
char *berth_idmap_format(const struct berth_oci_id_mapping *m, size_t n);
