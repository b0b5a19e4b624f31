#pragma once
/*
 * CVE-2019-5736: a container process must never be able to open the
 * runtime's own binary (/proc/PID/exe) for writing.  Commands that put a
 * process into a container first re-execute the runtime from a sealed
 * memfd copy of itself, so /proc/self/exe of every runtime process that a
 * container can see is an immutable anonymous file, not the on-disk binary.
 */
#include "util/error.h"

/*
 * If /proc/self/exe is not already a sealed memfd, copy it into one and
 * fexecve() it with the same argv and environment.  Returns only on error
 * or when already running from a sealed copy.
 */
int berth_cloned_binary_ensure(char **argv, struct berth_error *err);

/* Whether /proc/self/exe is a fully sealed memfd. */
int berth_cloned_binary_is_sealed(void);
