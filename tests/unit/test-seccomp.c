/* runtime/seccomp: compile hand-built OCI profiles and load them in forked children. */
#include "runtime/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"

#define X32_BIT 0x40000000L

#define NAMES(...) ((char *[]){ __VA_ARGS__, NULL })

static struct berth_oci_seccomp_syscall rule(char **names, enum berth_seccomp_action action)
{
	return (struct berth_oci_seccomp_syscall){ .names = names, .action = action };
}

static struct berth_oci_seccomp_syscall rule_errno(char **names, unsigned e)
{
	return (struct berth_oci_seccomp_syscall){
		.names = names, .action = BERTH_SECCOMP_ERRNO, .has_errno_ret = true, .errno_ret = e
	};
}

static struct berth_oci_seccomp profile(enum berth_seccomp_action def, struct berth_oci_seccomp_syscall *sc, size_t n)
{
	return (struct berth_oci_seccomp){ .default_action = def, .syscalls = sc, .n_syscalls = n };
}

static struct berth_seccomp_filter *compile_ok(const struct berth_oci_seccomp *s, const char *what)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_seccomp_filter *f = NULL;
	int r = berth_seccomp_compile(s, &f, &err);

	if (!tap_ok(r == 0 && f && f->n_insns > 0, "compile: %s", what))
		tap_diag("error: %s", err.msg ? err.msg : "(none)");
	return r == 0 ? f : NULL;
}

static void compile_fails(const struct berth_oci_seccomp *s, const char *what, const char *needle)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_seccomp_filter *f = NULL;
	int r = berth_seccomp_compile(s, &f, &err);

	if (!tap_ok(r < 0 && !f && err.msg && strstr(err.msg, needle), "compile fails: %s", what))
		tap_diag("r=%d error: %s", r, err.msg ? err.msg : "(none)");
	berth_seccomp_filter_free(f);
}

/*
 * Fork; the child loads f and runs fn, which returns a bitmask of failed
 * checks (0 = all good) used as exit status.  Returns the wait status.
 */
static int run_filtered(const struct berth_seccomp_filter *f, int (*fn)(void *), void *arg)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct berth_error err = BERTH_ERROR_INIT;
		int listener = -1;

		/* the core dump of an intended SIGSYS is noise */
		setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(200);
		if (berth_seccomp_install(f, &listener, &err) < 0) {
			fprintf(stderr, "install: %s\n", err.msg);
			_exit(201);
		}
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return status;
}

static bool exited_zero(int status, const char *what)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return tap_ok(true, "%s", what);
	tap_ok(false, "%s", what);
	if (WIFEXITED(status))
		tap_diag("child exited %d (failed checks bitmask)", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		tap_diag("child killed by signal %d", WTERMSIG(status));
	return false;
}

static bool killed_by_sigsys(int status, const char *what)
{
	if (!tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "%s", what))
		tap_diag("status %#x", status);
	return true;
}

/* ---- child bodies: only raw syscalls after the filter is loaded ---- */

static long raw_errno(long r)
{
	return r < 0 ? errno : 0;
}

static int child_getcwd_eperm(void *arg)
{
	char buf[256];
	int fails = 0;

	errno = 0;
	if (getcwd(buf, sizeof(buf)) != NULL || errno != EPERM)
		fails |= 1;
	if (syscall(SYS_getpid) <= 0)
		fails |= 2;
	return fails;
}

static int child_mkdir_masked(void *arg)
{
	const char *dir = arg;
	int fails = 0;

	/* mode & 0002 == 0002 (world-writable) is refused; anything else goes through */
	if (raw_errno(syscall(SYS_mkdir, dir, 0777)) != EACCES)
		fails |= 1;
	if (raw_errno(syscall(SYS_mkdir, dir, 0755)) != 0)
		fails |= 2;
	syscall(SYS_rmdir, dir);
	return fails;
}

static int child_mkdir_same_index(void *arg)
{
	const char *dir = arg;
	int fails = 0;

	/* two conditions on arg 1: one rule each, either one matches (runc) */
	if (raw_errno(syscall(SYS_mkdir, dir, 0700)) != EPERM)
		fails |= 1;
	if (raw_errno(syscall(SYS_mkdir, dir, 0750)) != EPERM)
		fails |= 2;
	if (raw_errno(syscall(SYS_mkdir, dir, 0755)) != 0)
		fails |= 4;
	syscall(SYS_rmdir, dir);
	return fails;
}

