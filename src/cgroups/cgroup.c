/* The public cgroup API: build the per-hierarchy directories and dispatch to the driver. */
#include "cgroups/cgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

void berth_cgroup_free(struct berth_cgroup *cg)
{
	if (!cg)
		return;
	berth_cgroup_systemd_release(cg);
	for (size_t i = 0; i < cg->n_dirs; i++) {
		struct berth_cgroup_dir *dir = &cg->dirs[i];

		if (dir->dfd >= 0)
			close(dir->dfd);
		free(dir->controllers);
		free(dir->path);
		free(dir->full);
	}
	free(cg->dirs);
	free(cg->location);
	free(cg->unit);
	free(cg);
}

/* With systemd, path is absolute and its last component the unit's name. */
static struct berth_cgroup *cgroup_new(enum berth_cgroup_mode mode, size_t n_hiers, bool systemd, const char *path)
{
	struct berth_cgroup *cg = berth_xzalloc(sizeof(*cg));

	cg->mode = mode;
	cg->fs_ops = mode == BERTH_CGROUP_UNIFIED ? &berth_cgroup_ops_v2 : &berth_cgroup_ops_v1;
	cg->ops = systemd ? &berth_cgroup_ops_systemd : cg->fs_ops;
	if (systemd && path[0] == '/')
		cg->unit = berth_xstrdup(strrchr(path, '/') + 1);
	cg->dirs = berth_xcalloc(n_hiers ? n_hiers : 1, sizeof(*cg->dirs));
	return cg;
}

static void cgroup_add_dir(struct berth_cgroup *cg, const struct berth_cgroup_hier *h, const char *path)
{
	struct berth_cgroup_dir *dir = &cg->dirs[cg->n_dirs++];
	bool root_mount = strcmp(h->mountpoint, "/") == 0;

	*dir = (struct berth_cgroup_dir){
		.controllers = berth_xstrdup(h->controllers),
		.path = berth_xstrdup(path),
		.full = berth_xasprintf("%s%s", root_mount ? "" : h->mountpoint, path),
		.unified = h->unified,
		.dfd = -EBADF,
	};
}

/* "/a/b" when every directory has that path, else one "<controllers>:<path>" line each. */
static char *make_location(const struct berth_cgroup *cg)
{
	size_t len = 0, size = 1;
	bool same = true;
	char *out;

	for (size_t i = 1; i < cg->n_dirs; i++)
		same = same && strcmp(cg->dirs[i].path, cg->dirs[0].path) == 0;
	if (same)
		return berth_xstrdup(cg->n_dirs ? cg->dirs[0].path : "/");

	for (size_t i = 0; i < cg->n_dirs; i++)
		size += strlen(cg->dirs[i].controllers) + strlen(cg->dirs[i].path) + 2;
	out = berth_xmalloc(size);
	for (size_t i = 0; i < cg->n_dirs; i++) {
		const struct berth_cgroup_dir *dir = &cg->dirs[i];

		len += (size_t)snprintf(out + len, size - len, "%s:%s\n", dir->controllers, dir->path);
	}
	return out;
}

/* Where a relative path lives in hierarchy h: below our own cgroup (v1), or its parent (v2). */
static int relative_base(const struct berth_cgroup_hier *h, enum berth_cgroup_mode mode, char **ret,
			 struct berth_error *err)
{
	_cleanup_free_ char *own = NULL;
	char *slash;
	int r;

	r = berth_cgroup_get_own(h, &own, err);
	if (r < 0)
		return r;
	/* our own v2 cgroup holds processes and so cannot enable controllers for a child */
	if (mode == BERTH_CGROUP_UNIFIED) {
		slash = strrchr(own, '/');
		if (slash)
			*slash = '\0';
	}
	/* "/" and "" both mean the root: return "" so that base + "/" + path is right */
	if (strcmp(own, "/") == 0)
		own[0] = '\0';
	*ret = TAKE_PTR(own);
	return 0;
}

int berth_cgroup_create(const char *path, bool systemd, struct berth_cgroup **ret, struct berth_error *err)
{
	_cleanup_cgroup_ struct berth_cgroup *cg = NULL;
	_cleanup_free_ char *norm = NULL;
	const struct berth_cgroup_hier *hiers;
	enum berth_cgroup_mode mode;
	size_t n_hiers;
	int r;

	if (systemd) {
		r = berth_cgroup_systemd_check(err);
		if (r < 0)
			return r;
	}
	if (!path || !path[0])
		return berth_error_setx(err, EINVAL, "empty cgroup path");
	if (systemd && path[0] != '/')
		return berth_error_setx(err, EINVAL, "systemd cgroup path `%s` is not absolute", path);
	/* the id is unused for a non-empty path: this only normalises and validates */
	r = berth_cgroup_path_resolve(path, "-", false, &norm, err);
	if (r < 0)
		return r;
	r = berth_cgroup_detect_mode(&mode, err);
	if (r < 0)
		return r;
	r = berth_cgroup_get_hierarchies(&hiers, &n_hiers, err);
	if (r < 0)
		return r;

	cg = cgroup_new(mode, n_hiers, systemd, norm);
	for (size_t i = 0; i < n_hiers; i++) {
		_cleanup_free_ char *base = NULL, *joined = NULL;

		if (norm[0] == '/') {
			cgroup_add_dir(cg, &hiers[i], norm);
			continue;
		}
		r = relative_base(&hiers[i], mode, &base, err);
		if (r < 0)
			return berth_error_prefix(err, "cgroup path `%s`", norm);
		joined = berth_xasprintf("%s/%s", base, norm);
		cgroup_add_dir(cg, &hiers[i], joined);
	}
	cg->location = make_location(cg);

	r = cg->ops->create(cg, err);
	if (r < 0)
		return berth_error_prefix(err, "create cgroup `%s`", norm);
	*ret = TAKE_PTR(cg);
	return 0;
}

