/* config.json "linux": namespaces, id mappings, devices, sysctl, paths, personality, time offsets. */
#include "oci/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config-internal.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static int parse_namespace(struct berth_oci_ctx *ctx, json_t *o, struct berth_oci_linux *l, size_t idx)
{
	struct berth_oci_namespace *ns = &l->namespaces[idx];
	_cleanup_free_ char *type = NULL;
	int r;

	r = berth_oci_expect(ctx, o, JSON_OBJECT);
	if (r < 0)
		return r;
	r = berth_oci_get_string(ctx, o, "type", true, true, &type);
	if (r < 0)
		return r;
	ns->type = berth_ns_type_from_string(type);
	if (ns->type == _BERTH_NS_INVALID) {
		_cleanup_free_ char *q = berth_oci_quote(type);

		return berth_oci_ctx_fail_at(ctx, "type", "unknown namespace type %s", q);
	}
	for (size_t j = 0; j < idx; j++)
		if (l->namespaces[j].type == ns->type)
			return berth_oci_ctx_fail_at(ctx, "type", "duplicate namespace type `%s` (also in namespaces[%zu])",
						     type, j);
	r = berth_oci_get_abs_path(ctx, o, "path", false, &ns->path);
	if (r < 0)
		return r;
	return 0;
}

static int parse_namespaces(struct berth_oci_ctx *ctx, json_t *lin, struct berth_oci_linux *l)
{
	json_t *a = NULL, *e;
	size_t i;
	int r;

	r = berth_oci_get_array(ctx, lin, "namespaces", false, &a);
	if (r < 0 || !a)
		return r;
	l->namespaces = berth_xcalloc(json_array_size(a), sizeof(*l->namespaces));
	berth_oci_ctx_push_key(ctx, "namespaces");
	json_array_foreach(a, i, e) {
		l->n_namespaces = i + 1;
		l->namespaces[i].type = _BERTH_NS_INVALID;
		berth_oci_ctx_push_index(ctx, i);
		r = parse_namespace(ctx, e, l, i);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			break;
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_mapping(struct berth_oci_ctx *ctx, json_t *o, struct berth_oci_id_mapping *m)
{
	const uint64_t limit = UINT64_C(1) << 32;
	uint64_t cid = 0, hid = 0, size = 0;
	int r;

	r = berth_oci_expect(ctx, o, JSON_OBJECT);
	if (r < 0)
		return r;
	r = berth_oci_get_uint(ctx, o, "containerID", true, UINT32_MAX, NULL, &cid);
	if (r < 0)
		return r;
	r = berth_oci_get_uint(ctx, o, "hostID", true, UINT32_MAX, NULL, &hid);
	if (r < 0)
		return r;
	r = berth_oci_get_uint(ctx, o, "size", true, UINT32_MAX, NULL, &size);
	if (r < 0)
		return r;
	if (size == 0)
		return berth_oci_ctx_fail_at(ctx, "size", "must not be zero");
	if (cid + size > limit)
		return berth_oci_ctx_fail_at(ctx, "size", "containerID %" PRIu64 " + size %" PRIu64 " exceeds 2^32", cid,
					     size);
	if (hid + size > limit)
		return berth_oci_ctx_fail_at(ctx, "size", "hostID %" PRIu64 " + size %" PRIu64 " exceeds 2^32", hid,
					     size);
	*m = (struct berth_oci_id_mapping){ .container_id = cid, .host_id = hid, .size = size };
	return 0;
}

static int parse_mappings(struct berth_oci_ctx *ctx, json_t *lin, const char *key, struct berth_oci_id_mapping **ret,
			  size_t *ret_n)
{
	json_t *a = NULL, *e;
	size_t i;
	int r;

	r = berth_oci_get_array(ctx, lin, key, false, &a);
	if (r < 0 || !a)
		return r;
	*ret = berth_xcalloc(json_array_size(a), sizeof(**ret));
	*ret_n = json_array_size(a);
	berth_oci_ctx_push_key(ctx, key);
	json_array_foreach(a, i, e) {
		berth_oci_ctx_push_index(ctx, i);
		r = parse_mapping(ctx, e, &(*ret)[i]);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			break;
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_sysctl(struct berth_oci_ctx *ctx, json_t *lin, struct berth_oci_linux *l)
{
	json_t *o = NULL, *v;
	const char *key;
	int r;

	r = berth_oci_get_object(ctx, lin, "sysctl", false, &o);
	if (r < 0 || !o)
		return r;
	l->sysctls = berth_xcalloc(json_object_size(o), sizeof(*l->sysctls));
	berth_oci_ctx_push_key(ctx, "sysctl");
	json_object_foreach(o, key, v) {
		berth_oci_ctx_push_key(ctx, key);
		r = berth_oci_expect(ctx, v, JSON_STRING);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			break;
		l->sysctls[l->n_sysctls].key = berth_xstrdup(key);
		l->sysctls[l->n_sysctls].value = berth_xstrdup(json_string_value(v));
		l->n_sysctls++;
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_device(struct berth_oci_ctx *ctx, json_t *o, struct berth_oci_device *d)
{
	_cleanup_free_ char *type = NULL;
	bool has_major = false, has_minor = false;
	uint64_t x = 0;
	int r;

	r = berth_oci_expect(ctx, o, JSON_OBJECT);
	if (r < 0)
		return r;
	r = berth_oci_get_abs_path(ctx, o, "path", true, &d->path);
	if (r < 0)
		return r;
	r = berth_oci_get_string(ctx, o, "type", true, true, &type);
	if (r < 0)
		return r;
	if (strlen(type) != 1 || !strchr("cbup", type[0])) {
		_cleanup_free_ char *q = berth_oci_quote(type);

		return berth_oci_ctx_fail_at(ctx, "type", "unknown device type %s (expected c, b, u or p)", q);
	}
	d->type = type[0];
	r = berth_oci_get_int(ctx, o, "major", d->type != 'p', INT64_MIN, INT64_MAX, &has_major, &d->major);
	if (r < 0)
		return r;
	r = berth_oci_get_int(ctx, o, "minor", d->type != 'p', INT64_MIN, INT64_MAX, &has_minor, &d->minor);
	if (r < 0)
		return r;
	/* Go writers emit "major": 0 for FIFOs (no omitempty), so only a real number is refused */
	if (d->type == 'p' && (d->major != 0 || d->minor != 0))
		return berth_oci_ctx_fail_at(ctx, d->major != 0 ? "major" : "minor",
					     "a fifo (type p) takes no major/minor numbers");
	r = berth_oci_get_uint(ctx, o, "fileMode", false, 07777, &d->has_file_mode, &x);
	if (r < 0)
		return r;
	d->file_mode = x;
	r = berth_oci_get_uint(ctx, o, "uid", false, UINT32_MAX, &d->has_uid, &x);
	if (r < 0)
		return r;
	d->uid = x;
	r = berth_oci_get_uint(ctx, o, "gid", false, UINT32_MAX, &d->has_gid, &x);
	if (r < 0)
		return r;
	d->gid = x;
	return 0;
}

static int parse_devices(struct berth_oci_ctx *ctx, json_t *lin, struct berth_oci_linux *l)
{
	json_t *a = NULL, *e;
	size_t i;
	int r;

	r = berth_oci_get_array(ctx, lin, "devices", false, &a);
	if (r < 0 || !a)
		return r;
	l->devices = berth_xcalloc(json_array_size(a), sizeof(*l->devices));
	l->n_devices = json_array_size(a);
	berth_oci_ctx_push_key(ctx, "devices");
	json_array_foreach(a, i, e) {
		berth_oci_ctx_push_index(ctx, i);
		r = parse_device(ctx, e, &l->devices[i]);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			break;
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_abs_paths(struct berth_oci_ctx *ctx, json_t *lin, const char *key, char ***ret)
{
	int r;

	r = berth_oci_get_strv(ctx, lin, key, false, ret);
	if (r < 0 || !*ret)
		return r;
	for (size_t i = 0; (*ret)[i]; i++) {
		if (berth_oci_path_is_absolute((*ret)[i]))
			continue;
		_cleanup_free_ char *q = berth_oci_quote((*ret)[i]);

		berth_oci_ctx_push_key(ctx, key);
		berth_oci_ctx_push_index(ctx, i);
		r = berth_oci_ctx_fail(ctx, "%s is not an absolute path", q);
		berth_oci_ctx_pop(ctx);
		berth_oci_ctx_pop(ctx);
		return r;
	}
	return 0;
}

static int parse_propagation(struct berth_oci_ctx *ctx, json_t *lin, struct berth_oci_linux *l)
{
	static const char *const valid[] = { "shared",	"slave",  "private",  "unbindable",
					     "rshared", "rslave", "rprivate", "runbindable" };
	int r;

	r = berth_oci_get_string(ctx, lin, "rootfsPropagation", false, true, &l->rootfs_propagation);
	if (r < 0 || !l->rootfs_propagation)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++)
		if (strcmp(valid[i], l->rootfs_propagation) == 0)
			return 0;
	_cleanup_free_ char *q = berth_oci_quote(l->rootfs_propagation);

	return berth_oci_ctx_fail_at(ctx, "rootfsPropagation", "unknown propagation %s", q);
}

static int parse_personality(struct berth_oci_ctx *ctx, json_t *lin, struct berth_oci_linux *l)
{
	json_t *o = NULL;
	int r;

	r = berth_oci_get_object(ctx, lin, "personality", false, &o);
	if (r < 0 || !o)
		return r;
	l->personality = berth_xzalloc(sizeof(*l->personality));
	berth_oci_ctx_push_key(ctx, "personality");
	r = berth_oci_get_string(ctx, o, "domain", true, true, &l->personality->domain);
	if (r >= 0 && strcmp(l->personality->domain, "LINUX") != 0 && strcmp(l->personality->domain, "LINUX32") != 0) {
		_cleanup_free_ char *q = berth_oci_quote(l->personality->domain);

		r = berth_oci_ctx_fail_at(ctx, "domain", "unknown personality domain %s (expected LINUX or LINUX32)", q);
	}
	if (r >= 0)
		r = berth_oci_get_strv(ctx, o, "flags", false, &l->personality->flags);
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_time_offset(struct berth_oci_ctx *ctx, json_t *o, struct berth_oci_time_offset *t)
{
	uint64_t ns = 0;
	int r;

	r = berth_oci_expect(ctx, o, JSON_OBJECT);
	if (r < 0)
		return r;
	r = berth_oci_get_int(ctx, o, "secs", false, INT64_MIN, INT64_MAX, NULL, &t->secs);
	if (r < 0)
		return r;
	/* the kernel takes nanoseconds below one second */
	r = berth_oci_get_uint(ctx, o, "nanosecs", false, 999999999, NULL, &ns);
	if (r < 0)
		return r;
	t->nanosecs = ns;
	t->set = true;
	return 0;
}

static int parse_time_offsets(struct berth_oci_ctx *ctx, json_t *lin, struct berth_oci_linux *l)
{
	json_t *o = NULL, *v;
	const char *key;
	int r;

	r = berth_oci_get_object(ctx, lin, "timeOffsets", false, &o);
	if (r < 0 || !o)
		return r;
	berth_oci_ctx_push_key(ctx, "timeOffsets");
	json_object_foreach(o, key, v) {
		struct berth_oci_time_offset *t = NULL;

		if (strcmp(key, "monotonic") == 0)
			t = &l->time_monotonic;
		else if (strcmp(key, "boottime") == 0)
			t = &l->time_boottime;
		berth_oci_ctx_push_key(ctx, key);
		if (t) {
			r = parse_time_offset(ctx, v, t);
		} else {
			_cleanup_free_ char *q = berth_oci_quote(key);

			r = berth_oci_ctx_fail(ctx, "unknown clock %s (expected monotonic or boottime)", q);
		}
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			break;
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

static int ns_index(const struct berth_oci_linux *l, enum berth_ns_type t)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		if (l->namespaces[i].type == t)
			return i;
	return -1;
}

/* The checks that tie fields together: mappings need a user namespace and a new one needs mappings. */
static int check_namespaces(struct berth_oci_ctx *ctx, json_t *lin, struct berth_oci_linux *l)
{
	int user = ns_index(l, BERTH_NS_USER);
	int r = 0;

	if (user < 0) {
		if (l->n_uid_mappings > 0)
			return berth_oci_ctx_fail_at(ctx, "uidMappings", "id mappings given without a user namespace");
		if (l->n_gid_mappings > 0)
			return berth_oci_ctx_fail_at(ctx, "gidMappings", "id mappings given without a user namespace");
	} else if (!l->namespaces[user].path && (l->n_uid_mappings == 0 || l->n_gid_mappings == 0)) {
		berth_oci_ctx_push_key(ctx, "namespaces");
		berth_oci_ctx_push_index(ctx, user);
		r = berth_oci_ctx_fail(ctx, "a new user namespace needs %s", l->n_uid_mappings == 0 ? "uidMappings" :
										       "gidMappings");
		berth_oci_ctx_pop(ctx);
		berth_oci_ctx_pop(ctx);
		return r;
	}
	if ((l->time_monotonic.set || l->time_boottime.set) && ns_index(l, BERTH_NS_TIME) < 0)
		return berth_oci_ctx_fail_at(ctx, "timeOffsets", "time offsets given without a time namespace");
	return 0;
}

int berth_oci_parse_linux(struct berth_oci_ctx *ctx, json_t *lin, struct berth_oci_linux *l)
{
	json_t *o = NULL;
	int r;

	if ((r = parse_namespaces(ctx, lin, l)) < 0 ||
	    (r = parse_mappings(ctx, lin, "uidMappings", &l->uid_mappings, &l->n_uid_mappings)) < 0 ||
	    (r = parse_mappings(ctx, lin, "gidMappings", &l->gid_mappings, &l->n_gid_mappings)) < 0 ||
	    (r = parse_sysctl(ctx, lin, l)) < 0 || (r = parse_devices(ctx, lin, l)) < 0)
		return r;
	r = berth_oci_get_string(ctx, lin, "cgroupsPath", false, true, &l->cgroups_path);
	if (r < 0)
		return r;
	r = berth_oci_get_object(ctx, lin, "resources", false, &o);
	if (r < 0)
		return r;
	l->resources = o ? json_incref(o) : NULL;
	if ((r = parse_abs_paths(ctx, lin, "maskedPaths", &l->masked_paths)) < 0 ||
	    (r = parse_abs_paths(ctx, lin, "readonlyPaths", &l->readonly_paths)) < 0 ||
	    (r = parse_propagation(ctx, lin, l)) < 0)
		return r;
	r = berth_oci_get_string(ctx, lin, "mountLabel", false, true, &l->mount_label);
	if (r < 0)
		return r;
	r = berth_oci_get_object(ctx, lin, "seccomp", false, &o);
	if (r < 0)
		return r;
	if (o) {
		berth_oci_ctx_push_key(ctx, "seccomp");
		r = berth_oci_parse_seccomp(ctx, o, &l->seccomp);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			return r;
	}
	if ((r = parse_personality(ctx, lin, l)) < 0 || (r = parse_time_offsets(ctx, lin, l)) < 0)
		return r;
	return check_namespaces(ctx, lin, l);
}

void berth_oci_linux_release(struct berth_oci_linux *l)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_sysctls; i++) {
		free(l->sysctls[i].key);
		free(l->sysctls[i].value);
	}
	free(l->sysctls);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	if (l->resources)
		json_decref(l->resources);
	berth_strv_free(l->masked_paths);
	berth_strv_free(l->readonly_paths);
	free(l->rootfs_propagation);
	free(l->mount_label);
	berth_oci_seccomp_free(l->seccomp);
	if (l->personality) {
		free(l->personality->domain);
		berth_strv_free(l->personality->flags);
		free(l->personality);
	}
}
