/* docker run flag values: sizes, cpus, ulimits, -v, --mount, --tmpfs, --device, --env-file. */
#include "engine/run-flags.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

int berth_parse_memory(const char *s, int64_t *ret, struct berth_error *err)
{
	static const char units[] = "bkmgtp";
	char *end;
	double v;
	const char *u;
	int shift = 0;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isfinite(v))
		return berth_error_setx(err, EINVAL, "invalid size: '%s'", s);
	if (*end) {
		u = strchr(units, tolower((unsigned char)*end));
		if (!u)
			return berth_error_setx(err, EINVAL, "invalid size: '%s'", s);
		shift = (int)(u - units) * 10;
		end++;
		/* "m", "mb", "mib" all mean MiB, as docker reads them */
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
		if (*end)
			return berth_error_setx(err, EINVAL, "invalid size: '%s'", s);
	}
	v = ldexp(v, shift);
	if (v >= 9.2e18)
		return berth_error_setx(err, ERANGE, "invalid size: '%s'", s);
	*ret = (int64_t)v;
	return 0;
}

int berth_parse_cpus(const char *s, double *ret, struct berth_error *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < 0)
		return berth_error_setx(err, EINVAL, "failed to parse %s as a rational number", s);
	*ret = v;
	return 0;
}

static int parse_limit(const char *s, uint64_t *ret)
{
	char *end;
	long long v;

	if (strcmp(s, "unlimited") == 0 || strcmp(s, "-1") == 0) {
		*ret = UINT64_MAX;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < 0)
		return -EINVAL;
	*ret = (uint64_t)v;
	return 0;
}

int berth_parse_ulimit(const char *s, struct berth_ulimit *ret, struct berth_error *err)
{
	static const char *const names[] = { "core",	"cpu",	  "data",   "fsize",  "locks",	  "memlock",
					     "msgqueue", "nice", "nofile", "nproc",  "rss",	  "rtprio",
					     "rttime",	"sigpending", "stack", "as", NULL };
	_cleanup_free_ char *copy = berth_xstrdup(s);
	char *eq = strchr(copy, '='), *colon;
	uint64_t soft, hard;

	if (!eq)
		return berth_error_setx(err, EINVAL, "invalid ulimit argument: %s", s);
	*eq = '\0';
	if (!berth_strv_contains((char *const *)names, copy))
		return berth_error_setx(err, EINVAL, "invalid ulimit type: %s", copy);
	colon = strchr(eq + 1, ':');
	if (colon)
		*colon = '\0';
	if (parse_limit(eq + 1, &soft) < 0 || (colon && parse_limit(colon + 1, &hard) < 0))
		return berth_error_setx(err, EINVAL, "invalid ulimit argument: %s", s);
	if (!colon)
		hard = soft;
	if (soft > hard)
		return berth_error_setx(err, EINVAL, "ulimit soft limit must be less than or equal to hard limit: %s", s);
	*ret = (struct berth_ulimit){ .name = berth_xstrdup(copy), .soft = soft, .hard = hard };
	return 0;
}

static bool is_propagation(const char *o)
{
	static const char *const modes[] = { "private", "rprivate", "shared", "rshared", "slave", "rslave", NULL };

	return berth_strv_contains((char *const *)modes, o);
}

/* Options after the second colon of -v: "ro", "rw", "z", "Z", "nocopy", propagation; comma-separated. */
static int volume_options(const char *opts, struct berth_mount_spec *m, struct berth_error *err)
{
	_cleanup_free_ char *copy = berth_xstrdup(opts);
	char *save = NULL;

	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "ro") == 0)
			m->readonly = true;
		else if (strcmp(o, "rw") == 0)
			m->readonly = false;
		else if (is_propagation(o))
			m->propagation = berth_xstrdup(o);
		else if (strcmp(o, "z") == 0 || strcmp(o, "Z") == 0 || strcmp(o, "nocopy") == 0)
			; /* SELinux relabelling and volume pre-filling: nothing to do here */
		else
			return berth_error_setx(err, EINVAL, "invalid mode: %s", o);
	}
	return 0;
}

