#pragma once
/*
 * Parsers for the values of docker's run/create flags, into run-options.h
 * types.  Messages name the flag value the way docker does, e.g.
 *	invalid argument "10x" for "-m, --memory" flag: invalid size: '10x'
 * is left to the CLI; these return the part after the last colon.
 */
#include <stdint.h>

#include "engine/run-options.h"
#include "util/error.h"

/* docker's RAMInBytes: "512", "64k", "100m", "1.5g", "2GiB", "1t" (powers of 1024). */
int berth_parse_memory(const char *s, int64_t *ret, struct berth_error *err);
/* --cpus: a positive decimal ("0.5", "2"). */
int berth_parse_cpus(const char *s, double *ret, struct berth_error *err);
/* --ulimit "nofile=1024:2048" or "nproc=512" (soft = hard); "unlimited" and -1 mean RLIM_INFINITY. */
int berth_parse_ulimit(const char *s, struct berth_ulimit *ret, struct berth_error *err);
/*
 * -v "SRC:DST[:OPTS]": SRC absolute = bind mount, else a named volume
 * (source left as the name, kind VOLUME; the engine resolves it); "DST"
 * alone = an anonymous volume (source NULL).  OPTS: ro, rw, z, Z, and the
 * propagation modes.
 */
int berth_parse_volume(const char *s, struct berth_mount_spec *ret, struct berth_error *err);
/* --mount "type=bind|volume|tmpfs,source=…,target=…,readonly,tmpfs-size=…,tmpfs-mode=…,bind-propagation=…". */
int berth_parse_mount(const char *s, struct berth_mount_spec *ret, struct berth_error *err);
/* --tmpfs "/run[:rw,size=64m,mode=1777]". */
int berth_parse_tmpfs(const char *s, struct berth_mount_spec *ret, struct berth_error *err);
/* --device "/dev/fuse[:/dev/fuse[:rwm]]" (host path and container path and permissions only; the engine stats it). */
int berth_parse_device(const char *s, struct berth_device_spec *ret, struct berth_error *err);
/* --env-file: "K=V" lines, "K" alone (taken from the environment when set), '#' comments, blank lines. */
int berth_parse_env_file(const char *path, char ***env, struct berth_error *err);

void berth_mount_spec_release(struct berth_mount_spec *m);
void berth_device_spec_release(struct berth_device_spec *d);
