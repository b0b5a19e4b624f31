/*
 * An include guard rather than #pragma once: see the end of the file.
 */
#ifndef BERTH_RUNTIME_SECCOMP_H
#define BERTH_RUNTIME_SECCOMP_H
/*
 * OCI seccomp profiles, compiled in the runtime (parent) and installed by the
 * container init right before execve().
 *
 * berth_seccomp_compile() turns linux.seccomp into a classic BPF program with
 * libseccomp and exports it, so the init only has to make one seccomp(2)
 * call: no libseccomp state, no allocation and no syscall-name lookups happen
 * in the container.  The semantics follow runc:
 *
 *  - KILL and KILL_THREAD are SECCOMP_RET_KILL_THREAD; ERRNO and TRACE return
 *    errnoRet, EPERM when it is absent; TRAP ignores errnoRet.
 *  - A rule whose action equals the default action is redundant and skipped.
 *  - Syscall names unknown to this libseccomp are skipped (the profile may be
 *    newer than the library).
 *  - Several args on the same index make one rule per arg (any of them
 *    matching triggers the action); otherwise the args are AND-ed in one rule.
 *  - NOTIFY may not be the default action nor apply to write(2) (the init
 *    writes the listener fd to its parent after installing the filter).
 *  - A syscall from an architecture that is not in the filter gets
 *    libseccomp's bad-arch action (kill), never the default action.
 *  - Unless the default action is ALLOW, LOG or TRACE, or defaultErrnoRet is
 *    already ENOSYS, a stub is prepended (runc's patchbpf) that returns
 *    ENOSYS for syscall numbers above the highest one the profile names, per
 *    listed architecture (x86_64 and x32 told apart by __X32_SYSCALL_BIT):
 *    such syscalls are newer than the profile, and ENOSYS makes libcs fall
 *    back to older calls where EPERM would be fatal.
 */
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/*
 * A compiled filter.  Plain data (no pointers into libseccomp): it survives
 * clone() and fork() and can be serialised (flags, n_insns, insns) to a pipe.
 */
struct berth_seccomp_filter {
	unsigned int flags;      /* SECCOMP_FILTER_FLAG_* for seccomp(2), NEW_LISTENER included */
	size_t n_insns;          /* <= BPF_MAXINSNS */
	struct sock_filter *insns;
};

/* Compile an OCI seccomp profile.  Free the result with berth_seccomp_filter_free(). */
int berth_seccomp_compile(const struct berth_oci_seccomp *s, struct berth_seccomp_filter **ret,
			  struct berth_error *err);

/*
 * berth_seccomp_compile() through a cache of compiled filters in the
 * runtime's root directory (root_fd; seccomp-cache.c): a profile compiled
 * before is read back instead.  root_fd < 0 compiles without the cache; a
 * cache that cannot be read or written only costs the compile.
 */
int berth_seccomp_compile_cached(const struct berth_oci_seccomp *s, int root_fd, struct berth_seccomp_filter **ret,
				 struct berth_error *err);

/* True when installing the filter creates a user-notification listener fd. */
bool berth_seccomp_filter_has_listener(const struct berth_seccomp_filter *f);

/*
 * Load the filter into the calling thread with seccomp(SECCOMP_SET_MODE_FILTER)
 * and the flags chosen at compile time.  The caller needs no_new_privs or
 * CAP_SYS_ADMIN.  *ret_listener_fd receives the notification fd (O_CLOEXEC)
 * when the profile has a NOTIFY rule, -EBADF otherwise; ret_listener_fd may be
 * NULL when the caller has no use for it (the fd is then closed).
 * Async-signal-safe apart from building an error message on failure.
 */
int berth_seccomp_install(const struct berth_seccomp_filter *f, int *ret_listener_fd, struct berth_error *err);

void berth_seccomp_filter_free(struct berth_seccomp_filter *f);

static inline void berth_seccomp_filter_freep(struct berth_seccomp_filter **f)
{
	berth_seccomp_filter_free(*f);
}

#elif defined(BERTH_SECCOMP_WANT_LIBSECCOMP)
/*
 * Meson puts src/runtime on the include path of the files in it, so
 * <seccomp.h> there finds this header rather than libseccomp's.  seccomp.c
 * defines BERTH_SECCOMP_WANT_LIBSECCOMP before including <seccomp.h>, and
 * gets forwarded to the next <seccomp.h> on the path, libseccomp's.
 */
#include_next <seccomp.h>
#endif
