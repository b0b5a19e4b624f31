#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/container-db.h"
#include "engine/container-network.h"
#include "engine/container-internal.h"
#include "engine/volume.h"
#include "image/image-db.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/*
 * A helper program of berth's own (never one from an image): $ENV, else
 * beside the berth binary, in libexec/berth, or in the build tree
 * (src/cmd/berth -> src/cmd/<name>).
 */
static char *find_helper(const char *self, const char *env_name, const char *name)
{
	const char *env = getenv(env_name);
	_cleanup_free_ char *dir = NULL;
	char *slash, *p;

	if (env && *env)
		return berth_xstrdup(env);
	dir = berth_xstrdup(self ? self : "/usr/local/bin/berth");
	/* without berth's own path: the installed layout */
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	p = berth_xasprintf("%s/%s", dir, name);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	p = berth_xasprintf("%s/../libexec/berth/%s", dir, name);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return berth_xasprintf("%s/../%s/%s", dir, name, name);
}

int berth_engine_open(const char *root, const char *run_root, const char *self_path, struct berth_engine **ret,
		      struct berth_error *err)
{
	_cleanup_(berth_store_freep) struct berth_store *store = NULL;
	struct berth_engine *e;
	int r;

	if ((r = berth_store_open(root, run_root, &store, err)) < 0)
		return r;
	if ((r = berth_ctr_db_init(store->db, err)) < 0 || (r = berth_volume_db_init(store->db, err)) < 0)
		return r;
	e = berth_xzalloc(sizeof(*e));
	e->ctr_dir = berth_xasprintf("%s/containers", store->root);
	e->run_dir = berth_xasprintf("%s/containers", store->run_root);
	e->runtime_root = berth_xasprintf("%s/runtime", store->run_root);
	e->self_path = berth_xstrdup_or_null(self_path);
	e->monitor_path = find_helper(e->self_path, "BERTH_MONITOR", "berth-monitor");
	e->init_path = find_helper(e->self_path, "BERTH_INIT", "berth-init");
	e->store = TAKE_PTR(store);
	if ((r = berth_mkdir_p(e->ctr_dir, 0700, err)) < 0 || (r = berth_mkdir_p(e->run_dir, 0700, err)) < 0 ||
	    (r = berth_net_open(e->store->db, e->store->root, e->store->run_root, e->ctr_dir, &e->net, err)) < 0) {
		berth_engine_free(e);
		return r;
	}
	/* self-healing: namespaces of containers a crash removed half-way (a readdir when all is well) */
	{
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		berth_ctr_net_init(e, &ignore);
	}
	*ret = e;
	return 0;
}

void berth_engine_free(struct berth_engine *e)
{
	if (!e)
		return;
	berth_net_free(e->net);
	berth_store_free(e->store);
	free(e->ctr_dir);
	free(e->run_dir);
	free(e->runtime_root);
	free(e->monitor_path);
	free(e->init_path);
	free(e->self_path);
	free(e);
}

char *berth_engine_ctr_path(const struct berth_engine *e, const char *id, const char *name)
{
	return name ? berth_xasprintf("%s/%s/%s", e->ctr_dir, id, name) : berth_xasprintf("%s/%s", e->ctr_dir, id);
}

char *berth_engine_run_path(const struct berth_engine *e, const char *id, const char *name)
{
	return name ? berth_xasprintf("%s/%s/%s", e->run_dir, id, name) : berth_xasprintf("%s/%s", e->run_dir, id);
}

int berth_engine_lock_ctr(const struct berth_engine *e, const char *id, struct berth_error *err)
{
	_cleanup_free_ char *dir = berth_engine_ctr_path(e, id, NULL);
	_cleanup_close_ int dfd = -EBADF, fd = -EBADF;

	/* never made here: a lock taken after a removal must not bring the directory back */
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? berth_error_setx(err, ENOENT, "No such container: %s", id)
				       : berth_error_set(err, errno, "open \"%s\"", dir);
	/* made by create only: a removal in progress (rm -rf) must not find a fresh one */
	fd = openat(dfd, "lock", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? berth_error_setx(err, ENOENT, "No such container: %s", id)
				       : berth_error_set(err, errno, "open the lock of container %s", id);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return berth_error_set(err, errno, "lock container %s", id);
	return TAKE_FD(fd);
}

int berth_ctr_get_locked(struct berth_engine *e, const char *ref, struct berth_ctr *ret, struct berth_error *err)
{
	_cleanup_close_ int lock = -EBADF;
	struct berth_ctr c = { 0 };
	_cleanup_free_ char *id = NULL;
	int r;

	if ((r = berth_ctr_db_lookup(e->store->db, ref, &c, err)) < 0)
		return r;
	id = berth_xstrdup(c.id);
	berth_ctr_release(&c);
	lock = berth_engine_lock_ctr(e, id, err);
	if (lock == -ENOENT)
		return berth_error_setx(err, ENOENT, "No such container: %s", ref);
	if (lock < 0)
		return lock;
	/* the row as it is now that nobody else can change it */
	if ((r = berth_ctr_db_lookup(e->store->db, id, ret, err)) < 0)
		return r == -ENOENT ? berth_error_setx(err, ENOENT, "No such container: %s", ref) : r;
	if ((r = berth_ctr_refresh(e, ret, err)) < 0) {
		berth_ctr_release(ret);
		return r;
	}
	return TAKE_FD(lock);
}
