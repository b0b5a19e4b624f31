#pragma once
/*
 * The client side of the monitor's attach socket (monitor/attach-proto.h):
 * `berth run` without -d, `start -a`, `attach`.  Copies the caller's stdin
 * to the container and the container's output to the caller's fds until the
 * container exits, sending the terminal size when it changes.
 */
#include <stdbool.h>

#include "util/error.h"

/* Connect to the attach socket at path (bound through /proc/self/fd when the path is long). */
int berth_attach_connect(const char *path, struct berth_error *err);

struct berth_attach_options {
	int stdin_fd;  /* -1: do not forward input */
	int stdout_fd;
	int stderr_fd;
	bool tty;       /* send the size of stdin's terminal, and on SIGWINCH */
	bool close_stdin_on_eof; /* -i without a tty: the container sees EOF when we do */
	/* docker's detach keys: this byte sequence (ctrl-p ctrl-q by default) detaches; NULL = none */
	const char *detach_keys;
};

/*
 * Run the session.  Returns 0 with the container's exit code in *ret_exit_code,
 * or 1 when the user detached (the container keeps running), or -errno.
 */
int berth_attach_session(int sock, const struct berth_attach_options *o, int *ret_exit_code, struct berth_error *err);
