/*
 * linux.resources on cgroup v1, file by file as runc's libcontainer/cgroups/fs
 * does (same orders, same "0 is not set" rules).  On hybrid hosts the cgroup2
 * mount serves the unified keys and, when no v1 hugetlb hierarchy exists,
 * hugepageLimits.
 */
#include "cgroups/cgroup-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

/* The v1 directory for a requested setting; a clear error when the host lacks the hierarchy. */
static int need_dir(struct berth_cgroup *cg, const char *controller, const char *file, struct berth_cgroup_dir **ret,
		    struct berth_error *err)
{
	*ret = berth_cgroup_v1_dir(cg, controller);
	if (!*ret)
		return berth_error_setx(err, ENOENT, "cannot set `%s`: no %s cgroup v1 hierarchy is mounted", file,
					controller);
	return 0;
}

static int64_t i64_or_zero(struct berth_cgroup_i64 v)
{
	return v.set ? v.value : 0;
}

static uint64_t u64_or_zero(struct berth_cgroup_u64 v)
{
	return v.set ? v.value : 0;
}

static int write_i64(const struct berth_cgroup_dir *dir, const char *file, int64_t v, struct berth_error *err)
{
	return berth_cgroup_writef(dir, file, err, "%" PRId64, v);
}

static int write_u64(const struct berth_cgroup_dir *dir, const char *file, uint64_t v, struct berth_error *err)
{
	return berth_cgroup_writef(dir, file, err, "%" PRIu64, v);
}

/* --- memory ------------------------------------------------------------------ */

static int set_memory_limit(const struct berth_cgroup_dir *dir, int64_t limit, struct berth_error *err)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	uint64_t usage = 0, peak = 0;
	int r;

	if (limit == 0)
		return 0;
	r = write_i64(dir, "memory.limit_in_bytes", limit, err);
	if (r != -EBUSY)
		return r;
	/* the kernel could not reclaim down to the new limit */
	berth_cgroup_read_u64(dir, "memory.usage_in_bytes", &usage, &ignored);
	berth_cgroup_read_u64(dir, "memory.max_usage_in_bytes", &peak, &ignored);
	return berth_error_setx(err, EBUSY, "cannot set memory limit to %" PRId64 " (current usage %" PRIu64
				", peak usage %" PRIu64 ") in `%s`", limit, usage, peak, dir->full);
}

static int set_swap_limit(const struct berth_cgroup_dir *dir, int64_t swap, struct berth_error *err)
{
	if (swap == 0)
		return 0;
	return write_i64(dir, "memory.memsw.limit_in_bytes", swap, err);
}

/* memory.limit and memory.memsw (memory + swap) must stay limit <= memsw at every step. */
static int set_memory_and_swap(const struct berth_cgroup_dir *dir, int64_t limit, int64_t swap,
			       struct berth_error *err)
{
	uint64_t cur;
	int r;

	/* unlimited memory with swap left alone means unlimited swap too */
	if (limit == -1 && swap == 0 && berth_cgroup_file_exists(dir, "memory.memsw.limit_in_bytes"))
		swap = -1;
	if (limit != 0 && swap != 0) {
		r = berth_cgroup_read_u64(dir, "memory.limit_in_bytes", &cur, err);
		if (r < 0)
			return r;
		/* growing: raise memsw first */
		if (swap == -1 || cur < (uint64_t)swap) {
			r = set_swap_limit(dir, swap, err);
			return r < 0 ? r : set_memory_limit(dir, limit, err);
		}
	}
	r = set_memory_limit(dir, limit, err);
	return r < 0 ? r : set_swap_limit(dir, swap, err);
}

static int v1_memory(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, bool update,
		     struct berth_error *err)
{
	const struct berth_cgroup_memory *m = &res->memory;
	int64_t limit = i64_or_zero(m->limit), swap = i64_or_zero(m->swap);
	int64_t reservation = i64_or_zero(m->reservation), kernel_tcp = i64_or_zero(m->kernel_tcp);
	bool oom = m->disable_oom_killer.set && (m->disable_oom_killer.value || update);
	struct berth_cgroup_dir *dir;
	int r;

