/* berth_hooks_run(): stdin, argv/env, timeout, failures, fd hygiene. Hooks are /bin/sh scripts in a temp dir. */
#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static char tmpdir[] = "/tmp/berth-test-hooks-XXXXXX";

static const char *STATE = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,"
			   "\"bundle\":\"/tmp/b\"}";

/* Write an executable script named name in tmpdir; returns its path (owned by caller). */
static char *script(const char *name, const char *body)
{
	char *path = berth_xasprintf("%s/%s", tmpdir, name);
	_cleanup_free_ char *text = berth_xasprintf("#!/bin/sh\n%s\n", body);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

	if (fd < 0 || berth_write_all(fd, text, strlen(text)) < 0)
		abort();
	return path;
}

static char *slurp(const char *name)
{
	_cleanup_free_ char *path = berth_xasprintf("%s/%s", tmpdir, name);
	char *buf = NULL;
	struct berth_error err = BERTH_ERROR_INIT;

	if (berth_read_file(path, 0, &buf, NULL, &err) < 0) {
		tap_diag("%s", err.msg);
		berth_error_release(&err);
		return berth_xstrdup("");
	}
	return buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_stdin(void)
{
	_cleanup_free_ char *body = berth_xasprintf("cat > %s/stdin.out", tmpdir);
	struct berth_oci_hook h = { .path = script("stdin.sh", body) };
	struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *got = NULL;

	tap_ok(berth_hooks_run(&h, 1, STATE, "prestart", &err) == 0, "hook reading stdin succeeds (%s)",
	       err.msg ? err.msg : "");
	got = slurp("stdin.out");
	tap_ok(strcmp(got, STATE) == 0, "hook stdin is the state JSON: `%s`", got);
	free(h.path);
	berth_error_release(&err);
}

static void test_args_env(void)
{
	_cleanup_free_ char *cmd = berth_xasprintf("tr '\\0' '\\n' < /proc/$$/cmdline > %s/argv.out; "
						   "tr '\\0' '\\n' < /proc/$$/environ > %s/env.out",
						   tmpdir, tmpdir);
	char *args[] = { "my-argv0", "-c", cmd, "zero", "a b", "", NULL };
	char *env[] = { "FOO=bar baz", "X=1", NULL };
	struct berth_oci_hook h = { .path = "/bin/sh", .args = args, .env = env };
	struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *argv_out = NULL, *env_out = NULL, *want_argv = NULL;

	tap_ok(berth_hooks_run(&h, 1, STATE, "createRuntime", &err) == 0, "args/env hook succeeds (%s)",
	       err.msg ? err.msg : "");
	argv_out = slurp("argv.out");
	env_out = slurp("env.out");
	want_argv = berth_xasprintf("my-argv0\n-c\n%s\nzero\na b\n\n", cmd);
	tap_ok(strcmp(argv_out, want_argv) == 0, "argv passed exactly, args[0] as argv[0]");
	tap_ok(strcmp(env_out, "FOO=bar baz\nX=1\n") == 0, "env passed exactly: `%s`", env_out);
	berth_error_release(&err);
}

static void test_env_inherited(void)
{
	_cleanup_free_ char *body = berth_xasprintf("echo \"$BERTH_TEST_VAR\" > %s/inherit.out", tmpdir);
	struct berth_oci_hook h = { .path = script("inherit.sh", body) };
	struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *got = NULL;

	setenv("BERTH_TEST_VAR", "from-runtime", 1);
	tap_ok(berth_hooks_run(&h, 1, STATE, "poststop", &err) == 0, "hook without env succeeds");
	got = slurp("inherit.out");
	tap_ok(strcmp(got, "from-runtime\n") == 0, "absent env inherits the runtime's environment (as runc)");
	unsetenv("BERTH_TEST_VAR");
	free(h.path);
	berth_error_release(&err);
}

static void test_timeout(void)
{
	struct berth_oci_hook h = { .path = script("sleep.sh", "exec sleep 10"), .has_timeout = true, .timeout = 1 };
	struct berth_error err = BERTH_ERROR_INIT;
	double t0 = now(), dt;
	int r;

	r = berth_hooks_run(&h, 1, STATE, "prestart", &err);
	dt = now() - t0;
	tap_ok(r == -ETIMEDOUT, "sleeping hook times out");
	tap_ok(dt >= 0.9 && dt < 3.0, "killed after about 1s (%.2fs)", dt);
	_cleanup_free_ char *want = berth_xasprintf("prestart hook `%s`: timed out after 1 second", h.path);
	tap_ok(err.msg && strcmp(err.msg, want) == 0, "timeout message: `%s`", err.msg ? err.msg : "");
	free(h.path);
	berth_error_release(&err);
}

static void test_failure(void)
{
	struct berth_oci_hook h = { .path = script("fail.sh", "echo some output; echo 'it broke' >&2; exit 3") };
	struct berth_error err = BERTH_ERROR_INIT;

	tap_ok(berth_hooks_run(&h, 1, STATE, "poststart", &err) < 0, "failing hook fails");
	_cleanup_free_ char *want = berth_xasprintf(
		"poststart hook `%s`: exit status 3, stdout: some output, stderr: it broke", h.path);
	tap_ok(err.msg && strcmp(err.msg, want) == 0, "failure message: `%s`", err.msg ? err.msg : "");
	free(h.path);
	berth_error_release(&err);
}

static void test_signalled(void)
{
	struct berth_oci_hook h = { .path = script("selfkill.sh", "kill -TERM $$") };
	struct berth_error err = BERTH_ERROR_INIT;
	int r = berth_hooks_run(&h, 1, STATE, "poststop", &err);

	tap_ok(r < 0 && err.msg && strstr(err.msg, "killed by signal 15"), "signalled hook reported: `%s`",
	       err.msg ? err.msg : "");
	free(h.path);
	berth_error_release(&err);
}

static void test_missing(void)
{
	_cleanup_free_ char *path = berth_xasprintf("%s/does-not-exist", tmpdir);
	struct berth_oci_hook h = { .path = path };
	struct berth_error err = BERTH_ERROR_INIT;

	tap_ok(berth_hooks_run(&h, 1, STATE, "createContainer", &err) == -ENOENT, "missing hook binary fails");
	_cleanup_free_ char *want =
		berth_xasprintf("createContainer hook `%s`: execute: No such file or directory", path);
	tap_ok(err.msg && strcmp(err.msg, want) == 0, "missing binary message: `%s`", err.msg ? err.msg : "");
	berth_error_release(&err);
}

static void test_order_and_stop(void)
{
	_cleanup_free_ char *b1 = berth_xasprintf("echo one >> %s/order.out", tmpdir);
	_cleanup_free_ char *b3 = berth_xasprintf("echo three >> %s/order.out", tmpdir);
	struct berth_oci_hook hooks[3] = {
		{ .path = script("one.sh", b1) },
		{ .path = script("two.sh", "exit 1") },
		{ .path = script("three.sh", b3) },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *got = NULL;

	tap_ok(berth_hooks_run(hooks, 3, STATE, "prestart", &err) < 0, "list with a failing hook fails");
	got = slurp("order.out");
	tap_ok(strcmp(got, "one\n") == 0, "hooks run in order and stop at the first failure: `%s`", got);
	tap_ok(berth_hooks_run(hooks, 1, STATE, "prestart", &err) == 0 && berth_hooks_run(hooks, 0, STATE, "x", &err) == 0,
	       "single and empty lists succeed");
	for (size_t i = 0; i < 3; i++)
		free(hooks[i].path);
	berth_error_release(&err);
}

static void test_stdin_not_read(void)
{
	/* larger than any pipe buffer: the write must fail with EPIPE, not kill us with SIGPIPE */
	size_t n = 4 << 20;
	_cleanup_free_ char *big = berth_xmalloc(n + 1);
	struct berth_oci_hook h = { .path = script("noread.sh", "exit 0") };
	struct berth_error err = BERTH_ERROR_INIT;

	memset(big, 'x', n);
	big[n] = '\0';
	tap_ok(berth_hooks_run(&h, 1, big, "prestart", &err) == 0, "hook ignoring a large stdin succeeds");
	free(h.path);
	berth_error_release(&err);
}

static void test_big_output(void)
{
	/* more output than a pipe holds: the runtime must keep reading while the hook runs */
	struct berth_oci_hook h = { .path = script("chatty.sh", "head -c 1000000 /dev/zero | tr '\\0' y; "
							     "head -c 1000000 /dev/zero | tr '\\0' z >&2; exit 1") };
	struct berth_error err = BERTH_ERROR_INIT;
	int r;

	r = berth_hooks_run(&h, 1, STATE, "prestart", &err);
	tap_ok(r < 0 && err.msg && strlen(err.msg) < 3 * BERTH_HOOK_OUTPUT_MAX && strstr(err.msg, "yyy...") &&
		       strstr(err.msg, "zzz..."),
	       "large output is drained and truncated in the message (%zu bytes)", err.msg ? strlen(err.msg) : 0);
	free(h.path);
	berth_error_release(&err);
}

static void test_no_fd_leak(void)
{
	/* `sh -c` opens no script file, and exec leaves ls with what the hook got plus its own dirfd 3 */
	_cleanup_free_ char *cmd = berth_xasprintf("exec ls /proc/self/fd > %s/fds.out", tmpdir);
	char *args[] = { "sh", "-c", cmd, NULL };
	struct berth_oci_hook h = { .path = "/bin/sh", .args = args };
	struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *got = NULL;

	tap_ok(berth_hooks_run(&h, 1, STATE, "prestart", &err) == 0, "fd listing hook succeeds");
	got = slurp("fds.out");
	tap_ok(strcmp(got, "0\n1\n2\n3\n") == 0, "hook gets only fds 0, 1, 2: `%s`", got);
	berth_error_release(&err);
}

int main(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (access("/bin/sh", X_OK) < 0)
		tap_skip_all("no /bin/sh");
	/* fds a test harness leaked to us are not the hook runner's to close; make them go away at exec */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		tap_skip_all("close_range(CLOSE_RANGE_CLOEXEC) unsupported");
	if (!mkdtemp(tmpdir))
		tap_skip_all("mkdtemp failed");

	test_stdin();
	test_args_env();
	test_env_inherited();
	test_timeout();
	test_failure();
	test_signalled();
	test_missing();
	test_order_and_stop();
	test_stdin_not_read();
	test_big_output();
	test_no_fd_leak();

	berth_rm_rf_at(AT_FDCWD, tmpdir, &err);
	berth_error_release(&err);
	return tap_done();
}
