/* rtnetlink over libmnl: links, addresses, routes. */
#include "network/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

struct berth_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
};

/* Requests are small; dumps come in pages of up to this. */
#define NL_BUF_SIZE 32768

int berth_nl_open(struct berth_nl **ret, struct berth_error *err)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	struct berth_nl *nl;

	if (!s)
		return berth_error_set(err, errno, "open a netlink socket");
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(s);
		return berth_error_set(err, e, "bind a netlink socket");
	}
	nl = berth_xzalloc(sizeof(*nl));
	nl->sock = s;
	nl->portid = mnl_socket_get_portid(s);
	nl->seq = (uint32_t)time(NULL);
	*ret = nl;
	return 0;
}

void berth_nl_free(struct berth_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

/*
 * Send one request and read until its ack (or the end of a dump), passing
 * every message to cb.  Returns 0 or -errno (the kernel's answer).
 */
static int talk(struct berth_nl *nl, struct nlmsghdr *h, mnl_cb_t cb, void *data)
{
	_cleanup_free_ char *buf = berth_xmalloc(NL_BUF_SIZE);
	ssize_t n;
	int r;

	h->nlmsg_seq = ++nl->seq;
	/* NLM_F_EXCL shares its bit with NLM_F_MATCH: a dump has both of NLM_F_DUMP's */
	if ((h->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		h->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, h, h->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, NL_BUF_SIZE);
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, h->nlmsg_seq, nl->portid, cb, data);
		if (r < 0)
			return errno ? -errno : -EIO;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *put_link_header(char *buf, uint16_t type, uint16_t flags, int family, int index)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = (unsigned char)family;
	ifi->ifi_index = index;
	return h;
}

struct link_get {
	int index;
	char *alias;
};

static int link_get_cb(const struct nlmsghdr *h, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	struct link_get *g = data;
	struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	g->index = ifi->ifi_index;
	mnl_attr_for_each(a, h, sizeof(*ifi))
		if (mnl_attr_get_type(a) == IFLA_IFALIAS) {
			free(g->alias);
			g->alias = berth_xstrdup(mnl_attr_get_str(a));
		}
	return MNL_CB_OK;
}

int berth_nl_link_get(struct berth_nl *nl, const char *name, int *ret_index, char **ret_alias, struct berth_error *err)
{
	char buf[1024];
	struct nlmsghdr *h = put_link_header(buf, RTM_GETLINK, 0, AF_UNSPEC, 0);
	struct link_get g = { 0 };
	int r;

	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	r = talk(nl, h, link_get_cb, &g);
	if (r == -ENODEV || r == -ENOENT || (r == 0 && g.index <= 0)) {
		free(g.alias);
		return -ENODEV;
	}
	if (r < 0) {
		free(g.alias);
		return berth_error_set(err, -r, "netlink: get link \"%s\"", name);
	}
	*ret_index = g.index;
	if (ret_alias)
		*ret_alias = g.alias ? g.alias : berth_xstrdup("");
	else
		free(g.alias);
	return 0;
}

int berth_nl_link_index(struct berth_nl *nl, const char *name, int *ret_index, struct berth_error *err)
{
	return berth_nl_link_get(nl, name, ret_index, NULL, err);
}

int berth_nl_bridge_create(struct berth_nl *nl, const char *name, struct berth_error *err)
{
	char buf[1024];
	struct nlmsghdr *h = put_link_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	struct nlattr *info;
	int r;

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(h, info);
	if ((r = talk(nl, h, NULL, NULL)) < 0)
		return berth_error_set(err, -r, "netlink: create bridge \"%s\"", name);
	return 0;
}

int berth_nl_veth_create(struct berth_nl *nl, const char *host_name, int master_index, const char *peer_name,
			 int netns_fd, const uint8_t mac[6], struct berth_error *err)
{
	char buf[2048];
	struct nlmsghdr *h = put_link_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h), *peer;
	struct nlattr *info, *data, *peer_attr;
	int r;

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(h, IFLA_IFNAME, host_name);
	if (master_index > 0)
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master_index);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	peer_attr = mnl_attr_nest_start(h, VETH_INFO_PEER);
	/* the peer's attributes follow its own ifinfomsg; it cannot be up before it has a peer (ENOTCONN) */
	peer = mnl_nlmsg_put_extra_header(h, sizeof(*peer));
	peer->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, peer_name);
	mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	if (mac)
		mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
	mnl_attr_nest_end(h, peer_attr);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, info);
	if ((r = talk(nl, h, NULL, NULL)) < 0)
		return berth_error_set(err, -r, "netlink: create veth \"%s\"", host_name);
	return 0;
}