static int child_getpriority_and(void *arg)
{
	int fails = 0;

	/* conditions on different args are AND-ed: which == PRIO_PROCESS && who == 424242 */
	if (raw_errno(syscall(SYS_getpriority, PRIO_PROCESS, 424242)) != EACCES)
		fails |= 1;
	if (raw_errno(syscall(SYS_getpriority, PRIO_PROCESS, 0)) != 0)
		fails |= 2;
	if (raw_errno(syscall(SYS_getpriority, PRIO_PGRP, 424242)) == EACCES)
		fails |= 4;
	return fails;
}

static int child_getpid(void *arg)
{
	syscall(SYS_getpid);
	return 0;
}

static int child_op(void *arg)
{
	const long *modes = arg; /* {matching mode, non-matching mode} for a rule returning EACCES */
	const char *dir = "/tmp/berth-test-seccomp-op";
	int fails = 0;

	syscall(SYS_rmdir, dir);
	if (raw_errno(syscall(SYS_mkdir, dir, modes[0])) != EACCES)
		fails |= 1;
	if (raw_errno(syscall(SYS_mkdir, dir, modes[1])) != 0)
		fails |= 2;
	syscall(SYS_rmdir, dir);
	return fails;
}

#if defined(__x86_64__)
/* A 32-bit syscall from a 64-bit process: seccomp sees AUDIT_ARCH_I386. */
static long int80(long nr)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory", "rcx", "r8", "r9", "r10", "r11");
	return ret;
}

static int child_probe_int80(void *arg)
{
	return int80(20) == (long)getpid() ? 0 : 1; /* i386 getpid */
}

/* default ERRNO(EPERM); x86_64, x86, x32 listed; only exit/exit_group allowed, getcwd -> EACCES */
static int child_enosys(void *arg)
{
	bool ia32 = *(bool *)arg;
	int fails = 0;

	if (raw_errno(syscall(SYS_getpid)) != EPERM) /* below the last named syscall: default */
		fails |= 1;
	if (raw_errno(syscall(SYS_getcwd, NULL, 0)) != EACCES)
		fails |= 2;
	if (raw_errno(syscall(SYS_openat2, -1, "", NULL, 0)) != ENOSYS) /* above: newer than the profile */
		fails |= 4;
	if (raw_errno(syscall(1000)) != ENOSYS)
		fails |= 8;
	if (raw_errno(syscall(X32_BIT | 39)) != EPERM) /* x32 getpid */
		fails |= 16;
	if (raw_errno(syscall(X32_BIT | 437)) != ENOSYS) /* x32 openat2 */
		fails |= 32;
	if (ia32) {
		if (int80(20) != -EPERM) /* i386 getpid */
			fails |= 64;
		if (int80(1000) != -ENOSYS)
			fails |= 128;
	}
	return fails;
}

static int child_int80_getpid(void *arg)
{
	int80(20);
	return 0;
}

static int child_x32_getpid(void *arg)
{
	syscall(X32_BIT | 39);
	return 0;
}
#endif

/* ---- tests ---- */

static void test_actions_compile(void)
{
	static const enum berth_seccomp_action actions[] = {
		BERTH_SECCOMP_KILL,  BERTH_SECCOMP_KILL_PROCESS, BERTH_SECCOMP_KILL_THREAD,
		BERTH_SECCOMP_TRAP,  BERTH_SECCOMP_ERRNO,        BERTH_SECCOMP_TRACE,
		BERTH_SECCOMP_ALLOW, BERTH_SECCOMP_LOG,          BERTH_SECCOMP_NOTIFY,
	};

	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		struct berth_oci_seccomp_syscall sc[] = { rule(NAMES("getppid"), actions[i]) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ERRNO, sc, 1);
		struct berth_seccomp_filter *f;
		char what[64];

		snprintf(what, sizeof(what), "rule action %d", (int)actions[i]);
		f = compile_ok(&s, what);
		if (f && actions[i] == BERTH_SECCOMP_NOTIFY)
			tap_ok(berth_seccomp_filter_has_listener(f), "NOTIFY asks for a listener");
		else if (f)
			tap_ok(!berth_seccomp_filter_has_listener(f), "no listener without NOTIFY");
		berth_seccomp_filter_free(f);
	}
	/* every action but NOTIFY as the default */
	for (size_t i = 0; i < ARRAY_SIZE(actions) - 1; i++) {
		struct berth_oci_seccomp_syscall sc[] = { rule(NAMES("getppid"), BERTH_SECCOMP_ALLOW) };
		struct berth_oci_seccomp s = profile(actions[i], sc, 1);
		char what[64];

		snprintf(what, sizeof(what), "default action %d", (int)actions[i]);
		berth_seccomp_filter_free(compile_ok(&s, what));
	}
}

