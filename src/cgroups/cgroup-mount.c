/* Which cgroup layout the host has, where each hierarchy is mounted, and our own cgroups. */
#include "cgroups/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_UNIFIED_HYBRID CGROUP_ROOT "/unified"

/* One line of /proc/self/cgroup: "ID:CONTROLLERS:PATH". */
struct own_entry {
	char *controllers;
	char *path;
};

static enum berth_cgroup_mode cached_mode = _BERTH_CGROUP_MODE_INVALID;
static char *testing_root;

static struct berth_cgroup_hier *hiers;
static size_t n_hiers;
static bool hiers_loaded;

static struct own_entry *own;
static size_t n_own;
static bool own_loaded;

const char *berth_cgroup_mode_to_string(enum berth_cgroup_mode mode)
{
	static const char *const names[_BERTH_CGROUP_MODE_MAX] = {
		[BERTH_CGROUP_LEGACY] = "legacy",
		[BERTH_CGROUP_HYBRID] = "hybrid",
		[BERTH_CGROUP_UNIFIED] = "unified",
	};

	if (mode < 0 || mode >= _BERTH_CGROUP_MODE_MAX)
		return NULL;
	return names[mode];
}

const char *berth_cgroup_unified_root(void)
{
	return testing_root ? testing_root : CGROUP_ROOT;
}

