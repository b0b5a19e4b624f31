/*
 * Freezing and thawing (pause/resume): the v1 freezer controller, or
 * cgroup.freeze on v2 (also used on hybrid hosts without a v1 freezer, since
 * cgroup.freeze is core cgroup2 and needs no controller).
 */
#include "cgroups/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

/* v1: FROZEN is rewritten while the state reads FREEZING, with a thaw now and then (runc's loop) */
#define V1_ATTEMPTS 1000
#define V1_THAW_EVERY 50
#define V1_THAW_PAUSE_US 10000
#define V1_SLEEP_EVERY 25
#define V1_SLEEP_US 10
/* v2: how long to wait for cgroup.events to say "frozen" */
#define V2_TIMEOUT_MS 5000

static int v1_read_state(const struct berth_cgroup_dir *dir, char *buf, size_t size, struct berth_error *err)
{
	_cleanup_close_ int fd = openat(dir->dfd, "freezer.state", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return berth_error_set(err, errno, "open `%s/freezer.state`", dir->full);
	n = read(fd, buf, size - 1);
	if (n < 0)
		return berth_error_set(err, errno, "read `%s/freezer.state`", dir->full);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int v1_freeze_dir(const struct berth_cgroup_dir *dir, struct berth_error *err)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	char state[32];
	int r;

	for (int i = 0; i < V1_ATTEMPTS; i++) {
		if (i % V1_THAW_EVERY == V1_THAW_EVERY - 1) {
			/* a thaw lets tasks stuck in a fork or a vfork finish, then freeze again */
			berth_cgroup_write(dir, "freezer.state", "THAWED", &ignored);
			berth_error_release(&ignored);
			usleep(V1_THAW_PAUSE_US);
		}
		r = berth_cgroup_write(dir, "freezer.state", "FROZEN", err);
		if (r < 0)
			return r;
		if (i % V1_SLEEP_EVERY == V1_SLEEP_EVERY - 1)
			usleep(V1_SLEEP_US);
		r = v1_read_state(dir, state, sizeof(state), err);
		if (r < 0)
			return r;
		if (strcmp(state, "FROZEN") == 0)
			return 0;
		if (strcmp(state, "FREEZING") != 0)
			return berth_error_setx(err, EIO, "`%s/freezer.state` is `%s` after writing FROZEN", dir->full,
						state);
	}
	/* stuck in FREEZING: leaving it half frozen would be worse */
	berth_cgroup_write(dir, "freezer.state", "THAWED", &ignored);
	return berth_error_setx(err, EBUSY, "cannot freeze cgroup `%s`: it stays FREEZING", dir->full);
}

static int v2_wait_frozen(const struct berth_cgroup_dir *dir, bool frozen, struct berth_error *err)
{
	_cleanup_close_ int fd = openat(dir->dfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	struct timespec start, now;

	if (fd < 0)
		return berth_error_set(err, errno, "open `%s/cgroup.events`", dir->full);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		char buf[512];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		struct pollfd pfd = { .fd = fd, .events = POLLPRI };
		long elapsed_ms;
		uint64_t v;

		if (n < 0)
			return berth_error_set(err, errno, "read `%s/cgroup.events`", dir->full);
		buf[n] = '\0';
		if (berth_cgroup_keyed_value(buf, "frozen", &v) && (v != 0) == frozen)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed_ms >= V2_TIMEOUT_MS)
			return berth_error_setx(err, ETIMEDOUT, "cgroup `%s` did not become %s in %d ms", dir->full,
						frozen ? "frozen" : "thawed", V2_TIMEOUT_MS);
		/* cgroup.events signals every change with POLLPRI */
		if (poll(&pfd, 1, (int)(V2_TIMEOUT_MS - elapsed_ms)) < 0 && errno != EINTR)
			return berth_error_set(err, errno, "poll `%s/cgroup.events`", dir->full);
	}
}

static int v2_freeze_dir(const struct berth_cgroup_dir *dir, bool frozen, struct berth_error *err)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	int r;

	r = berth_cgroup_write(dir, "cgroup.freeze", frozen ? "1" : "0", err);
	if (r < 0)
		return r;
	r = v2_wait_frozen(dir, frozen, err);
	if (r < 0 && frozen)
		berth_cgroup_write(dir, "cgroup.freeze", "0", &ignored);
	return r;
}

static int v2_is_frozen_dir(const struct berth_cgroup_dir *dir, bool *ret, struct berth_error *err)
{
	uint64_t v;
	int r = berth_cgroup_read_u64(dir, "cgroup.freeze", &v, err);

	if (r < 0)
		return r;
	*ret = v != 0;
	return 0;
}

int berth_cgroup_v1_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error *err)
{
	struct berth_cgroup_dir *dir = berth_cgroup_v1_dir(cg, "freezer");

	if (!dir) {
		struct berth_cgroup_dir *u = berth_cgroup_unified_dir(cg);

		if (u)
			return v2_freeze_dir(u, frozen, err);
		return berth_error_setx(err, EOPNOTSUPP, "no freezer cgroup v1 hierarchy is mounted");
	}
	if (frozen)
		return v1_freeze_dir(dir, err);
	return berth_cgroup_write(dir, "freezer.state", "THAWED", err);
}

int berth_cgroup_v1_is_frozen(struct berth_cgroup *cg, bool *ret, struct berth_error *err)
{
	struct berth_cgroup_dir *dir = berth_cgroup_v1_dir(cg, "freezer");
	char state[32];
	int r;

	if (!dir) {
		struct berth_cgroup_dir *u = berth_cgroup_unified_dir(cg);

		if (u)
			return v2_is_frozen_dir(u, ret, err);
		*ret = false;
		return 0;
	}
	for (int i = 0; i < V1_ATTEMPTS; i++) {
		uint64_t self = 1;

		r = v1_read_state(dir, state, sizeof(state), err);
		if (r < 0)
			return r;
		if (strcmp(state, "FREEZING") == 0) {
			usleep(1000); /* settles quickly */
			continue;
		}
		if (strcmp(state, "FROZEN") != 0) {
			*ret = false;
			return 0;
		}
		/* frozen through an ancestor is not our pause; older kernels lack the file */
		if (berth_cgroup_file_exists(dir, "freezer.self_freezing")) {
			r = berth_cgroup_read_u64(dir, "freezer.self_freezing", &self, err);
			if (r < 0)
				return r;
		}
		*ret = self != 0;
		return 0;
	}
	*ret = false;
	return 0;
}

int berth_cgroup_v2_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error *err)
{
	struct berth_cgroup_dir *dir = berth_cgroup_unified_dir(cg);

	if (!dir)
		return berth_error_setx(err, ENOENT, "cgroup `%s` does not exist", cg->location);
	return v2_freeze_dir(dir, frozen, err);
}

int berth_cgroup_v2_is_frozen(struct berth_cgroup *cg, bool *ret, struct berth_error *err)
{
	struct berth_cgroup_dir *dir = berth_cgroup_unified_dir(cg);

	if (!dir) {
		*ret = false;
		return 0;
	}
	return v2_is_frozen_dir(dir, ret, err);
}
