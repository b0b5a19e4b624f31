/* berth: the container engine CLI.  Global options, then one verb per cmd-*.c file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/engine.h"
#include "image/store.h"
#include "runtime/cloned-binary.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#include "berth-config.h"

static const struct cli_command *const commands[] = {
	&cmd_attach, &cmd_container, &cmd_cp, &cmd_create, &cmd_exec, &cmd_history, &cmd_image, &cmd_images, &cmd_import,
	&cmd_info, &cmd_inspect, &cmd_kill, &cmd_load, &cmd_login, &cmd_logout, &cmd_logs, &cmd_network, &cmd_pause,
	&cmd_port, &cmd_ps, &cmd_pull, &cmd_push, &cmd_rename, &cmd_restart, &cmd_rm, &cmd_rmi, &cmd_run, &cmd_save,
	&cmd_start, &cmd_stats, &cmd_stop, &cmd_tag, &cmd_top, &cmd_unpause, &cmd_version, &cmd_volume, &cmd_wait, NULL,
};

static const struct cli_command global_cmd = {
	.name = "berth",
	.usage = "[OPTIONS] COMMAND",
	.summary = "A container engine",
};

static void print_usage(void)
{
	printf("\nUsage:  berth [OPTIONS] COMMAND\n\nA container engine\n\n"
	       "Options:\n"
	       "      --log-level string   Set the logging level (\"debug\"|\"info\"|\"warn\"|\"error\") (default \"warn\")\n"
	       "      --root string        Storage root directory (default $BERTH_ROOT or \"%s\")\n"
	       "      --runroot string     Runtime state directory (default $BERTH_RUN_ROOT or \"%s\")\n"
	       "  -v, --version            Print version information and quit\n"
	       "  -h, --help               Print usage\n\n"
	       "Management Commands:\n"
	       "  container   Manage containers\n"
	       "  image       Manage images\n"
	       "  network     Manage networks\n"
	       "  volume      Manage volumes\n\n"
	       "Commands:\n",
	       BERTH_DEFAULT_ROOT, BERTH_DEFAULT_RUN_ROOT);
	for (const struct cli_command *const *c = commands; *c; c++)
		if (!(*c)->subcommands)
			printf("  %-12s%s\n", (*c)->name, (*c)->summary);
	printf("\nRun 'berth COMMAND --help' for more information on a command.\n");
}

static int parse_log_level(const char *s, enum cli_log_level *ret)
{
	static const struct {
		const char *name;
		enum cli_log_level level;
	} levels[] = {
		{ "error", CLI_LOG_ERROR }, { "fatal", CLI_LOG_ERROR }, { "panic", CLI_LOG_ERROR }, { "warn", CLI_LOG_WARN },
		{ "warning", CLI_LOG_WARN }, { "info", CLI_LOG_INFO },	 { "debug", CLI_LOG_DEBUG }, { "trace", CLI_LOG_DEBUG },
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(s, levels[i].name) == 0) {
			*ret = levels[i].level;
			return 0;
		}
	return -1;
}

/*
 * The real berth binary, read before anything else: the monitor runs it when
 * a container exits.  After the re-exec from a sealed copy (cli_protect_self)
 * /proc/self/exe is a memfd, and BERTH_SELF, set just before, says it.
 */
static char *self_path(void)
{
	const char *env = getenv("BERTH_SELF");
	char *p;

	if (env && *env && berth_cloned_binary_is_sealed()) {
		p = berth_xstrdup(env);
		unsetenv("BERTH_SELF");
		return p;
	}
	unsetenv("BERTH_SELF");
	return realpath("/proc/self/exe", NULL);
}

int main(int argc, char **argv)
{
	struct cli_global g = { .log_level = CLI_LOG_WARN };
	struct cli_option opts[] = {
		{ "root", 0, CLI_STRING, "Storage root directory" },
		{ "runroot", 0, CLI_STRING, "Runtime state directory" },
		{ "log-level", 'l', CLI_STRING, "Set the logging level" },
		{ "debug", 'D', CLI_FLAG, "Enable debug mode" },
		{ "version", 'v', CLI_FLAG, "Print version information and quit" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_free_ char *self = self_path();
	/* cli_parse reorders argv: the re-exec needs it as given */
	_cleanup_free_ char **argv_copy = berth_xcalloc((size_t)argc + 1, sizeof(char *));
	const struct cli_command *cmd;
	int n = argc, r;

	memcpy(argv_copy, argv, sizeof(char *) * (size_t)argc);
	g.self_path = self;
	g.argv = argv_copy;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		print_usage();
		return CLI_EXIT_OK;
	}
	r = cli_parse(&global_cmd, opts, &n, argv, true);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	/* cli_parse left the command and its arguments in argv[0..n) */
	if (cli_flag(opts, "version")) {
		printf("berth version %s\n", BERTH_VERSION);
		return CLI_EXIT_OK;
	}
	g.root = cli_value(opts, "root");
	g.run_root = cli_value(opts, "runroot");
	if (cli_value(opts, "log-level") && parse_log_level(cli_value(opts, "log-level"), &g.log_level) < 0)
		return cli_failf(CLI_EXIT_ENGINE, "unable to parse logging level: %s", cli_value(opts, "log-level"));
	if (cli_flag(opts, "debug"))
		g.log_level = CLI_LOG_DEBUG;
	if (n == 0) {
		print_usage();
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (n > 1 && (cmd = cli_find_command(commands, argv[1]))) {
			cli_path_push(cmd->name);
			return cmd->run(&g, cmd, 2, (char *[]){ argv[1], (char *)"--help", NULL });
		}
		print_usage();
		return CLI_EXIT_OK;
	}
	cmd = cli_find_command(commands, argv[0]);
	if (!cmd)
		return cli_failf(CLI_EXIT_ENGINE, "unknown command \"%s\" for \"berth\"\nSee 'berth --help'.", argv[0]);
	cli_path_push(cmd->name);
	r = cmd->run(&g, cmd, n, argv);
	if (g.store)
		berth_store_free(g.store);
	if (g.engine)
		berth_engine_free(g.engine);
	/* output that did not reach its file (a full disk, a closed pipe) is a failure */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_failf(CLI_EXIT_ENGINE, "write to stdout: %m");
		return r ? r : CLI_EXIT_ENGINE;
	}
	return r;
}
