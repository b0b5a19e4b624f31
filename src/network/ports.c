/* docker's port syntax and display. */
#include "network/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

/* "N" or "N-M", 1 <= N <= M <= 65535. */
static int parse_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		s = end + 1;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		b = strtoul(s, &end, 10);
	}
	if (*end || a == 0 || a > 65535 || b > 65535 || b < a)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int parse_proto(const char *s, char ret[4], struct berth_error *err)
{
	if (strcmp(s, "tcp") != 0 && strcmp(s, "udp") != 0)
		return berth_error_setx(err, EINVAL, "invalid proto: %s", s);
	strcpy(ret, s);
	return 0;
}

int berth_port_expose_parse(const char *s, uint16_t *ret_lo, uint16_t *ret_hi, char ret_proto[4],
			    struct berth_error *err)
{
	_cleanup_free_ char *copy = berth_xstrdup(s);
	char *slash = strrchr(copy, '/');
	int r;

	if (slash) {
		*slash = '\0';
		if ((r = parse_proto(slash + 1, ret_proto, err)) < 0)
			return r;
	} else {
		strcpy(ret_proto, "tcp");
	}
	if (parse_range(copy, ret_lo, ret_hi) < 0)
		return berth_error_setx(err, EINVAL, "invalid range format for --expose: %s", s);
	return 0;
}

int berth_port_spec_parse(const char *s, struct berth_port_spec **v, size_t *n, struct berth_error *err)
{
	_cleanup_free_ char *copy = berth_xstrdup(s);
	char proto[4] = "tcp", *ip = NULL, *host = NULL, *ctr, *slash, *c1, *c2;
	uint16_t clo, chi, hlo = 0, hhi = 0;
	uint32_t addr = 0;
	int r;

	slash = strrchr(copy, '/');
	if (slash) {
		*slash = '\0';
		if ((r = parse_proto(slash + 1, proto, err)) < 0)
			return r;
	}
	if (copy[0] == '[')
		return berth_error_setx(err, EINVAL, "invalid IP address: %s: berth publishes IPv4 ports only", copy);
	/* [ip:]host:ctr, ip may be empty ("::80" is not allowed, "127.0.0.1::80" is) */
	c1 = strchr(copy, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c2 && strchr(c2 + 1, ':'))
		return berth_error_setx(err, EINVAL, "invalid port specification: \"%s\"", s);
	if (c2) {
		ip = copy;
		*c1 = '\0';
		host = c1 + 1;
		*c2 = '\0';
		ctr = c2 + 1;
	} else if (c1) {
		host = copy;
		*c1 = '\0';
		ctr = c1 + 1;
	} else {
		ctr = copy;
	}
	if (ip && *ip) {
		struct in_addr in;
		if (inet_pton(AF_INET, ip, &in) != 1)
			return berth_error_setx(err, EINVAL, "invalid IP address: %s", ip);
		addr = ntohl(in.s_addr);
	}
	if (!*ctr)
		return berth_error_setx(err, EINVAL, "no port specified: %s<empty>", s);
	if (parse_range(ctr, &clo, &chi) < 0)
		return berth_error_setx(err, EINVAL, "invalid containerPort: %s", ctr);
	if (host && *host && parse_range(host, &hlo, &hhi) < 0)
		return berth_error_setx(err, EINVAL, "invalid hostPort: %s", host);
	if (hlo && chi != clo && hhi - hlo != chi - clo)
		return berth_error_setx(err, EINVAL, "invalid ranges specified for container and host Ports: %s and %s",
					ctr, host);
	for (unsigned p = clo; p <= chi; p++) {
		struct berth_port_spec *b;
		*v = berth_xreallocarray(*v, *n + 1, sizeof(**v));
		b = &(*v)[(*n)++];
		*b = (struct berth_port_spec){ .host_ip = addr, .ctr_port = (uint16_t)p };
		strcpy(b->proto, proto);
		if (hlo && clo == chi) {
			/* one container port, a host range: the first free one of it */
			b->host_port = hlo;
			b->host_port_end = hhi;
		} else if (hlo) {
			b->host_port = b->host_port_end = (uint16_t)(hlo + (p - clo));
		}
	}
	return 0;
}

static int mapping_cmp(const void *a, const void *b)
{
	const struct berth_port_mapping *x = a, *y = b;
	int c;

	if (x->ctr_port != y->ctr_port)
		return x->ctr_port < y->ctr_port ? -1 : 1;
	if ((c = strcmp(x->proto, y->proto)))
		return c;
	if (x->host_ip != y->host_ip)
		return x->host_ip < y->host_ip ? -1 : 1;
	return x->host_port < y->host_port ? -1 : x->host_port > y->host_port;
}

void berth_port_mappings_sort(struct berth_port_mapping *m, size_t n)
{
	if (n > 1)
		qsort(m, n, sizeof(*m), mapping_cmp);
}

static void append(char **out, const char *s)
{
	char *next = berth_xasprintf("%s%s%s", *out, **out ? ", " : "", s);

	free(*out);
	*out = next;
}

static void ip_string(uint32_t ip, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { htonl(ip) };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

char *berth_ports_format(const struct berth_port_mapping *m, size_t n, char *const *exposed)
{
	char *out = berth_xstrdup("");
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		char ip[INET_ADDRSTRLEN], item[128];

		/* a run of consecutive ports on the same address and protocol */
		while (j + 1 < n && m[j + 1].host_ip == m[i].host_ip && strcmp(m[j + 1].proto, m[i].proto) == 0 &&
		       m[j + 1].ctr_port == m[j].ctr_port + 1 && m[j + 1].host_port == m[j].host_port + 1)
			j++;
		ip_string(m[i].host_ip, ip);
		if (j == i)
			snprintf(item, sizeof(item), "%s:%u->%u/%s", ip, m[i].host_port, m[i].ctr_port, m[i].proto);
		else
			snprintf(item, sizeof(item), "%s:%u-%u->%u-%u/%s", ip, m[i].host_port, m[j].host_port, m[i].ctr_port,
				 m[j].ctr_port, m[i].proto);
		append(&out, item);
		i = j + 1;
	}
	for (; exposed && *exposed; exposed++)
		append(&out, *exposed);
	return out;
}

char *berth_port_mapping_format(const struct berth_port_mapping *m)
{
	char ip[INET_ADDRSTRLEN];

	ip_string(m->host_ip, ip);
	return berth_xasprintf("%u/%s -> %s:%u", m->ctr_port, m->proto, ip, m->host_port);
}
