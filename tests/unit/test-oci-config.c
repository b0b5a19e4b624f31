#include "oci/config.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/strv.h"

#define CAP(n) (UINT64_C(1) << (n))

static struct berth_oci_config *load(const char *path)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_oci_config *c = NULL;

	if (!tap_ok(berth_oci_config_load(path, &c, &err) == 0, "load %s", path))
		tap_diag("%s", err.msg);
	berth_error_release(&err);
	return c;
}

static bool strv_equal(char **v, const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++)
		if (!v || !v[i] || strcmp(v[i], want[i]) != 0)
			return false;
	return !v ? i == 0 : v[i] == NULL;
}

static void test_runc_spec(void)
{
	_cleanup_(berth_oci_config_freep) struct berth_oci_config *c = load("data/runc-spec.json");
	const uint64_t caps = CAP(CAP_AUDIT_WRITE) | CAP(CAP_KILL) | CAP(CAP_NET_BIND_SERVICE);
	struct berth_oci_process *p;

	if (!c)
		return;
	p = c->process;
	TAP_OK(strcmp(c->oci_version, "1.0.2-dev") == 0);
	TAP_OK(strcmp(c->root.path, "rootfs") == 0 && c->root.readonly);
	TAP_OK(p && p->terminal && !p->has_console_size);
	TAP_OK(strv_equal(p->args, (const char *const[]){ "sh", NULL }));
	TAP_OK(strv_equal(p->env, (const char *const[]){ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
							 "TERM=xterm", NULL }));
	TAP_OK(strcmp(p->cwd, "/") == 0 && p->user.uid == 0 && p->user.gid == 0 && !p->user.has_umask);
	TAP_OK(p->has_capabilities && p->capabilities.bounding == caps && p->capabilities.effective == caps &&
	       p->capabilities.permitted == caps && p->capabilities.ambient == caps &&
	       p->capabilities.inheritable == 0);
	TAP_OK(p->n_rlimits == 1 && p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 1024 &&
	       p->rlimits[0].hard == 1024 && strcmp(p->rlimits[0].type, "RLIMIT_NOFILE") == 0);
	TAP_OK(p->no_new_privileges && !p->has_oom_score_adj && !p->apparmor_profile && !p->selinux_label);
	TAP_OK(strcmp(c->hostname, "runc") == 0 && !c->domainname);
	TAP_OK(c->n_mounts == 7 && strcmp(c->mounts[0].destination, "/proc") == 0 && !c->mounts[0].options);
	TAP_OK(strcmp(c->mounts[2].type, "devpts") == 0 &&
	       strv_equal(c->mounts[2].options, (const char *const[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666",
								      "mode=0620", "gid=5", NULL }));
	TAP_OK(c->has_linux && c->linux_.n_namespaces == 5 && c->linux_.namespaces[4].type == BERTH_NS_MOUNT);
	TAP_OK(berth_oci_config_find_namespace(c, BERTH_NS_NETWORK) != NULL &&
	       berth_oci_config_find_namespace(c, BERTH_NS_USER) == NULL);
	TAP_OK(json_is_object(c->linux_.resources) &&
	       json_array_size(json_object_get(c->linux_.resources, "devices")) == 1);
	TAP_OK(berth_strv_length(c->linux_.masked_paths) == 10 && berth_strv_length(c->linux_.readonly_paths) == 5);
	TAP_OK(!c->linux_.seccomp && !c->linux_.personality && !c->linux_.uid_mappings && c->n_annotations == 0);
	for (int k = 0; k < _BERTH_HOOK_MAX; k++)
		TAP_OK(c->hooks.n_hooks[k] == 0);
}

static void test_runc_spec_rootless(void)
{
	_cleanup_(berth_oci_config_freep) struct berth_oci_config *c = load("data/runc-spec-rootless.json");
	const struct berth_oci_namespace *ns;

	if (!c)
		return;
	ns = berth_oci_config_find_namespace(c, BERTH_NS_USER);
	TAP_OK(ns && !ns->path);
	TAP_OK(c->linux_.n_uid_mappings == 1 && c->linux_.uid_mappings[0].size == 1 && c->linux_.n_gid_mappings == 1);
	TAP_OK(!c->linux_.resources && !berth_oci_config_find_namespace(c, BERTH_NS_NETWORK));
}

static void test_maximal_process(const struct berth_oci_process *p)
{
	TAP_OK(p->terminal && p->has_console_size && p->console_height == 25 && p->console_width == 80);
	TAP_OK(p->user.uid == 1000 && p->user.gid == 1001 && p->user.has_umask && p->user.umask == 022);
	TAP_OK(p->user.n_additional_gids == 3 && p->user.additional_gids[0] == 5 &&
	       p->user.additional_gids[2] == UINT32_MAX);
	TAP_OK(strv_equal(p->args, (const char *const[]){ "/bin/sh", "-c", "echo \"hi\"", NULL }));
	TAP_OK(strv_equal(p->env, (const char *const[]){ "PATH=/usr/bin:/bin", "EMPTY=", "A=b=c", NULL }));
	TAP_OK(strcmp(p->cwd, "/home/user") == 0);
	/* CAP_FUTURE_THING is unknown but starts with CAP_: skipped */
	TAP_OK(p->capabilities.bounding == (CAP(0) | CAP(21) | CAP(40)));
	TAP_OK(p->capabilities.effective == CAP(CAP_KILL) && p->capabilities.inheritable == 0 &&
	       p->capabilities.permitted == (CAP(CAP_KILL) | CAP(CAP_NET_RAW)) &&
	       p->capabilities.ambient == CAP(CAP_NET_BIND_SERVICE));
	TAP_OK(p->n_rlimits == 3 && p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 1024 &&
	       p->rlimits[0].hard == 4096);
	TAP_OK(p->rlimits[1].resource == RLIMIT_CORE && p->rlimits[1].soft == UINT64_MAX &&
	       p->rlimits[1].hard == UINT64_MAX);
	TAP_OK(p->rlimits[2].resource == RLIMIT_STACK && p->rlimits[2].soft == 0 &&
	       p->rlimits[2].hard == (uint64_t)INT64_MAX);
	TAP_OK(p->no_new_privileges && p->has_oom_score_adj && p->oom_score_adj == -999);
	TAP_OK(strcmp(p->apparmor_profile, "berth-default") == 0 &&
	       strcmp(p->selinux_label, "system_u:system_r:container_t:s0") == 0);
}

static void test_maximal_linux(const struct berth_oci_linux *l)
{
	const struct berth_oci_seccomp *s = l->seccomp;

	TAP_OK(l->n_namespaces == 8 && l->namespaces[7].type == BERTH_NS_TIME &&
	       strcmp(l->namespaces[1].path, "/var/run/netns/x") == 0 && !l->namespaces[0].path);
	TAP_OK(l->n_uid_mappings == 2 && l->uid_mappings[0].host_id == 100000 && l->uid_mappings[0].size == 65536 &&
	       l->uid_mappings[1].container_id == UINT32_MAX && l->uid_mappings[1].size == 1);
	TAP_OK(l->n_gid_mappings == 1 && l->gid_mappings[0].host_id == 4294901760u);
	TAP_OK(l->n_sysctls == 2 && strcmp(l->sysctls[0].key, "net.ipv4.ip_forward") == 0 &&
	       strcmp(l->sysctls[1].value, "65536") == 0);
	TAP_OK(l->n_devices == 5 && l->devices[0].type == 'c' && l->devices[0].major == 10 &&
	       l->devices[0].minor == 229 && l->devices[0].has_file_mode && l->devices[0].file_mode == 0666 &&
	       l->devices[0].has_uid && l->devices[0].has_gid);
	TAP_OK(l->devices[1].type == 'b' && !l->devices[1].has_file_mode && !l->devices[1].has_uid);
	TAP_OK(l->devices[2].type == 'u' && l->devices[3].type == 'p' && l->devices[4].type == 'p');
	TAP_OK(strcmp(l->cgroups_path, "/berth/test") == 0);
	/* resources keep uint64 values above INT64_MAX as their two's complement */
	TAP_OK((uint64_t)json_integer_value(json_object_get(json_object_get(l->resources, "memory"), "swappiness")) ==
	       UINT64_MAX);
	TAP_OK(json_integer_value(json_object_get(json_object_get(l->resources, "pids"), "limit")) == 100);
	TAP_OK(strv_equal(l->masked_paths, (const char *const[]){ "/proc/kcore", "/sys/firmware", NULL }) &&
	       strv_equal(l->readonly_paths, (const char *const[]){ "/proc/sys", NULL }));
	TAP_OK(strcmp(l->rootfs_propagation, "rslave") == 0 && strncmp(l->mount_label, "system_u:", 9) == 0);
	TAP_OK(s && s->default_action == BERTH_SECCOMP_ERRNO && s->has_default_errno_ret && s->default_errno_ret == 38);
	TAP_OK(strv_equal(s->architectures,
			  (const char *const[]){ "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL }));
	TAP_OK(strv_equal(s->flags, (const char *const[]){ "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
							   NULL }));
	TAP_OK(strcmp(s->listener_path, "/run/seccomp-agent.sock") == 0 && strcmp(s->listener_metadata, "meta") == 0);
	TAP_OK(s->n_syscalls == 5 && s->syscalls[0].action == BERTH_SECCOMP_ALLOW && !s->syscalls[0].has_errno_ret &&
	       strv_equal(s->syscalls[0].names, (const char *const[]){ "read", "write", NULL }));
	TAP_OK(s->syscalls[1].action == BERTH_SECCOMP_NOTIFY);
	TAP_OK(s->syscalls[2].n_args == 2 && s->syscalls[2].args[0].index == 0 &&
	       s->syscalls[2].args[0].value == 4294967295u && s->syscalls[2].args[0].value_two == 0 &&
	       s->syscalls[2].args[0].op == BERTH_SECCOMP_OP_EQUAL_TO);
	TAP_OK(s->syscalls[2].args[1].index == 5 && s->syscalls[2].args[1].value == UINT64_MAX &&
	       s->syscalls[2].args[1].value_two == 12 && s->syscalls[2].args[1].op == BERTH_SECCOMP_OP_MASKED_EQUAL);
	TAP_OK(s->syscalls[3].action == BERTH_SECCOMP_TRACE && s->syscalls[3].has_errno_ret &&
	       s->syscalls[3].errno_ret == 1);
	TAP_OK(s->syscalls[4].action == BERTH_SECCOMP_KILL_PROCESS);
	TAP_OK(l->personality && strcmp(l->personality->domain, "LINUX32") == 0 &&
	       strv_equal(l->personality->flags, (const char *const[]){ "SHORT_INODE", NULL }));
	TAP_OK(l->time_monotonic.set && l->time_monotonic.secs == -86400 && l->time_monotonic.nanosecs == 999999999);
	TAP_OK(l->time_boottime.set && l->time_boottime.secs == 1 && l->time_boottime.nanosecs == 0);
}

static void test_maximal(void)
{
	_cleanup_(berth_oci_config_freep) struct berth_oci_config *c = load("data/maximal.json");
	const struct berth_oci_hooks *h;

	if (!c)
		return;
	h = &c->hooks;
	TAP_OK(strcmp(c->oci_version, "1.2.0") == 0 && strcmp(c->root.path, "/var/lib/berth/rootfs") == 0);
	test_maximal_process(c->process);
	TAP_OK(strcmp(c->hostname, "box") == 0 && strcmp(c->domainname, "example.org") == 0);
	TAP_OK(c->n_mounts == 3 && !c->mounts[1].type && strcmp(c->mounts[1].source, "/srv/data") == 0 &&
	       strv_equal(c->mounts[1].options, (const char *const[]){ "rbind", "ro", NULL }));
	TAP_OK(!c->mounts[2].source && c->mounts[2].options && !c->mounts[2].options[0]);
	TAP_OK(h->n_hooks[BERTH_HOOK_PRESTART] == 1 && h->n_hooks[BERTH_HOOK_CREATE_RUNTIME] == 2 &&
	       h->n_hooks[BERTH_HOOK_CREATE_CONTAINER] == 1 && h->n_hooks[BERTH_HOOK_START_CONTAINER] == 1 &&
	       h->n_hooks[BERTH_HOOK_POSTSTART] == 1 && h->n_hooks[BERTH_HOOK_POSTSTOP] == 1);
	TAP_OK(strcmp(h->hooks[BERTH_HOOK_CREATE_RUNTIME][0].path, "/usr/bin/net-setup") == 0 &&
	       strv_equal(h->hooks[BERTH_HOOK_CREATE_RUNTIME][0].args, (const char *const[]){ "net-setup", "--up", NULL }) &&
	       strv_equal(h->hooks[BERTH_HOOK_CREATE_RUNTIME][0].env, (const char *const[]){ "X=1", NULL }) &&
	       h->hooks[BERTH_HOOK_CREATE_RUNTIME][0].has_timeout && h->hooks[BERTH_HOOK_CREATE_RUNTIME][0].timeout == 10);
	TAP_OK(!h->hooks[BERTH_HOOK_CREATE_RUNTIME][1].has_timeout && !h->hooks[BERTH_HOOK_CREATE_RUNTIME][1].args);
	TAP_OK(h->hooks[BERTH_HOOK_START_CONTAINER][0].timeout == 1 && !h->hooks[BERTH_HOOK_POSTSTOP][0].env);
	TAP_OK(c->n_annotations == 2 && strcmp(c->annotations[0].key, "org.example.key") == 0 &&
	       strcmp(c->annotations[0].value, "value") == 0 && strcmp(c->annotations[1].value, "") == 0);
	test_maximal_linux(&c->linux_);
}

static void test_runtime_spec_example(void)
{
	_cleanup_(berth_oci_config_freep) struct berth_oci_config *c = load("data/runtime-spec-example.json");

	if (!c)
		return;
	TAP_OK(c->process->user.uid == 1 && c->process->user.n_additional_gids == 2 &&
	       c->process->oom_score_adj == 100);
	TAP_OK(c->process->capabilities.effective == (CAP(CAP_AUDIT_WRITE) | CAP(CAP_KILL)));
	TAP_OK(c->hooks.n_hooks[BERTH_HOOK_PRESTART] == 2 && c->hooks.hooks[BERTH_HOOK_POSTSTART][0].timeout == 5);
	TAP_OK(c->linux_.n_devices == 2 && c->linux_.devices[1].file_mode == 0660);
	TAP_OK(c->linux_.seccomp && c->linux_.seccomp->n_syscalls == 1 &&
	       c->linux_.seccomp->syscalls[0].action == BERTH_SECCOMP_ERRNO);
	TAP_OK(c->linux_.n_namespaces == 7 && c->n_annotations == 2 && strcmp(c->linux_.rootfs_propagation, "slave") == 0);
}

/* On a mismatch, show the message and the text line it points at, with a caret. */
static void show_position(const char *text, const char *msg)
{
	unsigned line = 0, col = 0;
	const char *p = text;

	tap_diag("got: %s", msg ? msg : "(no message)");
	if (!msg || sscanf(msg, "t.json:%u:%u:", &line, &col) != 2)
		return;
	for (unsigned l = 1; l < line && p; l++)
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
	if (p)
		tap_diag("%.*s\n# %*s^", (int)strcspn(p, "\n"), p, (int)col - 1, "");
}

/* Parse text as "t.json" and compare the whole error message. */
static void expect_error(const char *text, const char *want)
{
	_cleanup_(berth_oci_config_freep) struct berth_oci_config *c = NULL;
	struct berth_error err = BERTH_ERROR_INIT;
	int r = berth_oci_config_parse("t.json", text, strlen(text), &c, &err);

	if (!tap_ok(r == -EINVAL && !c && err.code == EINVAL && err.msg && strcmp(err.msg, want) == 0 &&
			    !strchr(err.msg, '\n'),
		    "error %s", want))
		show_position(text, err.msg);
	berth_error_release(&err);
}

static void expect_ok(const char *text, const char *what)
{
	_cleanup_(berth_oci_config_freep) struct berth_oci_config *c = NULL;
	struct berth_error err = BERTH_ERROR_INIT;

	if (!tap_ok(berth_oci_config_parse("t.json", text, strlen(text), &c, &err) == 0 && c, "accepts %s", what))
		tap_diag("%s", err.msg);
	berth_error_release(&err);
}

/* A config with root on line 2 and the given members from line 3 on, each line starting at column 1. */
#define CFG(body) "{\n\"root\": {\"path\": \"r\"},\n" body "\n}\n"
/* ... with a process (line 3) and linux object opened on line 4: the body starts on line 5. */
#define LNX(body) CFG("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},\n\"linux\": {\n" body "\n}")
#define SECCOMP(body) LNX("\"seccomp\": {\n" body "\n}")

static void test_syntax_and_types(void)
{
	expect_error("{\n  \"root\": {\"path\": \"r\",}\n}", "t.json:2:24: string or '}' expected near '}'");
	expect_error("", "t.json:1:1: '[' or '{' expected near end of file");
	expect_error("[1]", "t.json:1:1: expected an object, got array");
	expect_error("{}", "t.json:1:1: root: missing required field");
	expect_error("{\"root\": {}}", "t.json:1:10: root.path: missing required field");
	expect_error("{\"root\": {\"path\": \"\"}}", "t.json:1:19: root.path: must not be empty");
	expect_error(CFG("\"process\": {\"args\": [\"sh\", 42], \"cwd\": \"/\"}"),
		     "t.json:3:28: process.args[1]: expected a string, got integer");
	expect_error(CFG("\"process\": {\"terminal\": \"yes\", \"args\": [\"sh\"], \"cwd\": \"/\"}"),
		     "t.json:3:25: process.terminal: expected a boolean, got string");
	expect_error(CFG("\"hostname\": 7"), "t.json:3:13: hostname: expected a string, got integer");
	expect_error(CFG("\"process\": {\"user\": {\"uid\": 1.5}, \"args\": [\"sh\"], \"cwd\": \"/\"}"),
		     "t.json:3:29: process.user.uid: expected an integer, got number");
	expect_error(CFG("\"process\": {\"user\": {\"uid\": -1}, \"args\": [\"sh\"], \"cwd\": \"/\"}"),
		     "t.json:3:29: process.user.uid: value -1 out of range (0..4294967295)");
	expect_error(CFG("\"process\": {\"user\": {\"gid\": 4294967296}, \"args\": [\"sh\"], \"cwd\": \"/\"}"),
		     "t.json:3:29: process.user.gid: value 4294967296 out of range (0..4294967295)");
	expect_error(CFG("\"process\": {\"user\": {\"umask\": 512}, \"args\": [\"sh\"], \"cwd\": \"/\"}"),
		     "t.json:3:31: process.user.umask: value 512 out of range (0..511)");
	expect_error(CFG("\"process\": {\"oomScoreAdj\": 1001, \"args\": [\"sh\"], \"cwd\": \"/\"}"),
		     "t.json:3:28: process.oomScoreAdj: value out of range (-1000..1000)");
	/* a literal above INT64_MAX must not sneak into a signed field as a negative number */
	expect_error(CFG("\"process\": {\"oomScoreAdj\": 18446744073709551615, \"args\": [\"sh\"], \"cwd\": \"/\"}"),
		     "t.json:3:28: process.oomScoreAdj: value out of range (-1000..1000)");
	expect_error(CFG("\"process\": {\"oomScoreAdj\": 18446744073709551616}"),
		     "t.json:3:47: too big integer near '18446744073709551616'");
	expect_error(CFG("\"annotations\": {\"org.example\": 1}"),
		     "t.json:3:32: annotations[\"org.example\"]: expected a string, got integer");
	expect_error(CFG("\"mounts\": {}"), "t.json:3:11: mounts: expected an array, got object");
	expect_error(CFG("\"linux\": []"), "t.json:3:10: linux: expected an object, got array");
}

static void test_process_errors(void)
{
	expect_error(CFG("\"process\": {\"cwd\": \"/\"}"), "t.json:3:12: process.args: missing required field");
	expect_error(CFG("\"process\": {\"args\": [], \"cwd\": \"/\"}"), "t.json:3:21: process.args: must not be empty");
	expect_error(CFG("\"process\": {\"args\": [\"sh\"], \"cwd\": \"tmp\"}"),
		     "t.json:3:36: process.cwd: `tmp` is not an absolute path");
	expect_error(CFG("\"process\": {\"args\": [\"sh\"]}"), "t.json:3:12: process.cwd: missing required field");
	expect_error(CFG("\"process\": {\"args\": [\"sh\"], \"env\": [\"A=1\", \"NOEQUALS\"], \"cwd\": \"/\"}"),
		     "t.json:3:44: process.env[1]: `NOEQUALS` is not of the form NAME=VALUE");
	expect_error(CFG("\"process\": {\"args\": [\"sh\"], \"env\": [\"=x\"], \"cwd\": \"/\"}"),
		     "t.json:3:37: process.env[0]: `=x` is not of the form NAME=VALUE");
	expect_error(CFG("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"capabilities\": {\"bounding\": [\"CAP_KILL\", "
			 "\"KILL\"]}}"),
		     "t.json:3:83: process.capabilities.bounding[1]: unknown capability `KILL`");
	expect_error(CFG("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [\n"
			 "{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1},\n"
			 "{\"type\": \"RLIMIT_NOFILE\", \"soft\": 2, \"hard\": 2}]}"),
		     "t.json:5:10: process.rlimits[1].type: duplicate rlimit type RLIMIT_NOFILE (also in rlimits[0])");
	expect_error(CFG("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [\n"
			 "{\"type\": \"RLIMIT_BOGUS\", \"soft\": 1, \"hard\": 1}]}"),
		     "t.json:4:10: process.rlimits[0].type: unknown rlimit type `RLIMIT_BOGUS`");
	expect_error(CFG("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [\n"
			 "{\"type\": \"RLIMIT_CORE\", \"soft\": 2048, \"hard\": 1024}]}"),
		     "t.json:4:33: process.rlimits[0].soft: soft limit 2048 is greater than hard limit 1024");
	expect_error(CFG("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [\n"
			 "{\"type\": \"RLIMIT_CORE\", \"soft\": 1, \"hard\": -1}]}"),
		     "t.json:4:44: process.rlimits[0].hard: value -1 out of range (0..18446744073709551615)");
	expect_error(CFG("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [\n"
			 "{\"type\": \"RLIMIT_CORE\", \"soft\": 1}]}"),
		     "t.json:4:1: process.rlimits[0].hard: missing required field");
	expect_error(CFG("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"consoleSize\": {\"height\": 1}}"),
		     "t.json:3:56: process.consoleSize.width: missing required field");
}

static void test_linux_errors(void)
{
	expect_error(LNX("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"bogus\"}]"),
		     "t.json:5:42: linux.namespaces[1].type: unknown namespace type `bogus`");
	expect_error(LNX("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]"),
		     "t.json:5:42: linux.namespaces[1].type: duplicate namespace type `pid` (also in namespaces[0])");
	expect_error(LNX("\"namespaces\": [{\"type\": \"network\", \"path\": \"run/netns/x\"}]"),
		     "t.json:5:44: linux.namespaces[0].path: `run/netns/x` is not an absolute path");
	expect_error(LNX("\"namespaces\": [{\"type\": \"user\"}],\n"
			 "\"uidMappings\": [{\"containerID\": 4294967295, \"hostID\": 0, \"size\": 2}]"),
		     "t.json:6:66: linux.uidMappings[0].size: containerID 4294967295 + size 2 exceeds 2^32");
	expect_error(LNX("\"namespaces\": [{\"type\": \"user\"}],\n"
			 "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 4294967200, \"size\": 97}]"),
		     "t.json:6:66: linux.gidMappings[0].size: hostID 4294967200 + size 97 exceeds 2^32");
	expect_error(LNX("\"namespaces\": [{\"type\": \"user\"}],\n"
			 "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 0, \"size\": 0}]"),
		     "t.json:6:57: linux.uidMappings[0].size: must not be zero");
	expect_error(LNX("\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]"),
		     "t.json:5:16: linux.uidMappings: id mappings given without a user namespace");
	expect_error(LNX("\"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]"),
		     "t.json:5:16: linux.gidMappings: id mappings given without a user namespace");
	expect_error(LNX("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"user\"}]"),
		     "t.json:5:33: linux.namespaces[1]: a new user namespace needs uidMappings");
	expect_error(LNX("\"namespaces\": [{\"type\": \"user\"}],\n"
			 "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]"),
		     "t.json:5:16: linux.namespaces[0]: a new user namespace needs gidMappings");
	expect_error(LNX("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"x\", \"major\": 1, \"minor\": 1}]"),
		     "t.json:5:40: linux.devices[0].type: unknown device type `x` (expected c, b, u or p)");
	expect_error(LNX("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"cc\", \"major\": 1, \"minor\": 1}]"),
		     "t.json:5:40: linux.devices[0].type: unknown device type `cc` (expected c, b, u or p)");
	expect_error(LNX("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"p\", \"major\": 1}]"),
		     "t.json:5:54: linux.devices[0].major: a fifo (type p) takes no major/minor numbers");
	expect_error(LNX("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"minor\": 1}]"),
		     "t.json:5:13: linux.devices[0].major: missing required field");
	expect_error(LNX("\"devices\": [{\"path\": \"dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 1}]"),
		     "t.json:5:22: linux.devices[0].path: `dev/x` is not an absolute path");
	expect_error(LNX("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 1, \"fileMode\": 4096}]"),
		     "t.json:5:81: linux.devices[0].fileMode: value 4096 out of range (0..4095)");
	expect_error(LNX("\"personality\": {\"domain\": \"LINUX64\"}"),
		     "t.json:5:27: linux.personality.domain: unknown personality domain `LINUX64` (expected LINUX or LINUX32)");
	expect_error(LNX("\"timeOffsets\": {\"monotonic\": {\"secs\": 1}}"),
		     "t.json:5:16: linux.timeOffsets: time offsets given without a time namespace");
	expect_error(LNX("\"namespaces\": [{\"type\": \"time\"}], \"timeOffsets\": {\"boottime\": {\"nanosecs\": 1000000000}}"),
		     "t.json:5:76: linux.timeOffsets.boottime.nanosecs: value 1000000000 out of range (0..999999999)");
	expect_error(LNX("\"namespaces\": [{\"type\": \"time\"}], \"timeOffsets\": {\"realtime\": {}}"),
		     "t.json:5:63: linux.timeOffsets.realtime: unknown clock `realtime` (expected monotonic or boottime)");
	expect_error(LNX("\"rootfsPropagation\": \"sideways\""),
		     "t.json:5:22: linux.rootfsPropagation: unknown propagation `sideways`");
	expect_error(LNX("\"maskedPaths\": [\"/proc/kcore\", \"proc/keys\"]"),
		     "t.json:5:32: linux.maskedPaths[1]: `proc/keys` is not an absolute path");
	expect_error(LNX("\"readonlyPaths\": [\"proc/sys\"]"),
		     "t.json:5:19: linux.readonlyPaths[0]: `proc/sys` is not an absolute path");
	expect_error(LNX("\"sysctl\": {\"net.ipv4.ip_forward\": 1}"),
		     "t.json:5:35: linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, got integer");
	expect_error(LNX("\"resources\": 5"), "t.json:5:14: linux.resources: expected an object, got integer");
}

static void test_seccomp_errors(void)
{
	expect_error(SECCOMP("\"defaultAction\": \"SCMP_ACT_EXPLODE\""),
		     "t.json:6:18: linux.seccomp.defaultAction: unknown seccomp action `SCMP_ACT_EXPLODE`");
	expect_error(SECCOMP("\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_Z80\"]"),
		     "t.json:5:12: linux.seccomp.defaultAction: missing required field");
	expect_error(SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_Z80\"]"),
		     "t.json:6:74: linux.seccomp.architectures[1]: unknown architecture `SCMP_ARCH_Z80`");
	expect_error(SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_FAST\"]"),
		     "t.json:6:46: linux.seccomp.flags[0]: unknown seccomp flag `SECCOMP_FILTER_FLAG_FAST`");
	expect_error(SECCOMP("\"defaultAction\": \"SCMP_ACT_KILL\", \"defaultErrnoRet\": 1"),
		     "t.json:6:54: linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "
		     "SCMP_ACT_KILL");
	expect_error(SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
			     "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]"),
		     "t.json:7:61: linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "
		     "SCMP_ACT_ALLOW");
	expect_error(SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
			     "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOPE\"}]"),
		     "t.json:7:31: linux.seccomp.syscalls[0].action: unknown seccomp action `SCMP_ACT_NOPE`");
	expect_error(SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
			     "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [\n"
			     "{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]"),
		     "t.json:8:11: linux.seccomp.syscalls[0].args[0].index: value 6 out of range (0..5)");
	expect_error(SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
			     "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [\n"
			     "{\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},\n"
			     "{\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_ALMOST\"}]}]"),
		     "t.json:9:32: linux.seccomp.syscalls[0].args[1].op: unknown seccomp operator `SCMP_CMP_ALMOST`");
	expect_error(SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
			     "{\"names\": [], \"action\": \"SCMP_ACT_ERRNO\"}]"),
		     "t.json:7:11: linux.seccomp.syscalls[0].names: must not be empty");
	expect_error(SECCOMP("\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/run/x\""),
		     "t.json:6:18: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
	expect_error(SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
			     "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
			     "{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]"),
		     "t.json:8:32: linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
}

