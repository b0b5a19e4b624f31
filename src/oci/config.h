#pragma once
/*
 * The OCI runtime-spec (1.x, Linux) config.json, parsed and validated into
 * plain C structures.  Everything the runtime reads from a bundle's
 * config.json goes through berth_oci_config_load(); after it returns 0 the
 * structure is known to be well formed (types, ranges, known enum values),
 * so the runtime code never re-checks JSON shapes.
 *
 * Absent optional fields are NULL / 0 / false; "has_*" flags tell an
 * explicit zero from an absent value where the spec makes a difference.
 * As in runc (Go), JSON null reads as absent, and an empty optional string
 * ("hostname": "", "apparmorProfile": "", ...) is stored as NULL.  Unknown
 * members are ignored, for forward compatibility.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

enum berth_ns_type {
	BERTH_NS_PID,
	BERTH_NS_NETWORK,
	BERTH_NS_MOUNT,
	BERTH_NS_IPC,
	BERTH_NS_UTS,
	BERTH_NS_USER,
	BERTH_NS_CGROUP,
	BERTH_NS_TIME,
	_BERTH_NS_MAX,
	_BERTH_NS_INVALID = -1,
};

/* "pid", "network", ... ; NULL for an invalid value */
const char *berth_ns_type_to_string(enum berth_ns_type t);
enum berth_ns_type berth_ns_type_from_string(const char *s);
/* CLONE_NEWPID, ... */
int berth_ns_type_to_clone_flag(enum berth_ns_type t);
/* "pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time": the /proc/PID/ns/ name */
const char *berth_ns_type_to_proc_name(enum berth_ns_type t);

struct berth_oci_namespace {
	enum berth_ns_type type;
	char *path; /* join this namespace; NULL = create a new one */
};

