#pragma once
/*
 * OCI linux.resources, parsed and checked, ready for
 * berth_cgroup_apply_resources() (cgroup.h).
 *
 * Every scalar keeps whether it was given ("set"), since an absent value
 * means "leave the cgroup alone".  Beyond that, the values keep runc's
 * meanings, which berth_cgroup_apply_resources() follows:
 *   - memory limit, reservation, swap, kernelTCP: 0 is "not set", -1 is
 *     unlimited (the u64 18446744073709551615 reads as -1 as well);
 *   - cpu shares, period, quota, realtime*, blkio weights: 0 is "not set";
 *   - pids.limit: any value is written, a negative one as "max" (runc 1.4);
 *   - memory.kernel is accepted and ignored (the kernel dropped kmem limits);
 *   - rdma is applied where an rdma controller exists (never on this kind of
 *     host), network (net_cls, net_prio) only on cgroup v1; v2 ignores it
 *     like runc.
 * Unknown members are ignored and JSON null reads as absent, as in the rest
 * of the config parser.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct berth_cgroup_i64 {
	bool set;
	int64_t value;
};

struct berth_cgroup_u64 {
	bool set;
	uint64_t value;
};

struct berth_cgroup_bool {
	bool set;
	bool value;
};

/* One linux.resources.devices entry; the list is applied in order with v1 semantics (see devices.h). */
struct berth_cgroup_device_rule {
	bool allow;
	char type;         /* 'a' (all devices; numbers and access then ignored), 'c' or 'b' */
	int64_t major;     /* -1: any */
	int64_t minor;     /* -1: any */
	char access[4];    /* non-empty subset of "rwm", in that order */
};

struct berth_cgroup_weight_device {
	int64_t major, minor;
	uint16_t weight;      /* 0: not set */
	uint16_t leaf_weight; /* 0: not set */
};

struct berth_cgroup_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct berth_cgroup_hugepage_limit {
	char *pagesize; /* "2MB", "1GB" */
	uint64_t limit;
};

struct berth_cgroup_if_priority {
	char *name;
	uint32_t priority;
};

struct berth_cgroup_rdma_limit {
	char *device;
	struct berth_cgroup_u64 hca_handles, hca_objects;
};

struct berth_cgroup_unified_entry {
	char *key; /* a cgroup v2 file name: no '/', not "." or ".." */
	char *value;
};

struct berth_cgroup_memory {
	struct berth_cgroup_i64 limit, reservation, swap, kernel, kernel_tcp;
	struct berth_cgroup_u64 swappiness; /* 0..100; -1 in the JSON reads as not set, like runc */
	struct berth_cgroup_bool disable_oom_killer, use_hierarchy, check_before_update;
};

struct berth_cgroup_cpu {
	struct berth_cgroup_u64 shares, burst, period, realtime_period;
	struct berth_cgroup_i64 quota, realtime_runtime, idle;
	char *cpus, *mems; /* NULL when absent or empty */
};

struct berth_cgroup_block_io {
	struct berth_cgroup_u64 weight, leaf_weight;
	struct berth_cgroup_weight_device *weight_device;
	size_t n_weight_device;
	/* indexed by enum berth_cgroup_throttle_kind */
	struct berth_cgroup_throttle_device *throttle[4];
	size_t n_throttle[4];
};

struct berth_cgroup_resources {
	struct berth_cgroup_memory memory;
	struct berth_cgroup_cpu cpu;
	struct {
		struct berth_cgroup_i64 limit;
	} pids;
	struct berth_cgroup_block_io block_io;
	struct berth_cgroup_hugepage_limit *hugepages;
	size_t n_hugepages;
	struct {
		struct berth_cgroup_u64 class_id;
		struct berth_cgroup_if_priority *priorities;
		size_t n_priorities;
	} network;
	struct berth_cgroup_rdma_limit *rdma;
	size_t n_rdma;
	struct berth_cgroup_unified_entry *unified;
	size_t n_unified;
	bool has_devices; /* linux.resources.devices was given (even empty) */
	struct berth_cgroup_device_rule *devices;
	size_t n_devices;
};

enum berth_cgroup_throttle_kind {
	BERTH_CGROUP_THROTTLE_READ_BPS,
	BERTH_CGROUP_THROTTLE_WRITE_BPS,
	BERTH_CGROUP_THROTTLE_READ_IOPS,
	BERTH_CGROUP_THROTTLE_WRITE_IOPS,
	_BERTH_CGROUP_THROTTLE_MAX,
};

/*
 * Parse linux.resources (NULL: no resources, an empty result).  Errors name
 * the field: "linux.resources.memory.limit: expected an integer".
 */
int berth_cgroup_resources_parse(json_t *resources, struct berth_cgroup_resources **ret, struct berth_error *err);

void berth_cgroup_resources_free(struct berth_cgroup_resources *r);

static inline void berth_cgroup_resources_freep(struct berth_cgroup_resources **r)
{
	berth_cgroup_resources_free(*r);
}

#define _cleanup_cgroup_resources_ __attribute__((cleanup(berth_cgroup_resources_freep)))

/*
 * The rules the runtime always allows after the configured ones, as runc's
 * specconv.AllowedDevices: mknod of any char and block device, /dev/null,
 * zero, full, random, urandom, tty, ptmx, /dev/pts/N and /dev/net/tun.
 */
const struct berth_cgroup_device_rule *berth_cgroup_default_device_rules(size_t *ret_n);

/*
 * cpu.shares (v1) to cpu.weight (v2), runc's ConvertCPUSharesToCgroupV2Value:
 * 1 + ((shares - 2) * 9999) / 262142, with shares clamped to the kernel's
 * v1 range 2..262144 first; 0 stays 0 (not set).
 */
uint64_t berth_cgroup_shares_to_weight(uint64_t shares);

/*
 * memory.swap.max from OCI memory.swap (memory + swap, as on v1) and
 * memory.limit, runc's ConvertMemorySwapToCgroupV2Value: 0 is "not set",
 * -1 unlimited.  EINVAL when swap is set without a memory limit or below it.
 */
int berth_cgroup_swap_to_v2(int64_t swap, int64_t memory, int64_t *ret, struct berth_error *err);

/* blkio.weight (10..1000) to io.weight (1..10000), runc's ConvertBlkIOToIOWeightValue. */
uint64_t berth_cgroup_blkio_weight_to_io(uint64_t weight);
