/*
 * network: -p parsing and docker's port strings, IPv4 arithmetic and
 * address picking, the nftables text, /etc/hosts, and leases in the
 * database: distinct under concurrent processes, given back, reused.
 * The parts that touch netlink and nftables run in a network namespace of
 * the test's own (root only; skipped otherwise).
 */
#include "network/network.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/image-db.h"
#include "network/ipam.h"
#include "network/network-internal.h"
#include "network/nft.h"
#include "network/ports.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char dir[] = "/tmp/berth-test-network-XXXXXX";

static struct berth_port_spec *parse(const char *s, size_t *n, char **msg)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_port_spec *v = NULL;

	*n = 0;
	if (berth_port_spec_parse(s, &v, n, &err) < 0) {
		*msg = berth_xstrdup(err.msg);
		free(v);
		return NULL;
	}
	*msg = NULL;
	return v;
}

static bool parse_fails(const char *s, const char *want)
{
	size_t n;
	_cleanup_free_ char *msg = NULL;
	_cleanup_free_ struct berth_port_spec *v = parse(s, &n, &msg);

	if (!v && msg && strcmp(msg, want) != 0)
		tap_diag("%s: got \"%s\"", s, msg);
	return !v && msg && strcmp(msg, want) == 0;
}

static void test_port_specs(void)
{
	_cleanup_free_ char *msg = NULL;
	struct berth_port_spec *v;
	size_t n;
	uint32_t lo;

	v = parse("80", &n, &msg);
	TAP_OK(v && n == 1 && v[0].ctr_port == 80 && v[0].host_port == 0 && v[0].host_ip == 0 &&
	       strcmp(v[0].proto, "tcp") == 0);
	free(v);
	v = parse("8080:80/udp", &n, &msg);
	TAP_OK(v && n == 1 && v[0].ctr_port == 80 && v[0].host_port == 8080 && v[0].host_port_end == 8080 &&
	       strcmp(v[0].proto, "udp") == 0);
	free(v);
	berth_ipv4_parse("127.0.0.1", &lo);
	v = parse("127.0.0.1:18080:80", &n, &msg);
	TAP_OK(v && n == 1 && v[0].host_ip == lo && v[0].host_port == 18080);
	free(v);
	v = parse("127.0.0.1::80", &n, &msg);
	TAP_OK(v && n == 1 && v[0].host_ip == lo && v[0].host_port == 0 && v[0].ctr_port == 80);
	free(v);
	/* equal ranges pair up; a host range for one port is a choice */
	v = parse("8000-8002:80-82", &n, &msg);
	TAP_OK(v && n == 3 && v[2].ctr_port == 82 && v[2].host_port == 8002 && v[2].host_port_end == 8002);
	free(v);
	v = parse("8000-8010:80", &n, &msg);
	TAP_OK(v && n == 1 && v[0].host_port == 8000 && v[0].host_port_end == 8010);
	free(v);
	v = parse("90-91", &n, &msg);
	TAP_OK(v && n == 2 && v[1].ctr_port == 91 && v[1].host_port == 0);
	free(v);
	/* docker's messages */
	TAP_OK(parse_fails("abc", "invalid containerPort: abc"));
	TAP_OK(parse_fails("x:80", "invalid hostPort: x"));
	TAP_OK(parse_fails("80/sctpx", "invalid proto: sctpx"));
	TAP_OK(parse_fails("1.2.3:80:80", "invalid IP address: 1.2.3"));
	TAP_OK(parse_fails("8080:", "no port specified: 8080:<empty>"));
	TAP_OK(parse_fails("8000-8001:80-82", "invalid ranges specified for container and host Ports: 80-82 and 8000-8001"));
	TAP_OK(parse_fails("0:80", "invalid hostPort: 0"));
	TAP_OK(parse_fails("70000", "invalid containerPort: 70000"));
	TAP_OK(parse_fails("1:2:3:4", "invalid port specification: \"1:2:3:4\""));
	TAP_OK(parse_fails("[::1]:80:80", "invalid IP address: [::1]:80:80: berth publishes IPv4 ports only"));
}

