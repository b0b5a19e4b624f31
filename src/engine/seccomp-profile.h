#pragma once
/*
 * The engine's default seccomp profile, equivalent in effect to docker's:
 * deny by default (EPERM), allow every syscall libseccomp knows for the
 * container's architectures except those that reach kernel-global state
 * (keyrings, modules, kexec, swap, clocks, mounts and namespaces, raw I/O,
 * NUMA policy, io_uring, ...), and allow those back when the container holds
 * the capability that guards them, as docker does.  clone() without
 * CAP_SYS_ADMIN may not create namespaces, clone3() then fails with ENOSYS
 * (libcs fall back to clone), personality() takes only the harmless domains,
 * socket() may not open AF_VSOCK.
 *
 * The profile is generated rather than embedded so that it always names the
 * syscalls the linked libseccomp knows; syscalls newer than that meet the
 * runtime's ENOSYS stub.
 */
#include <jansson.h>

/* The linux.seccomp object for a container whose bounding set is caps ("CAP_…", NULL-terminated). */
json_t *berth_seccomp_default_profile(char *const *caps);

/*
 * The syscall names libseccomp knows on the native arches, sorted: what the
 * profile starts from (a table made at build time where libseccomp is
 * linked statically), and the same asked of libseccomp now (the build, tests).
 */
char **berth_seccomp_known_syscalls(void);
char **berth_seccomp_known_syscalls_scan(void);
