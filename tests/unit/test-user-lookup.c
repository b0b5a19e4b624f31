/* engine/user-lookup: -u against a rootfs's passwd and group, and a passwd symlinked out of the root. */
#include "engine/user-lookup.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int make_root(char *dir, bool evil)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
				     "# comment\n"
				     "app:x:1000:1000::/home/app:/bin/sh\n"
				     "broken line\n"
				     "web:x:33:33::/var/www:/bin/false\n";
	static const char group[] = "root:x:0:\nwheel:x:10:app,web\napp:x:1000:\nstaff:x:50:app\n";
	int fd;

	if (!mkdtemp(dir))
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mkdirat(fd, "etc", 0755);
	if (evil) {
		/* an image whose passwd points at a host file: must resolve inside the root (and find nothing) */
		static const char host[] = "daemon:x:1:1::/:/bin/sh\n";
		berth_write_file_atomic(AT_FDCWD, "/tmp/berth-test-host-passwd", host, sizeof(host) - 1, 0644, &err);
		if (symlinkat("/../../../../../../tmp/berth-test-host-passwd", fd, "etc/passwd") < 0)
			return -1;
		return fd;
	}
	berth_write_file_atomic(fd, "etc/passwd", passwd, sizeof(passwd) - 1, 0644, &err);
	berth_write_file_atomic(fd, "etc/group", group, sizeof(group) - 1, 0644, &err);
	return fd;
}

int main(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	char dir[] = "/tmp/berth-test-user-XXXXXX", evil[] = "/tmp/berth-test-user-evil-XXXXXX";
	int fd = make_root(dir, false), efd = make_root(evil, true);
	struct berth_user u;

	TAP_OK(fd >= 0 && efd >= 0);
	TAP_OK(berth_user_resolve(fd, NULL, &u, &err) == 0 && u.uid == 0 && u.gid == 0 && u.n_groups == 0);
	berth_user_release(&u);
	TAP_OK(berth_user_resolve(fd, "app", &u, &err) == 0 && u.uid == 1000 && u.gid == 1000 && u.n_groups == 2 &&
	       u.groups[0] == 10 && u.groups[1] == 50);
	berth_user_release(&u);
	TAP_OK(berth_user_resolve(fd, "33", &u, &err) == 0 && u.uid == 33 && u.gid == 33 && u.n_groups == 1);
	berth_user_release(&u);
	TAP_OK(berth_user_resolve(fd, "4242", &u, &err) == 0 && u.uid == 4242 && u.gid == 0);
	berth_user_release(&u);
	TAP_OK(berth_user_resolve(fd, "app:staff", &u, &err) == 0 && u.uid == 1000 && u.gid == 50 && u.n_groups == 0);
	berth_user_release(&u);
	TAP_OK(berth_user_resolve(fd, "web:7", &u, &err) == 0 && u.uid == 33 && u.gid == 7);
	berth_user_release(&u);
	TAP_OK(berth_user_resolve(fd, "nobody", &u, &err) == -ENOENT &&
	       strcmp(err.msg, "unable to find user nobody: no matching entries in passwd file") == 0);
	TAP_OK(berth_user_resolve(fd, "app:nogroup", &u, &err) == -ENOENT &&
	       strcmp(err.msg, "unable to find group nogroup: no matching entries in group file") == 0);
	/* the host has "root" in its passwd; the evil root's symlink must not reach it */
	TAP_OK(berth_user_resolve(efd, "daemon", &u, &err) == -ENOENT);
	TAP_OK(berth_user_resolve(efd, "0", &u, &err) == 0 && u.uid == 0);
	berth_user_release(&u);
	berth_rm_rf_at(AT_FDCWD, dir, &err);
	berth_rm_rf_at(AT_FDCWD, evil, &err);
	unlink("/tmp/berth-test-host-passwd");
	return tap_done();
}