static void test_ops_compile(void)
{
	for (int op = 0; op < _BERTH_SECCOMP_OP_MAX; op++) {
		struct berth_oci_seccomp_arg args[] = { { .index = 1, .value = 0700, .value_two = 0700, .op = op } };
		struct berth_oci_seccomp_syscall sc[] = { rule_errno(NAMES("mkdir"), EACCES) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ALLOW, sc, 1);
		char what[64];

		sc[0].args = args;
		sc[0].n_args = 1;
		snprintf(what, sizeof(what), "operator %d", op);
		berth_seccomp_filter_free(compile_ok(&s, what));
	}
}

static void test_compile_misc(void)
{
	struct berth_seccomp_filter *f;

	{
		struct berth_oci_seccomp_syscall sc[] = {
			rule(NAMES("this_syscall_does_not_exist", "getpid"), BERTH_SECCOMP_ALLOW),
			rule(NAMES("another_unknown_one"), BERTH_SECCOMP_KILL),
		};
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ERRNO, sc, 2);

		berth_seccomp_filter_free(compile_ok(&s, "unknown syscall names are skipped"));
	}
	{
		struct berth_oci_seccomp_syscall sc[] = { rule(NAMES("getpid", "read", "write"), BERTH_SECCOMP_ALLOW) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ERRNO, sc, 1);

		s.architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
					"SCMP_ARCH_ARM");
		berth_seccomp_filter_free(compile_ok(&s, "x86_64 + x86 + x32 + arm architectures"));
		s.architectures = NAMES("SCMP_ARCH_NOPE");
		compile_fails(&s, "unknown architecture", "SCMP_ARCH_NOPE");
	}
	{
		struct berth_oci_seccomp_syscall sc[] = { rule(NAMES("getpid"), BERTH_SECCOMP_ALLOW) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ERRNO, sc, 1);

		s.has_default_errno_ret = true;
		s.default_errno_ret = ENOSYS;
		berth_seccomp_filter_free(compile_ok(&s, "defaultErrnoRet"));
	}
	{
		struct berth_oci_seccomp_syscall sc[] = { rule(NAMES("getpid"), BERTH_SECCOMP_ERRNO) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ERRNO, sc, 1);

		berth_seccomp_filter_free(compile_ok(&s, "rule equal to the default action is skipped"));
	}
	{
		struct berth_oci_seccomp_syscall sc[] = { rule(NAMES("getpid"), BERTH_SECCOMP_ALLOW) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ERRNO, sc, 1);

		s.flags = NAMES("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
				"SECCOMP_FILTER_FLAG_TSYNC");
		f = compile_ok(&s, "flags");
		if (f)
			tap_ok(f->flags == (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
					    SECCOMP_FILTER_FLAG_TSYNC),
			       "flags map to SECCOMP_FILTER_FLAG_* (%#x)", f->flags);
		berth_seccomp_filter_free(f);
		s.flags = NAMES("SECCOMP_FILTER_FLAG_BOGUS");
		compile_fails(&s, "unknown flag", "SECCOMP_FILTER_FLAG_BOGUS");
	}
	{
		struct berth_oci_seccomp_syscall sc[] = { rule(NAMES("getppid"), BERTH_SECCOMP_NOTIFY) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ALLOW, sc, 1);

		s.flags = NAMES("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
		f = compile_ok(&s, "notify + tsync");
		if (f)
			tap_ok(f->flags == (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER |
					    (1U << 4) /* TSYNC_ESRCH */ | (1U << 5) /* WAIT_KILLABLE_RECV */),
			       "notify flags: NEW_LISTENER, TSYNC_ESRCH, WAIT_KILLABLE_RECV (%#x)", f->flags);
		berth_seccomp_filter_free(f);
	}
	{
		struct berth_oci_seccomp_syscall sc[] = { rule(NAMES("read", "write"), BERTH_SECCOMP_NOTIFY) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ALLOW, sc, 1);

		compile_fails(&s, "NOTIFY on write", "write");
		s = profile(BERTH_SECCOMP_NOTIFY, NULL, 0);
		compile_fails(&s, "NOTIFY as the default action", "default");
	}
}

