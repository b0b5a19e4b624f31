#pragma once
/*
 * Shared by the config-*.c files only: a parse context that remembers the
 * JSON path being read, so every error can name the field and, through
 * json-locate, the line and column where it is written.
 *
 * Conventions of the getters below: a member that is absent or JSON null is
 * "not given" (as in runc, whose Go decoder treats null like absence); the
 * getter then leaves *ret untouched and returns 0, or fails with "missing
 * required field" when `required`.  Wrong types and ranges fail with a
 * message at the member's position.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "oci/config.h"
#include "oci/json-locate.h"

#define BERTH_OCI_PATH_MAX 16

struct berth_oci_ctx {
	const char *name; /* file name for messages */
	const char *text; /* the original text (not the big-integer patched copy) */
	size_t len;
	struct berth_json_path_elem path[BERTH_OCI_PATH_MAX];
	size_t depth;
	struct berth_error *err;
};

static inline void berth_json_decrefp(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(berth_json_decrefp)))

void berth_oci_ctx_push_key(struct berth_oci_ctx *ctx, const char *key);
void berth_oci_ctx_push_index(struct berth_oci_ctx *ctx, size_t index);
void berth_oci_ctx_pop(struct berth_oci_ctx *ctx);

/* Fail at the current path: "<name>:<line>:<col>: <path>: <message>"; returns -EINVAL. */
int berth_oci_ctx_fail(struct berth_oci_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fail at member `key` of the current path. */
int berth_oci_ctx_fail_at(struct berth_oci_ctx *ctx, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* `s` quoted with backticks for a message: control characters escaped, long text cut. Free the result. */
char *berth_oci_quote(const char *s);

/* Member of an object, NULL when absent or null. */
json_t *berth_oci_member(json_t *obj, const char *key);

/* Check the type of v (at the current path). */
int berth_oci_expect(struct berth_oci_ctx *ctx, json_t *v, json_type type);

/* Object or array member: *ret borrowed from obj. */
int berth_oci_get_object(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, json_t **ret);
int berth_oci_get_array(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, json_t **ret);

/* String member copied to *ret (replacing nothing: *ret must be NULL). With `empty_is_null` "" reads as absent. */
int berth_oci_get_string(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, bool empty_is_null,
			 char **ret);
/* As berth_oci_get_string() ("" is absent), and the path must be absolute. */
int berth_oci_get_abs_path(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, char **ret);
int berth_oci_get_bool(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool *ret);
/* Signed integer in [min, max]; *ret_has (may be NULL) is set when given. */
int berth_oci_get_int(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, int64_t min,
		      int64_t max, bool *ret_has, int64_t *ret);
/* Unsigned integer in [0, max]; accepts values up to UINT64_MAX. */
int berth_oci_get_uint(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, uint64_t max,
		       bool *ret_has, uint64_t *ret);
/* The value at the current path as an integer in [min, max] / an unsigned one in [0, max]. */
int berth_oci_int_value(struct berth_oci_ctx *ctx, json_t *v, int64_t min, int64_t max, int64_t *ret);
int berth_oci_uint_value(struct berth_oci_ctx *ctx, json_t *v, uint64_t max, uint64_t *ret);
/* Array of strings to a NULL-terminated vector (*ret stays NULL when absent). */
int berth_oci_get_strv(struct berth_oci_ctx *ctx, json_t *obj, const char *key, bool required, char ***ret);
/* Parse process into p (zeroed by the caller). */
int berth_oci_parse_process(struct berth_oci_ctx *ctx, json_t *obj, struct berth_oci_process *p);
void berth_oci_process_release(struct berth_oci_process *p);

/* Parse linux into l (zeroed by the caller), including the cross-field checks on namespaces and mappings. */
int berth_oci_parse_linux(struct berth_oci_ctx *ctx, json_t *obj, struct berth_oci_linux *l);
void berth_oci_linux_release(struct berth_oci_linux *l);

int berth_oci_parse_seccomp(struct berth_oci_ctx *ctx, json_t *obj, struct berth_oci_seccomp **ret);
void berth_oci_seccomp_free(struct berth_oci_seccomp *s);

/* Is path absolute (starts with '/')? */
static inline bool berth_oci_path_is_absolute(const char *p)
{
	return p && p[0] == '/';
}
