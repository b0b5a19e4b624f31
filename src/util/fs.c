#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "xalloc.h"

int berth_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t berth_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int berth_read_fd(int fd, const char *path, size_t max_size, char **ret_buf, size_t *ret_len,
		   struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 4096;

	buf = berth_xmalloc(cap + 1);
	for (;;) {
		ssize_t n;

		if (len == cap) {
			cap *= 2;
			buf = berth_xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berth_error_set(err, errno, "read `%s`", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (max_size && len > max_size)
			return berth_error_setx(err, EFBIG, "`%s` is larger than %zu bytes", path, max_size);
	}
	buf[len] = '\0';
	*ret_buf = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int berth_read_file_at(int dirfd, const char *path, size_t max_size, char **ret_buf, size_t *ret_len,
		       struct berth_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return berth_error_set(err, errno, "open `%s`", path);
	return berth_read_fd(fd, path, max_size, ret_buf, ret_len, err);
}

int berth_read_file(const char *path, size_t max_size, char **ret_buf, size_t *ret_len, struct berth_error *err)
{
	return berth_read_file_at(AT_FDCWD, path, max_size, ret_buf, ret_len, err);
}

static int write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode, bool durable,
			     struct berth_error *err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *slash = strrchr(name, '/');
	int r;

	if (slash)
		tmp = berth_xasprintf("%.*s/.%s.tmp.%d", (int)(slash - name), name, slash + 1, (int)getpid());
	else
		tmp = berth_xasprintf(".%s.tmp.%d", name, (int)getpid());

	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return berth_error_set(err, errno, "create `%s`", tmp);
	r = berth_write_all(fd, data, len);
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return berth_error_set(err, -r, "write `%s`", tmp);
	}
	if (durable && fsync(fd) < 0) {
		r = -errno;
		unlinkat(dirfd, tmp, 0);
		return berth_error_set(err, -r, "fsync `%s`", tmp);
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -errno;
		unlinkat(dirfd, tmp, 0);
		return berth_error_set(err, -r, "rename `%s` to `%s`", tmp, name);
	}
	/* Make the rename itself durable: the directory, opened for reading (dirfd may be O_PATH) */
	if (durable) {
		_cleanup_free_ char *dir = slash ? berth_xasprintf("%.*s", (int)(slash - name), name) : NULL;
		_cleanup_close_ int dfd = openat(dirfd, dir ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0)
			fsync(dfd);
	}
	return 0;
}

int berth_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			    struct berth_error *err)
{
	return write_file_atomic(dirfd, name, data, len, mode, true, err);
}

int berth_write_file_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			     struct berth_error *err)
{
	return write_file_atomic(dirfd, name, data, len, mode, false, err);
}

int berth_write_file_string(int dirfd, const char *path, const char *value, struct berth_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (fd < 0)
		return berth_error_set(err, errno, "open `%s`", path);
	r = berth_write_all(fd, value, strlen(value));
	if (r < 0)
		return berth_error_set(err, -r, "write `%s` to `%s`", value, path);
	return 0;
}

int berth_mkdir_p(const char *path, mode_t mode, struct berth_error *err)
{
	_cleanup_free_ char *p = berth_xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return berth_error_set(err, errno, "mkdir `%s`", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "mkdir `%s`", p);
	return 0;
}

int berth_openat2(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve)
{
	struct open_how how = {
		.flags = (unsigned long long)flags | O_CLOEXEC,
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = resolve,
	};
	int fd;

	do
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd < 0 ? -errno : fd;
}

static int rm_rf_children(int dfd, const char *path, struct berth_error *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		close(dfd);
		return berth_error_set(err, errno, "opendir `%s`", path);
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = berth_rm_rf_at(dirfd(d), de->d_name, err);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int berth_rm_rf_at(int dirfd, const char *name, struct berth_error *err)
{
	struct stat st;
	int dfd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return berth_error_set(err, errno, "stat `%s`", name);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return berth_error_set(err, errno, "unlink `%s`", name);
		return 0;
	}
	dfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_set(err, errno, "open `%s`", name);
	if (rm_rf_children(dfd, name, err) < 0)
		return -err->code;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, "rmdir `%s`", name);
	return 0;
}
