#pragma once
/*
 * docker's -u/--user against the image's own /etc/passwd and /etc/group,
 * read inside the container root (openat2 RESOLVE_IN_ROOT: a symlinked
 * /etc/passwd cannot point at the host's).
 *   "name", "uid", "name:group", "uid:gid", "name:gid", …
 * A numeric uid need not exist (docker allows it; its gid is then 0 unless
 * passwd has it).  The user's supplementary groups come from /etc/group.
 */
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct berth_user {
	uint32_t uid, gid;
	uint32_t *groups; /* supplementary, malloc'd */
	size_t n_groups;
};

/* spec NULL or "" = the image's user (root). */
int berth_user_resolve(int rootfs_fd, const char *spec, struct berth_user *ret, struct berth_error *err);
void berth_user_release(struct berth_user *u);
