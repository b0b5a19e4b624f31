/* berth history / berth image history: the layers and steps of an image, newest first. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const char *const headers[] = {
	"ID", "IMAGE", "CreatedSince", "CREATED", "CreatedAt", "CREATED AT", "CreatedBy", "CREATED BY",
	"Size", "SIZE", "Comment", "COMMENT", NULL,
};

static json_t *history_row(json_t *entry, bool human, bool no_trunc)
{
	const char *id = json_string_value(json_object_get(entry, "Id"));
	const char *by = json_string_value(json_object_get(entry, "CreatedBy"));
	const char *comment = json_string_value(json_object_get(entry, "Comment"));
	json_int_t created = json_integer_value(json_object_get(entry, "Created"));
	json_int_t size = json_integer_value(json_object_get(entry, "Size"));
	_cleanup_free_ char *shown_id = NULL, *by_flat = NULL, *shown_by = NULL;
	char since[64], at[64], size_s[32];

	shown_id = id && strcmp(id, "<missing>") != 0 ? cli_image_id(id, no_trunc) : berth_xstrdup("<missing>");
	by_flat = berth_xstrdup(by ? by : "");
	for (char *p = by_flat; *p; p++)
		if (*p == '\t')
			*p = ' ';
	shown_by = no_trunc ? berth_xstrdup(by_flat) : cli_ellipsis(by_flat, 45);
	cli_time_rfc3339(created, at, sizeof(at));
	if (human && created > 0)
		cli_human_since(created, since, sizeof(since));
	else if (human)
		snprintf(since, sizeof(since), "N/A");
	else
		snprintf(since, sizeof(since), "%s", at);
	if (human)
		cli_human_size(size, size_s, sizeof(size_s));
	else
		snprintf(size_s, sizeof(size_s), "%" JSON_INTEGER_FORMAT, size);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Comment", comment ? comment : "", "CreatedAt", at,
			 "CreatedBy", shown_by, "CreatedSince", since, "ID", shown_id, "Size", size_s);
}

static int history_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "format", 0, CLI_STRING, "Format output using a custom template: 'table', 'json' or a Go template" },
		{ "human", 'H', CLI_FLAG, "Print sizes and dates in human readable format (default true)" },
		{ "no-trunc", 0, CLI_FLAG, "Don't truncate output" },
		{ "quiet", 'q', CLI_FLAG, "Only show image IDs" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image img = { 0 };
	json_t *hist = NULL, *rows = NULL, *e;
	struct berth_store *s;
	bool human;
	int r, status = 0;
	size_t i;

	opts[1].set = true; /* --human defaults to true; --human=false turns it off */
	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, 1)))
		return r;
	human = cli_flag(opts, "human");
	s = cli_store(g, &status);
	if (!s)
		return status;
	if (berth_image_resolve(s, argv[0], &img, &err) < 0)
		return cli_fail(&err);
	r = berth_image_history(s, &img, &hist, &err);
	berth_image_release(&img);
	if (r < 0)
		return cli_fail(&err);
	rows = json_array();
	json_array_foreach(hist, i, e)
		json_array_append_new(rows, history_row(e, human, cli_flag(opts, "no-trunc")));
	if (cli_flag(opts, "quiet"))
		status = cli_print_rows(rows, "{{.ID}}", NULL, headers, stdout);
	else
		status = cli_print_rows(rows, cli_value(opts, "format"),
					"table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", headers,
					stdout);
	json_decref(rows);
	json_decref(hist);
	return status;
}

const struct cli_command cmd_history = {
	.name = "history",
	.usage = "[OPTIONS] IMAGE",
	.summary = "Show the history of an image",
	.run = history_run,
};

const struct cli_command cmd_image_history = {
	.name = "history",
	.usage = "[OPTIONS] IMAGE",
	.summary = "Show the history of an image",
	.run = history_run,
};
