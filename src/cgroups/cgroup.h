#pragma once
/*
 * One cgroup per container, on cgroup v1 (legacy and hybrid layouts) and v2.
 *
 * Layouts, detected once per process by berth_cgroup_detect_mode():
 *   unified  /sys/fs/cgroup is cgroup2: one tree, controllers enabled through
 *            cgroup.subtree_control of every ancestor.
 *   hybrid   /sys/fs/cgroup is a tmpfs of v1 hierarchies (cpu, memory, ...,
 *            name=systemd) plus a cgroup2 mount at /sys/fs/cgroup/unified; the
 *            container gets a directory in every v1 hierarchy and in the v2 one.
 *   legacy   as hybrid without the cgroup2 mount.
 * Where each v1 hierarchy is mounted comes from /proc/self/mountinfo, so
 * co-mounted controllers ("cpu,cpuacct") and symlinks to them need no care.
 *
 * Paths follow runc (libcontainer/cgroups/fs and fs2):
 *   - an absolute cgroupsPath is taken below the root of every hierarchy;
 *   - a relative one is below the runtime's own cgroup (/proc/self/cgroup) in
 *     each v1 hierarchy, and below the *parent* of the runtime's own cgroup on
 *     pure v2 (the own cgroup holds processes, so it cannot delegate
 *     controllers to children);
 *   - an empty cgroupsPath means the relative path "<id>";
 *   - with the systemd driver cgroupsPath is "slice:prefix:name" and names the
 *     transient unit "<prefix>-<name>.scope" in the expanded slice.
 * Unlike runc, ".." components are rejected rather than cleaned away.
 *
 * Systemd driver (systemd = true): the cgroup is a transient scope that
 * systemd creates over D-Bus (StartTransientUnit, Delegate=yes) in the slice,
 * and stops on destroy; limits go to systemd as unit properties and to the
 * cgroup files (see cgroup-systemd.c).  Everything else works on the scope's
 * directories as with cgroupfs.  berth_cgroup_create() fails with ENOTSUP
 * when systemd is not PID 1 ("systemd is not running": /run/systemd/system is
 * missing) or berth was built without libsystemd.
 *
 * Not thread-safe: the mode and mount table are cached in statics.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroups/resources.h"
#include "util/error.h"

enum berth_cgroup_mode {
	BERTH_CGROUP_LEGACY,
	BERTH_CGROUP_HYBRID,
	BERTH_CGROUP_UNIFIED,
	_BERTH_CGROUP_MODE_MAX,
	_BERTH_CGROUP_MODE_INVALID = -1,
};

struct berth_cgroup;

/* Detect the layout of /sys/fs/cgroup (statfs); cached after the first call. */
int berth_cgroup_detect_mode(enum berth_cgroup_mode *ret, struct berth_error *err);

/* "legacy", "hybrid", "unified" */
const char *berth_cgroup_mode_to_string(enum berth_cgroup_mode mode);

/*
 * Turn OCI linux.cgroupsPath into a normalised cgroup path; pure string logic.
 *
 * Without systemd: "/a//b/./c/" -> "/a/b/c" (absolute, below the hierarchy
 * roots); "a/b" -> "a/b" (relative, resolved against the runtime's own
 * cgroup by berth_cgroup_create()); NULL or "" -> "<id>".
 * With systemd: "system.slice:docker:abc" -> "/system.slice/docker-abc.scope",
 * "a-b.slice:p:n" -> "/a.slice/a-b.slice/p-n.scope"; an empty slice is
 * system.slice, an empty prefix gives "<name>.scope", a name ending in
 * ".slice" is used as the unit itself; NULL or "" -> "system.slice:berth:<id>".
 *
 * Fails with EINVAL on "..", control characters, a path naming a root or the
 * runtime's own cgroup ("/", "."), an over-long path or component, an invalid
 * id, or a malformed systemd triple.
 */
int berth_cgroup_path_resolve(const char *cgroups_path, const char *id, bool systemd, char **ret_path,
			      struct berth_error *err);

