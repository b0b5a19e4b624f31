/* berth network: create, ls, inspect, rm, connect, disconnect, prune (docker's network verbs). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/container-network.h"
#include "engine/engine.h"
#include "network/ipam.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* docker's built-in networks that are modes, not bridges: listed, never created or removed. */
static const char *const builtin[] = { "host", "none" };

/* A stable id for a built-in network of this store (docker makes one per daemon). */
static char *builtin_id(struct berth_engine *e, const char *name)
{
	char *s = berth_xmalloc(65);
	uint64_t h = 1469598103934665603ull;
	const char *table = berth_net_table(e->net);

	for (int i = 0; i < 4; i++) {
		for (const char *p = table; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ull;
		for (const char *p = name; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ull;
		snprintf(s + 16 * i, 17, "%016llx", (unsigned long long)h);
	}
	return s;
}

static int create_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "driver", 'd', CLI_STRING, "Driver to manage the Network (\"bridge\")" },
		{ "gateway", 0, CLI_STRING, "IPv4 Gateway for the master subnet" },
		{ "internal", 0, CLI_FLAG, "Restrict external access to the network" },
		{ "label", 0, CLI_LIST, "Set metadata on a network" },
		{ "subnet", 0, CLI_STRING, "Subnet in CIDR format that represents a network segment" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *id = NULL;
	struct berth_engine *e;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, 1)))
		return r;
	if (cli_value(opts, "gateway") && !cli_value(opts, "subnet"))
		return cli_failf(CLI_EXIT_ENGINE, "every ip-range or gateway must have a corresponding subnet");
	if (!(e = cli_engine(g, &status)))
		return status;
	{
		struct berth_network_create req = {
			.name = argv[0],
			.driver = cli_value(opts, "driver"),
			.subnet = cli_value(opts, "subnet"),
			.gateway = cli_value(opts, "gateway"),
			.labels = cli_opt(opts, "label")->values,
			.internal = cli_flag(opts, "internal"),
		};
		/* docker: what the engine refuses is status 1, only usage errors are 125 */
		if (berth_net_create(e->net, &req, &id, &err) < 0) {
			cli_fail(&err);
			return CLI_EXIT_FAILURE;
		}
	}
	printf("%s\n", id);
	return CLI_EXIT_OK;
}

static json_t *row(const char *id, const char *name, const char *driver, bool internal, json_t *labels, int64_t created,
		   bool no_trunc)
{
	_cleanup_free_ char *short_id = berth_xstrndup(id, no_trunc ? 64 : 12), *label_text = berth_xstrdup("");
	char when[64] = "";
	const char *k;
	json_t *v;

	json_object_foreach(labels, k, v) {
		char *next = berth_xasprintf("%s%s%s=%s", label_text, *label_text ? "," : "", k, json_string_value(v));
		free(label_text);
		label_text = next;
	}
	if (created)
		cli_time_string(created / 1000000000, when, sizeof(when));
	return json_pack("{ss ss ss ss ss ss ss ss}", "ID", short_id, "Name", name, "Driver", driver, "Scope", "local",
			 "IPv6", "false", "Internal", internal ? "true" : "false", "Labels", label_text, "CreatedAt", when);
}

/* --filter name=, id=, driver=, label=k[=v], type=custom|builtin */
static bool filter_match(char **filters, const char *id, const char *name, const char *driver, json_t *labels,
			 bool is_builtin)
{
	for (char **f = filters; f && *f; f++) {
		const char *eq = strchr(*f, '='), *v = eq ? eq + 1 : "";
		size_t klen = eq ? (size_t)(eq - *f) : strlen(*f);
		if (klen == 4 && strncmp(*f, "name", 4) == 0 && !strstr(name, v))
			return false;
		if (klen == 2 && strncmp(*f, "id", 2) == 0 && strncmp(id, v, strlen(v)) != 0)
			return false;
		if (klen == 6 && strncmp(*f, "driver", 6) == 0 && strcmp(driver, v) != 0)
			return false;
		if (klen == 4 && strncmp(*f, "type", 4) == 0 && (strcmp(v, "custom") == 0) == is_builtin)
			return false;
		if (klen == 5 && strncmp(*f, "label", 5) == 0) {
			const char *veq = strchr(v, '=');
			_cleanup_free_ char *key = veq ? berth_xstrndup(v, (size_t)(veq - v)) : berth_xstrdup(v);
			json_t *have = json_object_get(labels, key);
			if (!have || (veq && strcmp(json_string_value(have), veq + 1) != 0))
				return false;
		}
	}
	return true;
}

