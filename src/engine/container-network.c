/* Containers on networks: the engine's calls into src/network, and what the CLI asks about ports. */
#include "engine/container-network.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine/container-internal.h"
#include "network/ipam.h"
#include "network/netns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

enum net_mode {
	MODE_NETWORK, /* the default bridge or a user-defined network */
	MODE_NONE,
	MODE_HOST,
	MODE_CONTAINER,
};

/* The mode of a --network value; *ret_target: the network, or the container for container:NAME. */
static enum net_mode parse_mode(const char *network, const char **ret_target)
{
	*ret_target = BERTH_NET_DEFAULT_NAME;
	if (!network || strcmp(network, "default") == 0 || strcmp(network, BERTH_NET_DEFAULT_NAME) == 0)
		return MODE_NETWORK;
	if (strcmp(network, "none") == 0)
		return MODE_NONE;
	if (strcmp(network, "host") == 0)
		return MODE_HOST;
	if (strncmp(network, "container:", 10) == 0) {
		*ret_target = network + 10;
		return MODE_CONTAINER;
	}
	*ret_target = network;
	return MODE_NETWORK;
}

static const char *record_mode(const struct berth_ctr *c)
{
	return json_string_value(json_object_get(json_object_get(c->config, "HostConfig"), "NetworkMode"));
}

int berth_ctr_net_validate(struct berth_engine *e, const struct berth_create_request *req, struct berth_error *err)
{
	const char *target;
	enum net_mode mode = parse_mode(req->network, &target);
	bool publishes = req->n_ports || req->publish_all;
	int r;

	if (mode == MODE_NETWORK) {
		struct berth_network net = { 0 };
		if ((r = berth_net_get(e->net, target, &net, err)) < 0)
			return r;
		r = req->network_aliases && *req->network_aliases && strcmp(net.name, BERTH_NET_DEFAULT_NAME) == 0;
		berth_network_release(&net);
		if (r)
			return berth_error_setx(err, EINVAL,
						"network-scoped alias is supported only for containers in user defined networks");
		return 0;
	}
	if (req->network_aliases && *req->network_aliases)
		return berth_error_setx(err, EINVAL,
					"network-scoped alias is supported only for containers in user defined networks");
	if (publishes && mode != MODE_HOST)
		return berth_error_setx(err, EINVAL, "conflicting options: port publishing and the container type network mode");
	if (mode == MODE_CONTAINER) {
		struct berth_ctr c = { 0 };
		if (req->run.hostname)
			return berth_error_setx(err, EINVAL, "conflicting options: hostname and the network mode");
		if ((r = berth_ctr_db_lookup(e->store->db, target, &c, err)) < 0)
			return r;
		berth_ctr_release(&c);
	}
	return 0;
}

/* The namespace of a container that another joins (container:NAME): its own bound one, else its init's. */
static int joined_netns(struct berth_engine *e, const char *ref, bool must_run, char **ret, char **ret_id,
			struct berth_error *err)
{
	struct berth_ctr c = { 0 };
	_cleanup_free_ char *bound = NULL;
	int r;

	if ((r = berth_ctr_get(e, ref, &c, err)) < 0)
		return r;
	bound = berth_net_netns_path(e->net, c.id);
	if (must_run && c.state != BERTH_CTR_RUNNING && c.state != BERTH_CTR_PAUSED)
		r = berth_error_setx(err, EINVAL, "cannot join network of a non running container: %s", c.id);
	else if (berth_netns_is_bound(bound))
		*ret = TAKE_PTR(bound);
	else if (c.pid > 0)
		*ret = berth_xasprintf("/proc/%d/ns/net", (int)c.pid);
	else
		*ret = TAKE_PTR(bound); /* not running yet: start looks again */
	if (r == 0 && ret_id)
		*ret_id = berth_xstrdup(c.id);
	berth_ctr_release(&c);
	return r;
}

int berth_ctr_net_configure(struct berth_engine *e, const struct berth_create_request *req, const char *id,
			    struct berth_run_options *o, char **ret_path, struct berth_error *err)
{
	const char *target;
	int r;

