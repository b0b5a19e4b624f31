/* The `features` document, built from the same tables the parser validates against. */
#include "oci/features.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth-config.h"
#include "oci/config.h"
#include "util/cleanup.h"

#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif

/* The options runtime/mount-options.c understands: runc's set. */
static const char *const mount_options[] = {
	"acl",	       "async",	      "atime",	     "bind",	   "defaults",	   "dev",	"diratime",
	"dirsync",     "exec",	      "iversion",    "lazytime",   "loud",	   "mand",	"noacl",
	"noatime",     "nodev",	      "nodiratime",  "noexec",	   "noiversion",   "nolazytime", "nomand",
	"norelatime",  "nostrictatime", "nosuid",   "nosymfollow", "private",	   "ratime",	"rbind",
	"rdev",	       "rdiratime",   "relatime",    "remount",	   "rexec",	   "rnoatime",	"rnodev",
	"rnodiratime", "rnoexec",     "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro",
	"rprivate",    "rrelatime",   "rro",	     "rrw",	   "rshared",	   "rslave",	"rstrictatime",
	"rsuid",       "rsymfollow",  "runbindable", "rw",	   "shared",	   "silent",	"slave",
	"strictatime", "suid",	      "symfollow",   "sync",	   "tmpcopyup",	   "unbindable", NULL,
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A JSON array of n names from get(i), sorted like runc prints them. */
static json_t *sorted_array(size_t n, const char *(*get)(int))
{
	_cleanup_free_ const char **v = calloc(n ? n : 1, sizeof(char *));
	json_t *a = json_array();
	size_t k = 0;

	if (!v)
		abort();
	for (size_t i = 0; i < n; i++)
		if (get(i))
			v[k++] = get(i);
	qsort(v, k, sizeof(char *), cmp_str);
	for (size_t i = 0; i < k; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static const char *ns_name(int i)
{
	return berth_ns_type_to_string(i);
}

static const char *action_name(int i)
{
	return berth_seccomp_action_to_string(i);
}

static const char *op_name(int i)
{
	return berth_seccomp_op_to_string(i);
}

static const char *arch_name(int i)
{
	return berth_seccomp_arch_names[i];
}

static json_t *string_list(const char *const *v)
{
	json_t *a = json_array();

	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static unsigned long flag_value(const char *name)
{
	static const struct {
		const char *name;
		unsigned long value;
	} flags[] = {
		{ "SECCOMP_FILTER_FLAG_TSYNC", 1UL << 0 },
		{ "SECCOMP_FILTER_FLAG_LOG", 1UL << 1 },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1UL << 2 },
		/* only valid with NEW_LISTENER (1 << 3) */
		{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", (1UL << 5) | (1UL << 3) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (strcmp(flags[i].name, name) == 0)
			return flags[i].value;
	return 0;
}

/*
 * The kernel checks the flags before it reads the filter, so a NULL filter
 * fails with EFAULT for a flag it knows and EINVAL for one it does not (the
 * probe libseccomp uses); nothing is installed either way.
 */
static json_t *supported_flags(void)
{
	json_t *a = json_array();

	for (const char *const *f = berth_seccomp_flag_names; *f; f++) {
		unsigned long v = flag_value(*f);

		if (v && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, v, NULL) < 0 && errno == EFAULT)
			json_array_append_new(a, json_string(*f));
	}
	return a;
}

static const char *cap_name(int i)
{
	return berth_capability_to_name(i);
}

static json_t *capabilities(void)
{
	json_t *a = json_array();

	/* in number order, as runc lists them */
	for (int i = 0; i <= berth_capability_last(); i++)
		json_array_append_new(a, json_string(cap_name(i)));
	return a;
}

static json_t *seccomp(void)
{
	size_t n_archs = 0;

	while (berth_seccomp_arch_names[n_archs])
		n_archs++;
	return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions",
			 sorted_array(_BERTH_SECCOMP_ACTION_MAX, action_name), "operators",
			 sorted_array(_BERTH_SECCOMP_OP_MAX, op_name), "archs", sorted_array(n_archs, arch_name),
			 "knownFlags", string_list(berth_seccomp_flag_names), "supportedFlags", supported_flags());
}

json_t *berth_oci_features(void)
{
	json_t *hooks = json_array(), *f;

	for (int k = 0; k < _BERTH_HOOK_MAX; k++)
		json_array_append_new(hooks, json_string(berth_hook_kind_to_string(k)));
	f = json_pack("{s:s, s:s, s:o, s:o,"
		      " s:{s:o, s:o, s:{s:b, s:b, s:b, s:b}, s:o, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:{s:b}}},"
		      " s:{s:s}}",
		      "ociVersionMin", "1.0.0", "ociVersionMax", BERTH_OCI_VERSION, "hooks", hooks, "mountOptions",
		      string_list(mount_options), "linux", "namespaces", sorted_array(_BERTH_NS_MAX, ns_name),
		      "capabilities", capabilities(), "cgroup", "v1", 1, "v2", 1, "systemd", BERTH_HAVE_SYSTEMD, "systemdUser", 0,
		      "seccomp", seccomp(), "apparmor", "enabled", 0, "selinux", "enabled", 0, "intelRdt", "enabled", 0,
		      "mountExtensions", "idmap", "enabled", 0, "annotations", "io.github.berth.version", BERTH_VERSION);
	if (!f)
		abort(); /* only a bad format string or no memory get here */
	return f;
}
