/* Networks, leases and published ports in the store's SQLite database. */
#include "network/network-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "image/image-db.h"
#include "network/ipam.h"
#include "image/sql.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Version of these tables in berth_schema (the containers' file makes that table). */
#define NET_SCHEMA_VERSION 1

static const char schema[] = "CREATE TABLE IF NOT EXISTS berth_schema ("
			     " component TEXT PRIMARY KEY NOT NULL,"
			     " version INTEGER NOT NULL);"
			     "CREATE TABLE IF NOT EXISTS networks ("
			     " id TEXT PRIMARY KEY NOT NULL,"
			     " name TEXT NOT NULL UNIQUE,"
			     " driver TEXT NOT NULL,"
			     " bridge TEXT NOT NULL UNIQUE,"
			     " subnet INTEGER NOT NULL,"
			     " prefix INTEGER NOT NULL,"
			     " gateway INTEGER NOT NULL,"
			     " internal INTEGER NOT NULL DEFAULT 0,"
			     " labels TEXT NOT NULL DEFAULT '{}',"
			     " created INTEGER NOT NULL);"
			     /* a lease: one address of a network for one container */
			     "CREATE TABLE IF NOT EXISTS net_endpoints ("
			     " container_id TEXT NOT NULL,"
			     " network_id TEXT NOT NULL REFERENCES networks(id),"
			     " ip INTEGER NOT NULL,"
			     " ifnum INTEGER NOT NULL,"
			     " name TEXT NOT NULL,"
			     " hostname TEXT NOT NULL,"
			     " aliases TEXT NOT NULL DEFAULT '',"
			     " PRIMARY KEY (container_id, network_id),"
			     " UNIQUE (network_id, ip),"
			     " UNIQUE (container_id, ifnum));"
			     /* published ports of running containers; host_ip 0 = every address */
			     "CREATE TABLE IF NOT EXISTS net_ports ("
			     " container_id TEXT NOT NULL,"
			     " host_ip INTEGER NOT NULL,"
			     " host_port INTEGER NOT NULL,"
			     " proto TEXT NOT NULL,"
			     " ctr_ip INTEGER NOT NULL,"
			     " ctr_port INTEGER NOT NULL,"
			     " PRIMARY KEY (host_ip, host_port, proto));"
			     "CREATE INDEX IF NOT EXISTS net_ports_container ON net_ports(container_id);"
			     "INSERT OR IGNORE INTO berth_schema (component, version) VALUES ('network', 1);";

static int sql_error(sqlite3 *h, int rc, const char *what, struct berth_error *err)
{
	return berth_sql_error(h, rc, "networks", what, err);
}

static int prepare(sqlite3 *h, const char *sql, sqlite3_stmt **ret, struct berth_error *err)
{
	return berth_sql_prepare(h, sql, ret, "networks", err);
}

/* Step a statement that returns no rows. */
static int step_done(sqlite3 *h, sqlite3_stmt *st, const char *what, struct berth_error *err)
{
	int rc = sqlite3_step(st);

	return rc == SQLITE_DONE ? 0 : sql_error(h, rc, what, err);
}

static char *column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return berth_xstrdup(s ? (const char *)s : "");
}

static char *new_id(void)
{
	uint8_t b[32];
	char *s = berth_xmalloc(65);

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		abort();
	for (int i = 0; i < 32; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	return s;
}

int berth_net_db_init(struct berth_net *n, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *id = NULL;
	uint32_t net = 0;
	int prefix = 0, r;

	/* every command opens the engine: a read when the tables are there */
	if (berth_sql_component_version(n->h, "network") >= NET_SCHEMA_VERSION)
		return 0;
	if ((r = berth_db_begin(n->db, err)) < 0)
		return r;
	r = sqlite3_exec(n->h, schema, NULL, NULL, NULL);
	if (r != SQLITE_OK) {
		r = sql_error(n->h, r, "create the tables", err);
		berth_db_rollback(n->db);
		return r;
	}
	/* the default network, once: a later `network rm bridge` is respected */
	berth_cidr_parse(BERTH_NET_DEFAULT_SUBNET, &net, &prefix, err);
	id = new_id();
	r = prepare(n->h,
		    "INSERT OR IGNORE INTO networks (id, name, driver, bridge, subnet, prefix, gateway, created) "
		    "SELECT ?, ?, 'bridge', ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM networks WHERE name = ?2)",
		    &st, err);
	if (r == 0) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, BERTH_NET_DEFAULT_NAME, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, BERTH_NET_DEFAULT_BRIDGE, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, net);
		sqlite3_bind_int(st, 5, prefix);
		sqlite3_bind_int64(st, 6, net + 1);
		{
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			sqlite3_bind_int64(st, 7, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
		}
		r = step_done(n->h, st, "add the default network", err);
	}
	if (r == 0)
		r = berth_db_commit(n->db, err);
	else
		berth_db_rollback(n->db);
	return r;
}