static void test_mount_hook_errors(void)
{
	expect_error(CFG("\"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"},\n"
			 "{\"destination\": \"data\", \"source\": \"/srv\"}]"),
		     "t.json:4:17: mounts[1].destination: `data` is not an absolute path");
	expect_error(CFG("\"mounts\": [{\"type\": \"proc\"}]"), "t.json:3:12: mounts[0].destination: missing required field");
	expect_error(CFG("\"mounts\": [{\"destination\": \"/x\", \"uidMappings\": [{\"containerID\": 0}]}]"),
		     "t.json:3:49: mounts[0].uidMappings: idmapped mounts are not supported");
	expect_error(CFG("\"hooks\": {\"createRuntime\": [{\"path\": \"hook.sh\"}]}"),
		     "t.json:3:38: hooks.createRuntime[0].path: `hook.sh` is not an absolute path");
	expect_error(CFG("\"hooks\": {\"poststop\": [{\"path\": \"/bin/true\", \"timeout\": 0}]}"),
		     "t.json:3:57: hooks.poststop[0].timeout: must be greater than zero, got 0");
	expect_error(CFG("\"hooks\": {\"prestart\": [{\"path\": \"/bin/true\", \"timeout\": -5}]}"),
		     "t.json:3:57: hooks.prestart[0].timeout: must be greater than zero, got -5");
	expect_error(CFG("\"hooks\": {\"prestart\": [{\"path\": \"/bin/true\", \"args\": [\"a\", null]}]}"),
		     "t.json:3:60: hooks.prestart[0].args[1]: expected a string, got null");
	/* control characters are escaped: the message stays on one line */
	expect_error(CFG("\"mounts\": [{\"destination\": \"a\\nb\"}]"),
		     "t.json:3:28: mounts[0].destination: `a\\x0ab` is not an absolute path");
	expect_error(CFG("\"annotations\": {\"we\\\"ird\\n\": 1}"),
		     "t.json:3:30: annotations[\"we\\\"ird\\x0a\"]: expected a string, got integer");
}

