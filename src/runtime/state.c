#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#include "berth-config.h"

static const char *const status_names[_BERTH_STATUS_MAX] = {
	[BERTH_STATUS_CREATING] = "creating", [BERTH_STATUS_CREATED] = "created",
	[BERTH_STATUS_RUNNING] = "running",   [BERTH_STATUS_PAUSED] = "paused",
	[BERTH_STATUS_STOPPED] = "stopped",
};

const char *berth_status_to_string(enum berth_status s)
{
	return s < _BERTH_STATUS_MAX ? status_names[s] : "unknown";
}

void berth_state_free(struct berth_state *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->created);
	free(s->owner);
	free(s->cgroup_path);
	berth_strv_free(s->annotations);
	free(s);
}

int berth_state_validate_id(const char *id, struct berth_error *err)
{
	size_t len = strlen(id);

	if (len == 0)
		return berth_error_setx(err, EINVAL, "invalid container id: empty");
	if (len > BERTH_ID_MAX)
		return berth_error_setx(err, EINVAL, "invalid container id: longer than %d bytes", BERTH_ID_MAX);
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return berth_error_setx(err, EINVAL, "invalid container id `%s`", id);
	for (const char *p = id; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (p != id)
			ok = ok || c == '_' || c == '+' || c == '-' || c == '.';
		if (!ok)
			return berth_error_setx(err, EINVAL,
						"invalid container id `%s`: only [A-Za-z0-9][A-Za-z0-9_+.-]* is allowed", id);
	}
	return 0;
}

int berth_state_root_ensure(const char *root, struct berth_error *err)
{
	return berth_mkdir_p(root, 0700, err);
}

static int lock_dir(const char *root, const char *id, int fd, bool exclusive, struct berth_error *err)
{
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR)
			return berth_error_set(err, errno, "lock state of `%s` in `%s`", id, root);
	}
	return 0;
}

int berth_state_dir_create(const char *root, const char *id, int *ret_dirfd, struct berth_error *err)
{
	_cleanup_close_ int rootfd = -EBADF, fd = -EBADF;
	int r;

	r = berth_state_validate_id(id, err);
	if (r < 0)
		return r;
	r = berth_state_root_ensure(root, err);
	if (r < 0)
		return r;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_set(err, errno, "open state root `%s`", root);
	if (mkdirat(rootfd, id, 0711) < 0) {
		if (errno == EEXIST)
			return berth_error_setx(err, EEXIST, "container with id exists: %s", id);
		return berth_error_set(err, errno, "create state directory `%s/%s`", root, id);
	}
	fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open state directory `%s/%s`", root, id);
	r = lock_dir(root, id, fd, true, err);
	if (r < 0)
		return r;
	*ret_dirfd = TAKE_FD(fd);
	return 0;
}

int berth_state_dir_open(const char *root, const char *id, bool exclusive, int *ret_dirfd, struct berth_error *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	r = berth_state_validate_id(id, err);
	if (r < 0)
		return r;
	path = berth_xasprintf("%s/%s", root, id);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return berth_error_setx(err, ENOENT, "container `%s` does not exist", id);
		return berth_error_set(err, errno, "open state directory `%s`", path);
	}
	r = lock_dir(root, id, fd, exclusive, err);
	if (r < 0)
		return r;
	/* A concurrent delete may have removed the directory while we waited for the lock. */
	if (fstat(fd, &st) < 0 || st.st_nlink == 0)
		return berth_error_setx(err, ENOENT, "container `%s` does not exist", id);
	*ret_dirfd = TAKE_FD(fd);
	return 0;
}

static json_t *annotations_to_json(char **a)
{
	json_t *o = json_object();

	for (size_t i = 0; a && a[i] && a[i + 1]; i += 2)
		json_object_set_new(o, a[i], json_string(a[i + 1]));
	return o;
}

int berth_state_save(int dirfd, const struct berth_state *s, struct berth_error *err)
{
	json_t *j = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:b}", "id", s->id, "pid", (json_int_t)s->pid,
			      "pid_start_time", (json_int_t)s->pid_start_time, "bundle", s->bundle, "rootfs",
			      s->rootfs, "created", s->created, "owner", s->owner ? s->owner : "", "systemd_cgroup",
			      s->systemd_cgroup);
	_cleanup_free_ char *text = NULL;

	if (!j)
		abort();
	if (s->cgroup_path)
		json_object_set_new(j, "cgroup_path", json_string(s->cgroup_path));
	json_object_set_new(j, "annotations", annotations_to_json(s->annotations));
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		abort();
	return berth_write_file_replace(dirfd, BERTH_STATE_FILE, text, strlen(text), 0600, err);
}

