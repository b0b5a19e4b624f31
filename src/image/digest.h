#pragma once
/*
 * Content digests ("sha256:<64 lowercase hex>") and streaming SHA-256.
 * Every digest that comes from outside (a manifest, an archive, a registry,
 * the command line) goes through berth_digest_validate() before it is used
 * to build a path.
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define BERTH_DIGEST_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define BERTH_DIGEST_STR_LEN (7 + BERTH_DIGEST_HEX_LEN + 1)

/* 0 when s is exactly "sha256:" followed by 64 lowercase hex digits; -EINVAL with a message otherwise. */
int berth_digest_validate(const char *s, struct berth_error *err);
bool berth_digest_is_valid(const char *s);

/* The hex part of a valid digest (a pointer into s). */
const char *berth_digest_hex(const char *digest);

/* Opaque streaming SHA-256 (OpenSSL's SHA256_* underneath). */
struct berth_sha256;
struct berth_sha256 *berth_sha256_new(void);
void berth_sha256_update(struct berth_sha256 *h, const void *buf, size_t len);
/* Finish and write "sha256:<hex>" into out (BERTH_DIGEST_STR_LEN bytes). The context may not be reused. */
void berth_sha256_final(struct berth_sha256 *h, char out[BERTH_DIGEST_STR_LEN]);
void berth_sha256_free(struct berth_sha256 *h);
static inline void berth_sha256_freep(struct berth_sha256 **h)
{
	if (*h)
		berth_sha256_free(*h);
}

/* One-shot digest of a buffer. */
void berth_digest_buffer(const void *buf, size_t len, char out[BERTH_DIGEST_STR_LEN]);

/*
 * The chain id of a layer (OCI image spec): the chain id of the layer below
 * it ("" / NULL for the bottom layer, whose chain id is its diff id) and its
 * own diff id: sha256(parent + " " + diff_id).
 */
void berth_chain_id(const char *parent_chain_id, const char *diff_id, char out[BERTH_DIGEST_STR_LEN]);