static int check_filters(const struct cli_command *cmd, char **filters)
{
	static const char *const keys[] = { "name", "id", "driver", "type", "label" };

	for (char **f = filters; f && *f; f++) {
		const char *eq = strchr(*f, '=');
		bool ok = false;
		if (!eq)
			return cli_usage_error(cmd, "bad format of filter (expected name=value)");
		for (size_t i = 0; i < ARRAY_SIZE(keys) && !ok; i++)
			ok = strlen(keys[i]) == (size_t)(eq - *f) && strncmp(*f, keys[i], strlen(keys[i])) == 0;
		if (!ok)
			return cli_failf(CLI_EXIT_ENGINE, "invalid filter '%.*s'", (int)(eq - *f), *f);
	}
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(json_string_value(json_object_get(x, "Name")), json_string_value(json_object_get(y, "Name")));
}

static int ls_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "filter", 'f', CLI_LIST, "Provide filter values (e.g. \"driver=bridge\")", "filter" },
		{ "format", 0, CLI_STRING, "Format output using a custom template: 'table', 'json' or a Go template" },
		{ "no-trunc", 0, CLI_FLAG, "Do not truncate the output" },
		{ "quiet", 'q', CLI_FLAG, "Only display network IDs" },
		{ NULL },
	};
	static const char *const headers[] = { "ID", "NETWORK ID", NULL };
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	char **filters;
	struct berth_network *nets = NULL;
	struct berth_engine *e;
	_cleanup_free_ json_t **sorted = NULL;
	json_t *rows, *sorted_rows;
	size_t n = 0, n_rows;
	bool no_trunc;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 0)))
		return r;
	filters = cli_opt(opts, "filter")->values;
	if ((r = check_filters(cmd, filters)))
		return r;
	if (!(e = cli_engine(g, &status)))
		return status;
	if (berth_net_list(e->net, &nets, &n, &err) < 0)
		return cli_fail(&err);
	no_trunc = cli_flag(opts, "no-trunc");
	rows = json_array();
	for (size_t i = 0; i < n; i++)
		if (filter_match(filters, nets[i].id, nets[i].name, nets[i].driver, nets[i].labels,
				 strcmp(nets[i].name, BERTH_NET_DEFAULT_NAME) == 0))
			json_array_append_new(rows, row(nets[i].id, nets[i].name, nets[i].driver, nets[i].internal,
							nets[i].labels, nets[i].created, no_trunc));
	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++) {
		_cleanup_free_ char *id = builtin_id(e, builtin[i]);
		const char *driver = strcmp(builtin[i], "none") == 0 ? "null" : "host";
		json_t *empty = json_object();
		if (filter_match(filters, id, builtin[i], driver, empty, true))
			json_array_append_new(rows, row(id, builtin[i], driver, false, empty, 0, no_trunc));
		json_decref(empty);
	}
	berth_network_array_free(nets, n);
	/* docker lists networks by name */
	n_rows = json_array_size(rows);
	sorted = berth_xcalloc(n_rows + 1, sizeof(*sorted));
	for (size_t i = 0; i < n_rows; i++)
		sorted[i] = json_array_get(rows, i);
	qsort(sorted, n_rows, sizeof(*sorted), row_cmp);
	sorted_rows = json_array();
	for (size_t i = 0; i < n_rows; i++)
		json_array_append(sorted_rows, sorted[i]);
	json_decref(rows);
	if (cli_flag(opts, "quiet")) {
		size_t i;
		json_t *x;
		json_array_foreach(sorted_rows, i, x)
			printf("%s\n", json_string_value(json_object_get(x, "ID")));
	} else {
		status = cli_print_rows(sorted_rows, cli_value(opts, "format"),
					"table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", headers, stdout);
	}
	json_decref(sorted_rows);
	return status;
}

static json_t *builtin_inspect(struct berth_engine *e, const char *name)
{
	_cleanup_free_ char *id = builtin_id(e, name);

	return json_pack("{ss ss ss ss ss sb s{ss sn s[]} sb sb sb s{ss} sb s{} s{} s{}}", "Name", name, "Id", id,
			 "Created", "0001-01-01T00:00:00Z", "Scope", "local", "Driver", strcmp(name, "none") == 0 ? "null" : "host",
			 "EnableIPv6", 0, "IPAM", "Driver", "default", "Options", "Config", "Internal", 0, "Attachable", 0,
			 "Ingress", 0, "ConfigFrom", "Network", "", "ConfigOnly", 0, "Containers", "Options", "Labels");
}

