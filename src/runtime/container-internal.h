#pragma once
/* Shared between the container-*.c files of the lifecycle; not API. */
#include <stdbool.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "container.h"
#include "oci/config.h"
#include "state.h"

/* What create leaves behind for run to carry on with. */
struct berth_launch {
	struct berth_oci_config *config;
	char *config_text;
	struct berth_state *state;
	struct berth_cgroup *cgroup;
	int dirfd;      /* the locked state directory */
	pid_t first_pid; /* the process clone() made (the init, except on the slow path with a new pid ns) */
	int pty_master; /* terminal without console socket: the master for run to proxy */
	bool console_socket_used;
	bool enter_cgroup; /* the runtime must move the init into its cgroup */
};

void berth_launch_release(struct berth_launch *l);

/* Everything `create` does; on error nothing is left behind. */
int berth_launch(const struct berth_create_options *o, struct berth_launch *l, struct berth_error *err);

/* Open exec.fifo, wait for the init to pass it, remove it. */
int berth_exec_fifo_release(int dirfd, const struct berth_state *s, struct berth_error *err);

/* Run the hooks of one kind from a config, with the state as `status`. */
int berth_hooks_run_kind(const struct berth_oci_config *c, const struct berth_state *s, enum berth_hook_kind kind,
			 enum berth_status status, struct berth_error *err);

/* Remove a stopped container's cgroup and state directory and run poststop hooks. */
int berth_container_cleanup(const char *root, int dirfd, const struct berth_state *s, struct berth_error *warn,
			    struct berth_error *err);

/* berth_state_status(), and "paused" when the container's cgroup is frozen (cg may be NULL). */
enum berth_status berth_container_status(int dirfd, const struct berth_state *s, struct berth_cgroup *cg);
