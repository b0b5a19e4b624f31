/* berth start: start created or stopped containers, -a attached to one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli-run.h"
#include "engine/engine.h"
#include "util/cleanup.h"

static int json_bool(struct berth_ctr *c, const char *key)
{
	return json_is_true(json_object_get(json_object_get(c->config, "Config"), key));
}

/* start -a: attached before the process runs; the exit status is the container's. */
static int start_attached(struct berth_engine *e, const char *ref, bool interactive, const char *keys)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_close_ int sock = -EBADF;
	struct berth_ctr c = { 0 };
	int code = 0, r;

	if (berth_ctr_start_attached(e, ref, &sock, &err) < 0) {
		cli_fail(&err);
		return cli_start_failure_status(&err);
	}
	if (berth_ctr_get(e, ref, &c, &err) < 0) {
		berth_error_release(&err);
		c = (struct berth_ctr){ 0 };
	}
	{
		struct cli_attach a = {
			.sock = sock,
			.tty = json_bool(&c, "Tty"),
			/* docker: -i forwards stdin only to a container made with -i */
			.forward_stdin = interactive && json_bool(&c, "OpenStdin"),
			.detach_keys = keys,
			.sig_proxy = true,
			.pid = c.pid,
		};
		if (a.tty && a.forward_stdin && !isatty(STDIN_FILENO)) {
			berth_ctr_release(&c);
			return cli_failf(CLI_EXIT_FAILURE, "the input device is not a TTY");
		}
		r = cli_attach_run(&a, &code, &err);
	}
	berth_ctr_release(&c);
	if (r == 1)
		return CLI_EXIT_OK;
	if (r < 0)
		return cli_fail(&err);
	return code;
}

static int start_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "attach", 'a', CLI_FLAG, "Attach STDOUT/STDERR and forward signals" },
		{ "detach-keys", 0, CLI_STRING, "Override the key sequence for detaching a container" },
		{ "interactive", 'i', CLI_FLAG, "Attach container's STDIN" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_free_ char *keys = NULL;
	struct berth_engine *e;
	int r, status = 0;
	bool ok;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	keys = cli_detach_keys(cli_value(opts, "detach-keys"), &ok);
	if (!ok)
		return CLI_EXIT_ENGINE;
	if ((cli_flag(opts, "attach") || cli_flag(opts, "interactive")) && argc > 1)
		return cli_failf(CLI_EXIT_FAILURE, "you cannot start and attach multiple containers at once");
	if ((r = cli_protect_self(g)))
		return r;
	if (!(e = cli_engine(g, &status)))
		return status;
	if (cli_flag(opts, "attach") || cli_flag(opts, "interactive"))
		return start_attached(e, argv[0], cli_flag(opts, "interactive"), keys);
	for (int i = 0; i < argc; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		if (berth_ctr_start(e, argv[i], &err) < 0) {
			status = cli_fail(&err);
			continue;
		}
		printf("%s\n", argv[i]);
		fflush(stdout);
	}
	return status;
}

const struct cli_command cmd_start = {
	.name = "start",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Start one or more stopped containers",
	.run = start_run,
};
