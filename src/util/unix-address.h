#pragma once
/*
 * An AF_UNIX address for a path of any length: sun_path holds 108 bytes,
 * and deep roots (a store under a test's temp dir) make longer socket paths.
 * Those go through an O_PATH fd of the socket's directory,
 * "/proc/self/fd/N/name", which bind() and connect() resolve like the path.
 */
#include <sys/un.h>

#include "error.h"

/* Fill addr for path; *ret_dirfd (-EBADF when unused) must stay open until bind() or connect() is done. */
int berth_unix_address(const char *path, struct sockaddr_un *addr, int *ret_dirfd, struct berth_error *err);
