/* berth ps / berth container ls: docker's container list, its filters and formats. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/container-info.h"
#include "engine/container-network.h"
#include "image/image.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static const char *const headers[] = {
	"ID",	    "CONTAINER ID", "Image",  "IMAGE",	"Command",	"COMMAND",  "CreatedAt",    "CREATED AT",
	"RunningFor", "CREATED",      "Ports",  "PORTS",	"State",	"STATE",    "Status",	    "STATUS",
	"Size",	    "SIZE",	    "Names",  "NAMES",	"Labels",	"LABELS",   "Mounts",	    "MOUNTS",
	"Networks", "NETWORKS",	    "LocalVolumes", "LOCAL VOLUMES", NULL,
};

#define DEFAULT_FORMAT "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

/* docker's filter keys for ps; the ones berth has nothing for (ports, health, swarm) match as docker's would here. */
static const char *const filter_keys[] = {
	"id",	 "name",    "label",   "status", "ancestor", "exited", "before", "since",    "volume",
	"network", "publish", "expose",	"health", "isolation", "is-task", NULL,
};

struct ps_filters {
	char **values[16]; /* per key of filter_keys */
	struct berth_ctr before, since;
	bool has_before, has_since;
	char **ancestor_ids;
};

static void ps_filters_release(struct ps_filters *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(f->values); i++)
		berth_strv_free(f->values[i]);
	if (f->has_before)
		berth_ctr_release(&f->before);
	if (f->has_since)
		berth_ctr_release(&f->since);
	berth_strv_free(f->ancestor_ids);
}

static char **fvalues(struct ps_filters *f, const char *key)
{
	for (size_t i = 0; filter_keys[i]; i++)
		if (strcmp(filter_keys[i], key) == 0)
			return f->values[i];
	return NULL;
}

/* docker's filters.Match: any value, as a regular expression, found in s; no values = match. */
static bool match_regex(char **values, const char *s, const char *alt)
{
	if (!values)
		return true;
	for (char **v = values; *v; v++) {
		regex_t re;
		bool ok;
		if (strcmp(*v, s) == 0 || (alt && strcmp(*v, alt) == 0))
			return true;
		if (regcomp(&re, *v, REG_EXTENDED | REG_NOSUB) != 0)
			continue;
		ok = regexec(&re, s, 0, NULL, 0) == 0 || (alt && regexec(&re, alt, 0, NULL, 0) == 0);
		regfree(&re);
		if (ok)
			return true;
	}
	return false;
}

static bool match_exact(char **values, const char *s)
{
	return !values || berth_strv_contains(values, s);
}

static int parse_filters(struct cli_global *g, struct berth_engine *e, char **args, struct ps_filters *f)
{
	for (char **a = args; a && *a; a++) {
		const char *eq = strchr(*a, '=');
		_cleanup_free_ char *key = eq ? berth_xstrndup(*a, (size_t)(eq - *a)) : NULL;
		size_t k;

		if (!eq)
			return cli_failf(CLI_EXIT_ENGINE, "bad format of filter (expected name=value)");
		for (k = 0; filter_keys[k] && strcmp(filter_keys[k], key) != 0; k++)
			;
		if (!filter_keys[k])
			return cli_failf(CLI_EXIT_ENGINE, "invalid filter '%s'", key);
		berth_strv_push(&f->values[k], eq + 1);
	}
	for (char **v = fvalues(f, "status"); v && *v; v++)
		if (berth_ctr_state_from_string(*v) == _BERTH_CTR_STATE_INVALID && strcmp(*v, "dead") != 0 &&
		    strcmp(*v, "restarting") != 0)
			return cli_failf(CLI_EXIT_ENGINE, "invalid filter 'status=%s'", *v);
	for (char **v = fvalues(f, "exited"); v && *v; v++) {
		char *end;
		strtol(*v, &end, 10);
		if (!**v || *end)
			return cli_failf(CLI_EXIT_ENGINE, "invalid filter 'exited=%s'", *v);
	}
	for (int which = 0; which < 2; which++) {
		char **v = fvalues(f, which ? "since" : "before");
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		struct berth_ctr *c = which ? &f->since : &f->before;
		if (!v)
			continue;
		/* the last value wins, as with docker */
		if (berth_ctr_db_lookup(e->store->db, v[berth_strv_length(v) - 1], c, &err) < 0)
			return cli_fail(&err);
		*(which ? &f->has_since : &f->has_before) = true;
	}
	for (char **v = fvalues(f, "ancestor"); v && *v; v++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		struct berth_image img = { 0 };
		/* an ancestor that does not exist matches nothing (docker only logs it) */
		if (berth_image_resolve(e->store, *v, &img, &err) == 0) {
			berth_strv_push(&f->ancestor_ids, img.id);
			berth_image_release(&img);
		} else {
			cli_debugf(g, "ancestor %s: %s", *v, err.msg);
		}
	}
	return 0;
}

