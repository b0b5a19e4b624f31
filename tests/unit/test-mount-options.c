/* berth_mount_options_parse() and friends: every option of the table, last-wins, data, errors. */
#include "runtime/mount-options.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "tap.h"
#include "util/cleanup.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* Parse a NULL-terminated list of options given inline. */
#define PARSE(o, ...) parse((o), (char *const[]){ __VA_ARGS__, NULL })

static int parse(struct berth_mount_options *o, char *const *opts)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int r = berth_mount_options_parse(opts, o, &err);

	if (r < 0)
		tap_diag("parse: %s", err.msg);
	berth_error_release(&err);
	return r;
}

static bool is_empty(const struct berth_mount_options *o)
{
	return o->flags == 0 && o->clear_flags == 0 && o->n_propagation == 0 && o->rec_attr_set == 0 &&
	       o->rec_attr_clr == 0 && !o->data && !o->tmpcopyup;
}

static void test_flag_table(void)
{
	static const struct {
		const char *name;
		unsigned long set;
		unsigned long clear;
	} t[] = {
		{ "ro", MS_RDONLY, 0 },
		{ "rw", 0, MS_RDONLY },
		{ "nosuid", MS_NOSUID, 0 },
		{ "suid", 0, MS_NOSUID },
		{ "nodev", MS_NODEV, 0 },
		{ "dev", 0, MS_NODEV },
		{ "noexec", MS_NOEXEC, 0 },
		{ "exec", 0, MS_NOEXEC },
		{ "sync", MS_SYNCHRONOUS, 0 },
		{ "async", 0, MS_SYNCHRONOUS },
		{ "dirsync", MS_DIRSYNC, 0 },
		{ "remount", MS_REMOUNT, 0 },
		{ "mand", MS_MANDLOCK, 0 },
		{ "nomand", 0, MS_MANDLOCK },
		{ "noatime", MS_NOATIME, 0 },
		{ "atime", 0, MS_NOATIME },
		{ "nodiratime", MS_NODIRATIME, 0 },
		{ "diratime", 0, MS_NODIRATIME },
		{ "relatime", MS_RELATIME, 0 },
		{ "norelatime", 0, MS_RELATIME },
		{ "strictatime", MS_STRICTATIME, 0 },
		{ "nostrictatime", 0, MS_STRICTATIME },
		{ "nosymfollow", MS_NOSYMFOLLOW, 0 },
		{ "symfollow", 0, MS_NOSYMFOLLOW },
		{ "lazytime", MS_LAZYTIME, 0 },
		{ "nolazytime", 0, MS_LAZYTIME },
		{ "iversion", MS_I_VERSION, 0 },
		{ "noiversion", 0, MS_I_VERSION },
		{ "silent", MS_SILENT, 0 },
		{ "loud", 0, MS_SILENT },
		{ "bind", MS_BIND, 0 },
		{ "rbind", MS_BIND | MS_REC, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct berth_mount_options o;
		int r = PARSE(&o, (char *)t[i].name);

		tap_ok(r == 0 && o.flags == t[i].set && o.clear_flags == t[i].clear && o.n_propagation == 0 &&
			       o.rec_attr_set == 0 && o.rec_attr_clr == 0 && !o.data,
		       "`%s` -> flags 0x%lx clear 0x%lx", t[i].name, t[i].set, t[i].clear);
		berth_mount_options_release(&o);
	}
}

static void test_propagation(void)
{
	static const struct {
		const char *name;
		unsigned long value;
	} t[] = {
		{ "private", MS_PRIVATE },         { "rprivate", MS_PRIVATE | MS_REC },
		{ "shared", MS_SHARED },           { "rshared", MS_SHARED | MS_REC },
		{ "slave", MS_SLAVE },             { "rslave", MS_SLAVE | MS_REC },
		{ "unbindable", MS_UNBINDABLE },   { "runbindable", MS_UNBINDABLE | MS_REC },
	};
	struct berth_mount_options o;
	struct berth_error err = BERTH_ERROR_INIT;
	unsigned long p;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		int r = PARSE(&o, (char *)t[i].name);

		tap_ok(r == 0 && o.n_propagation == 1 && o.propagation[0] == t[i].value && o.flags == 0 && !o.data,
		       "`%s` is a propagation change", t[i].name);
		berth_mount_options_release(&o);
		tap_ok(berth_mount_propagation_parse(t[i].name, &p, &err) == 0 && p == t[i].value,
		       "rootfsPropagation `%s`", t[i].name);
	}

	TAP_OK(PARSE(&o, "rslave", "bind", "shared") == 0 && o.n_propagation == 2 &&
	       o.propagation[0] == (MS_SLAVE | MS_REC) && o.propagation[1] == MS_SHARED && o.flags == MS_BIND);
	berth_mount_options_release(&o);

	TAP_OK(PARSE(&o, "private", "private", "private", "private", "private", "private", "private", "private") == 0 &&
	       o.n_propagation == 8);
	berth_mount_options_release(&o);
	TAP_OK(berth_mount_options_parse(
		       (char *const[]){ "private", "shared", "slave", "private", "shared", "slave", "private", "shared",
					"unbindable", NULL },
		       &o, &err) == -EINVAL &&
	       err.code == EINVAL && strstr(err.msg, "propagation"));

	TAP_OK(berth_mount_propagation_parse("ro", &p, &err) == -EINVAL && strstr(err.msg, "`ro`"));
	TAP_OK(berth_mount_propagation_parse("bogus", &p, &err) == -EINVAL);
	TAP_OK(berth_mount_propagation_parse("", &p, &err) == -EINVAL);
	TAP_OK(berth_mount_propagation_parse(NULL, &p, &err) == -EINVAL);
	berth_error_release(&err);
}

