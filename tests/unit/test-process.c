/* runtime/process, rlimits, user, personality: the init's last steps, run in forked children. */
#include "runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/personality.h"
#include "runtime/rlimits.h"
#include "runtime/user.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define BIT(c) (UINT64_C(1) << (c))

static char tmpdir[] = "/tmp/berth-test-process-XXXXXX";

/*
 * Run fn in a child; it returns a bitmask of failed checks (0 = all good) and
 * may leave a message in msg, which comes back through a pipe.
 */
static int run(int (*fn)(void *arg, char *msg, size_t len), void *arg, const char *what)
{
	char msg[512] = "";
	int p[2], status = -1;
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char m[512] = "";
		int fails;

		close(p[0]);
		fails = fn(arg, m, sizeof(m));
		(void)!write(p[1], m, strlen(m));
		_exit(fails);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	if (!tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", what)) {
		if (WIFEXITED(status))
			tap_diag("failed checks %#x", WEXITSTATUS(status));
		else
			tap_diag("status %#x", status);
	}
	if (*msg)
		tap_diag("%s", msg);
	return status;
}

static int proc_status_field(const char *field, uint64_t *ret, bool hex)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t len = strlen(field);

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			*ret = strtoull(line + len + 1, NULL, hex ? 16 : 10);
			return 0;
		}
	return -1;
}

/* drop some capabilities from the effective set only (the permitted set keeps them) */
static int drop_effective(const cap_value_t *caps, int n)
{
	cap_t c = cap_get_proc();
	int r;

	if (!c)
		return -1;
	r = cap_set_flag(c, CAP_EFFECTIVE, n, caps, CAP_CLEAR);
	if (r == 0)
		r = cap_set_proc(c);
	cap_free(c);
	return r;
}

/* ---- find_executable ---- */

static void make_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd >= 0) {
		(void)!write(fd, "#!/bin/sh\n", 10);
		close(fd);
	}
	chmod(path, mode);
}

static void expect_found(const char *arg0, char **env, const char *want, const char *what)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = NULL;
	int r = berth_process_find_executable(arg0, env, &path, &err);

	if (!tap_ok(r == 0 && path && strcmp(path, want) == 0, "%s", what))
		tap_diag("r=%d path=%s want=%s err=%s", r, path ? path : "(null)", want, err.msg ? err.msg : "");
}

static void expect_not_found(const char *arg0, char **env, int code, const char *msg, const char *what)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = NULL;
	int r = berth_process_find_executable(arg0, env, &path, &err);

	if (!tap_ok(r == -code && !path && err.msg && strstr(err.msg, msg), "%s", what))
		tap_diag("r=%d err=%s", r, err.msg ? err.msg : "");
}

