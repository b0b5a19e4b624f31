#pragma once
/*
 * The per-container monitor (like podman's conmon): a small process that
 * outlives `berth run -d`.  It is the container init's parent (a child
 * subreaper), holds the container's stdio (pipes, or the pty master), writes
 * the json-file log, serves attach clients, and when the init exits records
 * the exit code and time (atomically) and runs the exit command (--rm,
 * cleanup).  It links nothing but libc and is static: ~0.3 MB resident.
 */
#include <stdbool.h>
#include <sys/types.h>

struct monitor_options {
	const char *id;
	pid_t pid;             /* the container's init, a child of the monitor */
	const char *log_path;  /* json-file log, appended */
	const char *exit_path; /* exit record, written when the init exits */
	int attach_fd;         /* listening SOCK_SEQPACKET socket, or -1 */
	bool tty;              /* fd stdout_fd is the pty master (input and output) */
	int stdout_fd, stderr_fd, stdin_fd; /* -1 when absent */
	char **exit_command;   /* run after the exit record is written, or NULL */
};

/* Run until the init has exited and its output is drained; returns the process exit status for the monitor. */
int monitor_run(const struct monitor_options *o);
