#include "manifest.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

#define _cleanup_json_ _cleanup_(json_decrefp)

/* An error about one field of a document: `"layers[2].digest": ...`. */
static int field_error(struct berth_error *err, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int field_error(struct berth_error *err, const char *field, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		abort();
	return berth_error_setx(err, EINVAL, "\"%s\": %s", field, msg);
}

/* NULL when absent; -EINVAL when present and not a string. */
static int get_string(json_t *obj, const char *key, const char *field, bool required, const char **ret,
		      struct berth_error *err)
{
	json_t *v = json_object_get(obj, key);

	*ret = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return field_error(err, field, "missing");
		return 0;
	}
	if (!json_is_string(v))
		return field_error(err, field, "not a string");
	*ret = json_string_value(v);
	return 0;
}

void berth_descriptor_release(struct berth_descriptor *d)
{
	if (!d)
		return;
	free(d->media_type);
	free(d->digest);
	free(d->os);
	free(d->architecture);
	free(d->variant);
	free(d->ref_name);
	*d = (struct berth_descriptor){ 0 };
}

static void descriptor_array_free(struct berth_descriptor *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		berth_descriptor_release(&a[i]);
	free(a);
}

void berth_manifest_release(struct berth_manifest *m)
{
	if (!m)
		return;
	free(m->media_type);
	berth_descriptor_release(&m->config);
	descriptor_array_free(m->layers, m->n_layers);
	descriptor_array_free(m->manifests, m->n_manifests);
	*m = (struct berth_manifest){ 0 };
}

static int parse_platform(json_t *obj, const char *field, struct berth_descriptor *d, struct berth_error *err)
{
	_cleanup_free_ char *f = NULL;
	json_t *p = json_object_get(obj, "platform");
	const char *os = NULL, *arch = NULL, *variant = NULL;
	int r;

	if (!p || json_is_null(p))
		return 0;
	f = berth_xasprintf("%s.platform", field);
	if (!json_is_object(p))
		return field_error(err, f, "not an object");
	free(f);
	f = berth_xasprintf("%s.platform.os", field);
	r = get_string(p, "os", f, true, &os, err);
	if (r < 0)
		return r;
	free(f);
	f = berth_xasprintf("%s.platform.architecture", field);
	r = get_string(p, "architecture", f, true, &arch, err);
	if (r < 0)
		return r;
	free(f);
	f = berth_xasprintf("%s.platform.variant", field);
	r = get_string(p, "variant", f, false, &variant, err);
	if (r < 0)
		return r;
	d->os = berth_xstrdup(os);
	d->architecture = berth_xstrdup(arch);
	d->variant = variant && *variant ? berth_xstrdup(variant) : NULL;
	return 0;
}

static int parse_descriptor(json_t *obj, const char *field, bool with_platform, struct berth_descriptor *ret,
			    struct berth_error *err)
{
	_cleanup_free_ char *f = NULL;
	struct berth_descriptor d = { 0 };
	const char *mt = NULL, *digest = NULL, *ref_name = NULL;
	json_t *size, *ann;
	int r;

	if (!obj)
		return field_error(err, field, "missing");
	if (!json_is_object(obj))
		return field_error(err, field, "not an object");

	f = berth_xasprintf("%s.mediaType", field);
	r = get_string(obj, "mediaType", f, true, &mt, err);
	if (r < 0)
		return r;
	if (!*mt)
		return field_error(err, f, "empty");

	free(f);
	f = berth_xasprintf("%s.digest", field);
	r = get_string(obj, "digest", f, true, &digest, err);
	if (r < 0)
		return r;
	if (berth_digest_validate(digest, err) < 0)
		return berth_error_prefix(err, "\"%s\"", f);

	free(f);
	f = berth_xasprintf("%s.size", field);
	size = json_object_get(obj, "size");
	if (!size)
		return field_error(err, f, "missing");
	if (!json_is_integer(size))
		return field_error(err, f, "not an integer");
	if (json_integer_value(size) < 0)
		return field_error(err, f, "negative");

	ann = json_object_get(obj, "annotations");
	if (ann && !json_is_null(ann)) {
		free(f);
		f = berth_xasprintf("%s.annotations", field);
		if (!json_is_object(ann))
			return field_error(err, f, "not an object");
		free(f);
		f = berth_xasprintf("%s.annotations.\"%s\"", field, ANNOTATION_REF_NAME);
		r = get_string(ann, ANNOTATION_REF_NAME, f, false, &ref_name, err);
		if (r < 0)
			return r;
	}

