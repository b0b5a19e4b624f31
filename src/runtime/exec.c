#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "cgroups/cgroup.h"
#include "console.h"
#include "process.h"
#include "seccomp.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#include "berth-config.h"

/* libseccomp's header, for seccomp_version(): see the end of runtime/seccomp.h */
#define BERTH_SECCOMP_WANT_LIBSECCOMP
#include <seccomp.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

#define PROCESS_JSON_MAX (16 << 20)

/* The namespaces the runtime joins itself: they apply to its children only. */
#define NS_FOR_CHILDREN (CLONE_NEWPID | CLONE_NEWTIME)

/* ---- the process: the config's, edited by the options (runc's getProcess) ---- */

static int parse_u32(const char *s, const char *what, uint32_t *ret, struct berth_error *err)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || *s == '+' || *end || errno || v > UINT32_MAX)
		return berth_error_setx(err, EINVAL, "parsing %s as int for %s failed", s, what);
	*ret = (uint32_t)v;
	return 0;
}

static int apply_user(struct berth_oci_user *u, const char *spec, struct berth_error *err)
{
	const char *colon = strchr(spec, ':');
	_cleanup_free_ char *uid = colon ? berth_xstrndup(spec, (size_t)(colon - spec)) : berth_xstrdup(spec);
	int r;

	if (colon) {
		r = parse_u32(colon + 1, "gid", &u->gid, err);
		if (r < 0)
			return r;
	}
	return parse_u32(uid, "uid", &u->uid, err);
}

static int apply_additional_gids(struct berth_oci_user *u, char **gids, struct berth_error *err)
{
	size_t n = berth_strv_length(gids);
	int r;

	if (n == 0)
		return 0;
	u->additional_gids = berth_xreallocarray(u->additional_gids, u->n_additional_gids + n, sizeof(uint32_t));
	for (size_t i = 0; i < n; i++) {
		if (gids[i][0] == '-')
			return berth_error_setx(err, EINVAL, "additional-gids must be a positive number %s", gids[i]);
		r = parse_u32(gids[i], "additional-gids", &u->additional_gids[u->n_additional_gids], err);
		if (r < 0)
			return r;
		u->n_additional_gids++;
	}
	return 0;
}

/* NAME=VALUE replaces an earlier NAME in place or is appended: the last value wins, as in runc's prepareEnv. */
static int env_set(char ***env, const char *kv, struct berth_error *err)
{
	size_t klen = strcspn(kv, "=");

	if (!kv[klen] || klen == 0)
		return berth_error_setx(err, EINVAL, "invalid environment variable: \"%s\"", kv);
	for (char **e = *env; e && *e; e++)
		if (strncmp(*e, kv, klen) == 0 && (*e)[klen] == '=') {
			free(*e);
			*e = berth_xstrdup(kv);
			return 0;
		}
	berth_strv_push(env, kv);
	return 0;
}

static int apply_env(struct berth_oci_process *p, char **extra, struct berth_error *err)
{
	_cleanup_strv_free_ char **env = berth_xcalloc(1, sizeof(char *));
	int r;

	for (char **e = p->env; e && *e; e++) {
		r = env_set(&env, *e, err);
		if (r < 0)
			return r;
	}
	for (char **e = extra; e && *e; e++) {
		r = env_set(&env, *e, err);
		if (r < 0)
			return r;
	}
	berth_strv_free(p->env);
	p->env = TAKE_PTR(env);
	return 0;
}

/* runc adds each --cap to bounding, effective, permitted and ambient (not inheritable). */
static int apply_caps(struct berth_oci_process *p, char **caps, struct berth_error *warn, struct berth_error *err)
{
	_cleanup_free_ char *unknown = NULL;
	uint64_t mask = 0;

	if (!caps || !caps[0])
		return 0;
	for (char **c = caps; *c; c++) {
		int cap = berth_capability_from_name(*c);

		if (cap >= 0 && cap < 64) {
			mask |= UINT64_C(1) << cap;
			continue;
		}
		if (strncmp(*c, "CAP_", 4) != 0)
			return berth_error_setx(err, EINVAL, "unknown capability `%s`", *c);
		/* a capability newer than this build: ignored with a warning, like runc */
		char *joined = berth_xasprintf("%s%s%s", unknown ? unknown : "", unknown ? " " : "", *c);
		free(unknown);
		unknown = joined;
	}
	if (unknown)
		berth_error_setx(warn, EINVAL, "ignoring unknown or unavailable capabilities: [%s]", unknown);
	p->has_capabilities = true;
	p->capabilities.bounding |= mask;
	p->capabilities.effective |= mask;
	p->capabilities.permitted |= mask;
	p->capabilities.ambient |= mask;
	return 0;
}

