/* docker image inspect's JSON object and docker history's entries, from an image's config. */
#include "image.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blob-store.h"
#include "digest.h"
#include "image-internal.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

static int read_digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -EINVAL;
		v = v * 10 + (**p - '0');
	}
	*ret = v;
	return 0;
}

int berth_parse_rfc3339(const char *s, int64_t *ret)
{
	struct tm tm = { 0 };
	int year, mon, day, hour, min, sec, off_h = 0, off_m = 0, sign = 0;
	const char *p = s;
	time_t t;

	if (!s || read_digits(&p, 4, &year) < 0 || *p++ != '-' || read_digits(&p, 2, &mon) < 0 || *p++ != '-' ||
	    read_digits(&p, 2, &day) < 0 || (*p != 'T' && *p != 't' && *p != ' '))
		return -EINVAL;
	p++;
	if (read_digits(&p, 2, &hour) < 0 || *p++ != ':' || read_digits(&p, 2, &min) < 0 || *p++ != ':' ||
	    read_digits(&p, 2, &sec) < 0)
		return -EINVAL;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (read_digits(&p, 2, &off_h) < 0 || *p++ != ':' || read_digits(&p, 2, &off_m) < 0)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*p || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ret = (int64_t)t - sign * (off_h * 3600 + off_m * 60);
	return 0;
}

static int read_config(struct berth_store *s, const struct berth_image *img, json_t **ret, struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	json_error_t jerr;
	size_t len = 0;
	json_t *doc;
	int r;

	r = berth_blob_read(s, img->id, BERTH_MANIFEST_MAX_SIZE, &buf, &len, err);
	if (r < 0)
		return berth_error_prefix(err, "image %s: config", img->id);
	doc = json_loadb(buf, len, 0, &jerr);
	if (!doc || !json_is_object(doc)) {
		json_decref(doc);
		return berth_error_setx(err, EINVAL, "image %s: config: %s", img->id, doc ? "not an object" : jerr.text);
	}
	*ret = doc;
	return 0;
}

static json_t *string_or_empty(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_incref(v) : json_string("");
}

/*
 * The container config in docker's field order, defaults filled in: what
 * `docker image inspect` shows and what templates like {{.Config.Cmd}} read.
 */
static json_t *docker_config(json_t *cfg)
{
	static const struct {
		const char *key;
		int kind; /* 0 string, 1 false, 2 null, 3 omit when absent */
	} fields[] = {
		{ "Hostname", 0 }, { "Domainname", 0 }, { "User", 0 },	   { "AttachStdin", 1 }, { "AttachStdout", 1 },
		{ "AttachStderr", 1 }, { "ExposedPorts", 3 }, { "Tty", 1 },    { "OpenStdin", 1 },	 { "StdinOnce", 1 },
		{ "Env", 2 },	       { "Cmd", 2 },	    { "Healthcheck", 3 }, { "ArgsEscaped", 3 }, { "Image", 0 },
		{ "Volumes", 2 },      { "WorkingDir", 0 }, { "Entrypoint", 2 }, { "NetworkDisabled", 3 }, { "MacAddress", 3 },
		{ "OnBuild", 2 },      { "Labels", 2 },	    { "StopSignal", 3 }, { "StopTimeout", 3 },	 { "Shell", 3 },
	};
	json_t *out = json_object();
	const char *key;
	json_t *v;

	if (!json_is_object(cfg))
		cfg = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		v = cfg ? json_object_get(cfg, fields[i].key) : NULL;
		if (v)
			json_object_set(out, fields[i].key, v);
		else if (fields[i].kind == 0)
			json_object_set_new(out, fields[i].key, json_string(""));
		else if (fields[i].kind == 1)
			json_object_set_new(out, fields[i].key, json_false());
		else if (fields[i].kind == 2)
			json_object_set_new(out, fields[i].key, json_null());
	}
	/* anything else the config has (OCI-only fields) */
	if (cfg)
		json_object_foreach(cfg, key, v)
			if (!json_object_get(out, key))
				json_object_set(out, key, v);
	return out;
}

static json_t *familiar_list(char *const *names)
{
	json_t *a = json_array();

	for (char *const *n = names; n && *n; n++) {
		_cleanup_free_ char *f = berth_image_familiar_name(*n);
		json_array_append_new(a, json_string(f));
	}
	return a;
}

