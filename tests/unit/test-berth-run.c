/*
 * Unit tests for the mapping of docker's run/create flags to a create
 * request (src/cmd/berth/run-options.c), the detach keys and the exit
 * statuses of a failed start (terminal.c).  No container is made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-run.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static const struct cli_command run_cmd = { .name = "run", .usage = "[OPTIONS] IMAGE", .summary = "test" };

/* Parse a command line as `berth run` does; returns cli_run_request_build's status (or -1 for a parse error). */
static int build(struct cli_run_request *rr, struct cli_option *opts, char **args)
{
	char *argv[64] = { (char *)"run" };
	int argc = 1, r;

	*rr = (struct cli_run_request){ 0 };
	for (; args[argc - 1]; argc++)
		argv[argc] = args[argc - 1];
	/* silence the usage messages of the error cases */
	fflush(stderr);
	r = cli_parse(&run_cmd, opts, &argc, argv, true);
	if (r != 0)
		return -1;
	return cli_run_request_build(&run_cmd, opts, argc, argv, rr);
}

#define ARGS(...) ((char *[]){ __VA_ARGS__, NULL })

static void test_process_flags(void)
{
	struct cli_option opts[] = { CLI_CREATE_OPTIONS, { NULL } };
	_cleanup_options_ struct cli_option *release = opts;
	struct cli_run_request rr;
	char env_file[] = "/tmp/test-berth-run-env.XXXXXX";
	int fd = mkstemp(env_file);
	const struct berth_create_request *q = &rr.req;

	TAP_OK(fd >= 0 && write(fd, "A=file\n# c\nB=file\n", 18) == 18);
	close(fd);
	setenv("FROM_CALLER", "yes", 1);
	unsetenv("NOT_THERE");
	TAP_OK(build(&rr, opts,
		     ARGS("--name", "web", "-e", "B=flag", "--env-file", env_file, "-e", "FROM_CALLER", "-e", "NOT_THERE",
			  "-w", "/srv", "-u", "1:2", "-h", "host", "--entrypoint", "", "-it", "--rm", "--init",
			  "--label", "a=b", "-l", "c", "--stop-signal", "USR1", "--stop-timeout", "3", "busybox", "sh",
			  "-c", "x")) == 0);
	unlink(env_file);
	TAP_OK(strcmp(q->image, "busybox") == 0 && strcmp(q->name, "web") == 0 && strcmp(q->user, "1:2") == 0);
	TAP_OK(berth_strv_length(q->run.cmd) == 3 && strcmp(q->run.cmd[2], "x") == 0);
	/* --entrypoint "": an empty vector, not NULL */
	TAP_OK(q->run.entrypoint && !q->run.entrypoint[0]);
	TAP_OK(berth_strv_length(q->run.env) == 4 && strcmp(q->run.env[0], "A=file") == 0 &&
	       strcmp(q->run.env[2], "B=flag") == 0 && strcmp(q->run.env[3], "FROM_CALLER=yes") == 0);
	TAP_OK(strcmp(q->run.workdir, "/srv") == 0 && strcmp(q->run.hostname, "host") == 0);
	TAP_OK(q->interactive && q->run.tty && q->auto_remove && q->run.init);
	TAP_OK(berth_strv_length(q->labels) == 2 && strcmp(q->labels[1], "c=") == 0);
	TAP_OK(strcmp(q->stop_signal, "USR1") == 0 && q->stop_timeout == 3);
	/* no --network: the default bridge network (NULL) */
	TAP_OK(q->network == NULL);
	cli_run_request_release(&rr);
	cli_options_release(opts);
}

