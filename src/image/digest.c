#include "digest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * OpenSSL's SHA-256 functions, not EVP: the same code (SHA-NI/AVX2 where the
 * CPU has them), without the provider machinery, which costs every berth
 * process that hashes ~0.8 ms at its first digest (openssl.cnf read and
 * parsed, providers fetched) and, linked statically, 3 MB and 16000
 * relocations.  Deprecated since 3.0, still there in every 3.x.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "util/xalloc.h"

#define SHA256_PREFIX "sha256:"
#define SHA256_PREFIX_LEN 7

struct berth_sha256 {
	SHA256_CTX ctx;
};

bool berth_digest_is_valid(const char *s)
{
	if (!s || strncmp(s, SHA256_PREFIX, SHA256_PREFIX_LEN) != 0)
		return false;
	s += SHA256_PREFIX_LEN;
	for (size_t i = 0; i < BERTH_DIGEST_HEX_LEN; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return s[BERTH_DIGEST_HEX_LEN] == '\0';
}

int berth_digest_validate(const char *s, struct berth_error *err)
{
	if (berth_digest_is_valid(s))
		return 0;
	if (!s)
		return berth_error_setx(err, EINVAL, "invalid digest: missing");
	/* Quote at most a digest's worth: the input may be anything, of any length. */
	return berth_error_setx(err, EINVAL, "invalid digest \"%.*s%s\"", 80, s, strlen(s) > 80 ? "..." : "");
}

const char *berth_digest_hex(const char *digest)
{
	const char *colon = strchr(digest, ':');

	return colon ? colon + 1 : digest;
}

struct berth_sha256 *berth_sha256_new(void)
{
	struct berth_sha256 *h = berth_xmalloc(sizeof(*h));

	if (SHA256_Init(&h->ctx) != 1)
		abort(); /* cannot fail */
	return h;
}

void berth_sha256_update(struct berth_sha256 *h, const void *buf, size_t len)
{
	if (len > 0 && SHA256_Update(&h->ctx, buf, len) != 1)
		abort();
}

static void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void berth_sha256_final(struct berth_sha256 *h, char out[BERTH_DIGEST_STR_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	if (SHA256_Final(md, &h->ctx) != 1)
		abort();
	memcpy(out, SHA256_PREFIX, SHA256_PREFIX_LEN);
	hex_encode(md, sizeof(md), out + SHA256_PREFIX_LEN);
}

void berth_sha256_free(struct berth_sha256 *h)
{
	if (!h)
		return;
	explicit_bzero(h, sizeof(*h));
	free(h);
}

void berth_digest_buffer(const void *buf, size_t len, char out[BERTH_DIGEST_STR_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_CTX ctx;

	/* not SHA256(): its object brings EVP along (SHA1() beside it goes through EVP_Q_digest) */
	if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, buf, len) != 1 || SHA256_Final(md, &ctx) != 1)
		abort();
	memcpy(out, SHA256_PREFIX, SHA256_PREFIX_LEN);
	hex_encode(md, sizeof(md), out + SHA256_PREFIX_LEN);
}

void berth_chain_id(const char *parent_chain_id, const char *diff_id, char out[BERTH_DIGEST_STR_LEN])
{
	struct berth_sha256 *h = NULL;

	if (!parent_chain_id || !*parent_chain_id) {
		snprintf(out, BERTH_DIGEST_STR_LEN, "%s", diff_id);
		return;
	}
	h = berth_sha256_new();
	berth_sha256_update(h, parent_chain_id, strlen(parent_chain_id));
	berth_sha256_update(h, " ", 1);
	berth_sha256_update(h, diff_id, strlen(diff_id));
	berth_sha256_final(h, out);
	berth_sha256_free(h);
}
