#include "runtime/user.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

bool berth_user_setgroups_allowed(void)
{
	_cleanup_close_ int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char buf[16] = { 0 };

	if (fd < 0)
		return true; /* kernel before 3.19, or not in a user namespace: nothing stops setgroups */
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		return true;
	return strncmp(buf, "deny", 4) != 0;
}

int berth_user_apply(const struct berth_oci_user *u, bool setgroups_allowed, struct berth_error *err)
{
	/* (uid_t)-1 would mean "leave unchanged" to setresuid(): the init would stay root */
	if (u->uid == UINT32_MAX || u->gid == UINT32_MAX)
		return berth_error_setx(err, EINVAL, "invalid user %u:%u", u->uid, u->gid);
	if (setgroups_allowed) {
		/* gid_t and uint32_t are the same width on Linux; the config's array is passed as is */
		_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is not 32 bits");
		if (setgroups(u->n_additional_gids, (const gid_t *)u->additional_gids) < 0)
			return berth_error_set(err, errno, "set additional groups");
	}
	if (setresgid(u->gid, u->gid, u->gid) < 0) {
		if (errno == EINVAL)
			return berth_error_setx(err, EINVAL, "cannot setgid to unmapped gid %u in user namespace",
						u->gid);
		return berth_error_set(err, errno, "setgid to %u", u->gid);
	}
	if (setresuid(u->uid, u->uid, u->uid) < 0) {
		if (errno == EINVAL)
			return berth_error_setx(err, EINVAL, "cannot setuid to unmapped uid %u in user namespace",
						u->uid);
		return berth_error_set(err, errno, "setuid to %u", u->uid);
	}
	umask(u->has_umask ? u->umask : 0022);
	return 0;
}
