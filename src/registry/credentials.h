#pragma once
/*
 * Registry credentials in docker-compatible files:
 *   {"auths": {"registry.example:5000": {"auth": "<base64 user:password>"}}}
 * as podman's auth.json and docker's config.json keep them.  Reading tries,
 * in order: the given file (--authfile) alone, or $REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json and $DOCKER_CONFIG/config.json (or
 * ~/.docker/config.json).  Login writes the first of those that applies
 * (auth.json only when $XDG_RUNTIME_DIR is set), mode 0600, atomically,
 * keeping the file's other contents.  Credential helpers (credsStore,
 * credHelpers) are not run.
 *
 * A key names a registry ("localhost:5000", "docker.io") or a repository
 * in it ("localhost:5000/team/app"; the longest match wins); docker's
 * legacy keys ("https://index.docker.io/v1/") match too.
 */
#include <stdbool.h>

#include "util/error.h"

/* The files credentials are read from, in order (auth_file NULL = the defaults; malloc'd strv). */
char **reg_credentials_read_paths(const char *auth_file);
/* The file login writes (malloc'd). */
char *reg_credentials_write_path(const char *auth_file);

/*
 * Credentials for a repository (path may be NULL: the registry's own).
 * 0 with *ret_user and *ret_password set, -ENOENT when none is stored,
 * another -errno for a file that cannot be read or parsed.
 */
int reg_credentials_get(const char *auth_file, const char *domain, const char *path, char **ret_user,
			char **ret_password, struct berth_error *err);
/* Store credentials under key (a registry or "registry/repository"). */
int reg_credentials_set(const char *auth_file, const char *key, const char *user, const char *password,
			struct berth_error *err);
/* Remove the key from every file it is in; -ENOENT when none had it. */
int reg_credentials_remove(const char *auth_file, const char *key, struct berth_error *err);

/* The key form of a file's key ("https://index.docker.io/v1/" -> "docker.io"; malloc'd). */
char *reg_credentials_normalize_key(const char *key);