static void test_port_strings(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_port_mapping m[] = {
		{ 0, 8081, 81, "tcp" },
		{ 0, 8080, 80, "tcp" },
		{ 0x7f000001, 9000, 90, "udp" },
	};
	char *exposed[] = { (char *)"443/tcp", NULL };
	_cleanup_free_ char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;
	uint16_t lo, hi;
	char proto[4];

	berth_port_mappings_sort(m, 3);
	TAP_OK(m[0].ctr_port == 80 && m[1].ctr_port == 81);
	s1 = berth_ports_format(m, 3, exposed);
	TAP_OK(strcmp(s1, "0.0.0.0:8080-8081->80-81/tcp, 127.0.0.1:9000->90/udp, 443/tcp") == 0);
	s2 = berth_ports_format(NULL, 0, NULL);
	TAP_OK(strcmp(s2, "") == 0);
	s3 = berth_port_mapping_format(&m[2]);
	TAP_OK(strcmp(s3, "90/udp -> 127.0.0.1:9000") == 0);
	/* not consecutive on both sides: not compacted */
	m[1].host_port = 8090;
	s4 = berth_ports_format(m, 2, NULL);
	TAP_OK(strcmp(s4, "0.0.0.0:8080->80/tcp, 0.0.0.0:8090->81/tcp") == 0);
	TAP_OK(berth_port_expose_parse("8000-8010/udp", &lo, &hi, proto, &err) == 0 && lo == 8000 && hi == 8010 &&
	       strcmp(proto, "udp") == 0);
	TAP_OK(berth_port_expose_parse("http", &lo, &hi, proto, &err) == -EINVAL);
}

static void test_ipam_math(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	uint32_t net, ip, used[4];
	int prefix;
	char buf[16];

	TAP_OK(berth_cidr_parse("10.88.0.0/16", &net, &prefix, &err) == 0 && net == 0x0a580000 && prefix == 16);
	TAP_OK(berth_cidr_parse("10.88.0.1/16", &net, &prefix, &err) == -EINVAL &&
	       strcmp(err.msg, "invalid subnet 10.88.0.1/16 : it should be 10.88.0.0/16") == 0);
	TAP_OK(berth_cidr_parse("10.88.0.0/31", &net, &prefix, &err) == -EINVAL);
	TAP_OK(berth_cidr_parse("10.88.0.0", &net, &prefix, &err) == -EINVAL);
	TAP_OK(berth_cidr_parse("10.88.0.0/x", &net, &prefix, &err) == -EINVAL);
	TAP_OK(berth_cidr_overlap(0x0a580000, 16, 0x0a58ff00, 24) && !berth_cidr_overlap(0x0a580000, 16, 0x0a590000, 24));
	TAP_OK(berth_cidr_contains(0x0a580000, 16, 0x0a58fffe) && !berth_cidr_contains(0x0a580000, 16, 0x0a590001));
	/* 10.0.0.0/29: .1 gateway, .2-.6 for containers */
	net = 0x0a000000;
	TAP_OK(berth_ipam_pick(net, 29, net + 1, NULL, 0, &ip) == 0 && ip == net + 2);
	used[0] = net + 3;
	used[1] = net + 2;
	TAP_OK(berth_ipam_pick(net, 29, net + 1, used, 2, &ip) == 0 && ip == net + 4);
	used[2] = net + 5;
	used[3] = net + 6;
	TAP_OK(berth_ipam_pick(net, 29, net + 1, used, 4, &ip) == 0 && ip == net + 4);
	used[0] = net + 4;
	used[1] = net + 2;
	TAP_OK(berth_ipam_pick(net, 29, net + 1, (uint32_t[]){ net + 2, net + 3, net + 4, net + 5, net + 6 }, 5, &ip) ==
	       -ENOSPC);
	/* a gateway elsewhere than .1 leaves .1 free */
	TAP_OK(berth_ipam_pick(net, 29, net + 6, NULL, 0, &ip) == 0 && ip == net + 1);
	TAP_OK(strcmp(berth_ipv4_format(0xc0a80001, buf), "192.168.0.1") == 0);
	{
		uint8_t mac[6];
		berth_ipam_mac(0x0a580002, mac);
		TAP_OK(mac[0] == 2 && mac[1] == 0x42 && mac[2] == 10 && mac[3] == 88 && mac[5] == 2);
	}
}

