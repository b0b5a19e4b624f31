/* berth volume: create, ls, rm, inspect, prune (docker's "local" driver). */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/volume.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* docker's CLI exits 1 for what the daemon refused about a volume (missing, in use) */
static int volume_fail(const struct berth_error *err)
{
	int r = cli_fail(err);

	return err->code == ENOENT || err->code == EBUSY ? CLI_EXIT_FAILURE : r;
}

static int create_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "driver", 'd', CLI_STRING, "Specify volume driver name (only \"local\")" },
		{ "label", 0, CLI_LIST, "Set metadata for a volume", "list" },
		{ "name", 0, CLI_STRING, "Specify volume name" },
		{ "opt", 'o', CLI_LIST, "Set driver specific options (none for \"local\" in berth)", "map" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_volume v = { 0 };
	const char *name, *driver;
	struct berth_engine *e;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 1)))
		return r;
	name = cli_value(opts, "name");
	if (argc == 1 && name && strcmp(name, argv[0]) != 0)
		return cli_usage_error(cmd, "conflicting options: either specify --name or provide positional arg, not both");
	if (argc == 1)
		name = argv[0];
	driver = cli_value(opts, "driver");
	if (driver && strcmp(driver, "local") != 0)
		return cli_failf(CLI_EXIT_ENGINE, "create %s: plugin \"%s\" not found", name ? name : "", driver);
	if (cli_opt(opts, "opt")->values)
		return cli_failf(CLI_EXIT_ENGINE, "create %s: the local driver of berth takes no options (-o)",
				 name ? name : "");
	if (!(e = cli_engine(g, &status)))
		return status;
	if (berth_volume_create(e, name, cli_opt(opts, "label")->values, &v, &err) < 0)
		return volume_fail(&err);
	printf("%s\n", v.name);
	berth_volume_release(&v);
	return CLI_EXIT_OK;
}

struct filters {
	char **names;   /* regular expressions, any may match */
	char **labels;  /* "k" or "k=v", all must match */
	int dangling;   /* -1 any */
	char **drivers;
};

static void filters_release(struct filters *f)
{
	berth_strv_free(f->names);
	berth_strv_free(f->labels);
	berth_strv_free(f->drivers);
}

static int parse_filters(const struct cli_command *cmd, char **specs, bool prune, struct filters *f)
{
	for (char **s = specs; s && *s; s++) {
		const char *eq = strchr(*s, '=');
		size_t klen = eq ? (size_t)(eq - *s) : 0;
		if (!eq)
			return cli_usage_error(cmd, "bad format of filter (expected name=value)");
		if (!prune && klen == 4 && strncmp(*s, "name", 4) == 0) {
			berth_strv_push(&f->names, eq + 1);
		} else if (klen == 5 && strncmp(*s, "label", 5) == 0) {
			berth_strv_push(&f->labels, eq + 1);
		} else if (!prune && klen == 6 && strncmp(*s, "driver", 6) == 0) {
			berth_strv_push(&f->drivers, eq + 1);
		} else if (!prune && klen == 8 && strncmp(*s, "dangling", 8) == 0) {
			if (strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "1") == 0)
				f->dangling = 1;
			else if (strcmp(eq + 1, "false") == 0 || strcmp(eq + 1, "0") == 0)
				f->dangling = 0;
			else
				return cli_failf(CLI_EXIT_ENGINE, "invalid filter 'dangling=%s'", eq + 1);
		} else {
			return cli_failf(CLI_EXIT_ENGINE, "invalid filter '%.*s'", (int)klen, *s);
		}
	}
	return 0;
}

/* docker matches names as regular expressions (a plain word: a substring) */
static bool match_name(char **patterns, const char *name)
{
	bool any = false;

	for (char **p = patterns; p && *p && !any; p++) {
		regex_t re;
		if (regcomp(&re, *p, REG_EXTENDED | REG_NOSUB) != 0) {
			any = strstr(name, *p) != NULL;
			continue;
		}
		any = regexec(&re, name, 0, NULL, 0) == 0;
		regfree(&re);
	}
	return any || !patterns;
}

static bool has_label(const struct berth_volume *v, const char *want)
{
	size_t klen = strcspn(want, "=");

	for (char **l = v->labels; l && *l; l++) {
		if (strncmp(*l, want, klen) != 0 || (*l)[klen] != '=')
			continue;
		if (!want[klen] || strcmp(*l + klen + 1, want + klen + 1) == 0)
			return true;
	}
	return false;
}

