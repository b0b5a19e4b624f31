/* The caller's terminal and a container: raw mode, detach keys, signal forwarding, the attach session. */
#include "cli-run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "engine/attach.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* docker's: "ctrl-<a-z@[\]^_>" or a single character, comma-separated. */
char *cli_detach_keys(const char *spec, bool *ret_ok)
{
	_cleanup_free_ char *copy = NULL, *out = NULL;
	size_t n = 0;

	*ret_ok = true;
	if (!spec)
		return berth_xstrdup("\x10\x11");
	copy = berth_xstrdup(spec);
	out = berth_xzalloc(strlen(spec) + 1);
	for (char *save = NULL, *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		if (strlen(k) == 1) {
			out[n++] = k[0];
		} else if (strncmp(k, "ctrl-", 5) == 0 && strlen(k) == 6 &&
			   ((k[5] >= 'a' && k[5] <= 'z') || strchr("@[\\]^_", k[5]))) {
			/* '@' is NUL: it cannot be in a C string, and docker's users do not use it */
			if (k[5] == '@') {
				*ret_ok = false;
				break;
			}
			out[n++] = k[5] >= 'a' && k[5] <= 'z' ? (char)(k[5] - 'a' + 1) : (char)(k[5] - '@');
		} else {
			*ret_ok = false;
			break;
		}
	}
	if (!*ret_ok) {
		cli_failf(CLI_EXIT_ENGINE, "Invalid detach keys (%s) provided", spec);
		return NULL;
	}
	if (n == 0)
		return NULL;
	return TAKE_PTR(out);
}

/* One terminal in raw mode at a time, restored by whoever comes first: the session's end, exit, a signal. */
static struct termios saved_termios;
static volatile sig_atomic_t raw_fd = -1;
static volatile sig_atomic_t proxy_pidfd = -1;

static void restore_terminal(void)
{
	int fd = raw_fd;

	if (fd >= 0) {
		tcsetattr(fd, TCSADRAIN, &saved_termios);
		raw_fd = -1;
	}
}

static int make_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &saved_termios) < 0)
		return -errno;
	t = saved_termios;
	cfmakeraw(&t);
	/* output post-processing stays: the container's terminal already translates */
	t.c_oflag = saved_termios.c_oflag;
	raw_fd = fd;
	if (tcsetattr(fd, TCSADRAIN, &t) < 0) {
		raw_fd = -1;
		return -errno;
	}
	return 0;
}

/* SIGINT, SIGTERM, ... go to the container's init (docker's --sig-proxy). */
static void forward_signal(int sig)
{
	int saved = errno;

	if (proxy_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, (int)proxy_pidfd, sig, NULL, 0);
	errno = saved;
}

/* A fatal signal while raw (no proxy): give the terminal back, then die of it. */
static void fatal_signal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int proxied[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM };

static void set_handlers(void (*fn)(int))
{
	for (size_t i = 0; i < sizeof(proxied) / sizeof(proxied[0]); i++) {
		struct sigaction sa = { .sa_handler = fn };
		sigemptyset(&sa.sa_mask);
		sigaction(proxied[i], &sa, NULL);
	}
}

int cli_attach_run(const struct cli_attach *a, int *ret_exit_code, struct berth_error *err)
{
	struct berth_attach_options o = {
		.stdin_fd = a->forward_stdin ? STDIN_FILENO : -1,
		.stdout_fd = STDOUT_FILENO,
		.stderr_fd = STDERR_FILENO,
		.tty = a->tty,
		.close_stdin_on_eof = a->forward_stdin && !a->tty,
		.detach_keys = a->detach_keys,
	};
	_cleanup_close_ int pidfd = -EBADF;
	int r;

	if (a->tty && a->forward_stdin && isatty(STDIN_FILENO)) {
		if (make_raw(STDIN_FILENO) == 0)
			atexit(restore_terminal);
	}
	if (a->sig_proxy && a->pid > 0) {
		pidfd = (int)syscall(SYS_pidfd_open, a->pid, 0);
		if (pidfd >= 0) {
			proxy_pidfd = pidfd;
			set_handlers(forward_signal);
		}
	} else if (raw_fd >= 0) {
		set_handlers(fatal_signal);
	}
	r = berth_attach_session(a->sock, &o, ret_exit_code, err);
	proxy_pidfd = -1;
	set_handlers(SIG_DFL);
	restore_terminal();
	return r;
}

int cli_start_failure_status(const struct berth_error *err)
{
	const char *msg = err->msg ? err->msg : "";

	/* the runtime's `exec: "x": ...` is about the container's command */
	if (!strstr(msg, "exec: \""))
		return CLI_EXIT_ENGINE;
	if (err->code == ENOENT || strstr(msg, "executable file not found"))
		return 127;
	if (err->code == EACCES || err->code == EPERM || err->code == ENOEXEC || err->code == EISDIR)
		return 126;
	return CLI_EXIT_ENGINE;
}
