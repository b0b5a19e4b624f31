/*
 * docker import: a rootfs tarball (plain, gzip or zstd) becomes a one-layer
 * image.  The input streams into a blob writer while a layer job unpacks
 * the same bytes (one pass); then berth writes an OCI config (diff id,
 * history, the -c changes) and an OCI manifest, and records the image.
 * A failure removes what this import added, under the exclusive lock.
 */
#include "image.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "blob-store.h"
#include "digest.h"
#include "image-internal.h"
#include "layer-store.h"
#include "reference.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define _cleanup_json_ _cleanup_(json_decrefp)
#define READ_CHUNK (1024 * 1024)

/* The host platform in OCI terms (Go's GOARCH names). */
static void host_platform(const char **ret_arch, const char **ret_variant)
{
	static const struct {
		const char *machine, *arch, *variant;
	} map[] = {
		{ "x86_64", "amd64", NULL },  { "aarch64", "arm64", NULL }, { "armv7l", "arm", "v7" },
		{ "armv6l", "arm", "v6" },    { "i686", "386", NULL },	    { "i386", "386", NULL },
		{ "ppc64le", "ppc64le", NULL }, { "s390x", "s390x", NULL }, { "riscv64", "riscv64", NULL },
	};
	static struct utsname u;

	*ret_arch = "amd64";
	*ret_variant = NULL;
	if (uname(&u) < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(u.machine, map[i].machine) == 0) {
			*ret_arch = map[i].arch;
			*ret_variant = map[i].variant;
			return;
		}
	*ret_arch = u.machine;
}

/* ---- Dockerfile-like changes (docker import -c) ---- */

/* Split words, honouring "double" and 'single' quotes and backslash escapes. */
static int split_words(const char *s, char ***ret)
{
	_cleanup_strv_free_ char **words = NULL;

	while (*s) {
		_cleanup_free_ char *w = berth_xmalloc(strlen(s) + 1);
		size_t n = 0;
		char quote = 0;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		for (; *s && (quote || !isspace((unsigned char)*s)); s++) {
			if (quote && *s == quote)
				quote = 0;
			else if (!quote && (*s == '"' || *s == '\''))
				quote = *s;
			else if (*s == '\\' && s[1] && quote != '\'')
				w[n++] = *++s;
			else
				w[n++] = *s;
		}
		if (quote)
			return -EINVAL;
		w[n] = '\0';
		berth_strv_consume(&words, TAKE_PTR(w));
	}
	*ret = words ? TAKE_PTR(words) : berth_xcalloc(1, sizeof(char *));
	return 0;
}

/* CMD/ENTRYPOINT/VOLUME: a JSON array of strings, or the shell form. */
static json_t *exec_form(const char *arg, bool shell_form)
{
	json_t *v = NULL;

	if (arg[0] == '[') {
		size_t i;
		json_t *e;
		v = json_loads(arg, 0, NULL);
		if (json_is_array(v)) {
			bool ok = true;
			json_array_foreach(v, i, e)
				ok = ok && json_is_string(e);
			if (ok)
				return v;
		}
		json_decref(v);
		if (!shell_form)
			return NULL;
	}
	if (!shell_form)
		return NULL;
	return json_pack("[s, s, s]", "/bin/sh", "-c", arg);
}

static void set_env(json_t *cfg, const char *key, const char *value)
{
	json_t *env = json_object_get(cfg, "Env"), *e;
	_cleanup_free_ char *entry = berth_xasprintf("%s=%s", key, value);
	size_t len = strlen(key), i;

	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(cfg, "Env", env);
	}
	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);
		if (s && strncmp(s, key, len) == 0 && s[len] == '=') {
			json_array_set_new(env, i, json_string(entry));
			return;
		}
	}
	json_array_append_new(env, json_string(entry));
}

