/* runtime/capabilities: apply capability sets in forked children and read them back from /proc. */
#include "runtime/capabilities.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/user.h"
#include "tap.h"
#include "util/cleanup.h"

#define BIT(c) (UINT64_C(1) << (c))

struct state {
	int rc;
	char msg[256];
	uint64_t inh, prm, eff, bnd, amb;
	unsigned uid;
};

static void read_status(struct state *st)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];

	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "CapInh: %" SCNx64, &st->inh);
		sscanf(line, "CapPrm: %" SCNx64, &st->prm);
		sscanf(line, "CapEff: %" SCNx64, &st->eff);
		sscanf(line, "CapBnd: %" SCNx64, &st->bnd);
		sscanf(line, "CapAmb: %" SCNx64, &st->amb);
		sscanf(line, "Uid: %u", &st->uid);
	}
}

typedef int (*scenario_fn)(const struct berth_oci_capabilities *caps, struct berth_error *err);

/* Run fn in a child, then report the child's capability sets. */
static bool run(scenario_fn fn, const struct berth_oci_capabilities *caps, struct state *st)
{
	int p[2], status = 0;
	pid_t pid;

	memset(st, 0, sizeof(*st));
	if (pipe(p) < 0)
		return false;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct berth_error err = BERTH_ERROR_INIT;
		struct state s = { 0 };

		close(p[0]);
		s.rc = fn(caps, &err);
		if (s.rc < 0)
			snprintf(s.msg, sizeof(s.msg), "%s", err.msg ? err.msg : "?");
		read_status(&s);
		_exit(write(p[1], &s, sizeof(s)) == sizeof(s) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], st, sizeof(*st)) != sizeof(*st))
		st->rc = -EIO;
	close(p[0]);
	waitpid(pid, &status, 0);
	if (st->rc < 0)
		tap_diag("child error: %s", st->msg);
	return st->rc == 0;
}

static int as_root(const struct berth_oci_capabilities *caps, struct berth_error *err)
{
	int r = berth_capabilities_apply_bounding(caps, err);

	return r < 0 ? r : berth_capabilities_apply(caps, err);
}

/* inheritable and ambient already non-empty before applying a config that leaves them empty */
static int as_root_dirty(const struct berth_oci_capabilities *caps, struct berth_error *err)
{
	struct berth_oci_capabilities dirty = {
		.bounding = ~UINT64_C(0),
		.effective = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SETPCAP),
		.permitted = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SETPCAP),
		.inheritable = BIT(CAP_NET_BIND_SERVICE),
		.ambient = BIT(CAP_NET_BIND_SERVICE),
	};
	struct state st = { 0 };
	int r;

	r = berth_capabilities_apply(&dirty, err);
	if (r < 0)
		return r;
	read_status(&st);
	if (st.inh == 0 || st.amb == 0)
		return berth_error_setx(err, EINVAL, "could not dirty the inheritable/ambient sets");
	return as_root(caps, err);
}

/* the finalize order around the switch to a non-root user */
static int as_user(const struct berth_oci_capabilities *caps, struct berth_error *err)
{
	struct berth_oci_user u = { .uid = 1000, .gid = 1000 };
	int r;

	r = berth_capabilities_apply_bounding(caps, err);
	if (r == 0)
		r = berth_capabilities_set_keepcaps(true, err);
	if (r == 0)
		r = berth_user_apply(&u, true, err);
	if (r == 0)
		r = berth_capabilities_set_keepcaps(false, err);
	if (r == 0)
		r = berth_capabilities_apply(caps, err);
	return r;
}

static uint64_t all_known(void)
{
	int last = berth_capabilities_last_cap();

	return last >= 63 ? ~UINT64_C(0) : BIT(last + 1) - 1;
}

static void test_last_cap(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int v = -1;

	if (!f || fscanf(f, "%d", &v) != 1) {
		tap_ok(berth_capabilities_last_cap() >= CAP_AUDIT_READ, "last cap (no /proc value to compare)");
		return;
	}
	tap_ok(berth_capabilities_last_cap() == v, "last cap %d matches /proc (%d)", berth_capabilities_last_cap(), v);
}

static void test_root_sets(void)
{
	uint64_t set = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL);
	struct berth_oci_capabilities caps = { .bounding = set, .effective = set, .permitted = set };
	struct state st;

	if (!tap_ok(run(as_root, &caps, &st), "apply as root"))
		return;
	tap_ok(st.bnd == set, "CapBnd %#" PRIx64 " == %#" PRIx64, st.bnd, set);
	tap_ok(st.prm == set, "CapPrm %#" PRIx64 " == %#" PRIx64, st.prm, set);
	tap_ok(st.eff == set, "CapEff %#" PRIx64 " == %#" PRIx64, st.eff, set);
	tap_ok(st.inh == 0, "CapInh empty when not asked (%#" PRIx64 ")", st.inh);
	tap_ok(st.amb == 0, "CapAmb empty when not asked (%#" PRIx64 ")", st.amb);
}

