/* The berth nftables table: generated text, applied with libnftables. */
#include "network/nft.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "network/ipam.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static void nft_ctx_freep(struct nft_ctx **c)
{
	if (*c)
		nft_ctx_free(*c);
}

static void ports_maps(FILE *f, const struct berth_nft_port *ports, size_t n, bool with_addr)
{
	bool first = true;

	if (with_addr)
		fprintf(f, "\tmap ports-addr {\n\t\ttype ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service\n");
	else
		fprintf(f, "\tmap ports-any {\n\t\ttype inet_proto . inet_service : ipv4_addr . inet_service\n");
	for (size_t i = 0; i < n; i++) {
		char host[16], ctr[16];
		if ((ports[i].host_ip != 0) != with_addr)
			continue;
		fprintf(f, "%s", first ? "\t\telements = { " : ",\n\t\t\t");
		first = false;
		if (with_addr)
			fprintf(f, "%s . ", berth_ipv4_format(ports[i].host_ip, host));
		fprintf(f, "%s . %u comment \"%.12s\" : %s . %u", ports[i].proto, ports[i].host_port,
			ports[i].ctr_id ? ports[i].ctr_id : "", berth_ipv4_format(ports[i].ctr_ip, ctr), ports[i].ctr_port);
	}
	if (!first)
		fprintf(f, " }\n");
	fprintf(f, "\t}\n");
}

char *berth_nft_ruleset(const char *table, const struct berth_nft_network *nets, size_t n_nets,
			const struct berth_nft_port *ports, size_t n_ports)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	/* "add" first so that "delete" cannot fail: the swap is one transaction */
	fprintf(f, "add table ip %s\ndelete table ip %s\ntable ip %s {\n", table, table, table);
	ports_maps(f, ports, n_ports, true);
	ports_maps(f, ports, n_ports, false);
	fprintf(f, "\tchain ports {\n"
		   "\t\tdnat ip to ip daddr . meta l4proto . th dport map @ports-addr\n"
		   "\t\tdnat ip to meta l4proto . th dport map @ports-any\n\t}\n"
		   "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
		   "\t\tfib daddr type local jump ports\n\t}\n"
		   "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n"
		   "\t\tfib daddr type local jump ports\n\t}\n"
		   "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	for (size_t i = 0; i < n_nets; i++) {
		char sub[16];
		const struct berth_nft_network *n = &nets[i];
		berth_ipv4_format(n->subnet, sub);
		if (!n->internal)
			fprintf(f, "\t\tip saddr %s/%d oifname != \"%s\" masquerade\n", sub, n->prefix, n->bridge);
		fprintf(f, "\t\toifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n", n->bridge);
		fprintf(f, "\t\toifname \"%s\" ct status dnat ip saddr %s/%d masquerade\n", n->bridge, sub, n->prefix);
	}
	fprintf(f, "\t}\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n");
	/* networks are isolated from each other, as docker's are */
	for (size_t i = 0; i < n_nets && n_nets > 1; i++) {
		fprintf(f, "\t\tiifname \"%s\" oifname { ", nets[i].bridge);
		for (size_t j = 0, k = 0; j < n_nets; j++)
			if (j != i)
				fprintf(f, "%s\"%s\"", k++ ? ", " : "", nets[j].bridge);
		fprintf(f, " } drop\n");
	}
	for (size_t i = 0; i < n_nets; i++)
		if (nets[i].internal)
			fprintf(f, "\t\tiifname \"%s\" oifname != \"%s\" drop\n\t\toifname \"%s\" iifname != \"%s\" drop\n",
				nets[i].bridge, nets[i].bridge, nets[i].bridge, nets[i].bridge);
	fprintf(f, "\t}\n}\n");
	fclose(f);
	return text;
}

char *berth_nft_ports_command(const char *table, bool add, const struct berth_nft_port *ports, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	for (size_t i = 0; i < n; i++) {
		char host[16], ctr[16];
		const struct berth_nft_port *p = &ports[i];
		fprintf(f, "%s element ip %s %s { ", add ? "add" : "delete", table, p->host_ip ? "ports-addr" : "ports-any");
		if (p->host_ip)
			fprintf(f, "%s . ", berth_ipv4_format(p->host_ip, host));
		fprintf(f, "%s . %u", p->proto, p->host_port);
		if (add)
			fprintf(f, " comment \"%.12s\" : %s . %u", p->ctr_id ? p->ctr_id : "", berth_ipv4_format(p->ctr_ip, ctr),
				p->ctr_port);
		fprintf(f, " }\n");
	}
	fclose(f);
	return text ? text : berth_xstrdup("");
}

static int run(const char *commands, char **ret_output, struct berth_error *err)
{
	_cleanup_(nft_ctx_freep) struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int rc;

	if (!ctx)
		return berth_error_setx(err, ENOMEM, "nftables: cannot make a context");
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	rc = nft_run_cmd_from_buffer(ctx, commands);
	if (rc != 0) {
		const char *msg = nft_ctx_get_error_buffer(ctx);
		_cleanup_free_ char *line = berth_xstrdup(msg && *msg ? msg : "failed");
		char *nl = strchr(line, '\n');
		/* nft's first line says what; the rest draws arrows under the input */
		if (nl)
			*nl = '\0';
		if (strstr(line, "No such file or directory"))
			return berth_error_setx(err, ENOENT, "nftables: %s", line);
		return berth_error_setx(err, EIO, "nftables: %s", line);
	}
	if (ret_output)
		*ret_output = berth_xstrdup(nft_ctx_get_output_buffer(ctx));
	return 0;
}

int berth_nft_run(const char *commands, struct berth_error *err)
{
	return run(commands, NULL, err);
}

int berth_nft_delete_table(const char *table, struct berth_error *err)
{
	_cleanup_free_ char *cmd = berth_xasprintf("add table ip %s\ndelete table ip %s\n", table, table);

	return run(cmd, NULL, err);
}

int berth_nft_list_table(const char *table, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *cmd = berth_xasprintf("list table ip %s", table);

	return run(cmd, ret, err);
}
