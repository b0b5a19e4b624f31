#pragma once
/*
 * The registry client: pull, push, login and logout against registries
 * that speak the OCI distribution API / Docker Registry HTTP API v2.
 *
 * Pull fetches the manifest (an index or manifest list picks the platform),
 * the config, and the layers the store lacks, several at once; each layer
 * streams into a blob writer (hashed, size-checked) that a layer job
 * follows, so it unpacks while it downloads.  A dropped transfer resumes
 * with a Range request.  A bad blob fails the pull: nothing is recorded,
 * and no blob that failed its digest is kept (blobs that were verified
 * stay, for the next pull to reuse, and are garbage for prune otherwise).
 *
 * Push sends the blobs the registry lacks (HEAD first, then a cross-
 * repository mount when the image came from another repository of the same
 * registry, else an upload: one PUT, or PATCH chunks for large blobs), then
 * the manifest, byte for byte as stored, so digests stay the same.
 */
#include <stdbool.h>
#include <stdint.h>

#include "image/store.h"
#include "progress.h"
#include "util/error.h"

struct berth_registry_options {
	int tls_verify;		/* -1 = verify unless the registry is listed insecure; 0; 1 */
	const char *cert_dir;	/* NULL = HOST[:PORT]/ under the certs.d directories */
	const char *auth_file;	/* NULL = the default credential files (credentials.h) */
	const char *username;	/* with password: use these instead of stored credentials */
	const char *password;
	unsigned max_concurrent; /* transfers at once; 0 = 3 */
	struct berth_progress *progress; /* NULL = silent */
};

#define BERTH_REGISTRY_OPTIONS_INIT { .tls_verify = -1 }

struct berth_pull_result {
	char *id;	   /* image id (config digest) */
	char *name;	   /* the full name set, or NULL (pulled by digest) */
	char *repo_digest; /* "domain/path@sha256:…" */
	bool downloaded;   /* false: the store had everything ("Image is up to date") */
};
void berth_pull_result_release(struct berth_pull_result *r);

/*
 * Pull ref (docker's normalisation: "busybox" is docker.io/library/busybox:latest)
 * for platform ("os/arch[/variant]", NULL = this host).
 */
int berth_registry_pull(struct berth_store *s, const char *ref, const char *platform,
			const struct berth_registry_options *opts, struct berth_pull_result *ret,
			struct berth_error *err);

/*
 * Push the local image src to dest (NULL = src's own name, which must then
 * name a registry repository).  ret_digest (may be NULL) gets the manifest
 * digest; the image gets the repo digest "dest-repository@digest".
 */
int berth_registry_push(struct berth_store *s, const char *src, const char *dest,
			const struct berth_registry_options *opts, char **ret_digest, struct berth_error *err);

/*
 * Check user/password against the registry (NULL = docker.io) and store
 * them (credentials.h).  ret_key gets the registry as stored ("localhost:5000").
 */
int berth_registry_login(const char *registry, const char *user, const char *password,
			 const struct berth_registry_options *opts, char **ret_key, struct berth_error *err);
/* Remove the registry's stored credentials; -ENOENT when there were none. */
int berth_registry_logout(const char *registry, const struct berth_registry_options *opts, char **ret_key,
			  struct berth_error *err);
