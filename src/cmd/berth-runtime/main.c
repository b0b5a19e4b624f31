/* berth-runtime: a runc-compatible OCI runtime.  Global options, then one verb per cmd-*.c file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/strv.h"

#include "berth-config.h"

static const struct cli_command *const commands[] = {
	&cmd_create, &cmd_delete, &cmd_events, &cmd_exec, &cmd_features, &cmd_kill, &cmd_list, &cmd_pause,
	&cmd_ps, &cmd_resume, &cmd_run, &cmd_spec, &cmd_start, &cmd_state, &cmd_update,
};

static void print_version(void)
{
	const struct scmp_version *v = seccomp_version();

	printf("berth-runtime version %s\nspec: %s\nlibseccomp: %u.%u.%u\n", BERTH_VERSION, BERTH_OCI_VERSION,
	       v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0);
}

static void print_usage(void)
{
	printf("NAME:\n   berth-runtime - a fast, runc-compatible OCI container runtime\n\n"
	       "USAGE:\n   berth-runtime [global options] command [command options] [arguments...]\n\n"
	       "VERSION:\n   %s\n\nCOMMANDS:\n",
	       BERTH_VERSION);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("   %-10s %s\n", commands[i]->name, commands[i]->summary);
	printf("\nGLOBAL OPTIONS:\n"
	       "   --debug                  enable debug logging\n"
	       "   --log value              set the log file to write berth-runtime logs to (default is stderr)\n"
	       "   --log-format value       set the log format ('text' (default), or 'json') (default: \"text\")\n"
	       "   --root value             root directory for storage of container state (default: \"/run/berth-runtime\")\n"
	       "   --systemd-cgroup         enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\"\n"
	       "   --rootless value         ignore cgroup permission errors ('true', 'false', or 'auto') (default: \"auto\")\n"
	       "   --help, -h               show help\n"
	       "   --version, -v            print the version\n");
}

static const struct cli_command global_cmd = { .name = "", .usage = "[global options] command", .summary = "" };

int main(int argc, char **argv)
{
	/* parsing rewrites argv in place: keep the original for the re-exec from a sealed copy */
	_cleanup_strv_free_ char **orig_argv = berth_strv_copy(argv);
	struct cli_global g = { .root = "/run/berth-runtime", .argv0 = orig_argv };
	struct cli_option opts[] = {
		{ "root", 0, CLI_STRING, "" },		 { "log", 0, CLI_STRING, "" },
		{ "log-format", 0, CLI_STRING, "" },	 { "debug", 0, CLI_FLAG, "" },
		{ "systemd-cgroup", 0, CLI_FLAG, "" },	 { "rootless", 0, CLI_STRING, "" },
		{ "version", 'v', CLI_FLAG, "" },	 { "criu", 0, CLI_STRING, "" },
		{ NULL },
	};
	int i, n;

	/* global options end at the command name */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		if (strcmp(a, "help") == 0 || strcmp(a, "h") == 0) {
			print_usage();
			return 0;
		}
		/* options with a separate value consume the next word */
		if (!strchr(a, '=') && (strcmp(a, "root") == 0 || strcmp(a, "log") == 0 || strcmp(a, "log-format") == 0 ||
					strcmp(a, "rootless") == 0 || strcmp(a, "criu") == 0))
			i++;
	}
	n = i - 1;
	if (n > 0) {
		int r = cli_parse(&global_cmd, opts, &n, argv + 1, false);
		if (r != 0)
			return r < 0 ? 1 : 0;
		if (n > 0) {
			fprintf(stderr, "berth-runtime: unexpected argument `%s`\n", argv[1]);
			return 1;
		}
	}
	if (cli_opt(opts, "version")->set) {
		print_version();
		return 0;
	}
	if (cli_opt(opts, "root")->value)
		g.root = cli_opt(opts, "root")->value;
	g.log_path = cli_opt(opts, "log")->value;
	g.debug = cli_opt(opts, "debug")->set;
	g.systemd_cgroup = cli_opt(opts, "systemd-cgroup")->set;
	if (cli_opt(opts, "log-format")->value) {
		const char *f = cli_opt(opts, "log-format")->value;
		if (strcmp(f, "json") == 0)
			g.log_json = true;
		else if (strcmp(f, "text") != 0)
			return cli_failf(&g, "unknown log-format `%s`", f);
	}

	if (i >= argc) {
		print_usage();
		return 0;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (strcmp(argv[i], commands[c]->name) == 0)
			return commands[c]->run(&g, argc - i - 1, argv + i + 1);
	}
	if (strcmp(argv[i], "help") == 0) {
		print_usage();
		return 0;
	}
	return cli_failf(&g, "no such command `%s`", argv[i]);
}