static bool valid_volume_name(const char *n)
{
	if (!isalnum((unsigned char)n[0]))
		return false;
	for (const char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return true;
}

int berth_parse_volume(const char *s, struct berth_mount_spec *ret, struct berth_error *err)
{
	_cleanup_free_ char *copy = berth_xstrdup(s);
	_cleanup_strv_free_ char **parts = NULL;
	struct berth_mount_spec m = { .kind = BERTH_MOUNT_BIND };
	char *save = NULL;
	size_t n;
	int r;

	for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
		berth_strv_push(&parts, p);
	n = berth_strv_length(parts);
	if (n == 0 || n > 3 || s[strlen(s) - 1] == ':')
		return berth_error_setx(err, EINVAL, "invalid volume specification: '%s'", s);
	if (n == 1) {
		/* an anonymous volume at that path */
		m.kind = BERTH_MOUNT_VOLUME;
		m.target = berth_xstrdup(parts[0]);
	} else {
		m.source = berth_xstrdup(parts[0]);
		m.target = berth_xstrdup(parts[1]);
		if (parts[0][0] != '/') {
			if (!valid_volume_name(parts[0])) {
				berth_mount_spec_release(&m);
				return berth_error_setx(err, EINVAL,
							"\"%s\" includes invalid characters for a local volume name, "
							"only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
							parts[0]);
			}
			m.kind = BERTH_MOUNT_VOLUME;
		}
		if (n == 3 && (r = volume_options(parts[2], &m, err)) < 0) {
			berth_mount_spec_release(&m);
			return r;
		}
	}
	if (m.target[0] != '/' || strcmp(m.target, "/") == 0) {
		berth_mount_spec_release(&m);
		return berth_error_setx(err, EINVAL, "invalid volume specification: '%s': the destination must be an absolute path other than /", s);
	}
	*ret = m;
	return 0;
}

static int tmpfs_option(const char *o, struct berth_mount_spec *m, struct berth_error *err)
{
	int64_t size;

	if (strcmp(o, "ro") == 0)
		m->readonly = true;
	else if (strcmp(o, "rw") == 0)
		m->readonly = false;
	else if (strncmp(o, "size=", 5) == 0) {
		if (berth_parse_memory(o + 5, &size, err) < 0)
			return -EINVAL;
		m->tmpfs_size = (uint64_t)size;
	} else if (strncmp(o, "mode=", 5) == 0) {
		char *end;
		unsigned long mode = strtoul(o + 5, &end, 8);
		if (*end || end == o + 5 || mode > 07777)
			return berth_error_setx(err, EINVAL, "invalid tmpfs mode: %s", o + 5);
		m->tmpfs_mode = (uint32_t)mode;
	} else if (strcmp(o, "nosuid") && strcmp(o, "nodev") && strcmp(o, "noexec") && strcmp(o, "exec")) {
		return berth_error_setx(err, EINVAL, "invalid tmpfs option: %s", o);
	}
	return 0;
}

int berth_parse_tmpfs(const char *s, struct berth_mount_spec *ret, struct berth_error *err)
{
	_cleanup_free_ char *copy = berth_xstrdup(s);
	char *colon = strchr(copy, ':'), *save = NULL;
	struct berth_mount_spec m = { .kind = BERTH_MOUNT_TMPFS };

	if (colon)
		*colon = '\0';
	if (copy[0] != '/')
		return berth_error_setx(err, EINVAL, "invalid tmpfs destination: '%s': not an absolute path", copy);
	for (char *o = colon ? strtok_r(colon + 1, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save))
		if (tmpfs_option(o, &m, err) < 0)
			return -EINVAL;
	m.target = berth_xstrdup(copy);
	*ret = m;
	return 0;
}

int berth_parse_mount(const char *s, struct berth_mount_spec *ret, struct berth_error *err)
{
	_cleanup_free_ char *copy = berth_xstrdup(s);
	struct berth_mount_spec m = { .kind = BERTH_MOUNT_VOLUME };
	char *save = NULL;
	bool typed = false;
	int r = 0;

	for (char *kv = strtok_r(copy, ",", &save); kv && r == 0; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		const char *v = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		if (strcmp(kv, "type") == 0 && v) {
			typed = true;
			if (strcmp(v, "bind") == 0)
				m.kind = BERTH_MOUNT_BIND;
			else if (strcmp(v, "volume") == 0)
				m.kind = BERTH_MOUNT_VOLUME;
			else if (strcmp(v, "tmpfs") == 0)
				m.kind = BERTH_MOUNT_TMPFS;
			else
				r = berth_error_setx(err, EINVAL, "invalid mount type: \"%s\"", v);
		} else if ((strcmp(kv, "source") == 0 || strcmp(kv, "src") == 0) && v) {
			free(m.source);
			m.source = berth_xstrdup(v);
		} else if ((strcmp(kv, "target") == 0 || strcmp(kv, "destination") == 0 || strcmp(kv, "dst") == 0) && v) {
			free(m.target);
			m.target = berth_xstrdup(v);
		} else if (strcmp(kv, "readonly") == 0 || strcmp(kv, "ro") == 0) {
			m.readonly = !v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
		} else if (strcmp(kv, "bind-propagation") == 0 && v && is_propagation(v)) {
			free(m.propagation);
			m.propagation = berth_xstrdup(v);
		} else if (strcmp(kv, "tmpfs-size") == 0 && v) {
			int64_t size;
			if ((r = berth_parse_memory(v, &size, err)) == 0)
				m.tmpfs_size = (uint64_t)size;
		} else if (strcmp(kv, "tmpfs-mode") == 0 && v) {
			char *end;
			unsigned long mode = strtoul(v, &end, 8);
			if (*end || end == v || mode > 07777)
				r = berth_error_setx(err, EINVAL, "invalid tmpfs-mode: %s", v);
			m.tmpfs_mode = (uint32_t)mode;
		} else if (strcmp(kv, "volume-nocopy") != 0 && strcmp(kv, "consistency") != 0) {
			r = berth_error_setx(err, EINVAL, "unexpected key '%s' in '%s'", kv, s);
		}
	}
	if (r == 0 && !typed)
		r = berth_error_setx(err, EINVAL, "type is required");
	if (r == 0 && !m.target)
		r = berth_error_setx(err, EINVAL, "target is required");
	if (r == 0 && m.kind == BERTH_MOUNT_BIND && (!m.source || m.source[0] != '/'))
		r = berth_error_setx(err, EINVAL, "invalid mount config for type \"bind\": %s",
				     m.source ? "source must be an absolute path" : "field Source must not be empty");
	if (r == 0 && m.kind == BERTH_MOUNT_TMPFS && m.source)
		r = berth_error_setx(err, EINVAL, "invalid mount config for type \"tmpfs\": field Source must be empty");
	if (r == 0 && m.target[0] != '/')
		r = berth_error_setx(err, EINVAL, "invalid mount config: mount path must be absolute: %s", m.target);
	if (r < 0) {
		berth_mount_spec_release(&m);
		return r;
	}
	*ret = m;
	return 0;
}

int berth_parse_device(const char *s, struct berth_device_spec *ret, struct berth_error *err)
{
	_cleanup_free_ char *copy = berth_xstrdup(s);
	_cleanup_strv_free_ char **parts = NULL;
	char *save = NULL;
	const char *perms = "rwm";
	size_t n;

	for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
		berth_strv_push(&parts, p);
	n = berth_strv_length(parts);
	if (n == 0 || n > 3 || parts[0][0] != '/')
		return berth_error_setx(err, EINVAL, "invalid device specification: %s", s);
	/* "/dev/x:rw" is host path + permissions */
	if (n == 2 && parts[1][0] != '/') {
		perms = parts[1];
		n = 1;
	} else if (n == 3) {
		perms = parts[2];
	}
	if (!*perms || strspn(perms, "rwm") != strlen(perms))
		return berth_error_setx(err, EINVAL, "invalid device mode: %s", perms);
	if (n >= 2 && parts[1][0] != '/')
		return berth_error_setx(err, EINVAL, "invalid device specification: %s", s);
	*ret = (struct berth_device_spec){
		.host_path = berth_xstrdup(parts[0]),
		.container_path = berth_xstrdup(n >= 2 ? parts[1] : parts[0]),
		.permissions = berth_xstrdup(perms),
	};
	return 0;
}

int berth_parse_env_file(const char *path, char ***env, struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	char *save = NULL;
	size_t len, lineno = 0;
	int r;

	if ((r = berth_read_file(path, 1 << 20, &buf, &len, err)) < 0)
		return r;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);
		lineno++;
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		while (isspace((unsigned char)*line))
			line++;
		if (!*line || *line == '#')
			continue;
		if (line[0] == '=' || (strpbrk(line, " \t") && strpbrk(line, " \t") < strchrnul(line, '=')))
			return berth_error_setx(err, EINVAL, "%s: line %zu: variable '%s' contains whitespaces", path,
						lineno, line);
		if (!strchr(line, '=')) {
			const char *v = getenv(line);
			if (!v)
				continue;
			berth_strv_consume(env, berth_xasprintf("%s=%s", line, v));
			continue;
		}
		berth_strv_push(env, line);
	}
	return 0;
}

void berth_mount_spec_release(struct berth_mount_spec *m)
{
	free(m->source);
	free(m->target);
	free(m->propagation);
	*m = (struct berth_mount_spec){ 0 };
}

void berth_device_spec_release(struct berth_device_spec *d)
{
	free(d->host_path);
	free(d->container_path);
	free(d->permissions);
	*d = (struct berth_device_spec){ 0 };
}
