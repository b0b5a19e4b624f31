#pragma once
/* Between the files of src/network. */
#include <sqlite3.h>

#include "network/network.h"
#include "network/nft.h"

struct berth_net {
	struct berth_db *db;
	sqlite3 *h;
	char *root;
	char *run_root;
	char *netns_dir;  /* <runroot>/netns */
	char *lock_path;  /* <runroot>/network.lock */
	char *ctr_dir;
	char *table;      /* the nftables table; also the tag in host interfaces' aliases */
	berth_net_ctr_state_fn ctr_state; /* optional (berth_net_set_ctr_state) */
	void *ctr_state_opaque;
};

/*
 * The store's network lock (flock, exclusive): bridge creation, rule
 * rebuilds and hosts files are serialised by it; leases by SQLite.  Taken
 * after a container's lock, never before one.  Returns the fd.
 */
int berth_net_lock(struct berth_net *n, struct berth_error *err);

/* net-db.c: the tables */
int berth_net_db_init(struct berth_net *n, struct berth_error *err);
int berth_net_db_insert(struct berth_net *n, const struct berth_network *net, struct berth_error *err);
int berth_net_db_delete(struct berth_net *n, const char *id, struct berth_error *err);
/* The subnets of every network (for picking a free one). */
int berth_net_db_subnets(struct berth_net *n, uint32_t **ret_nets, int **ret_prefixes, size_t *ret_n,
			 struct berth_error *err);
/* Leases: of a container (ctr_id) or on a network (network_id); one of them NULL. */
int berth_net_db_endpoints(struct berth_net *n, const char *ctr_id, const char *network_id,
			   struct berth_endpoint **ret, size_t *ret_n, struct berth_error *err);
int berth_net_db_endpoint_insert(struct berth_net *n, const struct berth_network *net, const char *ctr_id,
				 const char *name, const char *hostname, char *const *aliases, uint32_t *ret_ip,
				 int *ret_ifnum, struct berth_error *err);
int berth_net_db_endpoint_rename(struct berth_net *n, const char *ctr_id, const char *name, struct berth_error *err);
int berth_net_db_endpoint_delete(struct berth_net *n, const char *ctr_id, const char *network_id,
				 struct berth_error *err);
/* Containers holding a lease or a published port (NULL-terminated, distinct). */
int berth_net_db_containers(struct berth_net *n, char ***ret, struct berth_error *err);

/* Ports: reserve a container's (picking free host ports), drop them, read them. */
typedef bool (*berth_net_port_free_fn)(uint32_t host_ip, uint16_t port, const char *proto);
int berth_net_db_ports_reserve(struct berth_net *n, const char *ctr_id, const char *ctr_name, uint32_t ctr_ip,
			       const struct berth_port_spec *specs, size_t n_specs, berth_net_port_free_fn port_free,
			       struct berth_error *err);
int berth_net_db_ports_release(struct berth_net *n, const char *ctr_id, struct berth_error *err);
/* The other containers holding the fixed host ports of specs (NULL-terminated, distinct). */
int berth_net_db_port_holders(struct berth_net *n, const char *ctr_id, const struct berth_port_spec *specs,
			      size_t n_specs, char ***ret, struct berth_error *err);
/* ctr_id NULL: every container's; ret_ctr_ips/ret_ctr_ids optional (for the nftables maps). */
int berth_net_db_ports(struct berth_net *n, const char *ctr_id, struct berth_port_mapping **ret, uint32_t **ret_ctr_ips,
		       char ***ret_ctr_ids, size_t *ret_n, struct berth_error *err);

/* hosts.c */
char *berth_net_hosts_content(const char *hostname, const struct berth_endpoint *own, size_t n_own,
			      const struct berth_endpoint *peers, size_t n_peers);
/* Rewrite the hosts files of every container on a user-defined network. */
int berth_net_rewrite_hosts_of_network(struct berth_net *n, const char *network_id, struct berth_error *err);