static void replace_string(char **dst, const char *value)
{
	if (!value || !*value)
		return;
	free(*dst);
	*dst = berth_xstrdup(value);
}

static int load_process_file(const char *path, struct berth_oci_config *cfg, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	struct berth_oci_process *p = NULL;
	size_t len;
	int r;

	r = berth_read_file(path, PROCESS_JSON_MAX, &text, &len, err);
	if (r < 0)
		return r;
	r = berth_oci_process_parse(path, text, len, &p, err);
	if (r < 0)
		return r;
	berth_oci_process_free(cfg->process);
	cfg->process = p;
	return 0;
}

int berth_exec_apply_options(const struct berth_exec_options *o, struct berth_oci_config *cfg,
			     struct berth_error *warn, struct berth_error *err)
{
	struct berth_oci_process *p = cfg->process;
	int r;

	if (o->process_path)
		return load_process_file(o->process_path, cfg, err);
	if (!o->args || !o->args[0])
		return berth_error_setx(err, EINVAL, "process args cannot be empty");
	if (!p)
		return berth_error_setx(err, EINVAL, "config.json: process: missing");

	berth_strv_free(p->args);
	p->args = berth_strv_copy(o->args);
	if (o->cwd && *o->cwd) {
		if (o->cwd[0] != '/')
			return berth_error_setx(err, EINVAL, "Cwd must be an absolute path");
		replace_string(&p->cwd, o->cwd);
	}
	replace_string(&p->apparmor_profile, o->apparmor);
	replace_string(&p->selinux_label, o->process_label);
	r = apply_caps(p, o->caps, warn, err);
	if (r < 0)
		return r;
	r = apply_env(p, o->env, err);
	if (r < 0)
		return r;
	p->terminal = o->tty;
	if (o->no_new_privs)
		p->no_new_privileges = true;
	if (o->user && *o->user) {
		r = apply_user(&p->user, o->user, err);
		if (r < 0)
			return r;
	}
	return apply_additional_gids(&p->user, o->additional_gids, err);
}

/* ---- the compiled seccomp filter, cached in the state directory ---- */

/*
 * libseccomp needs about a millisecond to compile a small profile, more for
 * Docker's, on every exec otherwise.  The state directory is the runtime's
 * own (0700), as is the config.json the filter is compiled from, which does
 * not change while the container exists; the key still holds that file's
 * size and mtime, and the versions of berth and libseccomp.
 */
#define SECCOMP_CACHE "exec-seccomp.bpf"

struct seccomp_cache_head {
	char magic[8]; /* "berthbpf" */
	char berth_version[32];
	uint32_t libseccomp_version;
	uint32_t flags;
	uint32_t n_insns;
	uint32_t pad;
	uint64_t config_size;
	int64_t config_mtime_sec;
	int64_t config_mtime_nsec;
};

static void seccomp_cache_key(const struct stat *cfg, struct seccomp_cache_head *h)
{
	const struct scmp_version *v = seccomp_version();

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, "berthbpf", 8);
	snprintf(h->berth_version, sizeof(h->berth_version), "%s", BERTH_VERSION);
	h->libseccomp_version = v ? (v->major << 16 | v->minor << 8 | v->micro) : 0;
	h->config_size = (uint64_t)cfg->st_size;
	h->config_mtime_sec = cfg->st_mtim.tv_sec;
	h->config_mtime_nsec = cfg->st_mtim.tv_nsec;
}

static struct berth_seccomp_filter *seccomp_cache_load(int dirfd, const struct seccomp_cache_head *key)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	_cleanup_free_ char *buf = NULL;
	struct seccomp_cache_head h;
	struct berth_seccomp_filter *f;
	size_t len = 0;

	if (berth_read_file_at(dirfd, SECCOMP_CACHE, sizeof(h) + BPF_MAXINSNS * sizeof(struct sock_filter), &buf, &len,
			       &ignored) < 0 ||
	    len < sizeof(h))
		return NULL;
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, key->magic, sizeof(h.magic)) != 0 ||
	    memcmp(h.berth_version, key->berth_version, sizeof(h.berth_version)) != 0 ||
	    h.libseccomp_version != key->libseccomp_version || h.config_size != key->config_size ||
	    h.config_mtime_sec != key->config_mtime_sec || h.config_mtime_nsec != key->config_mtime_nsec ||
	    h.n_insns == 0 || h.n_insns > BPF_MAXINSNS || len != sizeof(h) + h.n_insns * sizeof(struct sock_filter))
		return NULL;
	f = berth_xzalloc(sizeof(*f));
	f->flags = h.flags;
	f->n_insns = h.n_insns;
	f->insns = berth_xmalloc(h.n_insns * sizeof(struct sock_filter));
	memcpy(f->insns, buf + sizeof(h), h.n_insns * sizeof(struct sock_filter));
	return f;
}