static void test_install_getcwd(void)
{
	struct berth_oci_seccomp_syscall sc[] = { rule_errno(NAMES("getcwd"), EPERM) };
	struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ALLOW, sc, 1);
	struct berth_seccomp_filter *f = compile_ok(&s, "allow + getcwd ERRNO(EPERM)");

	if (f)
		exited_zero(run_filtered(f, child_getcwd_eperm, NULL), "getcwd fails with EPERM, getpid works");
	berth_seccomp_filter_free(f);
}

static void test_install_args(void)
{
	char dir[] = "/tmp/berth-test-seccomp-XXXXXX";
	struct berth_seccomp_filter *f;

	if (!mkdtemp(dir)) {
		tap_ok(false, "mkdtemp");
		return;
	}
	rmdir(dir);
	{
		struct berth_oci_seccomp_arg args[] = {
			{ .index = 1, .value = 0002, .value_two = 0002, .op = BERTH_SECCOMP_OP_MASKED_EQUAL },
		};
		struct berth_oci_seccomp_syscall sc[] = { rule_errno(NAMES("mkdir"), EACCES) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ALLOW, sc, 1);

		sc[0].args = args;
		sc[0].n_args = 1;
		f = compile_ok(&s, "mkdir mode MASKED_EQ");
		if (f)
			exited_zero(run_filtered(f, child_mkdir_masked, dir),
				    "mkdir refused for world-writable modes only");
		berth_seccomp_filter_free(f);
	}
	{
		struct berth_oci_seccomp_arg args[] = {
			{ .index = 1, .value = 0700, .op = BERTH_SECCOMP_OP_EQUAL_TO },
			{ .index = 1, .value = 0750, .op = BERTH_SECCOMP_OP_EQUAL_TO },
		};
		struct berth_oci_seccomp_syscall sc[] = { rule(NAMES("mkdir"), BERTH_SECCOMP_ERRNO) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ALLOW, sc, 1);

		sc[0].args = args;
		sc[0].n_args = 2;
		f = compile_ok(&s, "two conditions on one arg index");
		if (f)
			exited_zero(run_filtered(f, child_mkdir_same_index, dir), "same index: one rule per condition");
		berth_seccomp_filter_free(f);
	}
	{
		struct berth_oci_seccomp_arg args[] = {
			{ .index = 0, .value = PRIO_PROCESS, .op = BERTH_SECCOMP_OP_EQUAL_TO },
			{ .index = 1, .value = 424242, .op = BERTH_SECCOMP_OP_EQUAL_TO },
		};
		struct berth_oci_seccomp_syscall sc[] = { rule_errno(NAMES("getpriority"), EACCES) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ALLOW, sc, 1);

		sc[0].args = args;
		sc[0].n_args = 2;
		f = compile_ok(&s, "conditions on two arg indexes");
		if (f)
			exited_zero(run_filtered(f, child_getpriority_and, NULL),
				    "different indexes: conditions AND-ed");
		berth_seccomp_filter_free(f);
	}
}