/* An absolute, normalised path, as stored by berth_cgroup_create(). */
static int check_stored_path(const char *path, struct berth_error *err)
{
	_cleanup_free_ char *norm = NULL;
	int r;

	if (path[0] != '/')
		return berth_error_setx(err, EINVAL, "stored cgroup path `%s` is not absolute", path);
	r = berth_cgroup_path_resolve(path, "-", false, &norm, err);
	if (r < 0)
		return r;
	if (strcmp(norm, path) != 0)
		return berth_error_setx(err, EINVAL, "stored cgroup path `%s` is not normalised", path);
	return 0;
}

/* Find the path for hierarchy h in a "<controllers>:<path>" per line location; NULL if absent. */
static char *lookup_location(const char *location, const struct berth_cgroup_hier *h)
{
	size_t clen = strlen(h->controllers);

	for (const char *line = location; *line;) {
		size_t len = strcspn(line, "\n");

		if (len > clen && strncmp(line, h->controllers, clen) == 0 && line[clen] == ':')
			return berth_xstrndup(line + clen + 1, len - clen - 1);
		line += len;
		if (*line == '\n')
			line++;
	}
	return NULL;
}

int berth_cgroup_load(const char *path, bool systemd, struct berth_cgroup **ret, struct berth_error *err)
{
	_cleanup_cgroup_ struct berth_cgroup *cg = NULL;
	const struct berth_cgroup_hier *hiers;
	enum berth_cgroup_mode mode;
	size_t n_hiers;
	int r;

	if (!path || !path[0])
		return berth_error_setx(err, EINVAL, "empty cgroup path");
	r = berth_cgroup_detect_mode(&mode, err);
	if (r < 0)
		return r;
	r = berth_cgroup_get_hierarchies(&hiers, &n_hiers, err);
	if (r < 0)
		return r;

	cg = cgroup_new(mode, n_hiers, systemd, path);
	cg->location = berth_xstrdup(path);
	for (size_t i = 0; i < n_hiers; i++) {
		_cleanup_free_ char *p = path[0] == '/' ? berth_xstrdup(path) : lookup_location(path, &hiers[i]);

		if (!p)
			continue; /* a hierarchy mounted after the container was made */
		r = check_stored_path(p, err);
		if (r < 0)
			return r;
		cgroup_add_dir(cg, &hiers[i], p);
		r = berth_cgroup_dir_open(&cg->dirs[cg->n_dirs - 1], true, err);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(cg);
	return 0;
}

const char *berth_cgroup_get_path(const struct berth_cgroup *cg)
{
	return cg->location;
}

enum berth_cgroup_mode berth_cgroup_get_mode(const struct berth_cgroup *cg)
{
	return cg->mode;
}

int berth_cgroup_get_unified_fd(const struct berth_cgroup *cg)
{
	if (cg->mode != BERTH_CGROUP_UNIFIED || cg->n_dirs == 0)
		return -EBADF;
	return cg->dirs[0].dfd;
}

void berth_cgroup_drop_placeholder(struct berth_cgroup *cg)
{
	berth_cgroup_systemd_drop_placeholder(cg);
}

int berth_cgroup_enter(struct berth_cgroup *cg, pid_t pid, struct berth_error *err)
{
	if (pid <= 0)
		return berth_error_setx(err, EINVAL, "invalid pid %d", (int)pid);
	return cg->ops->enter(cg, pid, err);
}

int berth_cgroup_get_pids(struct berth_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error *err)
{
	return cg->ops->get_pids(cg, ret, ret_n, err);
}

int berth_cgroup_kill_all(struct berth_cgroup *cg, int signo, struct berth_error *err)
{
	return cg->ops->kill_all(cg, signo, err);
}

int berth_cgroup_destroy(struct berth_cgroup *cg, struct berth_error *err)
{
	return cg->ops->destroy(cg, err);
}

int berth_cgroup_apply_resources(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
				 struct berth_error *err)
{
	int ret = cg->ops->apply_resources(cg, r, update, err);

	if (ret < 0)
		return berth_error_prefix(err, "cgroup `%s`", cg->location);
	return 0;
}

int berth_cgroup_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error *err)
{
	return cg->ops->freeze(cg, frozen, err);
}

int berth_cgroup_is_frozen(struct berth_cgroup *cg, bool *ret, struct berth_error *err)
{
	return cg->ops->is_frozen(cg, ret, err);
}

int berth_cgroup_stats(struct berth_cgroup *cg, json_t **ret, struct berth_error *err)
{
	return cg->ops->stats(cg, ret, err);
}

int berth_cgroup_oom_count(struct berth_cgroup *cg, uint64_t *ret, struct berth_error *err)
{
	return cg->ops->oom_count(cg, ret, err);
}
