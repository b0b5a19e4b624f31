/* berth inspect / berth image inspect: docker's image inspect JSON, or a --format template per image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "image/image.h"
#include "util/cleanup.h"

static int inspect_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "format", 'f', CLI_STRING, "Format output using a custom template: 'json' or a Go template" },
		{ "type", 0, CLI_STRING, "Return JSON for specified type (only \"image\" for now)" },
		{ "size", 's', CLI_FLAG, "Display total file sizes" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
	const char *format, *type;
	json_t *all = NULL;
	struct berth_store *s;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	type = cli_value(opts, "type");
	if (type && strcmp(type, "image") != 0)
		return cli_failf(CLI_EXIT_ENGINE, "\"%s\" is not a valid value for --type", type);
	format = cli_value(opts, "format");
	if (format && strcmp(format, "json") != 0) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		if (cli_template_parse(format, &t, &err) < 0) {
			cli_fail(&err);
			return CLI_EXIT_ENGINE;
		}
	}
	s = cli_store(g, &status);
	if (!s)
		return status;

	all = json_array();
	for (int i = 0; i < argc; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		struct berth_image img = { 0 };
		json_t *obj = NULL;

		r = berth_image_resolve(s, argv[i], &img, &err);
		if (r >= 0) {
			r = berth_image_inspect(s, &img, &obj, &err);
			berth_image_release(&img);
		}
		if (r < 0) {
			/* docker prints what it found, then the errors */
			status = cli_fail(&err);
			continue;
		}
		if (t) {
			_cleanup_free_ char *line = NULL;
			if (cli_template_render(t, obj, &line, &err) < 0) {
				json_decref(obj);
				json_decref(all);
				cli_fail(&err);
				return CLI_EXIT_ENGINE;
			}
			printf("%s\n", line);
			json_decref(obj);
		} else {
			json_array_append_new(all, obj);
		}
	}
	if (!t) {
		_cleanup_free_ char *out = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		printf("%s\n", out ? out : "[]");
	}
	json_decref(all);
	return status;
}

#define INSPECT_USAGE "[OPTIONS] IMAGE [IMAGE...]"

const struct cli_command cmd_inspect = {
	.name = "inspect",
	.usage = "[OPTIONS] NAME|ID [NAME|ID...]",
	.summary = "Return low-level information on berth objects (images for now)",
	.run = inspect_run,
};

const struct cli_command cmd_image_inspect = {
	.name = "inspect",
	.usage = INSPECT_USAGE,
	.summary = "Display detailed information on one or more images",
	.run = inspect_run,
};