static bool is_up(const struct berth_ctr *c)
{
	return c->state == BERTH_CTR_RUNNING || c->state == BERTH_CTR_PAUSED;
}

static bool match_labels(const struct berth_ctr *c, char **values)
{
	return berth_ctr_labels_match(c, values, NULL);
}

static bool match_mounts(const struct berth_ctr *c, char **values)
{
	json_t *mounts = json_object_get(c->config, "Mounts"), *m;
	size_t i;

	if (!values)
		return true;
	json_array_foreach(mounts, i, m) {
		const char *keys[] = { "Name", "Source", "Destination" };
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			const char *s = json_string_value(json_object_get(m, keys[k]));
			if (s && *s && berth_strv_contains(values, s))
				return true;
		}
	}
	return false;
}

static const char *network_mode(const struct berth_ctr *c)
{
	const char *m = json_string_value(json_object_get(json_object_get(c->config, "HostConfig"), "NetworkMode"));

	return m ? m : "none";
}

enum action { INCLUDE, EXCLUDE, STOP };

/* docker's includeContainerInList, filter by filter, in its order. */
static enum action include(const struct berth_ctr *c, struct ps_filters *f, bool all, long limit, size_t idx)
{
	_cleanup_free_ char *slash_name = berth_xasprintf("/%s", c->name);
	char code[16];

	/* before: everything newer than that container, and itself, is left out */
	if (f->has_before) {
		if (strcmp(c->id, f->before.id) == 0) {
			berth_ctr_release(&f->before);
			f->has_before = false;
		}
		return EXCLUDE;
	}
	if (f->has_since && strcmp(c->id, f->since.id) == 0)
		return STOP;
	if (!is_up(c) && !all && limit <= 0)
		return EXCLUDE;
	if (!match_regex(fvalues(f, "name"), slash_name, c->name) || !match_regex(fvalues(f, "id"), c->id, NULL) ||
	    !match_labels(c, fvalues(f, "label")) || !match_exact(fvalues(f, "isolation"), "default") ||
	    !match_exact(fvalues(f, "is-task"), "false"))
		return EXCLUDE;
	if (limit > 0 && idx == (size_t)limit)
		return STOP;
	/* exited=N: containers that ran and exited with N */
	snprintf(code, sizeof(code), "%d", c->exit_code);
	if (fvalues(f, "exited") && (is_up(c) || c->started_at == 0 || !match_exact(fvalues(f, "exited"), code)))
		return EXCLUDE;
	/* no health checks: every container's health is docker's "none" */
	if (!match_exact(fvalues(f, "status"), berth_ctr_state_to_string(c->state)) ||
	    !match_exact(fvalues(f, "health"), "none") || !match_mounts(c, fvalues(f, "volume")))
		return EXCLUDE;
	if (fvalues(f, "ancestor") && !berth_strv_contains(f->ancestor_ids, c->image_id))
		return EXCLUDE;
	if (!match_exact(fvalues(f, "network"), network_mode(c)))
		return EXCLUDE;
	/* no published or exposed ports yet */
	if (fvalues(f, "publish") || fvalues(f, "expose"))
		return EXCLUDE;
	return INCLUDE;
}