static void test_resource_and_security_flags(void)
{
	struct cli_option opts[] = { CLI_CREATE_OPTIONS, { NULL } };
	_cleanup_options_ struct cli_option *release = opts;
	struct cli_run_request rr;
	const struct berth_run_options *o = &rr.req.run;

	TAP_OK(build(&rr, opts,
		     ARGS("-m", "64m", "--memory-swap", "-1", "--cpus", "1.5", "-c", "512", "--pids-limit", "-1",
			  "--ulimit", "nofile=10:20", "--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--privileged",
			  "--read-only", "--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined",
			  "--tmpfs", "/run:size=1m", "-v", "/srv:/data:ro", "--mount", "type=tmpfs,target=/t",
			  "--device", "/dev/fuse", "--network", "host", "--shm-size", "1g", "busybox")) == 0);
	TAP_OK(o->memory == 64 << 20 && o->memory_swap == -1 && o->cpus == 1.5 && o->cpu_shares == 512 &&
	       o->pids_limit == -1 && o->shm_size == 1ull << 30);
	TAP_OK(o->n_ulimits == 1 && strcmp(o->ulimits[0].name, "nofile") == 0 && o->ulimits[0].soft == 10 &&
	       o->ulimits[0].hard == 20);
	TAP_OK(berth_strv_contains(o->cap_add, "NET_ADMIN") && berth_strv_contains(o->cap_drop, "ALL"));
	TAP_OK(o->privileged && o->read_only && o->no_new_privileges && strcmp(o->seccomp_profile, "unconfined") == 0);
	TAP_OK(o->n_mounts == 3 && o->mounts[0].kind == BERTH_MOUNT_BIND && o->mounts[0].readonly &&
	       o->mounts[1].kind == BERTH_MOUNT_TMPFS && strcmp(o->mounts[1].target, "/t") == 0 &&
	       o->mounts[2].kind == BERTH_MOUNT_TMPFS && o->mounts[2].tmpfs_size == 1 << 20);
	TAP_OK(o->n_devices == 1 && strcmp(o->devices[0].container_path, "/dev/fuse") == 0);
	TAP_OK(strcmp(rr.req.network, "host") == 0);
	cli_run_request_release(&rr);
	cli_options_release(opts);

	/* bad values: docker's usage errors, exit status 125 */
	{
		static const char *const bad[][3] = {
			{ "-m", "10x" },	  { "--cpus", "x" },	       { "--pids-limit", "a" },
			{ "--ulimit", "no=1" },	  { "--security-opt", "nope" }, { "--tmpfs", "rel" },
			{ "--stop-signal", "NOPE" }, { "-w", "relative" },	{ "--memory-swap", "1g" },
			{ "-m", "1m" },		  { "--stop-timeout", "x" },	{ "--label", "=v" },
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct cli_option o2[] = { CLI_CREATE_OPTIONS, { NULL } };
			int r = build(&rr, o2, ARGS((char *)bad[i][0], (char *)bad[i][1], "busybox"));
			tap_ok(r == CLI_EXIT_ENGINE, "%s %s: 125 (got %d)", bad[i][0], bad[i][1], r);
			cli_run_request_release(&rr);
			cli_options_release(o2);
		}
	}
}

static void test_detach_keys(void)
{
	_cleanup_free_ char *def = NULL, *custom = NULL, *none = NULL, *bad = NULL;
	bool ok;

	def = cli_detach_keys(NULL, &ok);
	TAP_OK(ok && strcmp(def, "\x10\x11") == 0);
	custom = cli_detach_keys("ctrl-a,x,ctrl-[", &ok);
	TAP_OK(ok && strcmp(custom, "\x01x\x1b") == 0);
	none = cli_detach_keys("", &ok);
	TAP_OK(ok && none == NULL);
	bad = cli_detach_keys("ctrl-nope", &ok);
	TAP_OK(!ok && bad == NULL);
}

static void test_start_failure_status(void)
{
	struct berth_error e1 = { ENOENT, (char *)"exec: \"x\": executable file not found in $PATH" };
	struct berth_error e2 = { EACCES, (char *)"exec: \"/etc\": Permission denied" };
	struct berth_error e3 = { ENOENT, (char *)"No such container: x" };
	struct berth_error e4 = { EINVAL, (char *)"mount: bad" };

	TAP_OK(cli_start_failure_status(&e1) == 127);
	TAP_OK(cli_start_failure_status(&e2) == 126);
	TAP_OK(cli_start_failure_status(&e3) == 125);
	TAP_OK(cli_start_failure_status(&e4) == 125);
}

int main(void)
{
	test_process_flags();
	test_resource_and_security_flags();
	test_detach_keys();
	test_start_failure_status();
	return tap_done();
}