/* ENV k=v k2="v 2" or ENV k v; LABEL k=v ... */
static int apply_pairs(json_t *cfg, const char *instr, const char *arg, struct berth_error *err)
{
	_cleanup_strv_free_ char **words = NULL;
	bool env = strcmp(instr, "ENV") == 0;

	if (split_words(arg, &words) < 0)
		return berth_error_setx(err, EINVAL, "%s: unterminated quote in \"%s\"", instr, arg);
	if (!words[0])
		return berth_error_setx(err, EINVAL, "%s requires at least one argument", instr);
	if (!strchr(words[0], '=')) {
		/* the old "ENV key value with spaces" form */
		const char *rest = arg;
		while (isspace((unsigned char)*rest))
			rest++;
		rest += strlen(words[0]);
		while (isspace((unsigned char)*rest))
			rest++;
		if (!env || !*rest)
			return berth_error_setx(err, EINVAL, "%s: expected key=value, got \"%s\"", instr, words[0]);
		set_env(cfg, words[0], rest);
		return 0;
	}
	for (char **w = words; *w; w++) {
		char *eq = strchr(*w, '=');
		if (!eq || eq == *w)
			return berth_error_setx(err, EINVAL, "%s: expected key=value, got \"%s\"", instr, *w);
		*eq = '\0';
		if (env) {
			set_env(cfg, *w, eq + 1);
		} else {
			json_t *labels = json_object_get(cfg, "Labels");
			if (!json_is_object(labels)) {
				labels = json_object();
				json_object_set_new(cfg, "Labels", labels);
			}
			json_object_set_new(labels, *w, json_string(eq + 1));
		}
	}
	return 0;
}

static int apply_set(json_t *cfg, const char *instr, const char *arg, struct berth_error *err)
{
	_cleanup_strv_free_ char **words = NULL;
	json_t *set, *list = NULL;
	const char *key = strcmp(instr, "EXPOSE") == 0 ? "ExposedPorts" : "Volumes";
	size_t i;
	json_t *e;

	if (strcmp(instr, "VOLUME") == 0 && arg[0] == '[') {
		list = exec_form(arg, false);
		if (!list)
			return berth_error_setx(err, EINVAL, "VOLUME: invalid JSON array \"%s\"", arg);
	} else {
		if (split_words(arg, &words) < 0 || !words[0])
			return berth_error_setx(err, EINVAL, "%s requires at least one argument", instr);
		list = json_array();
		for (char **w = words; *w; w++)
			json_array_append_new(list, json_string(*w));
	}
	set = json_object_get(cfg, key);
	if (!json_is_object(set)) {
		set = json_object();
		json_object_set_new(cfg, key, set);
	}
	json_array_foreach(list, i, e) {
		const char *v = json_string_value(e);
		_cleanup_free_ char *port = NULL;
		if (strcmp(instr, "EXPOSE") == 0) {
			char *end = NULL;
			long p = strtol(v, &end, 10);
			if (end == v || p < 1 || p > 65535 ||
			    (*end && strcmp(end, "/tcp") != 0 && strcmp(end, "/udp") != 0 && strcmp(end, "/sctp") != 0)) {
				json_decref(list);
				return berth_error_setx(err, EINVAL, "EXPOSE: invalid port \"%s\"", v);
			}
			port = *end ? berth_xstrdup(v) : berth_xasprintf("%ld/tcp", p);
			v = port;
		}
		json_object_set_new(set, v, json_object());
	}
	json_decref(list);
	return 0;
}

static int apply_change(json_t *cfg, const char *change, struct berth_error *err)
{
	_cleanup_free_ char *instr = NULL;
	const char *p = change, *arg;
	json_t *v;

	while (isspace((unsigned char)*p))
		p++;
	arg = p;
	while (*arg && !isspace((unsigned char)*arg))
		arg++;
	instr = berth_xstrndup(p, (size_t)(arg - p));
	for (char *c = instr; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	while (isspace((unsigned char)*arg))
		arg++;

	if (strcmp(instr, "CMD") == 0 || strcmp(instr, "ENTRYPOINT") == 0) {
		v = exec_form(arg, true);
		json_object_set_new(cfg, strcmp(instr, "CMD") == 0 ? "Cmd" : "Entrypoint", v);
		return 0;
	}
	if (strcmp(instr, "ENV") == 0 || strcmp(instr, "LABEL") == 0)
		return apply_pairs(cfg, instr, arg, err);
	if (strcmp(instr, "EXPOSE") == 0 || strcmp(instr, "VOLUME") == 0)
		return apply_set(cfg, instr, arg, err);
	if (strcmp(instr, "WORKDIR") == 0 || strcmp(instr, "USER") == 0 || strcmp(instr, "STOPSIGNAL") == 0) {
		const char *key = instr[0] == 'W' ? "WorkingDir" : instr[0] == 'U' ? "User" : "StopSignal";
		if (!*arg)
			return berth_error_setx(err, EINVAL, "%s requires exactly one argument", instr);
		json_object_set_new(cfg, key, json_string(arg));
		return 0;
	}
	return berth_error_setx(err, EINVAL, "%s is not a valid change command (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
				"STOPSIGNAL, USER, VOLUME, WORKDIR)", instr[0] ? instr : "\"\"");
}

/* ---- the import ---- */

static void format_created(int64_t created, char *buf, size_t len)
{
	struct timespec now;
	struct tm tm;
	time_t t;

	if (created >= 0) {
		t = (time_t)created;
		gmtime_r(&t, &tm);
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	t = now.tv_sec;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%09ldZ", now.tv_nsec);
}

static int build_config(const char *diff_id, char *const *changes, const char *message, const char *created,
			const char *created_by, char **ret, struct berth_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	json_t *cfg = json_object(), *hist;
	const char *arch, *variant;
	int r;

	for (char *const *c = changes; c && *c; c++) {
		r = apply_change(cfg, *c, err);
		if (r < 0) {
			json_decref(cfg);
			return berth_error_prefix(err, "change \"%s\"", *c);
		}
	}
	host_platform(&arch, &variant);
	hist = json_pack("{s:s, s:s}", "created", created, "created_by", created_by ? created_by : "berth import");
	if (message && *message)
		json_object_set_new(hist, "comment", json_string(message));
	doc = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:[o]}", "architecture", arch, "os", "linux", "created",
			created, "config", cfg, "rootfs", "type", "layers", "diff_ids", diff_id, "history", hist);
	if (variant)
		json_object_set_new(doc, "variant", json_string(variant));
	if (message && *message)
		json_object_set_new(doc, "comment", json_string(message));
	/* sorted keys: the same inputs give the same bytes, so the same image id */
	*ret = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!*ret)
		abort();
	return 0;
}

