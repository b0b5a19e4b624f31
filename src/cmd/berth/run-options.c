/* docker run/create flags -> struct berth_create_request, with docker's messages for bad values. */
#include "cli-run.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/run-flags.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* docker's `invalid argument "V" for "-m, --memory" flag: MSG` (exit 125). */
static int bad_value(const struct cli_command *cmd, const struct cli_option *o, const char *value, const char *msg)
{
	char flag[64];

	if (o->short_name)
		snprintf(flag, sizeof(flag), "-%c, --%s", o->short_name, o->name);
	else
		snprintf(flag, sizeof(flag), "--%s", o->name);
	return cli_usage_error(cmd, "invalid argument \"%s\" for \"%s\" flag: %s", value, flag, msg);
}

/* docker's message for an integer flag's bad value. */
static int bad_int(const struct cli_command *cmd, const struct cli_option *o, const char *value)
{
	_cleanup_free_ char *msg = berth_xasprintf("strconv.ParseInt: parsing \"%s\": invalid syntax", value);

	return bad_value(cmd, o, value, msg);
}

/* The string is owned by the request from now on. */
static char *own(struct cli_run_request *r, char *s)
{
	berth_strv_push(&r->strings, s);
	free(s);
	return r->strings[berth_strv_length(r->strings) - 1];
}

static int parse_int(const char *s, long long min, long long max, long long *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int opt_size(const struct cli_command *cmd, struct cli_option *opts, const char *name, int64_t *ret)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct cli_option *o = cli_opt(opts, name);

	if (!o->set)
		return 0;
	if (berth_parse_memory(o->value, ret, &err) < 0)
		return bad_value(cmd, o, o->value, err.msg);
	return 0;
}

/* -e K=V, or K alone: the caller's value, or nothing when it has none (docker). */
static void add_env(char ***env, const char *e)
{
	const char *v;

	if (strchr(e, '=')) {
		berth_strv_push(env, e);
		return;
	}
	v = getenv(e);
	if (v)
		berth_strv_consume(env, berth_xasprintf("%s=%s", e, v));
}

static int build_env(const struct cli_command *cmd, struct cli_option *opts, struct berth_run_options *o)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct cli_option *files = cli_opt(opts, "env-file"), *env = cli_opt(opts, "env");

	/* docker: the files first, then -e, so -e wins */
	for (size_t i = 0; files->values && files->values[i]; i++)
		if (berth_parse_env_file(files->values[i], &o->env, &err) < 0)
			return cli_failf(CLI_EXIT_ENGINE, "%s", err.msg);
	for (size_t i = 0; env->values && env->values[i]; i++) {
		if (env->values[i][0] == '=' || !env->values[i][0])
			return bad_value(cmd, env, env->values[i], "invalid environment variable");
		add_env(&o->env, env->values[i]);
	}
	return 0;
}

static int build_resources(const struct cli_command *cmd, struct cli_option *opts, struct berth_run_options *o)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct cli_option *x;
	long long v;
	int r;

	if ((r = opt_size(cmd, opts, "memory", &o->memory)) || (r = opt_size(cmd, opts, "memory-reservation",
									     &o->memory_reservation)))
		return r;
	x = cli_opt(opts, "memory-swap");
	if (x->set && strcmp(x->value, "-1") == 0)
		o->memory_swap = -1;
	else if ((r = opt_size(cmd, opts, "memory-swap", &o->memory_swap)))
		return r;
	if (o->memory_swap > 0 && !o->memory)
		return cli_failf(CLI_EXIT_ENGINE, "You should always set the Memory limit when using Memoryswap limit");
	if (o->memory_swap > 0 && o->memory_swap < o->memory)
		return cli_failf(CLI_EXIT_ENGINE,
				 "Minimum memoryswap limit should be larger than memory limit, see usage");
	if (o->memory && o->memory < 6 * 1024 * 1024)
		return cli_failf(CLI_EXIT_ENGINE, "Minimum memory limit allowed is 6MB");
	{
		int64_t shm = 0;
		if ((r = opt_size(cmd, opts, "shm-size", &shm)))
			return r;
		o->shm_size = (uint64_t)shm;
	}
	x = cli_opt(opts, "cpus");
	if (x->set && berth_parse_cpus(x->value, &o->cpus, &err) < 0)
		return bad_value(cmd, x, x->value, err.msg);
	x = cli_opt(opts, "cpu-shares");
	if (x->set) {
		if (parse_int(x->value, 0, INT64_MAX, &v) < 0)
			return bad_int(cmd, x, x->value);
		o->cpu_shares = (uint64_t)v;
	}
	o->cpuset_cpus = (char *)cli_value(opts, "cpuset-cpus");
	o->cpuset_mems = (char *)cli_value(opts, "cpuset-mems");
	x = cli_opt(opts, "pids-limit");
	if (x->set) {
		if (parse_int(x->value, -1, INT64_MAX, &v) < 0)
			return bad_int(cmd, x, x->value);
		o->pids_limit = v;
	}
	x = cli_opt(opts, "ulimit");
	for (size_t i = 0; x->values && x->values[i]; i++) {
		o->ulimits = berth_xreallocarray(o->ulimits, o->n_ulimits + 1, sizeof(*o->ulimits));
		if (berth_parse_ulimit(x->values[i], &o->ulimits[o->n_ulimits], &err) < 0)
			return bad_value(cmd, x, x->values[i], err.msg);
		o->n_ulimits++;
	}
	return 0;
}

