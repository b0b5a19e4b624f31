/*
 * berth-init: docker's --init, the container's PID 1 when the command is not
 * ready to be one (tini's job).  Bind-mounted read-only at /dev/init from
 * the host, never taken from the image:
 *
 *   /dev/init -- COMMAND [ARG...]
 *
 * It runs the command as its child in a new process group, forwards every
 * signal it can catch to it, reaps every orphan the kernel re-parents to it,
 * and exits with the command's status (128+N when killed by signal N).
 * libc only, static (musl when available): it lives as long as the container.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *a, const char *b)
{
	const char *parts[] = { "berth-init: ", a, b, "\n" };

	for (int i = 0; i < 4; i++) {
		ssize_t w = write(2, parts[i], strlen(parts[i]));
		(void)w;
	}
}

int main(int argc, char **argv)
{
	sigset_t all, none;
	pid_t child;
	int first = 1;

	if (argc > 1 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (first >= argc) {
		say("usage: berth-init -- COMMAND [ARG...]", "");
		return 2;
	}
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &all, NULL);
	child = fork();
	if (child < 0) {
		say("fork: ", strerror(errno));
		return 1;
	}
	if (child == 0) {
		setpgid(0, 0);
		/* the command gets the terminal, if there is one, and default signal handling */
		if (isatty(0))
			tcsetpgrp(0, getpgrp());
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[first], argv + first);
		say(argv[first], errno == ENOENT ? ": not found" : ": cannot execute");
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* SIGTTIN/SIGTTOU and the like are for a terminal's foreground group, not for forwarding */
			if (sig != SIGTTIN && sig != SIGTTOU && sig != SIGTSTP)
				kill(child, sig);
			continue;
		}
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);
			if (pid <= 0)
				break;
			if (pid == child)
				return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
	}
}