static json_t *rfc3339(int64_t when)
{
	char buf[64];
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *graph_driver(struct berth_store *s, const struct berth_image *img)
{
	_cleanup_free_ char *lower = NULL;

	/* overlay order: top layer first */
	for (size_t i = img->n_layers; i-- > 0;) {
		const char *chain = img->layers[i].chain_id;
		char *next = berth_xasprintf("%s%s%s/layers/%s", lower ? lower : "", lower ? ":" : "", s->root,
					     berth_digest_is_valid(chain) ? berth_digest_hex(chain) : "?");
		free(lower);
		lower = next;
	}
	return json_pack("{s:{s:s}, s:s}", "Data", "LowerDir", lower ? lower : "", "Name", "overlay");
}

int berth_image_inspect(struct berth_store *s, const struct berth_image *img, json_t **ret, struct berth_error *err)
{
	_cleanup_json_ json_t *cfg = NULL;
	json_t *out, *layers, *v;
	int r;

	r = read_config(s, img, &cfg, err);
	if (r < 0)
		return r;
	out = json_object();
	json_object_set_new(out, "Id", json_string(img->id));
	json_object_set_new(out, "RepoTags", familiar_list(img->names));
	json_object_set_new(out, "RepoDigests", familiar_list(img->repo_digests));
	json_object_set_new(out, "Parent", json_string(""));
	json_object_set_new(out, "Comment", string_or_empty(cfg, "comment"));
	v = json_object_get(cfg, "created");
	json_object_set_new(out, "Created", json_is_string(v) ? json_incref(v) : rfc3339(img->created));
	json_object_set_new(out, "DockerVersion", string_or_empty(cfg, "docker_version"));
	json_object_set_new(out, "Author", string_or_empty(cfg, "author"));
	json_object_set_new(out, "Config", docker_config(json_object_get(cfg, "config")));
	json_object_set_new(out, "Architecture", string_or_empty(cfg, "architecture"));
	if (json_is_string(json_object_get(cfg, "variant")))
		json_object_set(out, "Variant", json_object_get(cfg, "variant"));
	json_object_set_new(out, "Os", string_or_empty(cfg, "os"));
	json_object_set_new(out, "Size", json_integer(img->size));
	json_object_set_new(out, "GraphDriver", graph_driver(s, img));
	layers = json_array();
	for (size_t i = 0; i < img->n_layers; i++)
		json_array_append_new(layers, json_string(img->layers[i].diff_id));
	json_object_set_new(out, "RootFS", json_pack("{s:s, s:o}", "Type", "layers", "Layers", layers));
	json_object_set_new(out, "Metadata", json_pack("{s:o}", "LastTagTime", rfc3339(img->added)));
	/* berth's own: where the manifest is */
	json_object_set_new(out, "ManifestDigest", json_string(img->manifest_digest));
	json_object_set_new(out, "ManifestMediaType", json_string(img->manifest_media_type));
	*ret = out;
	return 0;
}

static json_t *history_entry(const char *id, int64_t created, const char *by, const char *comment, int64_t size,
			     json_t *tags)
{
	return json_pack("{s:s, s:I, s:s, s:o, s:I, s:s}", "Id", id, "Created", (json_int_t)created, "CreatedBy",
			 by ? by : "", "Tags", tags ? tags : json_null(), "Size", (json_int_t)size, "Comment",
			 comment ? comment : "");
}

int berth_image_history(struct berth_store *s, const struct berth_image *img, json_t **ret, struct berth_error *err)
{
	_cleanup_json_ json_t *cfg = NULL;
	json_t *hist, *out = json_array(), *e;
	size_t layer = 0, i;
	int r;

	r = read_config(s, img, &cfg, err);
	if (r < 0) {
		json_decref(out);
		return r;
	}
	hist = json_object_get(cfg, "history");
	if (json_is_array(hist) && json_array_size(hist) > 0) {
		json_array_foreach(hist, i, e) {
			int64_t created = 0, size = 0;
			const char *when = json_string_value(json_object_get(e, "created"));
			if (when && berth_parse_rfc3339(when, &created) < 0)
				created = 0;
			/* entries that made no layer have size 0; the others take the layers in order */
			if (!json_is_true(json_object_get(e, "empty_layer")) && layer < img->n_layers)
				size = img->layers[layer++].diff_size;
			json_array_insert_new(out, 0,
					      history_entry("<missing>", created,
							    json_string_value(json_object_get(e, "created_by")),
							    json_string_value(json_object_get(e, "comment")), size, NULL));
		}
	} else {
		/* no history: one line per layer */
		for (i = 0; i < img->n_layers; i++)
			json_array_insert_new(out, 0,
					      history_entry("<missing>", img->created, "", "", img->layers[i].diff_size,
							    NULL));
	}
	if (json_array_size(out) > 0) {
		e = json_array_get(out, 0);
		json_object_set_new(e, "Id", json_string(img->id));
		json_object_set_new(e, "Tags", familiar_list(img->names));
	}
	*ret = out;
	return 0;
}