	if (with_platform) {
		r = parse_platform(obj, field, &d, err);
		if (r < 0)
			return r;
	}
	d.media_type = berth_xstrdup(mt);
	d.digest = berth_xstrdup(digest);
	d.size = json_integer_value(size);
	d.ref_name = berth_xstrdup_or_null(ref_name);
	*ret = d;
	return 0;
}

static int parse_descriptor_array(json_t *doc, const char *key, bool with_platform, struct berth_descriptor **ret,
				  size_t *ret_n, struct berth_error *err)
{
	json_t *arr = json_object_get(doc, key);
	struct berth_descriptor *a = NULL;
	size_t n;

	if (!arr)
		return field_error(err, key, "missing");
	if (!json_is_array(arr))
		return field_error(err, key, "not an array");
	n = json_array_size(arr);
	a = berth_xcalloc(n ? n : 1, sizeof(*a));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *f = berth_xasprintf("%s[%zu]", key, i);
		int r = parse_descriptor(json_array_get(arr, i), f, with_platform, &a[i], err);

		if (r < 0) {
			descriptor_array_free(a, i);
			return r;
		}
	}
	*ret = a;
	*ret_n = n;
	return 0;
}

static bool is_manifest_type(const char *mt)
{
	return strcmp(mt, BERTH_MT_OCI_MANIFEST) == 0 || strcmp(mt, BERTH_MT_DOCKER_MANIFEST) == 0;
}

static bool is_index_type(const char *mt)
{
	return strcmp(mt, BERTH_MT_OCI_INDEX) == 0 || strcmp(mt, BERTH_MT_DOCKER_LIST) == 0;
}

/* Content types that say nothing about the document (some registries and file servers send them). */
static bool is_generic_type(const char *mt)
{
	return strcmp(mt, "application/json") == 0 || strcmp(mt, "application/octet-stream") == 0 ||
	       strcmp(mt, "text/plain") == 0;
}

/* "type/subtype; charset=utf-8" -> "type/subtype" */
static char *strip_parameters(const char *mt)
{
	size_t len = strcspn(mt, ";");

	while (len > 0 && isspace((unsigned char)mt[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)*mt)) {
		mt++;
		len--;
	}
	return berth_xstrndup(mt, len);
}

/* Decide what the document is, from the declared type, its mediaType field and its shape (as containerd does). */
static int resolve_media_type(json_t *doc, const char *declared, char **ret, struct berth_error *err)
{
	_cleanup_free_ char *decl = declared && *declared ? strip_parameters(declared) : NULL;
	const char *field = NULL;
	const char *mt;
	int r;

	r = get_string(doc, "mediaType", "mediaType", false, &field, err);
	if (r < 0)
		return r;
	if (decl && is_generic_type(decl))
		decl = (free(decl), NULL);
	if (decl && !is_manifest_type(decl) && !is_index_type(decl))
		return berth_error_setx(err, ENOTSUP, "unsupported manifest media type \"%s\"", decl);
	if (decl && field && strcmp(decl, field) != 0)
		return berth_error_setx(err, EINVAL, "\"mediaType\": \"%s\" does not match the declared type \"%s\"",
					field, decl);
	if (decl)
		mt = decl;
	else if (field)
		mt = field;
	else if (json_object_get(doc, "manifests"))
		mt = BERTH_MT_OCI_INDEX;
	else
		mt = BERTH_MT_OCI_MANIFEST;
	if (!is_manifest_type(mt) && !is_index_type(mt))
		return berth_error_setx(err, ENOTSUP, "unsupported manifest media type \"%s\"", mt);

	/* A document must not look like both (OCI image-spec, containerd's ValidateMediaType). */
	if (is_manifest_type(mt) && json_object_get(doc, "manifests"))
		return berth_error_setx(err, EINVAL, "\"manifests\": not allowed in a manifest of type \"%s\"", mt);
	if (is_index_type(mt) && (json_object_get(doc, "config") || json_object_get(doc, "layers")))
		return berth_error_setx(err, EINVAL, "\"%s\": not allowed in an index of type \"%s\"",
					json_object_get(doc, "config") ? "config" : "layers", mt);
	*ret = berth_xstrdup(mt);
	return 0;
}

