/* linux.cgroupsPath -> cgroup path: pure string logic, see berth_cgroup_path_resolve(). */
#include "cgroups/cgroup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

#define SLICE_SUFFIX ".slice"
#define DEFAULT_SLICE "system.slice"
#define DEFAULT_SCOPE_PREFIX "berth"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int check_chars(const char *what, const char *s, struct berth_error *err)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return berth_error_setx(err, EINVAL, "%s `%s` contains a control character", what, s);
	return 0;
}

/*
 * Normalise a '/'-separated path: drop empty and "." components, refuse "..".
 * The result keeps a leading '/' when s had one, never has a trailing one, and
 * is at least one component long.
 */
static int normalize(const char *s, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *out = NULL;
	bool absolute = s[0] == '/';
	size_t len = 0, n_comp = 0;
	const char *p = s;
	int r;

	r = check_chars("cgroup path", s, err);
	if (r < 0)
		return r;
	if (strlen(s) >= PATH_MAX)
		return berth_error_setx(err, EINVAL, "cgroup path `%.64s...` is too long", s);

	out = berth_xmalloc(strlen(s) + 2);
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* empty or "." component */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			return berth_error_setx(err, EINVAL, "cgroup path `%s` must not contain `..`", s);
		} else if (n > NAME_MAX) {
			return berth_error_setx(err, EINVAL, "cgroup path `%.64s...` has a component longer than %d bytes",
						s, NAME_MAX);
		} else {
			if (absolute || n_comp > 0)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
			n_comp++;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	out[len] = '\0';
	if (n_comp == 0) {
		if (absolute)
			return berth_error_setx(err, EINVAL, "cgroup path `%s` names the root cgroup", s);
		return berth_error_setx(err, EINVAL, "cgroup path `%s` names the runtime's own cgroup", s);
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static int check_id(const char *id, struct berth_error *err)
{
	if (!id || !id[0])
		return berth_error_setx(err, EINVAL, "empty container id");
	if (strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return berth_error_setx(err, EINVAL, "container id `%s` cannot be a cgroup name", id);
	return check_chars("container id", id, err);
}

/* "a-b.slice" -> "/a.slice/a-b.slice", "-.slice" -> "" (the root); as systemd and runc's ExpandSlice(). */
static int expand_slice(const char *slice, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *out = NULL;
	size_t stem_len, len = 0;
	const char *p;

	if (!has_suffix(slice, SLICE_SUFFIX) || strlen(slice) == strlen(SLICE_SUFFIX) || strchr(slice, '/'))
		return berth_error_setx(err, EINVAL, "invalid slice name `%s`", slice);
	stem_len = strlen(slice) - strlen(SLICE_SUFFIX);
	if (stem_len == 1 && slice[0] == '-') {
		*ret = berth_xstrdup("");
		return 0;
	}

	/* every component is a prefix of the stem plus ".slice", so this bounds the total */
	out = berth_xmalloc((stem_len + 1) * (stem_len + strlen(SLICE_SUFFIX) + 1) + 1);
	p = slice;
	for (;;) {
		size_t n = strcspn(p, "-");

		if (p + n > slice + stem_len)
			n = (size_t)(slice + stem_len - p);
		/* "a--b.slice", "-a.slice" and "a-.slice" have an empty component */
		if (n == 0)
			return berth_error_setx(err, EINVAL, "invalid slice name `%s`", slice);
		len += (size_t)sprintf(out + len, "/%.*s" SLICE_SUFFIX, (int)(p - slice + n), slice);
		p += n;
		if (p == slice + stem_len)
			break;
		p++; /* the '-' */
		if (p == slice + stem_len)
			return berth_error_setx(err, EINVAL, "invalid slice name `%s`", slice);
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static int resolve_systemd(const char *cgroups_path, const char *id, char **ret_path, struct berth_error *err)
{
	_cleanup_free_ char *copy = NULL, *slice_path = NULL, *unit = NULL, *joined = NULL;
	const char *slice = DEFAULT_SLICE, *prefix = DEFAULT_SCOPE_PREFIX, *name = id;
	int r;

	if (cgroups_path && cgroups_path[0]) {
		char *c1, *c2;

		copy = berth_xstrdup(cgroups_path);
		c1 = strchr(copy, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || strchr(c2 + 1, ':'))
			return berth_error_setx(err, EINVAL,
						"expected cgroupsPath to be of format `slice:prefix:name` for systemd "
						"cgroups, got `%s` instead",
						cgroups_path);
		*c1 = *c2 = '\0';
		if (copy[0])
			slice = copy;
		prefix = c1 + 1;
		name = c2 + 1;
		if (!name[0] || strchr(name, '/') || strchr(prefix, '/'))
			return berth_error_setx(err, EINVAL, "invalid systemd cgroupsPath `%s`", cgroups_path);
		r = check_chars("systemd cgroupsPath", cgroups_path, err);
		if (r < 0)
			return r;
	} else {
		r = check_id(id, err);
		if (r < 0)
			return r;
	}

	r = expand_slice(slice, &slice_path, err);
	if (r < 0)
		return r;
	if (has_suffix(name, SLICE_SUFFIX))
		unit = berth_xstrdup(name);
	else if (prefix[0])
		unit = berth_xasprintf("%s-%s.scope", prefix, name);
	else
		unit = berth_xasprintf("%s.scope", name);

	joined = berth_xasprintf("%s/%s", slice_path, unit);
	return normalize(joined, ret_path, err);
}

int berth_cgroup_path_resolve(const char *cgroups_path, const char *id, bool systemd, char **ret_path,
			      struct berth_error *err)
{
	int r;

	if (systemd)
		return resolve_systemd(cgroups_path, id, ret_path, err);

	if (!cgroups_path || !cgroups_path[0]) {
		r = check_id(id, err);
		if (r < 0)
			return r;
		return normalize(id, ret_path, err);
	}
	return normalize(cgroups_path, ret_path, err);
}
