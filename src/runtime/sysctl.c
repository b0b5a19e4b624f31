#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static const struct berth_oci_namespace *find_ns(const struct berth_oci_config *cfg, enum berth_ns_type t)
{
	for (size_t i = 0; i < cfg->linux_.n_namespaces; i++)
		if (cfg->linux_.namespaces[i].type == t)
			return &cfg->linux_.namespaces[i];
	return NULL;
}

/* Is the network namespace at path the one we are in? */
static int is_host_netns(const char *path, bool *ret, struct berth_error *err)
{
	struct stat a, b;

	if (stat(path, &a) < 0)
		return berth_error_set(err, errno, "stat `%s`", path);
	if (stat("/proc/self/ns/net", &b) < 0)
		return berth_error_set(err, errno, "stat `/proc/self/ns/net`");
	*ret = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	return 0;
}

/* The key in dotted form ("net/ipv4/ip_forward" -> "net.ipv4.ip_forward") for the checks. */
static char *dotted(const char *key)
{
	char *d = berth_xstrdup(key);

	if (strchr(d, '/'))
		for (char *p = d; *p; p++)
			if (*p == '/')
				*p = '.';
	return d;
}

static bool is_ipc_key(const char *k)
{
	static const char *const keys[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(k, keys[i]) == 0)
			return true;
	return strncmp(k, "fs.mqueue.", 10) == 0;
}

/* Every component non-empty and not "." or "..": a key names a file below /proc/sys, nothing else. */
static bool key_is_valid(const char *key)
{
	char sep = strchr(key, '/') ? '/' : '.';

	for (const char *p = key;;) {
		const char *e = strchrnul(p, sep);
		size_t n = (size_t)(e - p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!*e)
			return true;
		p = e + 1;
	}
}

static int validate_key(const struct berth_oci_config *cfg, const char *key, bool check_host, struct berth_error *err)
{
	_cleanup_free_ char *k = NULL;
	const struct berth_oci_namespace *ns;
	bool host = false;
	int r;

	if (!key_is_valid(key))
		return berth_error_setx(err, EINVAL, "invalid sysctl `%s`", key);
	k = dotted(key);

	if (is_ipc_key(k)) {
		if (find_ns(cfg, BERTH_NS_IPC))
			return 0;
		return berth_error_setx(err, EINVAL, "sysctl `%s` is not allowed in the host's ipc namespace", key);
	}
	if (strncmp(k, "net.", 4) == 0) {
		ns = find_ns(cfg, BERTH_NS_NETWORK);
		if (ns && ns->path && check_host) {
			r = is_host_netns(ns->path, &host, err);
			if (r < 0)
				return berth_error_prefix(err, "sysctl `%s`", key);
		}
		if (!ns || host)
			return berth_error_setx(err, EINVAL, "sysctl `%s` is not allowed in the host's network namespace",
						key);
		return 0;
	}
	if ((strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0) && find_ns(cfg, BERTH_NS_UTS))
		return 0;
	return berth_error_setx(err, EINVAL, "sysctl `%s` is not in a separate kernel namespace", key);
}

static int validate(const struct berth_oci_config *cfg, bool check_host, struct berth_error *err)
{
	for (size_t i = 0; i < cfg->linux_.n_sysctls; i++) {
		int r = validate_key(cfg, cfg->linux_.sysctls[i].key, check_host, err);

		if (r < 0)
			return r;
	}
	return 0;
}

int berth_sysctl_validate(const struct berth_oci_config *cfg, struct berth_error *err)
{
	return validate(cfg, true, err);
}

/* "net.ipv4.ip_forward" -> "sys/net/ipv4/ip_forward"; a key with "/" is a path already. */
static char *key_path(const char *key)
{
	char *p = berth_xasprintf("sys/%s", key);

	if (!strchr(key, '/'))
		for (char *s = p + 4; *s; s++)
			if (*s == '.')
				*s = '/';
	return p;
}

static int write_one(int proc_fd, const char *key, const char *value, struct berth_error *err)
{
	_cleanup_free_ char *path = key_path(key);
	_cleanup_close_ int fd = -EBADF;
	int r;

	/* no symlinks, no "..", no mount crossing: the file must be procfs' own */
	fd = berth_openat2(proc_fd, path, O_WRONLY | O_TRUNC | O_NOCTTY, 0,
			   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
	if (fd < 0)
		return berth_error_set(err, -fd, "sysctl `%s`: open `/proc/%s`", key, path);
	r = berth_fd_check_fs(fd, PROC_SUPER_MAGIC, path, err);
	if (r < 0)
		return berth_error_prefix(err, "sysctl `%s`", key);
	r = berth_write_all(fd, value, strlen(value));
	if (r < 0)
		return berth_error_set(err, -r, "sysctl `%s`: write `%s`", key, value);
	return 0;
}

int berth_sysctl_apply(int proc_fd, const struct berth_oci_config *cfg, struct berth_error *err)
{
	int r;

	if (cfg->linux_.n_sysctls == 0)
		return 0;
	r = validate(cfg, false, err);
	if (r < 0)
		return r;
	r = berth_fd_check_fs(proc_fd, PROC_SUPER_MAGIC, "/proc", err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cfg->linux_.n_sysctls; i++) {
		r = write_one(proc_fd, cfg->linux_.sysctls[i].key, cfg->linux_.sysctls[i].value, err);
		if (r < 0)
			return r;
	}
	return 0;
}
