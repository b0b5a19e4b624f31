#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <linux/close_range.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "console.h"
#include "rootfs.h"
#include "sync.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

char **berth_child_env(const struct berth_oci_process *p)
{
	char **env = berth_strv_copy(p->env);
	_cleanup_fclose_ FILE *f = NULL;
	const char *home = "/";
	struct passwd *pw;

	for (char **e = env; *e; e++)
		if (strncmp(*e, "HOME=", 5) == 0)
			return env;
	/* called inside the container's root: this is its /etc/passwd */
	f = fopen("/etc/passwd", "re");
	while (f && (pw = fgetpwent(f)))
		if (pw->pw_uid == p->user.uid) {
			home = pw->pw_dir;
			break;
		}
	berth_strv_consume(&env, berth_xasprintf("HOME=%s", home));
	return env;
}

void berth_child_reset_signals(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int berth_child_close_fds_on_exec(int preserve_fds, struct berth_error *err)
{
	unsigned first = 3U + (unsigned)preserve_fds;

	if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return berth_error_set(err, errno, "close_range");
	for (int fd = 3; fd < (int)first; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0)
			fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

void berth_child_close_inherited_fds(int preserve_fds, int *keep, size_t n)
{
	unsigned next = 3U + (unsigned)preserve_fds;

	qsort(keep, n, sizeof(int), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < (int)next)
			continue;
		if ((unsigned)keep[i] > next)
			syscall(SYS_close_range, next, (unsigned)keep[i] - 1, 0);
		next = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, next, ~0U, 0);
}

int berth_child_terminal(const struct berth_oci_process *p, int *console_fd, int sync_fd, bool bind_console,
			 struct berth_error *err)
{
	_cleanup_close_ int master = -EBADF, slave = -EBADF;
	_cleanup_free_ char *name = NULL;
	int r;

	r = berth_console_create_pty(&master, &slave, &name, err);
	if (r < 0)
		return r;
	if (p->has_console_size) {
		r = berth_console_set_size(master, p->console_height, p->console_width, err);
		if (r < 0)
			return r;
	}
	if (bind_console) {
		r = berth_rootfs_bind_console(name, err);
		if (r < 0)
			return r;
	}
	if (*console_fd >= 0) {
		r = berth_console_send_fd(*console_fd, master, BERTH_CONSOLE_MASTER_NAME, err);
		if (r < 0)
			return r;
		close(*console_fd);
		*console_fd = -1;
	} else {
		r = berth_sync_send(sync_fd, BERTH_SYNC_PTY, 0, NULL, master);
		if (r < 0)
			return berth_error_set(err, -r, "send pty master to the runtime");
	}
	r = berth_console_make_controlling(slave, err);
	if (slave <= STDERR_FILENO)
		TAKE_FD(slave); /* it is stdio now */
	return r;
}
