#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "xalloc.h"

int berth_fdpass_send(int sock, int fd, const char *name, struct berth_error *err)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov;
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;
	size_t len = name ? strlen(name) : 0;
	ssize_t n;

	if (len >= BERTH_FDPASS_NAME_MAX)
		return berth_error_setx(err, ENAMETOOLONG, "send fd: name too long (%zu bytes)", len);
	if (len == 0) {
		name = "";
		len = 1;
	}

	memset(&control, 0, sizeof(control));
	iov.iov_base = (void *)name;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));

	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_error_set(err, errno, "send fd");
	/* The fd travels with the first byte; a short write of the name only matters to the peer's label. */
	if ((size_t)n < len) {
		int r = berth_write_all(sock, name + n, len - (size_t)n);
		if (r < 0)
			return berth_error_set(err, -r, "send fd name");
	}
	return 0;
}

/* Close every fd carried by the message; used when the message is malformed. */
static void close_received(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

int berth_fdpass_recv(int sock, int *ret_fd, char **ret_name, struct berth_error *err)
{
	union {
		struct cmsghdr hdr;
		/* room for a few fds so a misbehaving peer's extras can be seen and closed */
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} control;
	_cleanup_free_ char *name = berth_xmalloc(BERTH_FDPASS_NAME_MAX + 1);
	struct iovec iov = { .iov_base = name, .iov_len = BERTH_FDPASS_NAME_MAX };
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;
	ssize_t n;
	int fd = -EBADF;

	memset(&control, 0, sizeof(control));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_error_set(err, errno, "receive fd");
	if (n == 0 && msg.msg_controllen == 0)
		return berth_error_setx(err, ECONNRESET, "receive fd: peer closed the connection");

	cmsg = CMSG_FIRSTHDR(&msg);
	if ((msg.msg_flags & MSG_CTRUNC) || !cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int)) || CMSG_NXTHDR(&msg, cmsg)) {
		close_received(&msg);
		return berth_error_setx(err, EBADMSG, "receive fd: expected exactly one file descriptor");
	}
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	if (n >= BERTH_FDPASS_NAME_MAX) {
		close(fd);
		return berth_error_setx(err, EBADMSG, "receive fd: name too long");
	}

	name[n] = '\0';
	*ret_fd = fd;
	if (ret_name)
		*ret_name = berth_xstrdup(name);
	return 0;
}
