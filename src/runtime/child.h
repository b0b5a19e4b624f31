#pragma once
/*
 * The last steps before execve() of a container process, shared by the
 * container init (init.c) and `exec` (exec.c).
 */
#include <stdbool.h>
#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/* process.env, plus HOME from the container's /etc/passwd entry of the user when unset (as runc). */
char **berth_child_env(const struct berth_oci_process *p);

/* Default dispositions for every signal and an empty signal mask. */
void berth_child_reset_signals(void);

/* Leave only 0, 1, 2 and the preserved fds open across execve (CVE-2024-21626 class). */
int berth_child_close_fds_on_exec(int preserve_fds, struct berth_error *err);

/*
 * Right after fork/clone: close every fd inherited from the runtime except
 * stdio, the preserved fds and the n fds in keep (negative entries are
 * ignored; keep is reordered).  They are all O_CLOEXEC, but runtime code
 * runs inside the container until execve(), and a host directory fd must
 * not be reachable through /proc/self/fd meanwhile (CVE-2024-21626 class),
 * nor a locked state directory stay locked.
 */
void berth_child_close_inherited_fds(int preserve_fds, int *keep, size_t n);

/*
 * Give the process a terminal: a pty from the container's /dev/ptmx, sized
 * from the config, its master sent to the connected --console-socket
 * (*console_fd, closed after) or else over sync_fd to the runtime, the
 * slave made the controlling terminal and stdio.  bind_console also
 * bind-mounts the slave on /dev/console (the init does, exec does not).
 */
int berth_child_terminal(const struct berth_oci_process *p, int *console_fd, int sync_fd, bool bind_console,
			 struct berth_error *err);
