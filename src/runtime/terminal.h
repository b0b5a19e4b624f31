#pragma once
/*
 * The foreground side of `berth-runtime run` (and `exec` without --detach):
 * wait for the container process, forwarding the signals the runtime gets
 * to it, and, for process.terminal=true without --console-socket, proxy the
 * runtime's own stdio to the pty master as runc does.
 */
#include <signal.h>
#include <sys/types.h>

#include "util/error.h"

/*
 * Block every signal that berth_wait_forwarding_signals() handles (all but
 * SIGKILL, SIGSTOP and the synchronous fault signals), saving the previous
 * mask in ret_old.  Call it before cloning the container process so that no
 * signal arriving in between is lost; the child must restore ret_old with
 * sigprocmask() before it execs.
 */
int berth_signals_block(sigset_t *ret_old, struct berth_error *err);

/*
 * Wait until child exits, and return its wait status in ret_status.
 * Meanwhile, with a signalfd:
 *  - SIGCHLD reaps every exited child (the runtime may be a subreaper, so
 *    orphans of the container land here too);
 *  - SIGWINCH copies the window size of the runtime's terminal to master_fd;
 *  - SIGURG is ignored (as runc does: Go uses it internally);
 *  - every other signal is forwarded to child with kill(2), except a SIGPIPE
 *    the runtime raised on itself by writing to a closed stdout.
 * With master_fd >= 0, also copy stdin to the master and the master to
 * stdout, and drain the master (until EIO or no more data) once the child
 * has exited.  master_fd is put in O_NONBLOCK mode for the duration.  The
 * signal mask is restored on return; signals still pending are discarded.
 */
int berth_wait_forwarding_signals(pid_t child, int master_fd, int *ret_status, struct berth_error *err);

/*
 * berth_wait_forwarding_signals() with a terminal: if stdin is a tty, put
 * it in raw mode and give the pty its window size first; the saved
 * terminal attributes are restored on every return path.
 */
int berth_terminal_proxy(int master_fd, pid_t child, int *ret_status, struct berth_error *err);