/* Go's strconv.Quote, for the valid UTF-8 a command line is. */
static char *go_quote(const char *s)
{
	size_t len = strlen(s);
	char *out = berth_xmalloc(len * 4 + 3), *o = out;

	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		static const char esc[] = { ['\a'] = 'a', ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
					    ['\r'] = 'r', ['\t'] = 't', ['\v'] = 'v' };
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20 && esc[*p]) {
			*o++ = '\\';
			*o++ = esc[*p];
		} else if (*p < 0x20 || *p == 0x7f) {
			o += sprintf(o, "\\x%02x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

/* docker's Command: Path, then Args, single-quoting those with spaces. */
static char *command_line(struct berth_engine *e, const struct berth_ctr *c)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	json_t *info = NULL, *arg;
	char *cmd;
	size_t i;

	if (berth_ctr_inspect(e, c, &info, &err) < 0)
		return berth_xstrdup("");
	cmd = berth_xstrdup(json_string_value(json_object_get(info, "Path")) ?: "");
	json_array_foreach(json_object_get(info, "Args"), i, arg) {
		const char *a = json_string_value(arg);
		char *next = berth_xasprintf(strchr(a ? a : "", ' ') ? "%s '%s'" : "%s %s", cmd, a ? a : "");
		free(cmd);
		cmd = next;
	}
	json_decref(info);
	return cmd;
}

/* The image as the user named it, or its id once that name means another image (or none). */
static char *image_column(struct berth_engine *e, const struct berth_ctr *c, bool trunc)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image img = { 0 };
	bool same = false;

	if (berth_image_resolve(e->store, c->image, &img, &err) == 0) {
		same = strcmp(img.id, c->image_id) == 0;
		berth_image_release(&img);
	}
	if (same)
		return berth_xstrdup(c->image);
	return cli_image_id(c->image_id, !trunc);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *labels_column(const struct berth_ctr *c)
{
	json_t *labels = json_object_get(json_object_get(c->config, "Config"), "Labels"), *v;
	_cleanup_strv_free_ char **kv = NULL;
	const char *k;
	char *out = berth_xstrdup("");

	json_object_foreach(labels, k, v)
		berth_strv_consume(&kv, berth_xasprintf("%s=%s", k, json_string_value(v) ?: ""));
	if (kv)
		qsort(kv, berth_strv_length(kv), sizeof(char *), cmp_str);
	for (size_t i = 0; kv && kv[i]; i++) {
		char *next = berth_xasprintf("%s%s%s", out, i ? "," : "", kv[i]);
		free(out);
		out = next;
	}
	return out;
}

/* docker's Mounts column (volume names, or sources) and LocalVolumes count. */
static char *mounts_column(const struct berth_ctr *c, bool trunc, int *ret_volumes)
{
	json_t *mounts = json_object_get(c->config, "Mounts"), *m;
	char *out = berth_xstrdup("");
	size_t i;

	*ret_volumes = 0;
	json_array_foreach(mounts, i, m) {
		const char *name = json_string_value(json_object_get(m, "Name"));
		const char *type = json_string_value(json_object_get(m, "Type"));
		_cleanup_free_ char *shown = NULL;
		char *next;
		if (!name || !*name)
			name = json_string_value(json_object_get(m, "Source"));
		if (type && strcmp(type, "volume") == 0)
			(*ret_volumes)++;
		shown = trunc ? cli_ellipsis(name ? name : "", 15) : berth_xstrdup(name ? name : "");
		next = berth_xasprintf("%s%s%s", out, i ? "," : "", shown);
		free(out);
		out = next;
	}
	return out;
}

static json_t *make_row(struct berth_engine *e, const struct berth_ctr *c, bool trunc, bool size, int64_t now)
{
	_cleanup_free_ char *id = trunc ? berth_xstrndup(c->id, 12) : berth_xstrdup(c->id);
	_cleanup_free_ char *cmd = command_line(e, c), *shown = trunc ? cli_ellipsis(cmd, 20) : berth_xstrdup(cmd);
	_cleanup_free_ char *quoted = go_quote(shown), *image = image_column(e, c, trunc);
	_cleanup_free_ char *status = berth_ctr_status_string(c, now), *since = berth_human_duration(now - c->created);
	_cleanup_free_ char *running_for = berth_xasprintf("%s ago", since), *labels = labels_column(c);
	_cleanup_free_ char *mounts = NULL, *size_s = NULL, *ports = berth_ctr_ports_string(e, c);
	char at[64], volumes[16], rw_s[32] = "0B", rootfs_s[32];
	int n_volumes = 0;

	cli_time_string(c->created / 1000000000, at, sizeof(at));
	mounts = mounts_column(c, trunc, &n_volumes);
	snprintf(volumes, sizeof(volumes), "%d", n_volumes);
	if (size) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		int64_t rw = 0, rootfs = 0;
		if (berth_ctr_size(e, c, &rw, &rootfs, &err) == 0) {
			cli_human_size(rw, rw_s, sizeof(rw_s));
			cli_human_size(rootfs, rootfs_s, sizeof(rootfs_s));
			size_s = rootfs > 0 ? berth_xasprintf("%s (virtual %s)", rw_s, rootfs_s) : berth_xstrdup(rw_s);
		}
	}
	/* docker's --format json keys, in its (sorted) order */
	return json_pack("{ss ss ss ss ss ss ss ss ss ss ss ss ss ss}", "Command", quoted, "CreatedAt", at, "ID", id,
			 "Image", image, "Labels", labels, "LocalVolumes", volumes, "Mounts", mounts, "Names", c->name,
			 "Networks", network_mode(c), "Ports", ports ? ports : "", "RunningFor", running_for, "Size",
			 size_s ? size_s : "0B", "State", berth_ctr_state_to_string(c->state), "Status", status);
}

