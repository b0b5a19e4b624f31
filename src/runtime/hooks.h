#pragma once
/*
 * OCI lifecycle hooks (runtime-spec config.md#posix-platform-hooks).
 *
 * Each hook is spawned with posix_spawn (no threads, no fork of a large
 * address space, so it also works from the container's init process):
 *  - executable hook->path, argv = hook->args (args[0] is argv[0]) or
 *    { path } when args is absent;
 *  - environment hook->env, or when it is absent (NULL) the runtime's own
 *    environment, as runc does (a present but empty env gives an empty one);
 *  - stdin: the container state JSON through a pipe; a hook that exits
 *    without reading it is fine;
 *  - stdout and stderr: captured (as runc does) and quoted in the error when
 *    the hook fails, up to a few KiB each; discarded on success;
 *  - signal dispositions and mask reset to defaults; no fd other than 0, 1,
 *    2 is passed on (the runtime keeps everything else O_CLOEXEC);
 *  - hook->timeout: the hook is killed with SIGKILL when it runs longer.
 * Hooks run in order; the first failure stops the list.  Once the hook
 * itself has exited it is not waited for further, so a daemon it leaves
 * behind holding its stdout cannot hang the runtime.
 *
 * The caller must not have SIGCHLD set to SIG_IGN (the hook is reaped with
 * waitpid).  SIGPIPE is ignored for the duration of the call.
 */
#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/* Maximum bytes of a hook's stdout and of its stderr quoted in an error. */
#define BERTH_HOOK_OUTPUT_MAX 4096

/*
 * Run hooks[0..n) with state_json on their stdin.  kind_name ("prestart",
 * "createRuntime", ...) names the list in messages:
 *	prestart hook `/usr/bin/x`: exit status 2, stderr: no such network
 *	poststop hook `/usr/bin/x`: timed out after 5 seconds
 *	createRuntime hook `/nope`: execute: No such file or directory
 */
int berth_hooks_run(const struct berth_oci_hook *hooks, size_t n, const char *state_json, const char *kind_name,
		    struct berth_error *err);
