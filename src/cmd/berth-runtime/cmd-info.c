/* `spec` and `features`: the verbs that describe rather than run. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "oci/features.h"
#include "oci/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int run_spec(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "bundle", 'b', CLI_STRING, "path to the root of the bundle directory" },
		{ "rootless", 0, CLI_FLAG, "generate a configuration for a rootless container" },
		{ NULL },
	};
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *text = NULL, *path = NULL;
	const char *bundle;
	json_t *spec;
	struct stat st;
	int r = cli_parse(&cmd_spec, opts, &argc, argv, false);

	if (r != 0)
		return r < 0 ? 1 : 0;
	r = cli_expect_args(g, &cmd_spec, argc, 0, 0);
	if (r)
		return r;
	bundle = cli_opt(opts, "bundle")->value ? cli_opt(opts, "bundle")->value : ".";
	path = berth_xasprintf("%s/config.json", bundle);
	if (stat(path, &st) == 0)
		return cli_failf(g, "file `%s` exists, remove it first", path);
	spec = berth_oci_spec_default(cli_opt(opts, "rootless")->set);
	text = berth_oci_spec_dumps(spec);
	json_decref(spec);
	if (berth_write_file_atomic(AT_FDCWD, path, text, strlen(text), 0666 & ~0022, &err) < 0)
		return cli_fail(g, &err);
	return 0;
}

static int run_features(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = { { NULL } };
	json_t *f;
	char *text;
	int r = cli_parse(&cmd_features, opts, &argc, argv, false);

	if (r != 0)
		return r < 0 ? 1 : 0;
	r = cli_expect_args(g, &cmd_features, argc, 0, 0);
	if (r)
		return r;
	f = berth_oci_features();
	text = json_dumps(f, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(f);
	return 0;
}

const struct cli_command cmd_spec = {
	.name = "spec",
	.usage = "spec [command options]",
	.summary = "create a new specification file",
	.run = run_spec,
};

const struct cli_command cmd_features = {
	.name = "features",
	.usage = "features",
	.summary = "show the enabled features",
	.run = run_features,
};
