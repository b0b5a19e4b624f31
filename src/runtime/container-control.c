/*
 * pause, resume, ps, update and the cgroup side of events: the verbs that
 * act on a running container through its cgroup.
 */
#include "container.h"
#include "container-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "cgroups/resources.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* Open, lock (shared or exclusive) and load a container and its cgroup. */
static int open_container(const char *root, const char *id, bool exclusive, int *ret_dirfd, struct berth_state **ret_state,
			  struct berth_cgroup **ret_cg, struct berth_error *err)
{
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_(berth_state_freep) struct berth_state *s = NULL;
	int r;

	r = berth_state_dir_open(root, id, exclusive, &dirfd, err);
	if (r < 0)
		return r;
	r = berth_state_load(dirfd, &s, err);
	if (r < 0)
		return r;
	if (!s->cgroup_path)
		return berth_error_setx(err, ENOTSUP, "container `%s` has no cgroup", id);
	r = berth_cgroup_load(s->cgroup_path, s->systemd_cgroup, ret_cg, err);
	if (r < 0)
		return r;
	*ret_dirfd = TAKE_FD(dirfd);
	*ret_state = TAKE_PTR(s);
	return 0;
}

enum berth_status berth_container_status(int dirfd, const struct berth_state *s, struct berth_cgroup *cg)
{
	enum berth_status st = berth_state_status(dirfd, s);
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	bool frozen = false;

	if (st == BERTH_STATUS_RUNNING && cg && berth_cgroup_is_frozen(cg, &frozen, &ignored) >= 0 && frozen)
		return BERTH_STATUS_PAUSED;
	return st;
}

static int set_frozen(const char *root, const char *id, bool frozen, struct berth_error *err)
{
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_(berth_state_freep) struct berth_state *s = NULL;
	_cleanup_(berth_cgroup_freep) struct berth_cgroup *cg = NULL;
	enum berth_status st;
	int r;

	r = open_container(root, id, true, &dirfd, &s, &cg, err);
	if (r < 0)
		return r;
	st = berth_container_status(dirfd, s, cg);
	if (frozen && st != BERTH_STATUS_RUNNING)
		return berth_error_setx(err, EINVAL, "container not running");
	if (!frozen && st != BERTH_STATUS_PAUSED)
		return berth_error_setx(err, EINVAL, "container not paused");
	r = berth_cgroup_freeze(cg, frozen, err);
	if (r < 0)
		return berth_error_prefix(err, "%s container `%s`", frozen ? "pause" : "resume", id);
	return 0;
}

int berth_container_pause(const char *root, const char *id, struct berth_error *err)
{
	return set_frozen(root, id, true, err);
}

int berth_container_resume(const char *root, const char *id, struct berth_error *err)
{
	return set_frozen(root, id, false, err);
}

int berth_container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct berth_error *err)
{
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_(berth_state_freep) struct berth_state *s = NULL;
	_cleanup_(berth_cgroup_freep) struct berth_cgroup *cg = NULL;
	int r;

	r = open_container(root, id, false, &dirfd, &s, &cg, err);
	if (r < 0)
		return r;
	if (berth_container_status(dirfd, s, cg) == BERTH_STATUS_STOPPED)
		return berth_error_setx(err, ESRCH, "container `%s` is not running", id);
	return berth_cgroup_get_pids(cg, ret, ret_n, err);
}

/* Merge `patch` into the saved config's linux.resources, so later reads see the update. */
static int save_resources(int dirfd, json_t *patch, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	json_error_t jerr;
	json_t *cfg, *linux_, *res;
	int r;

	r = berth_read_file_at(dirfd, BERTH_STATE_CONFIG, 16 << 20, &text, NULL, err);
	if (r < 0)
		return r;
	cfg = json_loads(text, 0, &jerr);
	if (!cfg)
		return berth_error_setx(err, EINVAL, "saved config.json:%d:%d: %s", jerr.line, jerr.column, jerr.text);
	linux_ = json_object_get(cfg, "linux");
	if (!json_is_object(linux_)) {
		linux_ = json_object();
		json_object_set_new(cfg, "linux", linux_);
	}
	res = json_object_get(linux_, "resources");
	if (!json_is_object(res)) {
		res = json_object();
		json_object_set_new(linux_, "resources", res);
	}
	json_object_update_recursive(res, patch);
	out = json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(cfg);
	if (!out)
		abort();
	return berth_write_file_replace(dirfd, BERTH_STATE_CONFIG, out, strlen(out), 0600, err);
}

int berth_container_update(const char *root, const char *id, json_t *resources, struct berth_error *err)
{
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_(berth_state_freep) struct berth_state *s = NULL;
	_cleanup_(berth_cgroup_freep) struct berth_cgroup *cg = NULL;
	struct berth_cgroup_resources *res = NULL;
	int r;

	r = open_container(root, id, true, &dirfd, &s, &cg, err);
	if (r < 0)
		return r;
	if (berth_container_status(dirfd, s, cg) == BERTH_STATUS_STOPPED)
		return berth_error_setx(err, EINVAL, "container `%s` is not running", id);
	r = berth_cgroup_resources_parse(resources, &res, err);
	if (r < 0)
		return r;
	r = berth_cgroup_apply_resources(cg, res, true, err);
	berth_cgroup_resources_free(res);
	if (r < 0)
		return berth_error_prefix(err, "update container `%s`", id);
	return save_resources(dirfd, resources, err);
}

int berth_container_stats(const char *root, const char *id, json_t **ret_stats, uint64_t *ret_oom_count,
			  struct berth_error *err)
{
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_(berth_state_freep) struct berth_state *s = NULL;
	_cleanup_(berth_cgroup_freep) struct berth_cgroup *cg = NULL;
	int r;

	r = open_container(root, id, false, &dirfd, &s, &cg, err);
	if (r < 0)
		return r;
	if (berth_container_status(dirfd, s, cg) == BERTH_STATUS_STOPPED)
		return berth_error_setx(err, ESRCH, "container `%s` is not running", id);
	if (ret_oom_count) {
		_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
		if (berth_cgroup_oom_count(cg, ret_oom_count, &ignored) < 0)
			*ret_oom_count = 0;
	}
	if (!ret_stats)
		return 0;
	return berth_cgroup_stats(cg, ret_stats, err);
}
