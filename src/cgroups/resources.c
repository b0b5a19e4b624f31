/* linux.resources JSON -> struct berth_cgroup_resources, and the v1 -> v2 value conversions. */
#include "cgroups/resources.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

#define ROOT_PATH "linux.resources"

/* kernel range of cpu.shares on v1 (sched/core.c MIN_SHARES, MAX_SHARES) */
#define SHARES_MIN 2
#define SHARES_MAX 262144

static const char *const throttle_keys[_BERTH_CGROUP_THROTTLE_MAX] = {
	[BERTH_CGROUP_THROTTLE_READ_BPS] = "throttleReadBpsDevice",
	[BERTH_CGROUP_THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
	[BERTH_CGROUP_THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
	[BERTH_CGROUP_THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
};

#define RULE(t, maj, min, acc) { .allow = true, .type = (t), .major = (maj), .minor = (min), .access = acc }

static const struct berth_cgroup_device_rule default_rules[] = {
	RULE('c', -1, -1, "m"),  RULE('b', -1, -1, "m"),   RULE('c', 1, 3, "rwm"), /* null */
	RULE('c', 1, 8, "rwm"),  /* random */
	RULE('c', 1, 7, "rwm"),  /* full */
	RULE('c', 5, 0, "rwm"),  /* tty */
	RULE('c', 1, 5, "rwm"),  /* zero */
	RULE('c', 1, 9, "rwm"),  /* urandom */
	RULE('c', 136, -1, "rwm"), /* /dev/pts/N */
	RULE('c', 5, 2, "rwm"),  /* ptmx */
	RULE('c', 10, 200, "rwm"), /* /dev/net/tun */
};

const struct berth_cgroup_device_rule *berth_cgroup_default_device_rules(size_t *ret_n)
{
	*ret_n = ARRAY_SIZE(default_rules);
	return default_rules;
}

uint64_t berth_cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < SHARES_MIN)
		shares = SHARES_MIN;
	if (shares > SHARES_MAX)
		shares = SHARES_MAX;
	return 1 + ((shares - 2) * 9999) / 262142;
}

int berth_cgroup_swap_to_v2(int64_t swap, int64_t memory, int64_t *ret, struct berth_error *err)
{
	/* as on v1: an unlimited memory with no swap setting means unlimited swap as well */
	if (memory == -1 && swap == 0) {
		*ret = -1;
		return 0;
	}
	if (swap == -1 || swap == 0) {
		*ret = swap;
		return 0;
	}
	if (memory == 0 || memory == -1)
		return berth_error_setx(err, EINVAL, "cannot set a swap limit without a memory limit");
	if (memory < 0)
		return berth_error_setx(err, EINVAL, "invalid memory limit %" PRId64, memory);
	if (swap < memory)
		return berth_error_setx(err, EINVAL, "memory+swap limit %" PRId64 " is below the memory limit %" PRId64,
					swap, memory);
	*ret = swap - memory;
	return 0;
}

uint64_t berth_cgroup_blkio_weight_to_io(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	return 1 + (weight - 10) * 9999 / 990;
}

void berth_cgroup_resources_free(struct berth_cgroup_resources *r)
{
	if (!r)
		return;
	free(r->cpu.cpus);
	free(r->cpu.mems);
	free(r->block_io.weight_device);
	for (size_t k = 0; k < _BERTH_CGROUP_THROTTLE_MAX; k++)
		free(r->block_io.throttle[k]);
	for (size_t i = 0; i < r->n_hugepages; i++)
		free(r->hugepages[i].pagesize);
	free(r->hugepages);
	for (size_t i = 0; i < r->network.n_priorities; i++)
		free(r->network.priorities[i].name);
	free(r->network.priorities);
	for (size_t i = 0; i < r->n_rdma; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	for (size_t i = 0; i < r->n_unified; i++) {
		free(r->unified[i].key);
		free(r->unified[i].value);
	}
	free(r->unified);
	free(r->devices);
	free(r);
}

/* --- typed getters: "<path>.<key>: message" ------------------------------- */

static int fail(struct berth_error *err, const char *path, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct berth_error *err, const char *path, const char *key, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (key)
		return berth_error_setx(err, EINVAL, "%s.%s: %s", path, key, msg);
	return berth_error_setx(err, EINVAL, "%s: %s", path, msg);
}

/* The member, or NULL when absent or null. */
static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

/* An integer in min..max; absent leaves *out unset unless required. */
static int get_int(json_t *obj, const char *path, const char *key, bool required, int64_t min, int64_t max,
		   struct berth_cgroup_i64 *out, struct berth_error *err)
{
	json_t *v = member(obj, key);
	int64_t x;

	if (!v) {
		if (required)
			return fail(err, path, key, "missing");
		return 0;
	}
	if (!json_is_integer(v))
		return fail(err, path, key, "expected an integer");
	x = (int64_t)json_integer_value(v);
	if (x < min || x > max)
		return fail(err, path, key, "%" PRId64 " is out of range (%" PRId64 " to %" PRId64 ")", x, min, max);
	out->set = true;
	out->value = x;
	return 0;
}

/* An unsigned integer up to max; UINT64_MAX accepts the full range (big values read as negative). */
static int get_uint(json_t *obj, const char *path, const char *key, bool required, uint64_t max,
		    struct berth_cgroup_u64 *out, struct berth_error *err)
{
	json_t *v = member(obj, key);
	int64_t x;

	if (!v) {
		if (required)
			return fail(err, path, key, "missing");
		return 0;
	}
	if (!json_is_integer(v))
		return fail(err, path, key, "expected an integer");
	x = (int64_t)json_integer_value(v);
	if (max != UINT64_MAX && (x < 0 || (uint64_t)x > max))
		return fail(err, path, key, "%" PRId64 " is out of range (0 to %" PRIu64 ")", x, max);
	out->set = true;
	out->value = (uint64_t)x;
	return 0;
}

/* -1 or a non-negative integer: memory sizes. */
static int get_memory(json_t *obj, const char *path, const char *key, struct berth_cgroup_i64 *out,
		      struct berth_error *err)
{
	int r = get_int(obj, path, key, false, INT64_MIN, INT64_MAX, out, err);

	if (r < 0)
		return r;
	if (out->set && out->value < -1)
		return fail(err, path, key, "expected -1 (unlimited) or a size in bytes, not %" PRId64, out->value);
	return 0;
}

static int get_bool(json_t *obj, const char *path, const char *key, struct berth_cgroup_bool *out,
		    struct berth_error *err)
{
	json_t *v = member(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return fail(err, path, key, "expected a boolean");
	out->set = true;
	out->value = json_is_true(v);
	return 0;
}

/* A string; *out stays NULL when absent (or empty, unless required). */
static int get_string(json_t *obj, const char *path, const char *key, bool required, char **out,
		      struct berth_error *err)
{
	json_t *v = member(obj, key);

	if (!v) {
		if (required)
			return fail(err, path, key, "missing");
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, path, key, "expected a string");
	if (json_string_length(v) != strlen(json_string_value(v)))
		return fail(err, path, key, "contains a NUL character");
	if (json_string_length(v) == 0) {
		if (required)
			return fail(err, path, key, "must not be empty");
		return 0;
	}
	*out = berth_xstrdup(json_string_value(v));
	return 0;
}

/* An object member, or NULL; *ret set to NULL when absent. */
static int get_type(json_t *obj, const char *path, const char *key, json_type type, json_t **ret,
		    struct berth_error *err)
{
	json_t *v = member(obj, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (json_typeof(v) != type)
		return fail(err, path, key, type == JSON_OBJECT ? "expected an object" : "expected an array");
	*ret = v;
	return 0;
}

/* "0-3,5" style lists (cpuset.cpus, cpuset.mems): the kernel checks the numbers. */
static int check_cpu_list(const char *s, const char *path, const char *key, struct berth_error *err)
{
	if (s && s[strspn(s, "0123456789,- \t\n")] != '\0')
		return fail(err, path, key, "`%s` is not a list of numbers and ranges", s);
	return 0;
}

/* --- sections ----------------------------------------------------------------- */

static int parse_memory(json_t *res, struct berth_cgroup_resources *r, struct berth_error *err)
{
	const char *path = ROOT_PATH ".memory";
	json_t *m;
	int ret;

	if ((ret = get_type(res, ROOT_PATH, "memory", JSON_OBJECT, &m, err)) < 0 || !m)
		return ret;
	if ((ret = get_memory(m, path, "limit", &r->memory.limit, err)) < 0 ||
	    (ret = get_memory(m, path, "reservation", &r->memory.reservation, err)) < 0 ||
	    (ret = get_memory(m, path, "swap", &r->memory.swap, err)) < 0 ||
	    (ret = get_memory(m, path, "kernel", &r->memory.kernel, err)) < 0 ||
	    (ret = get_memory(m, path, "kernelTCP", &r->memory.kernel_tcp, err)) < 0 ||
	    (ret = get_uint(m, path, "swappiness", false, UINT64_MAX, &r->memory.swappiness, err)) < 0 ||
	    (ret = get_bool(m, path, "disableOOMKiller", &r->memory.disable_oom_killer, err)) < 0 ||
	    (ret = get_bool(m, path, "useHierarchy", &r->memory.use_hierarchy, err)) < 0 ||
	    (ret = get_bool(m, path, "checkBeforeUpdate", &r->memory.check_before_update, err)) < 0)
		return ret;
	/* runc reads a swappiness of -1 (u64 max) as "not set" */
	if (r->memory.swappiness.set && r->memory.swappiness.value == UINT64_MAX)
		r->memory.swappiness.set = false;
	if (r->memory.swappiness.set && r->memory.swappiness.value > 100)
		return fail(err, path, "swappiness", "%" PRIu64 " is out of range (0 to 100)", r->memory.swappiness.value);
	return 0;
}

static int parse_cpu(json_t *res, struct berth_cgroup_resources *r, struct berth_error *err)
{
	const char *path = ROOT_PATH ".cpu";
	json_t *c;
	int ret;

	if ((ret = get_type(res, ROOT_PATH, "cpu", JSON_OBJECT, &c, err)) < 0 || !c)
		return ret;
	if ((ret = get_uint(c, path, "shares", false, UINT64_MAX, &r->cpu.shares, err)) < 0 ||
	    (ret = get_int(c, path, "quota", false, INT64_MIN, INT64_MAX, &r->cpu.quota, err)) < 0 ||
	    (ret = get_uint(c, path, "burst", false, UINT64_MAX, &r->cpu.burst, err)) < 0 ||
	    (ret = get_uint(c, path, "period", false, UINT64_MAX, &r->cpu.period, err)) < 0 ||
	    (ret = get_int(c, path, "realtimeRuntime", false, INT64_MIN, INT64_MAX, &r->cpu.realtime_runtime, err)) < 0 ||
	    (ret = get_uint(c, path, "realtimePeriod", false, UINT64_MAX, &r->cpu.realtime_period, err)) < 0 ||
	    (ret = get_int(c, path, "idle", false, 0, 1, &r->cpu.idle, err)) < 0 ||
	    (ret = get_string(c, path, "cpus", false, &r->cpu.cpus, err)) < 0 ||
	    (ret = get_string(c, path, "mems", false, &r->cpu.mems, err)) < 0 ||
	    (ret = check_cpu_list(r->cpu.cpus, path, "cpus", err)) < 0 ||
	    (ret = check_cpu_list(r->cpu.mems, path, "mems", err)) < 0)
		return ret;
	if (r->cpu.shares.set && r->cpu.shares.value > INT64_MAX)
		return fail(err, path, "shares", "%" PRIu64 " is out of range", r->cpu.shares.value);
	return 0;
}

static int parse_pids(json_t *res, struct berth_cgroup_resources *r, struct berth_error *err)
{
	json_t *p;
	int ret;

	if ((ret = get_type(res, ROOT_PATH, "pids", JSON_OBJECT, &p, err)) < 0 || !p)
		return ret;
	return get_int(p, ROOT_PATH ".pids", "limit", true, INT64_MIN, INT64_MAX, &r->pids.limit, err);
}

/* major and minor of a blockIO device entry: both required, u32 in the kernel */
static int get_dev_numbers(json_t *e, const char *path, int64_t *major, int64_t *minor, struct berth_error *err)
{
	struct berth_cgroup_i64 maj = { 0 }, min = { 0 };
	int ret;

	if ((ret = get_int(e, path, "major", true, 0, UINT32_MAX, &maj, err)) < 0 ||
	    (ret = get_int(e, path, "minor", true, 0, UINT32_MAX, &min, err)) < 0)
		return ret;
	*major = maj.value;
	*minor = min.value;
	return 0;
}

static int parse_weight_devices(json_t *arr, struct berth_cgroup_resources *r, struct berth_error *err)
{
	size_t n = json_array_size(arr);

	r->block_io.weight_device = berth_xcalloc(n ? n : 1, sizeof(*r->block_io.weight_device));
	for (size_t i = 0; i < n; i++) {
		struct berth_cgroup_weight_device *wd = &r->block_io.weight_device[r->block_io.n_weight_device++];
		_cleanup_free_ char *path = berth_xasprintf(ROOT_PATH ".blockIO.weightDevice[%zu]", i);
		struct berth_cgroup_u64 w = { 0 }, lw = { 0 };
		json_t *e = json_array_get(arr, i);
		int ret;

		if (!json_is_object(e))
			return fail(err, path, NULL, "expected an object");
		if ((ret = get_dev_numbers(e, path, &wd->major, &wd->minor, err)) < 0 ||
		    (ret = get_uint(e, path, "weight", false, UINT16_MAX, &w, err)) < 0 ||
		    (ret = get_uint(e, path, "leafWeight", false, UINT16_MAX, &lw, err)) < 0)
			return ret;
		wd->weight = (uint16_t)w.value;
		wd->leaf_weight = (uint16_t)lw.value;
	}
	return 0;
}

static int parse_throttle(json_t *arr, enum berth_cgroup_throttle_kind k, struct berth_cgroup_resources *r,
			  struct berth_error *err)
{
	size_t n = json_array_size(arr);

	r->block_io.throttle[k] = berth_xcalloc(n ? n : 1, sizeof(*r->block_io.throttle[k]));
	for (size_t i = 0; i < n; i++) {
		struct berth_cgroup_throttle_device *td = &r->block_io.throttle[k][r->block_io.n_throttle[k]++];
		_cleanup_free_ char *path = berth_xasprintf(ROOT_PATH ".blockIO.%s[%zu]", throttle_keys[k], i);
		struct berth_cgroup_u64 rate = { 0 };
		json_t *e = json_array_get(arr, i);
		int ret;

		if (!json_is_object(e))
			return fail(err, path, NULL, "expected an object");
		if ((ret = get_dev_numbers(e, path, &td->major, &td->minor, err)) < 0 ||
		    (ret = get_uint(e, path, "rate", true, UINT64_MAX, &rate, err)) < 0)
			return ret;
		td->rate = rate.value;
	}
	return 0;
}

static int parse_block_io(json_t *res, struct berth_cgroup_resources *r, struct berth_error *err)
{
	const char *path = ROOT_PATH ".blockIO";
	json_t *b, *arr;
	int ret;

	if ((ret = get_type(res, ROOT_PATH, "blockIO", JSON_OBJECT, &b, err)) < 0 || !b)
		return ret;
	if ((ret = get_uint(b, path, "weight", false, UINT16_MAX, &r->block_io.weight, err)) < 0 ||
	    (ret = get_uint(b, path, "leafWeight", false, UINT16_MAX, &r->block_io.leaf_weight, err)) < 0)
		return ret;
	if ((ret = get_type(b, path, "weightDevice", JSON_ARRAY, &arr, err)) < 0)
		return ret;
	if (arr && (ret = parse_weight_devices(arr, r, err)) < 0)
		return ret;
	for (size_t k = 0; k < _BERTH_CGROUP_THROTTLE_MAX; k++) {
		if ((ret = get_type(b, path, throttle_keys[k], JSON_ARRAY, &arr, err)) < 0)
			return ret;
		if (arr && (ret = parse_throttle(arr, k, r, err)) < 0)
			return ret;
	}
	return 0;
}

/* "2MB", "1GB", "64KB": the names of the hugetlb.<size>.* files */
static bool valid_pagesize(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	return digits > 0 && s[0] != '0' && strchr("KMGT", s[digits]) && s[digits] != '\0' &&
	       strcmp(s + digits + 1, "B") == 0;
}

static int parse_hugepages(json_t *res, struct berth_cgroup_resources *r, struct berth_error *err)
{
	json_t *arr;
	size_t n;
	int ret;

	if ((ret = get_type(res, ROOT_PATH, "hugepageLimits", JSON_ARRAY, &arr, err)) < 0 || !arr)
		return ret;
	n = json_array_size(arr);
	r->hugepages = berth_xcalloc(n ? n : 1, sizeof(*r->hugepages));
	for (size_t i = 0; i < n; i++) {
		struct berth_cgroup_hugepage_limit *h = &r->hugepages[r->n_hugepages++];
		_cleanup_free_ char *path = berth_xasprintf(ROOT_PATH ".hugepageLimits[%zu]", i);
		struct berth_cgroup_u64 limit = { 0 };
		json_t *e = json_array_get(arr, i);

		if (!json_is_object(e))
			return fail(err, path, NULL, "expected an object");
		if ((ret = get_string(e, path, "pageSize", true, &h->pagesize, err)) < 0 ||
		    (ret = get_uint(e, path, "limit", true, UINT64_MAX, &limit, err)) < 0)
			return ret;
		if (!valid_pagesize(h->pagesize))
			return fail(err, path, "pageSize", "`%s` is not a page size like 2MB or 1GB", h->pagesize);
		h->limit = limit.value;
	}
	return 0;
}

static int parse_network(json_t *res, struct berth_cgroup_resources *r, struct berth_error *err)
{
	const char *path = ROOT_PATH ".network";
	json_t *net, *arr;
	size_t n;
	int ret;

	if ((ret = get_type(res, ROOT_PATH, "network", JSON_OBJECT, &net, err)) < 0 || !net)
		return ret;
	if ((ret = get_uint(net, path, "classID", false, UINT32_MAX, &r->network.class_id, err)) < 0 ||
	    (ret = get_type(net, path, "priorities", JSON_ARRAY, &arr, err)) < 0 || !arr)
		return ret;
	n = json_array_size(arr);
	r->network.priorities = berth_xcalloc(n ? n : 1, sizeof(*r->network.priorities));
	for (size_t i = 0; i < n; i++) {
		struct berth_cgroup_if_priority *p = &r->network.priorities[r->network.n_priorities++];
		_cleanup_free_ char *epath = berth_xasprintf("%s.priorities[%zu]", path, i);
		struct berth_cgroup_u64 prio = { 0 };
		json_t *e = json_array_get(arr, i);

		if (!json_is_object(e))
			return fail(err, epath, NULL, "expected an object");
		if ((ret = get_string(e, epath, "name", true, &p->name, err)) < 0 ||
		    (ret = get_uint(e, epath, "priority", true, UINT32_MAX, &prio, err)) < 0)
			return ret;
		if (p->name[strcspn(p->name, " \t\n/")] != '\0')
			return fail(err, epath, "name", "`%s` is not an interface name", p->name);
		p->priority = (uint32_t)prio.value;
	}
	return 0;
}

static int parse_rdma(json_t *res, struct berth_cgroup_resources *r, struct berth_error *err)
{
	const char *key;
	json_t *obj, *e;
	int ret;

	if ((ret = get_type(res, ROOT_PATH, "rdma", JSON_OBJECT, &obj, err)) < 0 || !obj)
		return ret;
	r->rdma = berth_xcalloc(json_object_size(obj) + 1, sizeof(*r->rdma));
	json_object_foreach(obj, key, e) {
		struct berth_cgroup_rdma_limit *l = &r->rdma[r->n_rdma++];
		_cleanup_free_ char *path = berth_xasprintf(ROOT_PATH ".rdma.%s", key);

		l->device = berth_xstrdup(key);
		if (!key[0] || key[strcspn(key, " \t\n")] != '\0')
			return fail(err, ROOT_PATH ".rdma", NULL, "`%s` is not a device name", key);
		if (!json_is_object(e))
			return fail(err, path, NULL, "expected an object");
		if ((ret = get_uint(e, path, "hcaHandles", false, UINT32_MAX, &l->hca_handles, err)) < 0 ||
		    (ret = get_uint(e, path, "hcaObjects", false, UINT32_MAX, &l->hca_objects, err)) < 0)
			return ret;
	}
	return 0;
}

static int parse_unified(json_t *res, struct berth_cgroup_resources *r, struct berth_error *err)
{
	const char *key;
	json_t *obj, *v;
	int ret;

	if ((ret = get_type(res, ROOT_PATH, "unified", JSON_OBJECT, &obj, err)) < 0 || !obj)
		return ret;
	r->unified = berth_xcalloc(json_object_size(obj) + 1, sizeof(*r->unified));
	json_object_foreach(obj, key, v) {
		struct berth_cgroup_unified_entry *u;

		/* a key is a file name inside the container's cgroup, nothing else */
		if (!key[0] || strchr(key, '/') || strcmp(key, ".") == 0 || strcmp(key, "..") == 0 ||
		    key[strcspn(key, "\n")] != '\0')
			return fail(err, ROOT_PATH ".unified", NULL, "`%s` is not a cgroup file name", key);
		if (!json_is_string(v))
			return fail(err, ROOT_PATH ".unified", key, "expected a string");
		u = &r->unified[r->n_unified++];
		u->key = berth_xstrdup(key);
		u->value = berth_xstrdup(json_string_value(v));
	}
	return 0;
}

static int parse_device_rule(json_t *e, const char *path, struct berth_cgroup_device_rule *d, struct berth_error *err)
{
	struct berth_cgroup_i64 major = { 0 }, minor = { 0 };
	_cleanup_free_ char *type = NULL, *access = NULL;
	json_t *allow = json_object_get(e, "allow");
	int ret;

	if (!json_is_object(e))
		return fail(err, path, NULL, "expected an object");
	if (!allow)
		return fail(err, path, "allow", "missing");
	if (!json_is_boolean(allow))
		return fail(err, path, "allow", "expected a boolean");
	d->allow = json_is_true(allow);
	if ((ret = get_string(e, path, "type", false, &type, err)) < 0 ||
	    (ret = get_int(e, path, "major", false, -1, UINT32_MAX, &major, err)) < 0 ||
	    (ret = get_int(e, path, "minor", false, -1, UINT32_MAX, &minor, err)) < 0 ||
	    (ret = get_string(e, path, "access", true, &access, err)) < 0)
		return ret;
	if (type && (strlen(type) != 1 || !strchr("acb", type[0])))
		return fail(err, path, "type", "`%s` is not a, c or b", type);
	d->type = type ? type[0] : 'a';
	d->major = major.set ? major.value : -1;
	d->minor = minor.set ? minor.value : -1;

	/* normalised to "rwm" order, duplicates folded */
	for (const char *p = access; *p; p++)
		if (!strchr("rwm", *p))
			return fail(err, path, "access", "invalid character `%c` in `%s` (expected r, w, m)", *p, access);
	for (const char *p = "rwm"; *p; p++)
		if (strchr(access, *p))
			d->access[strlen(d->access)] = *p;
	return 0;
}

static int parse_devices(json_t *res, struct berth_cgroup_resources *r, struct berth_error *err)
{
	json_t *arr;
	size_t n;
	int ret;

	if ((ret = get_type(res, ROOT_PATH, "devices", JSON_ARRAY, &arr, err)) < 0 || !arr)
		return ret;
	n = json_array_size(arr);
	r->has_devices = true;
	r->devices = berth_xcalloc(n ? n : 1, sizeof(*r->devices));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = berth_xasprintf(ROOT_PATH ".devices[%zu]", i);

		ret = parse_device_rule(json_array_get(arr, i), path, &r->devices[i], err);
		if (ret < 0)
			return ret;
		r->n_devices++;
	}
	return 0;
}

int berth_cgroup_resources_parse(json_t *resources, struct berth_cgroup_resources **ret, struct berth_error *err)
{
	struct berth_cgroup_resources *r = berth_xzalloc(sizeof(*r));
	int (*const parsers[])(json_t *, struct berth_cgroup_resources *, struct berth_error *) = {
		parse_memory, parse_cpu,   parse_pids,    parse_block_io, parse_hugepages,
		parse_network, parse_rdma, parse_unified, parse_devices,
	};

	if (resources && !json_is_null(resources)) {
		if (!json_is_object(resources)) {
			berth_cgroup_resources_free(r);
			return fail(err, ROOT_PATH, NULL, "expected an object");
		}
		for (size_t i = 0; i < ARRAY_SIZE(parsers); i++) {
			int rc = parsers[i](resources, r, err);

			if (rc < 0) {
				berth_cgroup_resources_free(r);
				return rc;
			}
		}
	}
	*ret = r;
	return 0;
}