static int load_json(const char *buf, size_t len, const char *what, json_t **ret, struct berth_error *err)
{
	json_error_t jerr;
	json_t *doc;

	if (len > BERTH_MANIFEST_MAX_SIZE)
		return berth_error_setx(err, EFBIG, "%s is larger than %d bytes", what, BERTH_MANIFEST_MAX_SIZE);
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return berth_error_setx(err, EINVAL, "parse %s: %s (line %d, column %d)", what, jerr.text, jerr.line,
					jerr.column);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return berth_error_setx(err, EINVAL, "parse %s: not a JSON object", what);
	}
	*ret = doc;
	return 0;
}

int berth_manifest_parse(const char *buf, size_t len, const char *media_type, struct berth_manifest *ret,
			 struct berth_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_free_ char *mt = NULL;
	struct berth_manifest m = { 0 };
	json_t *sv;
	int r;

	r = load_json(buf, len, "manifest", &doc, err);
	if (r < 0)
		return r;
	sv = json_object_get(doc, "schemaVersion");
	if (!sv)
		return berth_error_setx(err, EINVAL, "manifest: \"schemaVersion\": missing");
	if (!json_is_integer(sv))
		return berth_error_setx(err, EINVAL, "manifest: \"schemaVersion\": not an integer");
	if (json_integer_value(sv) != 2)
		return berth_error_setx(err, ENOTSUP, "manifest: unsupported schema version %lld",
					(long long)json_integer_value(sv));
	r = resolve_media_type(doc, media_type, &mt, err);
	if (r < 0)
		return berth_error_prefix(err, "manifest");

	if (is_index_type(mt)) {
		m.kind = BERTH_MANIFEST_INDEX;
		r = parse_descriptor_array(doc, "manifests", true, &m.manifests, &m.n_manifests, err);
		if (r < 0)
			return berth_error_prefix(err, "index");
	} else {
		m.kind = BERTH_MANIFEST_IMAGE;
		r = parse_descriptor(json_object_get(doc, "config"), "config", false, &m.config, err);
		if (r < 0)
			return berth_error_prefix(err, "manifest");
		r = parse_descriptor_array(doc, "layers", false, &m.layers, &m.n_layers, err);
		if (r < 0) {
			berth_descriptor_release(&m.config);
			return berth_error_prefix(err, "manifest");
		}
	}
	m.media_type = TAKE_PTR(mt);
	*ret = m;
	return 0;
}

bool berth_layer_media_type_supported(const char *media_type)
{
	static const char *const supported[] = {
		BERTH_MT_OCI_LAYER,
		BERTH_MT_OCI_LAYER_GZIP,
		BERTH_MT_OCI_LAYER_ZSTD,
		BERTH_MT_DOCKER_LAYER,
		BERTH_MT_DOCKER_LAYER_GZIP,
		/* deprecated in image-spec 1.1 but still found in the wild */
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	};

	if (!media_type)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(supported); i++)
		if (strcmp(media_type, supported[i]) == 0)
			return true;
	return false;
}

/* ---- platforms ---- */

struct platform {
	char os[32], arch[32], variant[32];
};

static void lower_copy(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < size; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* containerd's platforms.Normalize for the architectures that have aliases or variants */
static void platform_normalize(struct platform *p)
{
	if (strcmp(p->os, "macos") == 0)
		strcpy(p->os, "darwin");
	if (strcmp(p->arch, "i386") == 0) {
		strcpy(p->arch, "386");
		p->variant[0] = '\0';
	} else if (strcmp(p->arch, "x86_64") == 0 || strcmp(p->arch, "x86-64") == 0 || strcmp(p->arch, "amd64") == 0) {
		strcpy(p->arch, "amd64");
		if (strcmp(p->variant, "v1") == 0)
			p->variant[0] = '\0';
	} else if (strcmp(p->arch, "aarch64") == 0 || strcmp(p->arch, "arm64") == 0) {
		strcpy(p->arch, "arm64");
		if (strcmp(p->variant, "8") == 0 || strcmp(p->variant, "v8") == 0 || strcmp(p->variant, "v8.0") == 0)
			p->variant[0] = '\0';
		else if (strcmp(p->variant, "9") == 0 || strcmp(p->variant, "9.0") == 0 ||
			 strcmp(p->variant, "v9.0") == 0)
			strcpy(p->variant, "v9");
	} else if (strcmp(p->arch, "armhf") == 0) {
		strcpy(p->arch, "arm");
		strcpy(p->variant, "v7");
	} else if (strcmp(p->arch, "armel") == 0) {
		strcpy(p->arch, "arm");
		strcpy(p->variant, "v6");
	} else if (strcmp(p->arch, "arm") == 0) {
		if (p->variant[0] == '\0' || strcmp(p->variant, "7") == 0)
			strcpy(p->variant, "v7");
		else if (strcmp(p->variant, "5") == 0 || strcmp(p->variant, "6") == 0 || strcmp(p->variant, "8") == 0) {
			p->variant[1] = p->variant[0];
			p->variant[0] = 'v';
			p->variant[2] = '\0';
		}
	}
}

static const char *host_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__arm__)
	return "arm";
