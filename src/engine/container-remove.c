/* The end of a container: cleanup when its process exits, remove when the user says so. */
#include "engine/container.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "engine/container-internal.h"
#include "engine/volume.h"
#include "engine/container-network.h"
#include "image/overlay.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"


/* Runtime state and the root mount: what a stopped container does not need. */
static int teardown(struct berth_engine *e, const struct berth_ctr *c, struct berth_error *err)
{
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	_cleanup_free_ char *rootfs = berth_engine_run_path(e, c->id, "rootfs");

	berth_container_delete(e->runtime_root, c->id, true, &ignore, &ignore);
	/* a leftover here is the sweep's (berth network prune) */
	berth_ctr_net_stop(e, c, &ignore);
	return berth_overlay_umount(rootfs, err);
}

static int remove_locked(struct berth_engine *e, struct berth_ctr *c, bool volumes, struct berth_error *err)
{
	_cleanup_free_ char *run = berth_engine_run_path(e, c->id, NULL), *dir = berth_engine_ctr_path(e, c->id, NULL);
	int r;

	if ((r = teardown(e, c, err)) < 0)
		return r;
	/* the row goes last: until then, a failed removal can be retried with rm -f */
	if ((r = berth_ctr_net_remove(e, c->id, err)) < 0 || (r = berth_rm_rf_at(AT_FDCWD, run, err)) < 0 ||
	    (r = berth_rm_rf_at(AT_FDCWD, dir, err)) < 0)
		return r;
	/* rm -v, --rm: its anonymous volumes go too */
	if ((r = berth_volume_release_ctr(e, c->id, volumes, err)) < 0)
		return r;
	r = berth_ctr_db_delete(e->store->db, c->id, err);
	return r == -ENOENT ? (berth_error_release(err), 0) : r;
}

int berth_ctr_remove(struct berth_engine *e, const char *ref, bool force, bool volumes, struct berth_error *err)
{
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	struct berth_ctr c = { 0 };
	_cleanup_close_ int lock = -EBADF;
	int r = 0;

	lock = berth_ctr_get_locked(e, ref, &c, err);
	if (lock == -ENOENT && berth_ctr_db_lookup(e->store->db, ref, &c, &ignore) == 0) {
		/* a row without a directory: a create that died before making it; nothing to lock */
		berth_error_release(err);
		lock = -EBADF;
	} else if (lock < 0) {
		return lock;
	}
	if (c.state == BERTH_CTR_RUNNING || c.state == BERTH_CTR_PAUSED) {
		if (!force)
			r = berth_error_setx(err, EBUSY,
					     "cannot remove container \"/%s\": container is %s: stop the container "
					     "before removing or force remove",
					     c.name, berth_ctr_state_to_string(c.state));
		else
			r = berth_ctr_kill_and_wait(e, &c, err);
	}
	if (r == 0)
		r = remove_locked(e, &c, volumes, err);
	berth_ctr_release(&c);
	return r;
}

int berth_ctr_cleanup(struct berth_engine *e, const char *id, struct berth_error *err)
{
	struct berth_ctr c = { 0 };
	_cleanup_close_ int lock = -EBADF;
	int r = 0;

	lock = berth_ctr_get_locked(e, id, &c, err);
	/* removed meanwhile (rm -f, run --rm): nothing left to do */
	if (lock == -ENOENT) {
		berth_error_release(err);
		return 0;
	}
	if (lock < 0)
		return lock;
	/* a restart may have won the lock first: then this exit is history */
	if (c.state == BERTH_CTR_EXITED) {
		if (json_is_true(json_object_get(json_object_get(c.config, "HostConfig"), "AutoRemove")))
			r = remove_locked(e, &c, true, err);
		else
			r = teardown(e, &c, err);
	}
	berth_ctr_release(&c);
	return r;
}
