#pragma once
/*
 * Container state on disk: <root>/<id>/ holds state.json (ours, written
 * atomically), config.json (the bundle's config as it was at create time,
 * for poststop hooks and delete) and exec.fifo while the container is
 * "created".  The directory itself is the lock: every command that changes
 * a container takes flock(LOCK_EX) on it, so concurrent commands serialise.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

#define BERTH_STATE_FILE "state.json"
#define BERTH_STATE_CONFIG "config.json"
#define BERTH_STATE_FIFO "exec.fifo"
#define BERTH_ID_MAX 1024

enum berth_status {
	BERTH_STATUS_CREATING,
	BERTH_STATUS_CREATED,
	BERTH_STATUS_RUNNING,
	BERTH_STATUS_PAUSED,
	BERTH_STATUS_STOPPED,
	_BERTH_STATUS_MAX,
};

const char *berth_status_to_string(enum berth_status s);

struct berth_state {
	char *id;
	pid_t pid;
	uint64_t pid_start_time; /* field 22 of /proc/PID/stat, guards against pid reuse */
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339, nanoseconds, UTC */
	char *owner;
	char *cgroup_path; /* NULL when no cgroup was made */
	bool systemd_cgroup;
	char **annotations; /* key, value, key, value, ..., NULL */
};

void berth_state_free(struct berth_state *s);
static inline void berth_state_freep(struct berth_state **s)
{
	berth_state_free(*s);
}

/* Container IDs: [A-Za-z0-9][A-Za-z0-9_+.-]*, at most BERTH_ID_MAX bytes, never "." or "..". */
int berth_state_validate_id(const char *id, struct berth_error *err);

/* mkdir -p the state root (mode 0700). */
int berth_state_root_ensure(const char *root, struct berth_error *err);

/*
 * Create <root>/<id> (EEXIST: "container with id exists") and return a
 * locked fd on it.
 */
int berth_state_dir_create(const char *root, const char *id, int *ret_dirfd, struct berth_error *err);

/* Open and lock (exclusive or shared) an existing <root>/<id>; ENOENT: "container `id` does not exist". */
int berth_state_dir_open(const char *root, const char *id, bool exclusive, int *ret_dirfd, struct berth_error *err);

int berth_state_save(int dirfd, const struct berth_state *s, struct berth_error *err);
int berth_state_load(int dirfd, struct berth_state **ret, struct berth_error *err);

/* Parse the config.json saved at create time (for hooks, delete, exec). */
int berth_state_load_config(int dirfd, struct berth_oci_config **ret, struct berth_error *err);
/*
 * The config for its hooks only (start, delete): *ret is NULL when the file
 * names no "hooks" at all, which spares parsing the whole of it (a docker
 * config's seccomp profile alone is 10 kB).
 */
int berth_state_load_hooks(int dirfd, struct berth_oci_config **ret, struct berth_error *err);

/* The status right now: from the pid (alive? same start time?), exec.fifo and the freezer. */
enum berth_status berth_state_status(int dirfd, const struct berth_state *s);

/* OCI state JSON (runtime-spec "state"), pretty-printed like runc, for `state` and hooks. */
char *berth_state_to_oci_json(const struct berth_state *s, enum berth_status status, bool pretty);

/*
 * A pidfd of the container's init, or -errno: -ESRCH when it is gone or
 * its pid now belongs to another process (the start time tells).
 */
int berth_state_pidfd(const struct berth_state *s);

/* Start time (clock ticks since boot) of pid, 0 if it does not exist. */
uint64_t berth_proc_start_time(pid_t pid);

/* Current time as RFC 3339 with nanoseconds, like Go's time.RFC3339Nano in UTC. */
char *berth_now_rfc3339(void);