/* Best effort: a read-only state directory only costs the next exec a compile. */
static void seccomp_cache_store(int dirfd, const struct seccomp_cache_head *key, const struct berth_seccomp_filter *f)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	size_t len = sizeof(*key) + f->n_insns * sizeof(struct sock_filter);
	_cleanup_free_ char *buf = berth_xmalloc(len);
	struct seccomp_cache_head h = *key;

	h.flags = f->flags;
	h.n_insns = (uint32_t)f->n_insns;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), f->insns, f->n_insns * sizeof(struct sock_filter));
	berth_write_file_replace(dirfd, SECCOMP_CACHE, buf, len, 0600, &ignored);
}

static int seccomp_filter_get(const char *root, int dirfd, const struct berth_oci_seccomp *profile,
			      struct berth_seccomp_filter **ret, struct berth_error *err)
{
	/* the root's cache by profile, which the create filled: the first exec compiles nothing either */
	_cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct seccomp_cache_head key;
	struct stat st;
	int r;

	if (fstatat(dirfd, BERTH_STATE_CONFIG, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_seccomp_compile_cached(profile, root_fd, ret, err);
	seccomp_cache_key(&st, &key);
	*ret = seccomp_cache_load(dirfd, &key);
	if (*ret)
		return 0;
	r = berth_seccomp_compile_cached(profile, root_fd, ret, err);
	if (r < 0)
		return r;
	seccomp_cache_store(dirfd, &key, *ret);
	return 0;
}

/* ---- --cgroup: sub-cgroups of the container's ---- */

/* "a//./b/" -> "a/b"; ".." and an empty result are refused. */
static int normalize_sub(const char *spec, const char *sub, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *out = berth_xstrdup("");

	for (const char *s = sub; *s;) {
		size_t len = strcspn(s, "/");
		char *joined;

		if (len == 2 && strncmp(s, "..", 2) == 0)
			return berth_error_setx(err, EINVAL, "invalid --cgroup argument: %s (\"..\" is not allowed)", spec);
		if (len > 0 && !(len == 1 && s[0] == '.')) {
			joined = berth_xasprintf("%s%s%.*s", out, *out ? "/" : "", (int)len, s);
			free(out);
			out = joined;
		}
		s += len;
		s += strspn(s, "/");
	}
	if (!*out)
		return berth_error_setx(err, EINVAL, "invalid --cgroup argument: %s", spec);
	*ret = TAKE_PTR(out);
	return 0;
}

/* The container's path in the hierarchy with these controllers: location is one path, or per-hierarchy lines. */
static char *location_path(const char *location, const char *controllers)
{
	size_t clen = strlen(controllers);

	if (location[0] == '/')
		return berth_xstrdup(location);
	for (const char *line = location; *line;) {
		size_t len = strcspn(line, "\n");

		if (len > clen && strncmp(line, controllers, clen) == 0 && line[clen] == ':')
			return berth_xstrndup(line + clen + 1, len - clen - 1);
		line += len + (line[len] == '\n');
	}
	return NULL;
}

static bool list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static bool has_line_for(const char *out, const char *controllers)
{
	_cleanup_free_ char *path = location_path(out, controllers);

	return *out && path;
}

/*
 * For each v1 hierarchy (from /proc/self/cgroup) holding one of the
 * controllers, a "<controllers>:<path>/<sub>" line, where path is the
 * container's cgroup there.
 */
static int controller_lines(const char *location, const char *ctrls, const char *sub, char **out,
			    struct berth_error *err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, before = strlen(*out);

	if (!f)
		return berth_error_set(err, errno, "open `/proc/self/cgroup`");
	while (getline(&line, &cap, f) > 0) {
		char *c = strchr(line, ':'), *end;
		_cleanup_free_ char *base = NULL, *hier = NULL;
		bool match = false;

		if (!c || !(end = strchr(c + 1, ':')) || end == c + 1)
			continue; /* malformed, or the cgroup2 line */
		hier = berth_xstrndup(c + 1, (size_t)(end - c - 1));
		for (const char *p = ctrls; *p && !match;) {
			size_t len = strcspn(p, ",");
			_cleanup_free_ char *one = berth_xstrndup(p, len);

			match = list_has(hier, one);
			p += len + (p[len] == ',');
		}
		if (!match || has_line_for(*out, hier))
			continue;
		base = location_path(location, hier);
		if (base) {
			char *joined = berth_xasprintf("%s%s:%s/%s\n", *out, hier, strcmp(base, "/") ? base : "", sub);
			free(*out);
			*out = joined;
		}
	}
	if (strlen(*out) == before)
		return berth_error_setx(err, ENOENT, "--cgroup: no cgroup v1 hierarchy with controller `%s`", ctrls);
	return 0;
}

/* runc's --cgroup: "[<ctrl>[,<ctrl>]:]<path>"; without a controller (only as the single --cgroup) for all. */
static int sub_cgroup_location(const char *location, char **specs, bool unified, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *out = berth_xstrdup("");
	size_t n = berth_strv_length(specs);
	int r;

	for (size_t i = 0; i < n; i++) {
		const char *spec = specs[i], *colon = strchr(spec, ':');
		_cleanup_free_ char *sub = NULL, *ctrls = NULL;

		if (colon && strchr(colon + 1, ':'))
			return berth_error_setx(err, EINVAL, "invalid --cgroup argument: %s", spec);
		if (!colon && n != 1)
			return berth_error_setx(err, EINVAL, "invalid --cgroup argument: %s (missing <controller>: prefix)",
						spec);
		r = normalize_sub(spec, colon ? colon + 1 : spec, &sub, err);
		if (r < 0)
			return r;
		if (!colon) {
			free(out);
			/* every hierarchy: append to the single path, or to each line */
			if (location[0] == '/') {
				out = berth_xasprintf("%s/%s", strcmp(location, "/") ? location : "", sub);
			} else {
				out = berth_xstrdup("");
				for (const char *l = location; *l;) {
					size_t len = strcspn(l, "\n");
					char *joined = berth_xasprintf("%s%.*s/%s\n", out, (int)len, l, sub);
					free(out);
					out = joined;
					l += len + (l[len] == '\n');
				}
			}
			continue;
		}
		if (unified)
			return berth_error_setx(err, EINVAL, "invalid --cgroup argument: %s (no controller hierarchies on v2)",
						spec);
		ctrls = berth_xstrndup(spec, (size_t)(colon - spec));
		r = controller_lines(location, ctrls, sub, &out, err);
		if (r < 0)
			return r;
	}
	/* the same shape as a stored location: no final newline */
	if (*out && out[strlen(out) - 1] == '\n')
		out[strlen(out) - 1] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

/* ---- namespaces ---- */

static int pidfd_open_checked(const struct berth_state *s, struct berth_error *err)
{
	int fd = berth_state_pidfd(s);

	if (fd == -ENOSYS) /* kernel < 5.3: go by pid, after the same reuse check */
		return berth_proc_start_time(s->pid) == s->pid_start_time
			       ? -ENOSYS
			       : berth_error_setx(err, ESRCH, "cannot exec in a stopped container");
	if (fd == -ESRCH)
		return berth_error_setx(err, ESRCH, "cannot exec in a stopped container");
	if (fd < 0)
		return berth_error_set(err, -fd, "pidfd_open of container init %d", (int)s->pid);
	return fd;
}

/* Still the same init?  After this, what we read from /proc/<pid> was the init's. */
static bool init_alive(int pidfd, const struct berth_state *s)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	if (pidfd >= 0)
		return poll(&p, 1, 0) == 0;
	return berth_proc_start_time(s->pid) == s->pid_start_time;
}

/* CLONE_NEW* flags of the init's namespaces that are not ours. */
static int ns_to_join(pid_t pid, int *ret_flags, struct berth_error *err)
{
	int flags = 0;

	for (int t = 0; t < _BERTH_NS_MAX; t++) {
		const char *name = berth_ns_type_to_proc_name(t);
		char path[64];
		struct stat theirs, ours;

		snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
		if (stat(path, &ours) < 0) {
			if (errno == ENOENT)
				continue; /* a kernel without this namespace type */
			return berth_error_set(err, errno, "stat `%s`", path);
		}
		/* never skip one of theirs: a namespace not joined would leave the process in ours */
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
		if (stat(path, &theirs) < 0) {
			if (errno == ENOENT || errno == ESRCH)
				return berth_error_setx(err, ESRCH, "cannot exec in a stopped container");
			return berth_error_set(err, errno, "stat `%s`", path);
		}
		if (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev)
			flags |= berth_ns_type_to_clone_flag(t);
	}
	*ret_flags = flags;
	return 0;
}

/*
 * Join the namespaces in flags: one setns() on the pidfd (kernel >= 5.8),
 * else one per /proc/<pid>/ns file, user first and mount last.
 */
static int ns_join(int pidfd, pid_t pid, int flags, struct berth_error *err)
{
	static const enum berth_ns_type order[] = {
		BERTH_NS_USER, BERTH_NS_PID, BERTH_NS_TIME, BERTH_NS_IPC,
		BERTH_NS_UTS,  BERTH_NS_NETWORK, BERTH_NS_CGROUP, BERTH_NS_MOUNT,
	};
	int fds[ARRAY_SIZE(order)];
	int r = 0;

	if (!flags)
		return 0;
	if (pidfd >= 0) {
		if (setns(pidfd, flags) == 0)
			return 0;
		if (errno == ESRCH)
			return berth_error_setx(err, ESRCH, "cannot exec in a stopped container");
		if (errno != EINVAL)
			return berth_error_set(err, errno, "join the namespaces of the container (flags 0x%x)", flags);
	}
	/* open them all first: once in the user namespace /proc/<pid> may be out of reach */
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		char path[64];

		fds[i] = -1;
		if (!(flags & berth_ns_type_to_clone_flag(order[i])))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, berth_ns_type_to_proc_name(order[i]));
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0 && r == 0)
			r = berth_error_set(err, errno, "open `%s`", path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(order) && r == 0; i++)
		if (fds[i] >= 0 && setns(fds[i], berth_ns_type_to_clone_flag(order[i])) < 0)
			r = berth_error_set(err, errno, "join %s namespace", berth_ns_type_to_string(order[i]));
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

/* ---- the child: from fork() to execve(), inside the container ---- */

struct exec_child {
	const struct berth_oci_process *p;
	const struct berth_seccomp_filter *filter;
	struct berth_cgroup *cg;     /* to join with cgroup.procs; NULL when none or clone3 did it */
	struct berth_cgroup *sub_cg; /* --cgroup, likewise */
	const struct berth_cgroup_self_enter *self_enter; /* join cg by itself (cgroup-self-enter.c); NULL: enter cg */
	pid_t init_pid;
	int pidfd;
	int join_flags; /* namespaces left to join (not pid and time: the runtime did those) */
	bool in_userns;
	int sync_fd;
	int console_fd;
	int preserve_fds;
};

static int child_join(struct exec_child *c, struct berth_error *err)
{
	int r;

	/* cgroups first, while we still have the host's privileges over cgroupfs */
	if (c->self_enter) {
		r = berth_cgroup_self_enter(c->self_enter, err);
		if (r < 0)
			return berth_error_prefix(err, "join the container's cgroup");
	} else if (c->cg) {
		r = berth_cgroup_enter(c->cg, getpid(), err);
		if (r < 0)
			return berth_error_prefix(err, "join the container's cgroup");
	}
	if (c->sub_cg) {
		r = berth_cgroup_enter(c->sub_cg, getpid(), err);
		if (r < 0)
			return berth_error_prefix(err, "join sub-cgroup");
	}
	{
		int keep[] = { c->sync_fd, c->console_fd, c->pidfd };
		berth_child_close_inherited_fds(c->preserve_fds, keep, ARRAY_SIZE(keep));
	}
	r = ns_join(c->pidfd, c->init_pid, c->join_flags, err);
	if (r < 0)
		return r;
	if (c->pidfd >= 0) {
		close(c->pidfd);
		c->pidfd = -1;
	}
	if (c->join_flags & CLONE_NEWUSER) {
		/* as the init does: root in the container's user namespace until the process user is applied */
		if (setresgid(0, 0, 0) < 0)
			return berth_error_set(err, errno, "setresgid(0) in user namespace");
		if (setresuid(0, 0, 0) < 0)
			return berth_error_set(err, errno, "setresuid(0) in user namespace");
	}
	return 0;
}

static int child_setup(struct exec_child *c, char **ret_exe, char ***ret_env, struct berth_error *err)
{
	const struct berth_oci_process *p = c->p;
	_cleanup_strv_free_ char **env = NULL;
	int r;

	r = child_join(c, err);
	if (r < 0)
		return r;
	/* setns(CLONE_NEWNS) put root and cwd at the root of the container's mount namespace */
	if (setsid() < 0)
		return berth_error_set(err, errno, "setsid");
	/* the runtime's session keyring is the host's: never let the container see it (runc does the same) */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS && errno != EPERM &&
	    errno != EACCES)
		return berth_error_set(err, errno, "join session keyring");
	if (p->has_oom_score_adj) {
		r = berth_oom_score_adj_apply(p->oom_score_adj, err);
		if (r < 0)
			return r;
	}
	if (p->terminal) {
		r = berth_child_terminal(c->p, &c->console_fd, c->sync_fd, false, err);
		if (r < 0)
			return r;
	}
	env = berth_child_env(p);
	r = berth_child_close_fds_on_exec(c->preserve_fds, err);
	if (r < 0)
		return r;
	/* from here on the runtime waits for our execve: nothing to kill us for if it goes away */
	prctl(PR_SET_PDEATHSIG, 0);
	r = berth_process_finalize(p, c->filter, c->in_userns, err);
	if (r < 0)
		return r;
	/* setresuid() may have made us dumpable again (fs.suid_dumpable): best effort, seccomp may refuse */
	prctl(PR_SET_DUMPABLE, 0);
	r = berth_process_find_executable(p->args[0], env, ret_exe, err);
	if (r < 0)
		return r;
	*ret_env = TAKE_PTR(env);
	return 0;
}

