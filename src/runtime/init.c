#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "console.h"
#include "hooks.h"
#include "loopback.h"
#include "personality.h"
#include "process.h"
#include "rootfs.h"
#include "sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

extern char **environ;

static _Noreturn void fail(struct berth_init_ctx *c, struct berth_error *err)
{
	berth_sync_send(c->sync_fd, BERTH_SYNC_ERROR, err->code, err->msg, -1);
	_exit(1);
}

static int become_root_in_userns(struct berth_error *err)
{
	if (setresgid(0, 0, 0) < 0)
		return berth_error_set(err, errno, "setresgid(0) in user namespace");
	if (setresuid(0, 0, 0) < 0)
		return berth_error_set(err, errno, "setresuid(0) in user namespace");
	return 0;
}

/*
 * Slow path: join existing namespaces, then create the new ones; a new pid
 * namespace needs one more fork, the grandchild becomes the init and this
 * process exits once the runtime knows the grandchild's pid.
 */
static int setup_namespaces_slow(struct berth_init_ctx *c, struct berth_error *err)
{
	struct berth_sync_msg m;
	int flags = c->ns->unshare_flags;
	pid_t pid;
	int r;

	r = berth_ns_join_all(c->ns, err);
	if (r < 0)
		return r;
	if (flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0)
			return berth_error_set(err, errno, "create user namespace");
		r = berth_sync_send(c->sync_fd, BERTH_SYNC_USERNS, 0, NULL, -1);
		if (r < 0)
			return berth_error_set(err, -r, "sync with runtime");
		r = berth_sync_expect(c->sync_fd, BERTH_SYNC_USERNS_DONE, &m, NULL, err);
		if (r < 0)
			return r;
		flags &= ~CLONE_NEWUSER;
	}
	if (c->ns->create[BERTH_NS_USER] || c->ns->join[BERTH_NS_USER]) {
		r = become_root_in_userns(err);
		if (r < 0)
			return r;
	}
	if (flags && unshare(flags) < 0)
		return berth_error_set(err, errno, "create namespaces (flags 0x%x)", flags);
	if (!(flags & CLONE_NEWPID))
		return berth_sync_send_creds(c->sync_fd, BERTH_SYNC_PID) < 0 ? berth_error_set(err, EPIPE, "sync") : 0;

	pid = fork();
	if (pid < 0)
		return berth_error_set(err, errno, "fork into the new pid namespace");
	/*
	 * The runtime (a child subreaper, or whoever adopts orphans) takes over
	 * the grandchild.  No PR_SET_PDEATHSIG here: our parent is this
	 * intermediate process, which exits right away.
	 */
	if (pid > 0)
		_exit(0);
	r = berth_sync_send_creds(c->sync_fd, BERTH_SYNC_PID);
	if (r < 0)
		return berth_error_set(err, -r, "sync with runtime");
	return 0;
}

static int setup_uts(const struct berth_oci_config *cfg, struct berth_error *err)
{
	if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		return berth_error_set(err, errno, "set hostname `%s`", cfg->hostname);
	if (cfg->domainname && setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
		return berth_error_set(err, errno, "set domainname `%s`", cfg->domainname);
	return 0;
}

/* Block until `start` opens the fifo for reading, then tell it we passed. */
static int wait_for_start(struct berth_init_ctx *c, struct berth_error *err)
{
	char path[64];
	_cleanup_close_ int fd = -EBADF;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->fifo_fd);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open exec fifo");
	if (write(fd, "0", 1) != 1)
		return berth_error_set(err, errno, "write exec fifo");
	close(c->fifo_fd);
	c->fifo_fd = -1;
	return 0;
}

