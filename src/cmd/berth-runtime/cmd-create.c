/* `create` and `run`: they share their options. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runtime/cloned-binary.h"
#include "runtime/container.h"
#include "util/cleanup.h"

#define CREATE_OPTIONS                                                                                         \
	{ "bundle", 'b', CLI_STRING, "path to the root of the bundle directory, defaults to the current directory" }, \
	{ "console-socket", 0, CLI_STRING, "path to an AF_UNIX socket which will receive the pty master fd" },   \
	{ "pid-file", 0, CLI_STRING, "specify the file to write the process id to" },                         \
	{ "no-pivot", 0, CLI_FLAG, "do not use pivot root to jail process inside rootfs" },                   \
	{ "no-new-keyring", 0, CLI_FLAG, "do not create a new session keyring for the container" },            \
	{ "preserve-fds", 0, CLI_STRING, "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)" }

static int parse_common(struct cli_global *g, const struct cli_command *cmd, struct cli_option *opts, int *argc,
			char **argv, struct berth_create_options *o)
{
	const char *pfds;
	int r = cli_parse(cmd, opts, argc, argv, false);

	if (r != 0)
		return r < 0 ? 1 : 0;
	r = cli_expect_args(g, cmd, *argc, 1, 1);
	if (r)
		return r;
	o->root = g->root;
	o->id = argv[0];
	o->bundle = cli_opt(opts, "bundle")->value;
	o->console_socket = cli_opt(opts, "console-socket")->value;
	o->pid_file = cli_opt(opts, "pid-file")->value;
	o->no_pivot = cli_opt(opts, "no-pivot")->set;
	o->no_new_keyring = cli_opt(opts, "no-new-keyring")->set;
	o->systemd_cgroup = g->systemd_cgroup;
	pfds = cli_opt(opts, "preserve-fds")->value;
	if (pfds) {
		char *end;
		long n = strtol(pfds, &end, 10);
		if (*end || n < 0 || n > 65536)
			return cli_failf(g, "invalid --preserve-fds `%s`", pfds);
		o->preserve_fds = (int)n;
	}
	/* CVE-2019-5736: from here on we run from a sealed memfd copy of ourselves */
	{
		struct berth_error err = BERTH_ERROR_INIT;
		if (berth_cloned_binary_ensure(g->argv0, &err) < 0)
			return cli_fail(g, &err);
	}
	return -1;
}

static int run_create(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = { CREATE_OPTIONS, { NULL } };
	struct berth_create_options o = { 0 };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int r = parse_common(g, &cmd_create, opts, &argc, argv, &o);

	if (r >= 0)
		return r;
	cli_debug(g, "create %s", o.id);
	if (berth_container_create(&o, &err) < 0)
		return cli_fail(g, &err);
	return 0;
}

static int run_run(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = {
		CREATE_OPTIONS,
		{ "detach", 'd', CLI_FLAG, "detach from the container's process" },
		{ "keep", 0, CLI_FLAG, "do not delete the container after it exits" },
		{ NULL },
	};
	struct berth_create_options o = { 0 };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT, warn = BERTH_ERROR_INIT;
	int status = 0;
	int r = parse_common(g, &cmd_run, opts, &argc, argv, &o);

	if (r >= 0)
		return r;
	o.detach = cli_opt(opts, "detach")->set;
	o.keep = cli_opt(opts, "keep")->set;
	r = berth_container_run(&o, &status, &warn, &err);
	cli_warn(g, &warn);
	if (r < 0)
		return cli_fail(g, &err);
	return status;
}

const struct cli_command cmd_create = {
	.name = "create",
	.usage = "create [command options] <container-id>",
	.summary = "create a container",
	.description = "   The create command creates an instance of a container for a bundle. The bundle\n"
		       "   is a directory with a specification file named \"config.json\" and a root\n"
		       "   filesystem. The user process waits until `start`.",
	.run = run_create,
};

const struct cli_command cmd_run = {
	.name = "run",
	.usage = "run [command options] <container-id>",
	.summary = "create and run a container",
	.description = "   The run command creates and starts a container, waits for it (unless --detach),\n"
		       "   forwards signals to it, deletes it and exits with its exit status.",
	.run = run_run,
};
