/*
 * cgroups: path resolution (pure), then real create/enter/kill/destroy on this
 * host's hierarchies and, through berth_cgroup_set_root_for_testing(), the v2
 * driver on a hybrid host's /sys/fs/cgroup/unified.  The real parts need root
 * and are skipped otherwise.
 */
#include "cgroups/cgroup.h"

#include "berth-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* Test descriptions are one TAP line: show control characters as \\xNN. */
static const char *shown(const char *s)
{
	static char bufs[4][1024];
	static int next;
	char *b = bufs[next++ % 4];
	size_t n = 0;

	if (!s)
		return "(null)";
	for (; *s && n + 5 < sizeof(bufs[0]); s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			n += (size_t)snprintf(b + n, 5, "\\x%02x", (unsigned char)*s);
		else
			b[n++] = *s;
	}
	b[n] = '\0';
	return b;
}

static void ok_path(const char *in, const char *id, bool systemd, const char *want)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *got = NULL;
	int r = berth_cgroup_path_resolve(in, id, systemd, &got, &err);

	tap_ok(r == 0 && got && strcmp(got, want) == 0, "resolve %s`%.60s` (id `%s`) -> `%.60s` (got `%.60s`%s%s)",
	       systemd ? "systemd " : "", shown(in), shown(id), want, shown(got), err.msg ? ": " : "",
	       err.msg ? shown(err.msg) : "");
}

static void bad_path(const char *in, const char *id, bool systemd, const char *msg_part)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *got = NULL;
	int r = berth_cgroup_path_resolve(in, id, systemd, &got, &err);

	tap_ok(r == -EINVAL && !got && err.code == EINVAL && err.msg && strstr(err.msg, msg_part),
	       "reject %s`%.40s` (id `%s`): %s", systemd ? "systemd " : "", shown(in), shown(id),
	       err.msg ? shown(err.msg) : "(no message)");
}

