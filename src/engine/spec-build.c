/* docker's container defaults, as an OCI config.  Mirrors what moby's oci/defaults.go and daemon/oci_linux.go do. */
#include "engine/spec-build.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "engine/seccomp-profile.h"
#include "oci/config.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

const char *const berth_default_capabilities[] = {
	"CAP_CHOWN",	  "CAP_DAC_OVERRIDE", "CAP_FSETID",	      "CAP_FOWNER",	"CAP_MKNOD",
	"CAP_NET_RAW",	  "CAP_SETGID",	      "CAP_SETUID",	      "CAP_SETFCAP",	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL,
};

static const char *const masked_paths[] = {
	"/proc/asound",	      "/proc/acpi",	  "/proc/kcore",       "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi",	      "/sys/firmware",	  "/sys/devices/virtual/powercap", NULL,
};

static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_SHM_SIZE (64ULL * 1024 * 1024)
#define CPU_PERIOD 100000

static json_t *strings(const char *const *v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static char **json_strv(json_t *a)
{
	char **v = NULL;
	size_t i;
	json_t *e;

	if (!json_is_array(a))
		return NULL;
	v = berth_xcalloc(1, sizeof(char *)); /* empty, not NULL: [] is not "unset" */
	json_array_foreach(a, i, e)
		if (json_is_string(e))
			berth_strv_push(&v, json_string_value(e));
	return v;
}

static json_t *image_cfg(json_t *image_config)
{
	json_t *c = json_object_get(image_config, "config");

	return json_is_object(c) ? c : NULL;
}

char **berth_spec_process_args(json_t *image_config, const struct berth_run_options *o)
{
	json_t *c = image_cfg(image_config);
	_cleanup_strv_free_ char **entry = NULL, **cmd = NULL;
	char **args = NULL;

	entry = o->entrypoint ? berth_strv_copy(o->entrypoint) : json_strv(json_object_get(c, "Entrypoint"));
	/* docker: a new entrypoint drops the image's Cmd too */
	if (o->cmd)
		cmd = berth_strv_copy(o->cmd);
	else if (!o->entrypoint)
		cmd = json_strv(json_object_get(c, "Cmd"));
	args = berth_xcalloc(1, sizeof(char *)); /* empty, not NULL: [] is not "unset" */
	for (size_t i = 0; entry && entry[i]; i++)
		berth_strv_push(&args, entry[i]);
	for (size_t i = 0; cmd && cmd[i]; i++)
		berth_strv_push(&args, cmd[i]);
	return args;
}

/* Index of "KEY=" in env, or -1. */
static ssize_t env_find(char **env, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], kv, klen) == 0 && env[i][klen] == '=')
			return (ssize_t)i;
	return -1;
}

static void env_set(char ***env, const char *kv)
{
	ssize_t i = env_find(*env, kv);

	if (!strchr(kv, '='))
		return; /* "K" without a value: the CLI resolves it or drops it */
	if (i >= 0) {
		free((*env)[i]);
		(*env)[i] = berth_xstrdup(kv);
	} else {
		berth_strv_push(env, kv);
	}
}

static json_t *build_env(json_t *image_config, const struct berth_run_options *o, const char *hostname)
{
	_cleanup_strv_free_ char **env = NULL, **img = json_strv(json_object_get(image_cfg(image_config), "Env"));
	_cleanup_free_ char *host = berth_xasprintf("HOSTNAME=%s", hostname);
	json_t *a;

	/* docker's order: PATH default, HOSTNAME, TERM, then the image's, then -e */
	env_set(&env, DEFAULT_PATH);
	env_set(&env, host);
	if (o->tty)
		env_set(&env, "TERM=xterm");
	for (size_t i = 0; img && img[i]; i++)
		env_set(&env, img[i]);
	for (size_t i = 0; o->env && o->env[i]; i++)
		env_set(&env, o->env[i]);
	a = strings((const char *const *)env);
	return a;
}

