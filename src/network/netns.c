/* Persistent network namespaces: unshare, bind mount, setns back. */
#include "network/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

bool berth_netns_is_bound(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == NSFS_MAGIC;
}

/*
 * Back to the namespace this thread came from.  Failing that, berth would
 * go on configuring the wrong namespace: nothing sane is left to do.
 */
static void restore_netns(int self)
{
	if (setns(self, CLONE_NEWNET) < 0)
		abort();
}

int berth_netns_create(const char *path, int *ret_fd, struct berth_nl **ret_nl, struct berth_error *err)
{
	_cleanup_free_ char *dir = berth_xstrdup(path);
	_cleanup_close_ int self = -EBADF, file = -EBADF, nsfd = -EBADF;
	struct berth_nl *nl = NULL;
	char *slash = strrchr(dir, '/');
	int r = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		if ((r = berth_mkdir_p(dir, 0700, err)) < 0)
			return r;
	}
	/* a namespace a crash left here: detached, its file reused */
	if (berth_netns_is_bound(path))
		umount2(path, MNT_DETACH);
	file = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0400);
	if (file < 0)
		return berth_error_set(err, errno, "create \"%s\"", path);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return berth_error_set(err, errno, "open this thread's network namespace");
	if (unshare(CLONE_NEWNET) < 0)
		return berth_error_set(err, errno, "unshare the network namespace");
	/* in the new namespace from here to restore_netns() */
	if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
		r = berth_error_set(err, errno, "bind the network namespace at \"%s\"", path);
	if (r == 0 && (nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		r = berth_error_set(err, errno, "open the new network namespace");
	if (r == 0 && ret_nl)
		r = berth_nl_open(&nl, err);
	restore_netns(self);
	if (r < 0) {
		berth_nl_free(nl);
		umount2(path, MNT_DETACH);
		unlink(path);
		return r;
	}
	*ret_fd = TAKE_FD(nsfd);
	if (ret_nl)
		*ret_nl = nl;
	return 0;
}

int berth_netns_nl(int nsfd, struct berth_nl **ret, struct berth_error *err)
{
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (self < 0)
		return berth_error_set(err, errno, "open this thread's network namespace");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return berth_error_set(err, errno, "enter the container's network namespace");
	r = berth_nl_open(ret, err);
	restore_netns(self);
	return r;
}

int berth_netns_destroy(const char *path, struct berth_error *err)
{
	/* MNT_DETACH: a process entering it right now keeps its reference, the name goes */
	for (int i = 0; i < 16 && berth_netns_is_bound(path); i++)
		if (umount2(path, MNT_DETACH) < 0) {
			if (errno == EINVAL || errno == ENOENT)
				break;
			return berth_error_set(err, errno, "unmount \"%s\"", path);
		}
	if (unlink(path) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, "remove \"%s\"", path);
	return 0;
}
