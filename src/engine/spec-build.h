#pragma once
/*
 * Build a container's OCI config.json the way docker does, from the image
 * config and the run options: docker's 14 default capabilities, masked and
 * read-only paths, /dev/shm, device allow-list, default seccomp profile,
 * PATH/HOSTNAME/TERM, entrypoint + cmd, and --privileged lifting it all.
 * Pure: no filesystem access, so every rule is unit-tested.
 */
#include <jansson.h>

#include "engine/run-options.h"
#include "util/error.h"

/* docker's default capabilities (NULL-terminated). */
extern const char *const berth_default_capabilities[];

/*
 * image_config is the image's config JSON (the whole document; its "config"
 * object holds Env, Cmd, Entrypoint, WorkingDir, StopSignal...).  rootfs is
 * the absolute path of the container's root.  Fails with a message when the
 * result would have no command, a capability name is unknown, a mount target
 * is not absolute, or the seccomp profile is not JSON.
 */
int berth_spec_build(json_t *image_config, const struct berth_run_options *o, const char *rootfs, json_t **ret,
		     struct berth_error *err);

/* The process arguments docker would run: entrypoint + cmd with docker's override rules (malloc'd strv). */
char **berth_spec_process_args(json_t *image_config, const struct berth_run_options *o);
