/*
 * linux.resources.devices on cgroup v1: the emulated outcome (devices.h)
 * written as a reset ("a" to devices.deny or devices.allow) and the
 * exceptions.  On update the reset briefly denies (or allows) everything
 * before the exceptions are back; runc avoids that by writing only the
 * difference, which would need parsing devices.list.
 */
#include "cgroups/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/devices.h"
#include "util/cleanup.h"

/* One write per rule on an fd kept open: each write(2) is one command to the devices cgroup. */
static int write_rule(int fd, const struct berth_cgroup_dir *dir, const char *file, const char *rule,
		      struct berth_error *err)
{
	if (write(fd, rule, strlen(rule)) < 0)
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

static int write_state(const struct berth_cgroup_dir *dir, const struct berth_cgroup_device_state *st,
		       struct berth_error *err)
{
	_cleanup_close_ int reset_fd = -EBADF, fd = -EBADF;
	/* allow-all: "a" to devices.allow, exceptions to devices.deny; deny-all the other way round */
	const char *reset_file = st->default_allow ? "devices.allow" : "devices.deny";
	const char *file = st->default_allow ? "devices.deny" : "devices.allow";
	int r;

	if ((r = open_file(dir, reset_file, &reset_fd, err)) < 0 || (r = write_rule(reset_fd, dir, reset_file, "a", err)) < 0)
		return r;
	if (st->n_exceptions == 0)
		return 0;
	if ((r = open_file(dir, file, &fd, err)) < 0)
		return r;
	for (size_t i = 0; i < st->n_exceptions; i++) {
		char buf[64];

		berth_cgroup_device_rule_format(&st->exceptions[i], buf, sizeof(buf));
		if ((r = write_rule(fd, dir, file, buf, err)) < 0)
			return r;
	}
	return 0;
}

int berth_cgroup_v1_apply_devices(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
				  struct berth_error *err)
{
	struct berth_cgroup_device_state st = { 0 };
	struct berth_cgroup_dir *dir;
	int ret;

	/* like runc update: the device rules stay as created unless new ones are given */
	if (update && !r->has_devices)
		return 0;
	dir = berth_cgroup_v1_dir(cg, "devices");
	if (!dir)
		return berth_error_setx(err, ENOENT, "cannot set `devices.deny`: no devices cgroup v1 hierarchy is mounted");
	ret = berth_cgroup_devices_state_for(r, &st, err);
	if (ret < 0)
		return ret;
	ret = write_state(dir, &st, err);
	berth_cgroup_device_state_release(&st);
	return ret;
}