/* Every operator, checked on mkdir's mode: {op, value, value_two, refused mode, allowed mode}. */
static void test_install_ops(void)
{
	static const struct {
		enum berth_seccomp_op op;
		uint64_t value, value_two;
		long refused, allowed;
	} cases[] = {
		{ BERTH_SECCOMP_OP_NOT_EQUAL, 0755, 0, 0700, 0755 },
		{ BERTH_SECCOMP_OP_LESS_THAN, 0700, 0, 0600, 0755 },
		{ BERTH_SECCOMP_OP_LESS_EQUAL, 0700, 0, 0700, 0755 },
		{ BERTH_SECCOMP_OP_EQUAL_TO, 0700, 0, 0700, 0755 },
		{ BERTH_SECCOMP_OP_GREATER_EQUAL, 0756, 0, 0756, 0755 },
		{ BERTH_SECCOMP_OP_GREATER_THAN, 0755, 0, 0756, 0755 },
		{ BERTH_SECCOMP_OP_MASKED_EQUAL, 0070, 0070, 0770, 0755 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct berth_oci_seccomp_arg args[] = {
			{ .index = 1, .value = cases[i].value, .value_two = cases[i].value_two, .op = cases[i].op },
		};
		struct berth_oci_seccomp_syscall sc[] = { rule_errno(NAMES("mkdir"), EACCES) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ALLOW, sc, 1);
		long modes[2] = { cases[i].refused, cases[i].allowed };
		struct berth_seccomp_filter *f;
		char what[64];

		sc[0].args = args;
		sc[0].n_args = 1;
		snprintf(what, sizeof(what), "operator %d filters mkdir", (int)cases[i].op);
		f = compile_ok(&s, what);
		if (f)
			exited_zero(run_filtered(f, child_op, modes), what);
		berth_seccomp_filter_free(f);
	}
}

static void test_install_kill(void)
{
	static const enum berth_seccomp_action killers[] = {
		BERTH_SECCOMP_KILL, BERTH_SECCOMP_KILL_PROCESS, BERTH_SECCOMP_KILL_THREAD, BERTH_SECCOMP_TRAP,
	};

	for (size_t i = 0; i < ARRAY_SIZE(killers); i++) {
		struct berth_oci_seccomp_syscall sc[] = { rule(NAMES("getpid"), killers[i]) };
		struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ALLOW, sc, 1);
		struct berth_seccomp_filter *f;
		char what[64];

		snprintf(what, sizeof(what), "action %d kills with SIGSYS", (int)killers[i]);
		f = compile_ok(&s, what);
		if (f)
			killed_by_sigsys(run_filtered(f, child_getpid, NULL), what);
		berth_seccomp_filter_free(f);
	}
}

static int child_listener(void *arg)
{
	return 0;
}

static void test_install_flags_and_listener(void)
{
	struct berth_oci_seccomp_syscall sc[] = { rule(NAMES("getppid"), BERTH_SECCOMP_NOTIFY) };
	struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ALLOW, sc, 1);
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_seccomp_filter *f;
	int status = -1;
	pid_t pid;

	s.flags = NAMES("SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC");
	f = compile_ok(&s, "notify + log + tsync");
	if (!f)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = -1;

		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (berth_seccomp_install(f, &fd, &err) < 0) {
			fprintf(stderr, "install: %s\n", err.msg);
			_exit(1);
		}
		_exit(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? child_listener(NULL) : 2);
	}
	waitpid(pid, &status, 0);
	exited_zero(status, "load with flags; the listener fd is returned, close-on-exec");
	berth_seccomp_filter_free(f);
}

#if defined(__x86_64__)
static bool ia32_available(void)
{
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(child_probe_int80(NULL));
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_install_arches(void)
{
	struct berth_oci_seccomp_syscall sc[] = {
		rule(NAMES("exit", "exit_group"), BERTH_SECCOMP_ALLOW),
		rule_errno(NAMES("getcwd"), EACCES),
	};
	struct berth_oci_seccomp s = profile(BERTH_SECCOMP_ERRNO, sc, 2);
	struct berth_seccomp_filter *f;
	bool ia32 = ia32_available();

	if (!ia32)
		tap_diag("no ia32 emulation: int $0x80 checks skipped");
	s.architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
	f = compile_ok(&s, "errno default with x86_64, x86, x32");
	if (f)
		exited_zero(run_filtered(f, child_enosys, &ia32),
			    "default EPERM below the last named syscall, ENOSYS above, per arch");
	berth_seccomp_filter_free(f);

	/* only x86_64 listed: other ABIs get the bad-arch kill, not the default errno */
	s.architectures = NAMES("SCMP_ARCH_X86_64");
	f = compile_ok(&s, "errno default with x86_64 only");
	if (f) {
		killed_by_sigsys(run_filtered(f, child_x32_getpid, NULL), "x32 syscall with x32 not listed is killed");
		if (ia32)
			killed_by_sigsys(run_filtered(f, child_int80_getpid, NULL),
					 "i386 syscall with x86 not listed is killed");
	}
	berth_seccomp_filter_free(f);
}
#endif

int main(void)
{
	test_actions_compile();
	test_ops_compile();
	test_compile_misc();
	test_install_getcwd();
	test_install_args();
	test_install_ops();
	test_install_kill();
	test_install_flags_and_listener();
#if defined(__x86_64__)
	test_install_arches();
#endif
	return tap_done();
}