static void test_clears_inheritable_ambient(void)
{
	uint64_t set = BIT(CAP_NET_BIND_SERVICE);
	struct berth_oci_capabilities caps = { .bounding = set, .effective = set, .permitted = set };
	struct state st;

	if (!tap_ok(run(as_root_dirty, &caps, &st), "apply over non-empty inheritable/ambient"))
		return;
	tap_ok(st.inh == 0, "CapInh cleared (%#" PRIx64 ")", st.inh);
	tap_ok(st.amb == 0, "CapAmb cleared (%#" PRIx64 ")", st.amb);
	tap_ok(st.eff == set && st.prm == set, "CapEff/CapPrm as asked");
}

static void test_ambient(void)
{
	uint64_t set = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_NET_RAW);
	struct berth_oci_capabilities caps = {
		.bounding = set,
		.effective = set,
		.permitted = set,
		.inheritable = set,
		/* CAP_SYS_ADMIN is not permitted: skipped, not fatal (runc) */
		.ambient = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SYS_ADMIN),
	};
	struct state st;

	if (!tap_ok(run(as_user, &caps, &st), "apply with ambient as uid 1000"))
		return;
	tap_ok(st.uid == 1000, "uid switched (%u)", st.uid);
	tap_ok(st.inh == set, "CapInh %#" PRIx64 " == %#" PRIx64, st.inh, set);
	tap_ok(st.amb == BIT(CAP_NET_BIND_SERVICE), "CapAmb %#" PRIx64, st.amb);
	tap_ok(st.eff == set && st.prm == set && st.bnd == set, "CapEff/CapPrm/CapBnd as asked");
}

static void test_user_switch(void)
{
	/* docker's default set */
	uint64_t set = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FSETID) | BIT(CAP_FOWNER) | BIT(CAP_MKNOD) |
		       BIT(CAP_NET_RAW) | BIT(CAP_SETGID) | BIT(CAP_SETUID) | BIT(CAP_SETFCAP) | BIT(CAP_SETPCAP) |
		       BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SYS_CHROOT) | BIT(CAP_KILL) | BIT(CAP_AUDIT_WRITE);
	struct berth_oci_capabilities caps = { .bounding = set, .effective = set, .permitted = set };
	struct state st;

	if (!tap_ok(run(as_user, &caps, &st), "apply across the switch to uid 1000"))
		return;
	tap_ok(st.uid == 1000, "uid switched (%u)", st.uid);
	tap_ok(st.eff == set && st.prm == set && st.bnd == set,
	       "keep-caps kept them: CapEff %#" PRIx64 " CapPrm %#" PRIx64 " CapBnd %#" PRIx64, st.eff, st.prm, st.bnd);
	tap_ok(st.inh == 0 && st.amb == 0, "CapInh/CapAmb empty");

	caps = (struct berth_oci_capabilities){ 0 };
	if (!tap_ok(run(as_user, &caps, &st), "no capabilities at all as uid 1000"))
		return;
	tap_ok(st.eff == 0 && st.prm == 0 && st.bnd == 0 && st.inh == 0 && st.amb == 0, "every set empty");
}

static void test_unknown_caps_ignored(void)
{
	uint64_t set = BIT(CAP_CHOWN) | BIT(63);
	struct berth_oci_capabilities caps = { .bounding = ~UINT64_C(0), .effective = set, .permitted = set };
	struct state st, self = { 0 };

	read_status(&self);
	if (berth_capabilities_last_cap() >= 63) {
		tap_ok(true, "# SKIP kernel knows capability 63");
		return;
	}
	if (!tap_ok(run(as_root, &caps, &st), "capabilities above cap_last_cap are ignored"))
		return;
	tap_ok(st.eff == BIT(CAP_CHOWN) && st.bnd == (self.bnd & all_known()),
	       "only known bits set (eff %#" PRIx64 ", bnd %#" PRIx64 ")", st.eff, st.bnd);
}

int main(void)
{
	if (geteuid() != 0)
		tap_skip_all("needs root");
	{
		/* the tests need these in our own effective set */
		struct state st = { 0 };

		read_status(&st);
		if (!(st.eff & BIT(CAP_SETPCAP)) || !(st.eff & BIT(CAP_SETUID)))
			tap_skip_all("needs CAP_SETPCAP and CAP_SETUID");
	}
	test_last_cap();
	test_root_sets();
	test_clears_inheritable_ambient();
	test_ambient();
	test_user_switch();
	test_unknown_caps_ignored();
	return tap_done();
}