static void test_find_executable(void)
{
	_cleanup_free_ char *a = berth_xasprintf("%s/a", tmpdir), *b = berth_xasprintf("%s/b", tmpdir);
	_cleanup_free_ char *c = berth_xasprintf("%s/c", tmpdir), *tool_a = berth_xasprintf("%s/tool", a);
	_cleanup_free_ char *tool_b = berth_xasprintf("%s/tool", b), *tool_c = berth_xasprintf("%s/tool", c);
	_cleanup_free_ char *path = berth_xasprintf("PATH=%s:/nonexistent:%s:%s", c, a, b);
	_cleanup_free_ char *path_a = berth_xasprintf("PATH=%s", a);
	char cwd[PATH_MAX];

	mkdir(a, 0755);
	mkdir(b, 0755);
	mkdir(c, 0755);
	make_file(tool_a, 0644); /* not executable: skipped */
	make_file(tool_b, 0755);
	mkdir(tool_c, 0755); /* a directory: skipped */

	expect_found("tool", (char *[]){ "HOME=/", path, NULL }, tool_b,
		     "PATH search skips directories and non-executables");
	expect_found("tool", (char *[]){ path_a, path, NULL }, tool_b, "the last PATH= wins");
	expect_not_found("tool", (char *[]){ path, path_a, NULL }, ENOENT,
			 "exec: \"tool\": executable file not found in $PATH", "not found: runc's message");
	expect_not_found("sh", (char *[]){ "HOME=/", NULL }, ENOENT, "executable file not found in $PATH",
			 "no PATH in the process env: no search (not the runtime's PATH)");
	expect_not_found("sh", NULL, ENOENT, "executable file not found in $PATH", "NULL env");
	expect_not_found("", (char *[]){ path, NULL }, ENOENT, "exec: \"\"", "empty name");
	expect_found(tool_b, NULL, tool_b, "absolute path used as is");
	expect_not_found("/nonexistent/tool", NULL, ENOENT, "exec: \"/nonexistent/tool\"", "absolute path must exist");
	expect_not_found(tool_a, NULL, EACCES, "exec: ", "absolute path must be executable");
	expect_not_found(tool_c, NULL, EISDIR, "exec: ", "absolute path must not be a directory");

	if (getcwd(cwd, sizeof(cwd)) && chdir(b) == 0) {
		expect_found("tool", (char *[]){ "PATH=/nonexistent::/bin", NULL }, "./tool",
			     "an empty PATH element is the current directory");
		expect_found("./tool", NULL, "./tool", "relative path with a slash used as is");
		(void)!chdir(cwd);
	}
}

/* ---- rlimits ---- */

static int child_rlimits(void *arg, char *msg, size_t len)
{
	struct berth_oci_rlimit lim[] = {
		{ .resource = RLIMIT_NOFILE, .type = "RLIMIT_NOFILE", .soft = 100, .hard = 200 },
		{ .resource = RLIMIT_CORE, .type = "RLIMIT_CORE", .soft = 0, .hard = 0 },
	};
	struct berth_oci_rlimit raise = {
		.resource = RLIMIT_NOFILE, .type = "RLIMIT_NOFILE", .soft = 100, .hard = 300
	};
	struct berth_oci_rlimit bad = { .resource = RLIMIT_NOFILE, .type = "RLIMIT_NOFILE", .soft = 300, .hard = 200 };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	const cap_value_t sys_resource = CAP_SYS_RESOURCE;
	struct rlimit rl;
	int fails = 0;

	if (berth_rlimits_apply(lim, 2, &err) < 0) {
		snprintf(msg, len, "%s", err.msg);
		return 1;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur != 100 || rl.rlim_max != 200)
		fails |= 2;
	if (getrlimit(RLIMIT_CORE, &rl) < 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
		fails |= 4;
	/* deterministic EPERM whether or not the test runs with CAP_SYS_RESOURCE */
	drop_effective(&sys_resource, 1);
	if (berth_rlimits_apply(&raise, 1, &err) != -EPERM || !strstr(err.msg, "RLIMIT_NOFILE") ||
	    !strstr(err.msg, "CAP_SYS_RESOURCE"))
		fails |= 8;
	snprintf(msg, len, "raise error: %s", err.msg ? err.msg : "(none)");
	if (berth_rlimits_apply(&bad, 1, &err) != -EINVAL || !strstr(err.msg, "RLIMIT_NOFILE"))
		fails |= 16;
	return fails;
}

/* ---- user ---- */

static int child_user(void *arg, char *msg, size_t len)
{
	uint32_t gids[] = { 1002, 1003 };
	struct berth_oci_user u = { .uid = 1000, .gid = 1001, .additional_gids = gids, .n_additional_gids = 2 };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[8];
	int n, fails = 0;

	if (berth_user_apply(&u, true, &err) < 0) {
		snprintf(msg, len, "%s", err.msg);
		return 1;
	}
	if (getresuid(&ru, &eu, &su) < 0 || ru != 1000 || eu != 1000 || su != 1000)
		fails |= 2;
	if (getresgid(&rg, &eg, &sg) < 0 || rg != 1001 || eg != 1001 || sg != 1001)
		fails |= 4;
	n = getgroups(8, groups);
	if (n != 2 || groups[0] != 1002 || groups[1] != 1003)
		fails |= 8;
	if (umask(0) != 0022)
		fails |= 16;
	return fails;
}

static int child_user_umask_nogroups(void *arg, char *msg, size_t len)
{
	struct berth_oci_user u = { .uid = 0, .gid = 0, .has_umask = true, .umask = 0027 };
	struct berth_oci_user bad = { .uid = UINT32_MAX, .gid = 0 };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	gid_t before[64], after[64];
	int nb, fails = 0;

	gid_t g = 4242;
	if (setgroups(1, &g) < 0)
		return 1;
	nb = getgroups(64, before);
	/* setgroups denied (user namespace): groups left alone */
	if (berth_user_apply(&u, false, &err) < 0) {
		snprintf(msg, len, "%s", err.msg);
		return 2;
	}
	if (getgroups(64, after) != nb || nb != 1 || after[0] != 4242)
		fails |= 4;
	if (umask(0) != 0027)
		fails |= 8;
	if (berth_user_apply(&bad, true, &err) != -EINVAL)
		fails |= 16;
	return fails;
}

/* ---- personality, oom_score_adj ---- */

static int child_personality(void *arg, char *msg, size_t len)
{
	struct berth_oci_personality p = {
		.domain = "LINUX32", .flags = (char *[]){ "ADDR_NO_RANDOMIZE", "NOPE", NULL }
	};
	struct berth_oci_personality bad = { .domain = "OS2" };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int fails = 0;

	if (berth_personality_apply(&p, &err) < 0) {
		snprintf(msg, len, "%s", err.msg);
		return 1;
	}
	if (personality(0xffffffff) != (PER_LINUX32 | ADDR_NO_RANDOMIZE))
		fails |= 2;
	if (berth_personality_apply(&bad, &err) != -EINVAL)
		fails |= 4;
	if (berth_personality_apply(NULL, &err) != 0)
		fails |= 8;
	return fails;
}

static int read_oom(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/oom_score_adj", "re");
	int v = -12345;

	if (!f || fscanf(f, "%d", &v) != 1)
		return -12345;
	return v;
}

static int child_oom(void *arg, char *msg, size_t len)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int want = read_oom() + 100;

	if (want > 1000)
		want = 1000;
	if (berth_oom_score_adj_apply(want, &err) < 0) {
		snprintf(msg, len, "%s", err.msg);
		return 1;
	}
	return read_oom() == want ? 0 : 2;
}