static int inspect_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "format", 'f', CLI_STRING, "Format output using a custom template: 'json' or a Go template" },
		{ "verbose", 'v', CLI_FLAG, "Verbose output for diagnostics" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
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
		if (cli_template_parse(format, &t, &err) < 0) {
			cli_fail(&err);
			return CLI_EXIT_ENGINE;
		}
	}
	if (!(e = cli_engine(g, &status)))
		return status;
	all = json_array();
	for (int i = 0; i < argc; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		struct berth_network net = { 0 };
		json_t *obj = NULL;

		if (strcmp(argv[i], "host") == 0 || strcmp(argv[i], "none") == 0) {
			obj = builtin_inspect(e, argv[i]);
		} else if (berth_net_get(e->net, argv[i], &net, &err) < 0 || berth_net_inspect(e->net, &net, &obj, &err) < 0) {
			berth_network_release(&net);
			cli_fail(&err);
			status = CLI_EXIT_FAILURE;
			continue;
		}
		berth_network_release(&net);
		if (t) {
			_cleanup_free_ char *line = NULL;
			r = cli_template_render(t, obj, &line, &err);
			json_decref(obj);
			if (r < 0) {
				json_decref(all);
				cli_fail(&err);
				return CLI_EXIT_ENGINE;
			}
			printf("%s\n", line);
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

static int rm_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "force", 'f', CLI_FLAG, "Do not error if the network does not exist" },
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
		if (berth_net_remove(e->net, argv[i], &err) < 0) {
			if (err.code == ENOENT && cli_flag(opts, "force"))
				continue;
			cli_fail(&err);
			status = CLI_EXIT_FAILURE;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

static int connect_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "alias", 0, CLI_LIST, "Add network-scoped alias for the container" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_engine *e;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 2, 2)))
		return r;
	if (!(e = cli_engine(g, &status)))
		return status;
	if (berth_ctr_net_connect(e, argv[1], argv[0], cli_opt(opts, "alias")->values, &err) < 0) {
		cli_fail(&err);
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

static int disconnect_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "force", 'f', CLI_FLAG, "Force the container to disconnect from a network" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_engine *e;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 2, 2)))
		return r;
	if (!(e = cli_engine(g, &status)))
		return status;
	if (berth_ctr_net_disconnect(e, argv[1], argv[0], cli_flag(opts, "force"), &err) < 0) {
		cli_fail(&err);
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

static int prune_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "force", 'f', CLI_FLAG, "Do not prompt for confirmation" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_strv_free_ char **removed = NULL;
	struct berth_net_sweep_report rep = { 0 };
	struct berth_engine *e;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 0)))
		return r;
	if (!cli_flag(opts, "force")) {
		char line[16];
		printf("WARNING! This will remove all custom networks not used by at least one container.\n"
		       "Are you sure you want to continue? [y/N] ");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y'))
			return CLI_EXIT_OK;
	}
	if (!(e = cli_engine(g, &status)))
		return status;
	if (berth_ctr_net_prune(e, &rep, &removed, &err) < 0)
		return cli_fail(&err);
	if (removed && removed[0]) {
		printf("Deleted Networks:\n");
		for (char **n = removed; *n; n++)
			printf("%s\n", *n);
		printf("\n");
	}
	/* berth's own addition: what crashes had left behind */
	if (rep.netns || rep.veths || rep.bridges || rep.ports || rep.leases)
		printf("Removed leftovers: %u network namespaces, %u interfaces, %u bridges, %u published ports, %u leases\n",
		       rep.netns, rep.veths, rep.bridges, rep.ports, rep.leases);
	return CLI_EXIT_OK;
}

static const struct cli_command cmd_network_connect = {
	.name = "connect",
	.usage = "[OPTIONS] NETWORK CONTAINER",
	.summary = "Connect a container to a network",
	.run = connect_run,
};

static const struct cli_command cmd_network_create = {
	.name = "create",
	.usage = "[OPTIONS] NETWORK",
	.summary = "Create a network",
	.run = create_run,
};

static const struct cli_command cmd_network_disconnect = {
	.name = "disconnect",
	.usage = "[OPTIONS] NETWORK CONTAINER",
	.summary = "Disconnect a container from a network",
	.run = disconnect_run,
};

static const struct cli_command cmd_network_inspect = {
	.name = "inspect",
	.usage = "[OPTIONS] NETWORK [NETWORK...]",
	.summary = "Display detailed information on one or more networks",
	.run = inspect_run,
};

static const struct cli_command cmd_network_ls = {
	.name = "ls",
	.aliases = "list",
	.usage = "[OPTIONS]",
	.summary = "List networks",
	.run = ls_run,
};

static const struct cli_command cmd_network_prune = {
	.name = "prune",
	.usage = "[OPTIONS]",
	.summary = "Remove all unused networks (and what crashes left behind)",
	.run = prune_run,
};

static const struct cli_command cmd_network_rm = {
	.name = "rm",
	.aliases = "remove",
	.usage = "NETWORK [NETWORK...]",
	.summary = "Remove one or more networks",
	.run = rm_run,
};

static const struct cli_command *const network_commands[] = {
	&cmd_network_connect, &cmd_network_create, &cmd_network_disconnect, &cmd_network_inspect,
	&cmd_network_ls,      &cmd_network_prune,  &cmd_network_rm,	    NULL,
};

const struct cli_command cmd_network = {
	.name = "network",
	.usage = "COMMAND",
	.summary = "Manage networks",
	.run = cli_run_group,
	.subcommands = network_commands,
};
