/*
 * runtime/mounts.c without mounting anything: path cleaning, mountinfo
 * parsing, and berth_path_open_in_root() against a hostile tree of symlinks
 * in a temporary directory (openat2 needs no privileges).
 */
#include "runtime/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static char tmpdir[] = "/tmp/berth-test-mounts-XXXXXX";
static char *root, *outside;

static void clean(const char *in, const char *want)
{
	_cleanup_free_ char *got = berth_path_clean(in);

	tap_ok(strcmp(got, want) == 0, "clean `%s` -> `%s` (got `%s`)", in, want, got);
}

static void test_clean(void)
{
	clean("", "/");
	clean("/", "/");
	clean("//", "/");
	clean("/a", "/a");
	clean("a", "/a");
	clean("/a/", "/a");
	clean("//a//b///c/", "/a/b/c");
	clean("/a/./b/.", "/a/b");
	clean("/a/b/../c", "/a/c");
	clean("/a/b/../../..", "/");
	clean("/../../etc", "/etc");
	clean("../x/../y", "/y");
	clean("/.../a", "/.../a");
	clean("/a/..b/.c", "/a/..b/.c");
}

static void test_option_list(void)
{
	TAP_OK(berth_mount_option_in_list("rw,cpu,cpuacct", "cpu"));
	TAP_OK(berth_mount_option_in_list("rw,cpu,cpuacct", "cpuacct"));
	TAP_OK(berth_mount_option_in_list("rw,cpu,cpuacct", "rw"));
	TAP_OK(!berth_mount_option_in_list("rw,cpuacct", "cpu"));
	TAP_OK(!berth_mount_option_in_list("rw,cpu,cpuacct", "acct"));
	TAP_OK(berth_mount_option_in_list("rw,name=systemd", "name=systemd"));
	TAP_OK(!berth_mount_option_in_list("", "rw"));
	TAP_OK(!berth_mount_option_in_list(NULL, "rw"));
}

static void test_mountinfo(void)
{
	static const char text[] =
		"22 27 0:21 / /proc rw,relatime shared:5 - proc proc rw\n"
		"36 35 98:0 /mnt1 /mnt\\040with\\040space rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n"
		"32 31 0:29 /sub /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n";
	_cleanup_free_ char *path = berth_xasprintf("%s/mountinfo", tmpdir);
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_mountinfo *mi = NULL;
	size_t n = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || berth_write_all(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	TAP_OK(berth_mountinfo_read(path, &mi, &n, &err) == 0 && n == 3);
	if (n == 3) {
		TAP_OK(mi[0].id == 22 && mi[0].parent_id == 27 && strcmp(mi[0].root, "/") == 0 &&
		       strcmp(mi[0].mount_point, "/proc") == 0 && strcmp(mi[0].options, "rw,relatime") == 0 &&
		       strcmp(mi[0].optional, "shared:5") == 0 && strcmp(mi[0].fstype, "proc") == 0 &&
		       strcmp(mi[0].source, "proc") == 0 && strcmp(mi[0].super_options, "rw") == 0);
		TAP_OK(strcmp(mi[1].mount_point, "/mnt with space") == 0 && strcmp(mi[1].root, "/mnt1") == 0 &&
		       strcmp(mi[1].optional, "master:1 shared:2") == 0 && strcmp(mi[1].fstype, "ext3") == 0 &&
		       strcmp(mi[1].super_options, "rw,errors=continue") == 0);
		TAP_OK(strcmp(mi[2].optional, "") == 0 && strcmp(mi[2].root, "/sub") == 0 &&
		       strcmp(mi[2].mount_point, "/sys/fs/cgroup/cpu,cpuacct") == 0 &&
		       berth_mount_option_in_list(mi[2].super_options, "cpuacct"));
	}
	berth_mountinfo_free(mi, n);

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || berth_write_all(fd, "1 2 3\n", 6) < 0)
		abort();
	close(fd);
	TAP_OK(berth_mountinfo_read(path, &mi, &n, &err) == -EINVAL && strstr(err.msg, "malformed"));
	TAP_OK(berth_mountinfo_read("/nonexistent/mountinfo", &mi, &n, &err) == -ENOENT);
	/* the real one parses */
	TAP_OK(berth_mountinfo_read(NULL, &mi, &n, &err) == 0 && n > 0);
	berth_mountinfo_free(mi, n);
	berth_error_release(&err);
}

static void mkdirs(const char *rel)
{
	_cleanup_free_ char *p = berth_xasprintf("%s/%s", tmpdir, rel);
	struct berth_error err = BERTH_ERROR_INIT;

	if (berth_mkdir_p(p, 0755, &err) < 0)
		abort();
}

static void symlink_in(const char *target, const char *rel)
{
	_cleanup_free_ char *p = berth_xasprintf("%s/%s", root, rel);

	if (symlink(target, p) < 0)
		abort();
}

static bool exists(const char *dir, const char *rel)
{
	_cleanup_free_ char *p = berth_xasprintf("%s/%s", dir, rel);
	struct stat st;

	return lstat(p, &st) == 0;
}

