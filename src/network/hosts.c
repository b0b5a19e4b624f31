/* /etc/hosts of containers on berth's networks: their own name, and their peers' on user-defined networks. */
#include "network/network-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network/ipam.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static const char localhost[] = "127.0.0.1\tlocalhost\n"
				"::1\tlocalhost ip6-localhost ip6-loopback\n"
				"fe00::0\tip6-localnet\n"
				"ff00::0\tip6-mcastprefix\n"
				"ff02::1\tip6-allnodes\n"
				"ff02::2\tip6-allrouters\n";

/* The default network is docker's default bridge: no names there. */
static bool names_on(const struct berth_endpoint *ep)
{
	return strcmp(ep->network_name, BERTH_NET_DEFAULT_NAME) != 0;
}

char *berth_net_hosts_content(const char *hostname, const struct berth_endpoint *own, size_t n_own,
			      const struct berth_endpoint *peers, size_t n_peers)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char ip[16];

	if (!f)
		abort();
	fputs(localhost, f);
	if (n_own)
		fprintf(f, "%s\t%s\n", berth_ipv4_format(own[0].ip, ip), hostname);
	if (n_peers)
		fputs("# containers on the same networks (berth rewrites these lines as they come and go)\n", f);
	for (size_t i = 0; i < n_peers; i++) {
		const struct berth_endpoint *p = &peers[i];
		fprintf(f, "%s\t%s", berth_ipv4_format(p->ip, ip), p->name);
		if (strcmp(p->hostname, p->name) != 0)
			fprintf(f, " %s", p->hostname);
		for (char **a = p->aliases; a && *a; a++)
			fprintf(f, " %s", *a);
		fputc('\n', f);
	}
	fclose(f);
	return text;
}

/*
 * In place, not by rename: the file is bind-mounted into the container, and
 * a mount holds the inode.  Written over then truncated, so a reader sees
 * the old lines or the new ones, never an empty file.
 */
static int write_in_place(const char *path, const char *text, struct berth_error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	size_t len = strlen(text);

	if (fd < 0) {
		/* the container is being removed: nobody reads this file any more */
		if (errno == ENOENT)
			return 0;
		return berth_error_set(err, errno, "open \"%s\"", path);
	}
	if (pwrite(fd, text, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) < 0)
		return berth_error_set(err, errno, "write \"%s\"", path);
	return 0;
}

int berth_net_write_hosts(struct berth_net *n, const char *ctr_id, struct berth_error *err)
{
	struct berth_endpoint *own = NULL, *peers = NULL;
	size_t n_own = 0, n_peers = 0;
	_cleanup_free_ char *path = NULL, *text = NULL;
	int r;

	if ((r = berth_net_db_endpoints(n, ctr_id, NULL, &own, &n_own, err)) < 0)
		return r;
	if (n_own == 0) {
		free(own);
		return 0;
	}
	for (size_t i = 0; i < n_own; i++) {
		struct berth_endpoint *v = NULL;
		size_t nv = 0;
		if (!names_on(&own[i]))
			continue;
		if ((r = berth_net_db_endpoints(n, NULL, own[i].network_id, &v, &nv, err)) < 0)
			goto out;
		for (size_t j = 0; j < nv; j++) {
			if (strcmp(v[j].container_id, ctr_id) == 0)
				continue;
			peers = berth_xreallocarray(peers, n_peers + 1, sizeof(*peers));
			peers[n_peers++] = v[j];
			v[j] = (struct berth_endpoint){ 0 };
		}
		berth_endpoint_array_free(v, nv);
	}
	text = berth_net_hosts_content(own[0].hostname, own, n_own, peers, n_peers);
	path = berth_xasprintf("%s/%s/hosts", n->ctr_dir, ctr_id);
	r = write_in_place(path, text, err);
out:
	berth_endpoint_array_free(own, n_own);
	berth_endpoint_array_free(peers, n_peers);
	return r;
}

int berth_net_rewrite_hosts_of_network(struct berth_net *n, const char *network_id, struct berth_error *err)
{
	struct berth_endpoint *v = NULL;
	size_t nv = 0;
	int r;

	if ((r = berth_net_db_endpoints(n, NULL, network_id, &v, &nv, err)) < 0)
		return r;
	for (size_t i = 0; i < nv && r == 0; i++)
		r = berth_net_write_hosts(n, v[i].container_id, err);
	berth_endpoint_array_free(v, nv);
	return r;
}
