/*
 * engine/seccomp-profile: the default profile parses as OCI config, compiles,
 * and, loaded in a forked child, lets ordinary work through while refusing
 * what docker's default profile refuses.
 */
#include "engine/seccomp-profile.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/config.h"
#include "runtime/seccomp.h"
#include "tap.h"
#include "util/cleanup.h"

static char *docker_caps[] = { "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
			       "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
			       "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL };
static char *admin_caps[] = { "CAP_SYS_ADMIN", "CAP_SYS_TIME", NULL };

static bool allows(json_t *profile, const char *name)
{
	json_t *names = json_object_get(json_array_get(json_object_get(profile, "syscalls"), 0), "names");
	size_t i;
	json_t *v;

	json_array_foreach(names, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

static void test_lists(void)
{
	json_t *p = berth_seccomp_default_profile(docker_caps);
	json_t *a = berth_seccomp_default_profile(admin_caps);

	TAP_OK(allows(p, "read") && allows(p, "openat") && allows(p, "execve") && allows(p, "ptrace"));
	TAP_OK(allows(p, "chroot"));
	TAP_OK(!allows(p, "mount") && !allows(p, "keyctl") && !allows(p, "unshare") && !allows(p, "clone"));
	TAP_OK(!allows(p, "settimeofday") && !allows(p, "io_uring_setup") && !allows(p, "socket"));
	TAP_OK(allows(a, "mount") && allows(a, "unshare") && allows(a, "clone") && allows(a, "settimeofday"));
	TAP_OK(!allows(a, "keyctl") && !allows(a, "chroot"));
	/* the two allow lists differ only in what the capabilities lift */
	TAP_OK(json_array_size(json_object_get(p, "syscalls")) > json_array_size(json_object_get(a, "syscalls")));
	json_decref(p);
	json_decref(a);
}

static struct berth_seccomp_filter *compile(char **caps)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	json_t *doc = json_pack("{ss s{ss} s{so}}", "ociVersion", "1.0.2", "root", "path", "rootfs", "linux", "seccomp",
				berth_seccomp_default_profile(caps));
	_cleanup_free_ char *text = json_dumps(doc, 0);
	struct berth_oci_config *config = NULL;
	struct berth_seccomp_filter *f = NULL;

	int r;

	json_decref(doc);
	r = berth_oci_config_parse("config.json", text, strlen(text), &config, &err);
	if (!tap_ok(r == 0, "profile parses: %s", err.msg ? err.msg : ""))
		return NULL;
	r = berth_seccomp_compile(config->linux_.seccomp, &f, &err);
	tap_ok(r == 0, "profile compiles: %s", err.msg ? err.msg : "");
	berth_oci_config_free(config);
	return f;
}

/* Run the checks in a child under the filter; each failed check sets a bit of the exit status. */
static int run_under(struct berth_seccomp_filter *f, bool admin)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int status, bad = 0;
	pid_t pid = fork();

	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || berth_seccomp_install(f, NULL, &err) < 0)
			_exit(127);
		if (getpid() <= 0 || access("/", F_OK) < 0)
			bad |= 1;
		errno = 0;
		if (admin ? (unshare(CLONE_NEWUTS) < 0) : (unshare(CLONE_NEWUTS) == 0 || errno != EPERM))
			bad |= 2;
		errno = 0;
		if (!admin && (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS))
			bad |= 4;
		errno = 0;
		if (syscall(SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != EPERM)
			bad |= 8;
		if (personality(0xffffffff) < 0)
			bad |= 16;
		errno = 0;
		if (personality(0x0400000 /* READ_IMPLIES_EXEC */) != -1 || errno != EPERM)
			bad |= 32;
		/* fork still works: clone without namespace flags */
		pid_t c = fork();
		if (c == 0)
			_exit(0);
		if (c < 0 || waitpid(c, &status, 0) != c || status != 0)
			bad |= 64;
		_exit(bad);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The names the profile starts from (a build-time table with a static libseccomp) are libseccomp's own. */
static void test_known_syscalls(void)
{
	_cleanup_strv_free_ char **known = berth_seccomp_known_syscalls();
	_cleanup_strv_free_ char **scan = berth_seccomp_known_syscalls_scan();
	size_t i = 0;

	while (known && scan && known[i] && scan[i] && strcmp(known[i], scan[i]) == 0)
		i++;
	tap_ok(known && scan && !known[i] && !scan[i] && i > 300,
	       "known syscalls: the %zu names agree with libseccomp (first difference: %s / %s)", i,
	       known && known[i] ? known[i] : "-", scan && scan[i] ? scan[i] : "-");
}

int main(void)
{
	struct berth_seccomp_filter *f;
	int r;

	test_known_syscalls();
	test_lists();
	f = compile(docker_caps);
	if (f) {
		r = run_under(f, false);
		tap_ok(r == 0, "docker caps: checks under the default profile (failed bits %#x)", r);
		berth_seccomp_filter_free(f);
	}
	f = compile(admin_caps);
	if (f) {
		r = run_under(f, true);
		tap_ok(r == 0, "CAP_SYS_ADMIN: checks under the default profile (failed bits %#x)", r);
		berth_seccomp_filter_free(f);
	}
	return tap_done();
}
