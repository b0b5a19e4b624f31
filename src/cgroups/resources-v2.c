/*
 * linux.resources on cgroup v2, as runc's libcontainer/cgroups/fs2: v1 values
 * converted (shares -> cpu.weight, memory+swap -> swap.max, blkio weight ->
 * io.weight), the unified map written last so it overrides them.  Ignored
 * like runc: memory swappiness, kernel, kernelTCP, disableOOMKiller,
 * useHierarchy, network.  Realtime cpu settings fail: v2 has no rt files.
 */
#include "cgroups/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int64_t i64_or_zero(struct berth_cgroup_i64 v)
{
	return v.set ? v.value : 0;
}

static uint64_t u64_or_zero(struct berth_cgroup_u64 v)
{
	return v.set ? v.value : 0;
}

/* runc's numToStr: 0 is "not set" (NULL), -1 "max" */
static const char *num_to_str(int64_t v, char *buf, size_t size)
{
	if (v == 0)
		return NULL;
	if (v == -1)
		return "max";
	snprintf(buf, size, "%" PRId64, v);
	return buf;
}

/* --- memory ------------------------------------------------------------------ */

static int check_memory_usage(const struct berth_cgroup_dir *dir, int64_t limit, struct berth_error *err)
{
	uint64_t cur;
	int r;

	if (limit <= 0)
		return 0;
	r = berth_cgroup_read_u64(dir, "memory.current", &cur, err);
	if (r < 0)
		return r;
	if ((uint64_t)limit < cur)
		return berth_error_setx(err, EBUSY, "memory limit %" PRId64 " is below the current usage %" PRIu64, limit,
					cur);
	return 0;
}

static int v2_memory(struct berth_cgroup_dir *dir, const struct berth_cgroup_memory *m, bool update,
		     struct berth_error *err)
{
	int64_t limit = i64_or_zero(m->limit), swap = i64_or_zero(m->swap), low = i64_or_zero(m->reservation);
	char buf[32], sbuf[32];
	const char *val, *swap_str;
	int64_t swap_v2;
	int r;

	if (!limit && !swap && !low)
		return 0;
	if (update && m->check_before_update.set && m->check_before_update.value &&
	    (r = check_memory_usage(dir, limit, err)) < 0)
		return r;
	r = berth_cgroup_swap_to_v2(swap, limit, &swap_v2, err);
	if (r < 0)
		return berth_error_prefix(err, "linux.resources.memory.swap");
	swap_str = num_to_str(swap_v2, sbuf, sizeof(sbuf));
	/* memory and memory+swap equal: no swap at all */
	if (!swap_str && swap_v2 == 0 && swap > 0)
		swap_str = "0";
	if (swap_str) {
		r = berth_cgroup_write(dir, "memory.swap.max", swap_str, err);
		/* without swap accounting, "no swap" and "unlimited swap" are already true */
		if (r == -ENOENT && (strcmp(swap_str, "max") == 0 || strcmp(swap_str, "0") == 0))
			berth_error_release(err);
		else if (r < 0)
			return r;
	}
	if ((val = num_to_str(limit, buf, sizeof(buf))) && (r = berth_cgroup_write(dir, "memory.max", val, err)) < 0)
		return r;
	if ((val = num_to_str(low, buf, sizeof(buf))) && (r = berth_cgroup_write(dir, "memory.low", val, err)) < 0)
		return r;
	return 0;
}

/* --- cpu, cpuset, pids ----------------------------------------------------------- */

static int v2_cpu(struct berth_cgroup_dir *dir, const struct berth_cgroup_cpu *c, struct berth_error *err)
{
	int64_t quota = i64_or_zero(c->quota);
	uint64_t period = u64_or_zero(c->period), weight = berth_cgroup_shares_to_weight(u64_or_zero(c->shares));
	bool retry_burst = false;
	char max[64];
	int r;

	if (i64_or_zero(c->realtime_runtime) || u64_or_zero(c->realtime_period))
		return berth_error_setx(err, EOPNOTSUPP,
					"linux.resources.cpu.realtimeRuntime, realtimePeriod: not supported on cgroup v2");
	if (c->idle.set && (r = berth_cgroup_writef(dir, "cpu.idle", err, "%" PRId64, c->idle.value)) < 0)
		return r;
	if (weight && (r = berth_cgroup_writef(dir, "cpu.weight", err, "%" PRIu64, weight)) < 0)
		return r;
	if (c->burst.set) {
		r = berth_cgroup_writef(dir, "cpu.max.burst", err, "%" PRIu64, c->burst.value);
		/* a burst above the current quota: retry after cpu.max */
		if (r == -EINVAL && quota) {
			berth_error_release(err);
			retry_burst = true;
		} else if (r < 0) {
			return r;
		}
	}
	if (quota || period) {
		int len = quota > 0 ? snprintf(max, sizeof(max), "%" PRId64, quota) : snprintf(max, sizeof(max), "max");

		if (period)
			snprintf(max + len, sizeof(max) - (size_t)len, " %" PRIu64, period);
		if ((r = berth_cgroup_write(dir, "cpu.max", max, err)) < 0)
			return r;
		if (retry_burst && (r = berth_cgroup_writef(dir, "cpu.max.burst", err, "%" PRIu64, c->burst.value)) < 0)
			return r;
	}
	return 0;
}

static int v2_cpuset(struct berth_cgroup_dir *dir, const struct berth_cgroup_cpu *c, struct berth_error *err)
{
	int r = 0;

	if (c->cpus)
		r = berth_cgroup_write(dir, "cpuset.cpus", c->cpus, err);
	if (r >= 0 && c->mems)
		r = berth_cgroup_write(dir, "cpuset.mems", c->mems, err);
	return r;
}

