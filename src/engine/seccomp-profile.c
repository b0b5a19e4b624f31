#include "engine/seccomp-profile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

#include "util/cleanup.h"
#include "util/strv.h"

/*
 * Syscalls kept out of the allow list, with the capability that lets them
 * back in (NULL: never, in the default profile).  A syscall may appear on
 * several lines: any of the capabilities lifts it.
 */
static const struct {
	const char *name;
	const char *cap;
} guarded[] = {
	/* kernel keyrings are not namespaced */
	{ "add_key", NULL }, { "keyctl", NULL }, { "request_key", NULL },
	/* replacing the kernel or its modules */
	{ "kexec_load", NULL }, { "kexec_file_load", NULL },
	{ "init_module", "CAP_SYS_MODULE" }, { "finit_module", "CAP_SYS_MODULE" },
	{ "delete_module", "CAP_SYS_MODULE" }, { "create_module", NULL }, { "get_kernel_syms", NULL },
	{ "query_module", NULL },
	/* obsolete or never implemented, attack surface only */
	{ "nfsservctl", NULL }, { "uselib", NULL }, { "ustat", NULL }, { "sysfs", NULL }, { "_sysctl", NULL },
	{ "vm86", NULL }, { "vm86old", NULL }, { "afs_syscall", NULL }, { "tuxcall", NULL }, { "putpmsg", NULL },
	{ "getpmsg", NULL }, { "security", NULL }, { "vserver", NULL },
	/* host-wide resources */
	{ "swapon", NULL }, { "swapoff", NULL }, { "acct", "CAP_SYS_PACCT" }, { "reboot", "CAP_SYS_BOOT" },
	{ "userfaultfd", NULL },
	{ "io_uring_setup", NULL }, { "io_uring_enter", NULL }, { "io_uring_register", NULL },
	/* the clock is not namespaced */
	{ "settimeofday", "CAP_SYS_TIME" }, { "stime", "CAP_SYS_TIME" }, { "clock_settime", "CAP_SYS_TIME" },
	{ "clock_settime64", "CAP_SYS_TIME" }, { "clock_adjtime", "CAP_SYS_TIME" },
	{ "clock_adjtime64", "CAP_SYS_TIME" },
	/* raw I/O ports */
	{ "iopl", "CAP_SYS_RAWIO" }, { "ioperm", "CAP_SYS_RAWIO" },
	/* NUMA policy of the host */
	{ "get_mempolicy", "CAP_SYS_NICE" }, { "set_mempolicy", "CAP_SYS_NICE" }, { "mbind", "CAP_SYS_NICE" },
	{ "move_pages", "CAP_SYS_NICE" }, { "migrate_pages", "CAP_SYS_NICE" },
	{ "set_mempolicy_home_node", "CAP_SYS_NICE" },
	/* other processes' memory beyond what ptrace rules allow */
	{ "kcmp", "CAP_SYS_PTRACE" }, { "pidfd_getfd", "CAP_SYS_PTRACE" }, { "process_madvise", "CAP_SYS_PTRACE" },
	{ "vhangup", "CAP_SYS_TTY_CONFIG" },
	{ "open_by_handle_at", "CAP_DAC_READ_SEARCH" },
	{ "bpf", "CAP_SYS_ADMIN" }, { "bpf", "CAP_BPF" },
	{ "perf_event_open", "CAP_SYS_ADMIN" }, { "perf_event_open", "CAP_PERFMON" },
	{ "syslog", "CAP_SYS_ADMIN" }, { "syslog", "CAP_SYSLOG" },
	{ "chroot", "CAP_SYS_CHROOT" },
	/* mounts, namespaces and other administration */
	{ "mount", "CAP_SYS_ADMIN" }, { "umount", "CAP_SYS_ADMIN" }, { "umount2", "CAP_SYS_ADMIN" },
	{ "mount_setattr", "CAP_SYS_ADMIN" }, { "fsopen", "CAP_SYS_ADMIN" }, { "fsconfig", "CAP_SYS_ADMIN" },
	{ "fsmount", "CAP_SYS_ADMIN" }, { "fspick", "CAP_SYS_ADMIN" }, { "open_tree", "CAP_SYS_ADMIN" },
	{ "move_mount", "CAP_SYS_ADMIN" }, { "pivot_root", "CAP_SYS_ADMIN" }, { "unshare", "CAP_SYS_ADMIN" },
	{ "setns", "CAP_SYS_ADMIN" }, { "quotactl", "CAP_SYS_ADMIN" }, { "quotactl_fd", "CAP_SYS_ADMIN" },
	{ "lookup_dcookie", "CAP_SYS_ADMIN" }, { "fanotify_init", "CAP_SYS_ADMIN" },
	{ "name_to_handle_at", "CAP_SYS_ADMIN" }, { "sethostname", "CAP_SYS_ADMIN" },
	{ "setdomainname", "CAP_SYS_ADMIN" },
	/* allowed below with argument checks unless CAP_SYS_ADMIN */
	{ "clone", "CAP_SYS_ADMIN" }, { "clone3", "CAP_SYS_ADMIN" },
	/* allowed below with argument checks */
	{ "personality", NULL }, { "socket", NULL },
};

/* CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
#define CLONE_NAMESPACE_FLAGS 0x7E020000ULL
#define AF_VSOCK_NUMBER 40

/* personality(2) domains docker allows: PER_LINUX, PER_LINUX32, UNAME26 alone or with PER_LINUX32, and the query. */
static const unsigned long long personalities[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

struct arch {
	const char *name;
	uint32_t token;
};

static const struct arch arches_x86_64[] = {
	{ "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 }, { "SCMP_ARCH_X86", SCMP_ARCH_X86 }, { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
	{ NULL, 0 },
};
static const struct arch arches_aarch64[] = {
	{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 }, { "SCMP_ARCH_ARM", SCMP_ARCH_ARM }, { NULL, 0 },
};

static const struct arch *native_arches(void)
{
	return seccomp_arch_native() == SCMP_ARCH_AARCH64 ? arches_aarch64 : arches_x86_64;
}

static bool is_guarded(const char *name, char *const *caps)
{
	bool found = false;

	for (size_t i = 0; i < ARRAY_SIZE(guarded); i++) {
		if (strcmp(guarded[i].name, name) != 0)
			continue;
		if (guarded[i].cap && berth_strv_contains(caps, guarded[i].cap))
			return false;
		found = true;
	}
	return found;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every syscall name libseccomp knows on the arches, sorted, without duplicates. */
static char **scan_syscalls(const struct arch *arches)
{
	_cleanup_strv_free_ char **names = NULL;
	size_t n, out = 0;

	for (size_t a = 0; arches[a].name; a++) {
		/* x32 numbers carry __X32_SYSCALL_BIT */
		int base = arches[a].token == SCMP_ARCH_X32 ? 0x40000000 : 0;
		for (int nr = base; nr < base + 1024; nr++) {
			char *name = seccomp_syscall_resolve_num_arch(arches[a].token, nr);
			if (name)
				berth_strv_consume(&names, name);
		}
	}
	n = berth_strv_length(names);
	if (n == 0)
		return TAKE_PTR(names);
	qsort(names, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && strcmp(names[out - 1], names[i]) == 0) {
			free(names[i]);
			continue;
		}
		names[out++] = names[i];
	}
	names[out] = NULL;
	return TAKE_PTR(names);
}

static json_t *arg(unsigned index, unsigned long long value, unsigned long long value_two, const char *op)
{
	return json_pack("{sI sI sI ss}", "index", (json_int_t)index, "value", (json_int_t)value, "valueTwo",
			 (json_int_t)value_two, "op", op);
}

static json_t *rule(const char *name, const char *action, json_t *args)
{
	json_t *r = json_pack("{s[s] ss}", "names", name, "action", action);

	if (args)
		json_object_set_new(r, "args", args);
	return r;
}

char **berth_seccomp_known_syscalls_scan(void)
{
	return scan_syscalls(native_arches());
}

/*
 * The scan asks libseccomp about every number on each arch, ~1.5 ms, for
 * each container.  With libseccomp linked statically its tables are fixed at
 * build time, so the build runs the scan once (gen-known-syscalls.c) and
 * compiles the result in; the test suite checks that both agree.
 */
#if BERTH_HAVE_KNOWN_SYSCALLS
#include "engine/seccomp-known-syscalls.h"

static char **known_syscalls(const struct arch *arches)
{
	const struct scmp_version *v = seccomp_version();
	char **names = NULL;

	if (arches != native_arches() || !v || v->major != KNOWN_SYSCALLS_MAJOR || v->minor != KNOWN_SYSCALLS_MINOR ||
	    v->micro != KNOWN_SYSCALLS_MICRO || seccomp_arch_native() != KNOWN_SYSCALLS_ARCH)
		return scan_syscalls(arches);
	for (size_t i = 0; known_syscall_names[i]; i++)
		berth_strv_push(&names, known_syscall_names[i]);
	return names;
}
#else
static char **known_syscalls(const struct arch *arches)
{
	return scan_syscalls(arches);
}
#endif

char **berth_seccomp_known_syscalls(void)
{
	return known_syscalls(native_arches());
}

json_t *berth_seccomp_default_profile(char *const *caps)
{
	const struct arch *arches = native_arches();
	_cleanup_strv_free_ char **known = known_syscalls(arches);
	json_t *allowed = json_array(), *syscalls = json_array(), *arch_list = json_array();
	bool sys_admin = berth_strv_contains(caps, "CAP_SYS_ADMIN");

	for (size_t i = 0; known && known[i]; i++)
		if (!is_guarded(known[i], caps))
			json_array_append_new(allowed, json_string(known[i]));
	json_array_append_new(syscalls, json_pack("{so ss}", "names", allowed, "action", "SCMP_ACT_ALLOW"));

	for (size_t i = 0; i < ARRAY_SIZE(personalities); i++)
		json_array_append_new(syscalls, rule("personality", "SCMP_ACT_ALLOW",
						     json_pack("[o]", arg(0, personalities[i], 0, "SCMP_CMP_EQ"))));
	json_array_append_new(syscalls, rule("socket", "SCMP_ACT_ALLOW",
					     json_pack("[o]", arg(0, AF_VSOCK_NUMBER, 0, "SCMP_CMP_NE"))));
	if (!sys_admin) {
		/* clone without namespace flags only; clone3 hides its flags in memory, so ENOSYS */
		json_array_append_new(syscalls,
				      rule("clone", "SCMP_ACT_ALLOW",
					   json_pack("[o]", arg(0, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ"))));
		json_t *r = rule("clone3", "SCMP_ACT_ERRNO", NULL);
		json_object_set_new(r, "errnoRet", json_integer(ENOSYS));
		json_array_append_new(syscalls, r);
	}

	for (size_t i = 0; arches[i].name; i++)
		json_array_append_new(arch_list, json_string(arches[i].name));
	return json_pack("{ss sI so so}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet", (json_int_t)EPERM,
			 "architectures", arch_list, "syscalls", syscalls);
}