	*ret_path = NULL;
	switch (parse_mode(req->network, &target)) {
	case MODE_NONE:
		o->net_mode = BERTH_NET_PRIVATE;
		return 0;
	case MODE_HOST:
		o->net_mode = BERTH_NET_HOST;
		return 0;
	case MODE_CONTAINER:
		if ((r = joined_netns(e, target, false, ret_path, NULL, err)) < 0)
			return r;
		break;
	case MODE_NETWORK:
		*ret_path = berth_net_netns_path(e->net, id);
		break;
	}
	o->net_mode = BERTH_NET_PATH;
	o->net_ns_path = *ret_path;
	return 0;
}

static json_t *strv_array(char *const *v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

void berth_ctr_net_record(const struct berth_create_request *req, json_t *image_config, json_t *record)
{
	json_t *host = json_object_get(record, "HostConfig"), *cfg = json_object_get(record, "Config");
	json_t *bindings = json_object(), *exposed = json_object(), *image_exposed;
	const char *key;
	json_t *v;

	if (!host || !cfg)
		return;
	image_exposed = json_object_get(json_object_get(image_config, "config"), "ExposedPorts");
	json_object_foreach(image_exposed, key, v)
		json_object_set_new(exposed, key, json_object());
	for (char *const *x = req->expose; x && *x; x++) {
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		uint16_t lo, hi;
		char proto[4];
		if (berth_port_expose_parse(*x, &lo, &hi, proto, &ignore) < 0)
			continue;
		for (unsigned p = lo; p <= hi; p++) {
			char k[16];
			snprintf(k, sizeof(k), "%u/%s", p, proto);
			json_object_set_new(exposed, k, json_object());
		}
	}
	for (size_t i = 0; i < req->n_ports; i++) {
		const struct berth_port_spec *s = &req->ports[i];
		char k[16], ip[16] = "", port[16] = "";
		json_t *list;
		snprintf(k, sizeof(k), "%u/%s", s->ctr_port, s->proto);
		if (s->host_ip)
			berth_ipv4_format(s->host_ip, ip);
		if (s->host_port && s->host_port_end > s->host_port)
			snprintf(port, sizeof(port), "%u-%u", s->host_port, s->host_port_end);
		else if (s->host_port)
			snprintf(port, sizeof(port), "%u", s->host_port);
		list = json_object_get(bindings, k);
		if (!list) {
			list = json_array();
			json_object_set_new(bindings, k, list);
		}
		json_array_append_new(list, json_pack("{ss ss}", "HostIp", ip, "HostPort", port));
		json_object_set_new(exposed, k, json_object());
	}
	json_object_set_new(host, "NetworkMode", json_string(req->network ? req->network : BERTH_NET_DEFAULT_NAME));
	if (strcmp(json_string_value(json_object_get(host, "NetworkMode")), "default") == 0)
		json_object_set_new(host, "NetworkMode", json_string(BERTH_NET_DEFAULT_NAME));
	json_object_set_new(host, "PortBindings", bindings);
	json_object_set_new(host, "PublishAllPorts", json_boolean(req->publish_all));
	json_object_set_new(cfg, "ExposedPorts", exposed);
	json_object_set_new(record, "NetworkAliases", strv_array(req->network_aliases));
}

/* container:NAME uses NAME's hosts and resolv.conf, as docker does. */
static int copy_etc_files(struct berth_engine *e, const char *from_id, const char *to_id, struct berth_error *err)
{
	static const char *const files[] = { "hosts", "resolv.conf" };
	_cleanup_free_ char *to = berth_engine_ctr_path(e, to_id, NULL);
	_cleanup_close_ int dfd = open(to, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (dfd < 0)
		return berth_error_set(err, errno, "open \"%s\"", to);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *src = berth_engine_ctr_path(e, from_id, files[i]), *buf = NULL;
		size_t len;
		if ((r = berth_read_file(src, 1 << 20, &buf, &len, err)) < 0 ||
		    (r = berth_write_file_atomic(dfd, files[i], buf, len, 0644, err)) < 0)
			return r;
	}
	return 0;
}

int berth_ctr_net_create(struct berth_engine *e, const char *id, const char *name, json_t *record,
			 struct berth_error *err)
{
	json_t *host = json_object_get(record, "HostConfig");
	const char *hostname = json_string_value(json_object_get(json_object_get(record, "Config"), "Hostname"));
	const char *target;
	_cleanup_strv_free_ char **aliases = NULL;
	_cleanup_free_ char *path = NULL, *target_id = NULL;
	struct berth_endpoint ep = { 0 };
	size_t i;
	json_t *v;
	int r;

	switch (parse_mode(json_string_value(json_object_get(host, "NetworkMode")), &target)) {
	case MODE_NONE:
	case MODE_HOST:
		return 0;
	case MODE_CONTAINER:
		if ((r = joined_netns(e, target, false, &path, &target_id, err)) < 0)
			return r;
		/* docker records the id, so that a rename of NAME changes nothing */
		{
			_cleanup_free_ char *mode = berth_xasprintf("container:%s", target_id);
			json_object_set_new(host, "NetworkMode", json_string(mode));
		}
		return copy_etc_files(e, target_id, id, err);
	case MODE_NETWORK:
		break;
	}
	json_array_foreach(json_object_get(record, "NetworkAliases"), i, v)
		berth_strv_push(&aliases, json_string_value(v));
	r = berth_net_endpoint_add(e->net, id, target, name, hostname ? hostname : id, aliases, &ep, err);
	if (r == 0) {
		/* the network's name as given may be an id prefix: the record says its name */
		json_object_set_new(host, "NetworkMode", json_string(ep.network_name));
		berth_endpoint_release(&ep);
	}
	return r;
}

/* "80/tcp" */
static int parse_port_key(const char *key, uint16_t *ret_port, char proto[4])
{
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	uint16_t hi;

	return berth_port_expose_parse(key, ret_port, &hi, proto, &ignore);
}

/* What to publish at start: HostConfig.PortBindings, and with -P every other exposed port. */
static int port_specs(const struct berth_ctr *c, struct berth_port_spec **ret, size_t *ret_n, struct berth_error *err)
{
	json_t *host = json_object_get(c->config, "HostConfig");
	json_t *bindings = json_object_get(host, "PortBindings");
	json_t *exposed = json_object_get(json_object_get(c->config, "Config"), "ExposedPorts"), *list;
	struct berth_port_spec *v = NULL;
	size_t n = 0;
	const char *key;

	json_object_foreach(bindings, key, list) {
		size_t i;
		json_t *b;
		json_array_foreach(list, i, b) {
			const char *ip = json_string_value(json_object_get(b, "HostIp"));
			const char *port = json_string_value(json_object_get(b, "HostPort"));
			_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
			struct berth_port_spec s = { 0 };
			uint16_t lo = 0, hi = 0;
			char proto[4];
			if (parse_port_key(key, &s.ctr_port, s.proto) < 0 || (ip && *ip && berth_ipv4_parse(ip, &s.host_ip) < 0) ||
			    (port && *port && berth_port_expose_parse(port, &lo, &hi, proto, &ignore) < 0)) {
				free(v);
				return berth_error_setx(err, EINVAL, "container %.12s: bad port binding %s", c->id, key);
			}
			s.host_port = lo;
			s.host_port_end = hi;
			v = berth_xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = s;
		}
	}
	if (json_is_true(json_object_get(host, "PublishAllPorts"))) {
		json_t *unused;
		json_object_foreach(exposed, key, unused) {
			struct berth_port_spec s = { 0 };
			if (json_object_get(bindings, key) || parse_port_key(key, &s.ctr_port, s.proto) < 0)
				continue;
			v = berth_xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = s;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* container:NAME: the namespace of NAME as it runs now goes into config.json. */
static int join_container(struct berth_engine *e, const struct berth_ctr *c, const char *target,
			  struct berth_error *err)
{
	_cleanup_free_ char *path = NULL, *dir = berth_engine_ctr_path(e, c->id, NULL), *buf = NULL, *text = NULL;
	_cleanup_close_ int dfd = -EBADF;
	size_t len, i;
	json_t *spec, *ns;
	int r;

	if ((r = joined_netns(e, target, true, &path, NULL, err)) < 0)
		return r;
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_set(err, errno, "open \"%s\"", dir);
	if ((r = berth_read_file_at(dfd, "config.json", 16 << 20, &buf, &len, err)) < 0)
		return r;
	spec = json_loadb(buf, len, 0, NULL);
	if (!spec)
		return berth_error_setx(err, EINVAL, "container %.12s: config.json is not JSON", c->id);
	json_array_foreach(json_object_get(json_object_get(spec, "linux"), "namespaces"), i, ns) {
		const char *type = json_string_value(json_object_get(ns, "type"));
		const char *old = json_string_value(json_object_get(ns, "path"));
		if (!type || strcmp(type, "network") != 0 || (old && strcmp(old, path) == 0))
			continue;
		json_object_set_new(ns, "path", json_string(path));
		text = json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	}
	json_decref(spec);
	return text ? berth_write_file_atomic(dfd, "config.json", text, strlen(text), 0600, err) : 0;
}

int berth_ctr_net_start(struct berth_engine *e, const struct berth_ctr *c, struct berth_error *err)
{
	_cleanup_free_ struct berth_port_spec *ports = NULL;
	const char *target;
	size_t n_ports = 0;
	int r;

	switch (parse_mode(record_mode(c), &target)) {
	case MODE_NONE:
	case MODE_HOST:
		return 0;
	case MODE_CONTAINER:
		return join_container(e, c, target, err);
	case MODE_NETWORK:
		break;
	}
	if ((r = port_specs(c, &ports, &n_ports, err)) < 0)
		return r;
	return berth_net_attach(e->net, c->id, c->name, ports, n_ports, err);
}

int berth_ctr_net_stop(struct berth_engine *e, const struct berth_ctr *c, struct berth_error *err)
{
	const char *target;

	if (parse_mode(record_mode(c), &target) != MODE_NETWORK)
		return 0;
	return berth_net_detach(e->net, c->id, err);
}

int berth_ctr_net_remove(struct berth_engine *e, const char *id, struct berth_error *err)
{
	return berth_net_endpoint_remove(e->net, id, NULL, err);
}

/* For the start-up sweep: only whether the row is there (a lookup; no locks). */
static enum berth_net_ctr_state ctr_exists(void *opaque, const char *id, int *ret_lock)
{
	struct berth_engine *e = opaque;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_ctr c = { 0 };
	int r = berth_ctr_db_lookup(e->store->db, id, &c, &err);

	*ret_lock = -EBADF;
	berth_ctr_release(&c);
	return r == -ENOENT ? BERTH_NET_CTR_GONE : BERTH_NET_CTR_ACTIVE;
}

/* For prune: stopped means its lock was free and it does not run; the lock stays held for the sweep. */
static enum berth_net_ctr_state ctr_state(void *opaque, const char *id, int *ret_lock)
{
	struct berth_engine *e = opaque;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_engine_ctr_path(e, id, "lock");
	_cleanup_close_ int fd = -EBADF;
	struct berth_ctr c = { 0 };
	bool running;

	*ret_lock = -EBADF;
	if (ctr_exists(opaque, id, ret_lock) == BERTH_NET_CTR_GONE)
		return BERTH_NET_CTR_GONE;
	/* no lock file: a create that has not made its directory yet */
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return BERTH_NET_CTR_ACTIVE;
	if (berth_ctr_db_lookup(e->store->db, id, &c, &err) == -ENOENT)
		return BERTH_NET_CTR_GONE;
	if (berth_ctr_refresh(e, &c, &err) < 0) {
		berth_ctr_release(&c);
		return BERTH_NET_CTR_ACTIVE;
	}
	running = c.state == BERTH_CTR_RUNNING || c.state == BERTH_CTR_PAUSED;
	berth_ctr_release(&c);
	if (running)
		return BERTH_NET_CTR_ACTIVE;
	*ret_lock = TAKE_FD(fd);
	return BERTH_NET_CTR_STOPPED;
}

int berth_ctr_net_init(struct berth_engine *e, struct berth_error *err)
{
	berth_net_set_ctr_state(e->net, ctr_state, e);
	return berth_net_sweep(e->net, true, ctr_exists, e, NULL, err);
}

int berth_ctr_net_prune(struct berth_engine *e, struct berth_net_sweep_report *ret_report, char ***ret_removed,
			struct berth_error *err)
{
	struct berth_network *nets = NULL;
	size_t n_nets = 0;
	char **removed = berth_xcalloc(1, sizeof(char *));
	int r;

	if ((r = berth_net_sweep(e->net, false, ctr_state, e, ret_report, err)) < 0 ||
	    (r = berth_net_list(e->net, &nets, &n_nets, err)) < 0) {
		free(removed);
		return r;
	}
	for (size_t i = 0; i < n_nets && r == 0; i++) {
		int count = 0;
		if (strcmp(nets[i].name, BERTH_NET_DEFAULT_NAME) == 0)
			continue;
		if ((r = berth_net_count_endpoints(e->net, nets[i].id, &count, err)) < 0 || count)
			continue;
		r = berth_net_remove(e->net, nets[i].id, err);
		if (r == -EBUSY) {
			/* a container joined meanwhile */
			berth_error_release(err);
			r = 0;
		} else if (r == 0) {
			berth_strv_push(&removed, nets[i].name);
		}
	}
	berth_network_array_free(nets, n_nets);
	if (r < 0) {
		berth_strv_free(removed);
		return r;
	}
	*ret_removed = removed;
	return 0;
}

static int connect_check(const struct berth_ctr *c, struct berth_error *err)
{
	const char *target;

	switch (parse_mode(record_mode(c), &target)) {
	case MODE_HOST:
		return berth_error_setx(err, EINVAL, "container cannot be disconnected from host network or connected to host network");
	case MODE_NONE:
	case MODE_CONTAINER:
		return berth_error_setx(err, EINVAL,
					"container sharing network namespace with another container or host cannot be connected to any other network");
	case MODE_NETWORK:
		break;
	}
	return 0;
}

int berth_ctr_net_connect(struct berth_engine *e, const char *ctr_ref, const char *net_ref, char *const *aliases,
			  struct berth_error *err)
{
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	struct berth_endpoint ep = { 0 };
	struct berth_ctr c = { 0 };
	_cleanup_close_ int lock = -EBADF;
	const char *hostname;
	int r;

	if ((lock = berth_ctr_get_locked(e, ctr_ref, &c, err)) < 0)
		return lock;
	if ((r = connect_check(&c, err)) < 0)
		goto out;
	hostname = json_string_value(json_object_get(json_object_get(c.config, "Config"), "Hostname"));
	if ((r = berth_net_endpoint_add(e->net, c.id, net_ref, c.name, hostname ? hostname : c.id, aliases, &ep, err)) < 0)
		goto out;
	if ((c.state == BERTH_CTR_RUNNING || c.state == BERTH_CTR_PAUSED) &&
	    (r = berth_net_attach_endpoint(e->net, c.id, &ep, err)) < 0)
		berth_net_endpoint_remove(e->net, c.id, ep.network_id, &ignore);
	berth_endpoint_release(&ep);
out:
	berth_ctr_release(&c);
	return r;
}

int berth_ctr_net_disconnect(struct berth_engine *e, const char *ctr_ref, const char *net_ref, bool force,
			     struct berth_error *err)
{
	struct berth_endpoint *eps = NULL;
	struct berth_network net = { 0 };
	struct berth_ctr c = { 0 };
	_cleanup_close_ int lock = -EBADF;
	size_t n_eps = 0;
	int r;

	(void)force;
	if ((lock = berth_ctr_get_locked(e, ctr_ref, &c, err)) < 0)
		return lock;
	if ((r = connect_check(&c, err)) < 0 || (r = berth_net_get(e->net, net_ref, &net, err)) < 0 ||
	    (r = berth_net_endpoints(e->net, c.id, &eps, &n_eps, err)) < 0)
		goto out;
	for (size_t i = 0; i < n_eps && r == 0; i++)
		if (strcmp(eps[i].network_id, net.id) == 0 && (c.state == BERTH_CTR_RUNNING || c.state == BERTH_CTR_PAUSED))
			r = berth_net_detach_endpoint(e->net, c.id, &eps[i], err);
	if (r == 0)
		r = berth_net_endpoint_remove(e->net, c.id, net.id, err);
	/* docker records the mode it was created with; a disconnected default leaves it as it was */
out:
	berth_endpoint_array_free(eps, n_eps);
	berth_network_release(&net);
	berth_ctr_release(&c);
	return r;
}

int berth_ctr_ports(struct berth_engine *e, const struct berth_ctr *c, struct berth_port_mapping **ret, size_t *ret_n,
		    struct berth_error *err)
{
	if (c->state != BERTH_CTR_RUNNING && c->state != BERTH_CTR_PAUSED) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	return berth_net_ports(e->net, c->id, ret, ret_n, err);
}

char *berth_ctr_ports_string(struct berth_engine *e, const struct berth_ctr *c)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ struct berth_port_mapping *m = NULL;
	_cleanup_strv_free_ char **exposed = NULL;
	json_t *ports = json_object_get(json_object_get(c->config, "Config"), "ExposedPorts"), *unused;
	const char *key;
	size_t n = 0;

	if (berth_ctr_ports(e, c, &m, &n, &err) < 0 || (c->state != BERTH_CTR_RUNNING && c->state != BERTH_CTR_PAUSED))
		return berth_xstrdup("");
	json_object_foreach(ports, key, unused) {
		uint16_t port;
		char proto[4];
		bool published = false;
		if (parse_port_key(key, &port, proto) < 0)
			continue;
		for (size_t i = 0; i < n && !published; i++)
			published = m[i].ctr_port == port && strcmp(m[i].proto, proto) == 0;
		if (!published)
			berth_strv_push(&exposed, key);
	}
	return berth_ports_format(m, n, exposed);
}

static json_t *endpoint_json(const struct berth_endpoint *ep, const char *ctr_id)
{
	char ip[16] = "", gw[16] = "", mac[18] = "";

	if (ep) {
		berth_ipv4_format(ep->ip, ip);
		berth_ipv4_format(ep->gateway, gw);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ep->mac[0], ep->mac[1], ep->mac[2], ep->mac[3],
			 ep->mac[4], ep->mac[5]);
	}
	return json_pack("{sn sn so ss ss ss ss si ss ss si ss sn}", "IPAMConfig", "Links", "Aliases",
			 strv_array(ep ? ep->aliases : NULL), "NetworkID", ep ? ep->network_id : "", "EndpointID",
			 ep ? ctr_id : "", "Gateway", gw, "IPAddress", ip, "IPPrefixLen", ep ? ep->prefix : 0,
			 "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "MacAddress", mac,
			 "DriverOpts");
}

json_t *berth_ctr_network_settings(struct berth_engine *e, const struct berth_ctr *c)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ struct berth_port_mapping *m = NULL;
	_cleanup_free_ char *sandbox = berth_net_netns_path(e->net, c->id);
	json_t *ports = json_object(), *networks = json_object(), *exposed, *unused, *o;
	struct berth_endpoint *eps = NULL;
	size_t n = 0, n_eps = 0;
	const char *key, *target, *mode = record_mode(c);
	bool running = c->state == BERTH_CTR_RUNNING || c->state == BERTH_CTR_PAUSED;

	exposed = json_object_get(json_object_get(c->config, "Config"), "ExposedPorts");
	if (running && berth_ctr_ports(e, c, &m, &n, &err) == 0) {
		json_object_foreach(exposed, key, unused)
			json_object_set_new(ports, key, json_null());
		for (size_t i = 0; i < n; i++) {
			char k[16], ip[16], port[8];
			json_t *list;
			snprintf(k, sizeof(k), "%u/%s", m[i].ctr_port, m[i].proto);
			snprintf(port, sizeof(port), "%u", m[i].host_port);
			list = json_object_get(ports, k);
			if (!json_is_array(list)) {
				list = json_array();
				json_object_set_new(ports, k, list);
			}
			json_array_append_new(list, json_pack("{ss ss}", "HostIp", berth_ipv4_format(m[i].host_ip, ip),
							      "HostPort", port));
		}
	}
	if (berth_net_endpoints(e->net, c->id, &eps, &n_eps, &err) < 0)
		n_eps = 0;
	for (size_t i = 0; i < n_eps; i++)
		json_object_set_new(networks, eps[i].network_name, endpoint_json(&eps[i], c->id));
	if (n_eps == 0 && mode && parse_mode(mode, &target) != MODE_CONTAINER)
		json_object_set_new(networks, mode, endpoint_json(NULL, c->id));
	o = json_object_get(networks, n_eps ? eps[0].network_name : "");
	o = json_pack("{ss sb ss ss so ss ss ss si ss so}", "Bridge", "", "HairpinMode", 0, "SandboxID",
		      running && berth_netns_is_bound(sandbox) ? c->id : "", "LinkLocalIPv6Address", "", "Ports", ports,
		      "SandboxKey", running && berth_netns_is_bound(sandbox) ? sandbox : "", "Gateway",
		      o ? json_string_value(json_object_get(o, "Gateway")) : "", "IPAddress",
		      o ? json_string_value(json_object_get(o, "IPAddress")) : "", "IPPrefixLen",
		      o ? (int)json_integer_value(json_object_get(o, "IPPrefixLen")) : 0, "MacAddress",
		      o ? json_string_value(json_object_get(o, "MacAddress")) : "", "Networks", networks);
	berth_endpoint_array_free(eps, n_eps);
	return o;
}
