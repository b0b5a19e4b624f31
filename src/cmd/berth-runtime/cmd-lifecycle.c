/* `start`, `state`, `kill` and `delete`: the verbs that act on one existing container. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "runtime/container.h"
#include "util/cleanup.h"

static int run_start(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = { { NULL } };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT, warn = BERTH_ERROR_INIT;
	int r = cli_parse(&cmd_start, opts, &argc, argv, false);

	if (r != 0)
		return r < 0 ? 1 : 0;
	r = cli_expect_args(g, &cmd_start, argc, 1, 1);
	if (r)
		return r;
	r = berth_container_start(g->root, argv[0], &warn, &err);
	cli_warn(g, &warn);
	return r < 0 ? cli_fail(g, &err) : 0;
}

static int run_state(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = { { NULL } };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *json = NULL;
	int r = cli_parse(&cmd_state, opts, &argc, argv, false);

	if (r != 0)
		return r < 0 ? 1 : 0;
	r = cli_expect_args(g, &cmd_state, argc, 1, 1);
	if (r)
		return r;
	if (berth_container_state(g->root, argv[0], &json, &err) < 0)
		return cli_fail(g, &err);
	printf("%s\n", json);
	return 0;
}

static int run_kill(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "all", 'a', CLI_FLAG, "send the specified signal to all processes inside the container" },
		{ NULL },
	};
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int signo = 15;
	int r = cli_parse(&cmd_kill, opts, &argc, argv, false);

	if (r != 0)
		return r < 0 ? 1 : 0;
	r = cli_expect_args(g, &cmd_kill, argc, 1, 2);
	if (r)
		return r;
	if (argc == 2) {
		signo = berth_signal_parse(argv[1]);
		if (signo < 0)
			return cli_failf(g, "unknown signal `%s`", argv[1]);
	}
	if (berth_container_kill(g->root, argv[0], signo, cli_opt(opts, "all")->set, &err) < 0)
		return cli_fail(g, &err);
	return 0;
}

static int run_delete(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "force", 'f', CLI_FLAG, "forcibly deletes the container if it is still running (uses SIGKILL)" },
		{ NULL },
	};
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT, warn = BERTH_ERROR_INIT;
	bool force;
	int r = cli_parse(&cmd_delete, opts, &argc, argv, false);

	if (r != 0)
		return r < 0 ? 1 : 0;
	r = cli_expect_args(g, &cmd_delete, argc, 1, 1);
	if (r)
		return r;
	force = cli_opt(opts, "force")->set;
	r = berth_container_delete(g->root, argv[0], force, &warn, &err);
	cli_warn(g, &warn);
	/* like runc: deleting a container that is already gone with --force is not an error */
	if (r == -ENOENT && force)
		return 0;
	return r < 0 ? cli_fail(g, &err) : 0;
}

const struct cli_command cmd_start = {
	.name = "start",
	.usage = "start <container-id>",
	.summary = "executes the user defined process in a created container",
	.run = run_start,
};

const struct cli_command cmd_state = {
	.name = "state",
	.usage = "state <container-id>",
	.summary = "output the state of a container",
	.run = run_state,
};

const struct cli_command cmd_kill = {
	.name = "kill",
	.usage = "kill [command options] <container-id> [signal]",
	.summary = "kill sends the specified signal (default: SIGTERM) to the container's init process",
	.run = run_kill,
};

const struct cli_command cmd_delete = {
	.name = "delete",
	.usage = "delete [command options] <container-id>",
	.summary = "delete any resources held by the container often used with detached container",
	.run = run_delete,
};
