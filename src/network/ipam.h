#pragma once
/*
 * IPv4 address arithmetic for berth's address management: subnets, the
 * next free address of a subnet.  Pure; the leases themselves live in the
 * store's database (net-db.h), taken inside a transaction.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Addresses are uint32_t in host byte order throughout. */

int berth_ipv4_parse(const char *s, uint32_t *ret);
/* Dotted quad into buf (16 bytes); returns buf. */
char *berth_ipv4_format(uint32_t ip, char buf[16]);

static inline uint32_t berth_ipv4_mask(int prefix)
{
	return prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);
}

/*
 * "10.88.0.0/16": fails on junk, a prefix over /30 (no room for a gateway and
 * a container) and host bits set ("10.88.0.1/16"), with docker's wording.
 */
int berth_cidr_parse(const char *s, uint32_t *ret_net, int *ret_prefix, struct berth_error *err);

static inline bool berth_cidr_contains(uint32_t net, int prefix, uint32_t ip)
{
	return (ip & berth_ipv4_mask(prefix)) == net;
}

static inline bool berth_cidr_overlap(uint32_t a, int pa, uint32_t b, int pb)
{
	int p = pa < pb ? pa : pb;

	return (a & berth_ipv4_mask(p)) == (b & berth_ipv4_mask(p));
}

/*
 * The lowest address of net/prefix that is not the network or broadcast
 * address, not the gateway and not in used (any order).  -ENOSPC when the
 * subnet is full.
 */
int berth_ipam_pick(uint32_t net, int prefix, uint32_t gateway, const uint32_t *used, size_t n_used,
		    uint32_t *ret);

/* docker's MAC for an address: 02:42 and the four bytes of the address. */
void berth_ipam_mac(uint32_t ip, uint8_t mac[6]);
