#pragma once
/*
 * The `features` verb's document (runtime-spec features.md): what this
 * runtime implements, in the shape `runc features` prints, so higher level
 * engines can probe berth-runtime like runc.
 */
#include <jansson.h>

/*
 * A new reference to the features object: supported OCI versions, hooks,
 * mount options, namespaces, capabilities, cgroup drivers, seccomp
 * actions/operators/architectures/flags (supportedFlags probed on the
 * running kernel), the disabled LSMs and extensions, and annotations naming
 * the berth version.
 */
json_t *berth_oci_features(void);