static void test_path_resolve(void)
{
	char long_comp[NAME_MAX + 3], max_comp[NAME_MAX + 2], *huge;

	ok_path("/a/b", "c1", false, "/a/b");
	ok_path("/a//b/./c/", "c1", false, "/a/b/c");
	ok_path("//a", "c1", false, "/a");
	ok_path("a/b", "c1", false, "a/b");
	ok_path("./a/", "c1", false, "a");
	ok_path("...", "c1", false, "...");
	ok_path("/a/..b/b..", "c1", false, "/a/..b/b..");
	ok_path("a:b:c", "c1", false, "a:b:c");
	ok_path(NULL, "c1", false, "c1");
	ok_path("", "c1", false, "c1");
	ok_path("/berth/x y", "c1", false, "/berth/x y");

	bad_path("/", "c1", false, "root cgroup");
	bad_path("//./", "c1", false, "root cgroup");
	bad_path(".", "c1", false, "own cgroup");
	bad_path("./", "c1", false, "own cgroup");
	bad_path("..", "c1", false, "..");
	bad_path("/a/../b", "c1", false, "..");
	bad_path("a/..", "c1", false, "..");
	bad_path("/../../etc", "c1", false, "..");
	bad_path("/a\nb", "c1", false, "control character");
	bad_path("/a\tb", "c1", false, "control character");
	bad_path("/a\x7f", "c1", false, "control character");
	bad_path(NULL, NULL, false, "empty container id");
	bad_path("", "", false, "empty container id");
	bad_path(NULL, "a/b", false, "cannot be a cgroup name");
	bad_path(NULL, "..", false, "cannot be a cgroup name");
	bad_path(NULL, ".", false, "cannot be a cgroup name");
	bad_path(NULL, "a\nb", false, "control character");

	long_comp[0] = '/';
	memset(long_comp + 1, 'x', NAME_MAX + 1);
	long_comp[NAME_MAX + 2] = '\0';
	bad_path(long_comp, "c1", false, "longer than");
	max_comp[0] = '/';
	memset(max_comp + 1, 'x', NAME_MAX);
	max_comp[NAME_MAX + 1] = '\0';
	ok_path(max_comp, "c1", false, max_comp);
	huge = berth_xmalloc(PATH_MAX + 1);
	for (size_t i = 0; i < PATH_MAX; i++)
		huge[i] = i % 2 ? 'a' : '/';
	huge[PATH_MAX] = '\0';
	bad_path(huge, "c1", false, "too long");
	free(huge);

	ok_path("system.slice:docker:abc", "c1", true, "/system.slice/docker-abc.scope");
	ok_path("a-b.slice:p:n", "c1", true, "/a.slice/a-b.slice/p-n.scope");
	ok_path("a-b-c.slice:p:n", "c1", true, "/a.slice/a-b.slice/a-b-c.slice/p-n.scope");
	ok_path(":p:n", "c1", true, "/system.slice/p-n.scope");
	ok_path("-.slice:p:n", "c1", true, "/p-n.scope");
	ok_path("system.slice::n", "c1", true, "/system.slice/n.scope");
	ok_path("machine.slice:p:foo.slice", "c1", true, "/machine.slice/foo.slice");
	ok_path("user.slice:p:..", "c1", true, "/user.slice/p-...scope");
	ok_path(NULL, "c1", true, "/system.slice/berth-c1.scope");
	ok_path("", "c1", true, "/system.slice/berth-c1.scope");

	bad_path("a:b", "c1", true, "slice:prefix:name");
	bad_path("/a/b", "c1", true, "slice:prefix:name");
	bad_path("a.slice:b:c:d", "c1", true, "slice:prefix:name");
	bad_path("foo:p:n", "c1", true, "invalid slice name");
	bad_path(".slice:p:n", "c1", true, "invalid slice name");
	bad_path("a--b.slice:p:n", "c1", true, "invalid slice name");
	bad_path("-a.slice:p:n", "c1", true, "invalid slice name");
	bad_path("a-.slice:p:n", "c1", true, "invalid slice name");
	bad_path("a/b.slice:p:n", "c1", true, "invalid slice name");
	bad_path("../x.slice:p:n", "c1", true, "invalid slice name");
	bad_path("system.slice:p:", "c1", true, "invalid systemd cgroupsPath");
	bad_path("system.slice:p:a/b", "c1", true, "invalid systemd cgroupsPath");
	bad_path("system.slice:p:../../x", "c1", true, "invalid systemd cgroupsPath");
	bad_path("system.slice:p/x:n", "c1", true, "invalid systemd cgroupsPath");
	bad_path("system.slice:p:n\n", "c1", true, "control character");
	bad_path(NULL, "a/b", true, "cannot be a cgroup name");
	bad_path(NULL, NULL, true, "empty container id");

	tap_ok(strcmp(berth_cgroup_mode_to_string(BERTH_CGROUP_LEGACY), "legacy") == 0 &&
		       strcmp(berth_cgroup_mode_to_string(BERTH_CGROUP_HYBRID), "hybrid") == 0 &&
		       strcmp(berth_cgroup_mode_to_string(BERTH_CGROUP_UNIFIED), "unified") == 0 &&
		       !berth_cgroup_mode_to_string(_BERTH_CGROUP_MODE_INVALID),
	       "mode names");
}

static void test_systemd_refused(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_cgroup *cg = NULL;
	int r;

	/* with systemd as PID 1 this would make a real scope: tests/vm/systemd-tests.sh covers that */
	if (BERTH_HAVE_SYSTEMD && access("/run/systemd/system", F_OK) == 0) {
		tap_ok(true, "systemd driver refused # SKIP systemd is running here");
		return;
	}
	r = berth_cgroup_create("/system.slice/berth-x.scope", true, &cg, &err);
	tap_ok(r == -ENOTSUP && !cg && err.msg &&
		       strstr(err.msg, BERTH_HAVE_SYSTEMD ? "/run/systemd/system missing" : "without systemd support"),
	       "systemd driver refused: %s", err.msg ? err.msg : "(no message)");
}

/* A child that waits to be killed; the pipe tells us it runs. */
static pid_t spawn_sleeper(void)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		(void)!write(p[1], "x", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0)
		(void)!read(p[0], &c, 1);
	close(p[0]);
	return pid;
}

/* The v1 lines and/or the v2 ("0::") line of /proc/PID/cgroup all show want. */
static bool pid_in_cgroup(pid_t pid, const char *want, bool check_v1, bool check_v2)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_xasprintf("/proc/%d/cgroup", (int)pid), *buf = NULL;
	char *line, *save = NULL;
	int n = 0;

	if (berth_read_file(path, 0, &buf, NULL, &err) < 0)
		return false;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		bool v2 = strncmp(line, "0::", 3) == 0;

		if (!c2 || (v2 ? !check_v2 : !check_v1))
			continue;
		if (strcmp(c2 + 1, want) != 0) {
			tap_diag("%s: %s", path, line);
			return false;
		}
		n++;
	}
	return n > 0;
}

