#include "engine/monitor-spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/unix-address.h"
#include "util/xalloc.h"

/* What M tells berth: the pids, or an error (errno + message). */
struct spawn_result {
	int error;
	pid_t monitor_pid, init_pid;
	char msg[1024];
};

static void report(int fd, const struct spawn_result *r)
{
	ssize_t n = write(fd, r, sizeof(*r));
	(void)n;
}

static void report_error(int fd, const struct berth_error *err, int fallback)
{
	struct spawn_result r = { .error = err->code ? err->code : fallback };

	snprintf(r.msg, sizeof(r.msg), "%s", err->msg ? err->msg : strerror(r.error));
	report(fd, &r);
}

/* A listening SOCK_SEQPACKET socket at path; bound through /proc/self/fd when path is too long for sun_path. */
static int attach_socket(const char *path, struct berth_error *err)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	_cleanup_close_ int dirfd = -EBADF;
	struct sockaddr_un sa;
	int r;

	if (fd < 0)
		return berth_error_set(err, errno, "attach socket");
	if ((r = berth_unix_address(path, &sa, &dirfd, err)) < 0)
		return berth_error_prefix(err, "attach socket");
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
		return berth_error_set(err, errno, "bind attach socket \"%s\"", path);
	return TAKE_FD(fd);
}

/* Move fd to number want (clearing CLOEXEC): the monitor's fixed fd layout. */
static int place_fd(int fd, int want)
{
	if (fd < 0)
		return -1;
	if (fd == want)
		return fcntl(fd, F_SETFD, 0) < 0 ? -1 : want;
	return dup2(fd, want);
}

/* G: create the container and send the init pid and pty master up to M. */
static void run_creator(const struct berth_monitor_spawn *s, const int stdio[3], int sock)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int master = -EBADF;
	pid_t pid = 0;
	char buf[sizeof(struct spawn_result)];
	struct spawn_result *r = (struct spawn_result *)buf;

	memset(buf, 0, sizeof(buf));
	if (s->create(s->opaque, stdio, &master, &pid, &err) < 0) {
		report_error(sock, &err, EIO);
		_exit(1);
	}
	r->init_pid = pid;
	report(sock, r);
	if (s->tty && berth_fdpass_send(sock, master, "pty", &err) < 0)
		_exit(1);
	_exit(0);
}