static bool match(const struct filters *f, const struct berth_volume *v)
{
	if (!match_name(f->names, v->name))
		return false;
	if (f->drivers && !berth_strv_contains(f->drivers, v->driver))
		return false;
	for (char **l = f->labels; l && *l; l++)
		if (!has_label(v, *l))
			return false;
	if (f->dangling == 1 && v->users)
		return false;
	if (f->dangling == 0 && !v->users)
		return false;
	return true;
}

static const char *const headers[] = {
	"Driver", "DRIVER", "Name", "VOLUME NAME", "Scope", "SCOPE", "Mountpoint", "MOUNTPOINT", "Labels", "LABELS",
	"Links", "LINKS", "Size", "SIZE", "CreatedAt", "CREATED AT", NULL,
};

static json_t *make_row(const struct berth_volume *v)
{
	_cleanup_free_ char *labels = berth_xstrdup("");
	char links[16], at[64];

	for (char **l = v->labels; l && *l; l++) {
		char *next = berth_xasprintf("%s%s%s", labels, l == v->labels ? "" : ",", *l);
		free(labels);
		labels = next;
	}
	snprintf(links, sizeof(links), "%zu", berth_strv_length(v->users));
	cli_time_string(v->created, at, sizeof(at));
	return json_pack("{ss ss ss ss ss ss ss ss}", "CreatedAt", at, "Driver", v->driver, "Labels", labels, "Links",
			 links, "Mountpoint", v->mountpoint, "Name", v->name, "Scope", "local", "Size", "N/A");
}

static int ls_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "filter", 'f', CLI_LIST, "Provide filter values (e.g. \"dangling=true\")", "filter" },
		{ "format", 0, CLI_STRING, "Format output using a custom template: 'table', 'json' or a Go template" },
		{ "quiet", 'q', CLI_FLAG, "Only display volume names" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(filters_release) struct filters f = { .dangling = -1 };
	struct berth_volume *v = NULL;
	struct berth_engine *e;
	json_t *rows;
	size_t n = 0;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 0)) || (r = parse_filters(cmd, cli_opt(opts, "filter")->values, false, &f)))
		return r;
	if (!(e = cli_engine(g, &status)))
		return status;
	if (berth_volume_list(e, &v, &n, &err) < 0)
		return cli_fail(&err);
	rows = json_array();
	for (size_t i = 0; i < n; i++) {
		if (!match(&f, &v[i]))
			continue;
		if (cli_flag(opts, "quiet"))
			printf("%s\n", v[i].name);
		else
			json_array_append_new(rows, make_row(&v[i]));
	}
	if (!cli_flag(opts, "quiet"))
		status = cli_print_rows(rows, cli_value(opts, "format"), "table {{.Driver}}\t{{.Name}}", headers, stdout);
	json_decref(rows);
	berth_volume_array_free(v, n);
	return status;
}

static int rm_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "force", 'f', CLI_FLAG, "Force the removal of one or more volumes (no error when missing)" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	struct berth_engine *e;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	if (!(e = cli_engine(g, &status)))
		return status;
	for (int i = 0; i < argc; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		r = berth_volume_remove(e, argv[i], &err);
		if (r < 0 && !(r == -ENOENT && cli_flag(opts, "force"))) {
			status = volume_fail(&err);
			continue;
		}
		printf("%s\n", argv[i]);
		fflush(stdout);
	}
	return status;
}

static int inspect_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "format", 'f', CLI_STRING, "Format output using a custom template: 'json' or a Go template" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
	_cleanup_free_ char *out = NULL;
	const char *format;
	struct berth_engine *e;
	json_t *all;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, -1)))
		return r;
	format = cli_value(opts, "format");
	if (format && strcmp(format, "json") != 0) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		if (cli_template_parse(format, &t, &err) < 0)
			return (cli_fail(&err), CLI_EXIT_ENGINE);
	}
	if (!(e = cli_engine(g, &status)))
		return status;
	all = json_array();
	for (int i = 0; i < argc; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		struct berth_volume v = { 0 };
		json_t *obj;
		if (berth_volume_get(e, argv[i], &v, &err) < 0) {
			status = volume_fail(&err);
			continue;
		}
		obj = berth_volume_inspect_json(&v);
		berth_volume_release(&v);
		if (t) {
			_cleanup_free_ char *line = NULL;
			r = cli_template_render(t, obj, &line, &err);
			json_decref(obj);
			if (r < 0) {
				json_decref(all);
				return (cli_fail(&err), CLI_EXIT_ENGINE);
			}
			printf("%s\n", line);
		} else {
			json_array_append_new(all, obj);
		}
	}
	if (!t) {
		out = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		printf("%s\n", out ? out : "[]");
	}
	json_decref(all);
	return status;
}

