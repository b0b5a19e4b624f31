/* Unit tests for src/image/reference.c: docker's normalisation rules, table-driven. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/xalloc.h"

#define D1 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HEX64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct valid_case {
	const char *in;
	const char *full;   /* berth_reference_string */
	const char *domain; /* NULL: not checked */
	const char *path;
	const char *tag; /* "" = none */
	bool short_name;
};

static const struct valid_case valid[] = {
	{ "busybox", "docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", true },
	{ "busybox:1.36", "docker.io/library/busybox:1.36", "docker.io", "library/busybox", "1.36", true },
	{ "library/busybox", "docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", true },
	{ "docker.io/busybox", "docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", false },
	{ "index.docker.io/busybox", "docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest",
	  false },
	{ "index.docker.io/user/app:v1", "docker.io/user/app:v1", "docker.io", "user/app", "v1", false },
	{ "docker.io/library/busybox:latest", "docker.io/library/busybox:latest", NULL, NULL, "latest", false },
	{ "docker.io/library/a/b", "docker.io/library/a/b:latest", "docker.io", "library/a/b", "latest", false },
	{ "user/app:1", "docker.io/user/app:1", "docker.io", "user/app", "1", true },
	{ "user/app/sub", "docker.io/user/app/sub:latest", "docker.io", "user/app/sub", "latest", true },
	{ "localhost/x:tag", "localhost/x:tag", "localhost", "x", "tag", false },
	{ "localhost:5000/x", "localhost:5000/x:latest", "localhost:5000", "x", "latest", false },
	{ "127.0.0.1:5000/a/b@" D1, "127.0.0.1:5000/a/b@" D1, "127.0.0.1:5000", "a/b", "", false },
	{ "host:5000/a/b:t@" D1, "host:5000/a/b:t@" D1, "host:5000", "a/b", "t", false },
	{ "busybox@" D1, "docker.io/library/busybox@" D1, "docker.io", "library/busybox", "", true },
	{ "busybox:1@" D1, "docker.io/library/busybox:1@" D1, "docker.io", "library/busybox", "1", true },
	{ "example.com/a/b/c/d", "example.com/a/b/c/d:latest", "example.com", "a/b/c/d", "latest", false },
	{ "registry.example.com/library/foo", "registry.example.com/library/foo:latest", NULL, "library/foo",
	  "latest", false },
	{ "Foo.Example.com/bar", "Foo.Example.com/bar:latest", "Foo.Example.com", "bar", "latest", false },
	{ "[::1]:5000/foo", "[::1]:5000/foo:latest", "[::1]:5000", "foo", "latest", false },
	{ "[fe80::1]/foo:x", "[fe80::1]/foo:x", "[fe80::1]", "foo", "x", false },
	{ "my-registry.local/ns/img", "my-registry.local/ns/img:latest", "my-registry.local", "ns/img", "latest",
	  false },
	{ "a__b/c-d---e/f.g_h", "docker.io/a__b/c-d---e/f.g_h:latest", "docker.io", "a__b/c-d---e/f.g_h", "latest",
	  true },
	{ "foo/bar:Tag_1.0-x", "docker.io/foo/bar:Tag_1.0-x", NULL, "foo/bar", "Tag_1.0-x", true },
	{ "foo:_x", "docker.io/library/foo:_x", NULL, NULL, "_x", true },
	{ "0/1", "docker.io/0/1:latest", "docker.io", "0/1", "latest", true },
	{ HEX64 "x", "docker.io/library/" HEX64 "x:latest", NULL, NULL, "latest", true },
};

static const char *const invalid[] = {
	"",
	"Busybox",
	"user/App",
	"busybox:",
	"busybox:-x",
	"busybox:.x",
	"busybox:a/b",
	"busybox@sha256:abc",
	"busybox@sha512:" HEX64 HEX64,
	"busybox@",
	"busybox:latest@",
	HEX64,
	HEX64 ":tag",
	"a//b",
	"/busybox",
	"busybox/",
	"a-/b",
	"-a/b",
	"a../b",
	"a..b",
	"a___b",
	"a._b",
	"a-_b",
	"a_",
	"host:port/x",
	"-host.com/x",
	"host-.com/x",
	"example.com:/x",
	"example.com./x",
	"example..com/x",
	"[zz]:5000/x",
	"[]/x",
	"[::1]x/y",
	"foo bar",
	"foo\tbar",
	"foo/bar baz",
	"foo@bar/x",
	":tag",
	"@" D1,
	"a/b:c:d",
	"ü/x",
	"x/ü",
};

static void test_valid(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
		const struct valid_case *c = &valid[i];
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		struct berth_reference ref = { 0 };
		_cleanup_free_ char *full = NULL;
		bool ok;

		if (berth_reference_parse(c->in, &ref, &err) < 0) {
			tap_ok(false, "parse \"%s\": %s", c->in, err.msg);
			continue;
		}
		full = berth_reference_string(&ref);
		ok = strcmp(full, c->full) == 0;
		ok = ok && (!c->domain || strcmp(ref.domain, c->domain) == 0);
		ok = ok && (!c->path || strcmp(ref.path, c->path) == 0);
		ok = ok && (c->tag[0] ? ref.tag && strcmp(ref.tag, c->tag) == 0 : ref.tag == NULL);
		ok = ok && ref.short_name == c->short_name;
		ok = ok && (strchr(c->full, '@') ? ref.digest && strcmp(ref.digest, D1) == 0 : ref.digest == NULL);
		tap_ok(ok, "\"%s\" -> \"%s\" (got \"%s\", short %d)", c->in, c->full, full, ref.short_name);
		berth_reference_release(&ref);
	}
}

