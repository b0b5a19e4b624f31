#pragma once
/*
 * Passing one file descriptor over an AF_UNIX socket with SCM_RIGHTS, in
 * the format of runc's libcontainer/utils SendFile/RecvFile: a single
 * sendmsg() whose data is a short name (runc sends the file's name, e.g.
 * "/dev/ptmx" for a console master) and whose ancillary data carries
 * exactly one fd.  containerd's shim, conmon and runc's recvtty accept it.
 */
#include "error.h"

/* Longest name accepted, terminator included (runc's MaxNameLen). */
#define BERTH_FDPASS_NAME_MAX 4096

/*
 * Send fd over the connected socket sock with name as the message data.
 * An empty or NULL name is sent as a single NUL byte, since a stream
 * socket drops ancillary data riding on a zero-length message.
 */
int berth_fdpass_send(int sock, int fd, const char *name, struct berth_error *err);

/*
 * Receive one fd (opened O_CLOEXEC) and its name from sock.  Fails with
 * EBADMSG if the peer sent no fd or more than one (extra fds are closed),
 * and with ECONNRESET if the peer closed the connection first.
 * ret_name may be NULL; otherwise it receives a NUL-terminated heap string.
 */
int berth_fdpass_recv(int sock, int *ret_fd, char **ret_name, struct berth_error *err);
