#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

extern char **environ;

/* Poll interval when pidfd_open() is unavailable (kernel < 5.3). */
#define HOOK_POLL_MS 20

/* What one hook printed: the first BERTH_HOOK_OUTPUT_MAX bytes, the rest counted only. */
struct capture {
	int fd;
	size_t len;
	bool truncated;
	char buf[BERTH_HOOK_OUTPUT_MAX + 1];
};

struct hook_run {
	pid_t pid;
	int pidfd;
	int in_fd; /* write end of the hook's stdin, -EBADF once done */
	const char *in_data;
	size_t in_len;
	struct capture out, errout;
};

static void hook_run_release(struct hook_run *h)
{
	closep(&h->pidfd);
	closep(&h->in_fd);
	closep(&h->out.fd);
	closep(&h->errout.fd);
}

/* A pipe whose ends are both >= 3, so dup2 onto 0..2 in the child cannot clobber one another. */
static int make_pipe(int p[2], struct berth_error *err)
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "create pipe");
	for (int i = 0; i < 2; i++) {
		if (p[i] > 2)
			continue;
		int fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			int e = errno;
			close(p[0]);
			close(p[1]);
			return berth_error_set(err, e, "duplicate pipe");
		}
		close(p[i]);
		p[i] = fd;
	}
	return 0;
}

static int spawn_hook(const struct berth_oci_hook *hook, struct hook_run *h, struct berth_error *err)
{
	int in[2] = { -EBADF, -EBADF }, out[2] = { -EBADF, -EBADF }, errp[2] = { -EBADF, -EBADF };
	char *default_argv[] = { hook->path, NULL };
	char **argv = hook->args && hook->args[0] ? hook->args : default_argv;
	char **envp = hook->env ? hook->env : environ;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int r;

	r = make_pipe(in, err);
	if (r >= 0)
		r = make_pipe(out, err);
	if (r >= 0)
		r = make_pipe(errp, err);
	if (r < 0) {
		closep(&in[0]);
		closep(&in[1]);
		closep(&out[0]);
		closep(&out[1]);
		return r;
	}
	h->in_fd = in[1];
	h->out.fd = out[0];
	h->errout.fd = errp[0];

	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);

	r = posix_spawn(&h->pid, hook->path, &fa, &attr, argv, envp);

	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	if (r != 0)
		return berth_error_set(err, r, "execute");

	h->pidfd = (int)syscall(SYS_pidfd_open, h->pid, 0);
	for (int i = 0; i < 3; i++) {
		int fd = i == 0 ? h->in_fd : i == 1 ? h->out.fd : h->errout.fd;
		(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	}
	return 0;
}

/* Read what is available; returns false at EOF or error. */
static bool capture_read(struct capture *c)
{
	char scratch[4096];

	for (;;) {
		size_t room = BERTH_HOOK_OUTPUT_MAX - c->len;
		char *dst = room > 0 ? c->buf + c->len : scratch;
		ssize_t n = read(c->fd, dst, room > 0 ? room : sizeof(scratch));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		if (room > 0)
			c->len += (size_t)n;
		else
			c->truncated = true;
	}
}

static void feed_stdin(struct hook_run *h)
{
	while (h->in_len > 0) {
		ssize_t n = write(h->in_fd, h->in_data, h->in_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			/* EPIPE: the hook did not want its stdin */
			break;
		}
		h->in_data += n;
		h->in_len -= (size_t)n;
	}
	close(h->in_fd);
	h->in_fd = -EBADF;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 once the hook has exited (with its wait status), 0 while it runs, or -errno */
static int try_reap(struct hook_run *h, int *ret_status)
{
	pid_t p;

	do
		p = waitpid(h->pid, ret_status, WNOHANG);
	while (p < 0 && errno == EINTR);
	if (p < 0)
		return -errno;
	return p == h->pid;
}

/* Wait for the hook while feeding and draining its pipes; -ETIMEDOUT when deadline (ms, -1 = none) passes. */
static int wait_hook(struct hook_run *h, long long deadline, int *ret_status)
{
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = h->pidfd, .events = POLLIN },
			{ .fd = h->in_fd, .events = POLLOUT },
			{ .fd = h->out.fd, .events = POLLIN },
			{ .fd = h->errout.fd, .events = POLLIN },
		};
		int timeout = -1;
		int r = try_reap(h, ret_status);

		if (r < 0)
			return r;
		if (r > 0)
			break;
		if (deadline >= 0) {
			long long left = deadline - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			timeout = left > 1000000 ? 1000000 : (int)left;
		}
		if (h->pidfd < 0 && (timeout < 0 || timeout > HOOK_POLL_MS))
			timeout = HOOK_POLL_MS;
		if (poll(p, 4, timeout) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents)
			feed_stdin(h);
		if (p[2].revents && !capture_read(&h->out)) {
			close(h->out.fd);
			h->out.fd = -EBADF;
		}
		if (p[3].revents && !capture_read(&h->errout)) {
			close(h->errout.fd);
			h->errout.fd = -EBADF;
		}
	}
	/* what the hook wrote before exiting is in the pipes; don't wait for EOF from its leftovers */
	if (h->out.fd >= 0)
		capture_read(&h->out);
	if (h->errout.fd >= 0)
		capture_read(&h->errout);
	return 0;
}

