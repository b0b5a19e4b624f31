#pragma once
/*
 * What `berth run` / `berth create` were asked for, parsed and typed: the
 * input of the spec builder (spec-build.h).  Fields left zero/NULL take
 * docker's defaults or the image's.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum berth_mount_kind {
	BERTH_MOUNT_BIND,
	BERTH_MOUNT_VOLUME, /* source is the volume's directory, resolved by the engine */
	BERTH_MOUNT_TMPFS,
};

struct berth_mount_spec {
	enum berth_mount_kind kind;
	char *source; /* absolute host path (bind, resolved volume); NULL for tmpfs */
	char *target; /* absolute path in the container */
	bool readonly;
	char *propagation; /* "rprivate" (default), "rshared", ... */
	uint64_t tmpfs_size; /* bytes, 0 = kernel default */
	uint32_t tmpfs_mode; /* 0 = 1777 */
};

struct berth_ulimit {
	char *name; /* "nofile", as docker spells it */
	uint64_t soft, hard;
};

/* --device, resolved by the engine from a stat() of the host path. */
struct berth_device_spec {
	char *host_path;
	char *container_path;
	char *permissions; /* "rwm" */
	char type;         /* 'c' or 'b' */
	int64_t major, minor;
	uint32_t file_mode; /* permission bits of the host node */
	uint32_t uid, gid;
};

struct berth_run_options {
	char *id;       /* container id (64 hex) */
	char *hostname; /* NULL = the first 12 hex of the id */
	char *domainname;

	/* process */
	char **cmd;        /* NULL = the image's Cmd */
	char **entrypoint; /* NULL = the image's; an empty vector (--entrypoint "") clears it */
	char **env;        /* "K=V" or "K" (take it from the caller's environment: done by the CLI) */
	char *workdir;
	uint32_t uid, gid; /* resolved by the engine from -u and the image's /etc/passwd */
	uint32_t *additional_gids;
	size_t n_additional_gids;
	bool tty;
	bool init;        /* docker --init: berth's init as PID 1 */
	char *init_path;  /* host path of that init binary, bind-mounted at /dev/init */

	/* security */
	bool privileged;
	bool read_only;
	bool no_new_privileges;
	char **cap_add, **cap_drop; /* "NET_ADMIN", "CAP_NET_ADMIN" or "ALL" */
	char *seccomp_profile;      /* NULL = default, "unconfined", or the JSON text of a profile */

	/* resources; 0 = unset */
	int64_t memory;
	int64_t memory_swap; /* -1 = unlimited swap */
	int64_t memory_reservation;
	double cpus;
	uint64_t cpu_shares;
	char *cpuset_cpus, *cpuset_mems;
	int64_t pids_limit; /* -1 or 0 = unlimited */
	uint64_t shm_size;  /* 0 = 64 MiB */
	struct berth_ulimit *ulimits;
	size_t n_ulimits;

	struct berth_mount_spec *mounts;
	size_t n_mounts;
	struct berth_device_spec *devices;
	size_t n_devices;

	/* namespaces */
	enum {
		BERTH_NET_PRIVATE, /* own network namespace (none, bridge) */
		BERTH_NET_HOST,
		BERTH_NET_PATH, /* join net_ns_path (container:NAME, prepared bridge namespaces) */
	} net_mode;
	char *net_ns_path;

	char *cgroups_path;
	char **annotations; /* "k=v" */
};
