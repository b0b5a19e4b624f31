#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "container-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* The status including "paused", which needs the cgroup. */
static enum berth_status status_of(int dirfd, const struct berth_state *s)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	_cleanup_(berth_cgroup_freep) struct berth_cgroup *cg = NULL;
	enum berth_status st = berth_state_status(dirfd, s);

	if (st != BERTH_STATUS_RUNNING || !s->cgroup_path ||
	    berth_cgroup_load(s->cgroup_path, s->systemd_cgroup, &cg, &ignored) < 0)
		return st;
	return berth_container_status(dirfd, s, cg);
}

int berth_container_state(const char *root, const char *id, char **ret_json, struct berth_error *err)
{
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_(berth_state_freep) struct berth_state *s = NULL;
	int r;

	r = berth_state_dir_open(root, id, false, &dirfd, err);
	if (r < 0)
		return r;
	r = berth_state_load(dirfd, &s, err);
	if (r < 0)
		return r;
	*ret_json = berth_state_to_oci_json(s, status_of(dirfd, s), true);
	return 0;
}

void berth_container_info_free(struct berth_container_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		berth_state_free(v[i].state);
	free(v);
}

static int cmp_info(const void *a, const void *b)
{
	const struct berth_container_info *x = a, *y = b;

	return strcmp(x->state->id, y->state->id);
}

int berth_container_list(const char *root, struct berth_container_info **ret, size_t *ret_n, struct berth_error *err)
{
	struct berth_container_info *v = NULL;
	size_t n = 0;
	DIR *d = opendir(root);
	struct dirent *de;

	if (!d) {
		if (errno == ENOENT) {
			*ret = NULL;
			*ret_n = 0;
			return 0;
		}
		return berth_error_set(err, errno, "open state root `%s`", root);
	}
	while ((de = readdir(d))) {
		_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
		_cleanup_close_ int dirfd = -EBADF;
		struct berth_state *s = NULL;

		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		/* a container being created or deleted right now holds the lock: a shared lock waits for it */
		if (berth_state_dir_open(root, de->d_name, false, &dirfd, &ignored) < 0)
			continue;
		if (berth_state_load(dirfd, &s, &ignored) < 0)
			continue;
		v = berth_xreallocarray(v, n + 1, sizeof(*v));
		v[n].state = s;
		v[n].status = status_of(dirfd, s);
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_info);
	*ret = v;
	*ret_n = n;
	return 0;
}

int berth_signal_parse(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {
		{ "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "BUS", SIGBUS },	   { "CHLD", SIGCHLD },	 { "CONT", SIGCONT },
		{ "FPE", SIGFPE },   { "HUP", SIGHUP },	  { "ILL", SIGILL },	   { "INT", SIGINT },	 { "IO", SIGIO },
		{ "IOT", SIGIOT },   { "KILL", SIGKILL }, { "PIPE", SIGPIPE },	   { "POLL", SIGPOLL },	 { "PROF", SIGPROF },
		{ "PWR", SIGPWR },   { "QUIT", SIGQUIT }, { "SEGV", SIGSEGV },	   { "STKFLT", SIGSTKFLT },
		{ "STOP", SIGSTOP }, { "SYS", SIGSYS },	  { "TERM", SIGTERM },	   { "TRAP", SIGTRAP },	 { "TSTP", SIGTSTP },
		{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },  { "URG", SIGURG },	   { "USR1", SIGUSR1 },	 { "USR2", SIGUSR2 },
		{ "VTALRM", SIGVTALRM }, { "WINCH", SIGWINCH }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	};
	char *end;
	long n;

	if (!s || !*s)
		return -EINVAL;
	n = strtol(s, &end, 10);
	if (*end == '\0')
		return (n > 0 && n < NSIG) ? (int)n : -EINVAL;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].sig;
	if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
		long off = s[5] ? strtol(s + 5, &end, 10) : 0;
		int sig = strncasecmp(s, "RTMIN", 5) == 0 ? SIGRTMIN + (int)off : SIGRTMAX + (int)off;
		if ((s[5] && *end) || sig < SIGRTMIN || sig > SIGRTMAX)
			return -EINVAL;
		return sig;
	}
	return -EINVAL;
}
