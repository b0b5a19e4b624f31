/* `berth start`: the runtime creates the container under its monitor, then starts it. */
#include "engine/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/attach.h"
#include "engine/container-internal.h"
#include "engine/container-network.h"
#include "engine/monitor-spawn.h"
#include "image/image-db.h"
#include "image/overlay.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/unix-address.h"
#include "util/xalloc.h"

static bool is_mount_root(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* Mount the container's root again when it is not (after a cleanup or a reboot). */
int berth_ctr_mount_rootfs(struct berth_engine *e, const struct berth_ctr *c, struct berth_error *err)
{
	_cleanup_free_ char *rootfs = berth_engine_run_path(e, c->id, "rootfs");
	_cleanup_free_ char *upper = berth_engine_ctr_path(e, c->id, "upper"), *work = berth_engine_ctr_path(e, c->id, "work");
	_cleanup_strv_free_ char **chains = NULL;
	struct berth_image img = { 0 };
	enum berth_rootfs_driver driver;
	/* --rm: the writable layer goes with the container, no sync of it (overlay.h) */
	bool auto_remove = json_is_true(json_object_get(json_object_get(c->config, "HostConfig"), "AutoRemove"));
	int r;

	if (is_mount_root(rootfs))
		return 0;
	if ((r = berth_db_get_image(e->store->db, c->image_id, &img, err)) < 0)
		return berth_error_prefix(err, "container %.12s: its image", c->id);
	for (size_t i = 0; i < img.n_layers; i++)
		berth_strv_push(&chains, img.layers[i].chain_id);
	r = berth_mkdir_p(rootfs, 0700, err);
	if (r == 0)
		r = berth_overlay_mount_flags(e->store, chains, img.n_layers, upper, work, rootfs,
					      auto_remove ? BERTH_OVERLAY_VOLATILE : 0, &driver, err);
	berth_image_release(&img);
	return r;
}

struct start_ctx {
	struct berth_engine *e;
	const char *id;
	bool tty;
};

/* pid of the init from the runtime's state JSON */
static int runtime_pid(const char *root, const char *id, pid_t *ret, struct berth_error *err)
{
	_cleanup_free_ char *state = NULL;
	json_t *j;
	int r;

	if ((r = berth_container_state(root, id, &state, err)) < 0)
		return r;
	j = json_loads(state, 0, NULL);
	*ret = (pid_t)json_integer_value(json_object_get(j, "pid"));
	json_decref(j);
	return *ret > 0 ? 0 : berth_error_setx(err, EIO, "container %s: the runtime reports no pid", id);
}

/* A console socket in the container's run dir; the runtime sends the pty master to it during create. */
static int console_listen(const char *path, struct berth_error *err)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), dirfd = -EBADF;
	struct sockaddr_un sa;
	int r;

	if (fd < 0)
		return berth_error_set(err, errno, "console socket");
	/* a long path (deep roots, tests) goes through the directory's fd, as the runtime connects to it */
	if ((r = berth_unix_address(path, &sa, &dirfd, err)) < 0)
		return berth_error_prefix(err, "console socket");
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		return berth_error_set(err, errno, "bind \"%s\"", path);
	return TAKE_FD(fd);
}

/* Runs in the monitor's short-lived helper (monitor-spawn.h): the init becomes the monitor's child. */
static int create_in_runtime(void *opaque, const int stdio[3], int *ret_master, pid_t *ret_pid,
			     struct berth_error *err)
{
	struct start_ctx *ctx = opaque;
	_cleanup_free_ char *bundle = berth_engine_ctr_path(ctx->e, ctx->id, NULL);
	_cleanup_free_ char *sock = berth_engine_run_path(ctx->e, ctx->id, "console.sock");
	_cleanup_close_ int listen_fd = -EBADF, conn = -EBADF;
	struct berth_create_options o = { .root = ctx->e->runtime_root, .id = ctx->id, .bundle = bundle, .detach = true };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), r;

	/* the init inherits this process's stdio: the monitor's pipes, or nothing with a tty */
	dup2(!ctx->tty && stdio[0] >= 0 ? stdio[0] : null, 0);
	dup2(!ctx->tty ? stdio[1] : null, 1);
	dup2(!ctx->tty ? stdio[2] : null, 2);
	if (ctx->tty) {
		if ((listen_fd = console_listen(sock, err)) < 0)
			return listen_fd;
		o.console_socket = sock;
	}
	if ((r = berth_container_create(&o, err)) < 0)
		return r;
	if (ctx->tty) {
		conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		unlink(sock);
		if (conn < 0)
			return berth_error_set(err, errno, "accept the console");
		if ((r = berth_fdpass_recv(conn, ret_master, NULL, err)) < 0)
			return r;
	}
	return runtime_pid(ctx->e->runtime_root, ctx->id, ret_pid, err);
}