static _Noreturn void exec_child_main(struct exec_child *c)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	char *exe = NULL, **env = NULL;

	/* not dumpable (inherited from the runtime, set again): nothing in the container may ptrace us */
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	berth_child_reset_signals();
	if (child_setup(c, &exe, &env, &err) == 0) {
		execve(exe, c->p->args, env);
		berth_error_set(&err, errno, "exec `%s`", exe);
	}
	berth_sync_send(c->sync_fd, BERTH_SYNC_ERROR, err.code, err.msg ? err.msg : "exec failed", -1);
	_exit(127);
}

/* ---- the runtime side ---- */

/*
 * Make sure 0, 1, 2 and the preserved fds are open, so that no fd of ours
 * lands there and goes to the container by mistake.
 */
static int fill_fd_holes(int preserve_fds, struct berth_error *err)
{
	for (int fd = 0; fd < 3 + preserve_fds; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nfd = open("/dev/null", O_RDWR | O_NOCTTY);
		if (nfd < 0)
			return berth_error_set(err, errno, "open `/dev/null`");
		if (nfd != fd) {
			int r = dup2(nfd, fd);
			close(nfd);
			if (r < 0)
				return berth_error_set(err, errno, "dup2");
		}
	}
	return 0;
}

static int check_status(int dirfd, const struct berth_state *s, bool ignore_paused, struct berth_error *err)
{
	switch (berth_state_status(dirfd, s)) {
	case BERTH_STATUS_STOPPED:
		return berth_error_setx(err, EINVAL, "cannot exec in a stopped container");
	case BERTH_STATUS_PAUSED:
		/* the process would sit frozen in the cgroup until `resume` (so would we), as with runc */
		if (!ignore_paused)
			return berth_error_setx(err, EINVAL,
						"cannot exec in a paused container (use --ignore-paused to override)");
		return 0;
	default:
		return 0;
	}
}

