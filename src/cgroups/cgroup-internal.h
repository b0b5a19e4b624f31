#pragma once
/*
 * Internals of the cgroups subsystem: the operations table that the v1, v2
 * and systemd drivers implement, the mount table, and helpers they
 * share.  Not to be included outside src/cgroups/.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "cgroups/resources.h"
#include "util/error.h"

/* One mounted hierarchy: a v1 hierarchy or the cgroup2 tree. */
struct berth_cgroup_hier {
	char *controllers; /* "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
	char *mountpoint;  /* "/sys/fs/cgroup/cpu,cpuacct" */
	char *mount_root;  /* the hierarchy path mounted there, "/" unless bind-mounted */
	bool unified;
};

/* The container's directory in one hierarchy. */
struct berth_cgroup_dir {
	char *controllers; /* copied from the hierarchy */
	char *path;        /* cgroup path inside the hierarchy, "/a/b" */
	char *full;        /* mountpoint + path, for mkdir and messages */
	bool unified;
	int dfd; /* open directory, -EBADF when it does not exist */
};

struct berth_cgroup_ops {
	const char *name;
	/* Make the directories of cg->dirs (paths set, dfd closed) and open them. */
	int (*create)(struct berth_cgroup *cg, struct berth_error *err);
	int (*enter)(struct berth_cgroup *cg, pid_t pid, struct berth_error *err);
	int (*get_pids)(struct berth_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error *err);
	int (*kill_all)(struct berth_cgroup *cg, int signo, struct berth_error *err);
	int (*destroy)(struct berth_cgroup *cg, struct berth_error *err);
	/* Write linux.resources; devices get the default rules appended (see resources.h). */
	int (*apply_resources)(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
			       struct berth_error *err);
	int (*freeze)(struct berth_cgroup *cg, bool frozen, struct berth_error *err);
	int (*is_frozen)(struct berth_cgroup *cg, bool *ret, struct berth_error *err);
	int (*stats)(struct berth_cgroup *cg, json_t **ret, struct berth_error *err);
	int (*oom_count)(struct berth_cgroup *cg, uint64_t *ret, struct berth_error *err);
};

struct sd_bus;

struct berth_cgroup {
	const struct berth_cgroup_ops *ops;
	const struct berth_cgroup_ops *fs_ops; /* v1 or v2: what the systemd driver delegates to */
	enum berth_cgroup_mode mode;
	char *location; /* see berth_cgroup_get_path() */
	struct berth_cgroup_dir *dirs;
	size_t n_dirs;
	/* systemd driver only */
	char *unit;         /* "berth-c1.scope"; NULL for other drivers */
	pid_t placeholder;  /* keeps a new scope alive until the init is in; 0 when none */
	struct sd_bus *bus; /* connected on first use */
	bool bus_subscribed;
};

extern const struct berth_cgroup_ops berth_cgroup_ops_v1;
extern const struct berth_cgroup_ops berth_cgroup_ops_v2;
extern const struct berth_cgroup_ops berth_cgroup_ops_systemd;

/* cgroup-mount.c */

/*
 * The hierarchies the container gets a directory in: every mounted v1
 * hierarchy known to /proc/self/cgroup, plus the cgroup2 mount in hybrid
 * mode; just the cgroup2 root in unified mode.  Cached; owned by the module.
 */
int berth_cgroup_get_hierarchies(const struct berth_cgroup_hier **ret, size_t *ret_n, struct berth_error *err);

/*
 * This process's cgroup in the hierarchy with the given controllers ("" for
 * cgroup2), relative to the hierarchy's mount, from /proc/self/cgroup.
 */
int berth_cgroup_get_own(const struct berth_cgroup_hier *h, char **ret, struct berth_error *err);

/* The cgroup2 mount in unified mode: /sys/fs/cgroup, or the root set for testing. */
const char *berth_cgroup_unified_root(void);

/* cgroup-fs.c: helpers shared by the drivers */

/* Does the comma-separated list contain name? */
bool berth_cgroup_has_controller(const char *list, const char *name);

/* Open dir->full into dir->dfd; ENOENT leaves -EBADF and succeeds when missing_ok. */
int berth_cgroup_dir_open(struct berth_cgroup_dir *dir, bool missing_ok, struct berth_error *err);

/* Write pid to cgroup.procs in every directory; a missing one is an error. */
int berth_cgroup_enter_all(struct berth_cgroup *cg, pid_t pid, struct berth_error *err);

/* Collect pids of dir and its descendants (cgroup.procs), sorted and unique. */
int berth_cgroup_read_pids(const struct berth_cgroup_dir *dir, pid_t **ret, size_t *ret_n, struct berth_error *err);

/* Signal the pids of dir until no new ones appear. */
int berth_cgroup_signal_pids(const struct berth_cgroup_dir *dir, int signo, struct berth_error *err);

/* Remove every directory of cg, descendants first, retrying EBUSY. */
int berth_cgroup_remove_all(struct berth_cgroup *cg, struct berth_error *err);

/*
 * Called for every level while walking down to a cgroup: parent_fd is the
 * open parent, child_fd the (existing or new) child at child_full.
 */
typedef int (*berth_cgroup_level_fn)(int parent_fd, int child_fd, const char *child_full, void *userdata,
				     struct berth_error *err);

