/* Networks of a store: records, bridges, and the rules that go with them. */
#include "network/network.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "image/image-db.h"
#include "image/store.h"
#include "network/ipam.h"
#include "network/netlink.h"
#include "network/network-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* "berth" for the default store; another store gets a table of its own, named after its root. */
static char *table_name(const char *root)
{
	uint32_t h = 2166136261u;

	if (strcmp(root, BERTH_DEFAULT_ROOT) == 0)
		return berth_xstrdup("berth");
	for (const char *p = root; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return berth_xasprintf("berth_%08x", h);
}

int berth_net_open(struct berth_db *db, const char *root, const char *run_root, const char *ctr_dir,
		   struct berth_net **ret, struct berth_error *err)
{
	struct berth_net *n = berth_xzalloc(sizeof(*n));
	int r;

	n->db = db;
	n->h = (sqlite3 *)berth_db_handle(db);
	n->root = berth_xstrdup(root);
	n->run_root = berth_xstrdup(run_root);
	n->netns_dir = berth_xasprintf("%s/netns", run_root);
	n->lock_path = berth_xasprintf("%s/network.lock", run_root);
	n->ctr_dir = berth_xstrdup(ctr_dir);
	n->table = table_name(root);
	if ((r = berth_net_db_init(n, err)) < 0) {
		berth_net_free(n);
		return berth_error_prefix(err, "networks");
	}
	*ret = n;
	return 0;
}

void berth_net_free(struct berth_net *n)
{
	if (!n)
		return;
	free(n->root);
	free(n->run_root);
	free(n->netns_dir);
	free(n->lock_path);
	free(n->ctr_dir);
	free(n->table);
	free(n);
}

void berth_net_set_ctr_state(struct berth_net *n, berth_net_ctr_state_fn state, void *opaque)
{
	n->ctr_state = state;
	n->ctr_state_opaque = opaque;
}

const char *berth_net_table(const struct berth_net *n)
{
	return n->table;
}

char *berth_net_netns_path(const struct berth_net *n, const char *ctr_id)
{
	return berth_xasprintf("%s/%s", n->netns_dir, ctr_id);
}

int berth_net_lock(struct berth_net *n, struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	if ((r = berth_mkdir_p(n->run_root, 0700, err)) < 0)
		return r;
	fd = open(n->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berth_error_set(err, errno, "open \"%s\"", n->lock_path);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return berth_error_set(err, errno, "lock \"%s\"", n->lock_path);
	return TAKE_FD(fd);
}

int berth_net_sync_rules(struct berth_net *n, struct berth_error *err)
{
	struct berth_network *nets = NULL;
	struct berth_port_mapping *ports = NULL;
	_cleanup_free_ struct berth_nft_network *nn = NULL;
	_cleanup_free_ struct berth_nft_port *np = NULL;
	_cleanup_free_ uint32_t *ctr_ips = NULL;
	_cleanup_strv_free_ char **ctr_ids = NULL;
	_cleanup_free_ char *text = NULL;
	size_t n_nets = 0, n_ports = 0;
	int r;

	if ((r = berth_net_list(n, &nets, &n_nets, err)) < 0)
		return r;
	if ((r = berth_net_db_ports(n, NULL, &ports, &ctr_ips, &ctr_ids, &n_ports, err)) < 0) {
		berth_network_array_free(nets, n_nets);
		return r;
	}
	nn = berth_xcalloc(n_nets + 1, sizeof(*nn));
	for (size_t i = 0; i < n_nets; i++)
		nn[i] = (struct berth_nft_network){ nets[i].bridge, nets[i].subnet, nets[i].prefix, nets[i].internal };
	np = berth_xcalloc(n_ports + 1, sizeof(*np));
	for (size_t i = 0; i < n_ports; i++)
		np[i] = (struct berth_nft_port){ ports[i].host_ip, ports[i].host_port, ports[i].proto,
						 ctr_ips[i],	   ports[i].ctr_port,  ctr_ids[i] };
	text = berth_nft_ruleset(n->table, nn, n_nets, np, n_ports);
	r = berth_nft_run(text, err);
	berth_network_array_free(nets, n_nets);
	free(ports);
	return r < 0 ? berth_error_prefix(err, "rules of table ip %s", n->table) : 0;
}

/* docker's network name rule */
static bool name_valid(const char *s)
{
	if (!s || !isalnum((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

struct used_nets {
	uint32_t *nets;
	int *prefixes;
	size_t n;
};

static void add_used(void *opaque, uint32_t ip, int prefix)
{
	struct used_nets *u = opaque;

	u->nets = berth_xreallocarray(u->nets, u->n + 1, sizeof(*u->nets));
	u->prefixes = berth_xreallocarray(u->prefixes, u->n + 1, sizeof(*u->prefixes));
	u->nets[u->n] = ip & berth_ipv4_mask(prefix);
	u->prefixes[u->n++] = prefix;
}

static bool overlaps(const struct used_nets *u, size_t from, uint32_t net, int prefix)
{
	for (size_t i = from; i < u->n; i++)
		if (berth_cidr_overlap(u->nets[i], u->prefixes[i], net, prefix))
			return true;
	return false;
}

/*
 * The subnet of a new network: the one asked for (which must not overlap
 * another berth network), or the first 10.89.N.0/24 that overlaps neither
 * another network nor an address or route of the host.
 */
static int choose_subnet(struct berth_net *n, const struct berth_network_create *req, uint32_t *ret_net,
			 int *ret_prefix, struct berth_error *err)
{
	struct used_nets u = { 0 };
	size_t n_db = 0;
	int r;

	if ((r = berth_net_db_subnets(n, &u.nets, &u.prefixes, &n_db, err)) < 0)
		goto out;
	u.n = n_db;
	if (req->subnet) {
		if ((r = berth_cidr_parse(req->subnet, ret_net, ret_prefix, err)) < 0)
			goto out;
		if (overlaps(&u, 0, *ret_net, *ret_prefix))
			r = berth_error_setx(err, EEXIST, "invalid pool request: Pool overlaps with other one on this address space");
		goto out;
	}
	{
		_cleanup_(berth_nl_freep) struct berth_nl *nl = NULL;
		if ((r = berth_nl_open(&nl, err)) < 0 || (r = berth_nl_addr_list(nl, add_used, &u, err)) < 0 ||
		    (r = berth_nl_route_list(nl, add_used, &u, err)) < 0)
			goto out;
	}
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t net = (10u << 24) | (89u << 16) | (i << 8);
		if (!overlaps(&u, 0, net, 24)) {
			*ret_net = net;
			*ret_prefix = 24;
			goto out;
		}
	}
	r = berth_error_setx(err, ENOSPC, "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
out:
	free(u.nets);
	free(u.prefixes);
	return r;
}

static char *new_network_id(void)
{
	uint8_t b[32];
	char *s = berth_xmalloc(65);

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		abort();
	for (int i = 0; i < 32; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	return s;
}

int berth_net_create(struct berth_net *n, const struct berth_network_create *req, char **ret_id,
		     struct berth_error *err)
{
	struct berth_network net = { 0 };
	_cleanup_close_ int lock = -EBADF;
	int r;

	if (!name_valid(req->name))
		return berth_error_setx(err, EINVAL, "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
					req->name ? req->name : "");
	if (strcmp(req->name, "host") == 0 || strcmp(req->name, "none") == 0)
		return berth_error_setx(err, EPERM, "%s is a pre-defined network and cannot be created", req->name);
	if (req->driver && strcmp(req->driver, "bridge") != 0)
		return berth_error_setx(err, ENOTSUP, "plugin \"%s\" not found: berth has the bridge driver only", req->driver);
	net.id = new_network_id();
	net.name = berth_xstrdup(req->name);
	net.driver = berth_xstrdup("bridge");
	/* "bridge" is the default network: made again after an rm, on berth0 */
	net.bridge = strcmp(req->name, BERTH_NET_DEFAULT_NAME) == 0 ? berth_xstrdup(BERTH_NET_DEFAULT_BRIDGE)
								    : berth_xasprintf("br-%.12s", net.id);
	net.internal = req->internal;
	net.created = now_ns();
	net.labels = json_object();
	for (char *const *l = req->labels; l && *l; l++) {
		_cleanup_free_ char *k = berth_xstrdup(*l);
		char *eq = strchr(k, '=');
		if (eq)
			*eq = '\0';
		json_object_set_new(net.labels, k, json_string(eq ? eq + 1 : ""));
	}
	if ((lock = berth_net_lock(n, err)) < 0) {
		r = lock;
		goto out;
	}
	if ((r = choose_subnet(n, req, &net.subnet, &net.prefix, err)) < 0)
		goto out;
	net.gateway = net.subnet + 1;
	if (req->gateway) {
		if (berth_ipv4_parse(req->gateway, &net.gateway) < 0) {
			r = berth_error_setx(err, EINVAL, "invalid gateway address %s", req->gateway);
			goto out;
		}
		if (!berth_cidr_contains(net.subnet, net.prefix, net.gateway) || net.gateway == net.subnet ||
		    net.gateway == (net.subnet | ~berth_ipv4_mask(net.prefix))) {
			r = berth_error_setx(err, EINVAL, "invalid gateway %s: not a host address of the subnet", req->gateway);
			goto out;
		}
	}
	if ((r = berth_net_db_insert(n, &net, err)) < 0)
		goto out;
	if ((r = berth_net_sync_rules(n, err)) < 0) {
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		berth_net_db_delete(n, net.id, &ignore);
		goto out;
	}
	*ret_id = TAKE_PTR(net.id);
out:
	berth_network_release(&net);
	return r;
}

int berth_net_remove(struct berth_net *n, const char *ref, struct berth_error *err)
{
	_cleanup_(berth_nl_freep) struct berth_nl *nl = NULL;
	_cleanup_close_ int lock = -EBADF;
	struct berth_network net = { 0 };
	int r, count = 0;

	if (strcmp(ref, "host") == 0 || strcmp(ref, "none") == 0)
		return berth_error_setx(err, EPERM, "%s is a pre-defined network and cannot be removed", ref);
	if ((r = berth_net_get(n, ref, &net, err)) < 0)
		return r;
	if ((lock = berth_net_lock(n, err)) < 0) {
		r = lock;
		goto out;
	}
	if ((r = berth_net_count_endpoints(n, net.id, &count, err)) < 0)
		goto out;
	if (count > 0) {
		r = berth_error_setx(err, EBUSY, "error while removing network: network %s id %s has active endpoints",
				     net.name, net.id);
		goto out;
	}
	if ((r = berth_net_db_delete(n, net.id, err)) < 0)
		goto out;
	/* the row is gone: what follows is cleanup a sweep would also do */
	if ((r = berth_nl_open(&nl, err)) == 0)
		r = berth_nl_link_delete(nl, net.bridge, err);
	if (r == 0)
		r = berth_net_sync_rules(n, err);
out:
	berth_network_release(&net);
	return r;
}

int berth_net_inspect(struct berth_net *n, const struct berth_network *net, json_t **ret, struct berth_error *err)
{
	struct berth_endpoint *eps = NULL;
	size_t n_eps = 0;
	char sub[16], gw[16], created[64];
	_cleanup_free_ char *subnet = NULL;
	json_t *containers = json_object(), *o;
	time_t secs = (time_t)(net->created / 1000000000);
	struct tm tm;
	int r;

	if ((r = berth_net_db_endpoints(n, NULL, net->id, &eps, &n_eps, err)) < 0) {
		json_decref(containers);
		return r;
	}
	for (size_t i = 0; i < n_eps; i++) {
		char ip[16], mac[18];
		_cleanup_free_ char *addr = NULL;
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", eps[i].mac[0], eps[i].mac[1], eps[i].mac[2],
			 eps[i].mac[3], eps[i].mac[4], eps[i].mac[5]);
		addr = berth_xasprintf("%s/%d", berth_ipv4_format(eps[i].ip, ip), eps[i].prefix);
		json_object_set_new(containers, eps[i].container_id,
				    json_pack("{ss ss ss ss ss}", "Name", eps[i].name, "EndpointID", eps[i].container_id,
					      "MacAddress", mac, "IPv4Address", addr, "IPv6Address", ""));
	}
	berth_endpoint_array_free(eps, n_eps);
	gmtime_r(&secs, &tm);
	snprintf(created, sizeof(created), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)(net->created % 1000000000));
	subnet = berth_xasprintf("%s/%d", berth_ipv4_format(net->subnet, sub), net->prefix);
	berth_ipv4_format(net->gateway, gw);
	o = json_pack("{ss ss ss ss ss sb s{ss sn s[{ss ss}]} sb sb sb s{ss} sb so s{ss ss} sO}", "Name", net->name, "Id",
		      net->id, "Created", created, "Scope", "local", "Driver", net->driver, "EnableIPv6", 0, "IPAM",
		      "Driver", "default", "Options", "Config", "Subnet", subnet, "Gateway", gw, "Internal", net->internal,
		      "Attachable", 0, "Ingress", 0, "ConfigFrom", "Network", "", "ConfigOnly", 0, "Containers", containers,
		      "Options", "com.docker.network.bridge.name", net->bridge, "com.docker.network.driver.mtu", "1500",
		      "Labels", net->labels);
	if (!o)
		abort();
	*ret = o;
	return 0;
}
