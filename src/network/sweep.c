/* What crashes leave behind: namespaces, veths, bridges, ports and leases nobody owns any more. */
#include "network/network.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network/netlink.h"
#include "network/network-internal.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static bool is_id(const char *s)
{
	size_t i = 0;

	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Namespaces under <runroot>/netns whose container is gone (or, thorough, stopped). */
static int sweep_netns(struct berth_net *n, bool orphans_only, berth_net_ctr_state_fn state, void *opaque,
		       struct berth_net_sweep_report *rep, struct berth_error *err)
{
	_cleanup_(closedirp) DIR *d = opendir(n->netns_dir);
	_cleanup_strv_free_ char **ids = NULL;
	struct dirent *de;
	int r;

	if (!d)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "open \"%s\"", n->netns_dir);
	while ((de = readdir(d)))
		if (is_id(de->d_name))
			berth_strv_push(&ids, de->d_name);
	for (char **id = ids; id && *id; id++) {
		_cleanup_close_ int lock = -EBADF;
		enum berth_net_ctr_state s = state(opaque, *id, &lock);
		if (s == BERTH_NET_CTR_ACTIVE || (orphans_only && s != BERTH_NET_CTR_GONE))
			continue;
		if ((r = berth_net_detach(n, *id, err)) < 0)
			return berth_error_prefix(err, "container %.12s", *id);
		rep->netns++;
	}
	return 0;
}

/* Ports of containers that do not run, leases of containers that are gone. */
static int sweep_db(struct berth_net *n, berth_net_ctr_state_fn state, void *opaque, struct berth_net_sweep_report *rep,
		    struct berth_error *err)
{
	_cleanup_strv_free_ char **ids = NULL;
	int r;

	if ((r = berth_net_db_containers(n, &ids, err)) < 0)
		return r;
	for (char **id = ids; *id; id++) {
		_cleanup_close_ int lock = -EBADF;
		enum berth_net_ctr_state s = state(opaque, *id, &lock);
		struct berth_port_mapping *ports = NULL;
		struct berth_endpoint *eps = NULL;
		size_t n_ports = 0, n_eps = 0;

		if (s == BERTH_NET_CTR_ACTIVE)
			continue;
		if ((r = berth_net_db_ports(n, *id, &ports, NULL, NULL, &n_ports, err)) < 0)
			return r;
		free(ports);
		if (n_ports && (r = berth_net_db_ports_release(n, *id, err)) < 0)
			return r;
		rep->ports += (unsigned)n_ports;
		if (s != BERTH_NET_CTR_GONE)
			continue;
		if ((r = berth_net_db_endpoints(n, *id, NULL, &eps, &n_eps, err)) < 0)
			return r;
		berth_endpoint_array_free(eps, n_eps);
		if (n_eps && (r = berth_net_endpoint_remove(n, *id, NULL, err)) < 0)
			return r;
		rep->leases += (unsigned)n_eps;
	}
	return 0;
}

struct tagged {
	const char *table;
	char **names;  /* interface names */
	char **owners; /* "<container id>" or "network <id>" */
};

static void collect_tagged(void *opaque, const char *name, const char *kind, const char *alias)
{
	struct tagged *t = opaque;
	size_t len = strlen(t->table);

	(void)kind;
	if (strncmp(alias, t->table, len) != 0 || alias[len] != ' ')
		return;
	berth_strv_push(&t->names, name);
	berth_strv_push(&t->owners, alias + len + 1);
}

/* Host interfaces tagged with this store's table whose owner is gone or stopped. */
static int sweep_links(struct berth_net *n, berth_net_ctr_state_fn state, void *opaque,
		       struct berth_net_sweep_report *rep, struct berth_error *err)
{
	_cleanup_(berth_nl_freep) struct berth_nl *nl = NULL;
	struct tagged t = { .table = n->table };
	int r;

	if ((r = berth_nl_open(&nl, err)) < 0 || (r = berth_nl_link_list(nl, collect_tagged, &t, err)) < 0)
		goto out;
	for (size_t i = 0; t.names && t.names[i] && r == 0; i++) {
		const char *owner = t.owners[i];
		bool stale;
		if (strncmp(owner, "network ", 8) == 0) {
			struct berth_network net = { 0 };
			_cleanup_error_ struct berth_error lookup = BERTH_ERROR_INIT;
			stale = berth_net_get(n, owner + 8, &net, &lookup) == -ENOENT;
			berth_network_release(&net);
			if (stale && (r = berth_nl_link_delete(nl, t.names[i], err)) == 0)
				rep->bridges++;
		} else if (is_id(owner)) {
			_cleanup_close_ int lock = -EBADF;
			stale = state(opaque, owner, &lock) != BERTH_NET_CTR_ACTIVE;
			if (stale && (r = berth_nl_link_delete(nl, t.names[i], err)) == 0)
				rep->veths++;
		}
	}
out:
	berth_strv_free(t.names);
	berth_strv_free(t.owners);
	return r;
}

int berth_net_sweep(struct berth_net *n, bool orphans_only, berth_net_ctr_state_fn state, void *opaque,
		    struct berth_net_sweep_report *ret, struct berth_error *err)
{
	struct berth_net_sweep_report rep = { 0 };
	int r;

	if ((r = sweep_netns(n, orphans_only, state, opaque, &rep, err)) < 0)
		return r;
	if (!orphans_only) {
		_cleanup_close_ int lock = -EBADF;
		if ((r = sweep_db(n, state, opaque, &rep, err)) < 0 || (r = sweep_links(n, state, opaque, &rep, err)) < 0)
			return r;
		/* and the rules, whatever happened to them meanwhile */
		if ((lock = berth_net_lock(n, err)) < 0)
			return lock;
		if ((r = berth_net_sync_rules(n, err)) < 0)
			return r;
	}
	if (ret)
		*ret = rep;
	return 0;
}
