#pragma once
/*
 * berth's NAT and port forwarding as one nftables table of its own
 * (`table ip berth`, or `berth_<hash>` for a store other than the default
 * one), generated whole from the store's state and swapped in one atomic
 * transaction through libnftables.  Nothing else's rules are touched; the
 * table's contents are a function of the database, so rebuilding it removes
 * exactly what is no longer there.
 *
 *   prerouting/output (nat): to a local address -> chain ports
 *   ports: DNAT through two maps, host address . proto . port and
 *          proto . port (0.0.0.0 bindings), to container address . port;
 *          each element carries a comment naming its container
 *   postrouting (nat): per network, masquerade what leaves the subnet,
 *          what comes from 127.0.0.0/8 (localhost DNAT, with route_localnet
 *          on the bridge) and DNAT'ed traffic between containers (hairpin)
 *   forward (filter): per network, drop traffic to other berth bridges
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct berth_nft_network {
	const char *bridge;
	uint32_t subnet; /* host byte order */
	int prefix;
	bool internal; /* no masquerade: no way out */
};

struct berth_nft_port {
	uint32_t host_ip; /* 0 = every local address */
	uint16_t host_port;
	const char *proto; /* "tcp", "udp" */
	uint32_t ctr_ip;
	uint16_t ctr_port;
	const char *ctr_id;
};

/* The table as nft(8) input: create-if-missing, delete, define (one transaction). malloc'd. */
char *berth_nft_ruleset(const char *table, const struct berth_nft_network *nets, size_t n_nets,
			const struct berth_nft_port *ports, size_t n_ports);

/*
 * One container's ports added to (or deleted from) the maps of an existing
 * table, in one transaction: cheaper than a rebuild (an add is ~0.3 ms; a
 * table swap waits for RCU grace periods).  malloc'd; "" when n is 0.
 */
char *berth_nft_ports_command(const char *table, bool add, const struct berth_nft_port *ports, size_t n);

/* Run nft(8) commands through libnftables; nft's own message on failure. */
int berth_nft_run(const char *commands, struct berth_error *err);

/* Delete the table if it is there. */
int berth_nft_delete_table(const char *table, struct berth_error *err);

/* `nft list table ip TABLE` (for inspection and tests); -ENOENT when there is none. */
int berth_nft_list_table(const char *table, char **ret, struct berth_error *err);
