#pragma once
/*
 * Container networking for one store: bridge networks, their address
 * leases, veth pairs into per-container network namespaces, NAT and
 * published ports.
 *
 *   networks        rows in the store's database (berth.db): the default
 *                   "bridge" (bridge berth0, 10.88.0.0/16) and user-defined
 *                   bridges ("br-" + 12 hex of the id, 10.89.N.0/24 unless
 *                   --subnet); a bridge is made on first use
 *   leases          one row per container and network (net_endpoints), the
 *                   address picked inside an IMMEDIATE transaction under a
 *                   UNIQUE(network, ip) constraint: concurrent berths never
 *                   share one; taken at create or connect, given back on rm
 *                   or disconnect
 *   namespaces      <runroot>/netns/<id>, made before the runtime creates
 *                   the container (which joins it by path), the veth pairs
 *                   inside; removed when the container stops
 *   nftables        one table of the store's own (nft.h), rebuilt from the
 *                   database whenever networks or published ports change
 *   names           containers on the same user-defined network find each
 *                   other through /etc/hosts: berth writes every member's
 *                   hosts file (in place: it is bind-mounted) whenever a
 *                   container joins or leaves.  No DNS server.
 *
 * Interfaces berth makes in the host namespace carry an alias naming the
 * store's table and their owner, so a sweep removes only its own leftovers.
 * A store's networking assumes it is the only berth store using its
 * bridges: two stores in one network namespace share berth0 and may hand
 * out the same address (give each its own namespace, as the tests do).
 *
 * Everything here is IPv4.  Root only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "network/ports.h"
#include "util/error.h"

struct berth_db;
struct berth_net;

#define BERTH_NET_DEFAULT_NAME "bridge"
#define BERTH_NET_DEFAULT_BRIDGE "berth0"
#define BERTH_NET_DEFAULT_SUBNET "10.88.0.0/16"

/*
 * The networking of the store whose database is db.  root is the store's
 * root (it names the nftables table), run_root holds the namespaces and the
 * lock, ctr_dir the containers (<ctr_dir>/<id>/hosts).  Creates the tables
 * and the default network on first use.
 */
int berth_net_open(struct berth_db *db, const char *root, const char *run_root, const char *ctr_dir,
		   struct berth_net **ret, struct berth_error *err);
void berth_net_free(struct berth_net *n);

/* The nftables table of this store ("berth" for /var/lib/berth, else "berth_<hash>"). */
const char *berth_net_table(const struct berth_net *n);

struct berth_network {
	char *id; /* 64 hex */
	char *name;
	char *driver; /* "bridge" */
	char *bridge; /* interface name */
	uint32_t subnet, gateway; /* host byte order */
	int prefix;
	bool internal;
	json_t *labels; /* object */
	int64_t created; /* unix ns */
};
void berth_network_release(struct berth_network *net);
void berth_network_array_free(struct berth_network *v, size_t n);

struct berth_network_create {
	const char *name;
	const char *driver;  /* NULL or "bridge" */
	const char *subnet;  /* NULL = the next free 10.89.N.0/24 */
	const char *gateway; /* NULL = the subnet's first address */
	char **labels;       /* "k=v" */
	bool internal;
};

/* docker's messages: "network with name x already exists", ... */
int berth_net_create(struct berth_net *n, const struct berth_network_create *req, char **ret_id,
		     struct berth_error *err);
/* By name, full id or unique id prefix: -ENOENT "network x not found". */
int berth_net_get(struct berth_net *n, const char *ref, struct berth_network *ret, struct berth_error *err);
/* Oldest first. */
int berth_net_list(struct berth_net *n, struct berth_network **ret, size_t *ret_n, struct berth_error *err);
/* Refuses while containers are connected (-EBUSY, docker's message). */
int berth_net_remove(struct berth_net *n, const char *ref, struct berth_error *err);
/* docker network inspect's object, with its connected containers. */
int berth_net_inspect(struct berth_net *n, const struct berth_network *net, json_t **ret, struct berth_error *err);
/* How many containers are connected. */
int berth_net_count_endpoints(struct berth_net *n, const char *network_id, int *ret, struct berth_error *err);

/* A container's lease on one network. */
struct berth_endpoint {
	char *container_id;
	char *network_id, *network_name, *bridge;
	uint32_t ip, gateway, subnet; /* host byte order */
	int prefix;
	int ifnum; /* eth<ifnum> in the container */
	uint8_t mac[6];
	char *name, *hostname;
	char **aliases; /* --network-alias */
};
void berth_endpoint_release(struct berth_endpoint *ep);
void berth_endpoint_array_free(struct berth_endpoint *v, size_t n);

