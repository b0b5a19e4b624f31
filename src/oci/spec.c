/* The `spec` verb's default config: runc's libcontainer/specconv example, field for field. */
#include "oci/spec.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth-config.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* A new JSON array of the strings; with `rootless`, uid=/gid= options are left out (runc's ToRootless). */
static json_t *string_array(const char *const *v, bool rootless)
{
	json_t *a = json_array();

	for (; *v; v++) {
		if (rootless && (strncmp(*v, "uid=", 4) == 0 || strncmp(*v, "gid=", 4) == 0))
			continue;
		json_array_append_new(a, json_string(*v));
	}
	return a;
}

static json_t *default_capabilities(void)
{
	static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

	return json_pack("{s:o, s:o, s:o, s:o}", "bounding", string_array(caps, false), "effective",
			 string_array(caps, false), "permitted", string_array(caps, false), "ambient",
			 string_array(caps, false));
}

static json_t *default_process(void)
{
	return json_pack("{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:o, s:[{s:s, s:i, s:i}], s:b}", "terminal", 1,
			 "user", "uid", 0, "gid", 0, "args", "sh", "env",
			 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "cwd", "/",
			 "capabilities", default_capabilities(), "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft",
			 1024, "noNewPrivileges", 1);
}

static json_t *mount(const char *dest, const char *type, const char *source, const char *const *options,
		     bool rootless)
{
	json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);

	if (options)
		json_object_set_new(m, "options", string_array(options, rootless));
	return m;
}

static json_t *default_mounts(bool rootless)
{
	json_t *a = json_array();

	json_array_append_new(a, mount("/proc", "proc", "proc", NULL, rootless));
	json_array_append_new(a, mount("/dev", "tmpfs", "tmpfs",
				       (const char *const[]){ "nosuid", "strictatime", "mode=755", "size=65536k", NULL },
				       rootless));
	json_array_append_new(a, mount("/dev/pts", "devpts", "devpts",
				       (const char *const[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666",
							      "mode=0620", "gid=5", NULL },
				       rootless));
	json_array_append_new(a, mount("/dev/shm", "tmpfs", "shm",
				       (const char *const[]){ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
							      NULL },
				       rootless));
	json_array_append_new(a, mount("/dev/mqueue", "mqueue", "mqueue",
				       (const char *const[]){ "nosuid", "noexec", "nodev", NULL }, rootless));
	/* without a new network namespace sysfs cannot be mounted: bind the host's, read-only */
	if (rootless)
		json_array_append_new(a, mount("/sys", "none", "/sys",
					       (const char *const[]){ "rbind", "nosuid", "noexec", "nodev", "ro", NULL },
					       rootless));
	else
		json_array_append_new(a, mount("/sys", "sysfs", "sysfs",
					       (const char *const[]){ "nosuid", "noexec", "nodev", "ro", NULL }, rootless));
	json_array_append_new(a, mount("/sys/fs/cgroup", "cgroup", "cgroup",
				       (const char *const[]){ "nosuid", "noexec", "nodev", "relatime", "ro", NULL },
				       rootless));
	return a;
}

static json_t *default_linux(bool rootless)
{
	static const char *const masked[] = {
		"/proc/acpi",	     "/proc/asound",	 "/proc/kcore",	      "/proc/keys",    "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
		NULL,
	};
	static const char *const readonly[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
						NULL };
	json_t *l = json_object(), *ns = json_array();

	if (rootless) {
		json_object_set_new(l, "uidMappings",
				    json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)geteuid(),
					      "size", 1));
		json_object_set_new(l, "gidMappings",
				    json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)getegid(),
					      "size", 1));
	} else {
		json_object_set_new(l, "resources",
				    json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
	}
	for (const char *const *t = (const char *const[]){ "pid", "network", "ipc", "uts", "mount", NULL }; *t; t++)
		if (!rootless || strcmp(*t, "network") != 0)
			json_array_append_new(ns, json_pack("{s:s}", "type", *t));
	if (rootless)
		json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
	json_object_set_new(l, "namespaces", ns);
	json_object_set_new(l, "maskedPaths", string_array(masked, false));
	json_object_set_new(l, "readonlyPaths", string_array(readonly, false));
	return l;
}

json_t *berth_oci_spec_default(bool rootless)
{
	json_t *spec = json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", BERTH_OCI_VERSION, "process",
				 default_process(), "root", "path", "rootfs", "readonly", 1, "hostname", "runc",
				 "mounts", default_mounts(rootless), "linux", default_linux(rootless));

	if (!spec)
		abort(); /* only a bad format string or no memory get here */
	return spec;
}

char *berth_oci_spec_dumps(const json_t *spec)
{
	_cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(1));
	char *out, *o;
	bool bol = true;

	if (!text)
		abort();
	/* JSON_INDENT(1) puts one space per level at the start of each line; make those tabs */
	out = o = berth_xmalloc(strlen(text) + 1);
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			bol = true;
		else if (*p != ' ')
			bol = false;
		*o++ = bol && *p == ' ' ? '\t' : *p;
	}
	*o = '\0';
	return out;
}
