/* The string forms of the enums in config.h: namespace types, hook kinds, seccomp actions, operators, arches, flags. */
#include "oci/config.h"

#include <sched.h>
#include <string.h>

#include "util/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

static const struct {
	const char *name;
	const char *proc_name;
	int clone_flag;
} ns_table[_BERTH_NS_MAX] = {
	[BERTH_NS_PID] = { "pid", "pid", CLONE_NEWPID },
	[BERTH_NS_NETWORK] = { "network", "net", CLONE_NEWNET },
	[BERTH_NS_MOUNT] = { "mount", "mnt", CLONE_NEWNS },
	[BERTH_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
	[BERTH_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
	[BERTH_NS_USER] = { "user", "user", CLONE_NEWUSER },
	[BERTH_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
	[BERTH_NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

const char *berth_ns_type_to_string(enum berth_ns_type t)
{
	return t >= 0 && t < _BERTH_NS_MAX ? ns_table[t].name : NULL;
}

enum berth_ns_type berth_ns_type_from_string(const char *s)
{
	for (int t = 0; t < _BERTH_NS_MAX; t++)
		if (strcmp(ns_table[t].name, s) == 0)
			return t;
	return _BERTH_NS_INVALID;
}

int berth_ns_type_to_clone_flag(enum berth_ns_type t)
{
	return t >= 0 && t < _BERTH_NS_MAX ? ns_table[t].clone_flag : 0;
}

const char *berth_ns_type_to_proc_name(enum berth_ns_type t)
{
	return t >= 0 && t < _BERTH_NS_MAX ? ns_table[t].proc_name : NULL;
}

static const char *const hook_names[_BERTH_HOOK_MAX] = {
	[BERTH_HOOK_PRESTART] = "prestart",
	[BERTH_HOOK_CREATE_RUNTIME] = "createRuntime",
	[BERTH_HOOK_CREATE_CONTAINER] = "createContainer",
	[BERTH_HOOK_START_CONTAINER] = "startContainer",
	[BERTH_HOOK_POSTSTART] = "poststart",
	[BERTH_HOOK_POSTSTOP] = "poststop",
};

const char *berth_hook_kind_to_string(enum berth_hook_kind k)
{
	return (int)k >= 0 && k < _BERTH_HOOK_MAX ? hook_names[k] : NULL;
}

static const char *const action_names[_BERTH_SECCOMP_ACTION_MAX] = {
	[BERTH_SECCOMP_KILL] = "SCMP_ACT_KILL",
	[BERTH_SECCOMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
	[BERTH_SECCOMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
	[BERTH_SECCOMP_TRAP] = "SCMP_ACT_TRAP",
	[BERTH_SECCOMP_ERRNO] = "SCMP_ACT_ERRNO",
	[BERTH_SECCOMP_TRACE] = "SCMP_ACT_TRACE",
	[BERTH_SECCOMP_ALLOW] = "SCMP_ACT_ALLOW",
	[BERTH_SECCOMP_LOG] = "SCMP_ACT_LOG",
	[BERTH_SECCOMP_NOTIFY] = "SCMP_ACT_NOTIFY",
};

const char *berth_seccomp_action_to_string(enum berth_seccomp_action a)
{
	return a >= 0 && a < _BERTH_SECCOMP_ACTION_MAX ? action_names[a] : NULL;
}

enum berth_seccomp_action berth_seccomp_action_from_string(const char *s)
{
	for (int a = 0; a < _BERTH_SECCOMP_ACTION_MAX; a++)
		if (strcmp(action_names[a], s) == 0)
			return a;
	return _BERTH_SECCOMP_ACTION_INVALID;
}

static const char *const op_names[_BERTH_SECCOMP_OP_MAX] = {
	[BERTH_SECCOMP_OP_NOT_EQUAL] = "SCMP_CMP_NE",	  [BERTH_SECCOMP_OP_LESS_THAN] = "SCMP_CMP_LT",
	[BERTH_SECCOMP_OP_LESS_EQUAL] = "SCMP_CMP_LE",	  [BERTH_SECCOMP_OP_EQUAL_TO] = "SCMP_CMP_EQ",
	[BERTH_SECCOMP_OP_GREATER_EQUAL] = "SCMP_CMP_GE", [BERTH_SECCOMP_OP_GREATER_THAN] = "SCMP_CMP_GT",
	[BERTH_SECCOMP_OP_MASKED_EQUAL] = "SCMP_CMP_MASKED_EQ",
};

const char *berth_seccomp_op_to_string(enum berth_seccomp_op o)
{
	return o >= 0 && o < _BERTH_SECCOMP_OP_MAX ? op_names[o] : NULL;
}

enum berth_seccomp_op berth_seccomp_op_from_string(const char *s)
{
	for (int o = 0; o < _BERTH_SECCOMP_OP_MAX; o++)
		if (strcmp(op_names[o], s) == 0)
			return o;
	return _BERTH_SECCOMP_OP_INVALID;
}

/* The architectures libseccomp 2.5 resolves. */
const char *const berth_seccomp_arch_names[] = {
	"SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",	   "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",	    "SCMP_ARCH_MIPS64",	   "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_S390",	   "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64",  "SCMP_ARCH_RISCV64",   NULL,
};

/* The filter flags runtime/seccomp.c can set. */
const char *const berth_seccomp_flag_names[] = {
	"SECCOMP_FILTER_FLAG_TSYNC",
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	"SECCOMP_FILTER_FLAG_LOG",
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	NULL,
};
