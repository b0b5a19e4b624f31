/* A container on berth's networks: leases, its namespace, veth pairs, published ports. */
#include "network/network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "network/ipam.h"
#include "network/netlink.h"
#include "network/netns.h"
#include "network/network-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* The host side of a container's eth<ifnum>: "vb" + 11 hex of the id + ifnum (15 characters at most). */
static void veth_name(const char *ctr_id, int ifnum, char buf[16])
{
	snprintf(buf, 16, "vb%.11s%x", ctr_id, (unsigned)ifnum & 0xf);
}

/* The alias of a host interface berth made: "<table> <container id>" (sweep.c reads it). */
static char *veth_alias(const struct berth_net *n, const char *ctr_id)
{
	return berth_xasprintf("%s %s", n->table, ctr_id);
}

static bool is_user_network(const struct berth_endpoint *ep)
{
	return strcmp(ep->network_name, BERTH_NET_DEFAULT_NAME) != 0;
}

int berth_net_endpoints(struct berth_net *n, const char *ctr_id, struct berth_endpoint **ret, size_t *ret_n,
			struct berth_error *err)
{
	return berth_net_db_endpoints(n, ctr_id, NULL, ret, ret_n, err);
}

int berth_net_endpoint_add(struct berth_net *n, const char *ctr_id, const char *network_ref, const char *name,
			   const char *hostname, char *const *aliases, struct berth_endpoint *ret,
			   struct berth_error *err)
{
	struct berth_network net = { 0 };
	struct berth_endpoint *eps = NULL;
	size_t n_eps = 0;
	_cleanup_close_ int lock = -EBADF;
	uint32_t ip;
	int ifnum, r;

	if ((r = berth_net_get(n, network_ref, &net, err)) < 0)
		return r;
	r = berth_net_db_endpoint_insert(n, &net, ctr_id, name, hostname, aliases, &ip, &ifnum, err);
	if (r == -EEXIST)
		berth_error_setx(err, EEXIST, "endpoint with name %s already exists in network %s", name, net.name);
	if (r == 0 && (r = berth_net_db_endpoints(n, ctr_id, net.id, &eps, &n_eps, err)) == 0 && n_eps == 1 && ret) {
		*ret = eps[0];
		eps[0] = (struct berth_endpoint){ 0 };
	}
	berth_endpoint_array_free(eps, n_eps);
	/* the peers learn the name, the container its own address */
	if (r == 0 && (lock = berth_net_lock(n, err)) < 0)
		r = lock;
	if (r == 0)
		r = strcmp(net.name, BERTH_NET_DEFAULT_NAME) != 0 ? berth_net_rewrite_hosts_of_network(n, net.id, err)
								  : berth_net_write_hosts(n, ctr_id, err);
	berth_network_release(&net);
	return r;
}

int berth_net_endpoint_remove(struct berth_net *n, const char *ctr_id, const char *network_ref,
			      struct berth_error *err)
{
	struct berth_network net = { 0 };
	struct berth_endpoint *eps = NULL;
	size_t n_eps = 0;
	_cleanup_close_ int lock = -EBADF;
	int r;

	if (network_ref && (r = berth_net_get(n, network_ref, &net, err)) < 0)
		return r;
	if ((r = berth_net_db_endpoints(n, ctr_id, net.id, &eps, &n_eps, err)) < 0)
		goto out;
	if (network_ref && n_eps == 0) {
		r = berth_error_setx(err, ENOENT, "container %.12s is not connected to network %s", ctr_id, net.name);
		goto out;
	}
	if (n_eps == 0)
		goto out;
	if ((r = berth_net_db_endpoint_delete(n, ctr_id, net.id, err)) < 0)
		goto out;
	if ((lock = berth_net_lock(n, err)) < 0) {
		r = lock;
		goto out;
	}
	for (size_t i = 0; i < n_eps && r == 0; i++)
		if (is_user_network(&eps[i]))
			r = berth_net_rewrite_hosts_of_network(n, eps[i].network_id, err);
	/* still running on other networks: its own file loses the peers of this one */
	if (r == 0 && network_ref)
		r = berth_net_write_hosts(n, ctr_id, err);
out:
	berth_endpoint_array_free(eps, n_eps);
	berth_network_release(&net);
	return r;
}