static bool dir_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The mountpoints of the hierarchies, from /proc/self/mountinfo, for checking the directories. */
static char **cgroup_mounts(bool v2_too)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *buf = NULL;
	char **out = berth_xcalloc(64, sizeof(char *)), *line, *save = NULL;
	size_t n = 0;

	if (berth_read_file("/proc/self/mountinfo", 0, &buf, NULL, &err) < 0)
		return out;
	for (line = strtok_r(buf, "\n", &save); line && n < 63; line = strtok_r(NULL, "\n", &save)) {
		char mp[PATH_MAX], *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		if (strncmp(sep, " - cgroup ", 10) == 0 || (v2_too && strncmp(sep, " - cgroup2 ", 11) == 0))
			out[n++] = berth_xstrdup(mp);
	}
	return out;
}

static bool dirs_state(char **mounts, const char *path, bool want_exist)
{
	for (size_t i = 0; mounts[i]; i++) {
		_cleanup_free_ char *p = berth_xasprintf("%s%s", mounts[i], path);

		if (dir_exists(p) != want_exist) {
			tap_diag("`%s` %s", p, want_exist ? "missing" : "still there");
			return false;
		}
	}
	return true;
}

static bool kill_and_reap(struct berth_cgroup *cg, pid_t pid)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int status = 0;

	if (berth_cgroup_kill_all(cg, SIGKILL, &err) < 0) {
		tap_diag("kill_all: %s", err.msg);
		return false;
	}
	return waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

static bool has_pid(struct berth_cgroup *cg, pid_t pid, size_t want_n)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;

	if (berth_cgroup_get_pids(cg, &pids, &n, &err) < 0) {
		tap_diag("get_pids: %s", err.msg);
		return false;
	}
	return n == want_n && (n == 0 || pids[0] == pid);
}

/* create, enter a child, check /proc/PID/cgroup, pids, load, kill, destroy; abs is the absolute cgroupsPath. */
static void test_lifecycle(const char *label, const char *abs, const char *nested_full_prefix, bool v2,
			   bool v2_line)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_strv_free_ char **mounts = v2 ? NULL : cgroup_mounts(true);
	struct berth_cgroup *cg = NULL, *loaded = NULL;
	_cleanup_free_ char *nested = NULL, *parent = NULL;
	pid_t pid;
	int r;

	r = berth_cgroup_create(abs, false, &cg, &err);
	if (!tap_ok(r == 0, "%s: create `%s`%s%s", label, abs, err.msg ? ": " : "", err.msg ? err.msg : ""))
		return;
	tap_ok(strcmp(berth_cgroup_get_path(cg), abs) == 0, "%s: get_path is `%s`", label, berth_cgroup_get_path(cg));
	tap_ok(v2 == (berth_cgroup_get_unified_fd(cg) >= 0), "%s: unified fd only on v2", label);
	if (mounts)
		tap_ok(dirs_state(mounts, abs, true), "%s: directory in every hierarchy", label);

	pid = spawn_sleeper();
	r = berth_cgroup_enter(cg, pid, &err);
	tap_ok(r == 0, "%s: enter pid %d%s%s", label, (int)pid, err.msg ? ": " : "", err.msg ? err.msg : "");
	tap_ok(pid_in_cgroup(pid, abs, !v2, v2_line), "%s: /proc/%d/cgroup shows `%s` everywhere", label, (int)pid, abs);
	tap_ok(has_pid(cg, pid, 1), "%s: get_pids lists only the child", label);

	r = berth_cgroup_load(berth_cgroup_get_path(cg), false, &loaded, &err);
	tap_ok(r == 0 && has_pid(loaded, pid, 1), "%s: load and get_pids", label);

	/* a cgroup made inside the container must not stop destroy */
	nested = berth_xasprintf("%s%s/nested", nested_full_prefix, abs);
	tap_ok(mkdir(nested, 0755) == 0, "%s: mkdir nested `%s`", label, nested);

	tap_ok(kill_and_reap(loaded, pid), "%s: kill_all SIGKILL reaches the child", label);
	tap_ok(has_pid(loaded, 0, 0), "%s: no pids after kill", label);
	r = berth_cgroup_destroy(loaded, &err);
	tap_ok(r == 0, "%s: destroy%s%s", label, err.msg ? ": " : "", err.msg ? err.msg : "");
	tap_ok(!dir_exists(nested), "%s: nested cgroup removed", label);
	if (mounts)
		tap_ok(dirs_state(mounts, abs, false), "%s: directory gone from every hierarchy", label);
	r = berth_cgroup_destroy(cg, &err);
	tap_ok(r == 0, "%s: second destroy tolerates ENOENT", label);
	berth_cgroup_free(loaded);
	berth_cgroup_free(cg);

	/* the parent made by create stays (as with runc); clean it up through load */
	parent = berth_xstrndup(abs, (size_t)(strrchr(abs, '/') - abs));
	r = berth_cgroup_load(parent, false, &cg, &err);
	tap_ok(r == 0 && berth_cgroup_destroy(cg, &err) == 0, "%s: remove parent `%s`", label, parent);
	berth_cgroup_free(cg);
}