static int add_mount(const struct cli_command *cmd, struct cli_option *x, const char *value,
		     int (*parse)(const char *, struct berth_mount_spec *, struct berth_error *),
		     struct berth_run_options *o)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	o->mounts = berth_xreallocarray(o->mounts, o->n_mounts + 1, sizeof(*o->mounts));
	if (parse(value, &o->mounts[o->n_mounts], &err) < 0)
		return bad_value(cmd, x, value, err.msg);
	o->n_mounts++;
	return 0;
}

static int build_mounts(const struct cli_command *cmd, struct cli_option *opts, struct berth_run_options *o)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	static const struct {
		const char *flag;
		int (*parse)(const char *, struct berth_mount_spec *, struct berth_error *);
	} kinds[] = {
		{ "volume", berth_parse_volume },
		{ "mount", berth_parse_mount },
		{ "tmpfs", berth_parse_tmpfs },
	};
	struct cli_option *x;
	int r;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		x = cli_opt(opts, kinds[k].flag);
		for (size_t i = 0; x->values && x->values[i]; i++) {
			struct berth_mount_spec *m;
			if ((r = add_mount(cmd, x, x->values[i], kinds[k].parse, o)))
				return r;
			m = &o->mounts[o->n_mounts - 1];
			if (m->kind != BERTH_MOUNT_BIND || access(m->source, F_OK) == 0)
				continue;
			/* docker: -v makes a missing host directory, --mount refuses it */
			if (k == 1)
				return cli_failf(CLI_EXIT_ENGINE,
						 "invalid mount config for type \"bind\": bind source path does not exist: %s",
						 m->source);
			if (berth_mkdir_p(m->source, 0755, &err) < 0)
				return cli_failf(CLI_EXIT_ENGINE, "%s", err.msg);
		}
	}
	x = cli_opt(opts, "device");
	for (size_t i = 0; x->values && x->values[i]; i++) {
		o->devices = berth_xreallocarray(o->devices, o->n_devices + 1, sizeof(*o->devices));
		if (berth_parse_device(x->values[i], &o->devices[o->n_devices], &err) < 0)
			return bad_value(cmd, x, x->values[i], err.msg);
		o->n_devices++;
	}
	return 0;
}

/* seccomp=unconfined|FILE, no-new-privileges[=true|false]; label= and apparmor= do nothing here, as on docker without them. */
static int build_security(const struct cli_command *cmd, struct cli_option *opts, struct cli_run_request *rr)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_options *o = &rr->req.run;
	struct cli_option *x = cli_opt(opts, "security-opt");

	for (size_t i = 0; x->values && x->values[i]; i++) {
		const char *s = x->values[i], *v = strpbrk(s, "=:");
		size_t klen = v ? (size_t)(v - s) : strlen(s);

		v = v ? v + 1 : NULL;
		if (klen == 17 && strncmp(s, "no-new-privileges", klen) == 0) {
			if (v && strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
				return bad_value(cmd, x, s, "invalid --security-opt 2: \"no-new-privileges\" must be a boolean");
			o->no_new_privileges = !v || strcmp(v, "true") == 0;
		} else if (klen == 7 && strncmp(s, "seccomp", klen) == 0 && v && *v) {
			_cleanup_free_ char *text = NULL;
			size_t len;
			if (strcmp(v, "unconfined") == 0) {
				o->seccomp_profile = (char *)"unconfined";
				continue;
			}
			if (berth_read_file(v, 16 << 20, &text, &len, &err) < 0)
				return cli_failf(CLI_EXIT_ENGINE, "opening seccomp profile (%s) failed: %s", v, err.msg);
			o->seccomp_profile = own(rr, TAKE_PTR(text));
		} else if ((klen == 5 && strncmp(s, "label", klen) == 0) || (klen == 8 && strncmp(s, "apparmor", klen) == 0)) {
			if (!v || !*v)
				return bad_value(cmd, x, s, "invalid --security-opt: missing value");
		} else {
			_cleanup_free_ char *msg = berth_xasprintf("invalid --security-opt: %s", s);
			return bad_value(cmd, x, s, msg);
		}
	}
	return 0;
}

