#pragma once
/*
 * The runtime <-> container init protocol, over a SOCK_SEQPACKET socketpair.
 * Each message is one struct berth_sync_msg, optionally carrying one fd
 * (SCM_RIGHTS) or the sender's credentials (SCM_CREDENTIALS, so the
 * runtime learns the init's pid as seen from its own pid namespace).
 */
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

enum berth_sync_type {
	BERTH_SYNC_GO = 1,       /* runtime -> init: id maps written, cgroup joined */
	BERTH_SYNC_USERNS,       /* init -> runtime: new user namespace made, write id maps for pid `value` */
	BERTH_SYNC_USERNS_DONE,  /* runtime -> init */
	BERTH_SYNC_PID,          /* init -> runtime: SCM_CREDENTIALS carries the real init's pid */
	BERTH_SYNC_HOOKS,        /* init -> runtime: mounts done, run prestart/createRuntime hooks */
	BERTH_SYNC_HOOKS_DONE,   /* runtime -> init */
	BERTH_SYNC_PTY,          /* init -> runtime: pty master attached (SCM_RIGHTS) */
	BERTH_SYNC_CREATED,      /* init -> runtime: ready, waiting on exec.fifo */
	BERTH_SYNC_ERROR,        /* init -> runtime: value = errno, message follows in msg */
};

#define BERTH_SYNC_MSG_MAX 4000

struct berth_sync_msg {
	uint32_t type;
	int32_t value;
	char msg[BERTH_SYNC_MSG_MAX];
};

int berth_sync_send(int sock, enum berth_sync_type type, int32_t value, const char *msg, int fd);
/* Send with SCM_CREDENTIALS of the caller. */
int berth_sync_send_creds(int sock, enum berth_sync_type type);

/*
 * Receive one message.  ret_fd (may be NULL) receives a passed fd or -1,
 * ret_pid (may be NULL) the credentials' pid or 0.  EOF is -EPIPE.
 */
int berth_sync_recv(int sock, struct berth_sync_msg *ret, int *ret_fd, pid_t *ret_pid);

/* Receive and check the type; a BERTH_SYNC_ERROR becomes an error carrying the init's message. */
int berth_sync_expect(int sock, enum berth_sync_type type, struct berth_sync_msg *ret, int *ret_fd,
		      struct berth_error *err);