static char **exit_command(const struct berth_engine *e, const char *id)
{
	char **argv = NULL;

	if (!e->self_path)
		return NULL;
	berth_strv_push(&argv, e->self_path);
	berth_strv_push(&argv, "--root");
	berth_strv_push(&argv, e->store->root);
	berth_strv_push(&argv, "--runroot");
	berth_strv_push(&argv, e->store->run_root);
	berth_strv_push(&argv, "container");
	berth_strv_push(&argv, "cleanup");
	berth_strv_push(&argv, id);
	return argv;
}

static int start_locked(struct berth_engine *e, struct berth_ctr *c, int *ret_attach_fd, struct berth_error *err)
{
	_cleanup_free_ char *log = berth_engine_ctr_path(e, c->id, "ctr.log");
	_cleanup_free_ char *exitf = berth_engine_ctr_path(e, c->id, "exit.json");
	_cleanup_free_ char *attach = berth_engine_run_path(e, c->id, "attach");
	_cleanup_strv_free_ char **cmd = exit_command(e, c->id);
	_cleanup_error_ struct berth_error warn = BERTH_ERROR_INIT, ignore = BERTH_ERROR_INIT;
	json_t *cfg = json_object_get(c->config, "Config");
	struct start_ctx ctx = { .e = e, .id = c->id, .tty = json_is_true(json_object_get(cfg, "Tty")) };
	struct berth_monitor_spawn s = {
		.monitor_path = e->monitor_path,
		.id = c->id,
		.log_path = log,
		.exit_path = exitf,
		.attach_path = attach,
		.tty = ctx.tty,
		.open_stdin = json_is_true(json_object_get(cfg, "OpenStdin")),
		.exit_command = cmd,
		.create = create_in_runtime,
		.opaque = &ctx,
	};
	pid_t monitor = 0, init = 0;
	int r;

	if ((r = berth_ctr_mount_rootfs(e, c, err)) < 0)
		return r;
	/* what a previous run left: its runtime state and its exit record */
	berth_container_delete(e->runtime_root, c->id, true, &ignore, &ignore);
	berth_error_release(&ignore);
	unlink(exitf);
	if ((r = berth_mkdir_p(e->runtime_root, 0700, err)) < 0)
		return r;
	if ((r = berth_monitor_spawn(&s, &monitor, &init, err)) < 0)
		return r;
	/* attached before the process runs: not a byte of its output is missed */
	if (ret_attach_fd && (*ret_attach_fd = berth_attach_connect(attach, err)) < 0) {
		berth_container_delete(e->runtime_root, c->id, true, &ignore, &ignore);
		return *ret_attach_fd;
	}
	if ((r = berth_container_start(e->runtime_root, c->id, &warn, err)) < 0) {
		if (ret_attach_fd) {
			close(*ret_attach_fd);
			*ret_attach_fd = -EBADF;
		}
		berth_container_delete(e->runtime_root, c->id, true, &ignore, &ignore);
		return r;
	}
	c->state = BERTH_CTR_RUNNING;
	c->pid = init;
	c->monitor_pid = monitor;
	c->exit_code = 0;
	c->started_at = berth_now_ns();
	c->finished_at = 0;
	return berth_ctr_db_update_state(e->store->db, c, err);
}

int berth_ctr_start(struct berth_engine *e, const char *ref, struct berth_error *err)
{
	return berth_ctr_start_attached(e, ref, NULL, err);
}

int berth_ctr_start_attached(struct berth_engine *e, const char *ref, int *ret_attach_fd, struct berth_error *err)
{
	struct berth_ctr c = { 0 };
	_cleanup_close_ int lock = -EBADF;
	int r = 0;

	if ((lock = berth_ctr_get_locked(e, ref, &c, err)) < 0)
		return lock;
	if (c.state == BERTH_CTR_PAUSED)
		r = berth_error_setx(err, EBUSY, "cannot start a paused container, try unpause instead");
	else if (c.state != BERTH_CTR_RUNNING) {
		/* its network first: the runtime joins the namespace by path (container-network.c) */
		r = berth_ctr_net_start(e, &c, err);
		if (r == 0 && (r = start_locked(e, &c, ret_attach_fd, err)) < 0) {
			_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
			berth_ctr_net_stop(e, &c, &ignore);
		}
	}
	else if (ret_attach_fd) {
		/* already running: attach to it as it is */
		_cleanup_free_ char *attach = berth_engine_run_path(e, c.id, "attach");
		if ((*ret_attach_fd = berth_attach_connect(attach, err)) < 0)
			r = *ret_attach_fd;
	}
	berth_ctr_release(&c);
	return r;
}