static int build_labels(const struct cli_command *cmd, struct cli_option *opts, struct cli_run_request *rr)
{
	struct cli_option *x = cli_opt(opts, "label");

	for (size_t i = 0; x->values && x->values[i]; i++) {
		if (x->values[i][0] == '=' || !x->values[i][0])
			return bad_value(cmd, x, x->values[i], "invalid label: empty key");
		if (strchr(x->values[i], '='))
			berth_strv_push(&rr->req.labels, x->values[i]);
		else
			berth_strv_consume(&rr->req.labels, berth_xasprintf("%s=", x->values[i]));
	}
	return 0;
}

int cli_run_request_build(const struct cli_command *cmd, struct cli_option *opts, int argc, char **argv,
			  struct cli_run_request *rr)
{
	struct berth_create_request *req = &rr->req;
	struct berth_run_options *o = &req->run;
	struct cli_option *x;
	long long v;
	int r;

	*rr = (struct cli_run_request){ 0 };
	req->stop_timeout = -1;
	req->image = argv[0];
	req->name = cli_value(opts, "name");
	req->user = cli_value(opts, "user");
	req->interactive = cli_flag(opts, "interactive");
	req->auto_remove = cli_flag(opts, "rm");
	for (int i = 1; i < argc; i++)
		berth_strv_push(&o->cmd, argv[i]);
	x = cli_opt(opts, "entrypoint");
	if (x->set) {
		/* docker: one word, not split; "" clears the image's */
		o->entrypoint = berth_xcalloc(2, sizeof(char *));
		if (*x->value)
			o->entrypoint[0] = berth_xstrdup(x->value);
	}
	o->hostname = (char *)cli_value(opts, "hostname");
	o->domainname = (char *)cli_value(opts, "domainname");
	o->workdir = (char *)cli_value(opts, "workdir");
	if (o->workdir && o->workdir[0] != '/')
		return cli_failf(CLI_EXIT_ENGINE, "the working directory '%s' is invalid, it needs to be an absolute path",
				 o->workdir);
	o->tty = cli_flag(opts, "tty");
	o->init = cli_flag(opts, "init");
	o->privileged = cli_flag(opts, "privileged");
	o->read_only = cli_flag(opts, "read-only");
	o->cap_add = berth_strv_copy(cli_opt(opts, "cap-add")->values);
	o->cap_drop = berth_strv_copy(cli_opt(opts, "cap-drop")->values);
	if (cli_opt(opts, "group-add")->set)
		return cli_failf(CLI_EXIT_ENGINE, "--group-add: not supported yet");
	req->stop_signal = cli_value(opts, "stop-signal");
	if (req->stop_signal && berth_signal_parse(req->stop_signal) <= 0)
		return cli_failf(CLI_EXIT_ENGINE, "Invalid signal: %s", req->stop_signal);
	x = cli_opt(opts, "stop-timeout");
	if (x->set) {
		if (parse_int(x->value, -1, INT_MAX, &v) < 0)
			return bad_int(cmd, x, x->value);
		req->stop_timeout = (int)v;
	}
	if ((r = build_env(cmd, opts, o)) || (r = build_resources(cmd, opts, o)) || (r = build_mounts(cmd, opts, o)) ||
	    (r = build_security(cmd, opts, rr)) || (r = cli_run_network_build(cmd, opts, rr)) ||
	    (r = build_labels(cmd, opts, rr)))
		return r;
	return 0;
}

void cli_run_request_release(struct cli_run_request *rr)
{
	struct berth_run_options *o = &rr->req.run;

	berth_strv_free(o->cmd);
	berth_strv_free(o->entrypoint);
	berth_strv_free(o->env);
	berth_strv_free(o->cap_add);
	berth_strv_free(o->cap_drop);
	berth_strv_free(rr->req.labels);
	for (size_t i = 0; i < o->n_ulimits; i++)
		free(o->ulimits[i].name);
	free(o->ulimits);
	for (size_t i = 0; i < o->n_mounts; i++)
		berth_mount_spec_release(&o->mounts[i]);
	free(o->mounts);
	for (size_t i = 0; i < o->n_devices; i++)
		berth_device_spec_release(&o->devices[i]);
	free(o->devices);
	cli_run_network_release(rr);
	berth_strv_free(rr->strings);
	*rr = (struct cli_run_request){ 0 };
}
