#pragma once
/*
 * `exec`: start one more process in a running (or created) container, like
 * `runc exec`.
 *
 * Mechanics: the runtime opens a pidfd of the container init (checked
 * against the start time in the state), joins the init's pid and time
 * namespaces for its children only (setns(2) on the pidfd), and forks the
 * process directly into them, on cgroup v2 straight into the container's
 * cgroup with clone3(CLONE_INTO_CGROUP).  The child, not dumpable from its
 * first instruction (inherited), joins the cgroup (v1), closes every fd but
 * stdio and the preserved ones, joins all other namespaces of the init that
 * differ from the runtime's with one setns(pidfd, flags), sets up the pty,
 * then berth_process_finalize() (rlimits, user, capabilities,
 * no_new_privs, the container's seccomp filter) and execve().  Errors before
 * execve() come back over a socketpair and become the runtime's error.
 * One fork, no intermediate process: the exec'd process is the runtime's
 * own child, so it can be waited for without a child subreaper.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

struct berth_exec_options {
	const char *root;
	const char *id;
	/* --process: the process.json replaces the config's process and the flags below up to `detach` are ignored */
	const char *process_path;
	char **args; /* the command line (without --process); NULL or empty is an error */
	bool tty;    /* -t: process.terminal (else false, whatever the config says) */
	const char *cwd;
	char **env;             /* -e NAME=VALUE: override the config's value, or append */
	const char *user;       /* -u uid[:gid], numeric */
	char **additional_gids; /* -g, appended to the config's additionalGids */
	char **caps;            /* -c CAP_X: added to the bounding, effective, permitted and ambient sets */
	bool no_new_privs;      /* --no-new-privs: set (never cleared) */
	const char *apparmor;
	const char *process_label;
	/* apply to both forms */
	bool detach;
	const char *console_socket;
	const char *pid_file;
	int preserve_fds;
	bool ignore_paused;
	char **cgroups; /* --cgroup [<controller>[,<controller>]:]<path>, a sub-cgroup of the container's */
};

/*
 * Run the process.  Without detach, wait for it (forwarding signals, and
 * proxying the terminal for -t without --console-socket) and put its exit
 * status (128+N for signal N) in *ret_status; with detach *ret_status is 0
 * once the process has been exec'd.  --pid-file is written in both cases.
 * Messages follow runc: "cannot exec in a stopped container",
 * `exec: "foo": executable file not found in $PATH`, ...  Unknown --cap
 * names are ignored with a message in *warn, as runc does.
 */
int berth_container_exec(const struct berth_exec_options *o, int *ret_status, struct berth_error *warn,
			 struct berth_error *err);

/*
 * The process to run, from the container's saved config and the options
 * (the parts above that describe the process): cfg->process is replaced or
 * edited in place, as runc's getProcess() does.  Exposed for tests.
 */
int berth_exec_apply_options(const struct berth_exec_options *o, struct berth_oci_config *cfg,
			     struct berth_error *warn, struct berth_error *err);