static int v2_pids(struct berth_cgroup_dir *dir, const struct berth_cgroup_resources *res, struct berth_error *err)
{
	if (!res->pids.limit.set)
		return 0;
	if (res->pids.limit.value < 0)
		return berth_cgroup_write(dir, "pids.max", "max", err);
	return berth_cgroup_writef(dir, "pids.max", err, "%" PRId64, res->pids.limit.value);
}

/* --- io ------------------------------------------------------------------------------ */

static int v2_io(struct berth_cgroup_dir *dir, const struct berth_cgroup_block_io *b, struct berth_error *err)
{
	static const char *const keys[_BERTH_CGROUP_THROTTLE_MAX] = { "rbps", "wbps", "riops", "wiops" };
	uint64_t weight = u64_or_zero(b->weight);
	bool bfq = (weight || b->n_weight_device) && berth_cgroup_file_exists(dir, "io.bfq.weight");
	int r;

	/* BFQ takes the v1 scale; io.weight (the cost model) its own */
	if (weight && bfq && (r = berth_cgroup_writef(dir, "io.bfq.weight", err, "%" PRIu64, weight)) < 0)
		return r;
	if (weight && !bfq &&
	    (r = berth_cgroup_writef(dir, "io.weight", err, "%" PRIu64, berth_cgroup_blkio_weight_to_io(weight))) < 0)
		return r;
	for (size_t i = 0; bfq && i < b->n_weight_device; i++) {
		const struct berth_cgroup_weight_device *wd = &b->weight_device[i];

		if (wd->weight && (r = berth_cgroup_writef(dir, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %u",
							   wd->major, wd->minor, wd->weight)) < 0)
			return r;
	}
	for (size_t k = 0; k < _BERTH_CGROUP_THROTTLE_MAX; k++)
		for (size_t i = 0; i < b->n_throttle[k]; i++) {
			const struct berth_cgroup_throttle_device *td = &b->throttle[k][i];

			r = berth_cgroup_writef(dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, td->major,
						td->minor, keys[k], td->rate);
			if (r < 0)
				return r;
		}
	return 0;
}

/* --- hugetlb ---------------------------------------------------------------------------- */

int berth_cgroup_v2_enable_controller(const struct berth_cgroup_dir *dir, const char *controller,
				      struct berth_error *err)
{
	int mount_len = (int)(strlen(dir->full) - strlen(dir->path));
	_cleanup_free_ char *value = berth_xasprintf("+%s", controller);

	/* path "/a/b/c": the mount, "/a" and "/a/b" delegate to their children */
	for (const char *s = dir->path; (s = strchr(s, '/')); s++) {
		_cleanup_free_ char *file = berth_xasprintf("%.*s%.*s/cgroup.subtree_control", mount_len, dir->full,
							     (int)(s - dir->path), dir->path);
		int r = berth_write_file_string(AT_FDCWD, file, value, err);

		if (r < 0)
			return berth_error_prefix(err, "enable the %s controller", controller);
	}
	return 0;
}

int berth_cgroup_v2_apply_hugetlb(struct berth_cgroup_dir *dir, const struct berth_cgroup_resources *res,
				  struct berth_error *err)
{
	for (size_t i = 0; i < res->n_hugepages; i++) {
		const struct berth_cgroup_hugepage_limit *h = &res->hugepages[i];
		_cleanup_free_ char *file = berth_xasprintf("hugetlb.%s.max", h->pagesize);
		_cleanup_free_ char *rsvd = berth_xasprintf("hugetlb.%s.rsvd.max", h->pagesize);
		int r;

		/* hybrid hosts and parents created by others may not delegate hugetlb yet */
		if (!berth_cgroup_file_exists(dir, file) && (r = berth_cgroup_v2_enable_controller(dir, "hugetlb", err)) < 0)
			return r;
		r = berth_cgroup_writef(dir, file, err, "%" PRIu64, h->limit);
		if (r >= 0 && berth_cgroup_file_exists(dir, rsvd))
			r = berth_cgroup_writef(dir, rsvd, err, "%" PRIu64, h->limit);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- unified ----------------------------------------------------------------------------- */

static int v2_unified(struct berth_cgroup_dir *dir, const struct berth_cgroup_resources *res, struct berth_error *err)
{
	for (size_t i = 0; i < res->n_unified; i++) {
		const struct berth_cgroup_unified_entry *e = &res->unified[i];
		int r = berth_cgroup_write(dir, e->key, e->value, err);

		if (r < 0)
			return berth_error_prefix(err, "linux.resources.unified.%s", e->key);
	}
	return 0;
}

int berth_cgroup_v2_apply_resources(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
				    struct berth_error *err)
{
	struct berth_cgroup_dir *dir = berth_cgroup_unified_dir(cg);
	int ret;

	if (!dir)
		return berth_error_setx(err, ENOENT, "cgroup `%s` does not exist", cg->location);
	if ((ret = v2_memory(dir, &r->memory, update, err)) < 0 || (ret = v2_cpu(dir, &r->cpu, err)) < 0 ||
	    (ret = v2_cpuset(dir, &r->cpu, err)) < 0 || (ret = v2_pids(dir, r, err)) < 0 ||
	    (ret = v2_io(dir, &r->block_io, err)) < 0 ||
	    (r->n_hugepages && (ret = berth_cgroup_v2_apply_hugetlb(dir, r, err)) < 0) ||
	    (ret = berth_cgroup_apply_rdma(dir, r, err)) < 0 ||
	    (ret = berth_cgroup_v2_apply_devices(cg, r, update, err)) < 0 || (ret = v2_unified(dir, r, err)) < 0)
		return ret;
	return 0;
}