/*
 * Create (or join, when it exists) the cgroup at path, as returned by
 * berth_cgroup_path_resolve(), in every hierarchy, and keep its directories
 * open.  On v2 the available controllers are enabled in every ancestor; on v1
 * new cpuset directories inherit cpuset.cpus and cpuset.mems.  Directories
 * made here are removed again on failure.
 *
 * With systemd, path must be absolute (berth_cgroup_path_resolve() with
 * systemd) and the unit must not exist yet (EEXIST; a failed leftover is
 * reset and replaced, as runc does).  A placeholder child process keeps the
 * new scope alive until the container's first process is in it: call
 * berth_cgroup_drop_placeholder() then.
 */
int berth_cgroup_create(const char *path, bool systemd, struct berth_cgroup **ret, struct berth_error *err);

/*
 * After the container's first process joined the cgroup: kill and reap the
 * systemd driver's placeholder process (see berth_cgroup_create()).  A no-op
 * for the other drivers and when done before; berth_cgroup_destroy() and
 * berth_cgroup_free() do it too.
 */
void berth_cgroup_drop_placeholder(struct berth_cgroup *cg);

/*
 * Re-open the cgroup of an existing container from the string that
 * berth_cgroup_get_path() returned when it was created.  A directory that no
 * longer exists is not an error (delete and kill must work on a half-removed
 * container); operations simply skip it.  systemd: the cgroup was created
 * with the systemd driver (destroy then stops the unit, updates set its
 * properties).
 */
int berth_cgroup_load(const char *path, bool systemd, struct berth_cgroup **ret, struct berth_error *err);

/*
 * The string to store in the container state for berth_cgroup_load(): the
 * absolute cgroup path ("/berth/c1") when it is the same in every hierarchy,
 * which is always the case on pure v2 and for an absolute cgroupsPath.  A
 * relative cgroupsPath on v1 can resolve differently per hierarchy; the
 * string is then one "<controllers>:<path>" line per hierarchy, like
 * /proc/PID/cgroup without the hierarchy ids.  Treat it as opaque.
 */
const char *berth_cgroup_get_path(const struct berth_cgroup *cg);

enum berth_cgroup_mode berth_cgroup_get_mode(const struct berth_cgroup *cg);

/*
 * On pure v2, the open cgroup directory, for clone3(CLONE_INTO_CGROUP) so the
 * child starts in its cgroup with no extra write; -EBADF otherwise (use
 * berth_cgroup_enter()).  Owned by cg.
 */
int berth_cgroup_get_unified_fd(const struct berth_cgroup *cg);

/*
 * Joining a cgroup from the new process itself, without the kernel's global
 * threadgroup lock (see cgroup-self-enter.c): prepare in the runtime before
 * fork/clone; the child calls berth_cgroup_self_enter() first thing, and
 * unified_fd (>= 0 on pure v2 and hybrid hosts) is for
 * clone3(CLONE_INTO_CGROUP).  The child must be single-threaded.
 */
struct berth_cgroup_self_enter {
	int *tasks; /* O_WRONLY fds of each v1 hierarchy's `tasks` file */
	size_t n_tasks;
	int unified_fd; /* the cgroup2 directory, owned by the cgroup; -EBADF if none */
};

int berth_cgroup_self_enter_prepare(const struct berth_cgroup *cg, struct berth_cgroup_self_enter *ret,
				    struct berth_error *err);
int berth_cgroup_self_enter(const struct berth_cgroup_self_enter *e, struct berth_error *err);
void berth_cgroup_self_enter_release(struct berth_cgroup_self_enter *e);

/* Move pid (the whole process) into the cgroup in every hierarchy. */
int berth_cgroup_enter(struct berth_cgroup *cg, pid_t pid, struct berth_error *err);

/* All processes in the cgroup and its descendants, sorted, without duplicates; free(*ret). */
int berth_cgroup_get_pids(struct berth_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error *err);

/*
 * Send signo to every process in the cgroup and its descendants.  On v2 a
 * SIGKILL goes through cgroup.kill (atomic, no fork race) when the kernel has
 * it; otherwise the pid list is re-read until no new process shows up.
 */
int berth_cgroup_kill_all(struct berth_cgroup *cg, int signo, struct berth_error *err);

