/* Unit tests for src/image/digest.c: validation, streaming sha256, chain ids. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"

#define EMPTY_SHA256 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA256 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_validate(void)
{
	static const char *const bad[] = {
		"",
		"sha256:",
		"sha256",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g",
		"sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha256:../../../../etc/passwd",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
		" sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855/x",
	};
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	TAP_OK(berth_digest_validate(EMPTY_SHA256, &err) == 0);
	TAP_OK(berth_digest_is_valid(ABC_SHA256));
	TAP_OK(!berth_digest_is_valid(NULL));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = berth_digest_validate(bad[i], &err);

		tap_ok(r == -EINVAL && !berth_digest_is_valid(bad[i]), "bad digest %zu is refused", i);
	}
	berth_digest_validate("sha512:abc", &err);
	TAP_OK(strcmp(err.msg, "invalid digest \"sha512:abc\"") == 0);
	TAP_OK(strcmp(berth_digest_hex(EMPTY_SHA256), EMPTY_SHA256 + 7) == 0);
}

static void test_hash(void)
{
	char out[BERTH_DIGEST_STR_LEN];
	struct berth_sha256 *h;

	berth_digest_buffer("", 0, out);
	TAP_OK(strcmp(out, EMPTY_SHA256) == 0);
	berth_digest_buffer("abc", 3, out);
	TAP_OK(strcmp(out, ABC_SHA256) == 0);

	/* streaming in pieces gives the one-shot digest */
	h = berth_sha256_new();
	berth_sha256_update(h, "a", 1);
	berth_sha256_update(h, "", 0);
	berth_sha256_update(h, "bc", 2);
	berth_sha256_final(h, out);
	berth_sha256_free(h);
	TAP_OK(strcmp(out, ABC_SHA256) == 0);
	TAP_OK(berth_digest_is_valid(out));
}

static void test_chain_id(void)
{
	char out[BERTH_DIGEST_STR_LEN], expect[BERTH_DIGEST_STR_LEN];
	char *s = NULL;

	berth_chain_id(NULL, ABC_SHA256, out);
	TAP_OK(strcmp(out, ABC_SHA256) == 0);
	berth_chain_id("", ABC_SHA256, out);
	TAP_OK(strcmp(out, ABC_SHA256) == 0);
	/* ChainID(L1|L2) = sha256(ChainID(L1) + " " + DiffID(L2)) */
	if (asprintf(&s, "%s %s", ABC_SHA256, EMPTY_SHA256) < 0)
		abort();
	berth_digest_buffer(s, strlen(s), expect);
	free(s);
	berth_chain_id(ABC_SHA256, EMPTY_SHA256, out);
	TAP_OK(strcmp(out, expect) == 0);
	/* a known value, computed with sha256sum */
	berth_chain_id("sha256:0000000000000000000000000000000000000000000000000000000000000000",
		       "sha256:1111111111111111111111111111111111111111111111111111111111111111", out);
	TAP_OK(strcmp(out, "sha256:f94b891e05f6e37c90d87edfd5bb98a02d618a437c35f3a94b3b00e48e894631") == 0);
}

int main(void)
{
	test_validate();
	test_hash();
	test_chain_id();
	return tap_done();
}
