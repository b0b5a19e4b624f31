#pragma once
/*
 * The engine: what `berth` opens once per command.  It owns the image store
 * and knows where containers live:
 *
 *   <root>/containers/<id>/        config.json (the OCI bundle), upper/ and
 *                                  work/ (the overlay's writable layer),
 *                                  ctr.log (json-file), exit.json (the
 *                                  monitor's record), hostname, hosts,
 *                                  resolv.conf, lock
 *   <runroot>/containers/<id>/     rootfs/ (the overlay mount), attach
 *   <runroot>/runtime/             berth-runtime's state (runc's --root)
 *
 * Everything runs in the berth process itself through the runtime library:
 * no daemon, no exec of berth-runtime.  Only the per-container monitor is a
 * process of its own.
 */
#include "image/store.h"
#include "util/error.h"

struct berth_net;

struct berth_engine {
	struct berth_store *store;
	char *ctr_dir;      /* <root>/containers */
	char *run_dir;      /* <runroot>/containers */
	char *runtime_root; /* <runroot>/runtime */
	char *monitor_path; /* berth-monitor: $BERTH_MONITOR, else next to the berth binary */
	char *init_path;    /* berth-init (--init): $BERTH_INIT, else found the same way */
	char *self_path;    /* the berth binary, for the monitor's exit command, or NULL */
	struct berth_net *net; /* networks, leases, namespaces (network/network.h) */
};

/*
 * root/run_root NULL = the store's defaults ($BERTH_ROOT, /var/lib/berth, ...).
 * self_path is the berth binary, which the monitor runs when a container
 * exits ("berth container cleanup ID"): only the berth CLI may pass one; a
 * NULL leaves containers without that command (their exit is still
 * recorded and seen by the next command that looks).
 */
int berth_engine_open(const char *root, const char *run_root, const char *self_path, struct berth_engine **ret,
		      struct berth_error *err);
void berth_engine_free(struct berth_engine *e);
static inline void berth_engine_freep(struct berth_engine **e)
{
	if (*e)
		berth_engine_free(*e);
}

/* "<root>/containers/<id>/<name>" and "<runroot>/containers/<id>/<name>" (malloc'd; name may be NULL). */
char *berth_engine_ctr_path(const struct berth_engine *e, const char *id, const char *name);
char *berth_engine_run_path(const struct berth_engine *e, const char *id, const char *name);

/*
 * Take the container's lock (flock on <root>/containers/<id>/lock): every
 * state change of one container (start, stop, cleanup, rm) is serialised,
 * across processes, the monitor's cleanup included.  Returns the fd.
 */
int berth_engine_lock_ctr(const struct berth_engine *e, const char *id, struct berth_error *err);
