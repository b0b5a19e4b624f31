/* config.json "linux.seccomp": the full runtime-spec schema, checked against the names libseccomp knows. */
#include "oci/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config-internal.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static bool name_in(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* Every element of the string array `key` must be in `list`. */
static int parse_checked_strv(struct berth_oci_ctx *ctx, json_t *o, const char *key, const char *const *list,
			      const char *what, char ***ret)
{
	int r;

	r = berth_oci_get_strv(ctx, o, key, false, ret);
	if (r < 0 || !*ret)
		return r;
	for (size_t i = 0; (*ret)[i]; i++) {
		if (name_in(list, (*ret)[i]))
			continue;
		_cleanup_free_ char *q = berth_oci_quote((*ret)[i]);

		berth_oci_ctx_push_key(ctx, key);
		berth_oci_ctx_push_index(ctx, i);
		r = berth_oci_ctx_fail(ctx, "unknown %s %s", what, q);
		berth_oci_ctx_pop(ctx);
		berth_oci_ctx_pop(ctx);
		return r;
	}
	return 0;
}

static int get_action(struct berth_oci_ctx *ctx, json_t *o, const char *key, enum berth_seccomp_action *ret)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = berth_oci_get_string(ctx, o, key, true, true, &s);
	if (r < 0)
		return r;
	*ret = berth_seccomp_action_from_string(s);
	if (*ret == _BERTH_SECCOMP_ACTION_INVALID) {
		_cleanup_free_ char *q = berth_oci_quote(s);

		return berth_oci_ctx_fail_at(ctx, key, "unknown seccomp action %s", q);
	}
	return 0;
}

/*
 * errnoRet / defaultErrnoRet: only meaningful for SCMP_ACT_ERRNO and SCMP_ACT_TRACE (runc's rule);
 * the kernel keeps 16 bits of data in the filter's return value.
 */
static int get_errno_ret(struct berth_oci_ctx *ctx, json_t *o, const char *key, enum berth_seccomp_action action,
			 bool *ret_has, unsigned *ret)
{
	uint64_t x = 0;
	int r;

	r = berth_oci_get_uint(ctx, o, key, false, UINT16_MAX, ret_has, &x);
	if (r < 0 || !*ret_has)
		return r;
	if (action != BERTH_SECCOMP_ERRNO && action != BERTH_SECCOMP_TRACE)
		return berth_oci_ctx_fail_at(ctx, key, "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s",
					     berth_seccomp_action_to_string(action));
	*ret = x;
	return 0;
}

static int parse_arg(struct berth_oci_ctx *ctx, json_t *o, struct berth_oci_seccomp_arg *a)
{
	_cleanup_free_ char *op = NULL;
	uint64_t index = 0;
	int r;

	r = berth_oci_expect(ctx, o, JSON_OBJECT);
	if (r < 0)
		return r;
	r = berth_oci_get_uint(ctx, o, "index", true, 5, NULL, &index);
	if (r < 0)
		return r;
	a->index = index;
	r = berth_oci_get_uint(ctx, o, "value", true, UINT64_MAX, NULL, &a->value);
	if (r < 0)
		return r;
	r = berth_oci_get_uint(ctx, o, "valueTwo", false, UINT64_MAX, NULL, &a->value_two);
	if (r < 0)
		return r;
	r = berth_oci_get_string(ctx, o, "op", true, true, &op);
	if (r < 0)
		return r;
	a->op = berth_seccomp_op_from_string(op);
	if (a->op == _BERTH_SECCOMP_OP_INVALID) {
		_cleanup_free_ char *q = berth_oci_quote(op);

		return berth_oci_ctx_fail_at(ctx, "op", "unknown seccomp operator %s", q);
	}
	return 0;
}

