/*
 * sysprobe: one thing a container's security profile should refuse, tried
 * from inside the container; prints "ok" (exit 0) or the error (exit 1).
 * Static, so the tests can bind-mount it into a busybox container.
 *
 *   sysprobe keyctl | add-key | unshare-net | unshare-user | mount DIR |
 *            mknod-blk PATH MAJOR MINOR | read PATH | chroot DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEY_SPEC_PROCESS_KEYRING -2

static int probe(int argc, char **argv)
{
	const char *what = argv[1];
	char c;

	if (strcmp(what, "keyctl") == 0)
		return (int)syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
	if (strcmp(what, "add-key") == 0)
		return (int)syscall(SYS_add_key, "user", "berth-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	if (strcmp(what, "unshare-net") == 0)
		return unshare(CLONE_NEWNET);
	if (strcmp(what, "unshare-user") == 0)
		return unshare(CLONE_NEWUSER);
	if (strcmp(what, "mount") == 0 && argc > 2)
		return mount("none", argv[2], "tmpfs", 0, NULL);
	if (strcmp(what, "chroot") == 0 && argc > 2)
		return chroot(argv[2]);
	if (strcmp(what, "mknod-blk") == 0 && argc > 4)
		return mknod(argv[2], S_IFBLK | 0600, makedev(atoi(argv[3]), atoi(argv[4])));
	if (strcmp(what, "read") == 0 && argc > 2) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, &c, 1) < 0)
			return -1;
		close(fd);
		return 0;
	}
	fprintf(stderr, "sysprobe: unknown probe \"%s\"\n", what);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sysprobe PROBE [ARGS...]\n");
		return 2;
	}
	if (probe(argc, argv) < 0) {
		printf("%s\n", strerror(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}
