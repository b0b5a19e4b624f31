#include "container.h"
#include "container-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

int berth_hooks_run_kind(const struct berth_oci_config *c, const struct berth_state *s, enum berth_hook_kind kind,
			 enum berth_status status, struct berth_error *err)
{
	_cleanup_free_ char *json = NULL;

	if (!c || !c->hooks.n_hooks[kind])
		return 0;
	json = berth_state_to_oci_json(s, status, false);
	return berth_hooks_run(c->hooks.hooks[kind], c->hooks.n_hooks[kind], json, berth_hook_kind_to_string(kind),
			       err);
}

int berth_exec_fifo_release(int dirfd, const struct berth_state *s, struct berth_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, BERTH_STATE_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char c;

	if (fd < 0)
		return berth_error_set(err, errno, "open exec fifo of `%s`", s->id);
	/* the init blocks in open(O_WRONLY) until we are here, then writes one byte */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, 100);

		if (n < 0 && errno != EINTR)
			return berth_error_set(err, errno, "wait for container `%s`", s->id);
		if (n > 0 && read(fd, &c, 1) == 1)
			break;
		if (berth_proc_start_time(s->pid) != s->pid_start_time)
			return berth_error_setx(err, ESRCH, "container `%s`: init exited before start", s->id);
	}
	if (unlinkat(dirfd, BERTH_STATE_FIFO, 0) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, "remove exec fifo of `%s`", s->id);
	return 0;
}

static int start_locked(int dirfd, const struct berth_state *s, const struct berth_oci_config *cfg,
			struct berth_error *warn, struct berth_error *err)
{
	enum berth_status st = berth_state_status(dirfd, s);
	int r;

	switch (st) {
	case BERTH_STATUS_CREATED:
		break;
	case BERTH_STATUS_STOPPED:
		return berth_error_setx(err, EINVAL, "cannot start a container that has stopped");
	case BERTH_STATUS_RUNNING:
		return berth_error_setx(err, EINVAL, "cannot start an already running container");
	default:
		return berth_error_setx(err, EINVAL, "cannot start a container in the %s state",
					berth_status_to_string(st));
	}
	r = berth_exec_fifo_release(dirfd, s, err);
	if (r < 0)
		return r;
	if (berth_hooks_run_kind(cfg, s, BERTH_HOOK_POSTSTART, BERTH_STATUS_RUNNING, warn) < 0)
		berth_error_prefix(warn, "poststart hook failed");
	return 0;
}



int berth_container_start(const char *root, const char *id, struct berth_error *warn, struct berth_error *err)
{
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_(berth_state_freep) struct berth_state *s = NULL;
	_cleanup_(berth_oci_config_freep) struct berth_oci_config *cfg = NULL;
	int r;

	r = berth_state_dir_open(root, id, true, &dirfd, err);
	if (r < 0)
		return r;
	r = berth_state_load(dirfd, &s, err);
	if (r < 0)
		return r;
	r = berth_state_load_hooks(dirfd, &cfg, err);
	if (r < 0)
		return r;
	return start_locked(dirfd, s, cfg, warn, err);
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

int berth_container_run(const struct berth_create_options *o, int *ret_status, struct berth_error *warn,
			struct berth_error *err)
{
	_cleanup_(berth_launch_release) struct berth_launch l = { .dirfd = -1, .pty_master = -1 };
	sigset_t old;
	int status = 0, r;

	/* the init may be our grandchild (new pid namespace joined late): reap it all the same */
	if (!o->detach)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* block the signals we forward before the init exists, so none is lost in between */
	if (!o->detach) {
		r = berth_signals_block(&old, err);
		if (r < 0)
			return r;
	}
	r = berth_launch(o, &l, err);
	if (r < 0)
		return r;
	r = start_locked(l.dirfd, l.state, l.config, warn, err);
	if (r < 0)
		goto fail;
	if (o->detach) {
		*ret_status = 0;
		return 0;
	}
	/* let state/kill/list from other commands through while we wait */
	close(l.dirfd);
	l.dirfd = -1;
	if (l.pty_master >= 0)
		r = berth_terminal_proxy(l.pty_master, l.state->pid, &status, err);
	else
		r = berth_wait_forwarding_signals(l.state->pid, -1, &status, err);
	if (r < 0)
		return r;
	*ret_status = exit_status(status);
	if (o->keep)
		return 0;
	return berth_container_delete(o->root, o->id, true, warn, err);
fail: {
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	close(l.dirfd);
	l.dirfd = -1;
	berth_container_delete(o->root, o->id, true, &ignored, &ignored);
	return r;
}
}