static int parse_syscall(struct berth_oci_ctx *ctx, json_t *o, struct berth_oci_seccomp_syscall *s)
{
	json_t *a = NULL, *e;
	size_t i;
	int r;

	r = berth_oci_expect(ctx, o, JSON_OBJECT);
	if (r < 0)
		return r;
	r = berth_oci_get_strv(ctx, o, "names", true, &s->names);
	if (r < 0)
		return r;
	if (!s->names[0])
		return berth_oci_ctx_fail_at(ctx, "names", "must not be empty");
	r = get_action(ctx, o, "action", &s->action);
	if (r < 0)
		return r;
	r = get_errno_ret(ctx, o, "errnoRet", s->action, &s->has_errno_ret, &s->errno_ret);
	if (r < 0)
		return r;
	r = berth_oci_get_array(ctx, o, "args", false, &a);
	if (r < 0 || !a)
		return r;
	s->args = berth_xcalloc(json_array_size(a), sizeof(*s->args));
	s->n_args = json_array_size(a);
	berth_oci_ctx_push_key(ctx, "args");
	json_array_foreach(a, i, e) {
		berth_oci_ctx_push_index(ctx, i);
		r = parse_arg(ctx, e, &s->args[i]);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			break;
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_syscalls(struct berth_oci_ctx *ctx, json_t *obj, struct berth_oci_seccomp *s)
{
	json_t *a = NULL, *e;
	size_t i;
	int r;

	r = berth_oci_get_array(ctx, obj, "syscalls", false, &a);
	if (r < 0 || !a)
		return r;
	s->syscalls = berth_xcalloc(json_array_size(a), sizeof(*s->syscalls));
	s->n_syscalls = json_array_size(a);
	berth_oci_ctx_push_key(ctx, "syscalls");
	json_array_foreach(a, i, e) {
		berth_oci_ctx_push_index(ctx, i);
		r = parse_syscall(ctx, e, &s->syscalls[i]);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			break;
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

/* SCMP_ACT_NOTIFY hands syscalls to an agent: it needs a listener, and never as the default (runc's rules). */
static int check_notify(struct berth_oci_ctx *ctx, struct berth_oci_seccomp *s)
{
	int r;

	if (s->default_action == BERTH_SECCOMP_NOTIFY)
		return berth_oci_ctx_fail_at(ctx, "defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
	if (s->listener_path)
		return 0;
	for (size_t i = 0; i < s->n_syscalls; i++) {
		if (s->syscalls[i].action != BERTH_SECCOMP_NOTIFY)
			continue;
		berth_oci_ctx_push_key(ctx, "syscalls");
		berth_oci_ctx_push_index(ctx, i);
		r = berth_oci_ctx_fail_at(ctx, "action", "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
		berth_oci_ctx_pop(ctx);
		berth_oci_ctx_pop(ctx);
		return r;
	}
	return 0;
}

int berth_oci_parse_seccomp(struct berth_oci_ctx *ctx, json_t *obj, struct berth_oci_seccomp **ret)
{
	struct berth_oci_seccomp *s = berth_xzalloc(sizeof(*s));
	int r;

	/* owned by the caller from here on, so a failure below leaves nothing to leak */
	*ret = s;
	r = get_action(ctx, obj, "defaultAction", &s->default_action);
	if (r < 0)
		return r;
	r = get_errno_ret(ctx, obj, "defaultErrnoRet", s->default_action, &s->has_default_errno_ret,
			  &s->default_errno_ret);
	if (r < 0)
		return r;
	r = parse_checked_strv(ctx, obj, "architectures", berth_seccomp_arch_names, "architecture", &s->architectures);
	if (r < 0)
		return r;
	r = parse_checked_strv(ctx, obj, "flags", berth_seccomp_flag_names, "seccomp flag", &s->flags);
	if (r < 0)
		return r;
	r = berth_oci_get_string(ctx, obj, "listenerPath", false, true, &s->listener_path);
	if (r < 0)
		return r;
	r = berth_oci_get_string(ctx, obj, "listenerMetadata", false, true, &s->listener_metadata);
	if (r < 0)
		return r;
	r = parse_syscalls(ctx, obj, s);
	if (r < 0)
		return r;
	return check_notify(ctx, s);
}

void berth_oci_seccomp_free(struct berth_oci_seccomp *s)
{
	if (!s)
		return;
	berth_strv_free(s->architectures);
	berth_strv_free(s->flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		berth_strv_free(s->syscalls[i].names);
		free(s->syscalls[i].args);
	}
	free(s->syscalls);
	free(s);
}
