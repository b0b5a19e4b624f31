/* cgroup v2 driver: one directory in the unified tree. */
#include "cgroups/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* "cpu io memory\n" -> "+cpu +io" for those not in enabled; NULL when nothing is missing. */
static char *missing_controllers(char *available, const char *enabled)
{
	_cleanup_free_ char *out = NULL;
	_cleanup_free_ char *on = berth_xstrdup(enabled);
	char *c, *save = NULL;
	size_t len = 0;

	/* make "a b\n" a comma list for berth_cgroup_has_controller() */
	for (char *p = on; *p; p++)
		if (*p == ' ' || *p == '\n')
			*p = ',';
	out = berth_xmalloc(2 * strlen(available) + 2);
	for (c = strtok_r(available, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		if (berth_cgroup_has_controller(on, c))
			continue;
		len += (size_t)sprintf(out + len, "%s+%s", len ? " " : "", c);
	}
	return len ? TAKE_PTR(out) : NULL;
}

/*
 * Delegate every controller the parent has to its children, as runc and crun
 * do.  Failures are not errors: a controller may be unavailable (ENOENT), or
 * the parent may hold processes (EBUSY); the resource settings that need a
 * missing controller will say so.
 */
static int enable_controllers(int parent_fd, int child_fd, const char *child_full, void *userdata,
			      struct berth_error *err)
{
	_cleanup_free_ char *available = NULL, *enabled = NULL, *want = NULL;
	_cleanup_close_ int fd = -EBADF;
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	char *c, *save = NULL;

	if (berth_read_file_at(parent_fd, "cgroup.controllers", 4096, &available, NULL, &ignored) < 0 ||
	    berth_read_file_at(parent_fd, "cgroup.subtree_control", 4096, &enabled, NULL, &ignored) < 0)
		return 0;
	want = missing_controllers(available, enabled);
	if (!want)
		return 0;

	fd = openat(parent_fd, "cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (berth_write_all(fd, want, strlen(want)) == 0)
		return 0;
	/* one failing controller fails the whole write: retry one by one */
	for (c = strtok_r(want, " ", &save); c; c = strtok_r(NULL, " ", &save))
		(void)berth_write_all(fd, c, strlen(c));
	return 0;
}

static int v2_create(struct berth_cgroup *cg, struct berth_error *err)
{
	_cleanup_strv_free_ char **created = NULL;
	struct berth_cgroup_dir *dir = &cg->dirs[0];
	int r;

	r = berth_cgroup_mkdir_walk(dir, strlen(dir->full) - strlen(dir->path), enable_controllers, NULL, &created,
				    err);
	if (r < 0)
		berth_cgroup_rollback(created);
	return r;
}

static int v2_get_pids(struct berth_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error *err)
{
	return berth_cgroup_read_pids(&cg->dirs[0], ret, ret_n, err);
}

static int v2_kill_all(struct berth_cgroup *cg, int signo, struct berth_error *err)
{
	const struct berth_cgroup_dir *dir = &cg->dirs[0];

	if (dir->dfd < 0)
		return 0;
	/* cgroup.kill (Linux 5.14) kills the whole subtree at once, forks included */
	if (signo == SIGKILL) {
		_cleanup_close_ int fd = openat(dir->dfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			int r = berth_write_all(fd, "1", 1);

			if (r < 0)
				return berth_error_set(err, -r, "write `%s/cgroup.kill`", dir->full);
			return 0;
		}
		if (errno != ENOENT)
			return berth_error_set(err, errno, "open `%s/cgroup.kill`", dir->full);
	}
	return berth_cgroup_signal_pids(dir, signo, err);
}

const struct berth_cgroup_ops berth_cgroup_ops_v2 = {
	.name = "cgroupfs-v2",
	.create = v2_create,
	.enter = berth_cgroup_enter_all,
	.get_pids = v2_get_pids,
	.kill_all = v2_kill_all,
	.destroy = berth_cgroup_remove_all,
	.apply_resources = berth_cgroup_v2_apply_resources,
	.freeze = berth_cgroup_v2_freeze,
	.is_frozen = berth_cgroup_v2_is_frozen,
	.stats = berth_cgroup_v2_stats,
	.oom_count = berth_cgroup_v2_oom_count,
};
