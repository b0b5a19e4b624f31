/* config.json "process": user, args, env, capabilities, rlimits and the small scalars. */
#include "oci/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "oci/config-internal.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

static int rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_table); i++)
		if (strcmp(rlimit_table[i].name, name) == 0)
			return rlimit_table[i].resource;
	return -1;
}

static int parse_user(struct berth_oci_ctx *ctx, json_t *proc, struct berth_oci_user *u)
{
	json_t *o = NULL, *a = NULL, *e;
	uint64_t x = 0;
	size_t i;
	int r;

	/* runc treats a missing user (or uid/gid) as 0, so does this */
	r = berth_oci_get_object(ctx, proc, "user", false, &o);
	if (r < 0 || !o)
		return r;
	berth_oci_ctx_push_key(ctx, "user");
	r = berth_oci_get_uint(ctx, o, "uid", false, UINT32_MAX, NULL, &x);
	if (r < 0)
		goto out;
	u->uid = x;
	x = 0;
	r = berth_oci_get_uint(ctx, o, "gid", false, UINT32_MAX, NULL, &x);
	if (r < 0)
		goto out;
	u->gid = x;
	x = 0;
	r = berth_oci_get_uint(ctx, o, "umask", false, 0777, &u->has_umask, &x);
	if (r < 0)
		goto out;
	u->umask = x;
	r = berth_oci_get_array(ctx, o, "additionalGids", false, &a);
	if (r < 0 || !a)
		goto out;
	u->additional_gids = berth_xcalloc(json_array_size(a), sizeof(uint32_t));
	u->n_additional_gids = json_array_size(a);
	berth_oci_ctx_push_key(ctx, "additionalGids");
	json_array_foreach(a, i, e) {
		berth_oci_ctx_push_index(ctx, i);
		r = berth_oci_uint_value(ctx, e, UINT32_MAX, &x);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			break;
		u->additional_gids[i] = x;
	}
	berth_oci_ctx_pop(ctx);
out:
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_console_size(struct berth_oci_ctx *ctx, json_t *proc, struct berth_oci_process *p)
{
	json_t *o = NULL;
	uint64_t h = 0, w = 0;
	int r;

	r = berth_oci_get_object(ctx, proc, "consoleSize", false, &o);
	if (r < 0 || !o)
		return r;
	/* struct winsize holds unsigned short */
	berth_oci_ctx_push_key(ctx, "consoleSize");
	r = berth_oci_get_uint(ctx, o, "height", true, UINT16_MAX, NULL, &h);
	if (r >= 0)
		r = berth_oci_get_uint(ctx, o, "width", true, UINT16_MAX, NULL, &w);
	berth_oci_ctx_pop(ctx);
	if (r < 0)
		return r;
	p->has_console_size = true;
	p->console_height = h;
	p->console_width = w;
	return 0;
}

/* runc refuses an entry without '=' or with an empty name; so does this. */
static int check_env(struct berth_oci_ctx *ctx, char **env)
{
	int r = 0;

	berth_oci_ctx_push_key(ctx, "env");
	for (size_t i = 0; env && env[i] && r >= 0; i++) {
		const char *eq = strchr(env[i], '=');

		if (eq && eq != env[i])
			continue;
		_cleanup_free_ char *q = berth_oci_quote(env[i]);

		berth_oci_ctx_push_index(ctx, i);
		r = berth_oci_ctx_fail(ctx, "%s is not of the form NAME=VALUE", q);
		berth_oci_ctx_pop(ctx);
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

/* One capability set: names to a bitmask; unknown CAP_* names (newer kernels) are skipped like runc does. */
static int parse_cap_set(struct berth_oci_ctx *ctx, json_t *caps, const char *key, uint64_t *ret)
{
	_cleanup_strv_free_ char **names = NULL;
	uint64_t mask = 0;
	int r;

	r = berth_oci_get_strv(ctx, caps, key, false, &names);
	if (r < 0 || !names)
		return r;
	for (size_t i = 0; names[i]; i++) {
		int cap = berth_capability_from_name(names[i]);

		if (cap >= 0 && cap < 64) {
			mask |= UINT64_C(1) << cap;
		} else if (strncmp(names[i], "CAP_", 4) != 0) {
			_cleanup_free_ char *q = berth_oci_quote(names[i]);

			berth_oci_ctx_push_key(ctx, key);
			berth_oci_ctx_push_index(ctx, i);
			r = berth_oci_ctx_fail(ctx, "unknown capability %s", q);
			berth_oci_ctx_pop(ctx);
			berth_oci_ctx_pop(ctx);
			return r;
		}
	}
	*ret = mask;
	return 0;
}

static int parse_capabilities(struct berth_oci_ctx *ctx, json_t *proc, struct berth_oci_process *p)
{
	struct berth_oci_capabilities *c = &p->capabilities;
	json_t *o = NULL;
	int r;

	r = berth_oci_get_object(ctx, proc, "capabilities", false, &o);
	if (r < 0 || !o)
		return r;
	p->has_capabilities = true;
	berth_oci_ctx_push_key(ctx, "capabilities");
	r = parse_cap_set(ctx, o, "bounding", &c->bounding);
	if (r >= 0)
		r = parse_cap_set(ctx, o, "effective", &c->effective);
	if (r >= 0)
		r = parse_cap_set(ctx, o, "inheritable", &c->inheritable);
	if (r >= 0)
		r = parse_cap_set(ctx, o, "permitted", &c->permitted);
	if (r >= 0)
		r = parse_cap_set(ctx, o, "ambient", &c->ambient);
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_rlimit(struct berth_oci_ctx *ctx, json_t *o, struct berth_oci_process *p, size_t idx)
{
	struct berth_oci_rlimit *rl = &p->rlimits[idx];
	int r;

	r = berth_oci_expect(ctx, o, JSON_OBJECT);
	if (r < 0)
		return r;
	r = berth_oci_get_string(ctx, o, "type", true, true, &rl->type);
	if (r < 0)
		return r;
	rl->resource = rlimit_from_name(rl->type);
	if (rl->resource < 0) {
		_cleanup_free_ char *q = berth_oci_quote(rl->type);

		return berth_oci_ctx_fail_at(ctx, "type", "unknown rlimit type %s", q);
	}
	for (size_t j = 0; j < idx; j++)
		if (p->rlimits[j].resource == rl->resource)
			return berth_oci_ctx_fail_at(ctx, "type", "duplicate rlimit type %s (also in rlimits[%zu])",
						     rl->type, j);
	r = berth_oci_get_uint(ctx, o, "soft", true, UINT64_MAX, NULL, &rl->soft);
	if (r < 0)
		return r;
	r = berth_oci_get_uint(ctx, o, "hard", true, UINT64_MAX, NULL, &rl->hard);
	if (r < 0)
		return r;
	if (rl->soft > rl->hard)
		return berth_oci_ctx_fail_at(ctx, "soft", "soft limit %" PRIu64 " is greater than hard limit %" PRIu64,
					     rl->soft, rl->hard);
	return 0;
}

static int parse_rlimits(struct berth_oci_ctx *ctx, json_t *proc, struct berth_oci_process *p)
{
	json_t *a = NULL, *e;
	size_t i;
	int r;

	r = berth_oci_get_array(ctx, proc, "rlimits", false, &a);
	if (r < 0 || !a)
		return r;
	p->rlimits = berth_xcalloc(json_array_size(a), sizeof(*p->rlimits));
	berth_oci_ctx_push_key(ctx, "rlimits");
	json_array_foreach(a, i, e) {
		/* count only initialised entries: parse_rlimit compares against the ones before */
		p->n_rlimits = i + 1;
		p->rlimits[i].resource = -1;
		berth_oci_ctx_push_index(ctx, i);
		r = parse_rlimit(ctx, e, p, i);
		berth_oci_ctx_pop(ctx);
		if (r < 0)
			break;
	}
	berth_oci_ctx_pop(ctx);
	return r;
}

static int parse_args_cwd(struct berth_oci_ctx *ctx, json_t *proc, struct berth_oci_process *p)
{
	int r;

	r = berth_oci_get_strv(ctx, proc, "args", true, &p->args);
	if (r < 0)
		return r;
	if (!p->args[0])
		return berth_oci_ctx_fail_at(ctx, "args", "must not be empty");
	r = berth_oci_get_strv(ctx, proc, "env", false, &p->env);
	if (r < 0)
		return r;
	r = check_env(ctx, p->env);
	if (r < 0)
		return r;
	r = berth_oci_get_abs_path(ctx, proc, "cwd", true, &p->cwd);
	if (r < 0)
		return r;
	return 0;
}

int berth_oci_parse_process(struct berth_oci_ctx *ctx, json_t *proc, struct berth_oci_process *p)
{
	int64_t oom = 0;
	int r;

	r = berth_oci_get_bool(ctx, proc, "terminal", &p->terminal);
	if (r < 0)
		return r;
	r = parse_console_size(ctx, proc, p);
	if (r < 0)
		return r;
	r = parse_user(ctx, proc, &p->user);
	if (r < 0)
		return r;
	r = parse_args_cwd(ctx, proc, p);
	if (r < 0)
		return r;
	r = parse_capabilities(ctx, proc, p);
	if (r < 0)
		return r;
	r = parse_rlimits(ctx, proc, p);
	if (r < 0)
		return r;
	r = berth_oci_get_bool(ctx, proc, "noNewPrivileges", &p->no_new_privileges);
	if (r < 0)
		return r;
	r = berth_oci_get_int(ctx, proc, "oomScoreAdj", false, -1000, 1000, &p->has_oom_score_adj, &oom);
	if (r < 0)
		return r;
	p->oom_score_adj = oom;
	r = berth_oci_get_string(ctx, proc, "apparmorProfile", false, true, &p->apparmor_profile);
	if (r < 0)
		return r;
	return berth_oci_get_string(ctx, proc, "selinuxLabel", false, true, &p->selinux_label);
}

void berth_oci_process_release(struct berth_oci_process *p)
{
	free(p->user.additional_gids);
	berth_strv_free(p->args);
	berth_strv_free(p->env);
	free(p->cwd);
	for (size_t i = 0; i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
}

void berth_oci_process_free(struct berth_oci_process *p)
{
	if (!p)
		return;
	berth_oci_process_release(p);
	free(p);
}