static bool outside_is_empty(void)
{
	_cleanup_free_ char *cmd = berth_xasprintf("test -z \"$(ls -A %s)\"", outside);

	return system(cmd) == 0;
}

/* Open path in root with flags; the fd (or -errno), the error message kept for a check. */
static int open_in(int root_fd, const char *path, unsigned flags, char **ret_msg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int fd = -EBADF, r = berth_path_open_in_root(root_fd, path, flags, &fd, &err);

	if (ret_msg)
		*ret_msg = err.msg ? berth_xstrdup(err.msg) : NULL;
	berth_error_release(&err);
	return r < 0 ? r : fd;
}

/* Is fd the file root/rel (same inode)? */
static bool fd_is(int fd, const char *rel)
{
	_cleanup_free_ char *p = berth_xasprintf("%s/%s", root, rel);
	struct stat a, b;

	return fd >= 0 && fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void test_open_in_root(void)
{
	_cleanup_close_ int root_fd = -EBADF;
	_cleanup_free_ char *msg = NULL;
	char abs_outside[4096];
	int fd;

	mkdirs("root/etc");
	mkdirs("root/dir");
	mkdirs("outside");
	root = berth_xasprintf("%s/root", tmpdir);
	outside = berth_xasprintf("%s/outside", tmpdir);
	snprintf(abs_outside, sizeof(abs_outside), "%s/x", outside);
	symlink_in("/../../etc", "abs-up");          /* stays at <root>/etc */
	symlink_in("../../../../../../etc", "rel-up"); /* same */
	symlink_in(abs_outside, "to-outside");       /* an absolute host path: <root><outside>/x */
	symlink_in("/nowhere/deeper", "dangling");   /* created inside */
	symlink_in("loop-b", "loop-a");
	symlink_in("loop-a", "loop-b");
	symlink_in("dir", "dir-link");
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		abort();

	fd = open_in(root_fd, "/etc", 0, NULL);
	TAP_OK(fd_is(fd, "etc"));
	close(fd);
	fd = open_in(root_fd, "/abs-up", BERTH_PATH_DIRECTORY, NULL);
	TAP_OK(fd_is(fd, "etc"));
	close(fd);
	fd = open_in(root_fd, "/rel-up/new/sub", BERTH_PATH_MKDIR, NULL);
	TAP_OK(fd_is(fd, "etc/new/sub"));
	close(fd);
	fd = open_in(root_fd, "/abs-up/newfile", BERTH_PATH_MKFILE, NULL);
	TAP_OK(fd_is(fd, "etc/newfile"));
	close(fd);

	/* a symlink to a host path is taken inside: nothing appears in the host dir */
	fd = open_in(root_fd, "/to-outside/made", BERTH_PATH_MKDIR, NULL);
	TAP_OK(fd >= 0 && outside_is_empty());
	{
		_cleanup_free_ char *rel = berth_xasprintf("%s/made", abs_outside + 1);

		TAP_OK(fd_is(fd, rel));
	}
	close(fd);

	/* a dangling symlink: what it names is created, inside */
	fd = open_in(root_fd, "/dangling", BERTH_PATH_MKFILE, NULL);
	TAP_OK(fd_is(fd, "nowhere/deeper"));
	close(fd);
	TAP_OK(!exists("/", "nowhere"));

	/* without create flags nothing is made */
	TAP_OK(open_in(root_fd, "/missing/x", 0, NULL) == -ENOENT && !exists(root, "missing"));
	TAP_OK(open_in(root_fd, "/loop-a", BERTH_PATH_MKDIR, NULL) == -ELOOP);

	/* NOFOLLOW: the last component may not be a symlink, the ones before may */
	fd = open_in(root_fd, "/abs-up", BERTH_PATH_NOFOLLOW, &msg);
	TAP_OK(fd == -ELOOP && msg && strstr(msg, "symlink"));
	free(TAKE_PTR(msg));
	fd = open_in(root_fd, "/dir-link/plain", BERTH_PATH_MKDIR | BERTH_PATH_NOFOLLOW | BERTH_PATH_DIRECTORY, NULL);
	TAP_OK(fd_is(fd, "dir/plain"));
	close(fd);
	fd = open_in(root_fd, "/etc/newfile", BERTH_PATH_NOFOLLOW | BERTH_PATH_DIRECTORY, &msg);
	TAP_OK(fd == -ENOTDIR && msg && strstr(msg, "not a directory"));
	free(TAKE_PTR(msg));
	fd = open_in(root_fd, "/dir/console", BERTH_PATH_MKFILE | BERTH_PATH_NOFOLLOW, NULL);
	TAP_OK(fd_is(fd, "dir/console"));
	close(fd);

	/* "/" and ".." never leave */
	fd = open_in(root_fd, "/../..", 0, NULL);
	TAP_OK(fd_is(fd, "."));
	close(fd);
	TAP_OK(outside_is_empty());
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		tap_skip_all("mkdtemp failed");
	test_clean();
	test_option_list();
	test_mountinfo();
	test_open_in_root();
	{
		struct berth_error err = BERTH_ERROR_INIT;

		berth_rm_rf_at(AT_FDCWD, tmpdir, &err);
		berth_error_release(&err);
	}
	free(root);
	free(outside);
	return tap_done();
}
