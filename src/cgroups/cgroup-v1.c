/* cgroup v1 driver: one directory per hierarchy (and in the cgroup2 mount on hybrid hosts). */
#include "cgroups/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"

/* Hierarchies that best list every container process, in order of preference. */
static const char *const pids_hierarchies[] = { "pids", "devices", "freezer", "memory", "name=systemd" };

static bool is_blank(const char *s)
{
	return s[strspn(s, " \t\n")] == '\0';
}

/* A new cpuset cgroup starts with empty cpus and mems and then refuses tasks: inherit the parent's. */
static int cpuset_copy_one(int parent_fd, int child_fd, const char *child_full, const char *file,
			   struct berth_error *err)
{
	_cleanup_free_ char *cur = NULL, *val = NULL;
	const char *name = file;
	int r;

	r = berth_read_file_at(child_fd, name, 4096, &cur, NULL, err);
	if (r == -ENOENT) { /* mounted with noprefix */
		berth_error_release(err);
		name = file + strlen("cpuset.");
		r = berth_read_file_at(child_fd, name, 4096, &cur, NULL, err);
	}
	if (r < 0)
		return berth_error_prefix(err, "cgroup `%s`", child_full);
	if (!is_blank(cur))
		return 0;
	r = berth_read_file_at(parent_fd, name, 4096, &val, NULL, err);
	if (r < 0)
		return berth_error_prefix(err, "parent of cgroup `%s`", child_full);
	if (is_blank(val))
		return 0;
	r = berth_write_file_string(child_fd, name, val, err);
	if (r < 0)
		return berth_error_prefix(err, "cgroup `%s`", child_full);
	return 0;
}

static int cpuset_level(int parent_fd, int child_fd, const char *child_full, void *userdata, struct berth_error *err)
{
	int r = cpuset_copy_one(parent_fd, child_fd, child_full, "cpuset.cpus", err);

	if (r < 0)
		return r;
	return cpuset_copy_one(parent_fd, child_fd, child_full, "cpuset.mems", err);
}

static int v1_create(struct berth_cgroup *cg, struct berth_error *err)
{
	_cleanup_strv_free_ char **created = NULL;

	for (size_t i = 0; i < cg->n_dirs; i++) {
		struct berth_cgroup_dir *dir = &cg->dirs[i];
		bool cpuset = !dir->unified && berth_cgroup_has_controller(dir->controllers, "cpuset");
		int r;

		r = berth_cgroup_mkdir_walk(dir, strlen(dir->full) - strlen(dir->path), cpuset ? cpuset_level : NULL,
					    NULL, &created, err);
		if (r < 0) {
			berth_cgroup_rollback(created);
			return r;
		}
	}
	return 0;
}

static const struct berth_cgroup_dir *pids_dir(const struct berth_cgroup *cg)
{
	for (size_t k = 0; k < ARRAY_SIZE(pids_hierarchies); k++)
		for (size_t i = 0; i < cg->n_dirs; i++)
			if (!cg->dirs[i].unified && cg->dirs[i].dfd >= 0 &&
			    berth_cgroup_has_controller(cg->dirs[i].controllers, pids_hierarchies[k]))
				return &cg->dirs[i];
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (cg->dirs[i].dfd >= 0)
			return &cg->dirs[i];
	return NULL;
}

static int v1_get_pids(struct berth_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error *err)
{
	const struct berth_cgroup_dir *dir = pids_dir(cg);

	if (!dir) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	return berth_cgroup_read_pids(dir, ret, ret_n, err);
}

static int v1_kill_all(struct berth_cgroup *cg, int signo, struct berth_error *err)
{
	const struct berth_cgroup_dir *dir = pids_dir(cg);

	return dir ? berth_cgroup_signal_pids(dir, signo, err) : 0;
}

const struct berth_cgroup_ops berth_cgroup_ops_v1 = {
	.name = "cgroupfs-v1",
	.create = v1_create,
	.enter = berth_cgroup_enter_all,
	.get_pids = v1_get_pids,
	.kill_all = v1_kill_all,
	.destroy = berth_cgroup_remove_all,
	.apply_resources = berth_cgroup_v1_apply_resources,
	.freeze = berth_cgroup_v1_freeze,
	.is_frozen = berth_cgroup_v1_is_frozen,
	.stats = berth_cgroup_v1_stats,
	.oom_count = berth_cgroup_v1_oom_count,
};
