#pragma once
/*
 * The engine's side of container networking (src/network/network.h): what
 * create, start, cleanup and rm call, and what the CLI asks about a
 * container's network.
 *
 *   --network bridge (default) or a user-defined network: a lease at
 *   create, the namespace <runroot>/netns/<id> (named in config.json, made
 *   at start, gone at cleanup), the lease given back at rm;
 *   none: a private namespace with lo only; host: the host's;
 *   container:NAME: NAME's namespace, looked up at each start.
 *
 * The record (the container's config JSON) keeps docker's fields:
 * HostConfig.NetworkMode, HostConfig.PortBindings, HostConfig.PublishAllPorts,
 * Config.ExposedPorts; the ports actually published live in the database
 * while the container runs.
 */
#include <jansson.h>

#include "engine/container.h"
#include "network/network.h"

/* create, before the row: the network request is one berth can honour (docker's messages). */
int berth_ctr_net_validate(struct berth_engine *e, const struct berth_create_request *req, struct berth_error *err);

/* create: the namespace the spec names (o->net_mode, o->net_ns_path; *ret_path owns the path). */
int berth_ctr_net_configure(struct berth_engine *e, const struct berth_create_request *req, const char *id,
			    struct berth_run_options *o, char **ret_path, struct berth_error *err);

/* create: docker's network fields in the record (image_config: the image's, for ExposedPorts). */
void berth_ctr_net_record(const struct berth_create_request *req, json_t *image_config, json_t *record);

/* create, after the record: the lease, and /etc/hosts with the container's address (its own and its peers'). */
int berth_ctr_net_create(struct berth_engine *e, const char *id, const char *name, json_t *record,
			 struct berth_error *err);

/* start, under the container's lock, before the runtime creates it. */
int berth_ctr_net_start(struct berth_engine *e, const struct berth_ctr *c, struct berth_error *err);
/* cleanup / a failed start: ports, veths, namespace (idempotent). */
int berth_ctr_net_stop(struct berth_engine *e, const struct berth_ctr *c, struct berth_error *err);
/* rm: the leases go back, the peers' hosts files forget it. */
int berth_ctr_net_remove(struct berth_engine *e, const char *id, struct berth_error *err);

/*
 * Engine start-up: tell the network layer how to see containers, and remove
 * the namespaces of containers that are gone (a crash during rm).
 */
int berth_ctr_net_init(struct berth_engine *e, struct berth_error *err);

/*
 * `berth network prune`: every leftover (namespaces, veths, ports of
 * containers that do not run, leases of containers that are gone, bridges
 * of networks that are gone), then the user-defined networks no container
 * uses (*ret_removed: their names, NULL-terminated).
 */
int berth_ctr_net_prune(struct berth_engine *e, struct berth_net_sweep_report *ret_report, char ***ret_removed,
			struct berth_error *err);

/* `berth network connect/disconnect`: a running container gets (loses) the interface at once. */
int berth_ctr_net_connect(struct berth_engine *e, const char *ctr_ref, const char *net_ref, char *const *aliases,
			  struct berth_error *err);
int berth_ctr_net_disconnect(struct berth_engine *e, const char *ctr_ref, const char *net_ref, bool force,
			     struct berth_error *err);

/*
 * The ports published for a container (none unless it runs), sorted:
 * `berth port` prints them with berth_port_mapping_format() ("80/tcp ->
 * 0.0.0.0:8081").
 */
int berth_ctr_ports(struct berth_engine *e, const struct berth_ctr *c, struct berth_port_mapping **ret, size_t *ret_n,
		    struct berth_error *err);

/*
 * docker ps's PORTS column: "0.0.0.0:8081->80/tcp, 443/tcp" (published,
 * then exposed but not published) for a running container, "" otherwise.
 * malloc'd; never fails (an unreadable database shows as "").
 */
char *berth_ctr_ports_string(struct berth_engine *e, const struct berth_ctr *c);

/* docker inspect's NetworkSettings for a container (new reference). */
json_t *berth_ctr_network_settings(struct berth_engine *e, const struct berth_ctr *c);
