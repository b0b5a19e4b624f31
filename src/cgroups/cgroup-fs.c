/* cgroupfs helpers shared by the v1 and v2 drivers. */
#include "cgroups/cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define OPEN_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)

/* EBUSY retries when removing: 1, 2, 4 ... 64 ms, about 130 ms in all */
#define RMDIR_ATTEMPTS 8
#define RMDIR_FIRST_DELAY_US 1000

/* passes over cgroup.procs when signalling, to catch processes forked meanwhile */
#define SIGNAL_PASSES 16

bool berth_cgroup_has_controller(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

int berth_cgroup_dir_open(struct berth_cgroup_dir *dir, bool missing_ok, struct berth_error *err)
{
	if (dir->dfd >= 0)
		close(dir->dfd);
	dir->dfd = open(dir->full, OPEN_DIR_FLAGS);
	if (dir->dfd < 0) {
		int saved = errno;

		dir->dfd = -EBADF;
		if (saved == ENOENT && missing_ok)
			return 0;
		return berth_error_set(err, saved, "open cgroup `%s`", dir->full);
	}
	return 0;
}

int berth_cgroup_enter_all(struct berth_cgroup *cg, pid_t pid, struct berth_error *err)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", (int)pid);

	for (size_t i = 0; i < cg->n_dirs; i++) {
		const struct berth_cgroup_dir *dir = &cg->dirs[i];
		_cleanup_close_ int fd = -EBADF;

		if (dir->dfd < 0)
			return berth_error_setx(err, ENOENT, "cgroup `%s` does not exist", dir->full);
		fd = openat(dir->dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return berth_error_set(err, errno, "open `%s/cgroup.procs`", dir->full);
		if (write(fd, buf, (size_t)len) != len)
			return berth_error_set(err, errno, "add pid %d to `%s/cgroup.procs`", (int)pid, dir->full);
	}
	return 0;
}

struct pid_set {
	pid_t *pids;
	size_t n, cap;
};

static void pid_set_add(struct pid_set *s, pid_t pid)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->pids = berth_xreallocarray(s->pids, s->cap, sizeof(pid_t));
	}
	s->pids[s->n++] = pid;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static void pid_set_sort_unique(struct pid_set *s)
{
	size_t w = 0;

	if (s->n == 0)
		return;
	qsort(s->pids, s->n, sizeof(pid_t), cmp_pid);
	for (size_t i = 1; i < s->n; i++)
		if (s->pids[i] != s->pids[w])
			s->pids[++w] = s->pids[i];
	s->n = w + 1;
}

static bool pid_set_contains(const struct pid_set *s, pid_t pid)
{
	return s->n > 0 && bsearch(&pid, s->pids, s->n, sizeof(pid_t), cmp_pid);
}