#elif defined(__i386__)
	return "386";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#else
	return "amd64";
#endif
}

static bool is_os_name(const char *s)
{
	static const char *const oses[] = { "linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris" };

	for (size_t i = 0; i < ARRAY_SIZE(oses); i++)
		if (strcmp(s, oses[i]) == 0)
			return true;
	return false;
}

/* "os/arch[/variant]", "os" or "arch" (containerd's platforms.Parse) */
static int platform_parse(const char *s, struct platform *ret, struct berth_error *err)
{
	_cleanup_strv_free_ char **parts = NULL;
	struct platform p = { 0 };
	const char *start = s;
	size_t n;

	for (const char *c = s;; c++) {
		if (*c == '/' || *c == '\0') {
			berth_strv_consume(&parts, berth_xstrndup(start, (size_t)(c - start)));
			if (!*c)
				break;
			start = c + 1;
		}
	}
	n = berth_strv_length(parts);
	for (size_t i = 0; i < n; i++)
		if (!*parts[i] || strlen(parts[i]) >= sizeof(p.os))
			return berth_error_setx(err, EINVAL, "invalid platform \"%s\"", s);
	if (n == 1) {
		lower_copy(p.os, sizeof(p.os), parts[0]);
		if (is_os_name(p.os)) {
			lower_copy(p.arch, sizeof(p.arch), host_arch());
		} else {
			lower_copy(p.arch, sizeof(p.arch), parts[0]);
			strcpy(p.os, "linux");
		}
	} else if (n == 2 || n == 3) {
		lower_copy(p.os, sizeof(p.os), parts[0]);
		lower_copy(p.arch, sizeof(p.arch), parts[1]);
		if (n == 3)
			lower_copy(p.variant, sizeof(p.variant), parts[2]);
	} else {
		return berth_error_setx(err, EINVAL, "invalid platform \"%s\"", s);
	}
	platform_normalize(&p);
	*ret = p;
	return 0;
}

static void push_candidate(struct platform **v, size_t *n, const char *os, const char *arch, const char *variant)
{
	*v = berth_xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n] = (struct platform){ 0 };
	lower_copy((*v)[*n].os, sizeof((*v)[*n].os), os);
	lower_copy((*v)[*n].arch, sizeof((*v)[*n].arch), arch);
	lower_copy((*v)[*n].variant, sizeof((*v)[*n].variant), variant);
	(*n)++;
}

static int variant_number(const char *variant, int dflt)
{
	if (variant[0] == 'v' && variant[1] >= '0' && variant[1] <= '9')
		return atoi(variant + 1);
	return dflt;
}

/* What a platform can run, best first (containerd's platformVector). */
static size_t platform_vector(const struct platform *p, struct platform **ret)
{
	struct platform *v = NULL;
	size_t n = 0;
	char var[16];

	push_candidate(&v, &n, p->os, p->arch, p->variant);
	if (strcmp(p->arch, "amd64") == 0) {
		for (int i = variant_number(p->variant, 1) - 1; i >= 1; i--) {
			snprintf(var, sizeof(var), "v%d", i);
			push_candidate(&v, &n, p->os, "amd64", i == 1 ? "" : var);
		}
		push_candidate(&v, &n, p->os, "386", "");
	} else if (strcmp(p->arch, "arm") == 0) {
		for (int i = variant_number(p->variant, 7) - 1; i >= 5; i--) {
			snprintf(var, sizeof(var), "v%d", i);
			push_candidate(&v, &n, p->os, "arm", var);
		}
	} else if (strcmp(p->arch, "arm64") == 0) {
		/* 64-bit arm runs 32-bit arm v8 and below */
		for (int i = 8; i >= 5; i--) {
			snprintf(var, sizeof(var), "v%d", i);
			push_candidate(&v, &n, p->os, "arm", var);
		}
	}
	*ret = v;
	return n;
}

