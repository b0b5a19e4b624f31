/* engine/spec-build: docker's defaults and override rules, checked on the generated config.json. */
#include "engine/spec-build.h"

#include <string.h>

#include "oci/config.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/strv.h"

#define V(...) ((char *[]){ __VA_ARGS__, NULL })
#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static json_t *image(void)
{
	return json_pack("{s{s[ss] s[s] s[s] ss}}", "config", "Env", "PATH=/img/bin", "FOO=image", "Entrypoint",
			 "/entry", "Cmd", "default-arg", "WorkingDir", "/work");
}

static json_t *build(const struct berth_run_options *o, struct berth_error *err)
{
	json_t *img = image(), *spec = NULL;

	if (berth_spec_build(img, o, "/var/lib/x/rootfs", &spec, err) < 0)
		spec = NULL;
	json_decref(img);
	return spec;
}

static const char *str_at(json_t *spec, const char *path)
{
	json_t *v = spec;
	_cleanup_free_ char *copy = strdup(path);

	for (char *save = NULL, *tok = strtok_r(copy, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, strtoul(tok, NULL, 10)) : json_object_get(v, tok);
	return json_string_value(v);
}

static bool array_has(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* The runtime's own parser accepts what the engine generates. */
static bool parses(json_t *spec)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *text = json_dumps(spec, 0);
	struct berth_oci_config *c = NULL;
	int r = berth_oci_config_parse("config.json", text, strlen(text), &c, &err);

	if (r < 0)
		tap_diag("%s", err.msg);
	berth_oci_config_free(c);
	return r == 0;
}

static void test_defaults(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_options o = { .id = ID };
	json_t *s = build(&o, &err), *caps, *env;

	TAP_OK(s != NULL);
	if (!s)
		return;
	TAP_OK(parses(s));
	TAP_OK(strcmp(str_at(s, "hostname"), "0123456789ab") == 0);
	TAP_OK(strcmp(str_at(s, "process.args.0"), "/entry") == 0 && strcmp(str_at(s, "process.args.1"), "default-arg") == 0);
	TAP_OK(strcmp(str_at(s, "process.cwd"), "/work") == 0);
	caps = json_object_get(json_object_get(json_object_get(s, "process"), "capabilities"), "bounding");
	TAP_OK(json_array_size(caps) == 14 && array_has(caps, "CAP_NET_BIND_SERVICE") && !array_has(caps, "CAP_SYS_ADMIN"));
	env = json_object_get(json_object_get(s, "process"), "env");
	TAP_OK(array_has(env, "PATH=/img/bin") && array_has(env, "HOSTNAME=0123456789ab") && array_has(env, "FOO=image"));
	TAP_OK(!array_has(env, "TERM=xterm"));
	TAP_OK(array_has(json_object_get(json_object_get(s, "linux"), "maskedPaths"), "/proc/kcore"));
	TAP_OK(array_has(json_object_get(json_object_get(s, "linux"), "readonlyPaths"), "/proc/sysrq-trigger"));
	TAP_OK(json_object_get(json_object_get(s, "linux"), "seccomp") != NULL);
	TAP_OK(strcmp(str_at(s, "mounts.6.destination"), "/dev/shm") == 0 &&
	       array_has(json_object_get(json_array_get(json_object_get(s, "mounts"), 6), "options"), "size=67108864"));
	TAP_OK(strcmp(str_at(s, "mounts.3.options.3"), "ro") == 0); /* /sys read-only */
	json_decref(s);
}

static void test_args(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_options o = { .id = ID, .cmd = V("ls", "-l") };
	json_t *s = build(&o, &err);

	/* a command keeps the image's entrypoint */
	TAP_OK(s && strcmp(str_at(s, "process.args.0"), "/entry") == 0 && strcmp(str_at(s, "process.args.1"), "ls") == 0);
	json_decref(s);
	/* a new entrypoint drops the image's Cmd */
	o = (struct berth_run_options){ .id = ID, .entrypoint = V("/bin/sh") };
	s = build(&o, &err);
	TAP_OK(s && strcmp(str_at(s, "process.args.0"), "/bin/sh") == 0 && str_at(s, "process.args.1") == NULL);
	json_decref(s);
	/* --entrypoint "" and no command: nothing to run */
	o = (struct berth_run_options){ .id = ID, .entrypoint = (char *[]){ NULL } };
	s = build(&o, &err);
	TAP_OK(s == NULL && strcmp(err.msg, "no command specified") == 0);
	/* --init puts berth's init first */
	o = (struct berth_run_options){ .id = ID, .cmd = V("true"), .init = true, .init_path = "/usr/libexec/berth/init" };
	s = build(&o, &err);
	TAP_OK(s && strcmp(str_at(s, "process.args.0"), "/dev/init") == 0 && strcmp(str_at(s, "process.args.3"), "true") == 0);
	json_decref(s);
	/* -e overrides the image, -t adds TERM, -w a relative path is refused */
	o = (struct berth_run_options){ .id = ID, .env = V("FOO=cli", "BAR=1"), .tty = true };
	s = build(&o, &err);
	TAP_OK(s && array_has(json_object_get(json_object_get(s, "process"), "env"), "FOO=cli") &&
	       !array_has(json_object_get(json_object_get(s, "process"), "env"), "FOO=image") &&
	       array_has(json_object_get(json_object_get(s, "process"), "env"), "TERM=xterm"));
	json_decref(s);
	o = (struct berth_run_options){ .id = ID, .workdir = "rel" };
	TAP_OK(build(&o, &err) == NULL && strstr(err.msg, "absolute path"));
}

static void test_caps_and_privileged(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_options o = { .id = ID, .cap_drop = V("ALL"), .cap_add = V("net_admin") };
	json_t *s = build(&o, &err), *caps;

	caps = s ? json_object_get(json_object_get(json_object_get(s, "process"), "capabilities"), "effective") : NULL;
	TAP_OK(caps && json_array_size(caps) == 1 && array_has(caps, "CAP_NET_ADMIN"));
	/* the default profile lets what a capability guards back in */
	json_decref(s);
	o = (struct berth_run_options){ .id = ID, .cap_add = V("SYS_NOPE") };
	TAP_OK(build(&o, &err) == NULL && strcmp(err.msg, "--cap-add: unknown capability: \"SYS_NOPE\"") == 0);

	o = (struct berth_run_options){ .id = ID, .privileged = true };
	s = build(&o, &err);
	TAP_OK(s && parses(s));
	TAP_OK(s && json_object_get(json_object_get(s, "linux"), "seccomp") == NULL &&
	       json_object_get(json_object_get(s, "linux"), "maskedPaths") == NULL);
	caps = s ? json_object_get(json_object_get(json_object_get(s, "process"), "capabilities"), "bounding") : NULL;
	TAP_OK(caps && array_has(caps, "CAP_SYS_ADMIN") && json_array_size(caps) > 30);
	TAP_OK(s && strcmp(str_at(s, "mounts.3.options.3"), "rw") == 0);
	json_decref(s);
	o = (struct berth_run_options){ .id = ID, .seccomp_profile = "unconfined" };
	s = build(&o, &err);
	TAP_OK(s && json_object_get(json_object_get(s, "linux"), "seccomp") == NULL);
	json_decref(s);
	o = (struct berth_run_options){ .id = ID, .seccomp_profile = "{bad" };
	TAP_OK(build(&o, &err) == NULL && strncmp(err.msg, "seccomp profile:1:", 18) == 0);
}

static void test_resources_and_mounts(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_mount_spec mounts[] = {
		{ .kind = BERTH_MOUNT_BIND, .source = "/srv/data", .target = "/data", .readonly = true },
		{ .kind = BERTH_MOUNT_TMPFS, .target = "/scratch", .tmpfs_size = 1048576 },
	};
	struct berth_run_options o = { .id = ID, .memory = 100 << 20, .cpus = 1.5, .pids_limit = 64,
				       .mounts = mounts, .n_mounts = 2, .net_mode = BERTH_NET_HOST };
	json_t *s = build(&o, &err), *res, *ns;
	size_t i;
	json_t *v;
	bool has_net = false;

	TAP_OK(s && parses(s));
	if (!s)
		return;
	res = json_object_get(json_object_get(s, "linux"), "resources");
	TAP_OK(json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")) == 100 << 20);
	TAP_OK(json_integer_value(json_object_get(json_object_get(res, "memory"), "swap")) == 200 << 20);
	TAP_OK(json_integer_value(json_object_get(json_object_get(res, "cpu"), "quota")) == 150000);
	TAP_OK(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")) == 64);
	ns = json_object_get(json_object_get(s, "linux"), "namespaces");
	json_array_foreach(ns, i, v)
		has_net |= strcmp(json_string_value(json_object_get(v, "type")), "network") == 0;
	TAP_OK(!has_net); /* --network host */
	TAP_OK(strcmp(str_at(s, "mounts.7.destination"), "/data") == 0 && strcmp(str_at(s, "mounts.7.options.1"), "ro") == 0);
	TAP_OK(strcmp(str_at(s, "mounts.8.type"), "tmpfs") == 0 &&
	       array_has(json_object_get(json_array_get(json_object_get(s, "mounts"), 8), "options"), "size=1048576"));
	json_decref(s);
	mounts[0].target = "data";
	TAP_OK(build(&o, &err) == NULL && strstr(err.msg, "not an absolute path"));
}

int main(void)
{
	test_defaults();
	test_args();
	test_caps_and_privileged();
	test_resources_and_mounts();
	return tap_done();
}
