/*
 * berth pull: an image from a registry.  Also the registry options that
 * pull, push and login share (cli_registry_options).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "registry/registry.h"
#include "util/cleanup.h"

/* Whether --name (or --name=…) is on the command line, before any "--". */
static bool arg_given(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i] + 2, name, n) == 0 &&
		    (argv[i][2 + n] == '\0' || argv[i][2 + n] == '='))
			return true;
	}
	return false;
}

int cli_registry_options(struct cli_option *opts, bool tls_given, struct berth_registry_options *ret)
{
	char *creds = NULL;

	for (struct cli_option *o = opts; o->name; o++)
		if (strcmp(o->name, "creds") == 0)
			creds = (char *)o->value;
	*ret = (struct berth_registry_options)BERTH_REGISTRY_OPTIONS_INIT;
	/* not given: verify unless the registry is listed insecure; given: as told */
	if (tls_given)
		ret->tls_verify = cli_flag(opts, "tls-verify") ? 1 : 0;
	ret->cert_dir = cli_value(opts, "cert-dir");
	ret->auth_file = cli_value(opts, "authfile");
	if (creds) {
		/* the value is argv's own string: split it in place */
		char *colon = strchr(creds, ':');

		if (!colon || colon == creds)
			return cli_failf(CLI_EXIT_ENGINE, "--creds: want USERNAME:PASSWORD");
		*colon = '\0';
		ret->username = creds;
		ret->password = colon + 1;
	}
	return 0;
}

bool cli_registry_tls_given(int argc, char **argv)
{
	return arg_given(argc, argv, "tls-verify");
}

static bool has_tag(const char *ref)
{
	const char *slash = strrchr(ref, '/');

	return strchr(ref, '@') || strchr(slash ? slash : ref, ':');
}

static int pull_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "platform", 0, CLI_STRING, "Set platform if server is multi-platform capable (os/arch[/variant])" },
		{ "quiet", 'q', CLI_FLAG, "Suppress verbose output: print only the image id" },
		CLI_REGISTRY_OPTIONS,
		{ "creds", 0, CLI_STRING, "Use these credentials (USERNAME:PASSWORD) instead of stored ones" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_progress_freep) struct berth_progress *progress = NULL;
	struct berth_registry_options ro;
	struct berth_pull_result res = { 0 };
	bool tls_given = cli_registry_tls_given(argc, argv), quiet;
	struct berth_store *s;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, 1)))
		return r;
	if ((r = cli_registry_options(opts, tls_given, &ro)))
		return r;
	quiet = cli_flag(opts, "quiet");
	s = cli_store(g, &status);
	if (!s)
		return status;
	progress = berth_progress_new(stdout, quiet ? BERTH_PROGRESS_QUIET : BERTH_PROGRESS_AUTO);
	ro.progress = progress;
	if (!has_tag(argv[0]))
		berth_progress_message(progress, "Using default tag: latest");
	r = berth_registry_pull(s, argv[0], cli_value(opts, "platform"), &ro, &res, &err);
	if (r < 0) {
		fflush(stdout);
		cli_fail(&err);
		/* docker's pull fails with status 1, whatever went wrong */
		return CLI_EXIT_FAILURE;
	}
	if (quiet)
		printf("%s\n", res.id);
	else
		printf("%s\n", res.name ? res.name : res.repo_digest);
	berth_pull_result_release(&res);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_pull = {
	.name = "pull",
	.usage = "[OPTIONS] NAME[:TAG|@DIGEST]",
	.summary = "Download an image from a registry",
	.run = pull_run,
};

const struct cli_command cmd_image_pull = {
	.name = "pull",
	.usage = "[OPTIONS] NAME[:TAG|@DIGEST]",
	.summary = "Download an image from a registry",
	.run = pull_run,
};