static void test_nft_text(void)
{
	struct berth_nft_network nets[] = {
		{ "berth0", 0x0a580000, 16, false },
		{ "br-1", 0x0a590000, 24, true },
	};
	struct berth_nft_port ports[] = {
		{ 0, 18080, "tcp", 0x0a580002, 80, "0123456789abcdef" },
		{ 0x7f000001, 18081, "udp", 0x0a580003, 53, "fedcba9876543210" },
	};
	_cleanup_free_ char *t = berth_nft_ruleset("berth_t", nets, 2, ports, 2);
	_cleanup_free_ char *empty = berth_nft_ruleset("berth_t", nets, 1, NULL, 0);

	TAP_OK(strncmp(t, "add table ip berth_t\ndelete table ip berth_t\ntable ip berth_t {", 63) == 0);
	TAP_OK(strstr(t, "elements = { tcp . 18080 comment \"0123456789ab\" : 10.88.0.2 . 80 }") != NULL);
	TAP_OK(strstr(t, "elements = { 127.0.0.1 . udp . 18081 comment \"fedcba987654\" : 10.88.0.3 . 53 }") != NULL);
	TAP_OK(strstr(t, "ip saddr 10.88.0.0/16 oifname != \"berth0\" masquerade") != NULL);
	/* internal: no way out, but localhost DNAT and hairpin still work */
	TAP_OK(strstr(t, "ip saddr 10.89.0.0/24 oifname") == NULL && strstr(t, "oifname \"br-1\" ip saddr 127.0.0.0/8 masquerade"));
	TAP_OK(strstr(t, "iifname \"berth0\" oifname { \"br-1\" } drop") != NULL);
	TAP_OK(strstr(t, "fib daddr type local jump ports") != NULL);
	{
		_cleanup_free_ char *add = berth_nft_ports_command("berth_t", true, ports, 2);
		_cleanup_free_ char *del = berth_nft_ports_command("berth_t", false, ports, 2);
		_cleanup_free_ char *none = berth_nft_ports_command("berth_t", true, NULL, 0);
		TAP_OK(strcmp(add, "add element ip berth_t ports-any { tcp . 18080 comment \"0123456789ab\" : 10.88.0.2 . 80 }\n"
				   "add element ip berth_t ports-addr { 127.0.0.1 . udp . 18081 comment \"fedcba987654\" : "
				   "10.88.0.3 . 53 }\n") == 0);
		TAP_OK(strcmp(del, "delete element ip berth_t ports-any { tcp . 18080 }\n"
				   "delete element ip berth_t ports-addr { 127.0.0.1 . udp . 18081 }\n") == 0);
		TAP_OK(strcmp(none, "") == 0);
	}
	/* no elements line for an empty map (nft rejects "elements = { }") */
	TAP_OK(strstr(empty, "elements") == NULL && strstr(empty, "oifname {") == NULL);
}

static void test_hosts_text(void)
{
	char *aliases[] = { (char *)"db", NULL };
	struct berth_endpoint own = { .ip = 0x0a590002, .network_name = (char *)"n" };
	struct berth_endpoint peers[] = {
		{ .ip = 0x0a590003, .name = (char *)"web", .hostname = (char *)"abcdef012345", .aliases = aliases },
		{ .ip = 0x0a590004, .name = (char *)"same", .hostname = (char *)"same" },
	};
	_cleanup_free_ char *t = berth_net_hosts_content("myhost", &own, 1, peers, 2);
	_cleanup_free_ char *alone = berth_net_hosts_content("myhost", &own, 1, NULL, 0);

	TAP_OK(strncmp(t, "127.0.0.1\tlocalhost\n", 20) == 0);
	TAP_OK(strstr(t, "\n10.89.0.2\tmyhost\n") != NULL);
	TAP_OK(strstr(t, "\n10.89.0.3\tweb abcdef012345 db\n") != NULL);
	TAP_OK(strstr(t, "\n10.89.0.4\tsame\n") != NULL);
	TAP_OK(strstr(alone, "#") == NULL);
}