static void test_accepts(void)
{
	expect_ok(CFG("\"hostname\": null, \"process\": null, \"mounts\": null, \"linux\": {\"seccomp\": null}"),
		  "null as absent");
	expect_ok(CFG("\"futureTopLevel\": {\"x\": 1}, \"linux\": {\"futureLinux\": [1], \"namespaces\": [{\"type\": \"user\", "
		      "\"path\": \"/proc/1/ns/user\"}]}"),
		  "unknown members and a joined user namespace without mappings");
	expect_ok(LNX("\"devices\": [{\"path\": \"/dev/f\", \"type\": \"p\", \"major\": 0, \"minor\": 0}]"),
		  "a fifo with zero major/minor (Go writers)");
	expect_ok(SECCOMP("\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1, \"syscalls\": [{\"names\": [\"a\"], "
			  "\"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 65535}]"),
		  "errnoRet with ERRNO and TRACE");
	expect_ok(CFG("\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"capabilities\": {\"bounding\": [\"CAP_NEW_2030\"]}}"),
		  "an unknown CAP_ name");
}

static void test_process_parse(void)
{
	const char *good = "{\"args\": [\"ls\", \"-l\"], \"cwd\": \"/tmp\", \"env\": [\"A=1\"], \"terminal\": false}";
	const char *bad = "{\n  \"args\": \"ls\",\n  \"cwd\": \"/\"\n}";
	_cleanup_(berth_oci_process_freep) struct berth_oci_process *p = NULL;
	struct berth_error err = BERTH_ERROR_INIT;

	TAP_OK(berth_oci_process_parse("process.json", good, strlen(good), &p, &err) == 0 && p);
	TAP_OK(p && strv_equal(p->args, (const char *const[]){ "ls", "-l", NULL }) && strcmp(p->cwd, "/tmp") == 0);
	TAP_OK(berth_oci_process_parse("process.json", bad, strlen(bad), &p, &err) == -EINVAL);
	tap_ok(err.msg && strcmp(err.msg, "process.json:2:11: args: expected an array, got string") == 0, "process error: %s",
	       err.msg);
	berth_error_release(&err);
	TAP_OK(berth_oci_process_parse("p.json", "[]", 2, &p, &err) == -EINVAL);
	tap_ok(err.msg && strcmp(err.msg, "p.json:1:1: expected an object, got array") == 0, "process top: %s", err.msg);
	berth_error_release(&err);
}

