#pragma once
/*
 * A container's network namespace that outlives its processes: a bind mount
 * of the namespace onto a file (<runroot>/netns/<id>, as `ip netns` does
 * under /run/netns).  Made before the runtime creates the container, which
 * joins it by path; torn down on cleanup and rm.
 */
#include "network/netlink.h"
#include "util/error.h"

/*
 * Make a new network namespace bound at path (its directory is created).
 * A namespace left mounted there (a crash) is replaced.  *ret_fd: the
 * namespace (O_CLOEXEC); *ret_nl, when not NULL, a netlink socket inside it.
 * The calling thread's own namespace is unchanged.
 */
int berth_netns_create(const char *path, int *ret_fd, struct berth_nl **ret_nl, struct berth_error *err);

/* A netlink socket inside the namespace nsfd. */
int berth_netns_nl(int nsfd, struct berth_nl **ret, struct berth_error *err);

/* Whether path is a namespace bound by berth_netns_create(). */
bool berth_netns_is_bound(const char *path);

/* Unmount and remove path; one that is not there is fine. */
int berth_netns_destroy(const char *path, struct berth_error *err);
