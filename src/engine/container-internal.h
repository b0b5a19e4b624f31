#pragma once
/* Between the engine's container files; not for the CLI. */
#include "engine/container.h"

/*
 * Look ref up, take its lock, then read the row again under the lock and
 * refresh it: what a caller sees cannot be changed by another berth (or the
 * monitor's cleanup) until it closes the returned lock fd.  A container
 * removed meanwhile is -ENOENT "No such container: REF".
 */
int berth_ctr_get_locked(struct berth_engine *e, const char *ref, struct berth_ctr *ret, struct berth_error *err);

/* The container's monitor runs (a zombie does not count): it will record the exit and run the cleanup. */
bool berth_ctr_monitor_alive(pid_t pid);

/* For remove: SIGKILL (thawed first when paused) and wait for the exit record. */
int berth_ctr_kill_and_wait(struct berth_engine *e, struct berth_ctr *c, struct berth_error *err);
