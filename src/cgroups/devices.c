/* The devices cgroup v1 semantics, emulated: a rule list reduced to a default and its exceptions. */
#include "cgroups/devices.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

void berth_cgroup_device_rule_format(const struct berth_cgroup_device_rule *d, char *buf, size_t size)
{
	char major[24] = "*", minor[24] = "*";

	if (d->type == 'a') {
		snprintf(buf, size, "a");
		return;
	}
	if (d->major >= 0)
		snprintf(major, sizeof(major), "%" PRId64, d->major);
	if (d->minor >= 0)
		snprintf(minor, sizeof(minor), "%" PRId64, d->minor);
	snprintf(buf, size, "%c %s:%s %s", d->type, major, minor, d->access);
}

void berth_cgroup_device_state_release(struct berth_cgroup_device_state *st)
{
	free(st->exceptions);
	st->exceptions = NULL;
	st->n_exceptions = 0;
}

static int perms_of(const char *access)
{
	int bits = 0;

	for (const char *a = access; *a; a++)
		bits |= *a == 'r' ? 1 : *a == 'w' ? 2 : *a == 'm' ? 4 : 0;
	return bits;
}

static void set_perms(struct berth_cgroup_device_rule *d, int bits)
{
	size_t n = 0;

	if (bits & 1)
		d->access[n++] = 'r';
	if (bits & 2)
		d->access[n++] = 'w';
	if (bits & 4)
		d->access[n++] = 'm';
	d->access[n] = '\0';
}

static struct berth_cgroup_device_rule *find(struct berth_cgroup_device_state *st, char type, int64_t major,
					     int64_t minor)
{
	for (size_t i = 0; i < st->n_exceptions; i++) {
		struct berth_cgroup_device_rule *e = &st->exceptions[i];

		if (e->type == type && e->major == major && e->minor == minor)
			return e;
	}
	return NULL;
}

static void add_exception(struct berth_cgroup_device_state *st, const struct berth_cgroup_device_rule *d)
{
	struct berth_cgroup_device_rule *e = find(st, d->type, d->major, d->minor);

	if (!e) {
		st->exceptions = berth_xreallocarray(st->exceptions, st->n_exceptions + 1, sizeof(*st->exceptions));
		e = &st->exceptions[st->n_exceptions++];
		*e = *d;
		e->allow = !st->default_allow;
		e->access[0] = '\0';
	}
	set_perms(e, perms_of(e->access) | perms_of(d->access));
}

/* Take access away from the identical exception; a wildcard that still grants it cannot be split. */
static int remove_exception(struct berth_cgroup_device_state *st, const struct berth_cgroup_device_rule *d,
			    const char *name, struct berth_error *err)
{
	const int64_t wild[][2] = { { -1, d->minor }, { d->major, -1 }, { -1, -1 } };
	struct berth_cgroup_device_rule *e;
	char rule[64], cover[64];

	for (size_t i = 0; i < ARRAY_SIZE(wild); i++) {
		if (wild[i][0] == d->major && wild[i][1] == d->minor)
			continue; /* that is the rule itself */
		e = find(st, d->type, wild[i][0], wild[i][1]);
		if (e && (perms_of(e->access) & perms_of(d->access))) {
			berth_cgroup_device_rule_format(d, rule, sizeof(rule));
			berth_cgroup_device_rule_format(e, cover, sizeof(cover));
			return berth_error_setx(err, EINVAL,
						"%s: cannot %s `%s` inside the %s wildcard `%s` (the devices cgroup "
						"cannot punch a hole in a wildcard)",
						name, d->allow ? "allow" : "deny", rule, e->allow ? "allowed" : "denied", cover);
		}
	}
	e = find(st, d->type, d->major, d->minor);
	if (!e)
		return 0;
	set_perms(e, perms_of(e->access) & ~perms_of(d->access));
	if (e->access[0] == '\0') {
		size_t idx = (size_t)(e - st->exceptions);

		memmove(e, e + 1, (st->n_exceptions - idx - 1) * sizeof(*e));
		st->n_exceptions--;
	}
	return 0;
}

int berth_cgroup_devices_compute(const struct berth_cgroup_device_rule *rules, size_t n, size_t n_configured,
				 struct berth_cgroup_device_state *ret, struct berth_error *err)
{
	struct berth_cgroup_device_state st = { .default_allow = false };

	for (size_t i = 0; i < n; i++) {
		const struct berth_cgroup_device_rule *d = &rules[i];
		char name[64];
		int r;

		if (d->type == 'a') {
			/* "a" resets the whole list, whatever its numbers and access */
			berth_cgroup_device_state_release(&st);
			st.default_allow = d->allow;
			continue;
		}
		if (d->type != 'c' && d->type != 'b') {
			berth_cgroup_device_state_release(&st);
			return berth_error_setx(err, EINVAL, "device rule %zu: invalid type `%c`", i, d->type);
		}
		if (d->access[0] == '\0')
			continue;
		if (d->allow != st.default_allow) {
			add_exception(&st, d);
			continue;
		}
		if (i < n_configured)
			snprintf(name, sizeof(name), "linux.resources.devices[%zu]", i);
		else
			snprintf(name, sizeof(name), "default device rule %zu", i - n_configured);
		r = remove_exception(&st, d, name, err);
		if (r < 0) {
			berth_cgroup_device_state_release(&st);
			return r;
		}
	}
	*ret = st;
	return 0;
}

int berth_cgroup_devices_state_for(const struct berth_cgroup_resources *r, struct berth_cgroup_device_state *ret,
				   struct berth_error *err)
{
	_cleanup_free_ struct berth_cgroup_device_rule *rules = NULL;
	const struct berth_cgroup_device_rule *defaults;
	size_t n_defaults;

	defaults = berth_cgroup_default_device_rules(&n_defaults);
	rules = berth_xcalloc(r->n_devices + n_defaults, sizeof(*rules));
	if (r->n_devices)
		memcpy(rules, r->devices, r->n_devices * sizeof(*rules));
	memcpy(rules + r->n_devices, defaults, n_defaults * sizeof(*rules));
	return berth_cgroup_devices_compute(rules, r->n_devices + n_defaults, r->n_devices, ret, err);
}
