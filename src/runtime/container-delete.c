#include "container.h"
#include "container-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* SIGKILL the init and everything in its cgroup; wait (bounded) for the init to be gone. */
static int kill_and_wait(const struct berth_state *s, struct berth_cgroup *cg, struct berth_error *err)
{
	_cleanup_close_ int pidfd = berth_state_pidfd(s);

	if (cg) {
		_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
		berth_cgroup_kill_all(cg, SIGKILL, &ignored);
		/* v1 frozen tasks do not die before they are thawed */
		berth_cgroup_freeze(cg, false, &ignored);
	}
	if (pidfd < 0)
		return 0;
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
		return berth_error_set(err, errno, "kill container `%s`", s->id);
	for (int i = 0; i < 100; i++) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		if (poll(&p, 1, 100) > 0)
			return 0;
	}
	return berth_error_setx(err, ETIMEDOUT, "container `%s`: init did not exit after SIGKILL", s->id);
}



int berth_container_cleanup(const char *root, int dirfd, const struct berth_state *s, struct berth_error *warn,
			    struct berth_error *err)
{
	_cleanup_(berth_oci_config_freep) struct berth_oci_config *cfg = NULL;
	_cleanup_close_ int rootfd = -EBADF;
	int r;

	if (berth_state_load_hooks(dirfd, &cfg, warn) >= 0 &&
	    berth_hooks_run_kind(cfg, s, BERTH_HOOK_POSTSTOP, BERTH_STATUS_STOPPED, warn) < 0)
		berth_error_prefix(warn, "poststop hook failed");
	if (s->cgroup_path) {
		_cleanup_(berth_cgroup_freep) struct berth_cgroup *cg = NULL;
		r = berth_cgroup_load(s->cgroup_path, s->systemd_cgroup, &cg, err);
		if (r >= 0)
			r = berth_cgroup_destroy(cg, err);
		if (r < 0 && r != -ENOENT)
			return berth_error_prefix(err, "delete container `%s`", s->id);
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_set(err, errno, "open state root `%s`", root);
	return berth_rm_rf_at(rootfd, s->id, err);
}

int berth_container_delete(const char *root, const char *id, bool force, struct berth_error *warn,
			   struct berth_error *err)
{
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_(berth_state_freep) struct berth_state *s = NULL;
	_cleanup_(berth_cgroup_freep) struct berth_cgroup *cg = NULL;
	enum berth_status st;
	int r;

	r = berth_state_dir_open(root, id, true, &dirfd, err);
	if (r < 0)
		return r;
	r = berth_state_load(dirfd, &s, err);
	if (r == -ENOENT) {
		/* a create that died before writing its state: only the directory is left */
		_cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		berth_error_release(err);
		return rootfd < 0 ? berth_error_set(err, errno, "open `%s`", root) : berth_rm_rf_at(rootfd, id, err);
	}
	if (r < 0)
		return r;
	if (s->cgroup_path)
		berth_cgroup_load(s->cgroup_path, s->systemd_cgroup, &cg, err);
	berth_error_release(err);
	st = berth_container_status(dirfd, s, cg);
	if ((st == BERTH_STATUS_RUNNING || st == BERTH_STATUS_PAUSED) && !force)
		return berth_error_setx(err, EBUSY, "cannot delete container %s that is not stopped: %s", id,
					berth_status_to_string(st));
	if (st != BERTH_STATUS_STOPPED || cg) {
		r = kill_and_wait(s, cg, err);
		if (r < 0)
			return r;
	}
	return berth_container_cleanup(root, dirfd, s, warn, err);
}

int berth_container_kill(const char *root, const char *id, int signo, bool all, struct berth_error *err)
{
	_cleanup_close_ int dirfd = -EBADF, pidfd = -EBADF;
	_cleanup_(berth_state_freep) struct berth_state *s = NULL;
	enum berth_status st;
	int r;

	r = berth_state_dir_open(root, id, false, &dirfd, err);
	if (r < 0)
		return r;
	r = berth_state_load(dirfd, &s, err);
	if (r < 0)
		return r;
	st = berth_state_status(dirfd, s);
	if (all && s->cgroup_path) {
		_cleanup_(berth_cgroup_freep) struct berth_cgroup *cg = NULL;
		r = berth_cgroup_load(s->cgroup_path, s->systemd_cgroup, &cg, err);
		if (r < 0)
			return r;
		return berth_cgroup_kill_all(cg, signo, err);
	}
	if (st == BERTH_STATUS_STOPPED)
		return berth_error_setx(err, ESRCH, "container not running");
	pidfd = berth_state_pidfd(s);
	if (pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, signo, NULL, 0) < 0) {
		if (pidfd < 0 ? pidfd == -ESRCH : errno == ESRCH)
			return berth_error_setx(err, ESRCH, "container not running");
		return berth_error_set(err, pidfd < 0 ? -pidfd : errno, "kill container `%s`", id);
	}
	return 0;
}