static bool is_subdir(int dfd, const struct dirent *de)
{
	struct stat st;

	if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
		return false;
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Add the pids of the cgroup open at dfd and of its descendants; takes dfd. */
static int collect_pids(int dfd, const char *full, struct pid_set *s, struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	DIR *d;
	struct dirent *de;
	int r;

	r = berth_read_file_at(dfd, "cgroup.procs", 0, &buf, NULL, err);
	if (r == -ENOENT) { /* removed under us */
		berth_error_release(err);
		close(dfd);
		return 0;
	}
	if (r < 0) {
		close(dfd);
		return berth_error_prefix(err, "cgroup `%s`", full);
	}
	for (char *p = buf, *end; *p; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (v > 0)
			pid_set_add(s, (pid_t)v);
	}

	d = fdopendir(dfd);
	if (!d) {
		r = berth_error_set(err, errno, "opendir `%s`", full);
		close(dfd);
		return r;
	}
	r = 0;
	while (r == 0 && (de = readdir(d))) {
		_cleanup_free_ char *child = NULL;
		int cfd;

		if (!is_subdir(dirfd(d), de))
			continue;
		child = berth_xasprintf("%s/%s", full, de->d_name);
		cfd = openat(dirfd(d), de->d_name, OPEN_DIR_FLAGS);
		if (cfd < 0) {
			if (errno != ENOENT)
				r = berth_error_set(err, errno, "open `%s`", child);
			continue;
		}
		r = collect_pids(cfd, child, s, err);
	}
	closedir(d);
	return r;
}

int berth_cgroup_read_pids(const struct berth_cgroup_dir *dir, pid_t **ret, size_t *ret_n, struct berth_error *err)
{
	struct pid_set s = { 0 };
	int fd, r;

	*ret = NULL;
	*ret_n = 0;
	if (dir->dfd < 0)
		return 0;
	fd = openat(dir->dfd, ".", OPEN_DIR_FLAGS);
	if (fd < 0)
		return berth_error_set(err, errno, "open `%s`", dir->full);
	r = collect_pids(fd, dir->full, &s, err);
	if (r < 0) {
		free(s.pids);
		return r;
	}
	pid_set_sort_unique(&s);
	*ret = s.pids;
	*ret_n = s.n;
	return 0;
}

int berth_cgroup_signal_pids(const struct berth_cgroup_dir *dir, int signo, struct berth_error *err)
{
	struct pid_set done = { 0 };
	int r = 0;

	for (int pass = 0; pass < SIGNAL_PASSES; pass++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0, n_new = 0;

		r = berth_cgroup_read_pids(dir, &pids, &n, err);
		if (r < 0)
			break;
		for (size_t i = 0; i < n; i++) {
			if (pid_set_contains(&done, pids[i]))
				continue;
			/* pids[i] > 0 always: kill(0) or kill(-1) would hit far more than the container */
			if (kill(pids[i], signo) < 0 && errno != ESRCH) {
				r = berth_error_set(err, errno, "kill %d", (int)pids[i]);
				break;
			}
			n_new++;
		}
		if (r < 0 || n_new == 0)
			break;
		for (size_t i = 0; i < n; i++)
			pid_set_add(&done, pids[i]);
		pid_set_sort_unique(&done);
	}
	free(done.pids);
	return r;
}

/* Remove parent_fd/name and its descendants; -EBUSY (with err set) means try again later. */
static int rm_tree(int parent_fd, const char *name, const char *full, struct berth_error *err)
{
	bool busy = false;
	struct dirent *de;
	DIR *d;
	int fd, r;

	/* usually there are no child cgroups: try that first and save listing the directory */
	if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	if (errno != EBUSY && errno != ENOTEMPTY)
		return berth_error_set(err, errno, "rmdir `%s`", full);

	fd = openat(parent_fd, name, OPEN_DIR_FLAGS);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return berth_error_set(err, errno, "open `%s`", full);
	}
	d = fdopendir(fd);
	if (!d) {
		r = berth_error_set(err, errno, "opendir `%s`", full);
		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *child = NULL;

		if (!is_subdir(dirfd(d), de))
			continue;
		child = berth_xasprintf("%s/%s", full, de->d_name);
		r = rm_tree(dirfd(d), de->d_name, child, err);
		if (r == -EBUSY) {
			busy = true;
		} else if (r < 0) {
			closedir(d);
			return r;
		}
	}
	closedir(d);
	if (busy)
		return -EBUSY;
	if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, "rmdir `%s`", full);
	return 0;
}

int berth_cgroup_remove_all(struct berth_cgroup *cg, struct berth_error *err)
{
	_cleanup_free_ bool *pending = berth_xcalloc(cg->n_dirs ? cg->n_dirs : 1, sizeof(bool));
	useconds_t delay = RMDIR_FIRST_DELAY_US;
	int r = 0;

	for (size_t i = 0; i < cg->n_dirs; i++)
		pending[i] = true;

	/* all hierarchies per attempt, so a busy cgroup costs one back-off, not one per hierarchy */
	for (int attempt = 0; attempt < RMDIR_ATTEMPTS; attempt++) {
		bool busy = false;

		if (attempt > 0) {
			usleep(delay);
			delay *= 2;
		}
		for (size_t i = 0; i < cg->n_dirs; i++) {
			struct berth_cgroup_dir *dir = &cg->dirs[i];

			if (!pending[i])
				continue;
			r = rm_tree(AT_FDCWD, dir->full, dir->full, err);
			if (r == -EBUSY) {
				busy = true;
				continue;
			}
			if (r < 0)
				return r;
			pending[i] = false;
			if (dir->dfd >= 0)
				close(dir->dfd);
			dir->dfd = -EBADF;
		}
		if (!busy)
			return 0;
	}
	return r;
}

/* mkdir dir->full and open it: 1 when done, 0 when a parent is missing, < 0 on error. */
static int mkdir_leaf(struct berth_cgroup_dir *dir, char ***created, struct berth_error *err)
{
	int fd;

	if (mkdir(dir->full, 0755) == 0)
		berth_strv_push(created, dir->full);
	else if (errno == ENOENT)
		return 0;
	else if (errno != EEXIST)
		return berth_error_set(err, errno, "mkdir `%s`", dir->full);
	fd = open(dir->full, OPEN_DIR_FLAGS);
	if (fd < 0)
		return berth_error_set(err, errno, "open `%s`", dir->full);
	if (dir->dfd >= 0)
		close(dir->dfd);
	dir->dfd = fd;
	return 1;
}

