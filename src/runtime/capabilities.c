#include "runtime/capabilities.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "util/cleanup.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

static int last_cap_cached = -1;

static int read_last_cap(void)
{
	_cleanup_close_ int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char buf[16];
	ssize_t n;
	int v = 0;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (buf[i] - '0');
	return v;
}

/* Without /proc: PR_CAPBSET_READ fails with EINVAL past the last capability. */
static int probe_last_cap(void)
{
	int lo = 0, hi = 63;

	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if (prctl(PR_CAPBSET_READ, (unsigned long)mid, 0, 0, 0) >= 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

int berth_capabilities_last_cap(void)
{
	int v = last_cap_cached;

	if (v >= 0)
		return v;
	v = read_last_cap();
	if (v <= 0)
		v = probe_last_cap();
	if (v > 63)
		v = 63;
	last_cap_cached = v;
	return v;
}

static uint64_t known_mask(void)
{
	int last = berth_capabilities_last_cap();

	return last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

int berth_capabilities_apply_bounding(const struct berth_oci_capabilities *caps, struct berth_error *err)
{
	int last = berth_capabilities_last_cap();

	for (int c = 0; c <= last; c++) {
		int r;

		if (caps->bounding & (UINT64_C(1) << c))
			continue;
		/* dropping an absent capability still needs CAP_SETPCAP: look first */
		r = prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0);
		if (r == 0)
			continue;
		if (r < 0) {
			if (errno == EINVAL)
				continue;
			return berth_error_set(err, errno, "read bounding capability %d", c);
		}
		if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0)
			return berth_error_set(err, errno, "drop capability %d from the bounding set", c);
	}
	return 0;
}

int berth_capabilities_set_keepcaps(bool keep, struct berth_error *err)
{
	if (prctl(PR_SET_KEEPCAPS, keep ? 1UL : 0UL, 0, 0, 0) < 0)
		return berth_error_set(err, errno, "%s keep-caps", keep ? "set" : "clear");
	return 0;
}

static void capt_freep(cap_t *c)
{
	if (*c)
		cap_free(*c);
}

static int fill_set(cap_t c, cap_flag_t flag, uint64_t mask)
{
	for (int i = 0; i < 64; i++) {
		cap_value_t v = i;

		if (!(mask & (UINT64_C(1) << i)))
			continue;
		if (cap_set_flag(c, flag, 1, &v, CAP_SET) < 0)
			return -errno;
	}
	return 0;
}

static int apply_ambient(uint64_t ambient, struct berth_error *err)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		/* EINVAL: kernel before 4.3, no ambient set to clear or raise (runc tolerates it) */
		if (errno == EINVAL)
			return 0;
		return berth_error_set(err, errno, "clear the ambient capabilities");
	}
	for (int i = 0; i < 64; i++)
		if (ambient & (UINT64_C(1) << i))
			/* runc only warns when a raise fails (capability not permitted and inheritable) */
			(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)i, 0, 0);
	return 0;
}

int berth_capabilities_apply(const struct berth_oci_capabilities *caps, struct berth_error *err)
{
	_cleanup_(capt_freep) cap_t c = NULL;
	uint64_t known = known_mask();
	int r;

	c = cap_init();
	if (!c)
		return berth_error_set(err, errno, "allocate capability state");
	r = fill_set(c, CAP_EFFECTIVE, caps->effective & known);
	if (r == 0)
		r = fill_set(c, CAP_PERMITTED, caps->permitted & known);
	if (r == 0)
		r = fill_set(c, CAP_INHERITABLE, caps->inheritable & known);
	if (r < 0)
		return berth_error_set(err, -r, "build capability sets");
	if (cap_set_proc(c) < 0)
		return berth_error_set(err, errno,
				       "set capabilities (effective %#llx, permitted %#llx, inheritable %#llx)",
				       (unsigned long long)(caps->effective & known),
				       (unsigned long long)(caps->permitted & known),
				       (unsigned long long)(caps->inheritable & known));
	return apply_ambient(caps->ambient & known, err);
}