static bool descriptor_matches(const struct berth_descriptor *d, const struct platform *want)
{
	struct platform p = { 0 };

	lower_copy(p.os, sizeof(p.os), d->os);
	lower_copy(p.arch, sizeof(p.arch), d->architecture);
	lower_copy(p.variant, sizeof(p.variant), d->variant);
	platform_normalize(&p);
	return strcmp(p.os, want->os) == 0 && strcmp(p.arch, want->arch) == 0 && strcmp(p.variant, want->variant) == 0;
}

int berth_manifest_select_platform(const struct berth_manifest *index, const char *platform, struct berth_error *err)
{
	_cleanup_free_ struct platform *vec = NULL;
	_cleanup_free_ char *offered = NULL, *want_str = NULL;
	struct platform want;
	size_t n_vec;
	int r;

	if (platform) {
		r = platform_parse(platform, &want, err);
		if (r < 0)
			return r;
	} else {
		want = (struct platform){ .os = "linux" };
		lower_copy(want.arch, sizeof(want.arch), host_arch());
		platform_normalize(&want);
	}
	n_vec = platform_vector(&want, &vec);
	for (size_t c = 0; c < n_vec; c++)
		for (size_t i = 0; i < index->n_manifests; i++)
			if (index->manifests[i].os && descriptor_matches(&index->manifests[i], &vec[c]))
				return (int)i;
	/* An entry without a platform runs anywhere (containerd takes it last). */
	for (size_t i = 0; i < index->n_manifests; i++)
		if (!index->manifests[i].os && (is_manifest_type(index->manifests[i].media_type) ||
						is_index_type(index->manifests[i].media_type)))
			return (int)i;

	for (size_t i = 0; i < index->n_manifests; i++) {
		const struct berth_descriptor *d = &index->manifests[i];
		char *next;

		if (!d->os)
			continue;
		next = berth_xasprintf("%s%s%s/%s%s%s", offered ? offered : "", offered ? ", " : "", d->os,
				       d->architecture, d->variant ? "/" : "", d->variant ? d->variant : "");
		free(offered);
		offered = next;
	}
	want_str = berth_xasprintf("%s/%s%s%s", want.os, want.arch, want.variant[0] ? "/" : "", want.variant);
	return berth_error_setx(err, ENOENT, "no manifest for platform \"%s\" in the index (it has: %s)", want_str,
				offered ? offered : "no platforms");
}

/* ---- image config ---- */

void berth_image_config_release(struct berth_image_config *c)
{
	if (!c)
		return;
	if (c->json)
		json_decref(c->json);
	free(c->os);
	free(c->architecture);
	free(c->variant);
	free(c->created);
	berth_strv_free(c->diff_ids);
	*c = (struct berth_image_config){ 0 };
}

static int parse_rootfs(json_t *doc, char ***ret, size_t *ret_n, struct berth_error *err)
{
	_cleanup_strv_free_ char **ids = NULL;
	json_t *rootfs = json_object_get(doc, "rootfs"), *arr, *v;
	const char *type = NULL;
	size_t i;
	int r;

	if (!rootfs)
		return field_error(err, "rootfs", "missing");
	if (!json_is_object(rootfs))
		return field_error(err, "rootfs", "not an object");
	r = get_string(rootfs, "type", "rootfs.type", true, &type, err);
	if (r < 0)
		return r;
	if (strcmp(type, "layers") != 0)
		return field_error(err, "rootfs.type", "\"%s\" is not \"layers\"", type);
	arr = json_object_get(rootfs, "diff_ids");
	if (!arr || json_is_null(arr)) {
		/* an image without layers may leave it out */
		*ret = berth_xcalloc(1, sizeof(char *));
		*ret_n = 0;
		return 0;
	}
	if (!json_is_array(arr))
		return field_error(err, "rootfs.diff_ids", "not an array");
	ids = berth_xcalloc(json_array_size(arr) + 1, sizeof(char *));
	json_array_foreach(arr, i, v) {
		char f[64];

		snprintf(f, sizeof(f), "rootfs.diff_ids[%zu]", i);
		if (!json_is_string(v))
			return field_error(err, f, "not a string");
		if (berth_digest_validate(json_string_value(v), err) < 0)
			return berth_error_prefix(err, "\"%s\"", f);
		ids[i] = berth_xstrdup(json_string_value(v));
	}
	*ret_n = json_array_size(arr);
	*ret = TAKE_PTR(ids);
	return 0;
}

