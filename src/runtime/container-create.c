#include "container.h"
#include "container-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "cgroups/resources.h"
#include "console.h"
#include "hooks.h"
#include "idmap.h"
#include "init.h"
#include "namespaces.h"
#include "seccomp.h"
#include "sync.h"
#include "sysctl.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CONFIG_MAX (16 << 20)

void berth_launch_release(struct berth_launch *l)
{
	berth_oci_config_free(l->config);
	berth_state_free(l->state);
	berth_cgroup_free(l->cgroup);
	if (l->dirfd >= 0)
		close(l->dirfd);
	if (l->pty_master >= 0)
		close(l->pty_master);
	free(l->config_text);
	memset(l, 0, sizeof(*l));
	l->dirfd = l->pty_master = -1;
}

static char *owner_name(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return berth_xstrdup(pw ? pw->pw_name : "");
}

static int load_bundle(const struct berth_create_options *o, struct berth_launch *l, struct berth_error *err)
{
	char bundle[PATH_MAX], rootfs[PATH_MAX];
	_cleanup_free_ char *cfgpath = NULL, *rootpath = NULL;
	size_t len;
	int r;

	if (!realpath(o->bundle ? o->bundle : ".", bundle))
		return berth_error_set(err, errno, "bundle `%s`", o->bundle ? o->bundle : ".");
	cfgpath = berth_xasprintf("%s/config.json", bundle);
	r = berth_read_file(cfgpath, CONFIG_MAX, &l->config_text, &len, err);
	if (r < 0)
		return r;
	r = berth_oci_config_parse("config.json", l->config_text, len, &l->config, err);
	if (r < 0)
		return r;
	if (!l->config->process)
		return berth_error_setx(err, EINVAL, "config.json: process: missing, nothing to run");
	if (!l->config->root.path)
		return berth_error_setx(err, EINVAL, "config.json: root.path: missing");
	if (l->config->process->terminal && o->detach && !o->console_socket)
		return berth_error_setx(err, EINVAL,
					"cannot allocate tty if berth-runtime will detach without setting console socket");
	if (!l->config->process->terminal && o->console_socket)
		return berth_error_setx(err, EINVAL, "cannot use console socket if the container does not use a terminal");
	if (l->config->hostname && !berth_oci_config_find_namespace(l->config, BERTH_NS_UTS))
		return berth_error_setx(err, EINVAL, "config.json: hostname: unable to set hostname without a private UTS namespace");

	rootpath = l->config->root.path[0] == '/' ? berth_xstrdup(l->config->root.path)
						  : berth_xasprintf("%s/%s", bundle, l->config->root.path);
	if (!realpath(rootpath, rootfs))
		return berth_error_set(err, errno, "root.path `%s`", rootpath);

	l->state = berth_xzalloc(sizeof(*l->state));
	l->state->id = berth_xstrdup(o->id);
	l->state->bundle = berth_xstrdup(bundle);
	l->state->rootfs = berth_xstrdup(rootfs);
	l->state->created = berth_now_rfc3339();
	l->state->owner = owner_name();
	l->state->systemd_cgroup = o->systemd_cgroup;
	for (size_t i = 0; i < l->config->n_annotations; i++) {
		berth_strv_push(&l->state->annotations, l->config->annotations[i].key);
		berth_strv_push(&l->state->annotations, l->config->annotations[i].value);
	}
	return 0;
}