static int init_setup(struct berth_init_ctx *c, char **ret_exe, struct berth_error *err)
{
	const struct berth_oci_config *cfg = c->config;
	const struct berth_oci_process *p = cfg->process;
	struct berth_rootfs_options ropts = { 0 };
	struct berth_sync_msg m;
	int r;

	if (c->ns->slow_path) {
		r = setup_namespaces_slow(c, err);
		if (r < 0)
			return r;
	}
	r = berth_sync_expect(c->sync_fd, BERTH_SYNC_GO, &m, NULL, err);
	if (r < 0)
		return r;
	if (!c->ns->slow_path && c->ns->create[BERTH_NS_USER]) {
		r = become_root_in_userns(err);
		if (r < 0)
			return r;
	}
	/* after the runtime put us in our cgroup, so the namespace's root is the container's cgroup */
	if (c->ns->create[BERTH_NS_CGROUP] && unshare(CLONE_NEWCGROUP) < 0)
		return berth_error_set(err, errno, "create cgroup namespace");
	if (setsid() < 0)
		return berth_error_set(err, errno, "setsid");
	if (!c->no_new_keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS &&
	    errno != EPERM && errno != EACCES)
		return berth_error_set(err, errno, "join session keyring");
	if (c->ns->create[BERTH_NS_UTS] || c->ns->join[BERTH_NS_UTS]) {
		r = setup_uts(cfg, err);
		if (r < 0)
			return r;
	}
	if (c->ns->create[BERTH_NS_NETWORK]) {
		r = berth_loopback_up(err);
		if (r < 0)
			return r;
	}
	if (p->has_oom_score_adj) {
		r = berth_oom_score_adj_apply(p->oom_score_adj, err);
		if (r < 0)
			return r;
	}

	/* relative bind-mount sources are relative to the bundle, as in runc */
	if (chdir(c->bundle) < 0)
		return berth_error_set(err, errno, "chdir to bundle `%s`", c->bundle);
	ropts.in_userns = c->ns->create[BERTH_NS_USER] || c->ns->join[BERTH_NS_USER];
	ropts.new_cgroupns = c->ns->create[BERTH_NS_CGROUP];
	ropts.new_netns = c->ns->create[BERTH_NS_NETWORK] || c->ns->join[BERTH_NS_NETWORK];
	r = berth_rootfs_prepare(cfg, c->rootfs, &ropts, err);
	if (r < 0)
		return r;

	/* prestart and createRuntime run in the runtime, createContainer here, all before pivot_root */
	r = berth_sync_send(c->sync_fd, BERTH_SYNC_HOOKS, 0, NULL, -1);
	if (r < 0)
		return berth_error_set(err, -r, "sync with runtime");
	r = berth_sync_expect(c->sync_fd, BERTH_SYNC_HOOKS_DONE, &m, NULL, err);
	if (r < 0)
		return r;
	/* the runtime sends the container state along: the hooks read it on stdin */
	c->state_json = berth_xstrdup(m.msg);
	if (cfg->hooks.n_hooks[BERTH_HOOK_CREATE_CONTAINER]) {
		r = berth_hooks_run(cfg->hooks.hooks[BERTH_HOOK_CREATE_CONTAINER],
				    cfg->hooks.n_hooks[BERTH_HOOK_CREATE_CONTAINER], c->state_json, "createContainer", err);
		if (r < 0)
			return r;
	}

	r = berth_rootfs_pivot(c->rootfs, c->no_pivot, err);
	if (r < 0)
		return r;
	r = berth_rootfs_finalize(cfg, err);
	if (r < 0)
		return r;
	/* runc creates a missing cwd, as root, before switching to the user */
	r = berth_mkdir_p(p->cwd, 0755, err);
	if (r < 0)
		return berth_error_prefix(err, "create cwd `%s`", p->cwd);
	c->env = berth_child_env(p);
	if (p->terminal) {
		r = berth_child_terminal(p, &c->console_fd, c->sync_fd, true, err);
		if (r < 0)
			return r;
	}
	if (cfg->linux_.personality) {
		r = berth_personality_apply(cfg->linux_.personality, err);
		if (r < 0)
			return r;
	}
	berth_child_reset_signals();
	r = berth_child_close_fds_on_exec(c->preserve_fds, err);
	if (r < 0)
		return r;
	/* like runc: user, capabilities, no_new_privs and seccomp are all in place before `start` */
	r = berth_process_finalize(p, c->seccomp, c->ns->create[BERTH_NS_USER] || c->ns->join[BERTH_NS_USER],
				   err);
	if (r < 0)
		return r;
	/* looked up as the container user in its cwd, and now, so a typo is a create-time error */
	return berth_process_find_executable(p->args[0], c->env, ret_exe, err);
}

_Noreturn void berth_init_main(struct berth_init_ctx *c)
{
	const struct berth_oci_config *cfg = c->config;
	const struct berth_oci_process *p = cfg->process;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *exe = NULL;
	int r;

	/* not dumpable until execve: nothing in the container may ptrace us or open /proc/self/exe */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* before anything else (and before closing the `tasks` fds): into the container's cgroup */
	if (c->cgroup_enter && berth_cgroup_self_enter(c->cgroup_enter, &err) < 0)
		fail(c, &err);
	{
		int keep[3 + _BERTH_NS_MAX] = { c->sync_fd, c->fifo_fd, c->console_fd };
		for (int t = 0; t < _BERTH_NS_MAX; t++)
			keep[3 + t] = c->ns->join_fd[t];
		berth_child_close_inherited_fds(c->preserve_fds, keep, ARRAY_SIZE(keep));
	}

	if (init_setup(c, &exe, &err) < 0)
		fail(c, &err);

	/* `create` exits once it reads CREATED: from now on we outlive it */
	prctl(PR_SET_PDEATHSIG, 0);
	r = berth_sync_send(c->sync_fd, BERTH_SYNC_CREATED, 0, NULL, -1);
	if (r < 0)
		_exit(1);

	if (wait_for_start(c, &err) < 0)
		goto fatal;
	if (cfg->hooks.n_hooks[BERTH_HOOK_START_CONTAINER] &&
	    berth_hooks_run(cfg->hooks.hooks[BERTH_HOOK_START_CONTAINER], cfg->hooks.n_hooks[BERTH_HOOK_START_CONTAINER],
			    c->state_json, "startContainer", &err) < 0)
		goto fatal;
	close(c->sync_fd);
	execve(exe, p->args, c->env);
	berth_error_set(&err, errno, "exec `%s`", exe);
fatal:
	/* after start nobody listens on the sync socket any more: stderr is all we have */
	dprintf(STDERR_FILENO, "berth-runtime: %s\n", err.msg ? err.msg : "container init failed");
	_exit(127);
}
