/* `berth stats`: the container's cgroup counters, and the host's, in the numbers docker computes. */
#include "engine/container-info.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static uint64_t jget(json_t *o, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

/* The host's CPU time in ns (the "cpu" line of /proc/stat), as docker's getSystemCPUUsage. */
static uint64_t system_cpu_ns(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *stat = NULL;
	unsigned long long v[8] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks = 0;
	size_t len;

	if (berth_read_file("/proc/stat", 1 << 20, &stat, &len, &err) < 0 || strncmp(stat, "cpu ", 4) != 0)
		return 0;
	sscanf(stat + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
	       &v[7]);
	for (int i = 0; i < 8; i++)
		ticks += v[i];
	return ticks * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
}

static uint64_t host_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

/* Bytes in and out of every interface but lo, from /proc/PID/net/dev (the container's network namespace). */
static void net_bytes(pid_t pid, uint64_t *rx, uint64_t *tx)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *buf = NULL;
	char path[64];
	size_t len;

	*rx = *tx = 0;
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	if (pid <= 0 || berth_read_file(path, 1 << 20, &buf, &len, &err) < 0)
		return;
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':');
		unsigned long long r = 0, t = 0;
		while (*l && isspace((unsigned char)*l))
			l++;
		if (!colon || strncmp(l, "lo:", 3) == 0)
			continue;
		/* face: rx bytes packets errs drop fifo frame compressed multicast, then tx bytes */
		if (sscanf(colon + 1, "%llu %*u %*u %*u %*u %*u %*u %*u %llu", &r, &t) == 2) {
			*rx += r;
			*tx += t;
		}
	}
}

static void blkio_bytes(json_t *stats, uint64_t *read, uint64_t *write)
{
	json_t *entries = json_object_get(json_object_get(stats, "blkio"), "ioServiceBytesRecursive"), *e;
	size_t i;

	*read = *write = 0;
	json_array_foreach(entries, i, e) {
		const char *op = json_string_value(json_object_get(e, "op"));
		uint64_t v = jget(e, "value", NULL, NULL);
		if (op && strcasecmp(op, "read") == 0)
			*read += v;
		else if (op && strcasecmp(op, "write") == 0)
			*write += v;
	}
}

int berth_ctr_stats_read(struct berth_engine *e, const struct berth_ctr *c, struct berth_ctr_stats *ret,
			 struct berth_error *err)
{
	json_t *stats = NULL, *raw;
	struct timespec ts;
	uint64_t usage, inactive;
	json_t *percpu;
	int r;

	*ret = (struct berth_ctr_stats){ 0 };
	if (c->state != BERTH_CTR_RUNNING && c->state != BERTH_CTR_PAUSED)
		return berth_error_setx(err, ESRCH, "container %s is not running", c->id);
	if ((r = berth_container_stats(e->runtime_root, c->id, &stats, NULL, err)) < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ret->read_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	ret->system_ns = system_cpu_ns();
	ret->cpu_total_ns = jget(stats, "cpu", "usage", "total");
	percpu = json_object_get(json_object_get(json_object_get(stats, "cpu"), "usage"), "percpu");
	ret->online_cpus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (ret->online_cpus == 0)
		ret->online_cpus = (unsigned)json_array_size(percpu);
	/* docker subtracts the inactive page cache: v1's total_inactive_file, v2's inactive_file */
	usage = jget(stats, "memory", "usage", "usage");
	raw = json_object_get(json_object_get(stats, "memory"), "raw");
	inactive = json_object_get(raw, "total_inactive_file") ? jget(raw, "total_inactive_file", NULL, NULL)
							       : jget(raw, "inactive_file", NULL, NULL);
	ret->mem_usage = inactive < usage ? usage - inactive : usage;
	ret->mem_limit = jget(stats, "memory", "usage", "limit");
	if (ret->mem_limit == 0 || (host_memory() && ret->mem_limit > host_memory()))
		ret->mem_limit = host_memory();
	blkio_bytes(stats, &ret->blk_read, &ret->blk_write);
	ret->pids = jget(stats, "pids", "current", NULL);
	/* the host's network is not the container's to report, as docker shows none for --network host */
	{
		const char *mode = json_string_value(json_object_get(json_object_get(c->config, "HostConfig"), "NetworkMode"));
		if (!mode || strcmp(mode, "host") != 0)
			net_bytes(c->pid, &ret->net_rx, &ret->net_tx);
	}
	json_decref(stats);
	return 0;
}

double berth_ctr_stats_cpu_percent(const struct berth_ctr_stats *prev, const struct berth_ctr_stats *now)
{
	double cpu, sys;

	if (!prev || !now || now->cpu_total_ns < prev->cpu_total_ns || now->system_ns <= prev->system_ns)
		return 0.0;
	cpu = (double)(now->cpu_total_ns - prev->cpu_total_ns);
	sys = (double)(now->system_ns - prev->system_ns);
	return cpu / sys * (double)now->online_cpus * 100.0;
}
