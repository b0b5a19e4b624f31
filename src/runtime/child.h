#pragma once
/*
 * The last steps before execve() of a container process, shared by the
 * container init (init.c) and `exec` (exec.c).
 */
#include "oci/config.h"
#include "util/error.h"

/* process.env, plus HOME from the container's /etc/passwd entry of the user when unset (as runc). */
char **berth_child_env(const struct berth_oci_process *p);

/* Default dispositions for every signal and an empty signal mask. */
void berth_child_reset_signals(void);

/* Leave only 0, 1, 2 and the preserved fds open across execve (CVE-2024-21626 class). */
int berth_child_close_fds_on_exec(int preserve_fds, struct berth_error *err);
