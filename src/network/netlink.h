#pragma once
/*
 * The few rtnetlink requests berth's networking needs, over libmnl: links
 * (bridges, veth pairs), IPv4 addresses and default routes.  A socket works
 * in the network namespace of the thread that opened it (netns.h opens one
 * inside a container's namespace).  Never `ip`.
 */
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct berth_nl;

/* A NETLINK_ROUTE socket in the calling thread's network namespace. */
int berth_nl_open(struct berth_nl **ret, struct berth_error *err);
void berth_nl_free(struct berth_nl *nl);
static inline void berth_nl_freep(struct berth_nl **nl)
{
	if (*nl)
		berth_nl_free(*nl);
}

/* The index of a link by name: -ENODEV when there is none (err untouched then). */
int berth_nl_link_index(struct berth_nl *nl, const char *name, int *ret_index, struct berth_error *err);
/* The same, and its alias (ret_alias: malloc'd, "" when none). */
int berth_nl_link_get(struct berth_nl *nl, const char *name, int *ret_index, char **ret_alias, struct berth_error *err);

/* A bridge, up; -EEXIST when the name is taken (err set). */
int berth_nl_bridge_create(struct berth_nl *nl, const char *name, struct berth_error *err);

/*
 * A veth pair: host_name attached to the bridge master_index and up, its
 * peer created directly inside the namespace netns_fd as peer_name with
 * the MAC address mac, down (the kernel cannot bring it up yet).
 */
int berth_nl_veth_create(struct berth_nl *nl, const char *host_name, int master_index, const char *peer_name,
			 int netns_fd, const uint8_t mac[6], struct berth_error *err);

/*
 * Set a link's alias (ifalias: berth tags the host side of its interfaces
 * with it, so a sweep knows what is its own) and, when hairpin, the bridge
 * port's hairpin mode (a container reaching itself through a published port).
 */
int berth_nl_link_tag(struct berth_nl *nl, const char *name, const char *alias, bool hairpin,
		      struct berth_error *err);

int berth_nl_link_up(struct berth_nl *nl, int index, struct berth_error *err);

/* Delete a link by name; one that is not there is fine. */
int berth_nl_link_delete(struct berth_nl *nl, const char *name, struct berth_error *err);

/* ip (host byte order)/prefix on a link; an address already there is fine. */
int berth_nl_addr_add(struct berth_nl *nl, int index, uint32_t ip, int prefix, struct berth_error *err);

/* A default route via gateway (host byte order) out of the link. */
int berth_nl_route_add_default(struct berth_nl *nl, uint32_t gateway, int index, struct berth_error *err);

/* Every link: name, kind ("veth", "bridge", "" when unknown) and alias ("" when none). */
typedef void (*berth_nl_link_fn)(void *opaque, const char *name, const char *kind, const char *alias);
int berth_nl_link_list(struct berth_nl *nl, berth_nl_link_fn fn, void *opaque, struct berth_error *err);

/* Every IPv4 address on any link, with its prefix (host byte order). */
typedef void (*berth_nl_addr_fn)(void *opaque, uint32_t ip, int prefix);
int berth_nl_addr_list(struct berth_nl *nl, berth_nl_addr_fn fn, void *opaque, struct berth_error *err);

/* Every IPv4 route of the main table: destination and prefix (host byte order). */
int berth_nl_route_list(struct berth_nl *nl, berth_nl_addr_fn fn, void *opaque, struct berth_error *err);