static void test_load_missing(void)
{
	struct berth_oci_config *c = NULL;
	struct berth_error err = BERTH_ERROR_INIT;

	TAP_OK(berth_oci_config_load("data/does-not-exist.json", &c, &err) == -ENOENT && !c && err.code == ENOENT);
	berth_error_release(&err);
}

static void test_names(void)
{
	TAP_OK(berth_capability_last() == 40);
	for (int i = 0; i <= berth_capability_last(); i++)
		if (berth_capability_from_name(berth_capability_to_name(i)) != i)
			tap_ok(false, "capability %d round trip", i);
	TAP_OK(berth_capability_from_name("CAP_SYS_ADMIN") == CAP_SYS_ADMIN &&
	       berth_capability_from_name("CAP_CHECKPOINT_RESTORE") == 40 && berth_capability_from_name("cap_kill") == -1);
	TAP_OK(!berth_capability_to_name(41) && !berth_capability_to_name(-1));
	for (int t = 0; t < _BERTH_NS_MAX; t++)
		if (berth_ns_type_from_string(berth_ns_type_to_string(t)) != (enum berth_ns_type)t)
			tap_ok(false, "namespace %d round trip", t);
	TAP_OK(berth_ns_type_to_clone_flag(BERTH_NS_NETWORK) == CLONE_NEWNET &&
	       strcmp(berth_ns_type_to_proc_name(BERTH_NS_MOUNT), "mnt") == 0 &&
	       strcmp(berth_ns_type_to_proc_name(BERTH_NS_NETWORK), "net") == 0);
	TAP_OK(berth_ns_type_from_string("net") == _BERTH_NS_INVALID && !berth_ns_type_to_string(_BERTH_NS_MAX));
	TAP_OK(strcmp(berth_hook_kind_to_string(BERTH_HOOK_CREATE_CONTAINER), "createContainer") == 0);
	TAP_OK(berth_seccomp_action_from_string("SCMP_ACT_KILL_THREAD") == BERTH_SECCOMP_KILL_THREAD &&
	       strcmp(berth_seccomp_action_to_string(BERTH_SECCOMP_LOG), "SCMP_ACT_LOG") == 0);
	TAP_OK(berth_seccomp_op_from_string("SCMP_CMP_GE") == BERTH_SECCOMP_OP_GREATER_EQUAL &&
	       berth_seccomp_op_from_string("EQ") == _BERTH_SECCOMP_OP_INVALID);
}

int main(void)
{
	/* meson runs this in tests/unit; also allow a run from the top of the tree */
	if (access("data", F_OK) < 0 && chdir("tests/unit") < 0)
		tap_diag("data/ not found: %s", strerror(errno));
	test_runc_spec();
	test_runc_spec_rootless();
	test_maximal();
	test_runtime_spec_example();
	test_syntax_and_types();
	test_process_errors();
	test_linux_errors();
	test_seccomp_errors();
	test_mount_hook_errors();
	test_accepts();
	test_process_parse();
	test_load_missing();
	test_names();
	return tap_done();
}