static const char *layer_media_type(enum berth_compression c)
{
	switch (c) {
	case BERTH_COMPRESSION_GZIP:
		return BERTH_MT_OCI_LAYER_GZIP;
	case BERTH_COMPRESSION_ZSTD:
		return BERTH_MT_OCI_LAYER_ZSTD;
	default:
		return BERTH_MT_OCI_LAYER;
	}
}

/* Copy fd into the blob writer; the layer job follows the same bytes. */
static int stream_input(int fd, struct berth_blob_writer *w, struct berth_error *err)
{
	_cleanup_free_ char *buf = berth_xmalloc(READ_CHUNK);

	for (;;) {
		ssize_t n = read(fd, buf, READ_CHUNK);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_set(err, errno, "read the tarball");
		if (n == 0)
			return 0;
		r = berth_blob_writer_write(w, buf, (size_t)n, err);
		if (r < 0)
			return r;
	}
}

/* Remove what a failed import added and nothing else uses (under the exclusive lock). */
static void undo(struct berth_store *s, char **layers, char **blobs)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;

	if (!layers && !blobs)
		return;
	if (berth_store_lock_exclusive(s, &ignored) < 0)
		return;
	berth_image_collect_garbage(s, layers ? layers : (char *[]){ NULL }, blobs ? blobs : (char *[]){ NULL }, "",
				    NULL, &(uint64_t){ 0 }, &ignored);
}

struct made {
	char layer_blob[BERTH_DIGEST_STR_LEN];
	struct berth_unpack_result res;
	char config[BERTH_DIGEST_STR_LEN];
	char manifest[BERTH_DIGEST_STR_LEN];
	size_t config_size, manifest_size;
};

static int store_layer(struct berth_store *s, int fd, struct made *m, char ***added_layers, char ***added_blobs,
		       struct berth_error *err)
{
	_cleanup_(berth_blob_writer_freep) struct berth_blob_writer *w = NULL;
	_cleanup_(berth_layer_job_freep) struct berth_layer_job *job = NULL;
	int r;

	r = berth_blob_writer_new(s, NULL, -1, 0, &w, err);
	if (r < 0)
		return r;
	r = berth_layer_job_start(s, w, NULL, &job, err);
	if (r < 0)
		return r;
	r = stream_input(fd, w, err);
	if (r < 0)
		return r; /* freeing the writer aborts it, which ends the job */
	r = berth_blob_writer_commit(w, m->layer_blob, err);
	if (r < 0)
		return r;
	berth_strv_push(added_blobs, m->layer_blob);
	r = berth_layer_job_wait(job, &m->res, err);
	if (r < 0)
		return berth_error_prefix(err, "unpack");
	/* a single layer's chain id is its diff id */
	r = berth_layer_job_commit(job, m->res.diff_id, NULL, err);
	if (r < 0)
		return r;
	berth_strv_push(added_layers, m->res.diff_id);
	return 0;
}

