#pragma once
/*
 * CVE-2019-5736: a container process must never be able to open the
 * runtime's own binary (/proc/PID/exe) for writing.  Commands that put a
 * process into a container first re-execute the runtime from a sealed
 * version of itself, so /proc/self/exe of every runtime process that a
 * container can see cannot be written: the binary seen through a private,
 * detached, read-only overlayfs mount (runc 1.2's way: no copy, ~0.1 ms),
 * or where that cannot be had, a sealed memfd copy (a few ms per MB).
 */
#include "util/error.h"

/*
 * If /proc/self/exe is not already sealed, re-execute it sealed with the
 * same argv and environment.  Returns only on error or when already running
 * from a sealed version.
 */
int berth_cloned_binary_ensure(char **argv, struct berth_error *err);

/* Whether /proc/self/exe is sealed: a fully sealed memfd, or our overlay. */
int berth_cloned_binary_is_sealed(void);
