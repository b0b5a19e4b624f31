/* berth logs: the container's output, from its json-file log (engine/logs.h does the reading). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine/container.h"
#include "engine/logs.h"
#include "util/cleanup.h"

static int logs_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "details", 0, CLI_FLAG, "Show extra details provided to logs" },
		{ "follow", 'f', CLI_FLAG, "Follow log output" },
		{ "since", 0, CLI_STRING,
		  "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)" },
		{ "tail", 'n', CLI_STRING, "Number of lines to show from the end of the logs (default \"all\")" },
		{ "timestamps", 't', CLI_FLAG, "Show timestamps" },
		{ "until", 0, CLI_STRING,
		  "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_logs_options o = { .tail = -1, .stdout_fd = STDOUT_FILENO, .stderr_fd = STDERR_FILENO };
	const char *tail;
	struct berth_engine *e;
	int64_t now = berth_now_ns();
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, 1)))
		return r;
	o.follow = cli_flag(opts, "follow");
	o.timestamps = cli_flag(opts, "timestamps");
	tail = cli_value(opts, "tail");
	if (tail && strcmp(tail, "all") != 0) {
		char *end;
		o.tail = strtol(tail, &end, 10);
		if (!*tail || *end)
			return cli_failf(CLI_EXIT_ENGINE, "invalid value for \"tail\" \"%s\": expected \"all\" or a number", tail);
		if (o.tail < 0)
			o.tail = -1; /* docker: a negative tail is all of it */
	}
	if (cli_value(opts, "since") && berth_parse_since(cli_value(opts, "since"), now, &o.since, &err) < 0)
		return cli_fail(&err);
	if (cli_value(opts, "until") && berth_parse_since(cli_value(opts, "until"), now, &o.until, &err) < 0)
		return cli_fail(&err);
	e = cli_engine(g, &status);
	if (!e)
		return status;
	/* the log goes to the fds directly: nothing of ours may sit in stdio's buffer before it */
	fflush(stdout);
	if (berth_ctr_logs(e, argv[0], &o, &err) < 0)
		return cli_fail(&err);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_logs = {
	.name = "logs",
	.usage = "[OPTIONS] CONTAINER",
	.summary = "Fetch the logs of a container",
	.run = logs_run,
};
