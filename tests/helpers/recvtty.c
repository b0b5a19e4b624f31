/*
 * recvtty: the receiving end of `--console-socket`, for the end-to-end
 * tests (after runc's contrib/cmd/recvtty).
 *
 *	recvtty [--mode single|null] [--pid-file PATH] [--no-stdin] [--eof] SOCKET_PATH
 *
 * Listens on SOCKET_PATH (removed again on exit) and receives pty masters.
 *  single (default): accept one connection, then copy stdin to the master
 *	and the master to stdout until the master hangs up (every slave
 *	closed).  EOF on stdin just stops that copy, as in runc; with --eof a
 *	^D is sent then, so `echo cmd | recvtty --eof` ends a shell reading the
 *	terminal in canonical mode.
 *  null: accept connections forever; print each received name on a line of
 *	stdout and keep each master open (discarding its output) until it
 *	hangs up.
 * The pid file is written once the socket is listening.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/fdpass.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define MAX_MASTERS 64

static const char *socket_path;

static void die(const char *what, struct berth_error *err)
{
	if (err)
		fprintf(stderr, "recvtty: %s: %s\n", what, err->msg);
	else if (errno)
		fprintf(stderr, "recvtty: %s: %s\n", what, strerror(errno));
	else
		fprintf(stderr, "recvtty: %s\n", what);
	if (socket_path)
		unlink(socket_path);
	exit(1);
}

static void on_signal(int sig)
{
	if (socket_path)
		unlink(socket_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int listen_on(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_free_ char *dir = NULL;
	const char *slash = strrchr(path, '/');
	int fd, dirfd = -EBADF;

	if (strlen(path) < sizeof(addr.sun_path)) {
		strcpy(addr.sun_path, path);
	} else if (slash && slash != path) {
		/* too long for sun_path: bind through an O_PATH fd of the directory */
		dir = berth_xstrndup(path, (size_t)(slash - path));
		dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			die("open socket directory", NULL);
		if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d%s", dirfd, slash) >=
		    sizeof(addr.sun_path))
			die("socket name too long", NULL);
	} else {
		die("socket path too long", NULL);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("recvtty: bind");
		exit(1);
	}
	if (dirfd >= 0)
		close(dirfd);
	socket_path = path;
	if (listen(fd, 16) < 0)
		die("listen", NULL);
	return fd;
}

static int receive_master(int lfd, char **ret_name)
{
	_cleanup_close_ int conn = -EBADF;
	struct berth_error err = BERTH_ERROR_INIT;
	int master = -EBADF;

	do
		conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	while (conn < 0 && errno == EINTR);
	if (conn < 0)
		die("accept", NULL);
	if (berth_fdpass_recv(conn, &master, ret_name, &err) < 0)
		die("receive console", &err);
	return master;
}

/* Drain what the master has; false once every slave is closed. */
static bool copy_out(int master, int out)
{
	char buf[8192];
	ssize_t n;

	do
		n = read(master, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 && errno == EAGAIN;
	if (out >= 0)
		(void)berth_write_all(out, buf, (size_t)n);
	return true;
}

static void mode_single(int lfd, bool no_stdin, bool send_eof)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int master = receive_master(lfd, &name);
	bool stdin_open = !no_stdin;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = master, .events = POLLIN },
			{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		char buf[8192];

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll", NULL);
		}
		if (p[0].revents && !copy_out(master, STDOUT_FILENO))
			return;
		if (p[1].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n > 0) {
				(void)berth_write_all(master, buf, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				if (send_eof)
					(void)berth_write_all(master, "\004", 1);
				stdin_open = false;
			}
		}
	}
}

static void mode_null(int lfd)
{
	struct pollfd p[MAX_MASTERS + 1];
	size_t n = 1;

	p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
	for (;;) {
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll", NULL);
		}
		for (size_t i = 1; i < n; i++) {
			if (p[i].revents && !copy_out(p[i].fd, -1)) {
				close(p[i].fd);
				p[i--] = p[--n];
			}
		}
		if (p[0].revents && n < ARRAY_SIZE(p)) {
			_cleanup_free_ char *name = NULL;
			int master = receive_master(lfd, &name);

			printf("%s\n", name);
			fflush(stdout);
			(void)fcntl(master, F_SETFL, O_NONBLOCK);
			p[n++] = (struct pollfd){ .fd = master, .events = POLLIN };
		}
	}
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: recvtty [--mode single|null] [--pid-file PATH] [--no-stdin] [--eof] SOCKET_PATH\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "no-stdin", no_argument, NULL, 'n' },
		{ "eof", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *mode = "single", *pid_file = NULL;
	bool no_stdin = false, send_eof = false;
	int c, lfd;

	while ((c = getopt_long(argc, argv, "m:p:neh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			mode = optarg;
			break;
		case 'p':
			pid_file = optarg;
			break;
		case 'n':
			no_stdin = true;
			break;
		case 'e':
			send_eof = true;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc - 1 || (strcmp(mode, "single") != 0 && strcmp(mode, "null") != 0))
		usage(2);

	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(argv[optind]);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	if (pid_file) {
		_cleanup_free_ char *pid = berth_xasprintf("%d\n", (int)getpid());
		struct berth_error err = BERTH_ERROR_INIT;
		if (berth_write_file_atomic(AT_FDCWD, pid_file, pid, strlen(pid), 0644, &err) < 0)
			die("write pid file", &err);
	}

	if (strcmp(mode, "single") == 0)
		mode_single(lfd, no_stdin, send_eof);
	else
		mode_null(lfd);
	unlink(socket_path);
	return 0;
}