static void test_v1(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *abs = berth_xasprintf("/berth-test-%d/xyz", (int)getpid());
	_cleanup_free_ char *rel = berth_xasprintf("berth-rel-%d", (int)getpid());
	_cleanup_free_ char *cpus = NULL, *cpus_path = NULL;
	struct berth_cgroup *cg = NULL, *loaded = NULL;
	enum berth_cgroup_mode mode;
	pid_t pid;
	int r;

	r = berth_cgroup_detect_mode(&mode, &err);
	tap_ok(r == 0, "detect mode: %s", r == 0 ? berth_cgroup_mode_to_string(mode) : err.msg);
	if (r < 0 || mode == BERTH_CGROUP_UNIFIED) {
		tap_ok(true, "v1 lifecycle # SKIP host is not cgroup v1");
		return;
	}

	/* cpuset: the new directory must have inherited cpus, else enter fails */
	r = berth_cgroup_create(abs, false, &cg, &err);
	cpus_path = berth_xasprintf("/sys/fs/cgroup/cpuset%s/cpuset.cpus", abs);
	if (r == 0 && dir_exists("/sys/fs/cgroup/cpuset") &&
	    berth_read_file(cpus_path, 0, &cpus, NULL, &err) == 0)
		tap_ok(cpus[0] != '\n' && cpus[0] != '\0', "cpuset.cpus inherited: %s", strtok(cpus, "\n"));
	berth_cgroup_free(cg);
	cg = NULL;
	test_lifecycle("v1", abs, "/sys/fs/cgroup/pids", false, mode == BERTH_CGROUP_HYBRID);

	/* relative: below our own cgroup in each hierarchy, which differ here, so the location is per hierarchy */
	r = berth_cgroup_create(rel, false, &cg, &err);
	if (!tap_ok(r == 0, "v1 relative: create `%s`%s%s", rel, err.msg ? ": " : "", err.msg ? err.msg : ""))
		return;
	tap_diag("relative location: %s", shown(berth_cgroup_get_path(cg)));
	pid = spawn_sleeper();
	tap_ok(berth_cgroup_enter(cg, pid, &err) == 0, "v1 relative: enter");
	r = berth_cgroup_load(berth_cgroup_get_path(cg), false, &loaded, &err);
	tap_ok(r == 0 && has_pid(loaded, pid, 1), "v1 relative: load location and get_pids");
	tap_ok(kill_and_reap(loaded, pid), "v1 relative: kill");
	tap_ok(berth_cgroup_destroy(loaded, &err) == 0, "v1 relative: destroy%s%s", err.msg ? ": " : "",
	       err.msg ? err.msg : "");
	berth_cgroup_free(loaded);
	berth_cgroup_free(cg);

	/* a missing cgroup loads (delete of a half-removed container) and is empty */
	r = berth_cgroup_load("/berth-test-does-not-exist/x", false, &cg, &err);
	tap_ok(r == 0 && has_pid(cg, 0, 0) && berth_cgroup_destroy(cg, &err) == 0, "load of a missing cgroup");
	berth_cgroup_free(cg);
	cg = NULL;

	/* what the state file holds must be checked on load */
	r = berth_cgroup_load("/a/../b", false, &cg, &err);
	tap_ok(r == -EINVAL && !cg, "load rejects `..`: %s", err.msg ? err.msg : "");
	berth_error_release(&err);
	r = berth_cgroup_load("memory:relative\n", false, &cg, &err);
	tap_ok(r == -EINVAL && !cg, "load rejects a relative per-hierarchy path: %s", err.msg ? err.msg : "");
}

