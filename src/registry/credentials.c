#include "credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "auth.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Credential files are small; anything larger is not one. */
#define CREDENTIALS_MAX_SIZE (1024 * 1024)
#define DOCKER_HUB_LEGACY_KEY "https://index.docker.io/v1/"

#ifndef json_auto_t
#error "jansson >= 2.11 needed (json_auto_t)"
#endif
#define _cleanup_json_ _cleanup_(json_decrefp)

static char *docker_config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");

	if (dir && *dir)
		return berth_xasprintf("%s/config.json", dir);
	return berth_xasprintf("%s/.docker/config.json", home && *home ? home : "/root");
}

char **reg_credentials_read_paths(const char *auth_file)
{
	char **v = NULL;
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (auth_file && *auth_file) {
		berth_strv_push(&v, auth_file);
		return v;
	}
	if (env && *env)
		berth_strv_push(&v, env);
	if (xdg && *xdg)
		berth_strv_consume(&v, berth_xasprintf("%s/containers/auth.json", xdg));
	berth_strv_consume(&v, docker_config_path());
	return v;
}

char *reg_credentials_write_path(const char *auth_file)
{
	_cleanup_strv_free_ char **v = reg_credentials_read_paths(auth_file);

	return berth_xstrdup(v[0]);
}

char *reg_credentials_normalize_key(const char *key)
{
	_cleanup_free_ char *k = NULL;
	size_t n;

	if (strncmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncmp(key, "http://", 7) == 0)
		key += 7;
	k = berth_xstrdup(key);
	n = strlen(k);
	while (n > 0 && k[n - 1] == '/')
		k[--n] = '\0';
	/* docker's legacy forms: "index.docker.io/v1", "registry.example/v2" */
	if (n > 3 && (strcmp(k + n - 3, "/v1") == 0 || strcmp(k + n - 3, "/v2") == 0))
		k[n - 3] = '\0';
	if (strcmp(k, "index.docker.io") == 0 || strcmp(k, "registry-1.docker.io") == 0)
		return berth_xstrdup("docker.io");
	return TAKE_PTR(k);
}

/* The file's JSON (an empty object when it does not exist). */
static int read_file(const char *path, json_t **ret, struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	json_error_t jerr;
	size_t len = 0;
	json_t *doc;
	int r;

	r = berth_read_file(path, CREDENTIALS_MAX_SIZE, &buf, &len, err);
	if (r == -ENOENT) {
		berth_error_release(err);
		*ret = json_object();
		return 0;
	}
	if (r < 0)
		return r;
	doc = json_loadb(buf, len, 0, &jerr);
	if (!doc || !json_is_object(doc)) {
		json_decref(doc);
		return berth_error_setx(err, EINVAL, "parse \"%s\": %s", path, doc ? "not a JSON object" : jerr.text);
	}
	*ret = doc;
	return 0;
}

/* The "auths" entry whose key matches best: "domain/path…" prefixes, longest first, then "domain". */
static json_t *find_entry(json_t *auths, const char *domain, const char *path, char **ret_key)
{
	_cleanup_free_ char *want = path ? berth_xasprintf("%s/%s", domain, path) : berth_xstrdup(domain);
	const char *key;
	json_t *best = NULL, *val;
	size_t best_len = 0;

	json_object_foreach(auths, key, val) {
		_cleanup_free_ char *k = reg_credentials_normalize_key(key);
		size_t n = strlen(k);

		if (!json_is_object(val))
			continue;
		if (strncmp(want, k, n) != 0 || (want[n] != '\0' && want[n] != '/'))
			continue;
		/* "docker.io" must not match "docker.iox" (checked above), nor a shorter key beat a longer one */
		if (n > best_len || (n == best_len && best == NULL)) {
			best = val;
			best_len = n;
			if (ret_key) {
				free(*ret_key);
				*ret_key = berth_xstrdup(key);
			}
		}
	}
	return best;
}

static int entry_credentials(json_t *entry, const char *path, char **ret_user, char **ret_password,
			     struct berth_error *err)
{
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	_cleanup_free_ char *pair = NULL;
	char *colon;

	if (!auth || !*auth) {
		/* docker writes username/password apart only in old files; podman reads both */
		const char *u = json_string_value(json_object_get(entry, "username"));
		const char *p = json_string_value(json_object_get(entry, "password"));

		if (!u || !p)
			return -ENOENT;
		*ret_user = berth_xstrdup(u);
		*ret_password = berth_xstrdup(p);
		return 0;
	}
	pair = reg_base64_decode(auth, NULL);
	if (!pair || !(colon = strchr(pair, ':')))
		return berth_error_setx(err, EINVAL, "\"%s\": an \"auth\" entry is not base64 of \"user:password\"", path);
	*colon = '\0';
	*ret_user = berth_xstrdup(pair);
	*ret_password = berth_xstrdup(colon + 1);
	return 0;
}

