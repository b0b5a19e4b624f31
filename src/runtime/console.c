#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/unix-address.h"
#include "util/fdpass.h"
#include "util/xalloc.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int berth_console_socket_connect(const char *path, int *ret_fd, struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_close_ int dirfd = -EBADF;
	struct sockaddr_un addr;
	int r;

	r = berth_unix_address(path, &addr, &dirfd, err);
	if (r < 0)
		return berth_error_prefix(err, "console socket");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_set(err, errno, "create console socket");
	do
		r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return berth_error_set(err, errno, "connect to console socket `%s`", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int berth_console_create_pty(int *ret_master, int *ret_slave, char **ret_slave_name, struct berth_error *err)
{
	_cleanup_close_ int master = -EBADF;
	_cleanup_close_ int slave = -EBADF;
	char name[64];
	int r;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return berth_error_set(err, errno, "open `/dev/ptmx`");
	if (unlockpt(master) < 0)
		return berth_error_set(err, errno, "unlock pty");
	r = ptsname_r(master, name, sizeof(name));
	if (r != 0)
		return berth_error_set(err, r, "get pty name");

	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		if (errno != EINVAL && errno != ENOTTY)
			return berth_error_set(err, errno, "open pty peer of `%s`", name);
		/* kernel < 4.13: fall back to the path, inside a devpts we mounted ourselves */
		slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0)
			return berth_error_set(err, errno, "open pty peer `%s`", name);
	}

	if (ret_slave_name)
		*ret_slave_name = berth_xstrdup(name);
	*ret_master = TAKE_FD(master);
	*ret_slave = TAKE_FD(slave);
	return 0;
}

int berth_console_set_size(int fd, unsigned rows, unsigned cols, struct berth_error *err)
{
	struct winsize ws = { 0 };

	if (rows > 0xffff || cols > 0xffff)
		return berth_error_setx(err, EINVAL, "console size %ux%u out of range", rows, cols);
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
		return berth_error_set(err, errno, "set console size");
	return 0;
}

int berth_console_make_controlling(int slave_fd, struct berth_error *err)
{
	if (getsid(0) != getpid() && setsid() < 0)
		return berth_error_set(err, errno, "create session");
	if (ioctl(slave_fd, TIOCSCTTY, 0) < 0)
		return berth_error_set(err, errno, "set controlling terminal");
	for (int i = 0; i <= 2; i++) {
		if (slave_fd == i) {
			/* dup2 onto itself would keep the O_CLOEXEC the pty was opened with */
			if (fcntl(i, F_SETFD, 0) < 0)
				return berth_error_set(err, errno, "clear close-on-exec of fd %d", i);
		} else if (dup2(slave_fd, i) < 0) {
			return berth_error_set(err, errno, "dup console onto fd %d", i);
		}
	}
	return 0;
}

int berth_console_send_fd(int sock, int fd, const char *name, struct berth_error *err)
{
	int r = berth_fdpass_send(sock, fd, name, err);

	return r < 0 ? berth_error_prefix(err, "console socket") : 0;
}

int berth_console_recv_fd(int sock, int *ret_fd, char **ret_name, struct berth_error *err)
{
	int r = berth_fdpass_recv(sock, ret_fd, ret_name, err);

	return r < 0 ? berth_error_prefix(err, "console socket") : 0;
}