int berth_net_rename(struct berth_net *n, const char *ctr_id, const char *name, struct berth_error *err)
{
	struct berth_endpoint *eps = NULL;
	size_t n_eps = 0;
	_cleanup_close_ int lock = -EBADF;
	int r;

	if ((r = berth_net_db_endpoints(n, ctr_id, NULL, &eps, &n_eps, err)) < 0 || n_eps == 0)
		goto out;
	if ((r = berth_net_db_endpoint_rename(n, ctr_id, name, err)) < 0)
		goto out;
	if ((lock = berth_net_lock(n, err)) < 0) {
		r = lock;
		goto out;
	}
	for (size_t i = 0; i < n_eps && r == 0; i++)
		if (is_user_network(&eps[i]))
			r = berth_net_rewrite_hosts_of_network(n, eps[i].network_id, err);
out:
	berth_endpoint_array_free(eps, n_eps);
	return r;
}

static int write_sysctl(const char *path, struct berth_error *err)
{
	char cur[8] = "";
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return berth_error_set(err, errno, "open \"%s\"", path);
	/* a write costs more than a read, and changes nothing when it is 1 already */
	if (read(fd, cur, sizeof(cur) - 1) > 0 && cur[0] == '1')
		return 0;
	if (pwrite(fd, "1", 1, 0) != 1)
		return berth_error_set(err, errno, "write \"%s\"", path);
	return 0;
}

/* The bridge is there and berth finished setting it up (its alias is written last). */
static int bridge_ready(struct berth_nl *nl, const struct berth_endpoint *ep, const char *alias, int *ret_index,
			bool *ret_ready, struct berth_error *err)
{
	_cleanup_free_ char *have = NULL;
	int r = berth_nl_link_get(nl, ep->bridge, ret_index, &have, err);

	*ret_ready = r == 0 && strcmp(have, alias) == 0;
	return r == -ENODEV ? 0 : r;
}

/*
 * The network's bridge, made on first use (and after a reboot): the
 * gateway's address, forwarding, route_localnet (so that 127.0.0.1 can be
 * DNAT'ed to a container), the rules, and last the alias that says it is
 * done.  Under the network lock, after a look without it: the bridge is
 * usually there.  Every step is idempotent, so a crash half-way is
 * finished by the next container.
 */
static int ensure_bridge(struct berth_net *n, struct berth_nl *nl, const struct berth_endpoint *ep, int *ret_index,
			 struct berth_error *err)
{
	_cleanup_free_ char *alias = berth_xasprintf("%s network %s", n->table, ep->network_id);
	_cleanup_free_ char *localnet = berth_xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", ep->bridge);
	_cleanup_close_ int lock = -EBADF;
	bool ready = false;
	int r;

	*ret_index = 0;
	if ((r = bridge_ready(nl, ep, alias, ret_index, &ready, err)) < 0 || ready)
		return r;
	if ((lock = berth_net_lock(n, err)) < 0)
		return lock;
	if ((r = bridge_ready(nl, ep, alias, ret_index, &ready, err)) < 0 || ready)
		return r;
	if (*ret_index == 0 && (r = berth_nl_bridge_create(nl, ep->bridge, err)) < 0 && r != -EEXIST)
		goto fail;
	berth_error_release(err);
	if ((r = berth_nl_link_index(nl, ep->bridge, ret_index, err)) < 0 ||
	    (r = berth_nl_addr_add(nl, *ret_index, ep->gateway, ep->prefix, err)) < 0 ||
	    (r = berth_nl_link_up(nl, *ret_index, err)) < 0 || (r = write_sysctl(localnet, err)) < 0 ||
	    (r = write_sysctl("/proc/sys/net/ipv4/ip_forward", err)) < 0 || (r = berth_net_sync_rules(n, err)) < 0 ||
	    (r = berth_nl_link_tag(nl, ep->bridge, alias, false, err)) < 0)
		goto fail;
	return 0;
fail:
	return berth_error_prefix(err, "bridge %s", ep->bridge);
}

