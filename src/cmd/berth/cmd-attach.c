/* berth attach: the caller's stdio to a running container's. */
#include <errno.h>
#include <unistd.h>

#include "cli-run.h"
#include "engine/attach.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int attach_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "detach-keys", 0, CLI_STRING, "Override the key sequence for detaching a container" },
		{ "no-stdin", 0, CLI_FLAG, "Do not attach STDIN" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *keys = NULL, *path = NULL;
	_cleanup_close_ int sock = -EBADF;
	struct berth_ctr c = { 0 };
	struct berth_engine *e;
	int r, status = 0, code = 0;
	bool ok;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, 1)))
		return r;
	keys = cli_detach_keys(cli_value(opts, "detach-keys"), &ok);
	if (!ok)
		return CLI_EXIT_ENGINE;
	if (!(e = cli_engine(g, &status)))
		return status;
	if (berth_ctr_get(e, argv[0], &c, &err) < 0)
		return cli_fail(&err);
	if (c.state == BERTH_CTR_PAUSED)
		status = cli_failf(CLI_EXIT_FAILURE, "You cannot attach to a paused container, unpause it first");
	else if (c.state != BERTH_CTR_RUNNING)
		status = cli_failf(CLI_EXIT_FAILURE, "You cannot attach to a stopped container, start it first");
	if (status) {
		berth_ctr_release(&c);
		return status;
	}
	path = berth_engine_run_path(e, c.id, "attach");
	sock = berth_attach_connect(path, &err);
	if (sock < 0) {
		berth_ctr_release(&c);
		return cli_fail(&err);
	}
	{
		json_t *cfg = json_object_get(c.config, "Config");
		struct cli_attach a = {
			.sock = sock,
			.tty = json_is_true(json_object_get(cfg, "Tty")),
			.forward_stdin = !cli_flag(opts, "no-stdin") && json_is_true(json_object_get(cfg, "OpenStdin")),
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

const struct cli_command cmd_attach = {
	.name = "attach",
	.usage = "[OPTIONS] CONTAINER",
	.summary = "Attach local standard input, output, and error streams to a running container",
	.run = attach_run,
};
