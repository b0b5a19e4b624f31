#include "unix-address.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "xalloc.h"

int berth_unix_address(const char *path, struct sockaddr_un *addr, int *ret_dirfd, struct berth_error *err)
{
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_free_ char *dir = NULL;
	const char *base;
	int n;

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	*ret_dirfd = -EBADF;
	if (strlen(path) < sizeof(addr->sun_path)) {
		strcpy(addr->sun_path, path);
		return 0;
	}
	base = strrchr(path, '/');
	if (!base || base[1] == '\0')
		return berth_error_setx(err, ENAMETOOLONG, "socket path `%s` is too long", path);
	dir = base == path ? berth_xstrdup("/") : berth_xstrndup(path, (size_t)(base - path));
	base++;
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return berth_error_set(err, errno, "open socket directory `%s`", dir);
	n = snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", dirfd, base);
	if (n < 0 || (size_t)n >= sizeof(addr->sun_path))
		return berth_error_setx(err, ENAMETOOLONG, "socket path `%s`: name too long", path);
	*ret_dirfd = TAKE_FD(dirfd);
	return 0;
}
