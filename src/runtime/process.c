#include "runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/capabilities.h"
#include "runtime/rlimits.h"
#include "runtime/user.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/*
 * chdir() through openat2(RESOLVE_NO_MAGICLINKS) + fchdir(): the init still
 * holds runtime fds, and a cwd of /proc/self/fd/N must not reach them.
 * Returns 0 or -errno.
 */
static int chdir_cwd(const char *cwd)
{
	_cleanup_close_ int fd = berth_openat2(AT_FDCWD, cwd, O_PATH | O_DIRECTORY, 0, RESOLVE_NO_MAGICLINKS);

	/* no openat2 (old kernel), or a seccomp profile that refuses it: plain chdir */
	if (fd == -ENOSYS || fd == -EPERM)
		return chdir(cwd) < 0 ? -errno : 0;
	if (fd < 0)
		return fd;
	return fchdir(fd) < 0 ? -errno : 0;
}

/* runc's verifyCwd: getcwd() reports ENOENT ("(unreachable)") for a cwd outside our root. */
static int verify_cwd(struct berth_error *err)
{
	char buf[PATH_MAX];

	if (!getcwd(buf, sizeof(buf))) {
		if (errno == ENOENT)
			return berth_error_setx(err, EPERM,
						"current working directory is outside of container mount namespace "
						"root -- possible container breakout detected");
		return berth_error_set(err, errno, "verify the current working directory");
	}
	if (buf[0] != '/')
		return berth_error_setx(err, EPERM,
					"current working directory is not absolute -- possible container breakout "
					"detected: cwd is `%s`",
					buf);
	return 0;
}

static int install_seccomp(const struct berth_seccomp_filter *filter, int *listener_fd, struct berth_error *err)
{
	int r = berth_seccomp_install(filter, listener_fd, err);

	return r < 0 ? berth_error_prefix(err, "init seccomp") : 0;
}

static int switch_user(const struct berth_oci_process *p, const struct berth_oci_capabilities *caps, bool in_userns,
		       struct berth_error *err)
{
	int r;

	r = berth_capabilities_apply_bounding(caps, err);
	if (r < 0)
		return berth_error_prefix(err, "apply bounding set");
	r = berth_capabilities_set_keepcaps(true, err);
	if (r < 0)
		return r;
	r = berth_user_apply(&p->user, in_userns ? berth_user_setgroups_allowed() : true, err);
	if (r < 0)
		return berth_error_prefix(err, "set up user");
	return 0;
}

int berth_process_finalize_full(const struct berth_oci_process *p, const struct berth_seccomp_filter *filter,
				bool in_userns, int *ret_listener_fd, struct berth_error *err)
{
	static const struct berth_oci_capabilities no_caps;
	const struct berth_oci_capabilities *caps = p->has_capabilities ? &p->capabilities : &no_caps;
	_cleanup_close_ int listener = -EBADF;
	bool chdir_again = false;
	int r;

	if (ret_listener_fd)
		*ret_listener_fd = -EBADF;

	r = berth_rlimits_apply(p->rlimits, p->n_rlimits, err);
	if (r < 0)
		return r;
	if (filter && !p->no_new_privileges) {
		r = install_seccomp(filter, &listener, err);
		if (r < 0)
			return r;
	}

	/* first as the runtime's user: reaches directories the container user cannot (runc) */
	if (p->cwd) {
		r = chdir_cwd(p->cwd);
		if (r == -EACCES || r == -EPERM)
			chdir_again = true;
		else if (r < 0)
			return berth_error_set(err, -r, "chdir to cwd `%s` set in config.json", p->cwd);
	}

	r = switch_user(p, caps, in_userns, err);
	if (r < 0)
		return r;

	/* ... and again as the container user, for volumes only it may enter */
	if (chdir_again) {
		r = chdir_cwd(p->cwd);
		if (r < 0)
			return berth_error_set(err, -r, "chdir to cwd `%s` set in config.json", p->cwd);
	}
	if (p->cwd) {
		r = verify_cwd(err);
		if (r < 0)
			return r;
	}

	r = berth_capabilities_set_keepcaps(false, err);
	if (r < 0)
		return r;
	r = berth_capabilities_apply(caps, err);
	if (r < 0)
		return berth_error_prefix(err, "apply capabilities");

	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) < 0)
		return berth_error_set(err, errno, "set no_new_privs");
	if (filter && p->no_new_privileges) {
		r = install_seccomp(filter, &listener, err);
		if (r < 0)
			return r;
	}

	if (ret_listener_fd)
		*ret_listener_fd = TAKE_FD(listener);
	return 0;
}

int berth_process_finalize(const struct berth_oci_process *p, const struct berth_seccomp_filter *filter, bool in_userns,
			   struct berth_error *err)
{
	return berth_process_finalize_full(p, filter, in_userns, NULL, err);
}

/* Go's findExecutable: a non-directory the effective ids may execute. Returns 0 or -errno. */
static int check_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0) {
		/* ENOSYS / EPERM (seccomp): fall back on the mode bits, like Go */
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		if (!(st.st_mode & 0111))
			return -EACCES;
	}
	return 0;
}

static const char *env_path(char *const *env)
{
	const char *path = NULL;

	for (char *const *e = env; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5; /* the last one wins, as in runc's prepareEnv */
	return path;
}

int berth_process_find_executable(const char *arg0, char *const *env, char **ret_path, struct berth_error *err)
{
	const char *path, *p;
	int r;

	if (strchr(arg0, '/')) {
		r = check_executable(arg0);
		if (r < 0)
			return berth_error_set(err, -r, "exec: \"%s\"", arg0);
		*ret_path = berth_xstrdup(arg0);
		return 0;
	}

	path = env_path(env);
	for (p = path; *arg0 && p;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		_cleanup_free_ char *candidate = NULL;

		while (len > 1 && p[len - 1] == '/')
			len--;
		/* an empty element means the current directory */
		if (len == 0)
			candidate = berth_xasprintf("./%s", arg0);
		else
			candidate = berth_xasprintf("%.*s/%s", (int)len, p, arg0);
		if (check_executable(candidate) == 0) {
			*ret_path = TAKE_PTR(candidate);
			return 0;
		}
		p = colon ? colon + 1 : NULL;
	}
	return berth_error_setx(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
}

int berth_oom_score_adj_apply(int value, struct berth_error *err)
{
	_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	char buf[16];
	int n, r;

	if (fd < 0)
		return berth_error_set(err, errno, "open `/proc/self/oom_score_adj`");
	n = snprintf(buf, sizeof(buf), "%d", value);
	r = berth_write_all(fd, buf, (size_t)n);
	if (r < 0)
		return berth_error_set(err, -r, "write %d to `/proc/self/oom_score_adj`", value);
	return 0;
}