/* The runtime's half of the init protocol (sync.h), from clone() to CREATED. */
static int drive_init(struct berth_launch *l, struct berth_ns_plan *ns, int sock, struct berth_error *err)
{
	const struct berth_oci_linux *lx = &l->config->linux_;
	struct berth_sync_msg m;
	_cleanup_free_ char *json = NULL;
	pid_t pid = 0;
	int r;

	if (ns->clone_flags & CLONE_NEWUSER) {
		r = berth_idmap_write(l->first_pid, lx, err);
		if (r < 0)
			return r;
	}
	if (l->cgroup && l->enter_cgroup) {
		r = berth_cgroup_enter(l->cgroup, l->first_pid, err);
		if (r < 0)
			return r;
	}
	l->state->pid = l->first_pid;
	if (ns->slow_path) {
		if (ns->unshare_flags & CLONE_NEWUSER) {
			r = berth_sync_expect(sock, BERTH_SYNC_USERNS, &m, NULL, err);
			if (r < 0)
				return r;
			r = berth_idmap_write(l->first_pid, lx, err);
			if (r < 0)
				return r;
			if (berth_sync_send(sock, BERTH_SYNC_USERNS_DONE, 0, NULL, -1) < 0)
				return berth_error_setx(err, EPIPE, "container init exited unexpectedly");
		}
		r = berth_sync_recv(sock, &m, NULL, &pid);
		if (r < 0 || m.type != BERTH_SYNC_PID || pid <= 0)
			return berth_sync_expect(sock, BERTH_SYNC_PID, &m, NULL, err) < 0
				       ? -err->code
				       : berth_error_setx(err, EPROTO, "no pid from container init");
		l->state->pid = pid;
		if (pid != l->first_pid)
			waitpid(l->first_pid, NULL, 0); /* the intermediate process exits right away */
	}
	if (berth_sync_send(sock, BERTH_SYNC_GO, 0, NULL, -1) < 0)
		return berth_error_setx(err, EPIPE, "container init exited unexpectedly");

	r = berth_sync_expect(sock, BERTH_SYNC_HOOKS, &m, NULL, err);
	if (r < 0)
		return r;
	l->state->pid_start_time = berth_proc_start_time(l->state->pid);
	/* only prestart/createRuntime hooks can look at the state before berth_launch saves it */
	if (l->config->hooks.n_hooks[BERTH_HOOK_PRESTART] || l->config->hooks.n_hooks[BERTH_HOOK_CREATE_RUNTIME]) {
		r = berth_state_save(l->dirfd, l->state, err);
		if (r < 0)
			return r;
	}
	r = berth_hooks_run_kind(l->config, l->state, BERTH_HOOK_PRESTART, BERTH_STATUS_CREATING, err);
	if (r < 0)
		return r;
	r = berth_hooks_run_kind(l->config, l->state, BERTH_HOOK_CREATE_RUNTIME, BERTH_STATUS_CREATING, err);
	if (r < 0)
		return r;
	json = berth_state_to_oci_json(l->state, BERTH_STATUS_CREATING, false);
	if (berth_sync_send(sock, BERTH_SYNC_HOOKS_DONE, 0, json, -1) < 0)
		return berth_error_setx(err, EPIPE, "container init exited unexpectedly");

	if (l->config->process->terminal && !l->console_socket_used) {
		r = berth_sync_expect(sock, BERTH_SYNC_PTY, &m, &l->pty_master, err);
		if (r < 0)
			return r;
	}
	return berth_sync_expect(sock, BERTH_SYNC_CREATED, &m, NULL, err);
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/*
 * fork()-like clone with namespace flags.  With a cgroup2 directory, the
 * child is born in its cgroup (clone3 CLONE_INTO_CGROUP); *ret_in_cgroup
 * says whether that worked, else the caller must move it.
 */
static pid_t clone_init(int flags, int cgroup_fd, bool *ret_in_cgroup)
{
	*ret_in_cgroup = false;
	if (cgroup_fd >= 0) {
		struct clone_args args = {
			.flags = (uint64_t)(unsigned)flags | CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)cgroup_fd,
		};
		pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));

		if (pid >= 0) {
			*ret_in_cgroup = true;
			return pid;
		}
		/* an older kernel: clone and migrate as usual */
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
			return -1;
	}
	return (pid_t)syscall(SYS_clone, (unsigned long)(SIGCHLD | flags), NULL, NULL, NULL, NULL);
}

static int spawn_init(const struct berth_create_options *o, struct berth_launch *l, struct berth_error *err)
{
	_cleanup_(berth_seccomp_filter_freep) struct berth_seccomp_filter *filter = NULL;
	_cleanup_close_ int console = -EBADF, fifo = -EBADF;
	struct berth_cgroup_self_enter self_enter = { .unified_fd = -EBADF };
	bool in_cgroup = false;
	struct berth_ns_plan ns;
	int sv[2] = { -1, -1 };
	int one = 1, r;

	/* here, not in the init: only the runtime can compare a joined netns with the host's */
	r = berth_sysctl_validate(l->config, err);
	if (r < 0)
		return r;
	r = berth_ns_plan_init(l->config, &ns, err);
	if (r < 0)
		return r;
	if (l->config->linux_.seccomp) {
		_cleanup_close_ int root_fd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);

		r = berth_seccomp_compile_cached(l->config->linux_.seccomp, root_fd, &filter, err);
		if (r < 0)
			goto out;
	}
	if (o->console_socket) {
		r = berth_console_socket_connect(o->console_socket, &console, err);
		if (r < 0)
			goto out;
		l->console_socket_used = true;
	}
	if (mkfifoat(l->dirfd, BERTH_STATE_FIFO, 0622) < 0) {
		r = berth_error_set(err, errno, "create exec fifo");
		goto out;
	}
	/* the init opens it for writing after switching to the container user: 0622 regardless of umask, like runc */
	if (fchmodat(l->dirfd, BERTH_STATE_FIFO, 0622, 0) < 0) {
		r = berth_error_set(err, errno, "chmod exec fifo");
		goto out;
	}
	fifo = openat(l->dirfd, BERTH_STATE_FIFO, O_PATH | O_CLOEXEC);
	if (fifo < 0) {
		r = berth_error_set(err, errno, "open exec fifo");
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = berth_error_set(err, errno, "socketpair");
		goto out;
	}
	setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));

	/* the init joins its cgroup itself, avoiding the kernel's slow global lock (cgroup-self-enter.c) */
	if (l->cgroup) {
		r = berth_cgroup_self_enter_prepare(l->cgroup, &self_enter, err);
		if (r < 0)
			goto out;
	}
	r = berth_ns_prepare_parent(&ns, &l->config->linux_, err);
	if (r < 0)
		goto out;
	l->first_pid = clone_init(ns.clone_flags, self_enter.unified_fd, &in_cgroup);
	if (l->first_pid == 0) {
		struct berth_init_ctx c = {
			.config = l->config,
			.rootfs = l->state->rootfs,
			.bundle = l->state->bundle,
			.ns = &ns,
			.seccomp = filter,
			.sync_fd = sv[1],
			.fifo_fd = fifo,
			.console_fd = console,
			.preserve_fds = o->preserve_fds,
			.no_pivot = o->no_pivot,
			.no_new_keyring = o->no_new_keyring,
			.cgroup_enter = l->cgroup ? &self_enter : NULL,
		};
		close(sv[0]);
		berth_init_main(&c);
	}
	if (l->first_pid < 0) {
		r = berth_error_set(err, errno, "clone container init");
		berth_ns_restore_parent(&ns, err);
		goto out;
	}
	r = berth_ns_restore_parent(&ns, err);
	if (r < 0)
		goto out;
	close(sv[1]);
	sv[1] = -1;
	/* a v2 directory we could not clone into: the runtime moves the init (the v1 ones it joins itself) */
	l->enter_cgroup = self_enter.unified_fd >= 0 && !in_cgroup;
	berth_cgroup_self_enter_release(&self_enter);
	r = drive_init(l, &ns, sv[0], err);
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	berth_ns_plan_release(&ns);
	berth_cgroup_self_enter_release(&self_enter);
	return r;
}