int berth_image_config_parse(const char *buf, size_t len, struct berth_image_config *ret, struct berth_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	struct berth_image_config c = { 0 };
	const char *os = NULL, *arch = NULL, *variant = NULL, *created = NULL;
	int r;

	r = load_json(buf, len, "image config", &doc, err);
	if (r < 0)
		return r;
	if ((r = get_string(doc, "os", "os", false, &os, err)) < 0 ||
	    (r = get_string(doc, "architecture", "architecture", false, &arch, err)) < 0 ||
	    (r = get_string(doc, "variant", "variant", false, &variant, err)) < 0 ||
	    (r = get_string(doc, "created", "created", false, &created, err)) < 0)
		return berth_error_prefix(err, "image config");
	r = parse_rootfs(doc, &c.diff_ids, &c.n_diff_ids, err);
	if (r < 0)
		return berth_error_prefix(err, "image config");
	c.os = berth_xstrdup_or_null(os);
	c.architecture = berth_xstrdup_or_null(arch);
	c.variant = variant && *variant ? berth_xstrdup(variant) : NULL;
	c.created = created && *created ? berth_xstrdup(created) : NULL;
	c.json = TAKE_PTR(doc);
	*ret = c;
	return 0;
}

/* ---- serialisation ---- */

static json_t *descriptor_to_json(const struct berth_descriptor *d, bool docker, bool with_platform)
{
	json_t *o = json_object();

	json_object_set_new(o, "mediaType", json_string(d->media_type));
	/* docker's own manifests put size before digest; keep each format's usual order */
	if (docker) {
		json_object_set_new(o, "size", json_integer(d->size));
		json_object_set_new(o, "digest", json_string(d->digest));
	} else {
		json_object_set_new(o, "digest", json_string(d->digest));
		json_object_set_new(o, "size", json_integer(d->size));
	}
	if (d->ref_name) {
		json_t *ann = json_object();

		json_object_set_new(ann, ANNOTATION_REF_NAME, json_string(d->ref_name));
		json_object_set_new(o, "annotations", ann);
	}
	if (with_platform && d->os) {
		json_t *p = json_object();

		json_object_set_new(p, "architecture", json_string(d->architecture));
		json_object_set_new(p, "os", json_string(d->os));
		if (d->variant)
			json_object_set_new(p, "variant", json_string(d->variant));
		json_object_set_new(o, "platform", p);
	}
	return o;
}

char *berth_manifest_serialize(const struct berth_manifest *m)
{
	_cleanup_json_ json_t *doc = json_object();
	bool docker = m->media_type && strncmp(m->media_type, "application/vnd.docker.", 23) == 0;
	const char *mt = m->media_type;
	json_t *arr = json_array();
	char *out;

	if (!mt)
		mt = m->kind == BERTH_MANIFEST_INDEX ? BERTH_MT_OCI_INDEX : BERTH_MT_OCI_MANIFEST;
	json_object_set_new(doc, "schemaVersion", json_integer(2));
	json_object_set_new(doc, "mediaType", json_string(mt));
	if (m->kind == BERTH_MANIFEST_INDEX) {
		for (size_t i = 0; i < m->n_manifests; i++)
			json_array_append_new(arr, descriptor_to_json(&m->manifests[i], docker, true));
		json_object_set_new(doc, "manifests", arr);
	} else {
		json_object_set_new(doc, "config", descriptor_to_json(&m->config, docker, false));
		for (size_t i = 0; i < m->n_layers; i++)
			json_array_append_new(arr, descriptor_to_json(&m->layers[i], docker, false));
		json_object_set_new(doc, "layers", arr);
	}
	out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!out)
		abort();
	return out;
}
