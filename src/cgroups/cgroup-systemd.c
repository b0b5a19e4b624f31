/*
 * systemd cgroup driver.  With systemd as PID 1 the container's cgroup must be
 * a transient scope created over D-Bus (StartTransientUnit), or systemd will
 * fight over it.  Not implemented yet: say so clearly instead of silently
 * falling back to cgroupfs.
 */
#include "cgroups/cgroup-internal.h"

#include <errno.h>
#include <unistd.h>

/* The check sd_booted() does: systemd creates this directory early at boot. */
#define SYSTEMD_RUNNING_DIR "/run/systemd/system"

int berth_cgroup_systemd_check(struct berth_error *err)
{
	if (access(SYSTEMD_RUNNING_DIR, F_OK) < 0)
		return berth_error_setx(err, ENOTSUP,
					"systemd cgroup driver requested but systemd is not running (%s missing)",
					SYSTEMD_RUNNING_DIR);
	return berth_error_setx(err, ENOTSUP, "systemd cgroup driver is not supported yet");
}