/* runc's checkTerminal */
static int check_terminal(const struct berth_exec_options *o, const struct berth_oci_process *p,
			  struct berth_error *err)
{
	if (o->detach && p->terminal && !o->console_socket)
		return berth_error_setx(err, EINVAL,
					"cannot allocate tty if berth-runtime will detach without setting console socket");
	if ((!o->detach || !p->terminal) && o->console_socket)
		return berth_error_setx(err, EINVAL,
					"cannot use console socket if berth-runtime will not detach or allocate tty");
	return 0;
}

struct exec_run {
	struct berth_state *state;
	struct berth_oci_config *cfg;
	struct berth_seccomp_filter *filter;
	struct berth_cgroup *cg, *sub_cg;
	struct berth_cgroup_self_enter self_enter;
	bool self_enter_ok;
	int dirfd, pidfd, console_fd, sync[2], own_ns[2];
	int pty_master;
	pid_t pid;
};

static void exec_run_release(struct exec_run *x)
{
	int *fds[] = { &x->dirfd, &x->pidfd, &x->console_fd, &x->sync[0], &x->sync[1], &x->own_ns[0], &x->own_ns[1],
		       &x->pty_master };

	berth_state_free(x->state);
	berth_oci_config_free(x->cfg);
	berth_seccomp_filter_free(x->filter);
	berth_cgroup_free(x->cg);
	berth_cgroup_free(x->sub_cg);
	berth_cgroup_self_enter_release(&x->self_enter);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

/* Everything up to the fork: state, process, filter, cgroups, the init's pidfd. */
static int prepare(const struct berth_exec_options *o, struct exec_run *x, struct berth_error *warn,
		   struct berth_error *err)
{
	int r;

	r = berth_state_validate_id(o->id, err);
	if (r < 0)
		return r;
	/* shared: `delete` waits until the process is in, other commands go on */
	r = berth_state_dir_open(o->root, o->id, false, &x->dirfd, err);
	if (r < 0)
		return r;
	r = berth_state_load(x->dirfd, &x->state, err);
	if (r < 0)
		return r;
	r = check_status(x->dirfd, x->state, o->ignore_paused, err);
	if (r < 0)
		return r;
	r = berth_state_load_config(x->dirfd, &x->cfg, err);
	if (r < 0)
		return r;
	r = berth_exec_apply_options(o, x->cfg, warn, err);
	if (r < 0)
		return r;
	r = check_terminal(o, x->cfg->process, err);
	if (r < 0)
		return r;
	if (x->cfg->linux_.seccomp) {
		r = seccomp_filter_get(o->root, x->dirfd, x->cfg->linux_.seccomp, &x->filter, err);
		if (r < 0)
			return r;
	}
	if (x->state->cgroup_path) {
		r = berth_cgroup_load(x->state->cgroup_path, x->state->systemd_cgroup, &x->cg, err);
		if (r < 0)
			return r;
		/* best effort: without it the child joins through berth_cgroup_enter() */
		_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
		x->self_enter_ok = berth_cgroup_self_enter_prepare(x->cg, &x->self_enter, &ignored) >= 0;
	}
	if (o->cgroups && o->cgroups[0]) {
		_cleanup_free_ char *loc = NULL;

		if (!x->cg)
			return berth_error_setx(err, EINVAL, "--cgroup: the container has no cgroup");
		r = sub_cgroup_location(x->state->cgroup_path, o->cgroups,
					berth_cgroup_get_mode(x->cg) == BERTH_CGROUP_UNIFIED, &loc, err);
		if (r >= 0)
			r = berth_cgroup_load(loc, false, &x->sub_cg, err);
		if (r < 0)
			return r;
	}
	r = pidfd_open_checked(x->state, err);
	if (r < 0 && r != -ENOSYS)
		return r;
	x->pidfd = r >= 0 ? r : -1;
	if (o->console_socket) {
		r = berth_console_socket_connect(o->console_socket, &x->console_fd, err);
		if (r < 0)
			return r;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sync) < 0)
		return berth_error_set(err, errno, "socketpair");
	return 0;
}