int berth_nl_link_tag(struct berth_nl *nl, const char *name, const char *alias, bool hairpin,
		      struct berth_error *err)
{
	char buf[2048];
	struct nlmsghdr *h = put_link_header(buf, RTM_NEWLINK, 0, AF_UNSPEC, 0);
	int r;

	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	if (alias)
		mnl_attr_put_str(h, IFLA_IFALIAS, alias);
	if (hairpin) {
		struct nlattr *info = mnl_attr_nest_start(h, IFLA_LINKINFO), *data;
		mnl_attr_put_strz(h, IFLA_INFO_SLAVE_KIND, "bridge");
		data = mnl_attr_nest_start(h, IFLA_INFO_SLAVE_DATA);
		mnl_attr_put_u8(h, IFLA_BRPORT_MODE, 1);
		mnl_attr_nest_end(h, data);
		mnl_attr_nest_end(h, info);
	}
	if ((r = talk(nl, h, NULL, NULL)) < 0)
		return berth_error_set(err, -r, "netlink: configure link \"%s\"", name);
	return 0;
}

int berth_nl_link_up(struct berth_nl *nl, int index, struct berth_error *err)
{
	char buf[512];
	struct nlmsghdr *h = put_link_header(buf, RTM_NEWLINK, 0, AF_UNSPEC, index);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	int r;

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if ((r = talk(nl, h, NULL, NULL)) < 0)
		return berth_error_set(err, -r, "netlink: set link %d up", index);
	return 0;
}

int berth_nl_link_delete(struct berth_nl *nl, const char *name, struct berth_error *err)
{
	char buf[512];
	struct nlmsghdr *h = put_link_header(buf, RTM_DELLINK, 0, AF_UNSPEC, 0);
	int r;

	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	r = talk(nl, h, NULL, NULL);
	if (r == -ENODEV || r == -ENOENT)
		return 0;
	if (r < 0)
		return berth_error_set(err, -r, "netlink: delete link \"%s\"", name);
	return 0;
}

int berth_nl_addr_add(struct berth_nl *nl, int index, uint32_t ip, int prefix, struct berth_error *err)
{
	char buf[512];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	uint32_t be = htonl(ip), brd = htonl(prefix >= 31 ? 0 : ip | (prefix ? 0xffffffffu >> prefix : 0xffffffffu));
	int r;

	h->nlmsg_type = RTM_NEWADDR;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)index;
	mnl_attr_put_u32(h, IFA_LOCAL, be);
	mnl_attr_put_u32(h, IFA_ADDRESS, be);
	if (brd)
		mnl_attr_put_u32(h, IFA_BROADCAST, brd);
	r = talk(nl, h, NULL, NULL);
	if (r == -EEXIST)
		return 0;
	if (r < 0) {
		char s[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &be, s, sizeof(s));
		return berth_error_set(err, -r, "netlink: add address %s/%d", s, prefix);
	}
	return 0;
}

int berth_nl_route_add_default(struct berth_nl *nl, uint32_t gateway, int index, struct berth_error *err)
{
	char buf[512];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct rtmsg *rt;
	int r;

	h->nlmsg_type = RTM_NEWROUTE;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = 0;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(h, RTA_GATEWAY, htonl(gateway));
	mnl_attr_put_u32(h, RTA_OIF, (uint32_t)index);
	r = talk(nl, h, NULL, NULL);
	if (r < 0)
		return berth_error_set(err, -r, "netlink: add the default route");
	return 0;
}

