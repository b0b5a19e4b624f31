#pragma once
/*
 * The runtime's container lifecycle, as the CLI verbs use it.  Every
 * function takes the state root (runc's --root) and a container id.
 */
#include <stdbool.h>
#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "state.h"
#include "util/error.h"

struct berth_create_options {
	const char *root;
	const char *id;
	const char *bundle; /* NULL = current directory */
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
	bool systemd_cgroup;
	bool detach; /* run --detach; create always detaches */
	bool keep;   /* run --keep: do not delete the container after it exits */
};

/* `create`: the container ends "created", its process waiting for `start`. */
int berth_container_create(const struct berth_create_options *o, struct berth_error *err);

/*
 * `run`: create + start, then (unless detached) wait for the container,
 * forwarding signals and the terminal, and delete it.  *ret_status is the
 * exit status to return (128+N for a signal), like runc.  Failing poststart
 * and poststop hooks land in *warn.
 */
int berth_container_run(const struct berth_create_options *o, int *ret_status, struct berth_error *warn,
			struct berth_error *err);

/* `start`.  A failing poststart hook is not an error (runtime-spec): it lands in *warn. */
int berth_container_start(const char *root, const char *id, struct berth_error *warn, struct berth_error *err);

/* `state`: the OCI state JSON, pretty-printed like runc. */
int berth_container_state(const char *root, const char *id, char **ret_json, struct berth_error *err);

/* `kill`: signal the init, or every process of the container with all. */
int berth_container_kill(const char *root, const char *id, int signo, bool all, struct berth_error *err);

/* `delete`: remove a stopped (or, with force, any) container and all it made. Hook failures go to *warn. */
int berth_container_delete(const char *root, const char *id, bool force, struct berth_error *warn,
			   struct berth_error *err);

struct berth_container_info {
	struct berth_state *state;
	enum berth_status status;
};

/* `list`: every container under root, sorted by id. */
int berth_container_list(const char *root, struct berth_container_info **ret, size_t *ret_n, struct berth_error *err);
void berth_container_info_free(struct berth_container_info *v, size_t n);

/* `pause` / `resume`: freeze or thaw every process of the container. */
int berth_container_pause(const char *root, const char *id, struct berth_error *err);
int berth_container_resume(const char *root, const char *id, struct berth_error *err);

/* `ps`: the pids of the container's processes (in the runtime's pid namespace). */
int berth_container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct berth_error *err);

/* `update`: apply an OCI linux.resources object (partial) to a running container. */
int berth_container_update(const char *root, const char *id, json_t *resources, struct berth_error *err);

/* `events`: cgroup statistics in runc's shape, and the number of OOM kills so far (either may be NULL). */
int berth_container_stats(const char *root, const char *id, json_t **ret_stats, uint64_t *ret_oom_count,
			  struct berth_error *err);

/* "KILL", "SIGKILL", "9" -> 9; -EINVAL for unknown names. */
int berth_signal_parse(const char *s);
