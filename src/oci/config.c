/* config.json: the parse context, the typed getters and the top-level fields (root, mounts, hooks, annotations). */
#include "oci/config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config-internal.h"
#include "oci/json-locate.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* A config.json larger than this is not a config; refuse before parsing it. */
#define CONFIG_MAX_SIZE (64u * 1024 * 1024)

void berth_oci_ctx_push_key(struct berth_oci_ctx *ctx, const char *key)
{
	if (ctx->depth >= BERTH_OCI_PATH_MAX)
		abort(); /* the schema is shallower: a bug, not an input problem */
	ctx->path[ctx->depth++] = (struct berth_json_path_elem){ .key = key };
}

void berth_oci_ctx_push_index(struct berth_oci_ctx *ctx, size_t index)
{
	if (ctx->depth >= BERTH_OCI_PATH_MAX)
		abort();
	ctx->path[ctx->depth++] = (struct berth_json_path_elem){ .key = NULL, .index = index };
}

void berth_oci_ctx_pop(struct berth_oci_ctx *ctx)
{
	ctx->depth--;
}

/* Write s with control characters escaped, so a message stays on one line. */
static void put_escaped(FILE *f, const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++) {
		unsigned char c = *s;

		if (n >= max) {
			fputs("...", f);
			return;
		}
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static char *memstream_finish(FILE *f, char **buf)
{
	if (fclose(f) != 0 || !*buf)
		abort();
	return *buf;
}

char *berth_oci_quote(const char *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		abort();
	fputc('`', f);
	put_escaped(f, s, 128);
	fputc('`', f);
	return memstream_finish(f, &buf);
}

static bool is_plain_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') || *k == '_'))
			return false;
	return true;
}

/* "process.args[0]", "annotations[\"org.example.key\"]" */
static char *format_path(const struct berth_oci_ctx *ctx, size_t depth)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		abort();
	for (size_t i = 0; i < depth; i++) {
		const char *k = ctx->path[i].key;

		if (!k) {
			fprintf(f, "[%zu]", ctx->path[i].index);
		} else if (is_plain_key(k)) {
			fprintf(f, "%s%s", i > 0 ? "." : "", k);
		} else {
			fputs("[\"", f);
			for (; *k; k++) {
				if (*k == '"' || *k == '\\')
					fputc('\\', f);
				if ((unsigned char)*k < 0x20 || *k == 0x7f)
					fprintf(f, "\\x%02x", (unsigned char)*k);
				else
					fputc(*k, f);
			}
			fputs("\"]", f);
		}
	}
	return memstream_finish(f, &buf);
}

__attribute__((format(printf, 2, 0))) static int ctx_failv(struct berth_oci_ctx *ctx, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL, *path = NULL;
	unsigned line, column;

	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	berth_json_locate(ctx->text, ctx->len, ctx->path, ctx->depth, &line, &column);
	path = format_path(ctx, ctx->depth);
	if (*path)
		return berth_error_setx(ctx->err, EINVAL, "%s:%u:%u: %s: %s", ctx->name, line, column, path, msg);
	return berth_error_setx(ctx->err, EINVAL, "%s:%u:%u: %s", ctx->name, line, column, msg);
}

int berth_oci_ctx_fail(struct berth_oci_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ctx_failv(ctx, fmt, ap);
	va_end(ap);
	return r;
}

int berth_oci_ctx_fail_at(struct berth_oci_ctx *ctx, const char *key, const char *fmt, ...)
{
	va_list ap;
	int r;

	berth_oci_ctx_push_key(ctx, key);
	va_start(ap, fmt);
	r = ctx_failv(ctx, fmt, ap);
	va_end(ap);
	berth_oci_ctx_pop(ctx);
	return r;
}

json_t *berth_oci_member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

int berth_oci_expect(struct berth_oci_ctx *ctx, json_t *v, json_type type)
{
	static const char *const expected[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",	 [JSON_STRING] = "a string",
		[JSON_INTEGER] = "an integer", [JSON_REAL] = "a number", [JSON_TRUE] = "a boolean",
		[JSON_FALSE] = "a boolean",	[JSON_NULL] = "null",
	};
	bool ok;

	if (type == JSON_TRUE || type == JSON_FALSE)
		ok = json_is_boolean(v);
	else
		ok = v && json_typeof(v) == type;
	if (ok)
		return 0;
	return berth_oci_ctx_fail(ctx, "expected %s, got %s", expected[type], v ? type_name(v) : "nothing");
}

