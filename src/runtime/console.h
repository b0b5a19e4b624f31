#pragma once
/*
 * Container consoles: the runc-compatible `--console-socket` protocol and
 * the pty set-up done inside the container.
 *
 * Sequence for process.terminal=true with --console-socket:
 *	runtime, before clone:  berth_console_socket_connect(path, &sock)
 *	init, after devpts is mounted and after pivot_root:
 *		berth_console_create_pty(&master, &slave, &name)
 *		berth_console_set_size(master, h, w)        (if consoleSize)
 *		(bind-mount name onto /dev/console for the init process)
 *		berth_console_send_fd(sock, master, BERTH_CONSOLE_MASTER_NAME)
 *		close(master); close(sock)
 *		berth_console_make_controlling(slave)
 * The receiver (containerd shim, conmon, recvtty) owns the master from then on.
 */
#include <sys/types.h>

#include "util/error.h"

/*
 * The name runc sends with the master: the Go file name of the master,
 * which is the path it was opened by.  Receivers use it only as a label.
 */
#define BERTH_CONSOLE_MASTER_NAME "/dev/ptmx"

/*
 * Connect to the AF_UNIX SOCK_STREAM socket at path (SOCK_CLOEXEC, so it
 * never reaches the container process).  Paths longer than sun_path are
 * reached through /proc/self/fd of their directory.
 */
int berth_console_socket_connect(const char *path, int *ret_fd, struct berth_error *err);

/*
 * Create a pty pair from /dev/ptmx of the current mount namespace: both fds
 * O_CLOEXEC and O_NOCTTY.  The peer is opened with TIOCGPTPEER, so no path
 * is looked up in the (container-controlled) /dev/pts; ptsname+open is the
 * fallback for old kernels.  ret_slave_name ("/dev/pts/N") may be NULL.
 */
int berth_console_create_pty(int *ret_master, int *ret_slave, char **ret_slave_name, struct berth_error *err);

/* Set the window size of a tty (master or slave). */
int berth_console_set_size(int fd, unsigned rows, unsigned cols, struct berth_error *err);

/*
 * Make the pty slave the controlling terminal and stdin/stdout/stderr of the
 * calling process: setsid() unless already a session leader, TIOCSCTTY,
 * dup2 onto 0, 1 and 2 (which are left without FD_CLOEXEC).  slave_fd stays
 * open; the caller closes it when it is above 2.
 */
int berth_console_make_controlling(int slave_fd, struct berth_error *err);

/* Send fd (the pty master) with name as the message data; see util/fdpass.h. */
int berth_console_send_fd(int sock, int fd, const char *name, struct berth_error *err);

/* Receive a pty master sent by berth_console_send_fd() or runc; ret_name may be NULL. */
int berth_console_recv_fd(int sock, int *ret_fd, char **ret_name, struct berth_error *err);
