#pragma once
/*
 * The default bundle configuration written by `berth-runtime spec`: the
 * same content as `runc spec` (and `runc spec --rootless`), so tools and
 * tutorials written against runc keep working; only ociVersion is ours.
 */
#include <jansson.h>
#include <stdbool.h>

/*
 * A new reference to the default config.  With `rootless` the network
 * namespace is dropped, a user namespace maps the caller's effective uid and
 * gid to root, /sys becomes a read-only rbind, uid=/gid= mount options and
 * the cgroup resources are removed, as runc's ToRootless() does.
 */
json_t *berth_oci_spec_default(bool rootless);

/*
 * Serialise a config the way runc writes one (Go's MarshalIndent with a tab):
 * tab indentation, members in insertion order, no trailing newline.  Free
 * the result with free().
 */
char *berth_oci_spec_dumps(const json_t *spec);