static void test_invalid(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(invalid); i++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		struct berth_reference ref = { 0 };
		int r = berth_reference_parse(invalid[i], &ref, &err);

		tap_ok(r == -EINVAL && err.msg, "\"%s\" is refused (%s)", invalid[i], err.msg ? err.msg : "accepted");
		if (r >= 0)
			berth_reference_release(&ref);
	}
}

static void test_messages(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reference ref = { 0 };

	TAP_OK(berth_reference_parse("user/App", &ref, &err) == -EINVAL);
	TAP_OK(strstr(err.msg, "must be lowercase") != NULL);
	TAP_OK(berth_reference_parse(HEX64, &ref, &err) == -EINVAL);
	TAP_OK(strstr(err.msg, "64-byte hexadecimal") != NULL);
	TAP_OK(berth_reference_parse("busybox@sha256:abc", &ref, &err) == -EINVAL);
	TAP_OK(strstr(err.msg, "invalid digest \"sha256:abc\"") != NULL);
}

static void test_lengths(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *name = NULL, *tag = NULL, *s = NULL;
	struct berth_reference ref = { 0 };

	/* the whole name, domain included, is at most 255 characters */
	name = berth_xmalloc(256);
	memset(name, 'a', 255);
	name[255 - strlen("example.com/")] = '\0';
	s = berth_xasprintf("example.com/%s", name);
	TAP_OK(strlen(s) == 255);
	TAP_OK(berth_reference_parse(s, &ref, &err) == 0);
	berth_reference_release(&ref);
	free(s);
	s = berth_xasprintf("example.com/%sa", name);
	TAP_OK(berth_reference_parse(s, &ref, &err) == -EINVAL && strstr(err.msg, "255"));
	/* docker.io/library/ counts too */
	free(s);
	s = berth_xstrndup(name, 240);
	TAP_OK(berth_reference_parse(s, &ref, &err) == -EINVAL);

	tag = berth_xmalloc(130);
	memset(tag, 't', 128);
	tag[128] = '\0';
	free(s);
	s = berth_xasprintf("x:%s", tag);
	TAP_OK(berth_reference_parse(s, &ref, &err) == 0 && strcmp(ref.tag, tag) == 0);
	berth_reference_release(&ref);
	free(s);
	s = berth_xasprintf("x:%st", tag);
	TAP_OK(berth_reference_parse(s, &ref, &err) == -EINVAL);
}

static void test_familiar(void)
{
	static const char *const cases[][2] = {
		{ "docker.io/library/busybox", "busybox" },
		{ "docker.io/user/app", "user/app" },
		{ "docker.io/library/a/b", "library/a/b" },
		{ "localhost/x", "localhost/x" },
		{ "quay.io/library/x", "quay.io/library/x" },
		{ "docker.io/library/busybox:1", "busybox:1" },
	};
	struct berth_reference ref = { 0 };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *repo = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *f = berth_reference_familiar(cases[i][0]);

		tap_ok(strcmp(f, cases[i][1]) == 0, "familiar \"%s\" = \"%s\" (got \"%s\")", cases[i][0], cases[i][1],
		       f);
	}
	TAP_OK(berth_reference_parse("busybox:1@" D1, &ref, &err) == 0);
	repo = berth_reference_repository(&ref);
	TAP_OK(strcmp(repo, "docker.io/library/busybox") == 0);
	berth_reference_release(&ref);
	berth_reference_release(&ref); /* released twice is harmless */
}

/* Random strings over the grammar's alphabet: whatever parses, its string form parses to itself. */
static void test_roundtrip_random(void)
{
	static const char alphabet[] = "abcAB09.-_:/@lx";
	unsigned seed = 42;
	size_t accepted = 0;
	bool stable = true;

	for (int round = 0; round < 20000; round++) {
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		struct berth_reference ref = { 0 }, again = { 0 };
		char in[24];
		size_t len;

		seed = seed * 1103515245 + 12345;
		len = 1 + (seed >> 16) % (sizeof(in) - 1);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			in[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		in[len] = '\0';
		if (berth_reference_parse(in, &ref, &err) < 0)
			continue;
		accepted++;
		{
			_cleanup_free_ char *s1 = berth_reference_string(&ref), *s2 = NULL;

			if (berth_reference_parse(s1, &again, &err) < 0) {
				tap_diag("\"%s\" -> \"%s\" does not parse: %s", in, s1, err.msg);
				stable = false;
			} else {
				s2 = berth_reference_string(&again);
				if (strcmp(s1, s2) != 0) {
					tap_diag("\"%s\" -> \"%s\" -> \"%s\"", in, s1, s2);
					stable = false;
				}
				berth_reference_release(&again);
			}
		}
		berth_reference_release(&ref);
	}
	tap_ok(stable && accepted > 100, "random references: %zu accepted, all stable", accepted);
}

int main(void)
{
	test_valid();
	test_invalid();
	test_messages();
	test_lengths();
	test_familiar();
	test_roundtrip_random();
	return tap_done();
}
