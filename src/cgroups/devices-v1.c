/*
 * linux.resources.devices on cgroup v1: reset the devices cgroup to "deny
 * everything", then hand the configured rules and runc's default ones to the
 * kernel in order, which keeps its own (v1) semantics for them.
 */
#include "cgroups/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

/* "c 1:3 rwm", "b *:* m", "a" */
static void format_rule(const struct berth_cgroup_device_rule *d, char *buf, size_t size)
{
	char major[24] = "*", minor[24] = "*";

	if (d->type == 'a') {
		snprintf(buf, size, "a");
		return;
	}
	if (d->major >= 0)
		snprintf(major, sizeof(major), "%" PRId64, d->major);
	if (d->minor >= 0)
		snprintf(minor, sizeof(minor), "%" PRId64, d->minor);
	snprintf(buf, size, "%c %s:%s %s", d->type, major, minor, d->access);
}

/* One write per rule on an fd kept open: each write(2) is one command to the devices cgroup. */
static int write_rule(int fd, const struct berth_cgroup_dir *dir, const char *file, const char *rule,
		      struct berth_error *err)
{
	ssize_t n = write(fd, rule, strlen(rule));

	if (n < 0)
		return berth_error_set(err, errno, "write `%s` to `%s/%s`", rule, dir->full, file);
	return 0;
}

static int open_file(const struct berth_cgroup_dir *dir, const char *file, int *ret, struct berth_error *err)
{
	*ret = openat(dir->dfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*ret < 0)
		return berth_error_set(err, errno, "open `%s/%s`", dir->full, file);
	return 0;
}

int berth_cgroup_v1_apply_devices(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
				  struct berth_error *err)
{
	_cleanup_close_ int allow_fd = -EBADF, deny_fd = -EBADF;
	const struct berth_cgroup_device_rule *defaults;
	struct berth_cgroup_dir *dir;
	size_t n_defaults;
	int ret;

	/* like runc update: the device rules stay as created unless new ones are given */
	if (update && !r->has_devices)
		return 0;
	dir = berth_cgroup_v1_dir(cg, "devices");
	if (!dir)
		return berth_error_setx(err, ENOENT, "cannot set `devices.deny`: no devices cgroup v1 hierarchy is mounted");
	if ((ret = open_file(dir, "devices.allow", &allow_fd, err)) < 0 ||
	    (ret = open_file(dir, "devices.deny", &deny_fd, err)) < 0)
		return ret;

	/* the usual first rule, "deny a", is the reset itself */
	if (r->n_devices == 0 || r->devices[0].allow || r->devices[0].type != 'a') {
		ret = write_rule(deny_fd, dir, "devices.deny", "a", err);
		if (ret < 0)
			return ret;
	}
	defaults = berth_cgroup_default_device_rules(&n_defaults);
	for (size_t i = 0; i < r->n_devices + n_defaults; i++) {
		const struct berth_cgroup_device_rule *d = i < r->n_devices ? &r->devices[i] : &defaults[i - r->n_devices];
		char buf[64];

		format_rule(d, buf, sizeof(buf));
		if (d->allow)
			ret = write_rule(allow_fd, dir, "devices.allow", buf, err);
		else
			ret = write_rule(deny_fd, dir, "devices.deny", buf, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}
