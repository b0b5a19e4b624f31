/* berth version. */
#include <stdio.h>

#include <archive.h>
#include <jansson.h>
#include <sqlite3.h>

#include "cli.h"

#include "berth-config.h"

static int version_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "format", 'f', CLI_STRING, "Format the output using the given Go template" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	json_t *v;
	int r;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 0)))
		return r;
	v = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Version", BERTH_VERSION, "OciVersion", BERTH_OCI_VERSION,
		      "Libarchive", archive_version_details(), "Sqlite", sqlite3_libversion(), "Jansson", JANSSON_VERSION);
	if (cli_value(opts, "format")) {
		json_t *rows = json_pack("[O]", v);
		r = cli_print_rows(rows, cli_value(opts, "format"), NULL, NULL, stdout);
		json_decref(rows);
	} else {
		printf("Version:     %s\nOCI spec:    %s\nlibarchive:  %s\nSQLite:      %s\njansson:     %s\n",
		       BERTH_VERSION, BERTH_OCI_VERSION, archive_version_string(), sqlite3_libversion(), JANSSON_VERSION);
	}
	json_decref(v);
	return r;
}

const struct cli_command cmd_version = {
	.name = "version",
	.usage = "[OPTIONS]",
	.summary = "Show the berth version information",
	.run = version_run,
};