static int store_image(struct berth_store *s, const char *name, const struct made *m, int64_t created,
		       struct berth_error *err)
{
	struct berth_image_layer layer = {
		.chain_id = (char *)m->res.diff_id,
		.diff_id = (char *)m->res.diff_id,
		.blob_digest = (char *)m->layer_blob,
		.media_type = (char *)layer_media_type(m->res.compression),
		.blob_size = (int64_t)m->res.blob_size,
		.diff_size = (int64_t)m->res.diff_size,
	};
	struct berth_image img = {
		.id = (char *)m->config,
		.manifest_digest = (char *)m->manifest,
		.manifest_media_type = (char *)BERTH_MT_OCI_MANIFEST,
		.created = created,
		.layers = &layer,
		.n_layers = 1,
	};
	int r;

	r = berth_db_begin(s->db, err);
	if (r >= 0)
		r = berth_db_put_image(s->db, &img, err);
	if (r >= 0 && name)
		r = berth_db_set_name(s->db, name, img.id, err);
	if (r >= 0)
		r = berth_db_commit(s->db, err);
	if (r < 0) {
		berth_db_rollback(s->db);
		return r;
	}
	return name ? berth_store_write_index(s, err) : 0;
}

static int import_into(struct berth_store *s, int fd, const char *name, char *const *changes, const char *message,
		       int64_t created, const char *created_by, struct made *m, char ***layers, char ***blobs,
		       struct berth_error *err)
{
	_cleanup_free_ char *config = NULL, *manifest_text = NULL;
	struct berth_descriptor layer_desc = { 0 };
	struct berth_manifest manifest = { .kind = BERTH_MANIFEST_IMAGE, .media_type = (char *)BERTH_MT_OCI_MANIFEST };
	char created_s[64];
	int64_t created_unix;
	int r;

	/* a bad change fails before any work */
	format_created(created, created_s, sizeof(created_s));
	r = build_config("sha256:" "0000000000000000000000000000000000000000000000000000000000000000", changes,
			 message, created_s, created_by, &config, err);
	if (r < 0)
		return r;
	r = store_layer(s, fd, m, layers, blobs, err);
	if (r < 0)
		return r;
	free(config);
	config = NULL;
	r = build_config(m->res.diff_id, changes, message, created_s, created_by, &config, err);
	if (r < 0)
		return r;
	m->config_size = strlen(config);
	r = berth_blob_put(s, config, m->config_size, m->config, err);
	if (r < 0)
		return berth_error_prefix(err, "store the config");
	berth_strv_push(blobs, m->config);

	layer_desc = (struct berth_descriptor){ .media_type = (char *)layer_media_type(m->res.compression),
						.digest = m->layer_blob,
						.size = (int64_t)m->res.blob_size };
	manifest.config = (struct berth_descriptor){ .media_type = (char *)BERTH_MT_OCI_CONFIG,
						     .digest = m->config,
						     .size = (int64_t)m->config_size };
	manifest.layers = &layer_desc;
	manifest.n_layers = 1;
	manifest_text = berth_manifest_serialize(&manifest);
	m->manifest_size = strlen(manifest_text);
	r = berth_blob_put(s, manifest_text, m->manifest_size, m->manifest, err);
	if (r < 0)
		return berth_error_prefix(err, "store the manifest");
	berth_strv_push(blobs, m->manifest);

	if (berth_parse_rfc3339(created_s, &created_unix) < 0)
		created_unix = 0;
	return store_image(s, name, m, created_unix, err);
}

int berth_image_import_full(struct berth_store *s, int fd, const char *name, char *const *changes, const char *message,
			    int64_t created, const char *created_by, char **ret_id, struct berth_error *err)
{
	_cleanup_strv_free_ char **layers = NULL, **blobs = NULL;
	_cleanup_free_ char *full_name = NULL;
	struct made m = { 0 };
	int r;

	if (name) {
		struct berth_reference ref = { 0 };
		r = berth_reference_parse(name, &ref, err);
		if (r < 0)
			return berth_error_prefix(err, "import");
		if (ref.digest) {
			berth_reference_release(&ref);
			return berth_error_setx(err, EINVAL, "import: \"%s\": a name with a digest cannot be given", name);
		}
		full_name = berth_reference_string(&ref);
		berth_reference_release(&ref);
	}
	r = import_into(s, fd, full_name, changes, message, created, created_by, &m, &layers, &blobs, err);
	if (r < 0) {
		undo(s, layers, blobs);
		return berth_error_prefix(err, "import");
	}
	*ret_id = berth_xstrdup(m.config);
	return 0;
}

int berth_image_import(struct berth_store *s, int fd, const char *name, char *const *changes, const char *message,
		       char **ret_id, struct berth_error *err)
{
	return berth_image_import_full(s, fd, name, changes, message, -1, NULL, ret_id, err);
}
