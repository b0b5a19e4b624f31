#pragma once
/*
 * Which namespaces a container creates and which it joins, and the
 * mechanics of both.  The common case (everything new, nothing joined) is
 * one clone() with all CLONE_NEW* flags.  When existing namespaces are
 * joined by path, the init joins them first (while still privileged in the
 * host user namespace) and creates the new ones afterwards with unshare(),
 * forking once more when a new pid namespace is wanted, like runc's nsexec.
 */
#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

struct berth_ns_plan {
	int join_fd[_BERTH_NS_MAX]; /* -1: not joined, or already joined and closed */
	bool join[_BERTH_NS_MAX];   /* joined by path */
	bool create[_BERTH_NS_MAX]; /* create a new namespace of this kind */
	bool slow_path;             /* some namespace other than pid/time is joined */
	int clone_flags;            /* flags for the first clone() */
	int unshare_flags;          /* created by the init with unshare() after joining (slow path) */
	/* the runtime's own pid/time namespaces, to restore pid_for_children/time_for_children */
	int own_pid_fd;
	int own_time_fd;
};

/* Open and check (NS_GET_NSTYPE) every namespace path; compute the flags. */
int berth_ns_plan_init(const struct berth_oci_config *cfg, struct berth_ns_plan *ret, struct berth_error *err);
void berth_ns_plan_release(struct berth_ns_plan *p);

/*
 * In the runtime, right before clone(): pid and time namespaces apply to
 * children only, so join them here (by path), or make a new time
 * namespace and write its offsets (they can be set only before any
 * process enters it).
 */
int berth_ns_prepare_parent(struct berth_ns_plan *p, const struct berth_oci_linux *l, struct berth_error *err);

/* In the runtime, right after clone(): make its own children land in its own namespaces again. */
int berth_ns_restore_parent(struct berth_ns_plan *p, struct berth_error *err);

/* In the init: join every namespace given by path except pid and time (user first, mount last). */
int berth_ns_join_all(struct berth_ns_plan *p, struct berth_error *err);