static pid_t clone_into_cgroup(int cgroup_fd)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
			cgroup;
	} args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgroup_fd };

	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/*
 * Fork the child into the init's pid and time namespaces, which the
 * runtime joins for its children only (and leaves again right after).
 */
static int spawn(struct exec_run *x, int opts_preserve_fds, struct berth_error *err)
{
	struct berth_cgroup *target = x->sub_cg ? x->sub_cg : x->cg;
	struct exec_child c = {
		.p = x->cfg->process,
		.filter = x->filter,
		.cg = x->cg,
		.sub_cg = x->sub_cg,
		.init_pid = x->state->pid,
		.pidfd = x->pidfd,
		.sync_fd = x->sync[1],
		.console_fd = x->console_fd,
		.preserve_fds = opts_preserve_fds,
	};
	int flags = 0, r;

	r = ns_to_join(x->state->pid, &flags, err);
	if (r < 0)
		return r;
	if (!init_alive(x->pidfd, x->state))
		return berth_error_setx(err, ESRCH, "cannot exec in a stopped container");
	c.join_flags = flags & ~NS_FOR_CHILDREN;
	c.in_userns = (flags & CLONE_NEWUSER) || berth_oci_config_find_namespace(x->cfg, BERTH_NS_USER);
	if (flags & CLONE_NEWPID) {
		x->own_ns[0] = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (x->own_ns[0] < 0)
			return berth_error_set(err, errno, "open `/proc/self/ns/pid`");
	}
	if (flags & CLONE_NEWTIME) {
		x->own_ns[1] = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
		if (x->own_ns[1] < 0)
			return berth_error_set(err, errno, "open `/proc/self/ns/time`");
	}
	r = ns_join(x->pidfd, x->state->pid, flags & NS_FOR_CHILDREN, err);
	if (r < 0)
		return r;

	x->pid = -1;
	if (target && berth_cgroup_get_unified_fd(target) >= 0) {
		x->pid = clone_into_cgroup(berth_cgroup_get_unified_fd(target));
		if (x->pid >= 0)
			c.cg = c.sub_cg = NULL; /* born in its cgroup */
	} else if (x->self_enter_ok && !x->sub_cg) {
		/* hybrid: born in the cgroup2 directory, the v1 ones through `tasks` */
		if (x->self_enter.unified_fd >= 0)
			x->pid = clone_into_cgroup(x->self_enter.unified_fd);
		if (x->pid >= 0 || x->self_enter.unified_fd < 0)
			c.self_enter = &x->self_enter;
	}
	if (x->pid < 0)
		x->pid = fork();
	if (x->pid == 0)
		exec_child_main(&c);
	r = x->pid < 0 ? berth_error_set(err, errno, "fork") : 0;

	/* back to our own namespaces */
	if (x->own_ns[0] >= 0 && setns(x->own_ns[0], CLONE_NEWPID) < 0 && r == 0)
		r = berth_error_set(err, errno, "return to the runtime's pid namespace");
	if (x->own_ns[1] >= 0 && setns(x->own_ns[1], CLONE_NEWTIME) < 0 && r == 0)
		r = berth_error_set(err, errno, "return to the runtime's time namespace");
	close(x->sync[1]);
	x->sync[1] = -1;
	if (x->console_fd >= 0) {
		close(x->console_fd);
		x->console_fd = -1;
	}
	return r;
}