int berth_cgroup_mkdir_walk(struct berth_cgroup_dir *dir, size_t mountpoint_len, berth_cgroup_level_fn fn,
			    void *userdata, char ***created, struct berth_error *err)
{
	_cleanup_free_ char *full = berth_xstrdup(dir->full);
	_cleanup_close_ int parent = -EBADF;
	char *p;
	int r;

	/* nothing to do per level: one mkdir when the parent exists, the common case */
	if (!fn) {
		r = mkdir_leaf(dir, created, err);
		if (r != 0)
			return r < 0 ? r : 0;
	}

	full[mountpoint_len] = '\0';
	parent = open(full, OPEN_DIR_FLAGS);
	if (parent < 0)
		return berth_error_set(err, errno, "open cgroup hierarchy `%s`", full);
	full[mountpoint_len] = dir->full[mountpoint_len];

	/* full is "<mountpoint>/<c1>/<c2>..."; components are normalised, never empty */
	p = full + mountpoint_len;
	while (*p == '/') {
		char *name = p + 1, *end = strchrnul(name, '/');
		char saved = *end;
		int child;

		*end = '\0';
		if (mkdirat(parent, name, 0755) == 0)
			berth_strv_push(created, full);
		else if (errno != EEXIST)
			return berth_error_set(err, errno, "mkdir `%s`", full);
		child = openat(parent, name, OPEN_DIR_FLAGS);
		if (child < 0)
			return berth_error_set(err, errno, "open `%s`", full);
		if (fn) {
			r = fn(parent, child, full, userdata, err);
			if (r < 0) {
				close(child);
				return r;
			}
		}
		close(parent);
		parent = child;
		*end = saved;
		p = end;
	}
	if (dir->dfd >= 0)
		close(dir->dfd);
	dir->dfd = TAKE_FD(parent);
	return 0;
}

void berth_cgroup_rollback(char **created)
{
	for (size_t n = berth_strv_length(created); n > 0; n--)
		rmdir(created[n - 1]);
}

struct berth_cgroup_dir *berth_cgroup_v1_dir(struct berth_cgroup *cg, const char *controller)
{
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (!cg->dirs[i].unified && cg->dirs[i].dfd >= 0 &&
		    berth_cgroup_has_controller(cg->dirs[i].controllers, controller))
			return &cg->dirs[i];
	return NULL;
}

struct berth_cgroup_dir *berth_cgroup_unified_dir(struct berth_cgroup *cg)
{
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (cg->dirs[i].unified && cg->dirs[i].dfd >= 0)
			return &cg->dirs[i];
	return NULL;
}

int berth_cgroup_write(const struct berth_cgroup_dir *dir, const char *file, const char *value,
		       struct berth_error *err)
{
	_cleanup_close_ int fd = openat(dir->dfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0) {
		if (errno == ENOENT)
			return berth_error_setx(err, ENOENT, "`%s/%s` does not exist (is the %.*s controller available?)",
						dir->full, file, (int)strcspn(file, "."), file);
		return berth_error_set(err, errno, "open `%s/%s`", dir->full, file);
	}
	/* cgroupfs takes one value per write(2); a short write would be a different value */
	n = write(fd, value, len);
	if (n < 0)
		return berth_error_set(err, errno, "write `%s` to `%s/%s`", value, dir->full, file);
	if ((size_t)n != len)
		return berth_error_setx(err, EIO, "short write of `%s` to `%s/%s`", value, dir->full, file);
	return 0;
}

int berth_cgroup_writef(const struct berth_cgroup_dir *dir, const char *file, struct berth_error *err,
			const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return berth_error_setx(err, EINVAL, "value for `%s/%s` is too long", dir->full, file);
	return berth_cgroup_write(dir, file, buf, err);
}

int berth_cgroup_read(const struct berth_cgroup_dir *dir, const char *file, char **ret, struct berth_error *err)
{
	int r = berth_read_file_at(dir->dfd, file, 0, ret, NULL, err);

	if (r < 0)
		return berth_error_prefix(err, "cgroup `%s`", dir->full);
	return 0;
}

int berth_cgroup_read_u64(const struct berth_cgroup_dir *dir, const char *file, uint64_t *ret,
			  struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	char *end;
	int r;

	r = berth_cgroup_read(dir, file, &buf, err);
	if (r < 0)
		return r;
	if (strncmp(buf, "max", 3) == 0 && (buf[3] == '\n' || buf[3] == '\0')) {
		*ret = UINT64_MAX;
		return 0;
	}
	errno = 0;
	if (buf[0] == '-')
		*ret = (uint64_t)strtoll(buf, &end, 10);
	else
		*ret = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0'))
		return berth_error_setx(err, EINVAL, "`%s/%s`: not a number: `%.*s`", dir->full, file,
					(int)strcspn(buf, "\n"), buf);
	return 0;
}

bool berth_cgroup_file_exists(const struct berth_cgroup_dir *dir, const char *file)
{
	return faccessat(dir->dfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

bool berth_cgroup_keyed_value(const char *buf, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *line = buf; line && *line;) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			*ret = strtoull(line + klen + 1, NULL, 10);
			return true;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}