#define NET_COLUMNS "id, name, driver, bridge, subnet, prefix, gateway, internal, labels, created"

static void row_to_network(sqlite3_stmt *st, struct berth_network *net)
{
	const char *labels = (const char *)sqlite3_column_text(st, 8);

	*net = (struct berth_network){
		.id = column_text(st, 0),
		.name = column_text(st, 1),
		.driver = column_text(st, 2),
		.bridge = column_text(st, 3),
		.subnet = (uint32_t)sqlite3_column_int64(st, 4),
		.prefix = sqlite3_column_int(st, 5),
		.gateway = (uint32_t)sqlite3_column_int64(st, 6),
		.internal = sqlite3_column_int(st, 7) != 0,
		.labels = labels ? json_loads(labels, 0, NULL) : NULL,
		.created = sqlite3_column_int64(st, 9),
	};
	if (!net->labels)
		net->labels = json_object();
}

void berth_network_release(struct berth_network *net)
{
	free(net->id);
	free(net->name);
	free(net->driver);
	free(net->bridge);
	json_decref(net->labels);
	*net = (struct berth_network){ 0 };
}

void berth_network_array_free(struct berth_network *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		berth_network_release(&v[i]);
	free(v);
}

int berth_net_db_insert(struct berth_net *n, const struct berth_network *net, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *labels = json_dumps(net->labels ? net->labels : json_object(), JSON_COMPACT);
	int r;

	if ((r = prepare(n->h, "INSERT INTO networks (" NET_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st,
			 err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, net->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, net->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, net->driver, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, net->bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, net->subnet);
	sqlite3_bind_int(st, 6, net->prefix);
	sqlite3_bind_int64(st, 7, net->gateway);
	sqlite3_bind_int(st, 8, net->internal);
	sqlite3_bind_text(st, 9, labels, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, net->created);
	r = sqlite3_step(st);
	if ((r & 0xff) == SQLITE_CONSTRAINT)
		return berth_error_setx(err, EEXIST, "network with name %s already exists", net->name);
	return r == SQLITE_DONE ? 0 : sql_error(n->h, r, "insert a network", err);
}

int berth_net_get(struct berth_net *n, const char *ref, struct berth_network *ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc, found = 0;

	/* docker: an exact id, then an exact name, then a unique id prefix */
	if ((r = prepare(n->h,
			 "SELECT " NET_COLUMNS ", (id = ?1) * 2 + (name = ?1) AS exact FROM networks "
			 "WHERE id = ?1 OR name = ?1 OR (length(?1) >= 1 AND substr(id, 1, length(?1)) = ?1) "
			 "ORDER BY exact DESC",
			 &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int exact = sqlite3_column_int(st, 10);
		if (found == 0) {
			row_to_network(st, ret);
			found = 1;
			if (exact)
				return 0;
		} else {
			berth_network_release(ret);
			return berth_error_setx(err, EINVAL, "network %s is ambiguous (%d matches found based on ID prefix)",
						ref, found + 1);
		}
	}
	if (rc != SQLITE_DONE) {
		if (found)
			berth_network_release(ret);
		return sql_error(n->h, rc, "find a network", err);
	}
	if (!found)
		return berth_error_setx(err, ENOENT, "network %s not found", ref);
	return 0;
}

int berth_net_list(struct berth_net *n, struct berth_network **ret, size_t *ret_n, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct berth_network *v = NULL;
	size_t count = 0;
	int r, rc;

	if ((r = prepare(n->h, "SELECT " NET_COLUMNS " FROM networks ORDER BY created, name", &st, err)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = berth_xreallocarray(v, count + 1, sizeof(*v));
		row_to_network(st, &v[count++]);
	}
	if (rc != SQLITE_DONE) {
		berth_network_array_free(v, count);
		return sql_error(n->h, rc, "list networks", err);
	}
	*ret = v;
	*ret_n = count;
	return 0;
}

int berth_net_db_delete(struct berth_net *n, const char *id, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(n->h, "DELETE FROM networks WHERE id = ?", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if ((r & 0xff) == SQLITE_CONSTRAINT)
		return berth_error_setx(err, EBUSY, "network %s has active endpoints", id);
	return r == SQLITE_DONE ? 0 : sql_error(n->h, r, "remove a network", err);
}

int berth_net_db_subnets(struct berth_net *n, uint32_t **ret_nets, int **ret_prefixes, size_t *ret_n,
			 struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	size_t count = 0;
	int r, rc;

	*ret_nets = NULL;
	*ret_prefixes = NULL;
	if ((r = prepare(n->h, "SELECT subnet, prefix FROM networks", &st, err)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ret_nets = berth_xreallocarray(*ret_nets, count + 1, sizeof(uint32_t));
		*ret_prefixes = berth_xreallocarray(*ret_prefixes, count + 1, sizeof(int));
		(*ret_nets)[count] = (uint32_t)sqlite3_column_int64(st, 0);
		(*ret_prefixes)[count++] = sqlite3_column_int(st, 1);
	}
	*ret_n = count;
	return rc == SQLITE_DONE ? 0 : sql_error(n->h, rc, "list subnets", err);
}

int berth_net_count_endpoints(struct berth_net *n, const char *network_id, int *ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = prepare(n->h, "SELECT count(*) FROM net_endpoints WHERE network_id = ?", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, network_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return sql_error(n->h, rc, "count endpoints", err);
	*ret = sqlite3_column_int(st, 0);
	return 0;
}

void berth_endpoint_release(struct berth_endpoint *ep)
{
	free(ep->container_id);
	free(ep->network_id);
	free(ep->network_name);
	free(ep->bridge);
	free(ep->name);
	free(ep->hostname);
	berth_strv_free(ep->aliases);
	*ep = (struct berth_endpoint){ 0 };
}

void berth_endpoint_array_free(struct berth_endpoint *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		berth_endpoint_release(&v[i]);
	free(v);
}

static char **split_words(const char *s)
{
	_cleanup_free_ char *copy = berth_xstrdup(s ? s : "");
	char **v = berth_xcalloc(1, sizeof(char *));

	for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		berth_strv_push(&v, w);
	return v;
}

int berth_net_db_endpoints(struct berth_net *n, const char *ctr_id, const char *network_id,
			   struct berth_endpoint **ret, size_t *ret_n, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct berth_endpoint *v = NULL;
	size_t count = 0;
	int r, rc;

	if ((r = prepare(n->h,
			 "SELECT e.container_id, e.network_id, w.name, w.bridge, e.ip, w.gateway, w.subnet, w.prefix, "
			 "e.ifnum, e.name, e.hostname, e.aliases FROM net_endpoints e JOIN networks w ON w.id = e.network_id "
			 "WHERE (?1 IS NULL OR e.container_id = ?1) AND (?2 IS NULL OR e.network_id = ?2) "
			 "ORDER BY e.container_id, e.ifnum",
			 &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, network_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct berth_endpoint *ep;
		v = berth_xreallocarray(v, count + 1, sizeof(*v));
		ep = &v[count++];
		*ep = (struct berth_endpoint){
			.container_id = column_text(st, 0),
			.network_id = column_text(st, 1),
			.network_name = column_text(st, 2),
			.bridge = column_text(st, 3),
			.ip = (uint32_t)sqlite3_column_int64(st, 4),
			.gateway = (uint32_t)sqlite3_column_int64(st, 5),
			.subnet = (uint32_t)sqlite3_column_int64(st, 6),
			.prefix = sqlite3_column_int(st, 7),
			.ifnum = sqlite3_column_int(st, 8),
			.name = column_text(st, 9),
			.hostname = column_text(st, 10),
			.aliases = split_words((const char *)sqlite3_column_text(st, 11)),
		};
		berth_ipam_mac(ep->ip, ep->mac);
	}
	if (rc != SQLITE_DONE) {
		berth_endpoint_array_free(v, count);
		return sql_error(n->h, rc, "list endpoints", err);
	}
	*ret = v;
	*ret_n = count;
	return 0;
}

/* Inside the transaction: the addresses taken on a network and the ifnums taken by a container. */
static int taken(struct berth_net *n, const char *sql, const char *key, uint32_t **ret, size_t *ret_n,
		 struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	size_t count = 0;
	int r, rc;

	*ret = NULL;
	if ((r = prepare(n->h, sql, &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ret = berth_xreallocarray(*ret, count + 1, sizeof(uint32_t));
		(*ret)[count++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	*ret_n = count;
	return rc == SQLITE_DONE ? 0 : sql_error(n->h, rc, "read leases", err);
}

static int endpoint_insert_locked(struct berth_net *n, const struct berth_network *net, const char *ctr_id,
				  const char *name, const char *hostname, char *const *aliases, uint32_t *ret_ip,
				  int *ret_ifnum, struct berth_error *err)
{
	_cleanup_free_ uint32_t *ips = NULL, *ifnums = NULL;
	_cleanup_free_ char *alias_text = berth_xstrdup("");
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	size_t n_ips = 0, n_ifnums = 0;
	uint32_t ip;
	int ifnum = 0, r;

	if ((r = taken(n, "SELECT ip FROM net_endpoints WHERE network_id = ?", net->id, &ips, &n_ips, err)) < 0 ||
	    (r = taken(n, "SELECT ifnum FROM net_endpoints WHERE container_id = ?", ctr_id, &ifnums, &n_ifnums, err)) < 0)
		return r;
	if (berth_ipam_pick(net->subnet, net->prefix, net->gateway, ips, n_ips, &ip) < 0)
		return berth_error_setx(err, ENOSPC, "no available IPv4 addresses on network %s", net->name);
	for (bool again = true; again;) {
		again = false;
		for (size_t i = 0; i < n_ifnums; i++)
			if ((int)ifnums[i] == ifnum) {
				ifnum++;
				again = true;
			}
	}
	for (; aliases && *aliases; aliases++) {
		char *next = berth_xasprintf("%s%s%s", alias_text, *alias_text ? " " : "", *aliases);
		free(alias_text);
		alias_text = next;
	}
	if ((r = prepare(n->h,
			 "INSERT INTO net_endpoints (container_id, network_id, ip, ifnum, name, hostname, aliases) "
			 "VALUES (?, ?, ?, ?, ?, ?, ?)",
			 &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, net->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ip);
	sqlite3_bind_int(st, 4, ifnum);
	sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, hostname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, alias_text, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if ((r & 0xff) == SQLITE_CONSTRAINT)
		return berth_error_setx(err, EEXIST, "endpoint with name %s already exists in network %s", name, net->name);
	if (r != SQLITE_DONE)
		return sql_error(n->h, r, "insert a lease", err);
	*ret_ip = ip;
	*ret_ifnum = ifnum;
	return 0;
}

int berth_net_db_endpoint_insert(struct berth_net *n, const struct berth_network *net, const char *ctr_id,
				 const char *name, const char *hostname, char *const *aliases, uint32_t *ret_ip,
				 int *ret_ifnum, struct berth_error *err)
{
	int r;

	/* IMMEDIATE: the write lock before the read, so two berths never pick the same address */
	if ((r = berth_db_begin(n->db, err)) < 0)
		return r;
	r = endpoint_insert_locked(n, net, ctr_id, name, hostname, aliases, ret_ip, ret_ifnum, err);
	if (r == 0)
		return berth_db_commit(n->db, err);
	berth_db_rollback(n->db);
	return r;
}

int berth_net_db_endpoint_rename(struct berth_net *n, const char *ctr_id, const char *name, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(n->h, "UPDATE net_endpoints SET name = ? WHERE container_id = ?", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ctr_id, -1, SQLITE_STATIC);
	return step_done(n->h, st, "rename a lease", err);
}

int berth_net_db_endpoint_delete(struct berth_net *n, const char *ctr_id, const char *network_id,
				 struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(n->h, "DELETE FROM net_endpoints WHERE container_id = ?1 AND (?2 IS NULL OR network_id = ?2)",
			 &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, network_id, -1, SQLITE_STATIC);
	return step_done(n->h, st, "remove a lease", err);
}

int berth_net_db_containers(struct berth_net *n, char ***ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char **v = berth_xcalloc(1, sizeof(char *));
	int r, rc;

	if ((r = prepare(n->h,
			 "SELECT container_id FROM net_endpoints UNION SELECT container_id FROM net_ports", &st, err)) < 0) {
		free(v);
		return r;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		berth_strv_push(&v, (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE) {
		berth_strv_free(v);
		return sql_error(n->h, rc, "list containers with leases", err);
	}
	*ret = v;
	return 0;
}

/* The container holding host_ip:port/proto (or every address), or NULL. */
static int port_holder(struct berth_net *n, uint32_t host_ip, unsigned port, const char *proto, char **ret,
		       struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	*ret = NULL;
	if ((r = prepare(n->h,
			 "SELECT container_id FROM net_ports WHERE host_port = ?1 AND proto = ?2 "
			 "AND (host_ip = ?3 OR host_ip = 0 OR ?3 = 0) LIMIT 1",
			 &st, err)) < 0)
		return r;
	sqlite3_bind_int(st, 1, (int)port);
	sqlite3_bind_text(st, 2, proto, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, host_ip);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = column_text(st, 0);
	else if (rc != SQLITE_DONE)
		return sql_error(n->h, rc, "read ports", err);
	return 0;
}

/* The kernel's ephemeral range, where docker picks random host ports too. */
static void ephemeral_range(unsigned *lo, unsigned *hi)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	*lo = 32768;
	*hi = 60999;
	if (f && fscanf(f, "%u %u", lo, hi) != 2) {
		*lo = 32768;
		*hi = 60999;
	}
	if (*lo < 1024 || *hi > 65535 || *lo > *hi) {
		*lo = 32768;
		*hi = 60999;
	}
}

static int pick_port(struct berth_net *n, const struct berth_port_spec *s, berth_net_port_free_fn port_free,
		     unsigned *ret, struct berth_error *err)
{
	unsigned lo = s->host_port, hi = s->host_port_end, start = 0, span;
	char ip[16];
	int r;

	if (!lo)
		ephemeral_range(&lo, &hi);
	span = hi - lo + 1;
	if (!s->host_port && getrandom(&start, sizeof(start), 0) != sizeof(start))
		start = 0;
	for (unsigned i = 0; i < span; i++) {
		unsigned port = lo + (start + i) % span;
		_cleanup_free_ char *holder = NULL;
		if ((r = port_holder(n, s->host_ip, port, s->proto, &holder, err)) < 0)
			return r;
		if (holder)
			continue;
		if (port_free && !port_free(s->host_ip, (uint16_t)port, s->proto))
			continue;
		*ret = port;
		return 0;
	}
	berth_ipv4_format(s->host_ip, ip);
	if (s->host_port)
		return berth_error_setx(err, EADDRINUSE, "Bind for %s:%u-%u failed: no port of the range is free", ip,
					s->host_port, s->host_port_end);
	return berth_error_setx(err, EADDRINUSE, "no free host port for %u/%s", s->ctr_port, s->proto);
}

static int ports_reserve_locked(struct berth_net *n, const char *ctr_id, uint32_t ctr_ip,
				const struct berth_port_spec *specs, size_t n_specs, berth_net_port_free_fn port_free,
				struct berth_error *err)
{
	int r;

	for (size_t i = 0; i < n_specs; i++) {
		const struct berth_port_spec *s = &specs[i];
		_cleanup_stmt_ sqlite3_stmt *st = NULL;
		_cleanup_free_ char *holder = NULL;
		unsigned port = s->host_port;
		char ip[16];

		berth_ipv4_format(s->host_ip, ip);
		if (!s->host_port || s->host_port_end > s->host_port) {
			if ((r = pick_port(n, s, port_free, &port, err)) < 0)
				return r;
		} else {
			if ((r = port_holder(n, s->host_ip, port, s->proto, &holder, err)) < 0)
				return r;
			if (holder)
				return berth_error_setx(err, EADDRINUSE, "Bind for %s:%u failed: port is already allocated", ip,
							port);
			if (port_free && !port_free(s->host_ip, (uint16_t)port, s->proto))
				return berth_error_setx(err, EADDRINUSE, "listen %s4 %s:%u: bind: address already in use",
							s->proto, ip, port);
		}
		if ((r = prepare(n->h,
				 "INSERT INTO net_ports (container_id, host_ip, host_port, proto, ctr_ip, ctr_port) "
				 "VALUES (?, ?, ?, ?, ?, ?)",
				 &st, err)) < 0)
			return r;
		sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, s->host_ip);
		sqlite3_bind_int(st, 3, (int)port);
		sqlite3_bind_text(st, 4, s->proto, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, ctr_ip);
		sqlite3_bind_int(st, 6, s->ctr_port);
		r = sqlite3_step(st);
		if ((r & 0xff) == SQLITE_CONSTRAINT)
			return berth_error_setx(err, EADDRINUSE, "Bind for %s:%u failed: port is already allocated", ip, port);
		if (r != SQLITE_DONE)
			return sql_error(n->h, r, "insert a port", err);
	}
	return 0;
}

int berth_net_db_ports_reserve(struct berth_net *n, const char *ctr_id, const char *ctr_name, uint32_t ctr_ip,
			       const struct berth_port_spec *specs, size_t n_specs, berth_net_port_free_fn port_free,
			       struct berth_error *err)
{
	int r;

	if ((r = berth_db_begin(n->db, err)) < 0)
		return r;
	r = ports_reserve_locked(n, ctr_id, ctr_ip, specs, n_specs, port_free, err);
	if (r == 0)
		return berth_db_commit(n->db, err);
	berth_db_rollback(n->db);
	/* docker's wording for a taken port */
	if (r == -EADDRINUSE)
		return berth_error_prefix(err, "driver failed programming external connectivity on endpoint %s (%s)",
					  ctr_name ? ctr_name : ctr_id, ctr_id);
	return r;
}

int berth_net_db_port_holders(struct berth_net *n, const char *ctr_id, const struct berth_port_spec *specs,
			      size_t n_specs, char ***ret, struct berth_error *err)
{
	char **v = berth_xcalloc(1, sizeof(char *));
	int r;

	for (size_t i = 0; i < n_specs; i++) {
		/* a range or a random port goes around a taken one */
		if (!specs[i].host_port || specs[i].host_port_end > specs[i].host_port)
			continue;
		_cleanup_free_ char *holder = NULL;
		if ((r = port_holder(n, specs[i].host_ip, specs[i].host_port, specs[i].proto, &holder, err)) < 0) {
			berth_strv_free(v);
			return r;
		}
		if (holder && strcmp(holder, ctr_id) != 0 && !berth_strv_contains(v, holder))
			berth_strv_push(&v, holder);
	}
	*ret = v;
	return 0;
}

int berth_net_db_ports_release(struct berth_net *n, const char *ctr_id, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(n->h, "DELETE FROM net_ports WHERE container_id = ?", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
	return step_done(n->h, st, "remove ports", err);
}

int berth_net_db_ports(struct berth_net *n, const char *ctr_id, struct berth_port_mapping **ret, uint32_t **ret_ctr_ips,
		       char ***ret_ctr_ids, size_t *ret_n, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct berth_port_mapping *v = NULL;
	uint32_t *ips = NULL;
	char **ids = berth_xcalloc(1, sizeof(char *));
	size_t count = 0;
	int r, rc;

	if ((r = prepare(n->h,
			 "SELECT host_ip, host_port, proto, ctr_port, ctr_ip, container_id FROM net_ports "
			 "WHERE ?1 IS NULL OR container_id = ?1 ORDER BY container_id, ctr_port, proto, host_ip, host_port",
			 &st, err)) < 0) {
		free(ids);
		return r;
	}
	sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *proto = (const char *)sqlite3_column_text(st, 2);
		v = berth_xreallocarray(v, count + 1, sizeof(*v));
		ips = berth_xreallocarray(ips, count + 1, sizeof(*ips));
		v[count] = (struct berth_port_mapping){
			.host_ip = (uint32_t)sqlite3_column_int64(st, 0),
			.host_port = (uint16_t)sqlite3_column_int(st, 1),
			.ctr_port = (uint16_t)sqlite3_column_int(st, 3),
		};
		snprintf(v[count].proto, sizeof(v[count].proto), "%s", proto ? proto : "tcp");
		ips[count] = (uint32_t)sqlite3_column_int64(st, 4);
		berth_strv_push(&ids, (const char *)sqlite3_column_text(st, 5));
		count++;
	}
	if (rc != SQLITE_DONE) {
		free(v);
		free(ips);
		berth_strv_free(ids);
		return sql_error(n->h, rc, "read ports", err);
	}
	*ret = v;
	*ret_n = count;
	if (ret_ctr_ips)
		*ret_ctr_ips = ips;
	else
		free(ips);
	if (ret_ctr_ids)
		*ret_ctr_ids = ids;
	else
		berth_strv_free(ids);
	return 0;
}
