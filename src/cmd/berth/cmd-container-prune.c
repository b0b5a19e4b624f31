/* berth container prune: remove stopped containers (docker's until= and label filters). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/container-info.h"
#include "engine/logs.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static bool confirm(void)
{
	char line[16];

	printf("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

/* docker's units.HumanSize: 4 significant digits, powers of 1000. */
static void human_size4(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)size;
	size_t i = 0;

	while (v >= 1000.0 && i < ARRAY_SIZE(units) - 1) {
		v /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.4g%s", v, units[i]);
}

static int parse_filters(char **args, struct berth_prune_filters *f)
{
	for (char **a = args; a && *a; a++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		const char *eq = strchr(*a, '=');
		size_t klen = eq ? (size_t)(eq - *a) : 0;

		if (!eq)
			return cli_failf(CLI_EXIT_ENGINE, "bad format of filter (expected name=value)");
		if (klen == 5 && strncmp(*a, "until", 5) == 0) {
			if (berth_parse_since(eq + 1, berth_now_ns(), &f->until, &err) < 0)
				return cli_fail(&err);
		} else if (klen == 5 && strncmp(*a, "label", 5) == 0) {
			berth_strv_push(&f->labels, eq + 1);
		} else if (klen == 6 && strncmp(*a, "label!", 6) == 0) {
			berth_strv_push(&f->not_labels, eq + 1);
		} else {
			return cli_failf(CLI_EXIT_ENGINE, "invalid filter '%.*s'", (int)klen, *a);
		}
	}
	return 0;
}

static int container_prune_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "filter", 0, CLI_LIST, "Provide filter values (e.g. \"until=<timestamp>\")", "filter" },
		{ "force", 'f', CLI_FLAG, "Do not prompt for confirmation" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_strv_free_ char **deleted = NULL;
	struct berth_prune_filters f = { 0 };
	uint64_t reclaimed = 0;
	struct berth_engine *e;
	char size[32];
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 0)))
		return r;
	if ((r = parse_filters(cli_opt(opts, "filter")->values, &f)))
		goto out;
	if (!cli_flag(opts, "force") && !confirm())
		goto out;
	e = cli_engine(g, &status);
	if (!e) {
		r = status;
		goto out;
	}
	if (berth_ctr_prune(e, &f, &deleted, &reclaimed, &err) < 0) {
		r = cli_fail(&err);
		goto out;
	}
	if (deleted && deleted[0]) {
		printf("Deleted Containers:\n");
		for (char **d = deleted; *d; d++)
			printf("%s\n", *d);
		printf("\n");
	}
	human_size4(reclaimed, size, sizeof(size));
	printf("Total reclaimed space: %s\n", size);
out:
	berth_strv_free(f.labels);
	berth_strv_free(f.not_labels);
	return r;
}

const struct cli_command cmd_container_prune = {
	.name = "prune",
	.usage = "[OPTIONS]",
	.summary = "Remove all stopped containers",
	.run = container_prune_run,
};
