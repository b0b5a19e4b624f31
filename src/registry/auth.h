#pragma once
/*
 * Registry authentication: WWW-Authenticate challenges (RFC 7235), HTTP
 * basic credentials, and the bearer tokens of the distribution token spec
 * (a GET of the challenge's realm with service and scope parameters,
 * answered with {"token": …} or {"access_token": …}).
 */
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct reg_challenge {
	char *scheme;  /* lowercase: "basic", "bearer", … */
	char **params; /* name, value, name, value, …, NULL; names lowercase */
};

/*
 * Parse a WWW-Authenticate header: one or more challenges separated by
 * commas, each "scheme" followed by name=value or name="quoted value"
 * parameters (or a token68).  -EINVAL on a header that is not one.
 */
int reg_challenges_parse(const char *header, struct reg_challenge **ret, size_t *ret_n, struct berth_error *err);
void reg_challenges_free(struct reg_challenge *c, size_t n);
/* A parameter's value (name case-insensitive), or NULL. */
const char *reg_challenge_param(const struct reg_challenge *c, const char *name);

/* The token of a token server's JSON answer ("token", else "access_token"); expires_in (seconds) or 0. */
int reg_token_parse(const char *body, size_t len, char **ret_token, int64_t *ret_expires_in, struct berth_error *err);

/* "Basic <base64(user:password)>" (malloc'd). */
char *reg_basic_authorization(const char *user, const char *password);

/* Base64 (RFC 4648, padded); decode returns NULL on junk (malloc'd, NUL-terminated, length in *ret_len). */
char *reg_base64_encode(const void *buf, size_t len);
char *reg_base64_decode(const char *s, size_t *ret_len);