int berth_cgroup_detect_mode(enum berth_cgroup_mode *ret, struct berth_error *err)
{
	struct statfs fs;

	if (testing_root)
		cached_mode = BERTH_CGROUP_UNIFIED;
	if (cached_mode != _BERTH_CGROUP_MODE_INVALID) {
		*ret = cached_mode;
		return 0;
	}

	if (statfs(CGROUP_ROOT, &fs) < 0)
		return berth_error_set(err, errno, "statfs `%s`", CGROUP_ROOT);
	if (fs.f_type == CGROUP2_SUPER_MAGIC) {
		cached_mode = BERTH_CGROUP_UNIFIED;
	} else if (fs.f_type == TMPFS_MAGIC || fs.f_type == CGROUP_SUPER_MAGIC) {
		if (statfs(CGROUP_UNIFIED_HYBRID, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
			cached_mode = BERTH_CGROUP_HYBRID;
		else
			cached_mode = BERTH_CGROUP_LEGACY;
	} else {
		return berth_error_setx(err, ENOMEDIUM, "no cgroup filesystem mounted on `%s` (type 0x%llx)",
					CGROUP_ROOT, (unsigned long long)fs.f_type);
	}
	*ret = cached_mode;
	return 0;
}

static void hier_release(struct berth_cgroup_hier *h)
{
	free(h->controllers);
	free(h->mountpoint);
	free(h->mount_root);
}

void berth_cgroup_set_root_for_testing(const char *root)
{
	free(testing_root);
	testing_root = berth_xstrdup_or_null(root);
	cached_mode = _BERTH_CGROUP_MODE_INVALID;
	for (size_t i = 0; i < n_hiers; i++)
		hier_release(&hiers[i]);
	free(hiers);
	hiers = NULL;
	n_hiers = 0;
	hiers_loaded = false;
}

static int load_own(struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	char *line, *save = NULL;
	int r;

	if (own_loaded)
		return 0;
	r = berth_read_file("/proc/self/cgroup", 0, &buf, NULL, err);
	if (r < 0)
		return r;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		own = berth_xreallocarray(own, n_own + 1, sizeof(*own));
		own[n_own].controllers = berth_xstrdup(c1 + 1);
		own[n_own].path = berth_xstrdup(c2 + 1);
		n_own++;
	}
	own_loaded = true;
	return 0;
}

int berth_cgroup_get_own(const struct berth_cgroup_hier *h, char **ret, struct berth_error *err)
{
	size_t rootlen = strlen(h->mount_root);
	int r;

	r = load_own(err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_own; i++) {
		const char *p = own[i].path;

		if (strcmp(own[i].controllers, h->controllers) != 0)
			continue;
		/* a bind mount of a subtree: make the path relative to what is mounted */
		if (strcmp(h->mount_root, "/") != 0 && strncmp(p, h->mount_root, rootlen) == 0 &&
		    (p[rootlen] == '/' || p[rootlen] == '\0'))
			p += rootlen;
		*ret = berth_xstrdup(p[0] ? p : "/");
		return 0;
	}
	return berth_error_setx(err, ENOENT, "no `%s` hierarchy in `/proc/self/cgroup`",
				h->controllers[0] ? h->controllers : "cgroup2");
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
		    p[3] <= '7') {
			*w++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

/* Every controller of the comma-separated list is among the mount's super options. */
static bool options_cover(const char *super_opts, const char *controllers)
{
	_cleanup_free_ char *copy = berth_xstrdup(controllers);
	char *c, *save = NULL;

	for (c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save))
		if (!berth_cgroup_has_controller(super_opts, c))
			return false;
	return true;
}

static bool under_cgroup_root(const char *mountpoint)
{
	return strncmp(mountpoint, CGROUP_ROOT "/", strlen(CGROUP_ROOT) + 1) == 0;
}

/*
 * Record a mount for the hierarchy named by controllers; a second mount of the
 * same hierarchy only wins if the first was outside /sys/fs/cgroup.
 */
static void add_hier(const char *controllers, const char *mountpoint, const char *root, bool unified)
{
	for (size_t i = 0; i < n_hiers; i++) {
		struct berth_cgroup_hier *h = &hiers[i];

		if (h->unified != unified || strcmp(h->controllers, controllers) != 0)
			continue;
		if (!under_cgroup_root(h->mountpoint) && under_cgroup_root(mountpoint)) {
			free(h->mountpoint);
			free(h->mount_root);
			h->mountpoint = berth_xstrdup(mountpoint);
			h->mount_root = berth_xstrdup(root);
		}
		return;
	}
	hiers = berth_xreallocarray(hiers, n_hiers + 1, sizeof(*hiers));
	hiers[n_hiers++] = (struct berth_cgroup_hier){
		.controllers = berth_xstrdup(controllers),
		.mountpoint = berth_xstrdup(mountpoint),
		.mount_root = berth_xstrdup(root),
		.unified = unified,
	};
}

/* "36 25 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:15 - cgroup cgroup rw,cpu,cpuacct" */
static void parse_mountinfo_line(char *line, bool want_unified)
{
	char *fields[5], *sep, *fstype, *super_opts, *save = NULL, *p = line;

	/* optional fields ("shared:15") end at a lone "-"; paths are escaped, so " - " is unambiguous */
	sep = strstr(line, " - ");
	if (!sep)
		return;
	*sep = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		fields[i] = strtok_r(p, " ", &save);
		p = NULL;
		if (!fields[i])
			return;
	}
	fstype = strtok_r(sep + 3, " ", &save);
	if (!fstype || !strtok_r(NULL, " ", &save))
		return;
	super_opts = strtok_r(NULL, " ", &save);
	if (!super_opts)
		return;
	unescape_octal(fields[3]);
	unescape_octal(fields[4]);

	if (strcmp(fstype, "cgroup2") == 0) {
		if (want_unified)
			add_hier("", fields[4], fields[3], true);
		return;
	}
	if (strcmp(fstype, "cgroup") != 0)
		return;
	for (size_t i = 0; i < n_own; i++) {
		if (own[i].controllers[0] && options_cover(super_opts, own[i].controllers)) {
			add_hier(own[i].controllers, fields[4], fields[3], false);
			return;
		}
	}
}

static int load_hierarchies(enum berth_cgroup_mode mode, struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	char *line, *save = NULL;
	int r;

	if (mode == BERTH_CGROUP_UNIFIED) {
		add_hier("", berth_cgroup_unified_root(), "/", true);
		return 0;
	}

	/* /proc/self/cgroup names the hierarchies; mountinfo says where they are */
	r = load_own(err);
	if (r < 0)
		return r;
	r = berth_read_file("/proc/self/mountinfo", 0, &buf, NULL, err);
	if (r < 0)
		return r;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		parse_mountinfo_line(line, mode == BERTH_CGROUP_HYBRID);
	if (n_hiers == 0)
		return berth_error_setx(err, ENOENT, "no cgroup v1 hierarchy is mounted");
	return 0;
}

int berth_cgroup_get_hierarchies(const struct berth_cgroup_hier **ret, size_t *ret_n, struct berth_error *err)
{
	enum berth_cgroup_mode mode;
	int r;

	if (!hiers_loaded) {
		r = berth_cgroup_detect_mode(&mode, err);
		if (r < 0)
			return r;
		r = load_hierarchies(mode, err);
		if (r < 0)
			return r;
		hiers_loaded = true;
	}
	*ret = hiers;
	*ret_n = n_hiers;
	return 0;
}
