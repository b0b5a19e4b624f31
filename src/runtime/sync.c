#include "sync.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int berth_sync_send(int sock, enum berth_sync_type type, int32_t value, const char *msg, int fd)
{
	struct berth_sync_msg m = { .type = type, .value = value };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t len = offsetof(struct berth_sync_msg, msg);

	if (msg) {
		size_t l = strnlen(msg, BERTH_SYNC_MSG_MAX - 1);
		memcpy(m.msg, msg, l);
		m.msg[l] = '\0';
		len += l + 1;
	}
	iov.iov_base = &m;
	iov.iov_len = len;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int berth_sync_send_creds(int sock, enum berth_sync_type type)
{
	struct berth_sync_msg m = { .type = type };
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct ucred cred = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
	struct iovec iov = { .iov_base = &m, .iov_len = offsetof(struct berth_sync_msg, msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(c), &cred, sizeof(cred));
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int berth_sync_recv(int sock, struct berth_sync_msg *ret, int *ret_fd, pid_t *ret_pid)
{
	union {
		char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = ret, .iov_len = sizeof(*ret) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	ssize_t n;

	if (ret_fd)
		*ret_fd = -1;
	if (ret_pid)
		*ret_pid = 0;
	memset(ret, 0, offsetof(struct berth_sync_msg, msg) + 1);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	if ((size_t)n < offsetof(struct berth_sync_msg, msg))
		return -EBADMSG;
	if ((size_t)n == offsetof(struct berth_sync_msg, msg))
		ret->msg[0] = '\0';
	ret->msg[BERTH_SYNC_MSG_MAX - 1] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
			if (ret_fd)
				*ret_fd = fd;
			else
				close(fd);
		} else if (c->cmsg_type == SCM_CREDENTIALS && ret_pid) {
			struct ucred cred;
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*ret_pid = cred.pid;
		}
	}
	return 0;
}

int berth_sync_expect(int sock, enum berth_sync_type type, struct berth_sync_msg *ret, int *ret_fd,
		      struct berth_error *err)
{
	int r = berth_sync_recv(sock, ret, ret_fd, NULL);

	if (r == -EPIPE)
		return berth_error_setx(err, EPIPE, "container init exited unexpectedly");
	if (r < 0)
		return berth_error_set(err, -r, "read from container init");
	if (ret->type == BERTH_SYNC_ERROR)
		return berth_error_setx(err, ret->value > 0 ? ret->value : EIO, "%s", ret->msg);
	if (ret->type != (uint32_t)type)
		return berth_error_setx(err, EPROTO, "unexpected message %u from container init (wanted %u)",
					ret->type, (unsigned)type);
	return 0;
}