	if (!limit && !swap && !reservation && !kernel_tcp && !oom && !m->swappiness.set && !m->use_hierarchy.set)
		return 0;
	r = need_dir(cg, "memory", "memory.limit_in_bytes", &dir, err);
	if (r < 0)
		return r;
	r = set_memory_and_swap(dir, limit, swap, err);
	/* memory.kernel is ignored: kmem limits are gone from recent kernels, as in runc */
	if (r >= 0 && kernel_tcp)
		r = write_i64(dir, "memory.kmem.tcp.limit_in_bytes", kernel_tcp, err);
	if (r >= 0 && reservation)
		r = write_i64(dir, "memory.soft_limit_in_bytes", reservation, err);
	if (r >= 0 && oom)
		r = berth_cgroup_write(dir, "memory.oom_control", m->disable_oom_killer.value ? "1" : "0", err);
	if (r >= 0 && m->swappiness.set)
		r = write_u64(dir, "memory.swappiness", m->swappiness.value, err);
	if (r >= 0 && m->use_hierarchy.set) {
		uint64_t cur;

		/* always 1 since Linux 6.1, where writing 0 fails: only write a change */
		r = berth_cgroup_read_u64(dir, "memory.use_hierarchy", &cur, err);
		if (r >= 0 && (cur != 0) != m->use_hierarchy.value)
			r = berth_cgroup_write(dir, "memory.use_hierarchy", m->use_hierarchy.value ? "1" : "0", err);
	}
	return r;
}

/* --- cpu, cpuset, pids ----------------------------------------------------------- */

static int v1_cpu_shares(const struct berth_cgroup_dir *dir, uint64_t shares, struct berth_error *err)
{
	uint64_t got;
	int r;

	r = write_u64(dir, "cpu.shares", shares, err);
	if (r < 0)
		return r;
	/* the kernel clamps silently: report it like runc */
	r = berth_cgroup_read_u64(dir, "cpu.shares", &got, err);
	if (r < 0)
		return r;
	if (shares > got)
		return berth_error_setx(err, ERANGE, "cpu shares %" PRIu64 " is above the maximum %" PRIu64, shares, got);
	if (shares < got)
		return berth_error_setx(err, ERANGE, "cpu shares %" PRIu64 " is below the minimum %" PRIu64, shares, got);
	return 0;
}

/*
 * Write a value that depends on one written later (period then quota, rt
 * period then rt runtime): a kernel EINVAL is retried after the other one.
 * Returns 1 when it must be retried.
 */
static int write_or_defer(const struct berth_cgroup_dir *dir, const char *file, uint64_t v, bool other,
			  struct berth_error *err)
{
	int r = write_u64(dir, file, v, err);

	if (r == -EINVAL && other) {
		berth_error_release(err);
		return 1;
	}
	return r;
}

static int v1_cpu_rt(const struct berth_cgroup_dir *dir, const struct berth_cgroup_cpu *c,
		     struct berth_error *err)
{
	uint64_t period = u64_or_zero(c->realtime_period);
	int64_t runtime = i64_or_zero(c->realtime_runtime);
	int retry = 0, r;