static bool is_cgroup2(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* Every controller the root offers is delegated down to the new cgroup. */
static void test_v2_delegation(const char *root, const char *abs)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *avail = NULL, *path = NULL, *got = NULL, *parent = NULL;
	struct berth_cgroup *cg = NULL;
	char *c, *save = NULL;
	bool all = true;

	if (berth_cgroup_create(abs, false, &cg, &err) < 0) {
		tap_ok(false, "v2 delegation: create: %s", err.msg);
		return;
	}
	path = berth_xasprintf("%s/cgroup.controllers", root);
	berth_read_file(path, 0, &avail, NULL, &err);
	free(path);
	path = berth_xasprintf("%s%s/cgroup.controllers", root, abs);
	berth_read_file(path, 0, &got, NULL, &err);
	for (c = avail ? strtok_r(avail, " \n", &save) : NULL; c; c = strtok_r(NULL, " \n", &save))
		all = all && got && strstr(got, c);
	tap_ok(avail && got && all, "v2 delegation: `%s` has the root's controllers: %s", path,
	       got ? strtok(got, "\n") ?: "(none)" : "(unreadable)");
	berth_cgroup_destroy(cg, &err);
	berth_cgroup_free(cg);
	parent = berth_xstrndup(abs, (size_t)(strrchr(abs, '/') - abs));
	if (berth_cgroup_load(parent, false, &cg, &err) == 0)
		berth_cgroup_destroy(cg, &err);
	berth_cgroup_free(cg);
}

static void test_v2(void)
{
	const char *root = "/sys/fs/cgroup/unified";
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *abs = berth_xasprintf("/berth-test-v2-%d/xyz", (int)getpid());
	_cleanup_free_ char *rel = berth_xasprintf("berth-rel-v2-%d", (int)getpid());
	_cleanup_free_ char *before = NULL, *ctl = NULL, *ctl_path = NULL, *rel_full = NULL;
	struct berth_cgroup *cg = NULL;
	enum berth_cgroup_mode mode;

	if (!is_cgroup2("/sys/fs/cgroup"))
		berth_cgroup_set_root_for_testing(root);
	else
		root = "/sys/fs/cgroup";
	if (!is_cgroup2(root)) {
		tap_ok(true, "v2 lifecycle # SKIP no cgroup2 mount");
		return;
	}
	tap_ok(berth_cgroup_detect_mode(&mode, &err) == 0 && mode == BERTH_CGROUP_UNIFIED, "v2: unified mode");

	/* create enables controllers in the root; put the root back as it was afterwards */
	ctl_path = berth_xasprintf("%s/cgroup.subtree_control", root);
	berth_read_file(ctl_path, 0, &before, NULL, &err);

	test_lifecycle("v2", abs, root, true, true);
	test_v2_delegation(root, abs);

	tap_ok(berth_cgroup_create(rel, false, &cg, &err) == 0, "v2 relative: create");
	rel_full = berth_xasprintf("%s/%s", root, rel);
	tap_ok(cg && dir_exists(rel_full), "v2 relative: below the parent of our own cgroup (`%s`)",
	       cg ? berth_cgroup_get_path(cg) : "");
	tap_ok(cg && berth_cgroup_destroy(cg, &err) == 0, "v2 relative: destroy");
	berth_cgroup_free(cg);

	if (before && strcmp(root, "/sys/fs/cgroup") != 0 &&
	    berth_read_file(ctl_path, 0, &ctl, NULL, &err) == 0 && strcmp(before, ctl) != 0) {
		char *c, *save = NULL;

		tap_diag("subtree_control of the root was `%s`, restoring", strtok(before, "\n") ?: "");
		for (c = strtok_r(ctl, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
			_cleanup_free_ char *minus = berth_xasprintf("-%s", c);

			if (!strstr(before, c))
				berth_write_file_string(AT_FDCWD, ctl_path, minus, &err);
		}
	}
	berth_cgroup_set_root_for_testing(NULL);
}

int main(void)
{
	test_path_resolve();
	test_systemd_refused();
	if (geteuid() != 0) {
		tap_ok(true, "real cgroups # SKIP not root");
		return tap_done();
	}
	test_v1();
	test_v2();
	return tap_done();
}