/* One veth pair: the host side on the bridge, eth<ifnum> in the container with its address. */
static int plug(struct berth_net *n, struct berth_nl *host, struct berth_nl *ctr, int nsfd, const char *ctr_id,
		const struct berth_endpoint *ep, struct berth_error *err)
{
	_cleanup_free_ char *alias = veth_alias(n, ctr_id);
	char name[16], peer[16];
	int bridge = 0, index = 0, r;

	veth_name(ctr_id, ep->ifnum, name);
	snprintf(peer, sizeof(peer), "eth%d", ep->ifnum);
	if ((r = ensure_bridge(n, host, ep, &bridge, err)) < 0)
		return r;
	r = berth_nl_veth_create(host, name, bridge, peer, nsfd, ep->mac, err);
	if (r == -EEXIST) {
		/* a previous run's, whose namespace is not gone yet */
		berth_error_release(err);
		if ((r = berth_nl_link_delete(host, name, err)) < 0)
			return r;
		r = berth_nl_veth_create(host, name, bridge, peer, nsfd, ep->mac, err);
	}
	if (r < 0)
		return r;
	if ((r = berth_nl_link_tag(host, name, alias, true, err)) < 0 ||
	    (r = berth_nl_link_index(ctr, peer, &index, err)) < 0 ||
	    (r = berth_nl_addr_add(ctr, index, ep->ip, ep->prefix, err)) < 0 || (r = berth_nl_link_up(ctr, index, err)) < 0)
		return r == -ENODEV ? berth_error_setx(err, ENODEV, "%s did not appear in the container", peer) : r;
	if (ep->ifnum == 0 && (r = berth_nl_route_add_default(ctr, ep->gateway, index, err)) < 0)
		return r;
	return 0;
}

/* Whether a host port can be had: a probe bind (docker-proxy would hold it; berth leaves it to the rules). */
static bool port_free(uint32_t host_ip, uint16_t port, const char *proto)
{
	bool udp = strcmp(proto, "udp") == 0;
	_cleanup_close_ int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = { htonl(host_ip) } };
	int one = 1;

	if (fd < 0)
		return true;
	if (!udp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != EADDRINUSE;
}

/*
 * A container's ports into (or out of) the maps: incremental; when adding
 * fails (the table gone, an element a crash left under the same key), a
 * rebuild from the database.  Under the network lock.
 */
static int program_ports(struct berth_net *n, const char *ctr_id, bool add, struct berth_error *err)
{
	_cleanup_error_ struct berth_error first = BERTH_ERROR_INIT;
	_cleanup_free_ struct berth_port_mapping *m = NULL;
	_cleanup_free_ struct berth_nft_port *np = NULL;
	_cleanup_free_ uint32_t *ips = NULL;
	_cleanup_strv_free_ char **ids = NULL;
	_cleanup_free_ char *text = NULL;
	size_t count = 0;
	int r;

	if ((r = berth_net_db_ports(n, ctr_id, &m, &ips, &ids, &count, err)) < 0)
		return r;
	np = berth_xcalloc(count + 1, sizeof(*np));
	for (size_t i = 0; i < count; i++)
		np[i] = (struct berth_nft_port){ m[i].host_ip, m[i].host_port, m[i].proto, ips[i], m[i].ctr_port, ids[i] };
	text = berth_nft_ports_command(n->table, add, np, count);
	if (count && berth_nft_run(text, &first) == 0)
		return 0;
	if (!add)
		return berth_error_setx(err, first.code ? first.code : EIO, "%s", first.msg ? first.msg : "nothing to delete");
	return berth_net_sync_rules(n, err);
}

static int publish(struct berth_net *n, const char *ctr_id, const char *ctr_name, uint32_t ip,
		   const struct berth_port_spec *ports, size_t n_ports, struct berth_error *err)
{
	_cleanup_close_ int lock = -EBADF;
	int r;

	if ((lock = berth_net_lock(n, err)) < 0)
		return lock;
	/* a holder that no longer runs (its cleanup is late, or never came) gives its ports up */
	if (n->ctr_state) {
		_cleanup_strv_free_ char **holders = NULL;
		if ((r = berth_net_db_port_holders(n, ctr_id, ports, n_ports, &holders, err)) < 0)
			return r;
		for (char **h = holders; *h; h++) {
			_cleanup_close_ int holder_lock = -EBADF;
			if (n->ctr_state(n->ctr_state_opaque, *h, &holder_lock) != BERTH_NET_CTR_ACTIVE &&
			    (r = berth_net_db_ports_release(n, *h, err)) < 0)
				return r;
		}
	}
	/* a crash's leftovers first: these ports are this container's again */
	if ((r = berth_net_db_ports_release(n, ctr_id, err)) < 0 ||
	    (r = berth_net_db_ports_reserve(n, ctr_id, ctr_name, ip, ports, n_ports, port_free, err)) < 0)
		return r;
	if ((r = program_ports(n, ctr_id, true, err)) < 0) {
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		berth_net_db_ports_release(n, ctr_id, &ignore);
	}
	return r;
}

