#pragma once
/*
 * Image references, with docker's normalisation rules:
 *   busybox                -> docker.io/library/busybox:latest
 *   user/app:1             -> docker.io/user/app:1
 *   localhost/x:tag        -> localhost/x:tag
 *   host:5000/a/b@sha256:… -> host:5000/a/b@sha256:…  (digest, no implied tag)
 * A domain is the first path component when it contains '.' or ':' or is
 * "localhost".  Repository paths are lowercase [a-z0-9] separated by
 * '.', '_', '__' or '-'s; tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
 */
#include <stdbool.h>

#include "util/error.h"

struct berth_reference {
	char *domain; /* "docker.io", "localhost", "127.0.0.1:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* NULL when the reference has a digest and no tag */
	char *digest; /* NULL or a validated "sha256:…" */
	bool short_name; /* the input had no domain (docker.io was implied) */
};

/* Parse and normalise; a reference with neither tag nor digest gets tag "latest". */
int berth_reference_parse(const char *s, struct berth_reference *ret, struct berth_error *err);
void berth_reference_release(struct berth_reference *ref);

/* "domain/path:tag", "domain/path@digest" or "domain/path:tag@digest" (malloc'd). */
char *berth_reference_string(const struct berth_reference *ref);
/* "domain/path" (malloc'd): the repository, as `images` lists it in its first column before shortening. */
char *berth_reference_repository(const struct berth_reference *ref);
/* docker's familiar form of a repository: strips "docker.io/" and "library/" (malloc'd). */
char *berth_reference_familiar(const char *repository);
