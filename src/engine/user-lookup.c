#include "engine/user-lookup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define DB_MAX_SIZE (4 * 1024 * 1024)

static bool parse_id(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v > UINT32_MAX - 1)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* The lines of a colon file inside the root; a missing file is empty. */
static int read_db(int rootfs_fd, const char *path, char ***ret, struct berth_error *err)
{
	_cleanup_close_ int fd = berth_openat2(rootfs_fd, path, O_RDONLY | O_CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	char *save = NULL;
	char **lines = NULL;
	int r;

	if (fd == -ENOENT) {
		*ret = berth_xcalloc(1, sizeof(char *));
		return 0;
	}
	if (fd < 0)
		return berth_error_set(err, -fd, "open \"%s\" in the container", path);
	if ((r = berth_read_fd(fd, path, DB_MAX_SIZE, &buf, &len, err)) < 0)
		return berth_error_prefix(err, "read \"%s\"", path);
	lines = berth_xcalloc(1, sizeof(char *));
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (*l && *l != '#')
			berth_strv_push(&lines, l);
	*ret = lines;
	return 0;
}

/* Split a colon line into at most n fields (pointers into line); returns the count. */
static size_t fields(char *line, char **f, size_t n)
{
	size_t i = 0;

	f[i++] = line;
	for (char *p = line; *p && i < n; p++)
		if (*p == ':') {
			*p = '\0';
			f[i++] = p + 1;
		}
	return i;
}

static void add_group(struct berth_user *u, uint32_t gid)
{
	for (size_t i = 0; i < u->n_groups; i++)
		if (u->groups[i] == gid)
			return;
	u->groups = berth_xreallocarray(u->groups, u->n_groups + 1, sizeof(uint32_t));
	u->groups[u->n_groups++] = gid;
}

int berth_user_resolve(int rootfs_fd, const char *spec, struct berth_user *ret, struct berth_error *err)
{
	_cleanup_strv_free_ char **passwd = NULL, **group = NULL;
	/* no user (or only ":group") is root */
	_cleanup_free_ char *user = berth_xasprintf("%s%s", !spec || !*spec || *spec == ':' ? "0" : "", spec ? spec : ""),
			    *name = NULL;
	char *grp = strchr(user, ':');
	struct berth_user u = { 0 };
	bool found = false, numeric;
	int r;

	if (grp)
		*grp++ = '\0';
	if ((r = read_db(rootfs_fd, "/etc/passwd", &passwd, err)) < 0 || (r = read_db(rootfs_fd, "/etc/group", &group, err)) < 0)
		return r;

	numeric = parse_id(user, &u.uid);
	for (size_t i = 0; passwd[i]; i++) {
		char *f[7];
		uint32_t id, gid;
		if (fields(passwd[i], f, 7) < 4 || !parse_id(f[2], &id) || !parse_id(f[3], &gid))
			continue;
		if (numeric ? id == u.uid : strcmp(f[0], user) == 0) {
			u.uid = id;
			u.gid = gid;
			name = berth_xstrdup(f[0]);
			found = true;
			break;
		}
	}
	if (!found && !numeric)
		return berth_error_setx(err, ENOENT, "unable to find user %s: no matching entries in passwd file", user);

	if (grp && *grp && !parse_id(grp, &u.gid)) {
		bool gfound = false;
		for (size_t i = 0; group[i] && !gfound; i++) {
			char *f[4];
			uint32_t gid;
			if (fields(group[i], f, 4) >= 3 && strcmp(f[0], grp) == 0 && parse_id(f[2], &gid)) {
				u.gid = gid;
				gfound = true;
			}
		}
		if (!gfound)
			return berth_error_setx(err, ENOENT, "unable to find group %s: no matching entries in group file", grp);
	}
	/* supplementary groups: every group listing the user by name (not with an explicit :group, as docker) */
	for (size_t i = 0; name && !grp && group[i]; i++) {
		char *f[4], *save = NULL;
		uint32_t gid;
		if (fields(group[i], f, 4) < 4 || !parse_id(f[2], &gid))
			continue;
		for (char *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
			if (strcmp(m, name) == 0 && gid != u.gid)
				add_group(&u, gid);
	}
	*ret = u;
	return 0;
}

void berth_user_release(struct berth_user *u)
{
	free(u->groups);
	*u = (struct berth_user){ 0 };
}