static struct berth_net *open_net(struct berth_db **ret_db)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_xasprintf("%s/berth.db", dir), *run = berth_xasprintf("%s/run", dir),
			    *ctrs = berth_xasprintf("%s/containers", dir);
	struct berth_net *n = NULL;

	if (berth_db_open(path, ret_db, &err) < 0 || berth_net_open(*ret_db, dir, run, ctrs, &n, &err) < 0) {
		tap_diag("open: %s", err.msg);
		return NULL;
	}
	return n;
}

static char *ctr_id(int i)
{
	return berth_xasprintf("%064x", i);
}

/* Each child takes leases for its own containers on one network; the parent counts. */
static void lease_worker(int w, int count)
{
	struct berth_db *db = NULL;
	struct berth_net *n = open_net(&db);
	int failures = 0;

	for (int i = 0; n && i < count; i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		_cleanup_free_ char *id = ctr_id(1000 * (w + 1) + i);
		if (berth_net_endpoint_add(n, id, "busy", "c", "h", NULL, NULL, &err) < 0) {
			fprintf(stderr, "# worker %d: %s\n", w, err.msg);
			failures++;
		}
	}
	berth_net_free(n);
	berth_db_free(db);
	_exit(failures ? 1 : 0);
}

static void test_leases(bool own_netns)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_db *db = NULL;
	struct berth_net *n = open_net(&db);
	struct berth_endpoint ep = { 0 }, *all = NULL;
	struct berth_network net = { 0 };
	_cleanup_free_ char *id = NULL, *a = ctr_id(1), *b = ctr_id(2), *c = ctr_id(3);
	size_t n_all = 0;
	int status, ok_children = 0, count = -1;
	char buf[16];

	if (!TAP_OK(n != NULL))
		return;
	/* the default network exists from the start */
	TAP_OK(berth_net_get(n, "bridge", &net, &err) == 0 && strcmp(net.bridge, "berth0") == 0 && net.prefix == 16 &&
	       strcmp(berth_ipv4_format(net.gateway, buf), "10.88.0.1") == 0);
	berth_network_release(&net);
	if (!own_netns) {
		tap_diag("not root: the networks' rules are not tried");
		berth_net_free(n);
		berth_db_free(db);
		return;
	}
	{
		struct berth_network_create req = { .name = "small", .subnet = "10.0.0.0/29" };
		TAP_OK(berth_net_create(n, &req, &id, &err) == 0);
		TAP_OK(berth_net_create(n, &req, &id, &err) == -EEXIST &&
		       strstr(err.msg, "Pool overlaps with other one on this address space"));
		req.name = "small";
		req.subnet = "10.1.0.0/24";
		TAP_OK(berth_net_create(n, &req, &id, &err) == -EEXIST &&
		       strcmp(err.msg, "network with name small already exists") == 0);
		req.name = "bad name";
		TAP_OK(berth_net_create(n, &req, &id, &err) == -EINVAL);
	}
	/* .2 .3 .4 .5 .6 and then no more */
	TAP_OK(berth_net_endpoint_add(n, a, "small", "a", "ha", NULL, &ep, &err) == 0 && (ep.ip & 0xff) == 2 &&
	       ep.ifnum == 0);
	berth_endpoint_release(&ep);
	TAP_OK(berth_net_endpoint_add(n, a, "small", "a", "ha", NULL, &ep, &err) == -EEXIST);
	TAP_OK(berth_net_endpoint_add(n, b, "small", "b", "hb", NULL, &ep, &err) == 0 && (ep.ip & 0xff) == 3);
	berth_endpoint_release(&ep);
	/* a second network: eth1 */
	TAP_OK(berth_net_endpoint_add(n, b, "bridge", "b", "hb", NULL, &ep, &err) == 0 && ep.ifnum == 1 &&
	       strcmp(berth_ipv4_format(ep.ip, buf), "10.88.0.2") == 0);
	berth_endpoint_release(&ep);
	for (int i = 10; i < 13; i++) {
		_cleanup_free_ char *x = ctr_id(i);
		TAP_OK(berth_net_endpoint_add(n, x, "small", "x", "hx", NULL, NULL, &err) == 0);
	}
	TAP_OK(berth_net_endpoint_add(n, c, "small", "c", "hc", NULL, &ep, &err) == -ENOSPC &&
	       strcmp(err.msg, "no available IPv4 addresses on network small") == 0);
	/* a network with leases stays */
	TAP_OK(berth_net_remove(n, "small", &err) == -EBUSY);
	/* given back, the address is free for the next one */
	TAP_OK(berth_net_endpoint_remove(n, a, NULL, &err) == 0);
	TAP_OK(berth_net_endpoint_add(n, c, "small", "c", "hc", NULL, &ep, &err) == 0 && (ep.ip & 0xff) == 2);
	berth_endpoint_release(&ep);
	/* a rename reaches the leases (and the peers' hosts files) */
	TAP_OK(berth_net_rename(n, c, "c2", &err) == 0 && berth_net_endpoints(n, c, &all, &n_all, &err) == 0 &&
	       n_all == 1 && strcmp(all[0].name, "c2") == 0);
	berth_endpoint_array_free(all, n_all);
	TAP_OK(berth_net_endpoint_remove(n, b, "small", &err) == 0 && berth_net_endpoints(n, b, &all, &n_all, &err) == 0 &&
	       n_all == 1 && strcmp(all[0].network_name, "bridge") == 0);
	berth_endpoint_array_free(all, n_all);
	TAP_OK(berth_net_endpoint_remove(n, b, "small", &err) == -ENOENT);

	/* 8 processes, 12 leases each, one /24: 96 distinct addresses */
	{
		struct berth_network_create req = { .name = "busy", .subnet = "10.2.0.0/24" };
		_cleanup_free_ char *busy = NULL;
		pid_t pids[8];
		TAP_OK(berth_net_create(n, &req, &busy, &err) == 0);
		for (int w = 0; w < 8; w++)
			if ((pids[w] = fork()) == 0)
				lease_worker(w, 12);
		for (int w = 0; w < 8; w++)
			if (waitpid(pids[w], &status, 0) == pids[w] && WIFEXITED(status) && WEXITSTATUS(status) == 0)
				ok_children++;
		TAP_OK(ok_children == 8);
		TAP_OK(berth_net_count_endpoints(n, busy, &count, &err) == 0 && count == 96);
		TAP_OK(berth_net_db_endpoints(n, NULL, busy, &all, &n_all, &err) == 0 && n_all == 96);
		{
			bool distinct = true;
			for (size_t i = 0; i < n_all; i++)
				for (size_t j = i + 1; j < n_all; j++)
					distinct = distinct && all[i].ip != all[j].ip;
			TAP_OK(distinct);
		}
		berth_endpoint_array_free(all, n_all);
	}
	berth_net_free(n);
	berth_db_free(db);
}

int main(void)
{
	bool own_netns;

	test_port_specs();
	test_port_strings();
	test_ipam_math();
	test_nft_text();
	test_hosts_text();
	if (!mkdtemp(dir))
		tap_skip_all("mkdtemp failed");
	/* rules and bridges go to a namespace of the test's own, never the host's */
	own_netns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0;
	test_leases(own_netns);
	{
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		berth_rm_rf_at(AT_FDCWD, dir, &err);
	}
	return tap_done();
}
