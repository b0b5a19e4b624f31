/* berth stop / restart / kill: signals to running containers. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-run.h"
#include "engine/engine.h"
#include "util/cleanup.h"

/* -t/--time: seconds, or -1 (the default) for the container's own stop timeout. */
static int parse_timeout(const struct cli_command *cmd, struct cli_option *opts, int *ret)
{
	const char *v = cli_value(opts, "time");
	char *end;
	long t;

	*ret = -1;
	if (!v)
		return 0;
	errno = 0;
	t = strtol(v, &end, 10);
	if (!*v || *end || errno || t < -1 || t > INT_MAX)
		return cli_usage_error(cmd, "invalid argument \"%s\" for \"-t, --time\" flag: strconv.ParseInt: parsing "
					    "\"%s\": invalid syntax",
				       v, v);
	*ret = (int)t;
	return 0;
}

enum verb { STOP, RESTART, KILL };

static int signal_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv, enum verb verb)
{
	struct cli_option stop_opts[] = {
		{ "time", 't', CLI_STRING, "Seconds to wait before killing the container", "int" },
		{ NULL },
	};
	struct cli_option kill_opts[] = {
		{ "signal", 's', CLI_STRING, "Signal to send to the container (default \"KILL\")" },
		{ NULL },
	};
	struct cli_option *opts = verb == KILL ? kill_opts : stop_opts;
	_cleanup_options_ struct cli_option *release = opts;
	struct berth_engine *e;
	int r, status = 0, timeout = -1;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)) || (verb != KILL && (r = parse_timeout(cmd, opts, &timeout))))
		return r;
	if (verb == RESTART && (r = cli_protect_self(g)))
		return r;
	if (!(e = cli_engine(g, &status)))
		return status;
	for (int i = 0; i < argc; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

		if (verb == KILL)
			r = berth_ctr_kill(e, argv[i], cli_value(opts, "signal") ? cli_value(opts, "signal") : "KILL", &err);
		else
			r = berth_ctr_stop(e, argv[i], timeout, &err);
		if (r == 0 && verb == RESTART)
			r = berth_ctr_start(e, argv[i], &err);
		if (r < 0) {
			status = cli_fail(&err);
			continue;
		}
		printf("%s\n", argv[i]);
		fflush(stdout);
	}
	return status;
}

static int stop_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	return signal_run(g, cmd, argc, argv, STOP);
}

static int restart_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	return signal_run(g, cmd, argc, argv, RESTART);
}

static int kill_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	return signal_run(g, cmd, argc, argv, KILL);
}

const struct cli_command cmd_stop = {
	.name = "stop",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Stop one or more running containers",
	.run = stop_run,
};

const struct cli_command cmd_restart = {
	.name = "restart",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Restart one or more containers",
	.run = restart_run,
};

const struct cli_command cmd_kill = {
	.name = "kill",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Kill one or more running containers",
	.run = kill_run,
};