static bool confirm(bool all)
{
	char line[16];

	printf("WARNING! This will remove %s local volumes not used by at least one container.\n"
	       "Are you sure you want to continue? [y/N] ",
	       all ? "all" : "anonymous");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static int prune_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "all", 'a', CLI_FLAG, "Remove all unused volumes, not just anonymous ones" },
		{ "filter", 0, CLI_LIST, "Provide filter values (e.g. \"label=<label>\")", "filter" },
		{ "force", 'f', CLI_FLAG, "Do not prompt for confirmation" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(filters_release) struct filters f = { .dangling = -1 };
	_cleanup_strv_free_ char **deleted = NULL;
	struct berth_engine *e;
	uint64_t reclaimed = 0;
	char size[32];
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 0)) || (r = parse_filters(cmd, cli_opt(opts, "filter")->values, true, &f)))
		return r;
	if (!cli_flag(opts, "force") && !confirm(cli_flag(opts, "all")))
		return CLI_EXIT_OK;
	if (!(e = cli_engine(g, &status)))
		return status;
	if (f.labels) {
		/* label filters: prune volume by volume */
		struct berth_volume *v = NULL;
		size_t n = 0;
		if (berth_volume_list(e, &v, &n, &err) < 0)
			return cli_fail(&err);
		for (size_t i = 0; i < n; i++) {
			_cleanup_error_ struct berth_error one = BERTH_ERROR_INIT;
			int64_t sz;
			if (v[i].users || (!cli_flag(opts, "all") && !v[i].anonymous) || !match(&f, &v[i]))
				continue;
			sz = berth_volume_size(&v[i]);
			if (berth_volume_remove(e, v[i].name, &one) == 0) {
				berth_strv_push(&deleted, v[i].name);
				reclaimed += sz > 0 ? (uint64_t)sz : 0;
			}
		}
		berth_volume_array_free(v, n);
	} else if (berth_volume_prune(e, cli_flag(opts, "all"), &deleted, &reclaimed, &err) < 0) {
		return cli_fail(&err);
	}
	if (deleted && deleted[0]) {
		printf("Deleted Volumes:\n");
		for (char **d = deleted; *d; d++)
			printf("%s\n", *d);
		printf("\n");
	}
	cli_human_size((int64_t)reclaimed, size, sizeof(size));
	printf("Total reclaimed space: %s\n", size);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_volume_create = {
	.name = "create",
	.usage = "[OPTIONS] [VOLUME]",
	.summary = "Create a volume",
	.run = create_run,
};

const struct cli_command cmd_volume_ls = {
	.name = "ls",
	.aliases = "list",
	.usage = "[OPTIONS]",
	.summary = "List volumes",
	.run = ls_run,
};

const struct cli_command cmd_volume_rm = {
	.name = "rm",
	.aliases = "remove",
	.usage = "[OPTIONS] VOLUME [VOLUME...]",
	.summary = "Remove one or more volumes",
	.run = rm_run,
};

const struct cli_command cmd_volume_inspect = {
	.name = "inspect",
	.usage = "[OPTIONS] VOLUME [VOLUME...]",
	.summary = "Display detailed information on one or more volumes",
	.run = inspect_run,
};

const struct cli_command cmd_volume_prune = {
	.name = "prune",
	.usage = "[OPTIONS]",
	.summary = "Remove unused local volumes",
	.run = prune_run,
};

static const struct cli_command *const volume_commands[] = {
	&cmd_volume_create, &cmd_volume_inspect, &cmd_volume_ls, &cmd_volume_prune, &cmd_volume_rm, NULL,
};

const struct cli_command cmd_volume = {
	.name = "volume",
	.usage = "COMMAND",
	.summary = "Manage volumes",
	.run = cli_run_group,
	.subcommands = volume_commands,
};
