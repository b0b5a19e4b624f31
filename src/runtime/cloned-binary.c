#include "cloned-binary.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define BERTH_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static int is_sealed_fd(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	return seals >= 0 && (seals & BERTH_SEALS) == BERTH_SEALS;
}

int berth_cloned_binary_is_sealed(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	return fd >= 0 && is_sealed_fd(fd);
}

static int make_memfd(void)
{
	int fd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);

	/* kernels before 6.3 reject MFD_EXEC; memfds are executable there anyway */
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return fd;
}

int berth_cloned_binary_ensure(char **argv, struct berth_error *err)
{
	_cleanup_close_ int exe = -EBADF, mfd = -EBADF;
	struct stat st;
	off_t off = 0;

	exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return berth_error_set(err, errno, "open `/proc/self/exe`");
	if (is_sealed_fd(exe))
		return 0;
	if (fstat(exe, &st) < 0)
		return berth_error_set(err, errno, "stat `/proc/self/exe`");

	mfd = make_memfd();
	if (mfd < 0)
		return berth_error_set(err, errno, "memfd_create");
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, exe, &off, (size_t)(st.st_size - off));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berth_error_set(err, errno, "copy runtime binary to memfd");
		}
		if (n == 0)
			break;
	}
	if (fcntl(mfd, F_ADD_SEALS, BERTH_SEALS) < 0)
		return berth_error_set(err, errno, "seal runtime binary copy");
	fexecve(mfd, argv, environ);
	return berth_error_set(err, errno, "re-execute sealed runtime binary");
}
