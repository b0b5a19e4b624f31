#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

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
