/* run/create's network flags: --network, --network-alias, -p, -P, --expose. */
#include "cli-run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "network/ports.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

int cli_run_network_build(const struct cli_command *cmd, struct cli_option *opts, struct cli_run_request *rr)
{
	struct berth_create_request *req = &rr->req;
	struct cli_option *x;
	const char *net = cli_value(opts, "network");

	if (!net)
		net = cli_value(opts, "net");
	/* NULL and "default" are the default bridge network */
	req->network = net;
	req->network_aliases = berth_strv_copy(cli_opt(opts, "network-alias")->values);
	req->publish_all = cli_flag(opts, "publish-all");
	x = cli_opt(opts, "expose");
	for (size_t i = 0; x->values && x->values[i]; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		uint16_t lo, hi;
		char proto[4];
		if (berth_port_expose_parse(x->values[i], &lo, &hi, proto, &err) < 0)
			return cli_usage_error(cmd, "%s", err.msg);
		berth_strv_push(&req->expose, x->values[i]);
	}
	x = cli_opt(opts, "publish");
	for (size_t i = 0; x->values && x->values[i]; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		if (berth_port_spec_parse(x->values[i], &req->ports, &req->n_ports, &err) < 0)
			return cli_usage_error(cmd, "%s", err.msg);
	}
	if (net && strcmp(net, "host") == 0 && (req->n_ports || req->publish_all)) {
		/* docker's warning, and its behaviour: the host's ports are the container's */
		cli_warnf("Published ports are discarded when using host network mode");
		free(req->ports);
		req->ports = NULL;
		req->n_ports = 0;
		req->publish_all = false;
	}
	return 0;
}

void cli_run_network_release(struct cli_run_request *rr)
{
	berth_strv_free(rr->req.network_aliases);
	berth_strv_free(rr->req.expose);
	free(rr->req.ports);
	rr->req.network_aliases = rr->req.expose = NULL;
	rr->req.ports = NULL;
	rr->req.n_ports = 0;
}