int berth_state_load(int dirfd, struct berth_state **ret, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_(berth_state_freep) struct berth_state *s = NULL;
	json_error_t jerr;
	json_t *j, *ann, *v;
	const char *key;
	int r;

	r = berth_read_file_at(dirfd, BERTH_STATE_FILE, 1 << 20, &text, NULL, err);
	if (r < 0)
		return r;
	j = json_loads(text, 0, &jerr);
	if (!j)
		return berth_error_setx(err, EINVAL, "state.json:%d:%d: %s", jerr.line, jerr.column, jerr.text);

	s = berth_xzalloc(sizeof(*s));
	s->id = berth_xstrdup_or_null(json_string_value(json_object_get(j, "id")));
	s->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	s->pid_start_time = (uint64_t)json_integer_value(json_object_get(j, "pid_start_time"));
	s->bundle = berth_xstrdup_or_null(json_string_value(json_object_get(j, "bundle")));
	s->rootfs = berth_xstrdup_or_null(json_string_value(json_object_get(j, "rootfs")));
	s->created = berth_xstrdup_or_null(json_string_value(json_object_get(j, "created")));
	s->owner = berth_xstrdup_or_null(json_string_value(json_object_get(j, "owner")));
	s->cgroup_path = berth_xstrdup_or_null(json_string_value(json_object_get(j, "cgroup_path")));
	s->systemd_cgroup = json_is_true(json_object_get(j, "systemd_cgroup"));
	ann = json_object_get(j, "annotations");
	json_object_foreach(ann, key, v)
	{
		if (!json_is_string(v))
			continue;
		berth_strv_push(&s->annotations, key);
		berth_strv_push(&s->annotations, json_string_value(v));
	}
	json_decref(j);
	if (!s->id || !s->bundle || !s->created) {
		return berth_error_setx(err, EINVAL, "state.json: missing fields");
	}
	*ret = TAKE_PTR(s);
	return 0;
}

uint64_t berth_proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	_cleanup_close_ int fd = -EBADF;
	ssize_t n;
	char *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may contain spaces and parentheses: parse after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* after ") " come fields 3.., start time is field 22 */
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%llu", &start) != 1)
		return 0;
	/* a zombie has exited: report it as gone */
	if (buf[0] && strstr(buf, ") Z ") != NULL)
		return 0;
	return start;
}

int berth_state_load_config(int dirfd, struct berth_oci_config **ret, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = berth_read_file_at(dirfd, BERTH_STATE_CONFIG, 16 << 20, &text, &len, err);

	if (r < 0)
		return r;
	return berth_oci_config_parse("config.json", text, len, ret, err);
}

int berth_state_load_hooks(int dirfd, struct berth_oci_config **ret, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = berth_read_file_at(dirfd, BERTH_STATE_CONFIG, 16 << 20, &text, &len, err);

	*ret = NULL;
	if (r < 0)
		return r;
	/* the member's name, quoted, appears wherever hooks are; elsewhere (a string) it only costs the parse */
	if (!memmem(text, len, "\"hooks\"", 7))
		return 0;
	return berth_oci_config_parse("config.json", text, len, ret, err);
}

int berth_state_pidfd(const struct berth_state *s)
{
	int fd = (int)syscall(SYS_pidfd_open, s->pid, 0);

	if (fd < 0)
		return -errno;
	if (berth_proc_start_time(s->pid) != s->pid_start_time) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

/*
 * The init waits for `start` while it holds the exec fifo open; it closes it
 * before it execs.  (A `start` killed between releasing the init and removing
 * the fifo leaves the fifo behind with the process running.)
 */
static bool init_waits(pid_t pid, const struct stat *fifo)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	bool held = false;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return true; /* cannot tell: the fifo's word stands */
	while (!held && (de = readdir(d))) {
		struct stat st;
		held = de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 && st.st_dev == fifo->st_dev &&
		       st.st_ino == fifo->st_ino;
	}
	closedir(d);
	return held;
}

enum berth_status berth_state_status(int dirfd, const struct berth_state *s)
{
	struct stat st;

	if (s->pid <= 0 || berth_proc_start_time(s->pid) != s->pid_start_time)
		return BERTH_STATUS_STOPPED;
	if (fstatat(dirfd, BERTH_STATE_FIFO, &st, AT_SYMLINK_NOFOLLOW) == 0 && init_waits(s->pid, &st))
		return BERTH_STATUS_CREATED;
	return BERTH_STATUS_RUNNING;
}

char *berth_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return berth_xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

char *berth_state_to_oci_json(const struct berth_state *s, enum berth_status status, bool pretty)
{
	bool alive = status != BERTH_STATUS_STOPPED;
	json_t *j = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "ociVersion", BERTH_OCI_VERSION, "id",
			      s->id, "pid", (json_int_t)(alive ? s->pid : 0), "status",
			      berth_status_to_string(status), "bundle", s->bundle, "rootfs", s->rootfs, "created",
			      s->created, "owner", s->owner ? s->owner : "");
	char *text;

	if (!j)
		abort();
	if (s->annotations)
		json_object_set_new(j, "annotations", annotations_to_json(s->annotations));
	text = json_dumps(j, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text)
		abort();
	return text;
}
