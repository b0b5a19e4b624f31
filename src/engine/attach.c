#include "engine/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "monitor/attach-proto.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/unix-address.h"
#include "util/xalloc.h"

int berth_attach_connect(const char *path, struct berth_error *err)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), dirfd = -EBADF;
	struct sockaddr_un sa;
	int r;

	if (fd < 0)
		return berth_error_set(err, errno, "attach socket");
	if ((r = berth_unix_address(path, &sa, &dirfd, err)) < 0)
		return berth_error_prefix(err, "attach socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berth_error_set(err, errno, "attach to the container's monitor (\"%s\")", path);
	return TAKE_FD(fd);
}

static void send_size(int sock, int tty_fd)
{
	struct winsize ws;
	char pkt[64];
	int n;

	if (ioctl(tty_fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
		return;
	n = snprintf(pkt, sizeof(pkt), "%c%u %u", ATTACH_RESIZE, ws.ws_row, ws.ws_col);
	send(sock, pkt, (size_t)n, MSG_NOSIGNAL);
}

/* How far into the detach sequence the input has come; true when it is complete. */
static bool detach_match(const char *keys, size_t *state, const char *buf, size_t n)
{
	size_t len = keys ? strlen(keys) : 0;

	for (size_t i = 0; len && i < n; i++) {
		if (buf[i] == keys[*state]) {
			if (++*state == len)
				return true;
		} else {
			*state = buf[i] == keys[0] ? 1 : 0;
		}
	}
	return false;
}

int berth_attach_session(int sock, const struct berth_attach_options *o, int *ret_exit_code, struct berth_error *err)
{
	_cleanup_close_ int sigfd = -EBADF;
	/* a whole packet, and a NUL after it (the exit code is read as a string) */
	char buf[ATTACH_PACKET_MAX + 1];
	size_t detach_state = 0;
	bool input = o->stdin_fd >= 0;
	/* the size to give the container's terminal: ours, on stdin or (run -t without -i) stdout */
	int tty_fd = o->stdin_fd >= 0 && isatty(o->stdin_fd) ? o->stdin_fd : isatty(o->stdout_fd) ? o->stdout_fd : -1;
	sigset_t mask;

	if (o->tty && tty_fd >= 0) {
		sigemptyset(&mask);
		sigaddset(&mask, SIGWINCH);
		sigprocmask(SIG_BLOCK, &mask, NULL);
		sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
		send_size(sock, tty_fd);
	}
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = input ? o->stdin_fd : -1, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return berth_error_set(err, errno, "attach: poll");
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == sizeof(si))
				;
			send_size(sock, tty_fd);
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(o->stdin_fd, buf + 1, ATTACH_PACKET_MAX - 1);
			if (n > 0 && o->tty && detach_match(o->detach_keys, &detach_state, buf + 1, (size_t)n))
				return 1;
			if (n > 0) {
				buf[0] = ATTACH_STDIN;
				send(sock, buf, (size_t)n + 1, MSG_NOSIGNAL);
			} else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
				input = false;
				if (o->close_stdin_on_eof) {
					buf[0] = ATTACH_STDIN_EOF;
					send(sock, buf, 1, MSG_NOSIGNAL);
				}
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(sock, buf, ATTACH_PACKET_MAX, 0);
			if (n <= 0)
				return berth_error_setx(err, EPIPE, "the container's monitor went away");
			if (buf[0] == ATTACH_EXIT) {
				buf[n] = '\0';
				*ret_exit_code = atoi(buf + 1);
				return 0;
			}
			if (buf[0] == ATTACH_STDOUT || buf[0] == ATTACH_STDERR)
				berth_write_all(buf[0] == ATTACH_STDOUT ? o->stdout_fd : o->stderr_fd, buf + 1, (size_t)n - 1);
		}
	}
}
