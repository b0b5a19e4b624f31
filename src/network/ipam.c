/* IPv4 subnets and picking a free address. */
#include "network/ipam.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

int berth_ipv4_parse(const char *s, uint32_t *ret)
{
	struct in_addr in;

	if (!s || inet_pton(AF_INET, s, &in) != 1)
		return -EINVAL;
	*ret = ntohl(in.s_addr);
	return 0;
}

char *berth_ipv4_format(uint32_t ip, char buf[16])
{
	struct in_addr in = { htonl(ip) };

	inet_ntop(AF_INET, &in, buf, 16);
	return buf;
}

int berth_cidr_parse(const char *s, uint32_t *ret_net, int *ret_prefix, struct berth_error *err)
{
	_cleanup_free_ char *copy = berth_xstrdup(s);
	char *slash = strchr(copy, '/'), *end;
	uint32_t ip;
	long prefix;

	if (!slash)
		return berth_error_setx(err, EINVAL, "invalid CIDR address: %s", s);
	*slash = '\0';
	prefix = strtol(slash + 1, &end, 10);
	if (berth_ipv4_parse(copy, &ip) < 0 || slash[1] < '0' || slash[1] > '9' || *end || prefix < 0 || prefix > 32)
		return berth_error_setx(err, EINVAL, "invalid CIDR address: %s", s);
	if (prefix < 8 || prefix > 30)
		return berth_error_setx(err, EINVAL, "invalid subnet %s: the prefix must be between /8 and /30", s);
	if (ip & ~berth_ipv4_mask((int)prefix)) {
		char buf[16];
		return berth_error_setx(err, EINVAL, "invalid subnet %s : it should be %s/%ld", s,
					berth_ipv4_format(ip & berth_ipv4_mask((int)prefix), buf), prefix);
	}
	*ret_net = ip;
	*ret_prefix = (int)prefix;
	return 0;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int berth_ipam_pick(uint32_t net, int prefix, uint32_t gateway, const uint32_t *used, size_t n_used,
		    uint32_t *ret)
{
	_cleanup_free_ uint32_t *sorted = NULL;
	uint32_t first = net + 1, last = (net | ~berth_ipv4_mask(prefix)) - 1, candidate = first;
	size_t i = 0;

	if (n_used) {
		sorted = berth_xcalloc(n_used, sizeof(*sorted));
		memcpy(sorted, used, n_used * sizeof(*sorted));
		qsort(sorted, n_used, sizeof(*sorted), u32_cmp);
	}
	/* walk the sorted leases alongside the candidates: the first gap wins */
	for (; candidate <= last && candidate >= first; candidate++) {
		while (i < n_used && sorted[i] < candidate)
			i++;
		if (candidate == gateway || (i < n_used && sorted[i] == candidate))
			continue;
		*ret = candidate;
		return 0;
	}
	return -ENOSPC;
}

void berth_ipam_mac(uint32_t ip, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	mac[2] = (uint8_t)(ip >> 24);
	mac[3] = (uint8_t)(ip >> 16);
	mac[4] = (uint8_t)(ip >> 8);
	mac[5] = (uint8_t)ip;
}