struct berth_oci_id_mapping {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct berth_oci_rlimit {
	int resource; /* RLIMIT_* */
	char *type;   /* "RLIMIT_NOFILE" as written */
	uint64_t soft;
	uint64_t hard;
};

/* Capability sets as bitmasks of CAP_* numbers (bit n = capability n). */
struct berth_oci_capabilities {
	uint64_t bounding;
	uint64_t effective;
	uint64_t inheritable;
	uint64_t permitted;
	uint64_t ambient;
};

struct berth_oci_user {
	uint32_t uid;
	uint32_t gid;
	bool has_umask;
	mode_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
};

struct berth_oci_process {
	bool terminal;
	bool has_console_size;
	unsigned console_height;
	unsigned console_width;
	struct berth_oci_user user;
	char **args; /* at least one element */
	char **env;  /* may be NULL */
	char *cwd;   /* absolute */
	bool has_capabilities;
	struct berth_oci_capabilities capabilities;
	struct berth_oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
};

struct berth_oci_root {
	char *path; /* as written: relative to the bundle or absolute */
	bool readonly;
};

struct berth_oci_mount {
	char *destination; /* absolute path inside the container */
	char *type;        /* may be NULL (bind mounts) */
	char *source;      /* may be NULL */
	char **options;    /* raw option strings, parsed by runtime/mount-options.c */
};

struct berth_oci_hook {
	char *path; /* absolute path on the host */
	char **args;
	char **env;
	bool has_timeout;
	int timeout; /* seconds, > 0 */
};

enum berth_hook_kind {
	BERTH_HOOK_PRESTART,
	BERTH_HOOK_CREATE_RUNTIME,
	BERTH_HOOK_CREATE_CONTAINER,
	BERTH_HOOK_START_CONTAINER,
	BERTH_HOOK_POSTSTART,
	BERTH_HOOK_POSTSTOP,
	_BERTH_HOOK_MAX,
};

/* "prestart", "createRuntime", ... */
const char *berth_hook_kind_to_string(enum berth_hook_kind k);

struct berth_oci_hooks {
	struct berth_oci_hook *hooks[_BERTH_HOOK_MAX];
	size_t n_hooks[_BERTH_HOOK_MAX];
};

struct berth_oci_device {
	char *path;
	char type; /* 'c', 'b', 'u' or 'p' */
	int64_t major;
	int64_t minor;
	bool has_file_mode;
	mode_t file_mode;
	bool has_uid;
	uid_t uid;
	bool has_gid;
	gid_t gid;
};

struct berth_oci_sysctl {
	char *key;
	char *value;
};

enum berth_seccomp_action {
	BERTH_SECCOMP_KILL,         /* SCMP_ACT_KILL (= kill thread) */
	BERTH_SECCOMP_KILL_PROCESS, /* SCMP_ACT_KILL_PROCESS */
	BERTH_SECCOMP_KILL_THREAD,  /* SCMP_ACT_KILL_THREAD */
	BERTH_SECCOMP_TRAP,
	BERTH_SECCOMP_ERRNO,
	BERTH_SECCOMP_TRACE,
	BERTH_SECCOMP_ALLOW,
	BERTH_SECCOMP_LOG,
	BERTH_SECCOMP_NOTIFY,
	_BERTH_SECCOMP_ACTION_MAX,
	_BERTH_SECCOMP_ACTION_INVALID = -1,
};

const char *berth_seccomp_action_to_string(enum berth_seccomp_action a);
enum berth_seccomp_action berth_seccomp_action_from_string(const char *s);

enum berth_seccomp_op {
	BERTH_SECCOMP_OP_NOT_EQUAL,
	BERTH_SECCOMP_OP_LESS_THAN,
	BERTH_SECCOMP_OP_LESS_EQUAL,
	BERTH_SECCOMP_OP_EQUAL_TO,
	BERTH_SECCOMP_OP_GREATER_EQUAL,
	BERTH_SECCOMP_OP_GREATER_THAN,
	BERTH_SECCOMP_OP_MASKED_EQUAL,
	_BERTH_SECCOMP_OP_MAX,
	_BERTH_SECCOMP_OP_INVALID = -1,
};

const char *berth_seccomp_op_to_string(enum berth_seccomp_op o);
enum berth_seccomp_op berth_seccomp_op_from_string(const char *s);

/* NULL-terminated lists of the "SCMP_ARCH_*" and "SECCOMP_FILTER_FLAG_*" names a config may use. */
extern const char *const berth_seccomp_arch_names[];
extern const char *const berth_seccomp_flag_names[];

struct berth_oci_seccomp_arg {
	unsigned index; /* 0..5 */
	uint64_t value;
	uint64_t value_two;
	enum berth_seccomp_op op;
};

struct berth_oci_seccomp_syscall {
	char **names;
	enum berth_seccomp_action action;
	bool has_errno_ret;
	unsigned errno_ret;
	struct berth_oci_seccomp_arg *args;
	size_t n_args;
};

struct berth_oci_seccomp {
	enum berth_seccomp_action default_action;
	bool has_default_errno_ret;
	unsigned default_errno_ret;
	char **architectures; /* "SCMP_ARCH_X86_64", validated against a known list */
	char **flags;         /* "SECCOMP_FILTER_FLAG_LOG", validated */
	char *listener_path;
	char *listener_metadata;
	struct berth_oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct berth_oci_personality {
	char *domain; /* "LINUX" or "LINUX32" */
	char **flags;
};

struct berth_oci_time_offset {
	bool set;
	int64_t secs;
	uint32_t nanosecs;
};

struct berth_oci_linux {
	struct berth_oci_namespace *namespaces;
	size_t n_namespaces;
	struct berth_oci_id_mapping *uid_mappings;
	size_t n_uid_mappings;
	struct berth_oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
	struct berth_oci_sysctl *sysctls;
	size_t n_sysctls;
	struct berth_oci_device *devices;
	size_t n_devices;
	char *cgroups_path;
	json_t *resources; /* kept as JSON, owned; parsed by the cgroups subsystem */
	char **masked_paths;
	char **readonly_paths;
	char *rootfs_propagation; /* "shared", "slave", "private", "unbindable", r-variants */
	char *mount_label;
	struct berth_oci_seccomp *seccomp; /* NULL = no seccomp */
	struct berth_oci_personality *personality;
	struct berth_oci_time_offset time_monotonic;
	struct berth_oci_time_offset time_boottime;
};

struct berth_oci_annotation {
	char *key;
	char *value;
};

struct berth_oci_config {
	char *oci_version;
	struct berth_oci_root root;
	struct berth_oci_process *process; /* NULL only when allowed (never for create) */
	char *hostname;
	char *domainname;
	struct berth_oci_mount *mounts;
	size_t n_mounts;
	struct berth_oci_hooks hooks;
	struct berth_oci_annotation *annotations;
	size_t n_annotations;
	struct berth_oci_linux linux_; /* "linux" is a predefined macro under gnu11 */
	bool has_linux;
};

/*
 * Parse and validate the JSON text of a config.json.  `name` is the file
 * name used in messages.  Errors read
 *	<name>:<line>:<column>: <field>: <problem>
 * e.g. `config.json:12:17: process.args[0]: expected a string`.
 */
int berth_oci_config_parse(const char *name, const char *text, size_t len, struct berth_oci_config **ret,
			   struct berth_error *err);

/* Read and parse <path>. */
int berth_oci_config_load(const char *path, struct berth_oci_config **ret, struct berth_error *err);

/* Parse only a "process" object (used by `exec --process`). */
int berth_oci_process_parse(const char *name, const char *text, size_t len, struct berth_oci_process **ret,
			    struct berth_error *err);

void berth_oci_config_free(struct berth_oci_config *c);
void berth_oci_process_free(struct berth_oci_process *p);

static inline void berth_oci_config_freep(struct berth_oci_config **c)
{
	berth_oci_config_free(*c);
}
static inline void berth_oci_process_freep(struct berth_oci_process **p)
{
	berth_oci_process_free(*p);
}

/* Find a namespace entry of the given type, or NULL. */
const struct berth_oci_namespace *berth_oci_config_find_namespace(const struct berth_oci_config *c,
								   enum berth_ns_type t);

/* The capability number for "CAP_SYS_ADMIN", or -1 if unknown to this build. */
int berth_capability_from_name(const char *name);
/* "CAP_SYS_ADMIN" for 21; NULL if unknown. */
const char *berth_capability_to_name(int cap);
/* Highest capability number this build knows. */
int berth_capability_last(void);
