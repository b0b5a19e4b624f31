#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int berth_ns_plan_init(const struct berth_oci_config *cfg, struct berth_ns_plan *ret, struct berth_error *err)
{
	const struct berth_oci_linux *l = &cfg->linux_;
	struct berth_ns_plan p = { .own_pid_fd = -1, .own_time_fd = -1 };

	for (int i = 0; i < _BERTH_NS_MAX; i++)
		p.join_fd[i] = -1;

	for (size_t i = 0; i < l->n_namespaces; i++) {
		const struct berth_oci_namespace *ns = &l->namespaces[i];
		int flag = berth_ns_type_to_clone_flag(ns->type);
		int fd, type;

		if (!ns->path || !ns->path[0]) {
			p.create[ns->type] = true;
			continue;
		}
		fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			berth_error_set(err, errno, "open %s namespace `%s`", berth_ns_type_to_string(ns->type),
					ns->path);
			berth_ns_plan_release(&p);
			return -err->code;
		}
		type = ioctl(fd, NS_GET_NSTYPE);
		if (type != flag) {
			close(fd);
			berth_ns_plan_release(&p);
			return berth_error_setx(err, EINVAL, "namespace path `%s` is not a %s namespace", ns->path,
						berth_ns_type_to_string(ns->type));
		}
		p.join_fd[ns->type] = fd;
		p.join[ns->type] = true;
		if (ns->type != BERTH_NS_PID && ns->type != BERTH_NS_TIME)
			p.slow_path = true;
	}

	for (int t = 0; t < _BERTH_NS_MAX; t++) {
		int flag = berth_ns_type_to_clone_flag(t);

		if (!p.create[t] || t == BERTH_NS_TIME)
			continue; /* time: unshared by the runtime itself, see berth_ns_prepare_parent() */
		if (t == BERTH_NS_CGROUP)
			continue; /* unshared by the init once the runtime has put it in its cgroup */
		if (p.slow_path)
			p.unshare_flags |= flag;
		else
			p.clone_flags |= flag;
	}
	*ret = p;
	return 0;
}

void berth_ns_plan_release(struct berth_ns_plan *p)
{
	for (int i = 0; i < _BERTH_NS_MAX; i++) {
		if (p->join_fd[i] >= 0)
			close(p->join_fd[i]);
		p->join_fd[i] = -1;
	}
	if (p->own_pid_fd >= 0)
		close(p->own_pid_fd);
	if (p->own_time_fd >= 0)
		close(p->own_time_fd);
	p->own_pid_fd = p->own_time_fd = -1;
}

static int write_time_offsets(const struct berth_oci_linux *l, struct berth_error *err)
{
	char buf[128];
	int n = 0;

	if (l->time_monotonic.set)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "monotonic %lld %u\n", (long long)l->time_monotonic.secs,
			      l->time_monotonic.nanosecs);
	if (l->time_boottime.set)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "boottime %lld %u\n", (long long)l->time_boottime.secs,
			      l->time_boottime.nanosecs);
	if (n == 0)
		return 0;
	/* one offset per write: the kernel parses a single line per write() */
	for (char *line = buf, *nl; *line; line = nl + 1) {
		_cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		nl = strchr(line, '\n');
		if (fd < 0)
			return berth_error_set(err, errno, "open `/proc/self/timens_offsets`");
		if (write(fd, line, (size_t)(nl - line + 1)) < 0)
			return berth_error_set(err, errno, "write time namespace offsets `%.*s`", (int)(nl - line), line);
	}
	return 0;
}

int berth_ns_prepare_parent(struct berth_ns_plan *p, const struct berth_oci_linux *l, struct berth_error *err)
{
	if (p->join_fd[BERTH_NS_PID] >= 0) {
		p->own_pid_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (p->own_pid_fd < 0)
			return berth_error_set(err, errno, "open `/proc/self/ns/pid`");
		if (setns(p->join_fd[BERTH_NS_PID], CLONE_NEWPID) < 0)
			return berth_error_set(err, errno, "join pid namespace");
	}
	if (p->join_fd[BERTH_NS_TIME] >= 0 || p->create[BERTH_NS_TIME]) {
		p->own_time_fd = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
		if (p->own_time_fd < 0)
			return berth_error_set(err, errno, "open `/proc/self/ns/time`");
	}
	if (p->join_fd[BERTH_NS_TIME] >= 0) {
		if (setns(p->join_fd[BERTH_NS_TIME], CLONE_NEWTIME) < 0)
			return berth_error_set(err, errno, "join time namespace");
	} else if (p->create[BERTH_NS_TIME]) {
		if (unshare(CLONE_NEWTIME) < 0)
			return berth_error_set(err, errno, "create time namespace");
		return write_time_offsets(l, err);
	}
	return 0;
}

int berth_ns_restore_parent(struct berth_ns_plan *p, struct berth_error *err)
{
	if (p->own_pid_fd >= 0 && setns(p->own_pid_fd, CLONE_NEWPID) < 0)
		return berth_error_set(err, errno, "return to the runtime's pid namespace");
	if (p->own_time_fd >= 0 && setns(p->own_time_fd, CLONE_NEWTIME) < 0)
		return berth_error_set(err, errno, "return to the runtime's time namespace");
	return 0;
}

int berth_ns_join_all(struct berth_ns_plan *p, struct berth_error *err)
{
	static const enum berth_ns_type order[] = {
		BERTH_NS_USER, BERTH_NS_IPC, BERTH_NS_UTS, BERTH_NS_NETWORK, BERTH_NS_CGROUP, BERTH_NS_MOUNT,
	};

	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		enum berth_ns_type t = order[i];

		if (p->join_fd[t] < 0)
			continue;
		if (setns(p->join_fd[t], berth_ns_type_to_clone_flag(t)) < 0)
			return berth_error_set(err, errno, "join %s namespace", berth_ns_type_to_string(t));
		close(p->join_fd[t]);
		p->join_fd[t] = -1;
	}
	return 0;
}
