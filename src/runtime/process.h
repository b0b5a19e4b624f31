#pragma once
/*
 * The last steps of the container init, after the rootfs is set up and
 * pivoted, right before execve() of process.args.
 */
#include <stdbool.h>

#include "oci/config.h"
#include "runtime/seccomp.h"
#include "util/error.h"

/*
 * Run, in this order (runc's standard init):
 *
 *  1. rlimits
 *  2. seccomp, when a filter is given and noNewPrivileges is false: loading a
 *     filter without no_new_privs needs CAP_SYS_ADMIN, so while still privileged
 *  3. chdir(cwd), first try (as the runtime's user, like runc)
 *  4. drop the bounding set, keep-caps on, setgroups/setresgid/setresuid/umask
 *     (setgroups skipped when in_userns and /proc/self/setgroups is "deny")
 *  5. chdir(cwd) again if the first try got EACCES/EPERM (now as the container
 *     user); then check the cwd is inside the container root (CVE-2024-21626)
 *  6. keep-caps off, capset effective/permitted/inheritable, ambient
 *  7. PR_SET_NO_NEW_PRIVS when noNewPrivileges
 *  8. seccomp, when a filter is given and noNewPrivileges is true: as late as
 *     possible, so the profile need allow as few init syscalls as possible
 *
 * No "capabilities" in the config means no capabilities at all (as runc).
 * cwd is resolved with RESOLVE_NO_MAGICLINKS, so a /proc/self/fd/N path can
 * not lead out of the (already pivoted) root through a leaked fd.
 * The process stays non-dumpable (execve() resets dumpability itself).
 * After this, resolve args[0] with berth_process_find_executable() (as the
 * container user) and execve().
 */
int berth_process_finalize(const struct berth_oci_process *p, const struct berth_seccomp_filter *filter, bool in_userns,
			   struct berth_error *err);

/*
 * As berth_process_finalize(); *ret_listener_fd (may be NULL) receives the
 * seccomp user-notification fd when the filter has NOTIFY rules, else -EBADF.
 * The caller passes it to the runtime before execve (the filter lets write(2)
 * through for that purpose).
 */
int berth_process_finalize_full(const struct berth_oci_process *p, const struct berth_seccomp_filter *filter,
				bool in_userns, int *ret_listener_fd, struct berth_error *err);

/*
 * Resolve args[0] the way runc does (Go's exec.LookPath): a name with a slash
 * is used as is; otherwise each entry of PATH taken from env (the process
 * environment, the last PATH= wins; none means no search path, not the
 * runtime's own PATH) is tried, an empty entry meaning ".".  A candidate must
 * be a non-directory that faccessat(X_OK, AT_EACCESS) accepts.  Not found:
 * ENOENT with `exec: "foo": executable file not found in $PATH`.
 */
int berth_process_find_executable(const char *arg0, char *const *env, char **ret_path, struct berth_error *err);

/* Write value to /proc/self/oom_score_adj (lowering it needs CAP_SYS_RESOURCE). */
int berth_oom_score_adj_apply(int value, struct berth_error *err);