/* The captured text with trailing whitespace trimmed, "..." marking truncation. */
static const char *capture_text(struct capture *c)
{
	while (c->len > 0 && strchr(" \t\r\n", c->buf[c->len - 1]))
		c->len--;
	c->buf[c->len] = '\0';
	if (c->truncated && c->len >= 3)
		memcpy(c->buf + c->len - 3, "...", 3);
	return c->buf;
}

static int hook_failed(const char *kind, const char *path, int status, struct hook_run *h, struct berth_error *err)
{
	_cleanup_free_ char *how = NULL;
	const char *out = capture_text(&h->out), *errout = capture_text(&h->errout);

	if (WIFEXITED(status))
		how = berth_xasprintf("exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		how = berth_xasprintf("killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		how = berth_xasprintf("wait status %#x", (unsigned)status);

	return berth_error_setx(err, EIO, "%s hook `%s`: %s%s%s%s%s", kind, path, how, *out ? ", stdout: " : "", out,
				*errout ? ", stderr: " : "", errout);
}

static int run_one(const struct berth_oci_hook *hook, const char *state, const char *kind, struct berth_error *err)
{
	_cleanup_(hook_run_release) struct hook_run h = {
		.pid = -1,
		.pidfd = -EBADF,
		.in_fd = -EBADF,
		.in_data = state,
		.in_len = strlen(state),
		.out.fd = -EBADF,
		.errout.fd = -EBADF,
	};
	long long deadline = hook->has_timeout ? now_ms() + (long long)hook->timeout * 1000 : -1;
	int status = 0;
	int r;

	r = spawn_hook(hook, &h, err);
	if (r < 0)
		return berth_error_prefix(err, "%s hook `%s`", kind, hook->path);

	feed_stdin(&h);
	r = wait_hook(&h, deadline, &status);
	if (r == -ETIMEDOUT) {
		kill(h.pid, SIGKILL);
		while (waitpid(h.pid, &status, 0) < 0 && errno == EINTR)
			;
		return berth_error_setx(err, ETIMEDOUT, "%s hook `%s`: timed out after %d second%s", kind, hook->path,
					hook->timeout, hook->timeout == 1 ? "" : "s");
	}
	if (r < 0) {
		kill(h.pid, SIGKILL);
		while (waitpid(h.pid, &status, 0) < 0 && errno == EINTR)
			;
		return berth_error_set(err, -r, "%s hook `%s`: wait", kind, hook->path);
	}
	if (status != 0)
		return hook_failed(kind, hook->path, status, &h, err);
	return 0;
}

int berth_hooks_run(const struct berth_oci_hook *hooks, size_t n, const char *state_json, const char *kind_name,
		    struct berth_error *err)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int r = 0;

	if (n == 0)
		return 0;
	if (!state_json)
		state_json = "";

	/* writing the state to a hook that exited early must give EPIPE, not kill the runtime */
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGPIPE, &ign, &old) < 0)
		return berth_error_set(err, errno, "ignore SIGPIPE");
	for (size_t i = 0; i < n && r >= 0; i++)
		r = run_one(&hooks[i], state_json, kind_name, err);
	sigaction(SIGPIPE, &old, NULL);
	return r;
}