static int ps_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "all", 'a', CLI_FLAG, "Show all containers (default shows just running)" },
		{ "filter", 'f', CLI_LIST, "Filter output based on conditions provided", "filter" },
		{ "format", 0, CLI_STRING,
		  "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template" },
		{ "last", 'n', CLI_STRING, "Show n last created containers (includes all states) (default -1)", "int" },
		{ "latest", 'l', CLI_FLAG, "Show the latest created container (includes all states)" },
		{ "no-trunc", 0, CLI_FLAG, "Don't truncate output" },
		{ "quiet", 'q', CLI_FLAG, "Only display container IDs" },
		{ "size", 's', CLI_FLAG, "Display total file sizes" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_(ps_filters_release) struct ps_filters f = { 0 };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *table_size = NULL;
	const char *format;
	struct berth_ctr *v = NULL;
	struct berth_engine *e;
	size_t n = 0, idx = 0;
	long limit = -1;
	bool all, size, quiet, trunc;
	int64_t now;
	json_t *rows;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 0)))
		return r;
	if (cli_value(opts, "last")) {
		char *end;
		limit = strtol(cli_value(opts, "last"), &end, 10);
		if (!*cli_value(opts, "last") || *end)
			return cli_usage_error(cmd, "invalid argument \"%s\" for \"-n, --last\" flag: invalid syntax",
					       cli_value(opts, "last"));
	}
	if (cli_flag(opts, "latest"))
		limit = 1;
	format = cli_value(opts, "format");
	quiet = cli_flag(opts, "quiet");
	trunc = !cli_flag(opts, "no-trunc");
	if (quiet && format && *format)
		cli_warnf("Ignoring custom format, because both --format and --quiet are set.");
	if (quiet)
		format = "{{.ID}}";
	/* docker computes sizes for a custom format that shows them */
	size = cli_flag(opts, "size") || (format && strstr(format, ".Size"));
	if (!format || !*format || strcmp(format, "table") == 0) {
		if (cli_flag(opts, "size"))
			format = table_size = berth_xstrdup(DEFAULT_FORMAT "\t{{.Size}}");
		else
			format = DEFAULT_FORMAT;
	}
	e = cli_engine(g, &status);
	if (!e)
		return status;
	if ((r = parse_filters(g, e, cli_opt(opts, "filter")->values, &f)))
		return r;
	all = cli_flag(opts, "all") || fvalues(&f, "status");
	if ((r = berth_ctr_list(e, &v, &n, &err)) < 0)
		return cli_fail(&err);
	now = berth_now_ns();
	rows = json_array();
	for (size_t i = 0; i < n; i++) {
		enum action a = include(&v[i], &f, all, limit, idx);
		if (a == STOP)
			break;
		if (a == EXCLUDE)
			continue;
		json_array_append_new(rows, make_row(e, &v[i], trunc, size, now));
		idx++;
	}
	berth_ctr_array_free(v, n);
	status = cli_print_rows(rows, format, DEFAULT_FORMAT, headers, stdout);
	json_decref(rows);
	return status;
}

const struct cli_command cmd_ps = {
	.name = "ps",
	.usage = "[OPTIONS]",
	.summary = "List containers",
	.run = ps_run,
};

const struct cli_command cmd_container_ls = {
	.name = "ls",
	.aliases = "list ps",
	.usage = "[OPTIONS]",
	.summary = "List containers",
	.run = ps_run,
};