/* Until execve(): a pty master maybe, then EOF (the socket was O_CLOEXEC) or an error. */
static int wait_for_exec(struct exec_run *x, struct berth_error *err)
{
	for (;;) {
		struct berth_sync_msg m;
		int fd = -1;
		int r = berth_sync_recv(x->sync[0], &m, &fd, NULL);

		if (r == -EPIPE)
			return 0;
		if (r < 0)
			return berth_error_set(err, -r, "read from the exec'd process");
		if (m.type == BERTH_SYNC_PTY && fd >= 0 && x->pty_master < 0) {
			x->pty_master = fd;
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (m.type == BERTH_SYNC_ERROR)
			return berth_error_setx(err, m.value > 0 ? m.value : EIO, "unable to start container process: %s",
						m.msg);
		return berth_error_setx(err, EPROTO, "unexpected message %u from the exec'd process", m.type);
	}
}

static int write_pid_file(const char *path, pid_t pid, struct berth_error *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	/* atomic, not durable: a pid means nothing after a reboot */
	return berth_write_file_replace(AT_FDCWD, path, buf, (size_t)n, 0644, err);
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

static void reap(pid_t pid, bool kill_first)
{
	if (pid <= 0)
		return;
	if (kill_first)
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int exec_locked(const struct berth_exec_options *o, struct exec_run *x, sigset_t *old, bool *blocked,
		       int *ret_status, struct berth_error *warn, struct berth_error *err)
{
	int status = 0, r;

	r = prepare(o, x, warn, err);
	if (r < 0)
		return r;
	/* before the child exists, so that no signal meant for it is lost; it restores the defaults itself */
	if (!o->detach) {
		r = berth_signals_block(old, err);
		if (r < 0)
			return r;
		*blocked = true;
	}
	/* inherited by the child: not ptrace-able, no /proc/PID/exe for the container, from the very start */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return berth_error_set(err, errno, "prctl(PR_SET_DUMPABLE)");
	r = spawn(x, o->preserve_fds, err);
	if (r < 0) {
		reap(x->pid, true);
		return r;
	}
	r = wait_for_exec(x, err);
	if (r < 0) {
		reap(x->pid, true);
		return r;
	}
	if (o->pid_file) {
		r = write_pid_file(o->pid_file, x->pid, err);
		if (r < 0) {
			reap(x->pid, true);
			return r;
		}
	}
	if (o->detach) {
		*ret_status = 0;
		return 0;
	}
	/* let delete/kill through while we wait */
	close(x->dirfd);
	x->dirfd = -1;
	if (x->pty_master >= 0)
		r = berth_terminal_proxy(x->pty_master, x->pid, &status, err);
	else
		r = berth_wait_forwarding_signals(x->pid, -1, &status, err);
	if (r < 0)
		return r;
	*ret_status = exit_status(status);
	return 0;
}

int berth_container_exec(const struct berth_exec_options *o, int *ret_status, struct berth_error *warn,
			 struct berth_error *err)
{
	struct exec_run x = {
		.dirfd = -1, .pidfd = -1, .console_fd = -1, .sync = { -1, -1 }, .own_ns = { -1, -1 },
		.pty_master = -1, .pid = -1, .self_enter = { .unified_fd = -EBADF },
	};
	bool blocked = false;
	sigset_t old;
	int r;

	if (o->preserve_fds < 0)
		return berth_error_setx(err, EINVAL, "invalid --preserve-fds %d", o->preserve_fds);
	r = fill_fd_holes(o->preserve_fds, err);
	if (r < 0)
		return r;
	r = exec_locked(o, &x, &old, &blocked, ret_status, warn, err);
	exec_run_release(&x);
	if (blocked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
