/* Unit tests for the registry client's names and URLs: reference -> API paths, Locations, settings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "registry/client.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define D1 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* The manifest URL pull requests for a reference (what berth_registry_pull builds). */
static void check_ref(const char *in, const char *want)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reference ref = { 0 };
	_cleanup_free_ char *path = NULL, *url = NULL;

	if (berth_reference_parse(in, &ref, &err) < 0) {
		tap_ok(false, "parse %s: %s", in, err.msg);
		berth_error_release(&err);
		return;
	}
	path = reg_api_path(ref.path, "manifests", ref.digest ? ref.digest : ref.tag);
	url = berth_xasprintf("https://%s%s", reg_domain_host(ref.domain), path);
	tap_ok(strcmp(url, want) == 0, "%s -> %s (want %s)", in, url, want);
	berth_reference_release(&ref);
}

static void test_references(void)
{
	check_ref("busybox", "https://registry-1.docker.io/v2/library/busybox/manifests/latest");
	check_ref("user/app:1", "https://registry-1.docker.io/v2/user/app/manifests/1");
	check_ref("docker.io/library/busybox:1.36", "https://registry-1.docker.io/v2/library/busybox/manifests/1.36");
	check_ref("localhost:5000/a/b/c:t", "https://localhost:5000/v2/a/b/c/manifests/t");
	check_ref("127.0.0.1:5000/x@" D1, "https://127.0.0.1:5000/v2/x/manifests/" D1);
	check_ref("127.0.0.1:5000/x:tag@" D1, "https://127.0.0.1:5000/v2/x/manifests/" D1);
	check_ref("[::1]:5000/foo", "https://[::1]:5000/v2/foo/manifests/latest");
	check_ref("quay.io/org/app:v2", "https://quay.io/v2/org/app/manifests/v2");
}

static void check_resolve(const char *base, const char *loc, const char *want)
{
	_cleanup_free_ char *got = reg_resolve_url(base, loc);

	tap_ok(strcmp(got, want) == 0, "resolve %s against %s -> %s (want %s)", loc, base, got, want);
}

static void test_resolve(void)
{
	const char *b = "http://127.0.0.1:5000/v2/a/blobs/uploads/";

	check_resolve(b, "/v2/a/blobs/uploads/u1?_state=x", "http://127.0.0.1:5000/v2/a/blobs/uploads/u1?_state=x");
	check_resolve(b, "http://other:1/up/2", "http://other:1/up/2");
	check_resolve(b, "https://s3.example/bucket?sig=1", "https://s3.example/bucket?sig=1");
	check_resolve(b, "u3", "http://127.0.0.1:5000/v2/a/blobs/uploads/u3");
	check_resolve("http://h:1/v2/a/blobs/uploads/u1?x=/y", "u4", "http://h:1/v2/a/blobs/uploads/u4");
	check_resolve("https://h", "/v2/x", "https://h/v2/x");
	check_resolve("https://h", "y", "https://h/y");
	check_resolve("https://h/a", "//cdn.example/z", "https://cdn.example/z");
}

static void test_query(void)
{
	_cleanup_free_ char *a = reg_url_add_query("http://h/v2/a/blobs/uploads/u1", "digest", D1);
	_cleanup_free_ char *b = reg_url_add_query("http://h/up?_state=abc", "digest", D1);
	_cleanup_free_ char *c = reg_url_add_query("https://auth/token", "scope", "repository:a/b:pull,push");
	_cleanup_free_ char *d = reg_url_add_query("x", "account", "a b&c=d");

	TAP_OK(strcmp(a, "http://h/v2/a/blobs/uploads/u1?digest=sha256%3Ae3b0c44298fc1c149afbf4c8996fb92427ae41e4649b"
			 "934ca495991b7852b855") == 0);
	TAP_OK(strncmp(b, "http://h/up?_state=abc&digest=sha256%3A", 39) == 0);
	TAP_OK(strcmp(c, "https://auth/token?scope=repository%3Aa%2Fb%3Apull%2Cpush") == 0);
	TAP_OK(strcmp(d, "x?account=a%20b%26c%3Dd") == 0);
}

static void check_registry(const char *in, const char *want)
{
	_cleanup_free_ char *got = reg_normalize_registry(in);

	tap_ok(want ? got && strcmp(got, want) == 0 : !got, "registry \"%s\" -> %s (want %s)", in ? in : "(none)",
	       got ? got : "(invalid)", want ? want : "(invalid)");
}

static void test_registry_names(void)
{
	check_registry(NULL, "docker.io");
	check_registry("", "docker.io");
	check_registry("https://index.docker.io/v1/", "docker.io");
	check_registry("localhost:5000", "localhost:5000");
	check_registry("http://127.0.0.1:5000/", "127.0.0.1:5000");
	check_registry("quay.io/team", "quay.io/team");
	check_registry("a b", NULL);
	check_registry("host@x", NULL);
}

static void test_insecure(void)
{
	const char *conf = "# berth registries\n"
			   "insecure = [\"localhost:5000\", \"10.0.0.1:5000\"]\n"
			   "other = [\"no\"]\n"
			   "  insecure=[\n    \"a.example:1\", # a comment, \"not.this\"\n    \"b.example\"\n]\n";
	_cleanup_strv_free_ char **list = reg_parse_registries_conf(conf);
	_cleanup_strv_free_ char **none = reg_parse_registries_conf("insecure_x = [\"q\"]\n# insecure = [\"c\"]\n");

	TAP_OK(berth_strv_length(list) == 4);
	TAP_OK(berth_strv_contains(list, "localhost:5000") && berth_strv_contains(list, "10.0.0.1:5000"));
	TAP_OK(berth_strv_contains(list, "a.example:1") && berth_strv_contains(list, "b.example"));
	TAP_OK(!berth_strv_contains(list, "no") && !berth_strv_contains(list, "not.this"));
	TAP_OK(berth_strv_length(none) == 0);

	setenv("BERTH_REGISTRIES_CONF", "/nonexistent/registries.conf", 1);
	setenv("BERTH_INSECURE_REGISTRIES", "localhost:5000, 127.0.0.1:9", 1);
	TAP_OK(reg_registry_is_insecure("localhost:5000"));
	TAP_OK(reg_registry_is_insecure("127.0.0.1:9"));
	TAP_OK(!reg_registry_is_insecure("127.0.0.1:90"));
	TAP_OK(!reg_registry_is_insecure("docker.io"));
}

static void test_http_errors(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_response r = { .status = 404, .content_length = -1 };
	char body[] = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\",\"detail\":{}}]}";

	r.body = body;
	r.body_len = strlen(body);
	TAP_OK(reg_http_error(&r, &err, "get manifest") == -ENOENT &&
	       strcmp(err.msg, "get manifest: manifest unknown: manifest unknown") == 0);
	r.status = 503;
	r.body = NULL;
	r.body_len = 0;
	TAP_OK(reg_http_error(&r, &err, "x") == -EAGAIN && strcmp(err.msg, "x: HTTP status 503") == 0);
	TAP_OK(reg_error_transient(-EAGAIN) && reg_error_transient(-ECONNRESET) && !reg_error_transient(-ENOENT));
	r.status = 401;
	TAP_OK(reg_http_error(&r, &err, "x") == -EACCES);
	r.status = 400;
	TAP_OK(reg_http_error(&r, &err, "x") == -EPROTO);
	berth_error_release(&err);
}

int main(void)
{
	test_references();
	test_resolve();
	test_query();
	test_registry_names();
	test_insecure();
	test_http_errors();
	return tap_done();
}