/* M: become the subreaper, get the container made, then turn into berth-monitor. */
static void run_monitor(const struct berth_monitor_spawn *s, int result_fd, int attach_fd)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 }, sp[2];
	int stdio[3] = { -1, -1, -1 }, master = -1, status;
	struct spawn_result r = { 0 };
	_cleanup_strv_free_ char **argv = NULL;
	char num[16];
	pid_t g;

	setsid();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		berth_error_set(&err, errno, "monitor setup");
		report_error(result_fd, &err, errno);
		_exit(1);
	}
	if (!s->tty) {
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
		    (s->open_stdin && pipe2(in, O_CLOEXEC) < 0)) {
			berth_error_set(&err, errno, "stdio pipes");
			report_error(result_fd, &err, errno);
			_exit(1);
		}
		stdio[0] = in[0];
		stdio[1] = out[1];
		stdio[2] = errp[1];
	}
	g = fork();
	if (g == 0) {
		close(sp[0]);
		run_creator(s, stdio, sp[1]);
	}
	close(sp[1]);
	if (g < 0 || read(sp[0], &r, sizeof(r)) != sizeof(r)) {
		berth_error_set(&err, g < 0 ? errno : EPIPE, "create the container");
		report_error(result_fd, &err, EIO);
		_exit(1);
	}
	if (r.error) {
		report(result_fd, &r);
		_exit(1);
	}
	if (s->tty && berth_fdpass_recv(sp[0], &master, NULL, &err) < 0) {
		report_error(result_fd, &err, EIO);
		_exit(1);
	}
	waitpid(g, &status, 0);
	/* the container's ends belong to the container now */
	for (int i = 0; i < 3; i++)
		if (stdio[i] >= 0)
			close(stdio[i]);

	r.monitor_pid = getpid();
	report(result_fd, &r);
	close(result_fd);

	berth_strv_push(&argv, s->monitor_path);
	berth_strv_push(&argv, "--id");
	berth_strv_push(&argv, s->id);
	snprintf(num, sizeof(num), "%d", (int)r.init_pid);
	berth_strv_push(&argv, "--pid");
	berth_strv_push(&argv, num);
	if (s->log_path) {
		berth_strv_push(&argv, "--log");
		berth_strv_push(&argv, s->log_path);
	}
	if (s->exit_path) {
		berth_strv_push(&argv, "--exit-file");
		berth_strv_push(&argv, s->exit_path);
	}
	/* fixed numbers: 3 attach, 4 stdout or pty, 5 stderr, 6 stdin; above them first so dup2 never clobbers */
	attach_fd = attach_fd >= 0 ? fcntl(attach_fd, F_DUPFD_CLOEXEC, 10) : -1;
	master = master >= 0 ? fcntl(master, F_DUPFD_CLOEXEC, 10) : -1;
	out[0] = out[0] >= 0 ? fcntl(out[0], F_DUPFD_CLOEXEC, 10) : -1;
	errp[0] = errp[0] >= 0 ? fcntl(errp[0], F_DUPFD_CLOEXEC, 10) : -1;
	in[1] = in[1] >= 0 ? fcntl(in[1], F_DUPFD_CLOEXEC, 10) : -1;
	if (place_fd(attach_fd, 3) == 3) {
		berth_strv_push(&argv, "--attach-fd");
		berth_strv_push(&argv, "3");
	}
	if (s->tty) {
		place_fd(master, 4);
		berth_strv_push(&argv, "--tty");
		berth_strv_push(&argv, "--stdout-fd");
		berth_strv_push(&argv, "4");
	} else {
		place_fd(out[0], 4);
		place_fd(errp[0], 5);
		berth_strv_push(&argv, "--stdout-fd");
		berth_strv_push(&argv, "4");
		berth_strv_push(&argv, "--stderr-fd");
		berth_strv_push(&argv, "5");
		if (place_fd(in[1], 6) == 6) {
			berth_strv_push(&argv, "--stdin-fd");
			berth_strv_push(&argv, "6");
		}
	}
	if (s->exit_command) {
		berth_strv_push(&argv, "--");
		for (size_t i = 0; s->exit_command[i]; i++)
			berth_strv_push(&argv, s->exit_command[i]);
	}
	/* stdio of the monitor itself: nothing, it must not hold berth's terminal */
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	execv(s->monitor_path, argv);
	_exit(127);
}

int berth_monitor_spawn(const struct berth_monitor_spawn *s, pid_t *ret_monitor_pid, pid_t *ret_init_pid,
			struct berth_error *err)
{
	_cleanup_close_ int attach_fd = -EBADF;
	int result[2], status;
	struct spawn_result r = { 0 };
	pid_t a;
	ssize_t n;

	if (s->attach_path && (attach_fd = attach_socket(s->attach_path, err)) < 0)
		return attach_fd;
	if (pipe2(result, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	a = fork();
	if (a < 0) {
		close(result[0]);
		close(result[1]);
		return berth_error_set(err, errno, "fork the monitor");
	}
	if (a == 0) {
		close(result[0]);
		/* A's only job: let M be nobody's child but init's (or a subreaper's) */
		pid_t m = fork();
		if (m == 0)
			run_monitor(s, result[1], attach_fd);
		_exit(m < 0 ? 1 : 0);
	}
	close(result[1]);
	waitpid(a, &status, 0);
	/* G's report (an error) or M's (success, with both pids) */
	do
		n = read(result[0], &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	close(result[0]);
	if (n != sizeof(r))
		return berth_error_setx(err, EIO, "the container monitor died while starting");
	if (r.error)
		return berth_error_setx(err, r.error, "%s", r.msg);
	*ret_monitor_pid = r.monitor_pid;
	*ret_init_pid = r.init_pid;
	return 0;
}
