#pragma once
/*
 * The container init: the child side of create, from clone() to execve()
 * of the user process.  It runs the runtime's code (from the sealed memfd
 * copy, never the on-disk binary) and is not dumpable until execve.
 */
#include <stdbool.h>

#include "cgroups/cgroup.h"
#include "namespaces.h"
#include "oci/config.h"
#include "seccomp.h"

struct berth_init_ctx {
	const struct berth_oci_config *config;
	const char *rootfs;                      /* absolute host path */
	const char *bundle;                      /* absolute host path */
	struct berth_ns_plan *ns;
	const struct berth_seccomp_filter *seccomp; /* may be NULL */
	int sync_fd;                             /* socketpair end to the runtime */
	int fifo_fd;                             /* O_PATH fd of exec.fifo */
	int console_fd;                          /* connected --console-socket, or -1 */
	const struct berth_cgroup_self_enter *cgroup_enter; /* the init joins its v1 cgroups itself, or NULL */
	int preserve_fds;
	bool no_pivot;
	bool no_new_keyring;
	char **env;           /* set by the init: process.env plus HOME */
	char *state_json;     /* set by the init: the state the runtime sent for the hooks */
	bool pty_to_runtime; /* terminal without --console-socket: hand the pty master to the runtime */
};

/* Never returns: execve()s the user process or _exit()s after reporting an error over sync_fd. */
_Noreturn void berth_init_main(struct berth_init_ctx *c);
