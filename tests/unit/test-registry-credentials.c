/* Unit tests for src/registry/credentials.c: docker-compatible auth.json / config.json. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "registry/credentials.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char base[] = "/tmp/berth-test-creds.XXXXXX";

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

/* user:password for domain/path, or "" when none, "ERR" on an error. */
static char *get(const char *file, const char *domain, const char *path)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *u = NULL, *p = NULL, *out;
	int r = reg_credentials_get(file, domain, path, &u, &p, &err);

	if (r == -ENOENT)
		out = berth_xstrdup("");
	else if (r < 0)
		out = berth_xstrdup("ERR");
	else
		out = berth_xasprintf("%s:%s", u, p);
	free(u);
	free(p);
	berth_error_release(&err);
	return out;
}

static void check_get(const char *file, const char *domain, const char *path, const char *want)
{
	_cleanup_free_ char *got = get(file, domain, path);

	tap_ok(strcmp(got, want) == 0, "credentials for %s%s%s: \"%s\" (want \"%s\")", domain, path ? "/" : "",
	       path ? path : "", got, want);
}

static void test_normalize(void)
{
	static const char *const cases[][2] = {
		{ "https://index.docker.io/v1/", "docker.io" },
		{ "index.docker.io", "docker.io" },
		{ "registry-1.docker.io", "docker.io" },
		{ "docker.io", "docker.io" },
		{ "http://localhost:5000", "localhost:5000" },
		{ "https://quay.io/v2/", "quay.io" },
		{ "127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app" },
		{ "localhost:5000/", "localhost:5000" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *k = reg_credentials_normalize_key(cases[i][0]);

		tap_ok(strcmp(k, cases[i][1]) == 0, "normalize \"%s\" -> \"%s\"", cases[i][0], k);
	}
}

static void test_lookup(void)
{
	_cleanup_free_ char *file = berth_xasprintf("%s/lookup.json", base);

	/* user:pw, u2:p2, hub:pw, repo:pw, legacy:pw */
	write_text(file, "{\"auths\": {"
			 "\"localhost:5000\": {\"auth\": \"dXNlcjpwdw==\"},"
			 "\"https://index.docker.io/v1/\": {\"auth\": \"aHViOnB3\"},"
			 "\"localhost:5000/team\": {\"auth\": \"cmVwbzpwdw==\"},"
			 "\"http://legacy.example\": {\"auth\": \"bGVnYWN5OnB3\"},"
			 "\"split.example\": {\"username\": \"u2\", \"password\": \"p2\"},"
			 "\"token.example\": {\"identitytoken\": \"xyz\"}"
			 "}, \"credsStore\": \"none\"}");
	check_get(file, "localhost:5000", NULL, "user:pw");
	check_get(file, "localhost:5000", "other/app", "user:pw");
	check_get(file, "localhost:5000", "team/app", "repo:pw");
	check_get(file, "localhost:5000", "team", "repo:pw");
	check_get(file, "localhost:5000", "teamx/app", "user:pw");
	check_get(file, "docker.io", "library/busybox", "hub:pw");
	check_get(file, "legacy.example", NULL, "legacy:pw");
	check_get(file, "split.example", NULL, "u2:p2");
	check_get(file, "token.example", NULL, "");
	check_get(file, "localhost:50001", NULL, "");
	check_get(file, "localhost", NULL, "");
	write_text(file, "{\"auths\": {\"x\": {\"auth\": \"!!\"}}}");
	check_get(file, "x", NULL, "ERR");
	write_text(file, "not json");
	check_get(file, "x", NULL, "ERR");
	unlink(file);
	check_get(file, "x", NULL, "");
}

static void test_set_remove(void)
{
	_cleanup_free_ char *file = berth_xasprintf("%s/sub/dir/auth.json", base);
	_cleanup_free_ char *docker = berth_xasprintf("%s/docker/config.json", base);
	_cleanup_free_ char *text = NULL, *dir = berth_xasprintf("%s/sub/dir", base);
	struct berth_error err = BERTH_ERROR_INIT;
	json_t *doc = NULL;
	struct stat st;

	TAP_OK(reg_credentials_set(file, "localhost:5000", "alice", "pw:1", &err) == 0);
	TAP_OK(stat(file, &st) == 0 && (st.st_mode & 07777) == 0600);
	TAP_OK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700);
	check_get(file, "localhost:5000", "x/y", "alice:pw:1");

	/* other content stays; another spelling of the key is replaced, not doubled */
	write_text(file, "{\"auths\": {\"http://localhost:5000/\": {\"auth\": \"eDp5\"}, \"b.example\": "
			 "{\"auth\": \"Yjpi\"}}, \"HttpHeaders\": {\"X\": \"y\"}}");
	TAP_OK(reg_credentials_set(file, "localhost:5000", "bob", "pw2", &err) == 0);
	check_get(file, "localhost:5000", NULL, "bob:pw2");
	check_get(file, "b.example", NULL, "b:b");
	TAP_OK(berth_read_file(file, 0, &text, NULL, &err) == 0);
	doc = text ? json_loads(text, 0, NULL) : NULL;
	TAP_OK(doc && json_object_size(json_object_get(doc, "auths")) == 2);
	TAP_OK(doc && json_is_object(json_object_get(doc, "HttpHeaders")));
	json_decref(doc);

	TAP_OK(reg_credentials_remove(file, "http://localhost:5000", &err) == 0);
	check_get(file, "localhost:5000", NULL, "");
	check_get(file, "b.example", NULL, "b:b");
	TAP_OK(reg_credentials_remove(file, "localhost:5000", &err) == -ENOENT);
	TAP_OK(stat(file, &st) == 0 && (st.st_mode & 07777) == 0600);

	/* docker's config.json keeps Docker Hub under its legacy key */
	TAP_OK(reg_credentials_set(docker, "docker.io", "hub", "pw", &err) == 0);
	free(text);
	text = NULL;
	TAP_OK(berth_read_file(docker, 0, &text, NULL, &err) == 0 && strstr(text, "https://index.docker.io/v1/"));
	check_get(docker, "docker.io", "library/busybox", "hub:pw");
	berth_error_release(&err);
}