int berth_net_attach(struct berth_net *n, const char *ctr_id, const char *ctr_name,
		     const struct berth_port_spec *ports, size_t n_ports, struct berth_error *err)
{
	_cleanup_(berth_nl_freep) struct berth_nl *host = NULL, *ctr = NULL;
	_cleanup_free_ char *path = berth_net_netns_path(n, ctr_id);
	_cleanup_close_ int nsfd = -EBADF;
	struct berth_endpoint *eps = NULL;
	size_t n_eps = 0;
	int r;

	if ((r = berth_net_db_endpoints(n, ctr_id, NULL, &eps, &n_eps, err)) < 0)
		return r;
	if ((r = berth_nl_open(&host, err)) < 0 || (r = berth_netns_create(path, &nsfd, &ctr, err)) < 0)
		goto out;
	if ((r = berth_nl_link_up(ctr, 1, err)) < 0)
		goto fail;
	for (size_t i = 0; i < n_eps; i++)
		if ((r = plug(n, host, ctr, nsfd, ctr_id, &eps[i], err)) < 0) {
			berth_error_prefix(err, "network %s", eps[i].network_name);
			goto fail;
		}
	if (n_ports) {
		if (n_eps == 0) {
			r = berth_error_setx(err, EINVAL, "published ports need a network with an address");
			goto fail;
		}
		if ((r = publish(n, ctr_id, ctr_name, eps[0].ip, ports, n_ports, err)) < 0)
			goto fail;
	}
	goto out;
fail : {
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	berth_net_detach(n, ctr_id, &ignore);
}
out:
	berth_endpoint_array_free(eps, n_eps);
	return r;
}

int berth_net_detach(struct berth_net *n, const char *ctr_id, struct berth_error *err)
{
	_cleanup_free_ char *path = berth_net_netns_path(n, ctr_id);
	struct berth_port_mapping *ports = NULL;
	size_t n_ports = 0;
	int r;

	/* the rules first: nothing is forwarded to an address that is about to go */
	if ((r = berth_net_db_ports(n, ctr_id, &ports, NULL, NULL, &n_ports, err)) < 0)
		return r;
	free(ports);
	if (n_ports) {
		_cleanup_close_ int lock = berth_net_lock(n, err);
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		if (lock < 0)
			return lock;
		/* out of the maps while the rows still say what to delete; a rebuild after the rows go if that fails */
		int deleted = program_ports(n, ctr_id, false, &ignore);
		if ((r = berth_net_db_ports_release(n, ctr_id, err)) < 0)
			return r;
		if (deleted < 0 && (r = berth_net_sync_rules(n, err)) < 0)
			return r;
	}
	/*
	 * The veths die with the namespace, which the kernel frees on its own
	 * once the last process and the mount are gone.  Deleting them here
	 * would cost ~15 ms each (an RCU grace period); a sweep deletes any
	 * whose namespace lives on.
	 */
	return berth_netns_destroy(path, err);
}

int berth_net_attach_endpoint(struct berth_net *n, const char *ctr_id, const struct berth_endpoint *ep,
			      struct berth_error *err)
{
	_cleanup_(berth_nl_freep) struct berth_nl *host = NULL, *ctr = NULL;
	_cleanup_free_ char *path = berth_net_netns_path(n, ctr_id);
	_cleanup_close_ int nsfd = -EBADF;
	int r;

	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || !berth_netns_is_bound(path))
		return berth_error_set(err, nsfd < 0 ? errno : ENOENT, "the network namespace of container %.12s", ctr_id);
	if ((r = berth_nl_open(&host, err)) < 0 || (r = berth_netns_nl(nsfd, &ctr, err)) < 0)
		return r;
	return plug(n, host, ctr, nsfd, ctr_id, ep, err);
}

int berth_net_detach_endpoint(struct berth_net *n, const char *ctr_id, const struct berth_endpoint *ep,
			      struct berth_error *err)
{
	_cleanup_(berth_nl_freep) struct berth_nl *host = NULL;
	char name[16];
	int r;

	veth_name(ctr_id, ep->ifnum, name);
	if ((r = berth_nl_open(&host, err)) < 0)
		return r;
	return berth_nl_link_delete(host, name, err);
}

int berth_net_ports(struct berth_net *n, const char *ctr_id, struct berth_port_mapping **ret, size_t *ret_n,
		    struct berth_error *err)
{
	int r = berth_net_db_ports(n, ctr_id, ret, NULL, NULL, ret_n, err);

	if (r == 0)
		berth_port_mappings_sort(*ret, *ret_n);
	return r;
}