/* ---- finalize ---- */

struct finalize_case {
	struct berth_oci_process *p;
	struct berth_seccomp_filter *filter;
	const char *want_cwd;
	uint64_t want_eff;
	unsigned want_uid;
};

static int child_finalize(void *arg, char *msg, size_t len)
{
	const struct finalize_case *c = arg;
	/* root without DAC override: the first chdir fails, the second (as the user) must work */
	const cap_value_t dac[] = { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	char cwd[PATH_MAX];
	uint64_t v = 0;
	struct rlimit rl;
	int listener = -1, fails = 0;

	if (drop_effective(dac, 2) < 0)
		return 1;
	if (berth_process_finalize_full(c->p, c->filter, false, &listener, &err) < 0) {
		snprintf(msg, len, "%s", err.msg);
		return 2;
	}
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, c->want_cwd) != 0)
		fails |= 4;
	if (getuid() != c->want_uid || geteuid() != c->want_uid)
		fails |= 8;
	if (proc_status_field("CapEff", &v, true) < 0 || v != c->want_eff)
		fails |= 16;
	if (proc_status_field("NoNewPrivs", &v, false) < 0 || v != (c->p->no_new_privileges ? 1 : 0))
		fails |= 32;
	if (proc_status_field("Seccomp", &v, false) < 0 || v != 2)
		fails |= 64;
	if (syscall(SYS_getpriority, PRIO_PROCESS, 0) != -1 || errno != EACCES)
		fails |= 128;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max != 64)
		fails |= 1;
	if (prctl(PR_GET_DUMPABLE) != 0 && c->want_uid != 0)
		snprintf(msg, len, "note: dumpable after finalize");
	return fails;
}

