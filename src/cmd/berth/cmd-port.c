/*
 * berth port: the container's published ports ("80/tcp -> 0.0.0.0:8080").
 * berth has no port publishing yet (--network none|host): a container has
 * none to list, and asking for one is docker's "No public port" error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/container.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int port_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = { { NULL } };
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *want = NULL;
	struct berth_engine *e;
	struct berth_ctr c = { 0 };
	json_t *info = NULL, *ports, *bindings;
	const char *key;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 1, 2)))
		return r;
	if (argc == 2) {
		/* "80" means "80/tcp"; docker checks the number */
		char *end, *slash = strchr(argv[1], '/');
		long p = strtol(argv[1], &end, 10);
		if (end == argv[1] || (end != slash && *end) || p < 1 || p > 65535)
			return cli_failf(CLI_EXIT_ENGINE, "invalid port (%s)", argv[1]);
		want = slash ? berth_xstrdup(argv[1]) : berth_xasprintf("%ld/tcp", p);
	}
	e = cli_engine(g, &status);
	if (!e)
		return status;
	if (berth_ctr_get(e, argv[0], &c, &err) < 0 || berth_ctr_inspect(e, &c, &info, &err) < 0) {
		berth_ctr_release(&c);
		return cli_fail(&err);
	}
	ports = json_object_get(json_object_get(info, "NetworkSettings"), "Ports");
	json_object_foreach(ports, key, bindings) {
		size_t i;
		json_t *b;
		if (want && strcmp(key, want) != 0)
			continue;
		json_array_foreach(bindings, i, b) {
			const char *ip = json_string_value(json_object_get(b, "HostIp"));
			const char *port = json_string_value(json_object_get(b, "HostPort"));
			if (want)
				printf("%s:%s\n", ip && *ip ? ip : "0.0.0.0", port ? port : "");
			else
				printf("%s -> %s:%s\n", key, ip && *ip ? ip : "0.0.0.0", port ? port : "");
		}
		if (want && json_array_size(bindings) > 0) {
			json_decref(info);
			berth_ctr_release(&c);
			return CLI_EXIT_OK;
		}
	}
	if (want)
		status = cli_failf(CLI_EXIT_FAILURE, "No public port '%s' published for %s", want, argv[0]);
	json_decref(info);
	berth_ctr_release(&c);
	return status;
}

const struct cli_command cmd_port = {
	.name = "port",
	.usage = "CONTAINER [PRIVATE_PORT[/PROTO]]",
	.summary = "List port mappings or a specific mapping for the container",
	.run = port_run,
};