/*
 * Lease an address on a network for a container (connect, create): the
 * next free address, eth<N> with the lowest free N.  name and hostname are
 * what peers' /etc/hosts will call it.  -EEXIST when it is connected already.
 */
int berth_net_endpoint_add(struct berth_net *n, const char *ctr_id, const char *network_ref, const char *name,
			   const char *hostname, char *const *aliases, struct berth_endpoint *ret,
			   struct berth_error *err);
/* Give back the lease on one network (network_ref) or on all (NULL), and rewrite the peers' hosts files. */
int berth_net_endpoint_remove(struct berth_net *n, const char *ctr_id, const char *network_ref,
			      struct berth_error *err);
/* A container has a new name: its leases say so, its peers' hosts files too. */
int berth_net_rename(struct berth_net *n, const char *ctr_id, const char *name, struct berth_error *err);

/* A container's leases, by ifnum. */
int berth_net_endpoints(struct berth_net *n, const char *ctr_id, struct berth_endpoint **ret, size_t *ret_n,
			struct berth_error *err);

/* "<runroot>/netns/<id>" (malloc'd). */
char *berth_net_netns_path(const struct berth_net *n, const char *ctr_id);

/*
 * Bring a container's network up before its process starts: its namespace
 * at berth_net_netns_path(), lo up, one veth pair per lease (bridges made
 * as needed), addresses, the default route via the first network, then the
 * ports published (host ports picked where the spec leaves them open;
 * -EADDRINUSE with docker's message when taken).  On failure nothing is
 * left.  Each port spec goes to the container's first address.
 */
int berth_net_attach(struct berth_net *n, const char *ctr_id, const char *ctr_name,
		     const struct berth_port_spec *ports, size_t n_ports, struct berth_error *err);

/* Tear it down: ports, veths, namespace.  Idempotent; leases stay. */
int berth_net_detach(struct berth_net *n, const char *ctr_id, struct berth_error *err);

/* Connect a running container (namespace up) to one more network: its veth now. */
int berth_net_attach_endpoint(struct berth_net *n, const char *ctr_id, const struct berth_endpoint *ep,
			      struct berth_error *err);
/* The reverse: remove the veth of one lease from a running container. */
int berth_net_detach_endpoint(struct berth_net *n, const char *ctr_id, const struct berth_endpoint *ep,
			      struct berth_error *err);

/* The ports published for a running container, sorted. */
int berth_net_ports(struct berth_net *n, const char *ctr_id, struct berth_port_mapping **ret, size_t *ret_n,
		    struct berth_error *err);

/*
 * Write <ctr_dir>/<id>/hosts: localhost, the container's own address and
 * hostname, then the other containers of each of its user-defined
 * networks.  A container without a lease keeps the file create wrote.
 */
int berth_net_write_hosts(struct berth_net *n, const char *ctr_id, struct berth_error *err);

/* What a sweep found and removed. */
struct berth_net_sweep_report {
	unsigned netns, veths, bridges, ports, leases;
};

/* How a sweep sees a container (the engine answers: it knows processes and locks). */
enum berth_net_ctr_state {
	BERTH_NET_CTR_GONE,    /* no such container */
	BERTH_NET_CTR_STOPPED, /* not running, and nobody is changing it */
	BERTH_NET_CTR_ACTIVE,  /* running, or being started/stopped right now: hands off */
};
/*
 * For STOPPED, *ret_lock is the container's lock, held so that nobody starts
 * it while the sweep cleans up after it (the sweep closes it); else -1.
 */
typedef enum berth_net_ctr_state (*berth_net_ctr_state_fn)(void *opaque, const char *ctr_id, int *ret_lock);

/*
 * How attach asks whether the holder of a host port it wants still runs: a
 * container that does not (its monitor was killed, or its cleanup has not
 * run yet) loses its ports to the new one.  Without it, a taken port is taken.
 */
void berth_net_set_ctr_state(struct berth_net *n, berth_net_ctr_state_fn state, void *opaque);

/*
 * Remove what crashes left: namespaces, host veths and published ports of
 * containers that are not running, leases of containers that are gone,
 * bridges of networks that are gone; then rebuild the nftables table.
 * orphans_only: only namespaces whose container is gone (cheap; for every
 * engine start).
 */
int berth_net_sweep(struct berth_net *n, bool orphans_only, berth_net_ctr_state_fn state, void *opaque,
		    struct berth_net_sweep_report *ret, struct berth_error *err);

/*
 * Rebuild the nftables table from the database (networks, published ports).
 */
int berth_net_sync_rules(struct berth_net *n, struct berth_error *err);
