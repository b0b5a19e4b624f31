/* engine/run-flags: docker's flag value syntax, accepted and refused. */
#include "engine/run-flags.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/strv.h"

static void test_memory(void)
{
	static const struct {
		const char *in;
		int64_t want; /* -1: refused */
	} cases[] = {
		{ "512", 512 },		{ "64k", 65536 },	  { "100m", 104857600 }, { "100M", 104857600 },
		{ "1.5g", 1610612736 }, { "2GiB", 2147483648LL }, { "1gb", 1073741824 }, { "7b", 7 },
		{ "", -1 },		{ "10x", -1 },		  { "-1m", -1 },	 { "m", -1 },
		{ "1mm", -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		int64_t v = -1;
		int r = berth_parse_memory(cases[i].in, &v, &err);
		tap_ok(cases[i].want < 0 ? r < 0 : (r == 0 && v == cases[i].want), "memory \"%s\" -> %lld", cases[i].in,
		       (long long)v);
	}
}

static void test_ulimit_cpus(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_ulimit u;
	double c;

	TAP_OK(berth_parse_ulimit("nofile=1024:2048", &u, &err) == 0 && strcmp(u.name, "nofile") == 0 &&
	       u.soft == 1024 && u.hard == 2048);
	free(u.name);
	TAP_OK(berth_parse_ulimit("nproc=512", &u, &err) == 0 && u.soft == 512 && u.hard == 512);
	free(u.name);
	TAP_OK(berth_parse_ulimit("core=unlimited:-1", &u, &err) == 0 && u.soft == UINT64_MAX);
	free(u.name);
	TAP_OK(berth_parse_ulimit("nofile=2048:1024", &u, &err) < 0 && strstr(err.msg, "soft limit"));
	TAP_OK(berth_parse_ulimit("bogus=1", &u, &err) < 0 && strcmp(err.msg, "invalid ulimit type: bogus") == 0);
	TAP_OK(berth_parse_ulimit("nofile", &u, &err) < 0);
	TAP_OK(berth_parse_cpus("1.5", &c, &err) == 0 && c == 1.5);
	TAP_OK(berth_parse_cpus("abc", &c, &err) < 0 && strcmp(err.msg, "failed to parse abc as a rational number") == 0);
}

static void test_volumes(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_mount_spec m;

	TAP_OK(berth_parse_volume("/srv:/data:ro", &m, &err) == 0 && m.kind == BERTH_MOUNT_BIND && m.readonly &&
	       strcmp(m.source, "/srv") == 0 && strcmp(m.target, "/data") == 0);
	berth_mount_spec_release(&m);
	TAP_OK(berth_parse_volume("cache:/var/cache", &m, &err) == 0 && m.kind == BERTH_MOUNT_VOLUME &&
	       strcmp(m.source, "cache") == 0 && !m.readonly);
	berth_mount_spec_release(&m);
	TAP_OK(berth_parse_volume("/anon", &m, &err) == 0 && m.kind == BERTH_MOUNT_VOLUME && m.source == NULL);
	berth_mount_spec_release(&m);
	TAP_OK(berth_parse_volume("/a:/b:rshared,ro", &m, &err) == 0 && strcmp(m.propagation, "rshared") == 0 && m.readonly);
	berth_mount_spec_release(&m);
	TAP_OK(berth_parse_volume("/a:rel", &m, &err) < 0 && strstr(err.msg, "absolute path"));
	TAP_OK(berth_parse_volume("/a:/b:xx", &m, &err) < 0 && strcmp(err.msg, "invalid mode: xx") == 0);
	TAP_OK(berth_parse_volume("bad name!:/b", &m, &err) < 0 && strstr(err.msg, "invalid characters"));
	TAP_OK(berth_parse_volume("/a:/b:ro:x", &m, &err) < 0);

	TAP_OK(berth_parse_mount("type=bind,source=/srv,target=/data,readonly", &m, &err) == 0 &&
	       m.kind == BERTH_MOUNT_BIND && m.readonly && strcmp(m.target, "/data") == 0);
	berth_mount_spec_release(&m);
	TAP_OK(berth_parse_mount("type=tmpfs,dst=/run,tmpfs-size=64m,tmpfs-mode=700", &m, &err) == 0 &&
	       m.kind == BERTH_MOUNT_TMPFS && m.tmpfs_size == 64 << 20 && m.tmpfs_mode == 0700);
	berth_mount_spec_release(&m);
	TAP_OK(berth_parse_mount("type=volume,src=v1,target=/v", &m, &err) == 0 && m.kind == BERTH_MOUNT_VOLUME);
	berth_mount_spec_release(&m);
	TAP_OK(berth_parse_mount("source=/srv,target=/data", &m, &err) < 0 && strcmp(err.msg, "type is required") == 0);
	TAP_OK(berth_parse_mount("type=bind,source=rel,target=/d", &m, &err) < 0 && strstr(err.msg, "absolute"));
	TAP_OK(berth_parse_mount("type=bind,source=/s,target=/d,foo=1", &m, &err) < 0 && strstr(err.msg, "unexpected key 'foo'"));

	TAP_OK(berth_parse_tmpfs("/run:rw,size=1m,mode=1770", &m, &err) == 0 && m.tmpfs_size == 1 << 20 &&
	       m.tmpfs_mode == 01770 && strcmp(m.target, "/run") == 0);
	berth_mount_spec_release(&m);
	TAP_OK(berth_parse_tmpfs("run", &m, &err) < 0);
}

static void test_device_env(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_device_spec d;
	char path[] = "/tmp/berth-test-envfile-XXXXXX";
	_cleanup_strv_free_ char **env = NULL;
	int fd;

	TAP_OK(berth_parse_device("/dev/fuse", &d, &err) == 0 && strcmp(d.container_path, "/dev/fuse") == 0 &&
	       strcmp(d.permissions, "rwm") == 0);
	berth_device_spec_release(&d);
	TAP_OK(berth_parse_device("/dev/sda:/dev/xvda:r", &d, &err) == 0 && strcmp(d.container_path, "/dev/xvda") == 0 &&
	       strcmp(d.permissions, "r") == 0);
	berth_device_spec_release(&d);
	TAP_OK(berth_parse_device("/dev/null:rw", &d, &err) == 0 && strcmp(d.container_path, "/dev/null") == 0);
	berth_device_spec_release(&d);
	TAP_OK(berth_parse_device("/dev/null:/x:rwx", &d, &err) < 0);

	fd = mkstemp(path);
	setenv("BERTH_TEST_FROM_ENV", "yes", 1);
	TAP_OK(write(fd, "# comment\nA=1\n\n  B=two words\r\nBERTH_TEST_FROM_ENV\nUNSET_VAR_X\n", 63) == 63);
	close(fd);
	TAP_OK(berth_parse_env_file(path, &env, &err) == 0 && berth_strv_length(env) == 3 &&
	       strcmp(env[1], "B=two words") == 0 && strcmp(env[2], "BERTH_TEST_FROM_ENV=yes") == 0);
	unlink(path);
}

int main(void)
{
	test_memory();
	test_ulimit_cpus();
	test_volumes();
	test_device_env();
	return tap_done();
}
