#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "devices.h"
#include "masked-paths.h"
#include "mount-options.h"
#include "mounts.h"
#include "pivot-root.h"
#include "readonly-paths.h"
#include "sysctl.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct rootfs_ctx {
	const struct berth_oci_config *cfg;
	const char *rootfs;
	const struct berth_rootfs_options *opts;
	int root_fd;    /* the rootfs bind mount */
	bool setup_dev; /* /dev is ours to populate */
};

/* One config mount, its options parsed. */
struct entry {
	const struct berth_oci_mount *m;
	char *dest; /* cleaned destination */
	const char *type;
	struct berth_mount_options o;
};

static bool path_is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Set attributes of a bind and the options every mount may carry: recursive attributes, propagation. */
static int finish_mount(int mnt, const struct berth_mount_options *o, bool bind, struct berth_error *err)
{
	int r;

	if (bind) {
		uint64_t set, clr;

		berth_mount_options_attr(o, &set, &clr);
		r = berth_mount_setattr(mnt, false, set, clr, err);
		if (r < 0)
			return r;
	}
	r = berth_mount_setattr(mnt, true, o->rec_attr_set, o->rec_attr_clr, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o->n_propagation; i++) {
		r = berth_mount_set_propagation(mnt, o->propagation[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int attach_and_finish(int mnt, int target, const struct berth_mount_options *o, bool bind,
			     struct berth_error *err)
{
	int r = berth_mount_attach(mnt, target, err);

	if (r < 0)
		return r;
	return finish_mount(mnt, o, bind, err);
}

/*
 * runc's checkProcMount: nothing may be mounted over /proc but a procfs, and
 * nothing inside /proc but the files lxcfs emulates.  The target's own
 * filesystem is checked too, for a destination that is a symlink into /proc.
 */
static int check_proc_mount(const char *dest, int target, int src, const char *type, struct berth_error *err)
{
	static const char *const allowed[] = {
		"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",    "/proc/swaps",
		"/proc/uptime",  "/proc/loadavg",   "/proc/slabinfo", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
	};
	struct statfs sfs;
	bool in_proc;

	if (strcmp(dest, "/proc") == 0) {
		if (src >= 0 ? fstatfs(src, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC : streq(type, "proc"))
			return 0;
		return berth_error_setx(err, EPERM, "`%s` cannot be mounted because it is not of type proc", dest);
	}
	in_proc = path_is_below(dest, "/proc") || (fstatfs(target, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC);
	if (!in_proc)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (strcmp(dest, allowed[i]) == 0)
			return 0;
	return berth_error_setx(err, EPERM, "`%s` cannot be mounted because it is inside /proc", dest);
}

/* A destination where proc or sysfs goes must be a real directory, not a symlink (CVE-2019-16884 class). */
static unsigned dest_flags(const char *dest, unsigned flags)
{
	if (strcmp(dest, "/proc") == 0 || strcmp(dest, "/sys") == 0)
		flags |= BERTH_PATH_NOFOLLOW | BERTH_PATH_DIRECTORY;
	return flags;
}

static int mount_bind(struct rootfs_ctx *c, struct entry *e, struct berth_error *err)
{
	_cleanup_close_ int src = -EBADF, target = -EBADF;
	struct stat st;
	int r;

	if (!e->m->source)
		return berth_error_setx(err, EINVAL, "a bind mount needs a source");
	r = berth_mount_clone(AT_FDCWD, e->m->source, e->o.flags & MS_REC, &src, err);
	if (r < 0)
		return r;
	if (fstat(src, &st) < 0)
		return berth_error_set(err, errno, "stat `%s`", e->m->source);
	r = berth_path_open_in_root(c->root_fd, e->dest,
				    dest_flags(e->dest, S_ISDIR(st.st_mode) ? BERTH_PATH_MKDIR : BERTH_PATH_MKFILE),
				    &target, err);
	if (r < 0)
		return r;
	r = check_proc_mount(e->dest, target, src, NULL, err);
	if (r < 0)
		return r;
	return attach_and_finish(src, target, &e->o, true, err);
}

/* The host's /sys, recursively and with the options applied to the whole tree (no new sysfs allowed). */
static int bind_host_sys(int target, const struct berth_mount_options *o, struct berth_error *err)
{
	_cleanup_close_ int src = -EBADF;
	uint64_t set, clr;
	int r;

	r = berth_mount_clone(AT_FDCWD, "/sys", true, &src, err);
	if (r < 0)
		return r;
	r = berth_fd_check_fs(src, SYSFS_MAGIC, "/sys", err);
	if (r < 0)
		return r;
	r = berth_mount_attach(src, target, err);
	if (r < 0)
		return r;
	berth_mount_options_attr(o, &set, &clr);
	r = berth_mount_setattr(src, true, set, 0, err);
	if (r < 0)
		return r;
	return finish_mount(src, o, false, err);
}

static int mount_proc_or_sys(struct rootfs_ctx *c, struct entry *e, struct berth_error *err)
{
	_cleanup_close_ int target = -EBADF, mnt = -EBADF;
	bool sys = strcmp(e->type, "sysfs") == 0;
	uint64_t set, clr;
	int r;

	r = berth_path_open_in_root(c->root_fd, e->dest,
				    BERTH_PATH_MKDIR | BERTH_PATH_NOFOLLOW | BERTH_PATH_DIRECTORY, &target, err);
	if (r == -ELOOP || r == -ENOTDIR)
		return berth_error_prefix(err, "filesystem `%s` must be mounted on an ordinary directory", e->type);
	if (r < 0)
		return r;
	/* sysfs shows the mounter's network namespace: in a user namespace only its own may be mounted */
	if (sys && c->opts->in_userns && !c->opts->new_netns)
		return bind_host_sys(target, &e->o, err);

	berth_mount_options_attr(&e->o, &set, &clr);
	r = berth_mount_new_fs(e->type, e->m->source, e->o.flags, e->o.data, set, &mnt, err);
	if (r == -EPERM && sys) {
		berth_error_release(err);
		return bind_host_sys(target, &e->o, err);
	}
	if (r < 0)
		return r;
	r = berth_fd_check_fs(mnt, sys ? SYSFS_MAGIC : PROC_SUPER_MAGIC, e->dest, err);
	if (r < 0)
		return r;
	return attach_and_finish(mnt, target, &e->o, false, err);
}

/* Does the comma-separated data have a "key=..." option? */
static bool data_has_key(const char *data, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = data; p && *p;) {
		if (strncmp(p, key, n) == 0 && p[n] == '=')
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* Before a new tmpfs is attached: copy the directory's contents up, keep its mode (runc does both). */
static int tmpfs_init(int target, int mnt, const struct entry *e, const struct stat *old, struct berth_error *err)
{
	_cleanup_close_ int dst = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (dst < 0)
		return berth_error_set(err, errno, "open the new tmpfs");
	if (e->o.tmpcopyup) {
		_cleanup_close_ int src = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (src < 0)
			return berth_error_set(err, errno, "open `%s`", e->dest);
		r = berth_mount_copy_up(src, dst, err);
		if (r < 0)
			return berth_error_prefix(err, "tmpcopyup");
	}
	if (old && !data_has_key(e->o.data, "mode") && fchmod(dst, old->st_mode & 07777) < 0)
		return berth_error_set(err, errno, "chmod the new tmpfs");
	return 0;
}

/* tmpfs, mqueue, devpts and any other filesystem by name. */
static int mount_fs(struct rootfs_ctx *c, struct entry *e, struct berth_error *err)
{
	_cleanup_close_ int target = -EBADF, mnt = -EBADF;
	_cleanup_free_ char *data = NULL;
	bool tmpfs = strcmp(e->type, "tmpfs") == 0, existed;
	unsigned long flags = e->o.flags;
	uint64_t set, clr;
	struct stat st;
	int r;

	r = berth_openat2(c->root_fd, e->dest, O_PATH, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	existed = r >= 0 && fstat(r, &st) == 0;
	if (r >= 0)
		close(r);
	r = berth_path_open_in_root(c->root_fd, e->dest, dest_flags(e->dest, BERTH_PATH_MKDIR), &target, err);
	if (r < 0)
		return r;
	if (!tmpfs && strcmp(e->type, "mqueue") != 0) {
		r = check_proc_mount(e->dest, target, -EBADF, e->type, err);
		if (r < 0)
			return r;
	}
	/* devices are made in /dev after it is mounted: read-only comes in berth_rootfs_finalize() */
	if (c->setup_dev && strcmp(e->dest, "/dev") == 0)
		flags &= ~(unsigned long)MS_RDONLY;
	{
		struct berth_mount_options o = e->o;

		o.flags = flags;
		berth_mount_options_attr(&o, &set, &clr);
	}
	data = strcmp(e->type, "mqueue") == 0 ? berth_xstrdup_or_null(e->o.data)
					       : berth_mount_label_data(e->o.data, c->cfg->linux_.mount_label);
	r = berth_mount_new_fs(e->type, e->m->source, flags, data, set, &mnt, err);
	if (r == -EPERM && strcmp(e->type, "mqueue") == 0 && c->opts->in_userns) {
		/* not our ipc namespace's to mount: show the host's, as runc does for rootless */
		berth_error_release(err);
		r = berth_mount_clone(AT_FDCWD, "/dev/mqueue", false, &mnt, err);
		if (r < 0)
			return r;
		return attach_and_finish(mnt, target, &e->o, true, err);
	}
	if (r < 0)
		return r;
	if (tmpfs && (e->o.tmpcopyup || existed)) {
		r = tmpfs_init(target, mnt, e, existed ? &st : NULL, err);
		if (r < 0)
			return r;
	}
	return attach_and_finish(mnt, target, &e->o, false, err);
}

/* A mount with the "remount" option changes a mount already at the destination (runc passes it to mount(2)). */
static int mount_remount(struct rootfs_ctx *c, struct entry *e, struct berth_error *err)
{
	_cleanup_close_ int target = -EBADF;
	char path[64];
	int r;

	r = berth_path_open_in_root(c->root_fd, e->dest, 0, &target, err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", target);
	if (mount(e->m->source, path, e->type[0] ? e->type : NULL, e->o.flags, e->o.data) < 0)
		return berth_error_set(err, errno, "remount");
	return finish_mount(target, &e->o, false, err);
}

/* A line of /proc/self/cgroup: "4:cpu,cpuacct:/path" (controllers "" for the cgroup2 line). */
struct own_cgroup {
	char *controllers;
	char *path;
};

static void own_cgroups_free(struct own_cgroup *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].controllers);
		free(v[i].path);
	}
	free(v);
}

static int own_cgroups_read(struct own_cgroup **ret, size_t *ret_n, struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	struct own_cgroup *v = NULL;
	size_t n = 0;
	int r;

	r = berth_read_file("/proc/self/cgroup", 0, &buf, NULL, err);
	if (r < 0)
		return r;
	for (char *line = buf, *next; line && *line; line = next) {
		char *a, *b;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		a = strchr(line, ':');
		b = a ? strchr(a + 1, ':') : NULL;
		if (!b)
			continue;
		*b = '\0';
		v = berth_xreallocarray(v, n + 1, sizeof(*v));
		v[n].controllers = berth_xstrdup(a + 1);
		v[n].path = berth_xstrdup(b + 1);
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Is every controller of the comma-separated list among the superblock options of a v1 mount? */
static bool hierarchy_matches(const struct berth_mountinfo *mi, const char *controllers)
{
	_cleanup_free_ char *copy = berth_xstrdup(controllers);
	char *save = NULL;

	for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save))
		if (!berth_mount_option_in_list(mi->super_options, c))
			return false;
	return true;
}

/* The host mount of the v1 hierarchy with these controllers from which our cgroup is reachable. */
static const struct berth_mountinfo *find_hierarchy(const struct berth_mountinfo *mi, size_t n, const char *rootfs,
						    const struct own_cgroup *cg, bool any_root)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(mi[i].fstype, "cgroup") != 0 || path_is_below(mi[i].mount_point, rootfs) ||
		    !hierarchy_matches(&mi[i], cg->controllers))
			continue;
		if (any_root || path_is_below(cg->path, mi[i].root))
			return &mi[i];
	}
	return NULL;
}

/* One v1 hierarchy below the cgroup tmpfs: fresh in a cgroup namespace, else a bind of our own cgroup. */
static int mount_cgroup_v1_one(struct rootfs_ctx *c, struct entry *e, int tmp, const struct berth_mountinfo *h,
			       const struct own_cgroup *cg, struct berth_error *err)
{
	const char *name = strrchr(h->mount_point, '/') + 1;
	_cleanup_close_ int sub = -EBADF, mnt = -EBADF;
	uint64_t set, clr;
	int r;

	if (!name[0])
		return 0;

	if (mkdirat(tmp, name, 0755) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "mkdir `%s/%s`", e->dest, name);
	sub = berth_openat2(tmp, name, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	if (sub < 0)
		return berth_error_set(err, -sub, "open `%s/%s`", e->dest, name);
	if (c->opts->new_cgroupns) {
		berth_mount_options_attr(&e->o, &set, &clr);
		r = berth_mount_new_fs("cgroup", "cgroup", 0, cg->controllers, set, &mnt, err);
		if (r < 0)
			return berth_error_prefix(err, "cgroup `%s`", cg->controllers);
		return attach_and_finish(mnt, sub, &e->o, false, err);
	} else {
		const char *rel = cg->path + (strcmp(h->root, "/") == 0 ? 0 : strlen(h->root));
		_cleanup_free_ char *src = berth_xasprintf("%s%s", h->mount_point, rel);

		r = berth_mount_clone(AT_FDCWD, src, true, &mnt, err);
		if (r < 0)
			return r;
		return attach_and_finish(mnt, sub, &e->o, true, err);
	}
}

/*
 * cgroup v1, as runc's mountCgroupV1: a tmpfs with one directory per
 * hierarchy (named as on the host: "cpu,cpuacct", "systemd"), symlinks for
 * co-mounted controllers ("cpu" -> "cpu,cpuacct"), read-only at the end.
 */
static int mount_cgroup_v1(struct rootfs_ctx *c, struct entry *e, struct berth_error *err)
{
	const uint64_t tmp_attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	_cleanup_close_ int target = -EBADF, tmp = -EBADF;
	struct berth_mountinfo *mi = NULL;
	struct own_cgroup *cg = NULL;
	size_t n_mi = 0, n_cg = 0;
	int r;

	r = berth_path_open_in_root(c->root_fd, e->dest, BERTH_PATH_MKDIR, &target, err);
	if (r < 0)
		return r;
	r = berth_mount_new_fs("tmpfs", "tmpfs", 0, "mode=755", tmp_attr, &tmp, err);
	if (r < 0)
		return r;
	r = berth_mount_attach(tmp, target, err);
	if (r < 0)
		return r;
	r = berth_mountinfo_read(NULL, &mi, &n_mi, err);
	if (r >= 0)
		r = own_cgroups_read(&cg, &n_cg, err);
	for (size_t i = 0; r >= 0 && i < n_cg; i++) {
		const struct berth_mountinfo *h;
		const char *name;

		if (!cg[i].controllers[0])
			continue; /* the cgroup2 line: runc leaves the hybrid unified hierarchy out too */
		h = find_hierarchy(mi, n_mi, c->rootfs, &cg[i], c->opts->new_cgroupns);
		if (!h)
			continue;
		r = mount_cgroup_v1_one(c, e, tmp, h, &cg[i], err);
		name = strrchr(h->mount_point, '/') + 1;
		if (r >= 0 && strchr(name, ',')) {
			_cleanup_free_ char *copy = berth_xstrdup(name);
			char *save = NULL;

			for (char *s = strtok_r(copy, ",", &save); s && r >= 0; s = strtok_r(NULL, ",", &save))
				if (symlinkat(name, tmp, s) < 0 && errno != EEXIST)
					r = berth_error_set(err, errno, "symlink `%s/%s`", e->dest, s);
		}
	}
	berth_mountinfo_free(mi, n_mi);
	own_cgroups_free(cg, n_cg);
	if (r < 0)
		return r;
	if (e->o.flags & MS_RDONLY) {
		r = berth_mount_setattr(tmp, false, MOUNT_ATTR_RDONLY, 0, err);
		if (r < 0)
			return r;
	}
	return finish_mount(tmp, &e->o, false, err);
}

/* cgroup v2: fresh in a cgroup namespace, else (or when that is refused) a bind of our own cgroup. */
static int mount_cgroup_v2(struct rootfs_ctx *c, struct entry *e, struct berth_error *err)
{
	_cleanup_close_ int target = -EBADF, mnt = -EBADF;
	_cleanup_free_ char *src = NULL;
	struct own_cgroup *cg = NULL;
	size_t n_cg = 0;
	uint64_t set, clr;
	int r;

	r = berth_path_open_in_root(c->root_fd, e->dest, BERTH_PATH_MKDIR, &target, err);
	if (r < 0)
		return r;
	berth_mount_options_attr(&e->o, &set, &clr);
	if (c->opts->new_cgroupns) {
		r = berth_mount_new_fs("cgroup2", e->m->source, 0, e->o.data, set, &mnt, err);
		if (r >= 0)
			return attach_and_finish(mnt, target, &e->o, false, err);
		if (r != -EPERM)
			return r;
		berth_error_release(err);
	}
	r = own_cgroups_read(&cg, &n_cg, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_cg && !src; i++)
		if (!cg[i].controllers[0])
			src = berth_xasprintf("/sys/fs/cgroup%s", strcmp(cg[i].path, "/") == 0 ? "" : cg[i].path);
	own_cgroups_free(cg, n_cg);
	if (!src)
		return berth_error_setx(err, ENOENT, "no cgroup2 line in `/proc/self/cgroup`");
	r = berth_mount_clone(AT_FDCWD, src, true, &mnt, err);
	if (r < 0)
		return r;
	return attach_and_finish(mnt, target, &e->o, true, err);
}

static int mount_cgroup(struct rootfs_ctx *c, struct entry *e, struct berth_error *err)
{
	struct statfs sfs;

	if (statfs("/sys/fs/cgroup", &sfs) < 0)
		return berth_error_set(err, errno, "statfs `/sys/fs/cgroup`");
	if (sfs.f_type == CGROUP2_SUPER_MAGIC)
		return mount_cgroup_v2(c, e, err);
	return mount_cgroup_v1(c, e, err);
}

static void entry_release(struct entry *e)
{
	free(e->dest);
	berth_mount_options_release(&e->o);
}

static int mount_entry(struct rootfs_ctx *c, const struct berth_oci_mount *m, struct berth_error *err)
{
	_cleanup_(entry_release) struct entry e = { .m = m, .type = m->type ? m->type : "" };
	int r;

	e.dest = berth_path_clean(m->destination);
	r = berth_mount_options_parse(m->options, &e.o, err);
	if (r < 0)
		return berth_error_prefix(err, "mount `%s`", m->destination);
	/* the spec says type is a no-op for binds; "bind" as a type alone still means one */
	if (strcmp(e.type, "bind") == 0)
		e.o.flags |= MS_BIND;
	else if (strcmp(e.type, "rbind") == 0)
		e.o.flags |= MS_BIND | MS_REC;

	if (e.o.flags & MS_REMOUNT)
		r = mount_remount(c, &e, err);
	else if (e.o.flags & MS_BIND)
		r = mount_bind(c, &e, err);
	else if (!e.type[0])
		r = berth_error_setx(err, EINVAL, "no filesystem type");
	else if (strcmp(e.type, "proc") == 0 || strcmp(e.type, "sysfs") == 0)
		r = mount_proc_or_sys(c, &e, err);
	else if (strcmp(e.type, "cgroup") == 0 || strcmp(e.type, "cgroup2") == 0)
		r = mount_cgroup(c, &e, err);
	else
		r = mount_fs(c, &e, err);
	if (r < 0)
		return berth_error_prefix(err, "mount `%s`", m->destination);
	if (strcmp(e.dest, "/") == 0) {
		/* something is on top of the rootfs now: resolve from there */
		int fd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return berth_error_set(err, errno, "open `%s`", c->rootfs);
		close(c->root_fd);
		c->root_fd = fd;
	}
	return 0;
}

/* runc's needsSetupDev: /dev is populated unless the config binds one in. */
static bool needs_dev_setup(const struct berth_oci_config *cfg)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct berth_oci_mount *m = &cfg->mounts[i];
		_cleanup_free_ char *dest = berth_path_clean(m->destination);

		if (strcmp(dest, "/dev") != 0)
			continue;
		if (streq(m->type, "bind") || streq(m->type, "rbind"))
			return false;
		for (size_t j = 0; m->options && m->options[j]; j++)
			if (strcmp(m->options[j], "bind") == 0 || strcmp(m->options[j], "rbind") == 0)
				return false;
	}
	return true;
}

/* pivot_root refuses a new root whose parent mount is shared: make the mount holding rootfs private. */
static int make_parent_private(const char *rootfs, struct berth_error *err)
{
	struct berth_mountinfo *mi = NULL;
	const struct berth_mountinfo *best = NULL;
	size_t n = 0;
	int r;

	r = berth_mountinfo_read(NULL, &mi, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (path_is_below(rootfs, mi[i].mount_point) &&
		    (!best || strlen(mi[i].mount_point) >= strlen(best->mount_point)))
			best = &mi[i];
	if (best && strstr(best->optional, "shared:") && mount(NULL, best->mount_point, NULL, MS_PRIVATE, NULL) < 0)
		r = berth_error_set(err, errno, "make `%s` private", best->mount_point);
	berth_mountinfo_free(mi, n);
	return r;
}

int berth_rootfs_prepare(const struct berth_oci_config *cfg, const char *rootfs, const struct berth_rootfs_options *opts,
			 struct berth_error *err)
{
	_cleanup_close_ int root_fd = -EBADF;
	_cleanup_free_ char *real = realpath(rootfs, NULL);
	struct rootfs_ctx c = { .cfg = cfg, .rootfs = real, .opts = opts, .setup_dev = needs_dev_setup(cfg) };
	unsigned long propagation = MS_SLAVE | MS_REC;
	int r;

	/* the host path is trusted; resolved so it compares with mountinfo's mount points */
	if (!real)
		return berth_error_set(err, errno, "resolve `%s`", rootfs);
	rootfs = real;

	if (cfg->linux_.rootfs_propagation) {
		r = berth_mount_propagation_parse(cfg->linux_.rootfs_propagation, &propagation, err);
		if (r < 0)
			return berth_error_prefix(err, "linux.rootfsPropagation");
	}
	/* nothing we mount from here on may reach the host */
	if (mount(NULL, "/", NULL, propagation, NULL) < 0)
		return berth_error_set(err, errno, "set the propagation of `/`");
	/* after a recursive slave or private nothing is shared: skip reading a long mountinfo */
	if (!(propagation & MS_REC) || !(propagation & (MS_SLAVE | MS_PRIVATE))) {
		r = make_parent_private(rootfs, err);
		if (r < 0)
			return r;
	}
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_error_set(err, errno, "bind `%s` onto itself", rootfs);
	root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return berth_error_set(err, errno, "open `%s`", rootfs);
	c.root_fd = root_fd;

	for (size_t i = 0; i < cfg->n_mounts; i++) {
		r = mount_entry(&c, &cfg->mounts[i], err);
		root_fd = c.root_fd;
		if (r < 0)
			return r;
	}
	if (c.setup_dev) {
		r = berth_devices_setup(root_fd, cfg, opts->in_userns, err);
		if (r < 0)
			return r;
	}
	if (cfg->process && cfg->process->terminal) {
		/* made now: /dev or / may be read-only by the time the console is bound */
		_cleanup_close_ int console = -EBADF;

		r = berth_path_open_in_root(root_fd, "/dev/console", BERTH_PATH_MKFILE | BERTH_PATH_NOFOLLOW, &console,
					    err);
		if (r < 0)
			return r;
	}
	return 0;
}

int berth_rootfs_pivot(const char *rootfs, bool no_pivot, struct berth_error *err)
{
	return no_pivot ? berth_pivot_move_root(rootfs, err) : berth_pivot_root(rootfs, err);
}

/* /dev was mounted writable so devices could be made in it: now honour its "ro". */
static int dev_readonly(int root_fd, const struct berth_oci_config *cfg, struct berth_error *err)
{
	_cleanup_close_ int dev = -EBADF;
	bool ro = false;
	int r;

	if (!needs_dev_setup(cfg))
		return 0;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		_cleanup_free_ char *dest = berth_path_clean(cfg->mounts[i].destination);

		if (strcmp(dest, "/dev") != 0)
			continue;
		ro = false;
		for (size_t j = 0; cfg->mounts[i].options && cfg->mounts[i].options[j]; j++) {
			if (strcmp(cfg->mounts[i].options[j], "ro") == 0)
				ro = true;
			else if (strcmp(cfg->mounts[i].options[j], "rw") == 0)
				ro = false;
		}
	}
	if (!ro)
		return 0;
	r = berth_path_open_in_root(root_fd, "/dev", BERTH_PATH_DIRECTORY, &dev, err);
	if (r < 0)
		return r;
	r = berth_mount_setattr(dev, false, MOUNT_ATTR_RDONLY, 0, err);
	if (r < 0)
		return berth_error_prefix(err, "remount `/dev` read-only");
	return 0;
}

int berth_rootfs_finalize(const struct berth_oci_config *cfg, struct berth_error *err)
{
	_cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (root_fd < 0)
		return berth_error_set(err, errno, "open `/`");
	r = dev_readonly(root_fd, cfg, err);
	if (r < 0)
		return r;
	if (cfg->root.readonly) {
		r = berth_mount_setattr(root_fd, false, MOUNT_ATTR_RDONLY, 0, err);
		if (r < 0)
			return berth_error_prefix(err, "remount `/` read-only");
	}
	/* before readonlyPaths, which usually include /proc/sys */
	if (cfg->linux_.n_sysctls) {
		_cleanup_close_ int proc = -EBADF;

		r = berth_path_open_in_root(root_fd, "/proc", BERTH_PATH_NOFOLLOW | BERTH_PATH_DIRECTORY, &proc, err);
		if (r < 0)
			return berth_error_prefix(err, "sysctl");
		r = berth_sysctl_apply(proc, cfg, err);
		if (r < 0)
			return r;
	}
	r = berth_readonly_paths_apply(root_fd, cfg->linux_.readonly_paths, err);
	if (r < 0)
		return r;
	r = berth_masked_paths_apply(root_fd, cfg->linux_.masked_paths, cfg->linux_.mount_label, err);
	if (r < 0)
		return r;
	if (cfg->linux_.rootfs_propagation) {
		unsigned long propagation;

		r = berth_mount_propagation_parse(cfg->linux_.rootfs_propagation, &propagation, err);
		if (r >= 0)
			r = berth_mount_set_propagation(root_fd, propagation, err);
		if (r < 0)
			return berth_error_prefix(err, "linux.rootfsPropagation");
	}
	return 0;
}

int berth_rootfs_bind_console(const char *slave_path, struct berth_error *err)
{
	_cleanup_close_ int root_fd = -EBADF, slave = -EBADF, console = -EBADF, mnt = -EBADF;
	struct stat st;
	int r;

	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return berth_error_set(err, errno, "open `/`");
	slave = berth_openat2(root_fd, slave_path, O_PATH | O_NOFOLLOW, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	if (slave < 0)
		return berth_error_set(err, -slave, "open `%s`", slave_path);
	if (fstat(slave, &st) < 0)
		return berth_error_set(err, errno, "stat `%s`", slave_path);
	if (!S_ISCHR(st.st_mode))
		return berth_error_setx(err, EINVAL, "`%s` is not a terminal device", slave_path);
	r = berth_path_open_in_root(root_fd, "/dev/console", BERTH_PATH_MKFILE | BERTH_PATH_NOFOLLOW, &console, err);
	if (r < 0)
		return berth_error_prefix(err, "bind console");
	if (fstat(console, &st) < 0)
		return berth_error_set(err, errno, "stat `/dev/console`");
	if (S_ISDIR(st.st_mode))
		return berth_error_setx(err, EISDIR, "`/dev/console` is a directory");
	r = berth_mount_clone(slave, "", false, &mnt, err);
	if (r >= 0)
		r = berth_mount_attach(mnt, console, err);
	if (r < 0)
		return berth_error_prefix(err, "bind `%s` onto `/dev/console`", slave_path);
	return 0;
}