int reg_credentials_get(const char *auth_file, const char *domain, const char *path, char **ret_user,
			char **ret_password, struct berth_error *err)
{
	_cleanup_strv_free_ char **paths = reg_credentials_read_paths(auth_file);

	for (char **p = paths; *p; p++) {
		_cleanup_json_ json_t *doc = NULL;
		json_t *entry;
		int r;

		r = read_file(*p, &doc, err);
		if (r < 0)
			return r;
		entry = find_entry(json_object_get(doc, "auths"), domain, path, NULL);
		if (!entry)
			continue;
		r = entry_credentials(entry, *p, ret_user, ret_password, err);
		if (r == -ENOENT)
			continue; /* an entry without a password (an identity token): not for us */
		return r;
	}
	return -ENOENT;
}

static int write_file(const char *path, json_t *doc, struct berth_error *err)
{
	_cleanup_free_ char *dir = berth_xstrdup(path);
	_cleanup_free_ char *data = NULL;
	_cleanup_close_ int dfd = -EBADF;
	char *slash = strrchr(dir, '/');
	const char *name = path;
	int r;

	if (slash) {
		*slash = '\0';
		name = slash + 1;
		if (*dir) {
			/* the directory holds secrets: only its owner may look in */
			r = berth_mkdir_p(dir, 0700, err);
			if (r < 0)
				return r;
		}
	}
	dfd = open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_error_set(err, errno, "open \"%s\"", slash ? dir : ".");
	data = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!data)
		abort();
	r = berth_write_file_atomic(dfd, name, data, strlen(data), 0600, err);
	if (r < 0)
		return r;
	return 0;
}

int reg_credentials_set(const char *auth_file, const char *key, const char *user, const char *password,
			struct berth_error *err)
{
	_cleanup_free_ char *path = reg_credentials_write_path(auth_file);
	_cleanup_free_ char *pair = berth_xasprintf("%s:%s", user, password);
	_cleanup_free_ char *b64 = reg_base64_encode(pair, strlen(pair));
	_cleanup_free_ char *norm = reg_credentials_normalize_key(key);
	_cleanup_json_ json_t *doc = NULL;
	const char *k, *base;
	json_t *auths, *v;
	void *tmp;
	int r;

	r = read_file(path, &doc, err);
	if (r < 0)
		return r;
	auths = json_object_get(doc, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(doc, "auths", auths);
	}
	/* one entry per registry: drop other spellings of the same key */
	json_object_foreach_safe(auths, tmp, k, v) {
		_cleanup_free_ char *kn = reg_credentials_normalize_key(k);

		if (strcmp(kn, norm) == 0)
			json_object_del(auths, k);
	}
	/* docker itself looks Docker Hub up under its legacy key in config.json */
	base = strrchr(path, '/');
	if (strcmp(norm, "docker.io") == 0 && strcmp(base ? base + 1 : path, "config.json") == 0)
		key = DOCKER_HUB_LEGACY_KEY;
	else
		key = norm;
	json_object_set_new(auths, key, json_pack("{s:s}", "auth", b64));
	r = write_file(path, doc, err);
	if (r < 0)
		return berth_error_prefix(err, "store credentials in \"%s\"", path);
	return 0;
}

int reg_credentials_remove(const char *auth_file, const char *key, struct berth_error *err)
{
	_cleanup_strv_free_ char **paths = reg_credentials_read_paths(auth_file);
	_cleanup_free_ char *norm = reg_credentials_normalize_key(key);
	bool found = false;

	for (char **p = paths; *p; p++) {
		_cleanup_json_ json_t *doc = NULL;
		bool changed = false;
		const char *k;
		json_t *auths, *v;
		void *tmp;
		int r;

		if (access(*p, F_OK) < 0)
			continue;
		r = read_file(*p, &doc, err);
		if (r < 0)
			return r;
		auths = json_object_get(doc, "auths");
		if (!json_is_object(auths))
			continue;
		json_object_foreach_safe(auths, tmp, k, v) {
			_cleanup_free_ char *kn = reg_credentials_normalize_key(k);

			if (strcmp(kn, norm) == 0) {
				json_object_del(auths, k);
				changed = true;
			}
		}
		if (!changed)
			continue;
		r = write_file(*p, doc, err);
		if (r < 0)
			return berth_error_prefix(err, "remove credentials from \"%s\"", *p);
		found = true;
	}
	return found ? 0 : -ENOENT;
}