	if (period) {
		retry = write_or_defer(dir, "cpu.rt_period_us", period, runtime != 0, err);
		if (retry < 0)
			return retry;
	}
	if (runtime) {
		r = write_i64(dir, "cpu.rt_runtime_us", runtime, err);
		if (r >= 0 && retry)
			r = write_u64(dir, "cpu.rt_period_us", period, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v1_cpu(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, struct berth_error *err)
{
	const struct berth_cgroup_cpu *c = &res->cpu;
	uint64_t shares = u64_or_zero(c->shares), period = u64_or_zero(c->period);
	int64_t quota = i64_or_zero(c->quota);
	struct berth_cgroup_dir *dir;
	int retry_period = 0, retry_burst = 0, r;

	if (!shares && !period && !quota && !c->burst.set && !c->idle.set && !i64_or_zero(c->realtime_runtime) &&
	    !u64_or_zero(c->realtime_period))
		return 0;
	r = need_dir(cg, "cpu", "cpu.shares", &dir, err);
	if (r < 0)
		return r;
	if (shares && (r = v1_cpu_shares(dir, shares, err)) < 0)
		return r;
	if (period && (retry_period = write_or_defer(dir, "cpu.cfs_period_us", period, quota != 0, err)) < 0)
		return retry_period;
	if (c->burst.set) {
		retry_burst = write_or_defer(dir, "cpu.cfs_burst_us", c->burst.value, quota != 0, err);
		if (retry_burst < 0)
			return retry_burst;
	}
	if (quota) {
		if ((r = write_i64(dir, "cpu.cfs_quota_us", quota, err)) < 0)
			return r;
		if (retry_period && (r = write_u64(dir, "cpu.cfs_period_us", period, err)) < 0)
			return r;
		if (retry_burst && (r = write_u64(dir, "cpu.cfs_burst_us", c->burst.value, err)) < 0)
			return r;
	}
	if (c->idle.set && (r = write_i64(dir, "cpu.idle", c->idle.value, err)) < 0)
		return r;
	return v1_cpu_rt(dir, c, err);
}

/* cpuset.cpus, or "cpus" on a hierarchy mounted with noprefix */
static int write_cpuset(const struct berth_cgroup_dir *dir, const char *file, const char *value,
			struct berth_error *err)
{
	if (!berth_cgroup_file_exists(dir, file) && berth_cgroup_file_exists(dir, file + strlen("cpuset.")))
		file += strlen("cpuset.");
	return berth_cgroup_write(dir, file, value, err);
}

static int v1_cpuset(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, struct berth_error *err)
{
	struct berth_cgroup_dir *dir;
	int r;

	if (!res->cpu.cpus && !res->cpu.mems)
		return 0;
	r = need_dir(cg, "cpuset", res->cpu.cpus ? "cpuset.cpus" : "cpuset.mems", &dir, err);
	if (r >= 0 && res->cpu.cpus)
		r = write_cpuset(dir, "cpuset.cpus", res->cpu.cpus, err);
	if (r >= 0 && res->cpu.mems)
		r = write_cpuset(dir, "cpuset.mems", res->cpu.mems, err);
	return r;
}

static int v1_pids(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, struct berth_error *err)
{
	struct berth_cgroup_dir *dir;
	int r;

	if (!res->pids.limit.set)
		return 0;
	r = need_dir(cg, "pids", "pids.max", &dir, err);
	if (r < 0)
		return r;
	if (res->pids.limit.value < 0)
		return berth_cgroup_write(dir, "pids.max", "max", err);
	return write_i64(dir, "pids.max", res->pids.limit.value, err);
}

/* --- blkio ------------------------------------------------------------------------ */

static bool blkio_is_set(const struct berth_cgroup_resources *res)
{
	const struct berth_cgroup_block_io *b = &res->block_io;
	size_t n = b->n_weight_device;

	for (size_t k = 0; k < _BERTH_CGROUP_THROTTLE_MAX; k++)
		n += b->n_throttle[k];
	return n || u64_or_zero(b->weight) || u64_or_zero(b->leaf_weight);
}

static int v1_blkio(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, struct berth_error *err)
{
	static const char *const throttle_files[_BERTH_CGROUP_THROTTLE_MAX] = {
		"blkio.throttle.read_bps_device",
		"blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device",
		"blkio.throttle.write_iops_device",
	};
	const struct berth_cgroup_block_io *b = &res->block_io;
	const char *weight_file = "blkio.weight", *weight_device_file = "blkio.weight_device";
	struct berth_cgroup_dir *dir;
	int r;

	if (!blkio_is_set(res))
		return 0;
	r = need_dir(cg, "blkio", "blkio.weight", &dir, err);
	if (r < 0)
		return r;
	/* CFQ is gone from recent kernels: BFQ has its own files */
	if (!berth_cgroup_file_exists(dir, weight_file)) {
		weight_file = "blkio.bfq.weight";
		weight_device_file = "blkio.bfq.weight_device";
	}
	if (u64_or_zero(b->weight) && (r = write_u64(dir, weight_file, b->weight.value, err)) < 0)
		return r;
	if (u64_or_zero(b->leaf_weight) && (r = write_u64(dir, "blkio.leaf_weight", b->leaf_weight.value, err)) < 0)
		return r;
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct berth_cgroup_weight_device *wd = &b->weight_device[i];

		if (wd->weight && (r = berth_cgroup_writef(dir, weight_device_file, err, "%" PRId64 ":%" PRId64 " %u",
							   wd->major, wd->minor, wd->weight)) < 0)
			return r;
		if (wd->leaf_weight &&
		    (r = berth_cgroup_writef(dir, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %u",
					     wd->major, wd->minor, wd->leaf_weight)) < 0)
			return r;
	}
	for (size_t k = 0; k < _BERTH_CGROUP_THROTTLE_MAX; k++)
		for (size_t i = 0; i < b->n_throttle[k]; i++) {
			const struct berth_cgroup_throttle_device *td = &b->throttle[k][i];

			r = berth_cgroup_writef(dir, throttle_files[k], err, "%" PRId64 ":%" PRId64 " %" PRIu64,
						td->major, td->minor, td->rate);
			if (r < 0)
				return r;
		}
	return 0;
}

/* --- hugetlb, net_cls, net_prio, rdma -------------------------------------------------- */

static int v1_hugetlb(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, struct berth_error *err)
{
	struct berth_cgroup_dir *dir;

	if (res->n_hugepages == 0)
		return 0;
	dir = berth_cgroup_v1_dir(cg, "hugetlb");
	if (!dir) {
		/* hybrid hosts often leave hugetlb to the cgroup2 mount */
		struct berth_cgroup_dir *u = berth_cgroup_unified_dir(cg);

		if (u)
			return berth_cgroup_v2_apply_hugetlb(u, res, err);
		return need_dir(cg, "hugetlb", "hugetlb.<size>.limit_in_bytes", &dir, err);
	}
	for (size_t i = 0; i < res->n_hugepages; i++) {
		const struct berth_cgroup_hugepage_limit *h = &res->hugepages[i];
		_cleanup_free_ char *file = berth_xasprintf("hugetlb.%s.limit_in_bytes", h->pagesize);
		_cleanup_free_ char *rsvd = berth_xasprintf("hugetlb.%s.rsvd.limit_in_bytes", h->pagesize);
		int r;

		r = write_u64(dir, file, h->limit, err);
		/* reservations too, where the kernel accounts them (5.7+), as runc */
		if (r >= 0 && berth_cgroup_file_exists(dir, rsvd))
			r = write_u64(dir, rsvd, h->limit, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v1_network(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, struct berth_error *err)
{
	struct berth_cgroup_dir *dir;
	int r;

	if (u64_or_zero(res->network.class_id)) {
		r = need_dir(cg, "net_cls", "net_cls.classid", &dir, err);
		if (r < 0 || (r = write_u64(dir, "net_cls.classid", res->network.class_id.value, err)) < 0)
			return r;
	}
	for (size_t i = 0; i < res->network.n_priorities; i++) {
		const struct berth_cgroup_if_priority *p = &res->network.priorities[i];

		r = need_dir(cg, "net_prio", "net_prio.ifpriomap", &dir, err);
		if (r < 0 || (r = berth_cgroup_writef(dir, "net_prio.ifpriomap", err, "%s %" PRIu32, p->name,
						      p->priority)) < 0)
			return r;
	}
	return 0;
}

int berth_cgroup_apply_rdma(const struct berth_cgroup_dir *dir, const struct berth_cgroup_resources *res,
		      struct berth_error *err)
{
	for (size_t i = 0; i < res->n_rdma; i++) {
		const struct berth_cgroup_rdma_limit *l = &res->rdma[i];
		char handles[40] = "", objects[40] = "";
		int r;

		if (!l->hca_handles.set && !l->hca_objects.set)
			continue;
		if (l->hca_handles.set)
			snprintf(handles, sizeof(handles), " hca_handle=%" PRIu64, l->hca_handles.value);
		if (l->hca_objects.set)
			snprintf(objects, sizeof(objects), " hca_object=%" PRIu64, l->hca_objects.value);
		r = berth_cgroup_writef(dir, "rdma.max", err, "%s%s%s", l->device, handles, objects);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v1_rdma(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, struct berth_error *err)
{
	struct berth_cgroup_dir *dir;
	int r;

	if (res->n_rdma == 0)
		return 0;
	r = need_dir(cg, "rdma", "rdma.max", &dir, err);
	return r < 0 ? r : berth_cgroup_apply_rdma(dir, res, err);
}

/* Unified keys on v1: only on a hybrid host, and only files the cgroup2 mount has. */
static int v1_unified(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, struct berth_error *err)
{
	struct berth_cgroup_dir *u;

	if (res->n_unified == 0)
		return 0;
	u = berth_cgroup_unified_dir(cg);
	if (!u)
		return berth_error_setx(err, EOPNOTSUPP,
					"linux.resources.unified: cgroup v2 keys need a cgroup v2 hierarchy, the host "
					"has cgroup v1 only");
	for (size_t i = 0; i < res->n_unified; i++) {
		const struct berth_cgroup_unified_entry *e = &res->unified[i];
		int r;

		if (!berth_cgroup_file_exists(u, e->key))
			return berth_error_setx(err, EOPNOTSUPP,
						"linux.resources.unified.%s: `%s` does not exist in the cgroup v2 "
						"hierarchy of this hybrid host (the controller is bound to cgroup v1)",
						e->key, e->key);
		r = berth_cgroup_write(u, e->key, e->value, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int berth_cgroup_v1_apply_resources(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
				    struct berth_error *err)
{
	int ret;

	if ((ret = v1_memory(cg, r, update, err)) < 0 || (ret = v1_cpu(cg, r, err)) < 0 ||
	    (ret = v1_cpuset(cg, r, err)) < 0 || (ret = v1_pids(cg, r, err)) < 0 || (ret = v1_blkio(cg, r, err)) < 0 ||
	    (ret = v1_hugetlb(cg, r, err)) < 0 || (ret = v1_network(cg, r, err)) < 0 ||
	    (ret = v1_rdma(cg, r, err)) < 0 || (ret = berth_cgroup_v1_apply_devices(cg, r, update, err)) < 0 ||
	    (ret = v1_unified(cg, r, err)) < 0)
		return ret;
	return 0;
}