/* Capability names from the CLI may omit "CAP_"; "ALL" means every capability. */
static int cap_name(const char *in, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *name = NULL;

	if (strcasecmp(in, "ALL") == 0) {
		*ret = berth_xstrdup("ALL");
		return 0;
	}
	name = strncasecmp(in, "CAP_", 4) == 0 ? berth_xstrdup(in) : berth_xasprintf("CAP_%s", in);
	for (char *p = name; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (berth_capability_from_name(name) < 0)
		return berth_error_setx(err, EINVAL, "unknown capability: \"%s\"", in);
	*ret = TAKE_PTR(name);
	return 0;
}

/*
 * "All" is what berth itself may hand out (docker: the daemon's bounding
 * set): a capability outside it cannot be granted, and asking fails the start.
 */
static void all_caps(char ***caps)
{
	for (int c = 0; c <= berth_capability_last(); c++)
		if (berth_capability_to_name(c) && prctl(PR_CAPBSET_READ, c) == 1 &&
		    !berth_strv_contains(*caps, berth_capability_to_name(c)))
			berth_strv_push(caps, berth_capability_to_name(c));
}

/* docker's rule: start from the defaults (or all, privileged), add, then drop; "ALL" in either list applies first. */
static int build_caps(const struct berth_run_options *o, char ***ret, struct berth_error *err)
{
	_cleanup_strv_free_ char **caps = NULL, **add = NULL, **drop = NULL;
	int r;

	for (size_t i = 0; o->cap_add && o->cap_add[i]; i++) {
		char *n = NULL;
		if ((r = cap_name(o->cap_add[i], &n, err)) < 0)
			return berth_error_prefix(err, "--cap-add");
		berth_strv_consume(&add, n);
	}
	for (size_t i = 0; o->cap_drop && o->cap_drop[i]; i++) {
		char *n = NULL;
		if ((r = cap_name(o->cap_drop[i], &n, err)) < 0)
			return berth_error_prefix(err, "--cap-drop");
		berth_strv_consume(&drop, n);
	}
	caps = berth_xcalloc(1, sizeof(char *)); /* empty, not NULL: [] is not "unset" */
	if (o->privileged || berth_strv_contains(add, "ALL")) {
		all_caps(&caps);
	} else if (!berth_strv_contains(drop, "ALL")) {
		for (size_t i = 0; berth_default_capabilities[i]; i++)
			berth_strv_push(&caps, berth_default_capabilities[i]);
	}
	for (size_t i = 0; add && add[i]; i++)
		if (strcmp(add[i], "ALL") != 0 && !berth_strv_contains(caps, add[i]))
			berth_strv_push(&caps, add[i]);
	if (!o->privileged) {
		size_t out = 0;
		for (size_t i = 0; caps[i]; i++) {
			if (berth_strv_contains(drop, caps[i]) && !berth_strv_contains(add, caps[i]))
				free(caps[i]);
			else
				caps[out++] = caps[i];
		}
		caps[out] = NULL;
	}
	*ret = TAKE_PTR(caps);
	return 0;
}

static json_t *mount_entry(const char *dest, const char *type, const char *source, const char *const *options)
{
	json_t *m = json_pack("{ss ss ss}", "destination", dest, "type", type, "source", source);

	json_object_set_new(m, "options", strings(options));
	return m;
}

static bool has_user_mount(const struct berth_run_options *o, const char *target)
{
	for (size_t i = 0; i < o->n_mounts; i++)
		if (strcmp(o->mounts[i].target, target) == 0)
			return true;
	return false;
}

static void default_mounts(json_t *mounts, const struct berth_run_options *o)
{
	_cleanup_free_ char *shm = berth_xasprintf("size=%llu",
						   (unsigned long long)(o->shm_size ? o->shm_size : DEFAULT_SHM_SIZE));
	const char *sys_ro = o->privileged ? "rw" : "ro";

	json_array_append_new(mounts, mount_entry("/proc", "proc", "proc",
						  (const char *const[]){ "nosuid", "noexec", "nodev", NULL }));
	json_array_append_new(mounts,
			      mount_entry("/dev", "tmpfs", "tmpfs",
					  (const char *const[]){ "nosuid", "strictatime", "mode=755", "size=65536k", NULL }));
	json_array_append_new(mounts, mount_entry("/dev/pts", "devpts", "devpts",
						  (const char *const[]){ "nosuid", "noexec", "newinstance",
									 "ptmxmode=0666", "mode=0620", "gid=5", NULL }));
	json_array_append_new(mounts, mount_entry("/sys", "sysfs", "sysfs",
						  (const char *const[]){ "nosuid", "noexec", "nodev", sys_ro, NULL }));
	json_array_append_new(mounts, mount_entry("/sys/fs/cgroup", "cgroup", "cgroup",
						  (const char *const[]){ "nosuid", "noexec", "nodev", "relatime",
									 sys_ro, NULL }));
	json_array_append_new(mounts, mount_entry("/dev/mqueue", "mqueue", "mqueue",
						  (const char *const[]){ "nosuid", "noexec", "nodev", NULL }));
	if (!has_user_mount(o, "/dev/shm"))
		json_array_append_new(mounts, mount_entry("/dev/shm", "tmpfs", "shm",
							  (const char *const[]){ "nosuid", "noexec", "nodev",
										 "mode=1777", shm, NULL }));
}

static int user_mounts(json_t *mounts, const struct berth_run_options *o, struct berth_error *err)
{
	for (size_t i = 0; i < o->n_mounts; i++) {
		const struct berth_mount_spec *m = &o->mounts[i];
		json_t *opts = json_array();

		if (m->target[0] != '/') {
			json_decref(opts);
			return berth_error_setx(err, EINVAL, "mount target \"%s\": not an absolute path", m->target);
		}
		if (m->kind == BERTH_MOUNT_TMPFS) {
			char buf[64];

			json_array_append_new(opts, json_string("nosuid"));
			json_array_append_new(opts, json_string("nodev"));
			json_array_append_new(opts, json_string(m->readonly ? "ro" : "rw"));
			snprintf(buf, sizeof(buf), "mode=%o", m->tmpfs_mode ? m->tmpfs_mode : 01777);
			json_array_append_new(opts, json_string(buf));
			if (m->tmpfs_size) {
				snprintf(buf, sizeof(buf), "size=%llu", (unsigned long long)m->tmpfs_size);
				json_array_append_new(opts, json_string(buf));
			}
			json_array_append_new(mounts, json_pack("{ss ss ss so}", "destination", m->target, "type",
								"tmpfs", "source", "tmpfs", "options", opts));
			continue;
		}
		json_array_append_new(opts, json_string("rbind"));
		json_array_append_new(opts, json_string(m->readonly ? "ro" : "rw"));
		json_array_append_new(opts, json_string(m->propagation ? m->propagation : "rprivate"));
		json_array_append_new(mounts, json_pack("{ss ss ss so}", "destination", m->target, "type", "bind",
							"source", m->source, "options", opts));
	}
	if (o->init && o->init_path)
		json_array_append_new(mounts, mount_entry("/dev/init", "bind", o->init_path,
							  (const char *const[]){ "bind", "ro", "nosuid", NULL }));
	return 0;
}

static json_t *device_rule(bool allow, const char *type, int64_t major, int64_t minor, const char *access)
{
	json_t *r = json_pack("{sb ss}", "allow", allow, "access", access);

	if (type)
		json_object_set_new(r, "type", json_string(type));
	if (major >= 0)
		json_object_set_new(r, "major", json_integer(major));
	if (minor >= 0)
		json_object_set_new(r, "minor", json_integer(minor));
	return r;
}

/* docker's default device cgroup: deny all, then mknod of anything and the standard nodes. */
static json_t *device_rules(const struct berth_run_options *o)
{
	static const struct {
		int64_t major, minor;
	} std[] = { { 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 }, { 5, 0 }, { 5, 1 }, { 5, 2 }, { 136, -1 }, { 10, 200 } };
	json_t *a = json_array();

	if (o->privileged) {
		json_array_append_new(a, device_rule(true, NULL, -1, -1, "rwm"));
		return a;
	}
	json_array_append_new(a, device_rule(false, NULL, -1, -1, "rwm"));
	json_array_append_new(a, device_rule(true, "c", -1, -1, "m"));
	json_array_append_new(a, device_rule(true, "b", -1, -1, "m"));
	for (size_t i = 0; i < ARRAY_SIZE(std); i++)
		json_array_append_new(a, device_rule(true, "c", std[i].major, std[i].minor, "rwm"));
	return a;
}

static json_t *resources(const struct berth_run_options *o)
{
	json_t *r = json_object(), *mem = json_object(), *cpu = json_object();

	json_object_set_new(r, "devices", device_rules(o));
	if (o->memory > 0) {
		json_object_set_new(mem, "limit", json_integer(o->memory));
		/* docker: --memory-swap unset means as much swap as memory; -1 unlimited */
		if (o->memory_swap == -1)
			json_object_set_new(mem, "swap", json_integer(-1));
		else
			json_object_set_new(mem, "swap",
					    json_integer(o->memory_swap > 0 ? o->memory_swap : 2 * o->memory));
	}
	if (o->memory_reservation > 0)
		json_object_set_new(mem, "reservation", json_integer(o->memory_reservation));
	if (json_object_size(mem))
		json_object_set_new(r, "memory", mem);
	else
		json_decref(mem);
	if (o->cpus > 0) {
		json_object_set_new(cpu, "period", json_integer(CPU_PERIOD));
		json_object_set_new(cpu, "quota", json_integer((json_int_t)(o->cpus * CPU_PERIOD + 0.5)));
	}
	if (o->cpu_shares)
		json_object_set_new(cpu, "shares", json_integer((json_int_t)o->cpu_shares));
	if (o->cpuset_cpus)
		json_object_set_new(cpu, "cpus", json_string(o->cpuset_cpus));
	if (o->cpuset_mems)
		json_object_set_new(cpu, "mems", json_string(o->cpuset_mems));
	if (json_object_size(cpu))
		json_object_set_new(r, "cpu", cpu);
	else
		json_decref(cpu);
	if (o->pids_limit > 0)
		json_object_set_new(r, "pids", json_pack("{sI}", "limit", (json_int_t)o->pids_limit));
	return r;
}

static json_t *namespaces(const struct berth_run_options *o)
{
	json_t *a = json_array();
	static const char *const own[] = { "pid", "ipc", "uts", "mount", "cgroup" };

	for (size_t i = 0; i < ARRAY_SIZE(own); i++)
		json_array_append_new(a, json_pack("{ss}", "type", own[i]));
	if (o->net_mode == BERTH_NET_PRIVATE)
		json_array_append_new(a, json_pack("{ss}", "type", "network"));
	else if (o->net_mode == BERTH_NET_PATH)
		json_array_append_new(a, json_pack("{ss ss}", "type", "network", "path", o->net_ns_path));
	return a;
}

/* --device nodes: created in the container and allowed in its device cgroup. */
static json_t *devices(const struct berth_run_options *o, json_t *rules)
{
	json_t *a = json_array();

	for (size_t i = 0; i < o->n_devices; i++) {
		const struct berth_device_spec *d = &o->devices[i];
		char type[2] = { d->type, '\0' };

		json_array_append_new(a, json_pack("{ss ss sI sI sI sI sI}", "path", d->container_path, "type", type,
						   "major", (json_int_t)d->major, "minor", (json_int_t)d->minor,
						   "fileMode", (json_int_t)d->file_mode, "uid", (json_int_t)d->uid,
						   "gid", (json_int_t)d->gid));
		json_array_append_new(rules, device_rule(true, type, d->major, d->minor,
							 d->permissions ? d->permissions : "rwm"));
	}
	return a;
}

static int build_seccomp(const struct berth_run_options *o, char **caps, json_t *linux_, struct berth_error *err)
{
	json_error_t jerr;
	json_t *profile;

	if (o->privileged || (o->seccomp_profile && strcmp(o->seccomp_profile, "unconfined") == 0))
		return 0;
	if (!o->seccomp_profile) {
		json_object_set_new(linux_, "seccomp", berth_seccomp_default_profile(caps));
		return 0;
	}
	profile = json_loads(o->seccomp_profile, 0, &jerr);
	if (!profile)
		return berth_error_setx(err, EINVAL, "seccomp profile:%d:%d: %s", jerr.line, jerr.column, jerr.text);
	json_object_set_new(linux_, "seccomp", profile);
	return 0;
}

static json_t *rlimits(const struct berth_run_options *o)
{
	json_t *a = json_array();

	for (size_t i = 0; i < o->n_ulimits; i++) {
		char name[64];
		size_t k;

		snprintf(name, sizeof(name), "RLIMIT_%s", o->ulimits[i].name);
		for (k = 7; name[k]; k++)
			name[k] = (char)toupper((unsigned char)name[k]);
		json_array_append_new(a, json_pack("{ss sI sI}", "type", name, "soft", (json_int_t)o->ulimits[i].soft,
						   "hard", (json_int_t)o->ulimits[i].hard));
	}
	return a;
}

static int build_process(json_t *image_config, const struct berth_run_options *o, const char *hostname,
			 char **caps, json_t **ret, struct berth_error *err)
{
	_cleanup_strv_free_ char **args = berth_spec_process_args(image_config, o);
	json_t *c = image_cfg(image_config), *p, *user, *capset;
	const char *cwd = o->workdir ? o->workdir : json_string_value(json_object_get(c, "WorkingDir"));

	if (berth_strv_length(args) == 0)
		return berth_error_setx(err, EINVAL, "no command specified");
	if (o->init) {
		char **with_init = NULL;
		berth_strv_push(&with_init, "/dev/init");
		berth_strv_push(&with_init, "--");
		for (size_t i = 0; args[i]; i++)
			berth_strv_push(&with_init, args[i]);
		berth_strv_free(args);
		args = with_init;
	}
	if (!cwd || !*cwd)
		cwd = "/";
	if (cwd[0] != '/')
		return berth_error_setx(err, EINVAL, "the working directory \"%s\" is invalid, it needs to be an absolute path", cwd);

	user = json_pack("{sI sI}", "uid", (json_int_t)o->uid, "gid", (json_int_t)o->gid);
	if (o->n_additional_gids) {
		json_t *g = json_array();
		for (size_t i = 0; i < o->n_additional_gids; i++)
			json_array_append_new(g, json_integer(o->additional_gids[i]));
		json_object_set_new(user, "additionalGids", g);
	}
	capset = json_pack("{so so so}", "bounding", strings((const char *const *)caps), "effective",
			   strings((const char *const *)caps), "permitted", strings((const char *const *)caps));
	p = json_pack("{sb so so so ss so}", "terminal", o->tty, "user", user, "args",
		      strings((const char *const *)args), "env", build_env(image_config, o, hostname), "cwd", cwd,
		      "capabilities", capset);
	if (o->no_new_privileges)
		json_object_set_new(p, "noNewPrivileges", json_true());
	if (o->n_ulimits)
		json_object_set_new(p, "rlimits", rlimits(o));
	*ret = p;
	return 0;
}

int berth_spec_build(json_t *image_config, const struct berth_run_options *o, const char *rootfs, json_t **ret,
		     struct berth_error *err)
{
	_cleanup_strv_free_ char **caps = NULL;
	_cleanup_free_ char *short_id = NULL;
	const char *hostname = o->hostname;
	json_t *spec = NULL, *process = NULL, *linux_, *mounts;
	int r;

	if (!hostname) {
		short_id = berth_xstrndup(o->id ? o->id : "", 12);
		hostname = short_id;
	}
	if ((r = build_caps(o, &caps, err)) < 0)
		return r;
	if ((r = build_process(image_config, o, hostname, caps, &process, err)) < 0)
		return r;

	mounts = json_array();
	default_mounts(mounts, o);
	if ((r = user_mounts(mounts, o, err)) < 0) {
		json_decref(mounts);
		json_decref(process);
		return r;
	}

	linux_ = json_pack("{so so}", "resources", resources(o), "namespaces", namespaces(o));
	if (o->cgroups_path)
		json_object_set_new(linux_, "cgroupsPath", json_string(o->cgroups_path));
	json_object_set_new(linux_, "devices",
			    devices(o, json_object_get(json_object_get(linux_, "resources"), "devices")));
	if (!o->privileged) {
		json_object_set_new(linux_, "maskedPaths", strings(masked_paths));
		json_object_set_new(linux_, "readonlyPaths", strings(readonly_paths));
	}
	if ((r = build_seccomp(o, caps, linux_, err)) < 0) {
		json_decref(linux_);
		json_decref(mounts);
		json_decref(process);
		return r;
	}

	spec = json_pack("{ss so s{ss sb} ss so so}", "ociVersion", "1.0.2", "process", process, "root", "path", rootfs,
			 "readonly", o->read_only, "hostname", hostname, "mounts", mounts, "linux", linux_);
	if (o->domainname)
		json_object_set_new(spec, "domainname", json_string(o->domainname));
	if (o->annotations) {
		json_t *ann = json_object();
		for (size_t i = 0; o->annotations[i]; i++) {
			_cleanup_free_ char *k = berth_xstrdup(o->annotations[i]);
			char *eq = strchr(k, '=');
			if (!eq)
				continue;
			*eq = '\0';
			json_object_set_new(ann, k, json_string(eq + 1));
		}
		json_object_set_new(spec, "annotations", ann);
	}
	*ret = spec;
	return 0;
}