/*
 * Remove the cgroup, its descendants first, in every hierarchy.  EBUSY is
 * retried briefly since exiting tasks leave asynchronously; ENOENT is fine.
 */
int berth_cgroup_destroy(struct berth_cgroup *cg, struct berth_error *err);

/*
 * Write linux.resources (berth_cgroup_resources_parse()) into the cgroup.
 *
 * At create (update false) call it even without linux.resources, right after
 * berth_cgroup_create() and before any process enters: the devices cgroup
 * (v1) or eBPF device program (v2) then denies every device except the
 * configured ones and runc's defaults (berth_cgroup_default_device_rules()).
 * With update true only what r sets is written, and the device rules only
 * when r has a devices list (as `runc update`).
 *
 * v1 (legacy and hybrid): the v1 files in runc's order (memory.memsw and
 * memory.limit_in_bytes ordered so that limit <= memsw holds at each step,
 * cfs period/quota and rt period/runtime retried on EINVAL); on a hybrid
 * host the cgroup2 mount takes the unified keys whose files it has and
 * hugepageLimits when no v1 hugetlb hierarchy exists.  v2: runc's
 * conversions (see resources.h), unified keys last.
 *
 * A setting the host cannot take fails and names the file: "cannot set
 * `net_cls.classid`: no net_cls cgroup v1 hierarchy is mounted",
 * "`/sys/fs/cgroup/c1/memory.swap.max` does not exist (is the memory
 * controller available?)".  Settings written before the failing one stay.
 */
int berth_cgroup_apply_resources(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
				 struct berth_error *err);

/*
 * Freeze (pause) or thaw (resume) every process of the cgroup and wait until
 * done: v1 writes freezer.state and rewrites FROZEN while it reads FREEZING
 * (thawing back and failing with EBUSY if it never settles); v2 writes
 * cgroup.freeze and waits for "frozen 1"/"frozen 0" in cgroup.events (5 s,
 * then ETIMEDOUT, thawed back).  Hybrid hosts without a v1 freezer use v2.
 */
int berth_cgroup_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error *err);

/* Whether the cgroup itself is frozen (v1: FROZEN and self_freezing; v2: cgroup.freeze is 1). */
int berth_cgroup_is_frozen(struct berth_cgroup *cg, bool *ret, struct berth_error *err);

/*
 * Resource usage as the "data" of runc's `events --stats`: {"cpu": {"usage":
 * {total, percpu, percpu_kernel, percpu_user, kernel, user}, "throttling":
 * {periods, throttledPeriods, throttledTime}}, "cpuset", "memory": {cache,
 * usage, swap, kernel, kernelTCP (each {limit, usage, max, failcnt}), raw},
 * "pids": {current, limit}, "blkio", "hugetlb": {"2MB": {usage, max,
 * failcnt}}, "intel_rdt": {}, "network_interfaces": null}, zero values left
 * out where runc's omitempty does.  Times in ns.  Files the host lacks read
 * as zero.  *ret is a new reference.
 */
int berth_cgroup_stats(struct berth_cgroup *cg, json_t **ret, struct berth_error *err);

/*
 * How many processes the OOM killer killed in the cgroup (v1
 * memory.oom_control oom_kill, or under_oom on kernels before 4.13; v2
 * memory.events oom_kill); 0 without a memory controller.  `events` reports
 * an "oom" event when it grows.
 */
int berth_cgroup_oom_count(struct berth_cgroup *cg, uint64_t *ret, struct berth_error *err);

/* Close the directories and free cg; NULL is fine.  Does not remove anything. */
void berth_cgroup_free(struct berth_cgroup *cg);

static inline void berth_cgroup_freep(struct berth_cgroup **cg)
{
	berth_cgroup_free(*cg);
}

#define _cleanup_cgroup_ __attribute__((cleanup(berth_cgroup_freep)))

/*
 * Tests only: act as if root were the cgroup2 mount in unified mode (e.g.
 * /sys/fs/cgroup/unified on a hybrid host), so the v2 code runs on a v1
 * machine.  NULL goes back to detection.  Clears the cached mode and mounts;
 * cgroups opened before stay valid.
 */
void berth_cgroup_set_root_for_testing(const char *root);