static int child_finalize_fails(void *arg, char *msg, size_t len)
{
	const struct finalize_case *c = arg;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int r = berth_process_finalize(c->p, NULL, false, &err);

	snprintf(msg, len, "error: %s", err.msg ? err.msg : "(none)");
	if (r >= 0)
		return 1;
	return strstr(err.msg, c->want_cwd) ? 0 : 2;
}

static void test_finalize(void)
{
	_cleanup_free_ char *home = berth_xasprintf("%s/home", tmpdir);
	struct berth_oci_seccomp_syscall sc[] = {
		{ .names = (char *[]){ "getpriority", NULL }, .action = BERTH_SECCOMP_ERRNO, .has_errno_ret = true,
		  .errno_ret = EACCES },
	};
	struct berth_oci_seccomp s = { .default_action = BERTH_SECCOMP_ALLOW, .syscalls = sc, .n_syscalls = 1 };
	struct berth_oci_rlimit lim[] = {
		{ .resource = RLIMIT_NOFILE, .type = "RLIMIT_NOFILE", .soft = 64, .hard = 64 },
	};
	uint64_t set = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL);
	struct berth_oci_process p = {
		.user = { .uid = 1000, .gid = 1000 },
		.cwd = home,
		.has_capabilities = true,
		.capabilities = { .bounding = set, .effective = set, .permitted = set },
		.rlimits = lim,
		.n_rlimits = 1,
		.no_new_privileges = true,
	};
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_seccomp_filter *f = NULL;
	struct finalize_case c = { .p = &p, .want_cwd = home, .want_eff = set, .want_uid = 1000 };

	chmod(tmpdir, 0755);
	mkdir(home, 0700);
	if (chown(home, 1000, 1000) < 0 || berth_seccomp_compile(&s, &f, &err) < 0) {
		tap_ok(false, "finalize setup: %s", err.msg ? err.msg : strerror(errno));
		return;
	}
	c.filter = f;
	run(child_finalize, &c, "finalize: uid 1000, cwd only it may enter, caps, no_new_privs, late seccomp");

	/* privileged path: seccomp loaded before the user switch, without no_new_privs */
	p.no_new_privileges = false;
	run(child_finalize, &c, "finalize: seccomp loaded early without no_new_privs");

	/* no capabilities in the config: none at all, even for root */
	p.user = (struct berth_oci_user){ .uid = 0, .gid = 0 };
	p.has_capabilities = false;
	p.cwd = "/";
	c.want_cwd = "/";
	c.want_uid = 0;
	c.want_eff = 0;
	run(child_finalize, &c, "finalize: root without capabilities in the config");

	/* a magic link could reach a runtime fd outside the root */
	p.cwd = "/proc/self/cwd";
	c.want_cwd = "/proc/self/cwd";
	run(child_finalize_fails, &c, "finalize: cwd through a /proc magic link is refused");
	p.cwd = "/nonexistent-cwd";
	c.want_cwd = "/nonexistent-cwd";
	run(child_finalize_fails, &c, "finalize: missing cwd");

	berth_seccomp_filter_free(f);
}

int main(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	if (!mkdtemp(tmpdir))
		tap_skip_all("mkdtemp failed");
	test_find_executable();
	run(child_personality, NULL, "personality LINUX32 + ADDR_NO_RANDOMIZE");
	run(child_oom, NULL, "oom_score_adj written");
	if (geteuid() == 0) {
		run(child_rlimits, NULL, "rlimits set; raising a hard limit names the rlimit");
		run(child_user, NULL, "user: uid, gid, additional gids, default umask 0022");
		run(child_user_umask_nogroups, NULL, "user: umask, setgroups denied, uid -1 refused");
		test_finalize();
	} else {
		tap_diag("not root: rlimits, user and finalize tests skipped");
	}
	berth_rm_rf_at(AT_FDCWD, tmpdir, &err);
	return tap_done();
}
