/* berth run / berth create (and their `container` twins). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-run.h"
#include "engine/engine.h"
#include "util/cleanup.h"

/* Create from the parsed flags; prints nothing on success.  Returns 0 or the exit status. */
static int create_container(struct cli_global *g, const struct cli_command *cmd, struct cli_option *opts, int argc,
			    char **argv, char **ret_id)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct cli_run_request rr;
	struct berth_engine *e;
	int r, status = 0;

	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	r = cli_run_request_build(cmd, opts, argc, argv, &rr);
	if (r == 0 && (r = cli_protect_self(g)) == 0 && !(e = cli_engine(g, &status)))
		r = status;
	if (r == 0 && berth_ctr_create(e, &rr.req, ret_id, &err) < 0) {
		cli_fail(&err);
		/* docker run/create: anything before the container exists is the engine's failure */
		r = CLI_EXIT_ENGINE;
	}
	cli_run_request_release(&rr);
	return r;
}

static int create_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = { CLI_CREATE_OPTIONS, { NULL } };
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_free_ char *id = NULL;
	int r;

	r = cli_parse(cmd, opts, &argc, argv, true);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = create_container(g, cmd, opts, argc, argv, &id)))
		return r;
	printf("%s\n", id);
	return CLI_EXIT_OK;
}

/* After a failed start: docker's status, and --rm still removes. */
static int start_failed(struct berth_engine *e, const char *id, bool auto_remove, struct berth_error *err)
{
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	int status = cli_start_failure_status(err);

	cli_fail(err);
	if (auto_remove)
		berth_ctr_remove(e, id, true, true, &ignore);
	return status;
}

/* Foreground: attached before the process runs, until it exits (or the user detaches). */
static int run_attached(struct berth_engine *e, const char *id, struct cli_option *opts, const char *keys)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_close_ int sock = -EBADF;
	struct berth_ctr c = { 0 };
	bool auto_remove = cli_flag(opts, "rm");
	int code = 0, r;

	if (berth_ctr_start_attached(e, id, &sock, &err) < 0)
		return start_failed(e, id, auto_remove, &err);
	if (berth_ctr_db_lookup(e->store->db, id, &c, &err) < 0)
		berth_error_release(&err);
	{
		struct cli_attach a = {
			.sock = sock,
			.tty = cli_flag(opts, "tty"),
			.forward_stdin = cli_flag(opts, "interactive"),
			.detach_keys = keys,
			.sig_proxy = true,
			.pid = c.pid,
		};
		r = cli_attach_run(&a, &code, &err);
	}
	berth_ctr_release(&c);
	if (r == 1)
		return CLI_EXIT_OK; /* detached: it runs on, --rm is the monitor's job */
	if (r < 0) {
		cli_fail(&err);
		return CLI_EXIT_ENGINE;
	}
	/* --rm: gone before berth returns (the monitor's cleanup may race us to it: either is fine) */
	if (auto_remove && berth_ctr_remove(e, id, true, true, &err) < 0 && err.code != ENOENT) {
		cli_fail(&err);
		return CLI_EXIT_ENGINE;
	}
	return code;
}

static int run_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "detach", 'd', CLI_FLAG, "Run container in background and print container ID" },
		{ "detach-keys", 0, CLI_STRING, "Override the key sequence for detaching a container" },
		CLI_CREATE_OPTIONS,
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *id = NULL, *keys = NULL;
	struct berth_engine *e;
	bool ok;
	int r;

	r = cli_parse(cmd, opts, &argc, argv, true);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	keys = cli_detach_keys(cli_value(opts, "detach-keys"), &ok);
	if (!ok)
		return CLI_EXIT_ENGINE;
	if (!cli_flag(opts, "detach") && cli_flag(opts, "tty") && cli_flag(opts, "interactive") && !isatty(STDIN_FILENO))
		return cli_failf(CLI_EXIT_FAILURE, "the input device is not a TTY");
	if ((r = create_container(g, cmd, opts, argc, argv, &id)))
		return r;
	e = g->engine;
	if (!cli_flag(opts, "detach"))
		return run_attached(e, id, opts, keys);
	if (berth_ctr_start(e, id, &err) < 0)
		return start_failed(e, id, cli_flag(opts, "rm"), &err);
	printf("%s\n", id);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_run = {
	.name = "run",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
	.summary = "Create and run a new container from an image",
	.run = run_run,
};

const struct cli_command cmd_create = {
	.name = "create",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
	.summary = "Create a new container",
	.run = create_run,
};
