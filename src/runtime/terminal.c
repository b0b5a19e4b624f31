#include "runtime/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

/* Copy buffer size for the pty; a pty moves at most a few KiB at a time anyway. */
#define COPY_BUF 16384

struct fwd_loop {
	pid_t child;
	int master;
	int sfd;
	bool stdin_open;
	bool stdout_open;
	bool master_open;
	bool exited;
	int status;
	size_t in_len, in_off; /* pending stdin bytes not yet written to the master */
	char in_buf[COPY_BUF];
};

static void forwarded_set(sigset_t *set)
{
	static const int keep[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS };

	/* glibc's sigfillset leaves out the signals it reserves for itself */
	sigfillset(set);
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		sigdelset(set, keep[i]);
}

int berth_signals_block(sigset_t *ret_old, struct berth_error *err)
{
	sigset_t set;

	forwarded_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, ret_old) < 0)
		return berth_error_set(err, errno, "block signals");
	return 0;
}

/* Copy the window size of whichever of our stdio is a terminal to the pty. */
static void copy_window_size(int master)
{
	struct winsize ws;

	for (int fd = 0; fd <= 2; fd++) {
		if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
			(void)ioctl(master, TIOCSWINSZ, &ws);
			return;
		}
	}
}

static int reap(struct fwd_loop *l, struct berth_error *err)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);

		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0 && errno == ECHILD && !l->exited)
			return berth_error_set(err, ECHILD, "wait for process %d", (int)l->child);
		if (p <= 0)
			return 0;
		if (p == l->child) {
			l->exited = true;
			l->status = st;
		}
	}
}

static int handle_signals(struct fwd_loop *l, struct berth_error *err)
{
	struct signalfd_siginfo si;
	int r;

	for (;;) {
		ssize_t n = read(l->sfd, &si, sizeof(si));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n != (ssize_t)sizeof(si))
			return berth_error_set(err, n < 0 ? errno : EIO, "read signalfd");

		switch (si.ssi_signo) {
		case SIGCHLD:
			r = reap(l, err);
			if (r < 0)
				return r;
			break;
		case SIGWINCH:
			if (l->master >= 0)
				copy_window_size(l->master);
			break;
		case SIGURG:
			break;
		case SIGPIPE:
			/* our own write to a closed stdout: not meant for the container */
			if ((pid_t)si.ssi_pid == getpid())
				break;
			/* fall through */
		default:
			if (!l->exited && kill(l->child, (int)si.ssi_signo) < 0 && errno != ESRCH)
				return berth_error_set(err, errno, "forward signal %u to process %d", si.ssi_signo,
						       (int)l->child);
		}
	}
}

/* master -> stdout; false when the master is done (EIO: every slave fd closed) */
static bool copy_master_out(struct fwd_loop *l)
{
	char buf[COPY_BUF];

	for (;;) {
		ssize_t n = read(l->master, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		/* once stdout is gone keep reading, so the container never blocks on a full pty */
		if (l->stdout_open && berth_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
			l->stdout_open = false;
	}
}

/* stdin -> pending buffer -> master, never blocking on the master */
static void copy_stdin_in(struct fwd_loop *l, bool stdin_ready)
{
	if (l->in_len == 0 && stdin_ready) {
		ssize_t n = read(STDIN_FILENO, l->in_buf, sizeof(l->in_buf));

		if (n > 0) {
			l->in_len = (size_t)n;
			l->in_off = 0;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			/* like runc, stdin EOF is not passed on: the pty has no way to say it but ^D */
			l->stdin_open = false;
		}
	}
	while (l->in_len > 0) {
		ssize_t n = write(l->master, l->in_buf + l->in_off, l->in_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN)
				l->master_open = false;
			return;
		}
		l->in_off += (size_t)n;
		l->in_len -= (size_t)n;
	}
}

static int run_loop(struct fwd_loop *l, struct berth_error *err)
{
	int r;

	/* the child may have exited before its SIGCHLD was blocked */
	r = reap(l, err);
	if (r < 0)
		return r;

	while (!l->exited) {
		struct pollfd p[3] = {
			{ .fd = l->sfd, .events = POLLIN },
			{ .fd = -1, .events = POLLIN },
			{ .fd = -1, .events = POLLIN },
		};

		if (l->master_open) {
			p[2].fd = l->master;
			if (l->in_len > 0)
				p[2].events |= POLLOUT;
			else if (l->stdin_open)
				p[1].fd = STDIN_FILENO;
		}
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return berth_error_set(err, errno, "poll");
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			l->master_open = copy_master_out(l);
		if (l->master_open && (p[1].revents || (p[2].revents & POLLOUT)))
			copy_stdin_in(l, p[1].revents != 0);
		if (p[0].revents) {
			r = handle_signals(l, err);
			if (r < 0)
				return r;
		}
	}

	/* the slave may still hold output the process wrote just before exiting */
	if (l->master_open)
		(void)copy_master_out(l);
	return 0;
}

int berth_wait_forwarding_signals(pid_t child, int master_fd, int *ret_status, struct berth_error *err)
{
	struct fwd_loop l = {
		.child = child,
		.master = master_fd,
		.sfd = -EBADF,
		.stdin_open = true,
		.stdout_open = true,
		.master_open = master_fd >= 0,
	};
	sigset_t set, old;
	int master_flags = -1;
	int r;

	forwarded_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		return berth_error_set(err, errno, "block signals");
	l.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l.sfd < 0) {
		r = berth_error_set(err, errno, "create signalfd");
		goto out_mask;
	}
	if (master_fd >= 0) {
		master_flags = fcntl(master_fd, F_GETFL);
		if (master_flags < 0 || fcntl(master_fd, F_SETFL, master_flags | O_NONBLOCK) < 0) {
			r = berth_error_set(err, errno, "set pty master non-blocking");
			goto out;
		}
	}

	r = run_loop(&l, err);
	if (r == 0)
		*ret_status = l.status;

	if (master_flags >= 0)
		(void)fcntl(master_fd, F_SETFL, master_flags);
out:
	/* discard the signals still pending, which restoring the mask would otherwise deliver */
	for (struct signalfd_siginfo si; read(l.sfd, &si, sizeof(si)) == (ssize_t)sizeof(si);)
		;
	close(l.sfd);
out_mask:
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

static void restore_termios(struct termios **saved)
{
	if (*saved)
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, *saved);
}

int berth_terminal_proxy(int master_fd, pid_t child, int *ret_status, struct berth_error *err)
{
	struct termios saved, raw;
	_cleanup_(restore_termios) struct termios *restore = NULL;

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
			return berth_error_set(err, errno, "set terminal raw mode");
		restore = &saved;
	}
	copy_window_size(master_fd);
	return berth_wait_forwarding_signals(child, master_fd, ret_status, err);
}
