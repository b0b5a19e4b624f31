/* berth exec: run a command in a running container; the exit status is the command's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli-run.h"
#include "engine/run-flags.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static int exec_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "detach", 'd', CLI_FLAG, "Detached mode: run command in the background" },
		{ "detach-keys", 0, CLI_STRING, "Override the key sequence for detaching a container" },
		{ "env", 'e', CLI_LIST, "Set environment variables" },
		{ "env-file", 0, CLI_LIST, "Read in a file of environment variables" },
		{ "interactive", 'i', CLI_FLAG, "Keep STDIN open even if not attached" },
		{ "privileged", 0, CLI_FLAG, "Give extended privileges to the command" },
		{ "tty", 't', CLI_FLAG, "Allocate a pseudo-TTY" },
		{ "user", 'u', CLI_STRING, "Username or UID (format: \"<name|uid>[:<group|gid>]\")" },
		{ "workdir", 'w', CLI_STRING, "Working directory inside the container" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_strv_free_ char **env = NULL;
	struct cli_option *x;
	struct berth_engine *e;
	int r, status = 0, code = 0;

	r = cli_parse(cmd, opts, &argc, argv, true);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 2, -1)))
		return r;
	x = cli_opt(opts, "env-file");
	for (size_t i = 0; x->values && x->values[i]; i++)
		if (berth_parse_env_file(x->values[i], &env, &err) < 0)
			return cli_fail(&err), CLI_EXIT_ENGINE;
	x = cli_opt(opts, "env");
	for (size_t i = 0; x->values && x->values[i]; i++) {
		const char *v = x->values[i];
		if (strchr(v, '='))
			berth_strv_push(&env, v);
		else if (getenv(v))
			berth_strv_consume(&env, berth_xasprintf("%s=%s", v, getenv(v)));
	}
	if (cli_flag(opts, "tty") && cli_flag(opts, "interactive") && !cli_flag(opts, "detach") && !isatty(STDIN_FILENO))
		return cli_failf(CLI_EXIT_FAILURE, "the input device is not a TTY");
	if ((r = cli_protect_self(g)))
		return r;
	if (!(e = cli_engine(g, &status)))
		return status;
	{
		struct berth_exec_request req = {
			.args = argv + 1,
			.tty = cli_flag(opts, "tty"),
			.interactive = cli_flag(opts, "interactive"),
			.detach = cli_flag(opts, "detach"),
			.env = env,
			.user = cli_value(opts, "user"),
			.workdir = cli_value(opts, "workdir"),
			.privileged = cli_flag(opts, "privileged"),
		};
		code = -1;
		r = berth_ctr_exec(e, argv[0], &req, &code, &err);
	}
	if (r < 0) {
		cli_fail(&err);
		/* docker: 126 the command cannot be invoked, 127 it is not there */
		status = cli_start_failure_status(&err);
		return status != CLI_EXIT_ENGINE ? status : err.code == ENOENT && strstr(err.msg ? err.msg : "", "No such ")
							    ? CLI_EXIT_FAILURE
							    : CLI_EXIT_ENGINE;
	}
	return code;
}

const struct cli_command cmd_exec = {
	.name = "exec",
	.usage = "[OPTIONS] CONTAINER COMMAND [ARG...]",
	.summary = "Execute a command in a running container",
	.run = exec_run,
};