/* Undo a failed create: no process, cgroup or state may stay behind. */
static void abort_create(const struct berth_create_options *o, struct berth_launch *l)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	_cleanup_close_ int rootfd = -EBADF;

	if (l->state && l->state->pid > 0 && l->state->pid != l->first_pid)
		kill(l->state->pid, SIGKILL);
	if (l->first_pid > 0) {
		kill(l->first_pid, SIGKILL);
		waitpid(l->first_pid, NULL, 0);
	}
	if (l->cgroup) {
		berth_cgroup_kill_all(l->cgroup, SIGKILL, &ignored);
		berth_cgroup_destroy(l->cgroup, &ignored);
	}
	rootfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd >= 0 && l->dirfd >= 0)
		berth_rm_rf_at(rootfd, o->id, &ignored);
}

int berth_launch(const struct berth_create_options *o, struct berth_launch *l, struct berth_error *err)
{
	_cleanup_free_ char *cgpath = NULL;
	int r;

	l->dirfd = l->pty_master = -1;
	r = berth_state_validate_id(o->id, err);
	if (r < 0)
		return r;
	r = load_bundle(o, l, err);
	if (r < 0)
		return r;
	r = berth_state_dir_create(o->root, o->id, &l->dirfd, err);
	if (r < 0)
		return r;

	r = berth_cgroup_path_resolve(l->config->linux_.cgroups_path, o->id, o->systemd_cgroup, &cgpath, err);
	if (r >= 0)
		r = berth_cgroup_create(cgpath, o->systemd_cgroup, &l->cgroup, err);
	/* even without linux.resources: the default device allow-list applies, as in runc */
	if (r >= 0) {
		struct berth_cgroup_resources *res = NULL;
		r = berth_cgroup_resources_parse(l->config->linux_.resources, &res, err);
		if (r >= 0)
			r = berth_cgroup_apply_resources(l->cgroup, res, false, err);
		berth_cgroup_resources_free(res);
	}
	if (r >= 0) {
		l->state->cgroup_path = berth_xstrdup(berth_cgroup_get_path(l->cgroup));
		r = berth_write_file_replace(l->dirfd, BERTH_STATE_CONFIG, l->config_text, strlen(l->config_text),
					    0600, err);
	}
	if (r >= 0)
		r = spawn_init(o, l, err);
	/* the init is in its cgroup now: the systemd scope no longer needs its placeholder */
	if (r >= 0)
		berth_cgroup_drop_placeholder(l->cgroup);
	if (r >= 0)
		r = berth_state_save(l->dirfd, l->state, err);
	if (r >= 0 && o->pid_file) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d", (int)l->state->pid);
		r = berth_write_file_atomic(AT_FDCWD, o->pid_file, buf, (size_t)n, 0644, err);
	}
	if (r < 0) {
		abort_create(o, l);
		return r;
	}
	return 0;
}

int berth_container_create(const struct berth_create_options *o, struct berth_error *err)
{
	_cleanup_(berth_launch_release) struct berth_launch l = { .dirfd = -1, .pty_master = -1 };
	struct berth_create_options opts = *o;

	opts.detach = true;
	return berth_launch(&opts, &l, err);
}