static void test_recursive(void)
{
	static const struct {
		const char *name;
		uint64_t set;
		uint64_t clr;
	} t[] = {
		{ "rro", MOUNT_ATTR_RDONLY, 0 },
		{ "rrw", 0, MOUNT_ATTR_RDONLY },
		{ "rnosuid", MOUNT_ATTR_NOSUID, 0 },
		{ "rsuid", 0, MOUNT_ATTR_NOSUID },
		{ "rnodev", MOUNT_ATTR_NODEV, 0 },
		{ "rdev", 0, MOUNT_ATTR_NODEV },
		{ "rnoexec", MOUNT_ATTR_NOEXEC, 0 },
		{ "rexec", 0, MOUNT_ATTR_NOEXEC },
		{ "rnodiratime", MOUNT_ATTR_NODIRATIME, 0 },
		{ "rdiratime", 0, MOUNT_ATTR_NODIRATIME },
		{ "rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0 },
		{ "rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW },
		{ "rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
		{ "ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
		{ "rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
		{ "rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
		{ "rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
		{ "rnorelatime", 0, 0 },
	};
	struct berth_mount_options o;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		int r = PARSE(&o, (char *)t[i].name);

		tap_ok(r == 0 && o.rec_attr_set == t[i].set && o.rec_attr_clr == t[i].clr && o.flags == 0 &&
			       o.clear_flags == 0 && !o.data,
		       "`%s` -> recursive set 0x%llx clear 0x%llx", t[i].name, (unsigned long long)t[i].set,
		       (unsigned long long)t[i].clr);
		berth_mount_options_release(&o);
	}

	/* last one wins, and the atime mode is replaced as a whole */
	TAP_OK(PARSE(&o, "rro", "rrw") == 0 && o.rec_attr_set == 0 && o.rec_attr_clr == MOUNT_ATTR_RDONLY);
	berth_mount_options_release(&o);
	TAP_OK(PARSE(&o, "rrw", "rro") == 0 && o.rec_attr_set == MOUNT_ATTR_RDONLY && o.rec_attr_clr == 0);
	berth_mount_options_release(&o);
	TAP_OK(PARSE(&o, "rnoatime", "rstrictatime") == 0 && o.rec_attr_set == MOUNT_ATTR_STRICTATIME &&
	       o.rec_attr_clr == MOUNT_ATTR__ATIME);
	berth_mount_options_release(&o);
	TAP_OK(PARSE(&o, "rstrictatime", "ratime", "rnosuid", "rro") == 0 &&
	       o.rec_attr_set == (MOUNT_ATTR_RELATIME | MOUNT_ATTR_NOSUID | MOUNT_ATTR_RDONLY) &&
	       o.rec_attr_clr == MOUNT_ATTR__ATIME);
	berth_mount_options_release(&o);
	/* recursive and non-recursive are independent */
	TAP_OK(PARSE(&o, "ro", "rrw") == 0 && o.flags == MS_RDONLY && o.rec_attr_clr == MOUNT_ATTR_RDONLY);
	berth_mount_options_release(&o);
}

static void test_last_wins(void)
{
	struct berth_mount_options o;

	TAP_OK(PARSE(&o, "ro", "rw") == 0 && o.flags == 0 && o.clear_flags == MS_RDONLY);
	berth_mount_options_release(&o);
	TAP_OK(PARSE(&o, "rw", "ro") == 0 && o.flags == MS_RDONLY && o.clear_flags == 0);
	berth_mount_options_release(&o);
	TAP_OK(PARSE(&o, "nosuid", "suid", "nosuid", "exec", "noexec") == 0 && o.flags == (MS_NOSUID | MS_NOEXEC) &&
	       o.clear_flags == 0);
	berth_mount_options_release(&o);
	TAP_OK(PARSE(&o, "rbind", "ro", "nosuid", "nodev", "noexec") == 0 &&
	       o.flags == (MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
	berth_mount_options_release(&o);
	/* "bind" after "rbind" does not take MS_REC away: runc ORs them too */
	TAP_OK(PARSE(&o, "rbind", "bind") == 0 && o.flags == (MS_BIND | MS_REC));
	berth_mount_options_release(&o);
}

static void test_data(void)
{
	struct berth_mount_options o;

	TAP_OK(PARSE(&o, "nosuid", "strictatime", "mode=755", "size=65536k") == 0 &&
	       o.flags == (MS_NOSUID | MS_STRICTATIME) && o.data && strcmp(o.data, "mode=755,size=65536k") == 0);
	berth_mount_options_release(&o);
	TAP_OK(!o.data);

	TAP_OK(PARSE(&o, "newinstance", "ptmxmode=0666", "mode=0620", "gid=5") == 0 && o.flags == 0 && o.data &&
	       strcmp(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5") == 0);
	berth_mount_options_release(&o);

	/* unknown words are data, case matters (mount(8) is case-sensitive too) */
	TAP_OK(PARSE(&o, "RO", "usrquota") == 0 && o.flags == 0 && o.data && strcmp(o.data, "RO,usrquota") == 0);
	berth_mount_options_release(&o);

	/* userspace-only and empty options never reach the kernel */
	TAP_OK(PARSE(&o, "x-systemd.automount", "X-mount.mkdir", "", "defaults") == 0 && is_empty(&o));
	berth_mount_options_release(&o);

	/* a quoted value with commas stays one option */
	TAP_OK(PARSE(&o, "context=\"system_u:object_r:foo_t:s0:c1,c2\"") == 0 && o.data &&
	       strcmp(o.data, "context=\"system_u:object_r:foo_t:s0:c1,c2\"") == 0);
	berth_mount_options_release(&o);

	TAP_OK(PARSE(&o, "tmpcopyup", "size=1m") == 0 && o.tmpcopyup && o.data && strcmp(o.data, "size=1m") == 0);
	berth_mount_options_release(&o);
}

static void test_empty_and_errors(void)
{
	struct berth_mount_options o;
	struct berth_error err = BERTH_ERROR_INIT;

	TAP_OK(berth_mount_options_parse(NULL, &o, &err) == 0 && is_empty(&o));
	berth_mount_options_release(&o);
	TAP_OK(berth_mount_options_parse((char *const[]){ NULL }, &o, &err) == 0 && is_empty(&o));
	berth_mount_options_release(&o);

	TAP_OK(berth_mount_options_parse((char *const[]){ "bind", "idmap", NULL }, &o, &err) == -EOPNOTSUPP &&
	       err.code == EOPNOTSUPP && strstr(err.msg, "`idmap`"));
	TAP_OK(berth_mount_options_parse((char *const[]){ "size=1m", "ridmap", NULL }, &o, &err) == -EOPNOTSUPP);
	berth_error_release(&err);
}

static void attr(const char *label, char *const *opts, uint64_t want_set, uint64_t want_clr)
{
	struct berth_mount_options o;
	uint64_t set = ~0ULL, clr = ~0ULL;
	int r = parse(&o, opts);

	if (r == 0)
		berth_mount_options_attr(&o, &set, &clr);
	tap_ok(r == 0 && set == want_set && clr == want_clr, "attr %s: set 0x%llx clr 0x%llx", label,
	       (unsigned long long)set, (unsigned long long)clr);
	berth_mount_options_release(&o);
}

static void test_attr(void)
{
	attr("none", (char *const[]){ NULL }, 0, 0);
	attr("bind only", (char *const[]){ "rbind", "rprivate", "size=1", NULL }, 0, 0);
	attr("ro,nosuid,nodev,noexec", (char *const[]){ "ro", "nosuid", "nodev", "noexec", NULL },
	     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0);
	attr("rw,suid,dev,exec", (char *const[]){ "rw", "suid", "dev", "exec", NULL }, 0,
	     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	attr("nodiratime,nosymfollow", (char *const[]){ "nodiratime", "nosymfollow", NULL },
	     MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW, 0);
	attr("diratime,symfollow", (char *const[]){ "diratime", "symfollow", NULL }, 0,
	     MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW);
	attr("noatime", (char *const[]){ "noatime", NULL }, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME);
	attr("strictatime", (char *const[]){ "strictatime", NULL }, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME);
	attr("relatime", (char *const[]){ "relatime", NULL }, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME);
	attr("strictatime beats noatime", (char *const[]){ "strictatime", "noatime", NULL }, MOUNT_ATTR_STRICTATIME,
	     MOUNT_ATTR__ATIME);
	attr("noatime beats relatime", (char *const[]){ "relatime", "noatime", NULL }, MOUNT_ATTR_NOATIME,
	     MOUNT_ATTR__ATIME);
	attr("atime is relatime", (char *const[]){ "atime", NULL }, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME);
	attr("nostrictatime is relatime", (char *const[]){ "nostrictatime", NULL }, MOUNT_ATTR_RELATIME,
	     MOUNT_ATTR__ATIME);
	attr("norelatime changes nothing", (char *const[]){ "norelatime", NULL }, 0, 0);
	attr("superblock flags are not mount attributes", (char *const[]){ "sync", "dirsync", "mand", "remount", NULL },
	     0, 0);
}

int main(void)
{
	test_flag_table();
	test_propagation();
	test_recursive();
	test_last_wins();
	test_data();
	test_empty_and_errors();
	test_attr();
	return tap_done();
}