static void test_paths(void)
{
	_cleanup_strv_free_ char **v = NULL;
	_cleanup_free_ char *w = NULL;

	setenv("HOME", "/home/u", 1);
	unsetenv("DOCKER_CONFIG");
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("XDG_RUNTIME_DIR");
	v = reg_credentials_read_paths(NULL);
	TAP_OK(berth_strv_length(v) == 1 && strcmp(v[0], "/home/u/.docker/config.json") == 0);
	berth_strv_free(v);

	setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
	setenv("DOCKER_CONFIG", "/etc/dc", 1);
	v = reg_credentials_read_paths(NULL);
	TAP_OK(berth_strv_length(v) == 2 && strcmp(v[0], "/run/user/7/containers/auth.json") == 0 &&
	       strcmp(v[1], "/etc/dc/config.json") == 0);
	berth_strv_free(v);

	setenv("REGISTRY_AUTH_FILE", "/x/auth.json", 1);
	v = reg_credentials_read_paths(NULL);
	TAP_OK(berth_strv_length(v) == 3 && strcmp(v[0], "/x/auth.json") == 0);
	w = reg_credentials_write_path(NULL);
	TAP_OK(strcmp(w, "/x/auth.json") == 0);
	berth_strv_free(v);

	v = reg_credentials_read_paths("/given.json");
	TAP_OK(berth_strv_length(v) == 1 && strcmp(v[0], "/given.json") == 0);
}

int main(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int status;

	if (!mkdtemp(base))
		tap_skip_all("mkdtemp failed");
	test_normalize();
	test_lookup();
	test_set_remove();
	test_paths();
	status = tap_done();
	berth_rm_rf_at(AT_FDCWD, base, &err);
	berth_error_release(&err);
	return status;
}