struct link_list_ctx {
	berth_nl_link_fn fn;
	void *opaque;
};

static int link_list_cb(const struct nlmsghdr *h, void *data)
{
	struct link_list_ctx *ctx = data;
	const char *name = NULL, *alias = "", *kind = "";
	struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_for_each(a, h, sizeof(struct ifinfomsg))
	{
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			name = mnl_attr_get_str(a);
			break;
		case IFLA_IFALIAS:
			alias = mnl_attr_get_str(a);
			break;
		case IFLA_LINKINFO: {
			struct nlattr *i;
			mnl_attr_for_each_nested(i, a)
				if (mnl_attr_get_type(i) == IFLA_INFO_KIND)
					kind = mnl_attr_get_str(i);
			break;
		}
		default:
			break;
		}
	}
	if (name)
		ctx->fn(ctx->opaque, name, kind, alias);
	return MNL_CB_OK;
}

int berth_nl_link_list(struct berth_nl *nl, berth_nl_link_fn fn, void *opaque, struct berth_error *err)
{
	char buf[512];
	struct nlmsghdr *h = put_link_header(buf, RTM_GETLINK, NLM_F_DUMP, AF_UNSPEC, 0);
	struct link_list_ctx ctx = { fn, opaque };
	int r = talk(nl, h, link_list_cb, &ctx);

	return r < 0 ? berth_error_set(err, -r, "netlink: list links") : 0;
}

struct addr_list_ctx {
	berth_nl_addr_fn fn;
	void *opaque;
};

static int addr_list_cb(const struct nlmsghdr *h, void *data)
{
	struct addr_list_ctx *ctx = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(h);
	struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET)
		return MNL_CB_OK;
	mnl_attr_for_each(a, h, sizeof(*ifa))
		if (mnl_attr_get_type(a) == IFA_LOCAL && mnl_attr_get_payload_len(a) == 4)
			ctx->fn(ctx->opaque, ntohl(mnl_attr_get_u32(a)), ifa->ifa_prefixlen);
	return MNL_CB_OK;
}

int berth_nl_addr_list(struct berth_nl *nl, berth_nl_addr_fn fn, void *opaque, struct berth_error *err)
{
	char buf[512];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct addr_list_ctx ctx = { fn, opaque };
	int r;

	h->nlmsg_type = RTM_GETADDR;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	r = talk(nl, h, addr_list_cb, &ctx);
	return r < 0 ? berth_error_set(err, -r, "netlink: list addresses") : 0;
}

static int route_list_cb(const struct nlmsghdr *h, void *data)
{
	struct addr_list_ctx *ctx = data;
	const struct rtmsg *rt = mnl_nlmsg_get_payload(h);
	struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWROUTE || rt->rtm_family != AF_INET || rt->rtm_table != RT_TABLE_MAIN ||
	    rt->rtm_dst_len == 0)
		return MNL_CB_OK;
	mnl_attr_for_each(a, h, sizeof(*rt))
		if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_get_payload_len(a) == 4)
			ctx->fn(ctx->opaque, ntohl(mnl_attr_get_u32(a)), rt->rtm_dst_len);
	return MNL_CB_OK;
}

int berth_nl_route_list(struct berth_nl *nl, berth_nl_addr_fn fn, void *opaque, struct berth_error *err)
{
	char buf[512];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct rtmsg *rt;
	struct addr_list_ctx ctx = { fn, opaque };
	int r;

	h->nlmsg_type = RTM_GETROUTE;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
	rt->rtm_family = AF_INET;
	r = talk(nl, h, route_list_cb, &ctx);
	return r < 0 ? berth_error_set(err, -r, "netlink: list routes") : 0;
}
