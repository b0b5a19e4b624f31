/*
 * Entering a cgroup without the global threadgroup lock.
 *
 * Writing a pid to cgroup.procs takes the kernel's cgroup_threadgroup_rwsem
 * for writing, and on most kernels that waits for an RCU grace period: 1 to
 * 20 ms, the largest single cost of starting a container on cgroup v1.  Two
 * ways around it, both used for a freshly forked, single-threaded process:
 *  - v1: the process writes "0" to each hierarchy's `tasks` file, which
 *    moves only the calling thread and skips the write lock;
 *  - v2 (pure or hybrid): clone3(CLONE_INTO_CGROUP) starts the child in its
 *    cgroup, no migration at all.
 * The `tasks` files are opened by the runtime: the kernel checks the
 * credentials of the opener, so the child may write even after it entered
 * a new user namespace.
 */
#include "cgroups/cgroup.h"
#include "cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

void berth_cgroup_self_enter_release(struct berth_cgroup_self_enter *e)
{
	for (size_t i = 0; i < e->n_tasks; i++)
		if (e->tasks[i] >= 0)
			close(e->tasks[i]);
	free(e->tasks);
	e->tasks = NULL;
	e->n_tasks = 0;
	e->unified_fd = -EBADF;
}

int berth_cgroup_self_enter_prepare(const struct berth_cgroup *cg, struct berth_cgroup_self_enter *ret,
				    struct berth_error *err)
{
	struct berth_cgroup_self_enter e = { .unified_fd = -EBADF };

	for (size_t i = 0; i < cg->n_dirs; i++) {
		const struct berth_cgroup_dir *d = &cg->dirs[i];
		int fd;

		if (d->dfd < 0)
			continue;
		if (d->unified) {
			e.unified_fd = d->dfd; /* owned by cg */
			continue;
		}
		fd = openat(d->dfd, "tasks", O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			berth_cgroup_self_enter_release(&e);
			return berth_error_set(err, errno, "open `%s/tasks`", d->full);
		}
		e.tasks = berth_xreallocarray(e.tasks, e.n_tasks + 1, sizeof(int));
		e.tasks[e.n_tasks++] = fd;
	}
	*ret = e;
	return 0;
}

int berth_cgroup_self_enter(const struct berth_cgroup_self_enter *e, struct berth_error *err)
{
	for (size_t i = 0; i < e->n_tasks; i++) {
		ssize_t n;

		do
			n = write(e->tasks[i], "0", 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			return berth_error_set(err, n < 0 ? errno : EIO, "join the container cgroup (v1 `tasks`)");
	}
	return 0;
}
