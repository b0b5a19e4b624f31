#include "mount-options.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum option_kind {
	OPT_SET,         /* set a mount(2) flag */
	OPT_CLEAR,       /* clear a mount(2) flag */
	OPT_PROPAGATION, /* propagation change */
	OPT_REC_SET,     /* set a recursive attribute */
	OPT_REC_CLEAR,   /* clear a recursive attribute */
	OPT_REC_ATIME,   /* set the recursive atime mode */
	OPT_NOOP,
	OPT_TMPCOPYUP,
	OPT_UNSUPPORTED,
};

struct option_def {
	const char *name;
	enum option_kind kind;
	unsigned long value;
};

static const struct option_def option_table[] = {
	{ "async", OPT_CLEAR, MS_SYNCHRONOUS },
	{ "atime", OPT_CLEAR, MS_NOATIME },
	{ "bind", OPT_SET, MS_BIND },
	{ "defaults", OPT_NOOP, 0 },
	{ "dev", OPT_CLEAR, MS_NODEV },
	{ "diratime", OPT_CLEAR, MS_NODIRATIME },
	{ "dirsync", OPT_SET, MS_DIRSYNC },
	{ "exec", OPT_CLEAR, MS_NOEXEC },
	{ "iversion", OPT_SET, MS_I_VERSION },
	{ "lazytime", OPT_SET, MS_LAZYTIME },
	{ "loud", OPT_CLEAR, MS_SILENT },
	{ "mand", OPT_SET, MS_MANDLOCK },
	{ "noatime", OPT_SET, MS_NOATIME },
	{ "nodev", OPT_SET, MS_NODEV },
	{ "nodiratime", OPT_SET, MS_NODIRATIME },
	{ "noexec", OPT_SET, MS_NOEXEC },
	{ "noiversion", OPT_CLEAR, MS_I_VERSION },
	{ "nolazytime", OPT_CLEAR, MS_LAZYTIME },
	{ "nomand", OPT_CLEAR, MS_MANDLOCK },
	{ "norelatime", OPT_CLEAR, MS_RELATIME },
	{ "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
	{ "nosuid", OPT_SET, MS_NOSUID },
	{ "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
	{ "rbind", OPT_SET, MS_BIND | MS_REC },
	{ "relatime", OPT_SET, MS_RELATIME },
	{ "remount", OPT_SET, MS_REMOUNT },
	{ "ro", OPT_SET, MS_RDONLY },
	{ "rw", OPT_CLEAR, MS_RDONLY },
	{ "silent", OPT_SET, MS_SILENT },
	{ "strictatime", OPT_SET, MS_STRICTATIME },
	{ "suid", OPT_CLEAR, MS_NOSUID },
	{ "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
	{ "sync", OPT_SET, MS_SYNCHRONOUS },

	{ "private", OPT_PROPAGATION, MS_PRIVATE },
	{ "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
	{ "shared", OPT_PROPAGATION, MS_SHARED },
	{ "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
	{ "slave", OPT_PROPAGATION, MS_SLAVE },
	{ "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
	{ "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
	{ "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },

	{ "rro", OPT_REC_SET, MOUNT_ATTR_RDONLY },
	{ "rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY },
	{ "rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID },
	{ "rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID },
	{ "rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV },
	{ "rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV },
	{ "rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC },
	{ "rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC },
	{ "rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME },
	{ "rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME },
	{ "rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME },
	{ "ratime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
	{ "rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
	{ "rnorelatime", OPT_NOOP, 0 },
	{ "rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
	{ "rnostrictatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },

	{ "tmpcopyup", OPT_TMPCOPYUP, 0 },
	{ "idmap", OPT_UNSUPPORTED, 0 },
	{ "ridmap", OPT_UNSUPPORTED, 0 },
};

static const struct option_def *option_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(option_table); i++)
		if (strcmp(option_table[i].name, name) == 0)
			return &option_table[i];
	return NULL;
}

static void data_append(char **data, const char *opt)
{
	char *n;

	if (!*data) {
		*data = berth_xstrdup(opt);
		return;
	}
	n = berth_xasprintf("%s,%s", *data, opt);
	free(*data);
	*data = n;
}

static int option_apply(const struct option_def *d, struct berth_mount_options *o, struct berth_error *err)
{
	switch (d->kind) {
	case OPT_SET:
		o->flags |= d->value;
		o->clear_flags &= ~d->value;
		break;
	case OPT_CLEAR:
		o->flags &= ~d->value;
		o->clear_flags |= d->value;
		break;
	case OPT_PROPAGATION:
		if (o->n_propagation >= BERTH_MOUNT_MAX_PROPAGATION)
			return berth_error_setx(err, EINVAL, "more than %d propagation options",
						BERTH_MOUNT_MAX_PROPAGATION);
		o->propagation[o->n_propagation++] = d->value;
		break;
	case OPT_REC_SET:
		o->rec_attr_set |= d->value;
		o->rec_attr_clr &= ~(uint64_t)d->value;
		break;
	case OPT_REC_CLEAR:
		o->rec_attr_clr |= d->value;
		o->rec_attr_set &= ~(uint64_t)d->value;
		break;
	case OPT_REC_ATIME:
		/* the atime mode is one value: clear all of it, then set the new one */
		o->rec_attr_clr |= MOUNT_ATTR__ATIME;
		o->rec_attr_set = (o->rec_attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | d->value;
		break;
	case OPT_NOOP:
		break;
	case OPT_TMPCOPYUP:
		o->tmpcopyup = true;
		break;
	case OPT_UNSUPPORTED:
		return berth_error_setx(err, EOPNOTSUPP, "mount option `%s` is not supported", d->name);
	}
	return 0;
}

int berth_mount_options_parse(char *const *options, struct berth_mount_options *ret, struct berth_error *err)
{
	struct berth_mount_options o = { 0 };
	int r;

	for (size_t i = 0; options && options[i]; i++) {
		const char *opt = options[i];
		const struct option_def *d;

		if (opt[0] == '\0' || strncasecmp(opt, "x-", 2) == 0)
			continue;
		d = option_lookup(opt);
		if (!d) {
			data_append(&o.data, opt);
			continue;
		}
		r = option_apply(d, &o, err);
		if (r < 0) {
			berth_mount_options_release(&o);
			return r;
		}
	}
	*ret = o;
	return 0;
}

void berth_mount_options_release(struct berth_mount_options *o)
{
	free(o->data);
	o->data = NULL;
}

void berth_mount_options_attr(const struct berth_mount_options *o, uint64_t *ret_set, uint64_t *ret_clr)
{
	static const struct {
		unsigned long ms;
		uint64_t attr;
	} map[] = {
		{ MS_RDONLY, MOUNT_ATTR_RDONLY },         { MS_NOSUID, MOUNT_ATTR_NOSUID },
		{ MS_NODEV, MOUNT_ATTR_NODEV },           { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
		{ MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
	};
	uint64_t set = 0, clr = 0;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (o->flags & map[i].ms)
			set |= map[i].attr;
		else if (o->clear_flags & map[i].ms)
			clr |= map[i].attr;
	}
	/* the order of precedence of do_mount() in fs/namespace.c */
	if (o->flags & MS_STRICTATIME) {
		set |= MOUNT_ATTR_STRICTATIME;
		clr |= MOUNT_ATTR__ATIME;
	} else if (o->flags & MS_NOATIME) {
		set |= MOUNT_ATTR_NOATIME;
		clr |= MOUNT_ATTR__ATIME;
	} else if ((o->flags & MS_RELATIME) || (o->clear_flags & (MS_NOATIME | MS_STRICTATIME))) {
		set |= MOUNT_ATTR_RELATIME;
		clr |= MOUNT_ATTR__ATIME;
	}
	*ret_set = set;
	*ret_clr = clr;
}

int berth_mount_propagation_parse(const char *s, unsigned long *ret, struct berth_error *err)
{
	const struct option_def *d = s ? option_lookup(s) : NULL;

	if (!d || d->kind != OPT_PROPAGATION)
		return berth_error_setx(err, EINVAL, "invalid mount propagation `%s`", s ? s : "");
	*ret = d->value;
	return 0;
}
