#pragma once
/*
 * Published ports: docker's -p syntax, EXPOSE'd ports, and the strings
 * `docker ps` and `docker port` print.  Pure: no I/O, unit-tested.
 * IPv4 only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* One container port to publish (a -p value expands to one per container port). */
struct berth_port_spec {
	uint32_t host_ip;       /* host byte order; 0 = every address (0.0.0.0) */
	uint16_t host_port;     /* 0 = any free port */
	uint16_t host_port_end; /* a range to pick a free one from ("8000-8010:80"), else = host_port */
	uint16_t ctr_port;
	char proto[4]; /* "tcp" or "udp" */
};

/*
 * Append the bindings of one -p value to *v (*n entries):
 *   80   80/udp   8080:80   127.0.0.1:8080:80   127.0.0.1::80
 *   8000-8001:80-81   8000-8010:80   80-81
 * Fails with docker's messages ("invalid containerPort: x", "invalid proto: x", ...).
 */
int berth_port_spec_parse(const char *s, struct berth_port_spec **v, size_t *n, struct berth_error *err);

/* An EXPOSE / --expose value: "80", "80/udp", "8000-8010/tcp". */
int berth_port_expose_parse(const char *s, uint16_t *ret_lo, uint16_t *ret_hi, char ret_proto[4],
			    struct berth_error *err);

/* A published port as programmed for a running container. */
struct berth_port_mapping {
	uint32_t host_ip; /* host byte order, 0 = 0.0.0.0 */
	uint16_t host_port;
	uint16_t ctr_port;
	char proto[4];
};

/* Sort by container port, protocol, host address, host port (docker's order). */
void berth_port_mappings_sort(struct berth_port_mapping *m, size_t n);

/*
 * docker ps's PORTS: "0.0.0.0:8081->80/tcp, 127.0.0.1:8082->81/tcp",
 * consecutive ports compacted ("0.0.0.0:8080-8081->80-81/tcp"), then the
 * exposed ports that are not published ("443/tcp", NULL-terminated, may be
 * NULL).  malloc'd; "" when there is nothing.
 */
char *berth_ports_format(const struct berth_port_mapping *m, size_t n, char *const *exposed);

/* "80/tcp -> 0.0.0.0:8081" (docker port). */
char *berth_port_mapping_format(const struct berth_port_mapping *m);