/* Look up key; NULL *ret with 0 when absent and optional. Leaves key pushed on success with a value. */
static int member_typed(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, json_type type,
			json_t **ret)
{
	json_t *v = berth_oci_member(obj, key);
	int r;

	*ret = NULL;
	if (!v) {
		if (required)
			return berth_oci_ctx_fail_at(ctx, key, "missing required field");
		return 0;
	}
	berth_oci_ctx_push_key(ctx, key);
	r = berth_oci_expect(ctx, v, type);
	berth_oci_ctx_pop(ctx);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

int berth_oci_get_object(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, json_t **ret)
{
	return member_typed(ctx, obj, key, required, JSON_OBJECT, ret);
}

int berth_oci_get_array(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, json_t **ret)
{
	return member_typed(ctx, obj, key, required, JSON_ARRAY, ret);
}

int berth_oci_get_string(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, bool empty_is_null,
			 char **ret)
{
	json_t *v = NULL;
	int r;

	r = member_typed(ctx, obj, key, required, JSON_STRING, &v);
	if (r < 0 || !v)
		return r;
	if (empty_is_null && json_string_length(v) == 0)
		return required ? berth_oci_ctx_fail_at(ctx, key, "must not be empty") : 0;
	*ret = berth_xstrdup(json_string_value(v));
	return 0;
}

int berth_oci_get_abs_path(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, char **ret)
{
	int r = berth_oci_get_string(ctx, obj, key, required, true, ret);

	if (r < 0 || !*ret || berth_oci_path_is_absolute(*ret))
		return r;
	_cleanup_free_ char *q = berth_oci_quote(*ret);
	return berth_oci_ctx_fail_at(ctx, key, "%s is not an absolute path", q);
}

int berth_oci_get_bool(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool *ret)
{
	json_t *v = NULL;
	int r;

	r = member_typed(ctx, obj, key, false, JSON_TRUE, &v);
	if (r < 0 || !v)
		return r;
	*ret = json_is_true(v);
	return 0;
}

/* Is the value at the current path written as an integer above INT64_MAX (so patched to a negative one)? */
static bool value_is_big_integer(struct berth_oci_ctx *ctx)
{
	size_t off;

	return berth_json_locate_offset(ctx->text, ctx->len, ctx->path, ctx->depth, &off) == ctx->depth &&
	       berth_json_is_big_integer_at(ctx->text, ctx->len, off);
}

int berth_oci_int_value(struct berth_oci_ctx *ctx, json_t *v, int64_t min, int64_t max, int64_t *ret)
{
	int64_t x;
	int r;

	r = berth_oci_expect(ctx, v, JSON_INTEGER);
	if (r < 0)
		return r;
	x = json_integer_value(v);
	if (x < min || x > max || (x < 0 && value_is_big_integer(ctx)))
		return berth_oci_ctx_fail(ctx, "value out of range (%" PRId64 "..%" PRId64 ")", min, max);
	*ret = x;
	return 0;
}

int berth_oci_uint_value(struct berth_oci_ctx *ctx, json_t *v, uint64_t max, uint64_t *ret)
{
	int64_t x;
	uint64_t u;
	int r;

	r = berth_oci_expect(ctx, v, JSON_INTEGER);
	if (r < 0)
		return r;
	x = json_integer_value(v);
	if (x < 0 && !value_is_big_integer(ctx))
		return berth_oci_ctx_fail(ctx, "value %" PRId64 " out of range (0..%" PRIu64 ")", x, max);
	u = (uint64_t)x;
	if (u > max)
		return berth_oci_ctx_fail(ctx, "value %" PRIu64 " out of range (0..%" PRIu64 ")", u, max);
	*ret = u;
	return 0;
}

int berth_oci_get_int(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, int64_t min,
		      int64_t max, bool *ret_has, int64_t *ret)
{
	json_t *v = NULL;
	int r;

	r = member_typed(ctx, obj, key, required, JSON_INTEGER, &v);
	if (r < 0 || !v)
		return r;
	berth_oci_ctx_push_key(ctx, key);
	r = berth_oci_int_value(ctx, v, min, max, ret);
	berth_oci_ctx_pop(ctx);
	if (r >= 0 && ret_has)
		*ret_has = true;
	return r;
}

int berth_oci_get_uint(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, uint64_t max,
		       bool *ret_has, uint64_t *ret)
{
	json_t *v = NULL;
	int r;

	r = member_typed(ctx, obj, key, required, JSON_INTEGER, &v);
	if (r < 0 || !v)
		return r;
	berth_oci_ctx_push_key(ctx, key);
	r = berth_oci_uint_value(ctx, v, max, ret);
	berth_oci_ctx_pop(ctx);
	if (r >= 0 && ret_has)
		*ret_has = true;
	return r;
}

int berth_oci_get_strv(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, char ***ret)
{
	_cleanup_strv_free_ char **v = NULL;
	json_t *a = NULL, *e;
	size_t i;
	int r;

	r = member_typed(ctx, obj, key, required, JSON_ARRAY, &a);
	if (r < 0 || !a)
		return r;
	v = berth_xcalloc(json_array_size(a) + 1, sizeof(char *));
	berth_oci_ctx_push_key(ctx, key);
	json_array_foreach(a, i, e) {
		berth_oci_ctx_push_index(ctx, i);
		r = berth_oci_expect(ctx, e, JSON_STRING);
		berth_oci_ctx_pop(ctx);
		if (r < 0) {
			berth_oci_ctx_pop(ctx);
			return r;
		}
		v[i] = berth_xstrdup(json_string_value(e));
	}
	berth_oci_ctx_pop(ctx);
	*ret = TAKE_PTR(v);
	return 0;
}

static int parse_root(struct berth_oci_ctx *ctx, json_t *top, struct berth_oci_root *root)
{
	json_t *o = NULL;
	int r;

	r = berth_oci_get_object(ctx, top, "root", true, &o);
	if (r < 0)
		return r;
	berth_oci_ctx_push_key(ctx, "root");
	r = berth_oci_get_string(ctx, o, "path", true, true, &root->path);
	if (r >= 0)
		r = berth_oci_get_bool(ctx, o, "readonly", &root->readonly);
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_mount(struct berth_oci_ctx *ctx, json_t *o, struct berth_oci_mount *m)
{
	int r;

	r = berth_oci_expect(ctx, o, JSON_OBJECT);
	if (r < 0)
		return r;
	r = berth_oci_get_abs_path(ctx, o, "destination", true, &m->destination);
	if (r < 0)
		return r;
	r = berth_oci_get_string(ctx, o, "type", false, true, &m->type);
	if (r < 0)
		return r;
	r = berth_oci_get_string(ctx, o, "source", false, true, &m->source);
	if (r < 0)
		return r;
	r = berth_oci_get_strv(ctx, o, "options", false, &m->options);
	if (r < 0)
		return r;
	/* idmapped mounts (runtime-spec 1.1) are not implemented: refuse rather than mount without the mapping */
	for (const char *const *k = (const char *const[]){ "uidMappings", "gidMappings", NULL }; *k; k++) {
		json_t *v = berth_oci_member(o, *k);

		if (v && (!json_is_array(v) || json_array_size(v) > 0))
			return berth_oci_ctx_fail_at(ctx, *k, "idmapped mounts are not supported");
	}
	return 0;
}

static int parse_mounts(struct berth_oci_ctx *ctx, json_t *top, struct berth_oci_config *c)
{
	json_t *a = NULL, *e;
	size_t i;
	int r;

	r = berth_oci_get_array(ctx, top, "mounts", false, &a);
	if (r < 0 || !a)
		return r;
	c->mounts = berth_xcalloc(json_array_size(a), sizeof(*c->mounts));
	c->n_mounts = json_array_size(a);
	berth_oci_ctx_push_key(ctx, "mounts");
	json_array_foreach(a, i, e) {
		berth_oci_ctx_push_index(ctx, i);
		r = parse_mount(ctx, e, &c->mounts[i]);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			break;
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_hook(struct berth_oci_ctx *ctx, json_t *o, struct berth_oci_hook *h)
{
	int64_t timeout = 0;
	int r;

	r = berth_oci_expect(ctx, o, JSON_OBJECT);
	if (r < 0)
		return r;
	r = berth_oci_get_abs_path(ctx, o, "path", true, &h->path);
	if (r < 0)
		return r;
	r = berth_oci_get_strv(ctx, o, "args", false, &h->args);
	if (r < 0)
		return r;
	r = berth_oci_get_strv(ctx, o, "env", false, &h->env);
	if (r < 0)
		return r;
	r = berth_oci_get_int(ctx, o, "timeout", false, INT64_MIN, INT_MAX, &h->has_timeout, &timeout);
	if (r < 0)
		return r;
	if (h->has_timeout && timeout <= 0)
		return berth_oci_ctx_fail_at(ctx, "timeout", "must be greater than zero, got %" PRId64, timeout);
	h->timeout = (int)timeout;
	return 0;
}

static int parse_hooks(struct berth_oci_ctx *ctx, json_t *top, struct berth_oci_hooks *hooks)
{
	json_t *o = NULL;
	int r;

	r = berth_oci_get_object(ctx, top, "hooks", false, &o);
	if (r < 0 || !o)
		return r;
	berth_oci_ctx_push_key(ctx, "hooks");
	for (int k = 0; k < _BERTH_HOOK_MAX && r >= 0; k++) {
		const char *name = berth_hook_kind_to_string(k);
		json_t *a = NULL, *e;
		size_t i;

		r = berth_oci_get_array(ctx, o, name, false, &a);
		if (r < 0 || !a)
			continue;
		hooks->hooks[k] = berth_xcalloc(json_array_size(a), sizeof(struct berth_oci_hook));
		hooks->n_hooks[k] = json_array_size(a);
		berth_oci_ctx_push_key(ctx, name);
		json_array_foreach(a, i, e) {
			berth_oci_ctx_push_index(ctx, i);
			r = parse_hook(ctx, e, &hooks->hooks[k][i]);
			berth_oci_ctx_pop(ctx);
			if (r < 0)
				break;
		}
		berth_oci_ctx_pop(ctx);
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_annotations(struct berth_oci_ctx *ctx, json_t *top, struct berth_oci_config *c)
{
	json_t *o = NULL, *v;
	const char *key;
	size_t i = 0;
	int r;

	r = berth_oci_get_object(ctx, top, "annotations", false, &o);
	if (r < 0 || !o)
		return r;
	c->annotations = berth_xcalloc(json_object_size(o), sizeof(*c->annotations));
	berth_oci_ctx_push_key(ctx, "annotations");
	json_object_foreach(o, key, v) {
		berth_oci_ctx_push_key(ctx, key);
		r = berth_oci_expect(ctx, v, JSON_STRING);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			break;
		c->annotations[i].key = berth_xstrdup(key);
		c->annotations[i].value = berth_xstrdup(json_string_value(v));
		c->n_annotations = ++i;
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_config(struct berth_oci_ctx *ctx, json_t *top, struct berth_oci_config *c)
{
	json_t *o = NULL;
	int r;

	r = berth_oci_expect(ctx, top, JSON_OBJECT);
	if (r < 0)
		return r;
	r = berth_oci_get_string(ctx, top, "ociVersion", false, true, &c->oci_version);
	if (r < 0)
		return r;
	r = parse_root(ctx, top, &c->root);
	if (r < 0)
		return r;
	r = berth_oci_get_object(ctx, top, "process", false, &o);
	if (r < 0)
		return r;
	if (o) {
		c->process = berth_xzalloc(sizeof(*c->process));
		berth_oci_ctx_push_key(ctx, "process");
		r = berth_oci_parse_process(ctx, o, c->process);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			return r;
	}
	r = berth_oci_get_string(ctx, top, "hostname", false, true, &c->hostname);
	if (r < 0)
		return r;
	r = berth_oci_get_string(ctx, top, "domainname", false, true, &c->domainname);
	if (r < 0)
		return r;
	r = parse_mounts(ctx, top, c);
	if (r < 0)
		return r;
	r = parse_hooks(ctx, top, &c->hooks);
	if (r < 0)
		return r;
	r = parse_annotations(ctx, top, c);
	if (r < 0)
		return r;
	r = berth_oci_get_object(ctx, top, "linux", false, &o);
	if (r < 0 || !o)
		return r;
	c->has_linux = true;
	berth_oci_ctx_push_key(ctx, "linux");
	r = berth_oci_parse_linux(ctx, o, &c->linux_);
	berth_oci_ctx_pop(ctx);
	return r;
}

/*
 * Parse the text into a tree; a syntax error becomes "<name>:<line>:<col>: <jansson's text>".
 * Integers above INT64_MAX are accepted through berth_json_patch_big_integers().
 */
static int load_tree(struct berth_oci_ctx *ctx, json_t **ret)
{
	_cleanup_free_ char *msg = NULL;
	json_error_t jerr;
	json_t *top;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	top = json_loadb(ctx->text, ctx->len, 0, &jerr);
	if (!top && strstr(jerr.text, "too big integer")) {
		_cleanup_free_ char *copy = berth_xmalloc(ctx->len + 1);

		memcpy(copy, ctx->text, ctx->len);
		copy[ctx->len] = '\0';
		if (berth_json_patch_big_integers(copy, ctx->len) > 0)
			top = json_loadb(copy, ctx->len, 0, &jerr);
	}
	if (top) {
		*ret = top;
		return 0;
	}
	f = open_memstream(&buf, &size);
	if (!f)
		abort();
	put_escaped(f, jerr.text, sizeof(jerr.text));
	msg = memstream_finish(f, &buf);
	return berth_error_setx(ctx->err, EINVAL, "%s:%d:%d: %s", ctx->name, jerr.line > 0 ? jerr.line : 1,
				jerr.column > 0 ? jerr.column : 1, msg);
}

int berth_oci_config_parse(const char *name, const char *text, size_t len, struct berth_oci_config **ret,
			   struct berth_error *err)
{
	_cleanup_(berth_oci_config_freep) struct berth_oci_config *c = NULL;
	_cleanup_json_ json_t *top = NULL;
	struct berth_oci_ctx ctx = { .name = name, .text = text, .len = len, .err = err };
	int r;

	r = load_tree(&ctx, &top);
	if (r < 0)
		return r;
	c = berth_xzalloc(sizeof(*c));
	r = parse_config(&ctx, top, c);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

int berth_oci_process_parse(const char *name, const char *text, size_t len, struct berth_oci_process **ret,
			    struct berth_error *err)
{
	_cleanup_(berth_oci_process_freep) struct berth_oci_process *p = NULL;
	_cleanup_json_ json_t *top = NULL;
	struct berth_oci_ctx ctx = { .name = name, .text = text, .len = len, .err = err };
	int r;

	r = load_tree(&ctx, &top);
	if (r < 0)
		return r;
	r = berth_oci_expect(&ctx, top, JSON_OBJECT);
	if (r < 0)
		return r;
	p = berth_xzalloc(sizeof(*p));
	r = berth_oci_parse_process(&ctx, top, p);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

int berth_oci_config_load(const char *path, struct berth_oci_config **ret, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	r = berth_read_file(path, CONFIG_MAX_SIZE, &text, &len, err);
	if (r < 0)
		return r;
	return berth_oci_config_parse(path, text, len, ret, err);
}

const struct berth_oci_namespace *berth_oci_config_find_namespace(const struct berth_oci_config *c,
								   enum berth_ns_type t)
{
	for (size_t i = 0; i < c->linux_.n_namespaces; i++)
		if (c->linux_.namespaces[i].type == t)
			return &c->linux_.namespaces[i];
	return NULL;
}

static void hook_release(struct berth_oci_hook *h)
{
	free(h->path);
	berth_strv_free(h->args);
	berth_strv_free(h->env);
}

void berth_oci_config_free(struct berth_oci_config *c)
{
	if (!c)
		return;
	free(c->oci_version);
	free(c->root.path);
	berth_oci_process_free(c->process);
	free(c->hostname);
	free(c->domainname);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].destination);
		free(c->mounts[i].type);
		free(c->mounts[i].source);
		berth_strv_free(c->mounts[i].options);
	}
	free(c->mounts);
	for (int k = 0; k < _BERTH_HOOK_MAX; k++) {
		for (size_t i = 0; i < c->hooks.n_hooks[k]; i++)
			hook_release(&c->hooks.hooks[k][i]);
		free(c->hooks.hooks[k]);
	}
	for (size_t i = 0; i < c->n_annotations; i++) {
		free(c->annotations[i].key);
		free(c->annotations[i].value);
	}
	free(c->annotations);
	berth_oci_linux_release(&c->linux_);
	free(c);
}
