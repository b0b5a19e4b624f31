/* Unit tests for src/registry/auth.c: WWW-Authenticate challenges, token answers, base64. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry/auth.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"

/* Parse header and compare with the expected "scheme k=v k=v | scheme …" rendering. */
static void check(const char *header, const char *want)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_challenge *c = NULL;
	char got[1024] = "";
	size_t n = 0;
	int r = reg_challenges_parse(header, &c, &n, &err);

	if (r < 0) {
		tap_ok(false, "parse [%s]: %s", header, err.msg);
		berth_error_release(&err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(got);

		snprintf(got + len, sizeof(got) - len, "%s%s", i ? " | " : "", c[i].scheme);
		for (size_t j = 0; c[i].params && c[i].params[j]; j += 2) {
			len = strlen(got);
			snprintf(got + len, sizeof(got) - len, " %s=%s", c[i].params[j], c[i].params[j + 1]);
		}
	}
	tap_ok(strcmp(got, want) == 0, "parse [%s] -> [%s] (want [%s])", header, got, want);
	reg_challenges_free(c, n);
}

static void check_invalid(const char *header)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_challenge *c = NULL;
	size_t n = 0;
	int r = reg_challenges_parse(header, &c, &n, &err);

	tap_ok(r == -EINVAL && err.msg, "invalid [%s]: %s", header, err.msg ? err.msg : "(accepted)");
	if (r == 0)
		reg_challenges_free(c, n);
	berth_error_release(&err);
}

static void test_challenges(void)
{
	/* what docker-registry, Docker Hub, ghcr.io and quay.io send */
	check("Basic realm=\"berth-test\"", "basic realm=berth-test");
	check("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
	      "scope=\"repository:library/busybox:pull\"",
	      "bearer realm=https://auth.docker.io/token service=registry.docker.io "
	      "scope=repository:library/busybox:pull");
	check("Bearer realm=\"http://127.0.0.1:1234/token\",service=\"svc\",scope=\"repository:a/b:pull,push\","
	      "error=\"insufficient_scope\"",
	      "bearer realm=http://127.0.0.1:1234/token service=svc scope=repository:a/b:pull,push "
	      "error=insufficient_scope");
	/* case, spaces around '=', unquoted values, escapes */
	check("BEARER  Realm = \"x\" , SERVICE=y", "bearer realm=x service=y");
	check("Basic realm=\"say \\\"hi\\\"\"", "basic realm=say \"hi\"");
	check("Bearer realm=\"a,b=c\",service=s", "bearer realm=a,b=c service=s");
	/* several challenges in one header */
	check("Basic realm=\"r1\", Bearer realm=\"r2\",service=\"s\"", "basic realm=r1 | bearer realm=r2 service=s");
	check("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"",
	      "newauth realm=apps type=1 title=Login to \"apps\" | basic realm=simple");
	/* a challenge without parameters, a token68 */
	check("Basic", "basic");
	check("Negotiate, Basic realm=x", "negotiate | basic realm=x");
	check("Negotiate abc123==", "negotiate token68=abc123==");
	check("Negotiate abc123==, Basic realm=x", "negotiate token68=abc123== | basic realm=x");

	check_invalid("");
	check_invalid("   ");
	check_invalid("Bearer realm=\"unterminated");
	check_invalid("Bearer realm=\"x\" junk");
	check_invalid("\"quoted\" realm=x");
	check_invalid("Bearer =x");
}

static void test_param(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_challenge *c = NULL;
	size_t n = 0;

	TAP_OK(reg_challenges_parse("Bearer realm=\"R\",Service=\"S\"", &c, &n, &err) == 0 && n == 1);
	TAP_OK(c && strcmp(reg_challenge_param(&c[0], "realm"), "R") == 0);
	TAP_OK(c && strcmp(reg_challenge_param(&c[0], "SERVICE"), "S") == 0);
	TAP_OK(c && reg_challenge_param(&c[0], "scope") == NULL);
	reg_challenges_free(c, n);
}

static void test_token(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *t1 = NULL, *t2 = NULL;
	char *t3 = NULL;
	int64_t exp = -1;
	const char *a = "{\"token\":\"abc\",\"expires_in\":300}";
	const char *b = "{\"access_token\":\"def\"}";

	TAP_OK(reg_token_parse(a, strlen(a), &t1, &exp, &err) == 0 && strcmp(t1, "abc") == 0 && exp == 300);
	TAP_OK(reg_token_parse(b, strlen(b), &t2, &exp, &err) == 0 && strcmp(t2, "def") == 0 && exp == 0);
	TAP_OK(reg_token_parse("{}", 2, &t3, NULL, &err) == -EINVAL && !t3);
	berth_error_release(&err);
	TAP_OK(reg_token_parse("[1]", 3, &t3, NULL, &err) == -EINVAL && !t3);
	berth_error_release(&err);
	TAP_OK(reg_token_parse("{\"token\":\"\"}", 12, &t3, NULL, &err) == -EINVAL && !t3);
	berth_error_release(&err);
}

static void test_base64(void)
{
	static const struct {
		const char *plain, *b64;
	} cases[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "user:pa:ss", "dXNlcjpwYTpzcw==" },
	};
	_cleanup_free_ char *basic = reg_basic_authorization("berthuser", "s3cret pass:word");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *e = reg_base64_encode(cases[i].plain, strlen(cases[i].plain));
		_cleanup_free_ char *d = NULL;
		size_t len = 99;

		d = reg_base64_decode(cases[i].b64, &len);
		tap_ok(strcmp(e, cases[i].b64) == 0, "base64 encode \"%s\" -> \"%s\"", cases[i].plain, e);
		tap_ok(d && len == strlen(cases[i].plain) && strcmp(d, cases[i].plain) == 0, "base64 decode \"%s\"",
		       cases[i].b64);
	}
	TAP_OK(reg_base64_decode("Zg=", NULL) == NULL);
	TAP_OK(reg_base64_decode("Z===", NULL) == NULL);
	TAP_OK(reg_base64_decode("Zm9v!A==", NULL) == NULL);
	TAP_OK(reg_base64_decode("Zg==Zg==", NULL) == NULL);
	TAP_OK(strcmp(basic, "Basic YmVydGh1c2VyOnMzY3JldCBwYXNzOndvcmQ=") == 0);
}

int main(void)
{
	test_challenges();
	test_param();
	test_token();
	test_base64();
	return tap_done();
}