/*
 * Walk from the hierarchy mount (the first mountpoint_len bytes of dir->full)
 * down to dir->full, making missing directories and calling fn (may be NULL)
 * for each level; the leaf is left open in dir->dfd.  The full paths of the
 * directories made are appended to *created, for berth_cgroup_rollback().
 */
int berth_cgroup_mkdir_walk(struct berth_cgroup_dir *dir, size_t mountpoint_len, berth_cgroup_level_fn fn,
			    void *userdata, char ***created, struct berth_error *err);

/* Remove the directories listed in created, last first; errors are ignored. */
void berth_cgroup_rollback(char **created);

/* Find a directory of cg: the v1 hierarchy holding controller, or the cgroup2 one; NULL if none is open. */
struct berth_cgroup_dir *berth_cgroup_v1_dir(struct berth_cgroup *cg, const char *controller);
struct berth_cgroup_dir *berth_cgroup_unified_dir(struct berth_cgroup *cg);

/*
 * Write value to file in dir with one write(2), as cgroupfs wants.  A missing
 * file reads "`<dir>/<file>` does not exist (is the <prefix> controller
 * available?)", so a resource the host lacks is named.
 */
int berth_cgroup_write(const struct berth_cgroup_dir *dir, const char *file, const char *value,
		       struct berth_error *err);
int berth_cgroup_writef(const struct berth_cgroup_dir *dir, const char *file, struct berth_error *err,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Read a (small) cgroup file whole. */
int berth_cgroup_read(const struct berth_cgroup_dir *dir, const char *file, char **ret, struct berth_error *err);

/* Read a file holding one number; "max" reads as UINT64_MAX, a negative one as its u64 bits. */
int berth_cgroup_read_u64(const struct berth_cgroup_dir *dir, const char *file, uint64_t *ret,
			  struct berth_error *err);

bool berth_cgroup_file_exists(const struct berth_cgroup_dir *dir, const char *file);

/* The value of "key N" in a flat keyed file (cpu.stat, memory.events); false when absent. */
bool berth_cgroup_keyed_value(const char *buf, const char *key, uint64_t *ret);

/* resources-v1.c, resources-v2.c */
int berth_cgroup_v1_apply_resources(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
				    struct berth_error *err);
int berth_cgroup_v2_apply_resources(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
				    struct berth_error *err);

/* "mlx4_0 hca_handle=2 hca_object=2000" lines for rdma.max, v1 and v2 alike. */
int berth_cgroup_apply_rdma(const struct berth_cgroup_dir *dir, const struct berth_cgroup_resources *r,
			    struct berth_error *err);

/* The hugetlb.<size>.* limits in a cgroup2 directory (v2, and the hybrid unified mount). */
int berth_cgroup_v2_apply_hugetlb(struct berth_cgroup_dir *dir, const struct berth_cgroup_resources *r,
				  struct berth_error *err);

/* Enable controller in cgroup.subtree_control of every ancestor of the cgroup2 directory dir. */
int berth_cgroup_v2_enable_controller(const struct berth_cgroup_dir *dir, const char *controller,
				      struct berth_error *err);

/* devices.c: the rules of r followed by the default ones, through the v1 emulation (devices.h). */
struct berth_cgroup_device_state;
int berth_cgroup_devices_state_for(const struct berth_cgroup_resources *r, struct berth_cgroup_device_state *ret,
				   struct berth_error *err);

/* devices-v1.c: the device state of r written to the devices cgroup. */
int berth_cgroup_v1_apply_devices(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
				  struct berth_error *err);

/* devices-bpf.c: the same as an eBPF program on the cgroup2 directory, replacing the old one. */
int berth_cgroup_v2_apply_devices(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
				  struct berth_error *err);

/* freezer.c */
int berth_cgroup_v1_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error *err);
int berth_cgroup_v1_is_frozen(struct berth_cgroup *cg, bool *ret, struct berth_error *err);
int berth_cgroup_v2_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error *err);
int berth_cgroup_v2_is_frozen(struct berth_cgroup *cg, bool *ret, struct berth_error *err);

/* stats.c */
int berth_cgroup_v1_stats(struct berth_cgroup *cg, json_t **ret, struct berth_error *err);
int berth_cgroup_v2_stats(struct berth_cgroup *cg, json_t **ret, struct berth_error *err);
int berth_cgroup_v1_oom_count(struct berth_cgroup *cg, uint64_t *ret, struct berth_error *err);
int berth_cgroup_v2_oom_count(struct berth_cgroup *cg, uint64_t *ret, struct berth_error *err);

/* sd-bus-load.c: opens libsystemd.so.0 once; 0, or ELIBACC saying why not.  Thread-safe. */
int berth_sd_bus_load(struct berth_error *err);

/* cgroup-systemd.c */

/* 0 when the systemd driver can work here; ENOTSUP saying why not (no libsystemd, systemd not PID 1). */
int berth_cgroup_systemd_check(struct berth_error *err);
/* Kill and reap the placeholder process, if any. */
void berth_cgroup_systemd_drop_placeholder(struct berth_cgroup *cg);
/* Free what the driver holds in cg (placeholder, bus); for berth_cgroup_free(). */
void berth_cgroup_systemd_release(struct berth_cgroup *cg);
