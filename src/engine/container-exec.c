/* `berth exec`: through the runtime's exec, in process; the caller's stdio is the process's. */
#include "engine/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "engine/user-lookup.h"
#include "oci/config.h"
#include "runtime/exec.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

int berth_ctr_exec(struct berth_engine *e, const char *ref, const struct berth_exec_request *req, int *ret_status,
		   struct berth_error *err)
{
	_cleanup_error_ struct berth_error warn = BERTH_ERROR_INIT;
	_cleanup_free_ char *rootfs = NULL, *user = NULL;
	_cleanup_close_ int root_fd = -EBADF, null = -EBADF, saved_stdin = -EBADF;
	_cleanup_strv_free_ char **caps = NULL, **gids = NULL;
	struct berth_ctr c = { 0 };
	struct berth_user u = { 0 };
	int r;

	if (!req->args || !req->args[0])
		return berth_error_setx(err, EINVAL, "exec: no command specified");
	if ((r = berth_ctr_get(e, ref, &c, err)) < 0)
		return r;
	if (c.state == BERTH_CTR_PAUSED) {
		r = berth_error_setx(err, EBUSY, "container %s is paused, unpause the container before exec", c.id);
		goto out;
	}
	if (c.state != BERTH_CTR_RUNNING) {
		r = berth_error_setx(err, EINVAL, "container %s is not running", c.id);
		goto out;
	}
	/* -u names resolve in the container's own passwd, like the process's user at create */
	rootfs = berth_engine_run_path(e, c.id, "rootfs");
	if (req->user) {
		root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root_fd < 0) {
			r = berth_error_set(err, errno, "open \"%s\"", rootfs);
			goto out;
		}
		if ((r = berth_user_resolve(root_fd, req->user, &u, err)) < 0)
			goto out;
		user = berth_xasprintf("%u:%u", u.uid, u.gid);
		for (size_t i = 0; i < u.n_groups; i++)
			berth_strv_consume(&gids, berth_xasprintf("%u", u.groups[i]));
	}
	/* every capability berth itself may give (its bounding set), as docker exec --privileged */
	if (req->privileged)
		for (int cap = 0; cap <= berth_capability_last(); cap++)
			if (berth_capability_to_name(cap) && prctl(PR_CAPBSET_READ, cap) == 1)
				berth_strv_push(&caps, berth_capability_to_name(cap));
	/* without -i the process reads nothing, as with docker */
	if (!req->interactive && !req->tty) {
		null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		saved_stdin = fcntl(0, F_DUPFD_CLOEXEC, 3);
		if (null >= 0)
			dup2(null, 0);
	}
	{
		struct berth_exec_options o = {
			.root = e->runtime_root,
			.id = c.id,
			.args = req->args,
			.tty = req->tty,
			.cwd = req->workdir,
			.env = req->env,
			.user = user,
			.additional_gids = gids,
			.caps = caps,
			.detach = req->detach,
		};
		r = berth_container_exec(&o, ret_status, &warn, err);
	}
	if (saved_stdin >= 0)
		dup2(saved_stdin, 0);
	/* docker's codes for a command that could not run */
	if (r < 0 && err->msg && strstr(err->msg, "executable file not found")) {
		*ret_status = 127;
	} else if (r < 0 && err->msg && strstr(err->msg, "permission denied")) {
		*ret_status = 126;
	}
out:
	berth_user_release(&u);
	berth_ctr_release(&c);
	return r;
}
