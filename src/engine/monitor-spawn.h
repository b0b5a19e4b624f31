#pragma once
/*
 * Start a container under a monitor (berth-monitor, src/monitor/):
 *
 *   berth ──fork──> A ──fork──> M (setsid, child subreaper)
 *                   exits        ├─fork─> G: create(...) makes the container,
 *                                │        whose init is G's child; G exits,
 *                                │        the init is re-parented to M
 *                                └─exec─> berth-monitor, holding the stdio
 *
 * so the monitor is the init's parent (it gets the exit status), it is no
 * child of berth (nothing to reap, it survives berth), and it is exec'd
 * small: nothing of berth's memory stays resident.  The attach socket is
 * bound before the container exists, so no output is lost to a client that
 * connects before `start`.
 */
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/*
 * Called in G.  stdio[0..2] are the container's ends of its stdin, stdout
 * and stderr pipes (-1 with a tty).  With a tty the callback returns the pty
 * master in *ret_pty_master (it is passed to the monitor).  Returns the
 * init's pid.
 */
typedef int (*berth_monitor_create_fn)(void *opaque, const int stdio[3], int *ret_pty_master, pid_t *ret_pid,
				       struct berth_error *err);

struct berth_monitor_spawn {
	const char *monitor_path; /* the berth-monitor binary (never one from an image) */
	const char *id;
	const char *log_path;
	const char *exit_path;
	const char *attach_path; /* unix socket to create; NULL = none */
	bool tty;
	bool open_stdin; /* -i: keep a pipe to the container's stdin (else /dev/null) */
	char **exit_command;
	berth_monitor_create_fn create;
	void *opaque;
};

/* Returns once the container is created (or failed: err says why) and the monitor runs. */
int berth_monitor_spawn(const struct berth_monitor_spawn *s, pid_t *ret_monitor_pid, pid_t *ret_init_pid,
			struct berth_error *err);
