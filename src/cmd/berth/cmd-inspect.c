/*
 * berth inspect: docker's JSON for containers and images (a container
 * first, then an image, unless --type says which), or a --format template
 * per object.  berth image inspect and berth container inspect are the
 * typed forms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/container-info.h"
#include "image/image.h"
#include "util/cleanup.h"

enum kind {
	KIND_ANY,
	KIND_CONTAINER,
	KIND_IMAGE,
};

static int inspect_container(struct berth_engine *e, const char *ref, bool size, json_t **ret, struct berth_error *err)
{
	struct berth_ctr c = { 0 };
	int r;

	if ((r = berth_ctr_get(e, ref, &c, err)) < 0)
		return r;
	r = berth_ctr_inspect(e, &c, ret, err);
	if (r == 0 && size) {
		int64_t rw = 0, rootfs = 0;
		if (berth_ctr_size(e, &c, &rw, &rootfs, err) == 0) {
			json_object_set_new(*ret, "SizeRw", json_integer(rw));
			json_object_set_new(*ret, "SizeRootFs", json_integer(rootfs));
		} else {
			berth_error_release(err);
		}
	}
	berth_ctr_release(&c);
	return r;
}

static int inspect_image(struct berth_store *s, const char *ref, json_t **ret, struct berth_error *err)
{
	struct berth_image img = { 0 };
	int r;

	if ((r = berth_image_resolve(s, ref, &img, err)) < 0)
		return r;
	r = berth_image_inspect(s, &img, ret, err);
	berth_image_release(&img);
	return r;
}

/*
 * One object: a container, else an image; docker's "No such object" when
 * neither.  1 when the store could not be opened (reported already).
 */
static int inspect_one(struct cli_global *g, enum kind kind, const char *ref, bool size, json_t **ret,
		       struct berth_error *err)
{
	struct berth_engine *e;
	int r, status = 0;

	if (kind != KIND_IMAGE) {
		e = cli_engine(g, &status);
		if (!e)
			return 1;
		r = inspect_container(e, ref, size, ret, err);
		if (r != -ENOENT || kind == KIND_CONTAINER)
			return r;
		berth_error_release(err);
		r = inspect_image(e->store, ref, ret, err);
		if (r == -ENOENT)
			r = berth_error_setx(err, ENOENT, "No such object: %s", ref);
		return r;
	}
	{
		struct berth_store *s = cli_store(g, &status);
		if (!s)
			return 1;
		return inspect_image(s, ref, ret, err);
	}
}

static int run_inspect(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv, enum kind kind)
{
	struct cli_option opts[] = {
		{ "format", 'f', CLI_STRING, "Format output using a custom template: 'json' or a Go template" },
		{ "size", 's', CLI_FLAG, "Display total file sizes if the type is container" },
		{ "type", 0, CLI_STRING, "Return JSON for specified type (\"container\" or \"image\")" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
	const char *format, *type;
	json_t *all = NULL;
	int r, status = 0;

	/* the typed forms have no --type */
	if (kind != KIND_ANY)
		opts[2] = (struct cli_option){ NULL };
	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	type = kind == KIND_ANY ? cli_value(opts, "type") : NULL;
	if (type && strcmp(type, "container") == 0)
		kind = KIND_CONTAINER;
	else if (type && strcmp(type, "image") == 0)
		kind = KIND_IMAGE;
	else if (type && *type)
		return cli_failf(CLI_EXIT_ENGINE, "\"%s\" is not a valid value for --type", type);
	format = cli_value(opts, "format");
	if (format && *format && strcmp(format, "json") != 0) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		if (cli_template_parse(format, &t, &err) < 0) {
			cli_fail(&err);
			return CLI_EXIT_ENGINE;
		}
	}

	all = json_array();
	for (int i = 0; i < argc; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		json_t *obj = NULL;

		r = inspect_one(g, kind, argv[i], cli_flag(opts, "size"), &obj, &err);
		if (r > 0) {
			json_decref(all);
			return CLI_EXIT_ENGINE;
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

static int inspect_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	return run_inspect(g, cmd, argc, argv, KIND_ANY);
}

static int image_inspect_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	return run_inspect(g, cmd, argc, argv, KIND_IMAGE);
}

static int container_inspect_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	return run_inspect(g, cmd, argc, argv, KIND_CONTAINER);
}

const struct cli_command cmd_inspect = {
	.name = "inspect",
	.usage = "[OPTIONS] NAME|ID [NAME|ID...]",
	.summary = "Return low-level information on berth objects",
	.run = inspect_run,
};

const struct cli_command cmd_image_inspect = {
	.name = "inspect",
	.usage = "[OPTIONS] IMAGE [IMAGE...]",
	.summary = "Display detailed information on one or more images",
	.run = image_inspect_run,
};

const struct cli_command cmd_container_inspect = {
	.name = "inspect",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Display detailed information on one or more containers",
	.run = container_inspect_run,
};
