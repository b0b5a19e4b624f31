#pragma once
/*
 * What `berth ps`, `top`, `stats` and `container prune` read about
 * containers, beside the lifecycle of container.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "engine/container.h"

/* Every container, newest first, each brought up to date (berth_ctr_refresh). */
int berth_ctr_list(struct berth_engine *e, struct berth_ctr **ret, size_t *ret_n, struct berth_error *err);

/*
 * docker's SizeRw (the bytes in the container's writable layer: regular
 * files, symlinks, hard links counted once) and SizeRootFs (SizeRw plus
 * the image).
 */
int berth_ctr_size(struct berth_engine *e, const struct berth_ctr *c, int64_t *ret_rw, int64_t *ret_rootfs,
		   struct berth_error *err);

/*
 * `top`: the container's processes as `ps -ef` shows them, in docker's API
 * shape {"Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME",
 * "CMD"], "Processes": [[…], …]}.  The container must be running.
 */
int berth_ctr_top(struct berth_engine *e, const char *ref, json_t **ret, struct berth_error *err);

/* One reading of a container's resource usage (`stats`); counters are cumulative. */
struct berth_ctr_stats {
	int64_t read_ns;        /* when (CLOCK_MONOTONIC) */
	uint64_t cpu_total_ns;  /* the container's CPU time */
	uint64_t system_ns;     /* the host's CPU time (all CPUs, /proc/stat), for docker's CPU % */
	unsigned online_cpus;
	uint64_t mem_usage;     /* docker's: usage minus the inactive file cache */
	uint64_t mem_limit;     /* the cgroup's limit, or the host's memory when unlimited */
	uint64_t net_rx, net_tx; /* every interface of the container's network namespace but lo */
	uint64_t blk_read, blk_write;
	uint64_t pids;
};

/* A reading of a running (or paused) container; -ESRCH when it is not running. */
int berth_ctr_stats_read(struct berth_engine *e, const struct berth_ctr *c, struct berth_ctr_stats *ret,
			 struct berth_error *err);
/* docker's CPU %: the container's share of the host's CPU time between two readings, times the CPUs. */
double berth_ctr_stats_cpu_percent(const struct berth_ctr_stats *prev, const struct berth_ctr_stats *now);

/* `container prune`'s filters: until= (created before, unix ns; 0 = any) and label= / label!= ("k" or "k=v"). */
struct berth_prune_filters {
	int64_t until;
	char **labels;     /* the container must have each */
	char **not_labels; /* and none of these */
};

/* Whether the container's labels satisfy label= / label!= filters as docker reads them. */
bool berth_ctr_labels_match(const struct berth_ctr *c, char *const *labels, char *const *not_labels);

/*
 * Remove every stopped (created or exited) container the filters select.
 * *ret_ids: what was removed; *ret_reclaimed: the bytes their writable
 * layers held.  A container that cannot be removed is skipped (it may have
 * been started meanwhile); the first such error is returned only when
 * nothing could be removed.
 */
int berth_ctr_prune(struct berth_engine *e, const struct berth_prune_filters *f, char ***ret_ids,
		    uint64_t *ret_reclaimed, struct berth_error *err);
