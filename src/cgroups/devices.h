#pragma once
/*
 * linux.resources.devices, the same on cgroup v1 and v2 (as runc does it):
 *
 * 1. The rule list (the configured rules, then berth_cgroup_default_device_rules())
 *    runs through an emulation of the v1 devices cgroup
 *    (berth_cgroup_devices_compute(), after runc's devices emulator): an 'a'
 *    rule resets everything to allow-all or deny-all; any other rule adds an
 *    exception to the default (access merged into an identical entry) or takes
 *    access away from an identical exception.  Taking away access that a
 *    wildcard exception still grants ("allow c 61:* rwm" then "deny c 61:0 r")
 *    is refused with EINVAL, since v1 would silently keep the access: "cannot
 *    punch a hole in a wildcard".
 * 2. v1 writes the result: "a" to devices.deny (or .allow), then every
 *    exception.  v2 has no devices files: an eBPF program of type
 *    BPF_PROG_TYPE_CGROUP_DEVICE is assembled here from the result (no libbpf,
 *    no compiler), loaded with bpf(2) and attached to the container's cgroup
 *    with BPF_F_ALLOW_MULTI, replacing the program attached before.  It decides
 *    as v1 does: with deny-all, a request passes when one exception's access
 *    covers all of it; with allow-all, it fails when an exception shares any
 *    access bit with it.
 *
 * Since Linux 5.11 BPF memory is charged to the memory cgroup, so no
 * RLIMIT_MEMLOCK (and no CAP_SYS_RESOURCE) is needed.
 */
#include <stdbool.h>
#include <stddef.h>

#include "cgroups/resources.h"
#include "util/error.h"

/* The outcome of a rule list: a default and the exceptions to it. */
struct berth_cgroup_device_state {
	bool default_allow;
	/* each with allow == !default_allow, type 'c' or 'b', no two with the same type, major and minor */
	struct berth_cgroup_device_rule *exceptions;
	size_t n_exceptions;
};

/*
 * Run rules[0..n) through the emulation, starting from deny-all.  Rules at
 * index n_configured and later are named "default device rule N" in errors,
 * the others "linux.resources.devices[N]".
 */
int berth_cgroup_devices_compute(const struct berth_cgroup_device_rule *rules, size_t n, size_t n_configured,
				 struct berth_cgroup_device_state *ret, struct berth_error *err);

void berth_cgroup_device_state_release(struct berth_cgroup_device_state *st);

/* "c 1:3 rwm", "b *:* m", "a" (the v1 devices.allow syntax); buf of 64 bytes is enough. */
void berth_cgroup_device_rule_format(const struct berth_cgroup_device_rule *d, char *buf, size_t size);

struct bpf_insn;

/*
 * Assemble the device program for st; free(*ret).  Exceptions with a major or
 * minor above INT32_MAX can match no device (the kernel's are 12 and 20
 * bits) and are left out.
 */
void berth_cgroup_bpf_devices_build(const struct berth_cgroup_device_state *st, struct bpf_insn **ret, size_t *ret_n);

/* Load a program built above; *ret_fd is the program fd (O_CLOEXEC).  The verifier's complaint ends the message. */
int berth_cgroup_bpf_devices_load(const struct bpf_insn *insns, size_t n, int *ret_fd, struct berth_error *err);

/*
 * Attach prog_fd to the cgroup2 directory cgroup_fd (cgroup_name for
 * messages) for BPF_CGROUP_DEVICE and detach the programs attached there
 * before, atomically (BPF_F_REPLACE) when there was exactly one.
 */
int berth_cgroup_bpf_devices_attach(int cgroup_fd, const char *cgroup_name, int prog_fd, struct berth_error *err);

/* The number of device programs attached directly to cgroup_fd. */
int berth_cgroup_bpf_devices_count(int cgroup_fd, size_t *ret, struct berth_error *err);
