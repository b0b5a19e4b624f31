#pragma once
/*
 * Device access control on cgroup v2, which has no devices files: an eBPF
 * program of type BPF_PROG_TYPE_CGROUP_DEVICE assembled here from the rules
 * (no libbpf, no compiler), loaded with bpf(2) and attached to the container's
 * cgroup with BPF_F_ALLOW_MULTI, replacing the program attached before.
 *
 * The program decides like the OCI list reads: the last rule that matches a
 * request wins, and no match denies.  A rule matches when type, major and
 * minor match (-1 for any) and, for an allow rule, its access covers all of
 * the access asked for (open for read and write needs "rw" in one rule), for
 * a deny rule, when it shares any access bit with the request.  An 'a' rule
 * matches every request (numbers and access ignored, as "a" on v1).  A major
 * or minor above INT32_MAX can match no device (the kernel's are 12 and 20
 * bits) and such rules are left out.
 *
 * Since Linux 5.11 BPF memory is charged to the memory cgroup, so no
 * RLIMIT_MEMLOCK (and no CAP_SYS_RESOURCE) is needed.
 */
#include <stddef.h>

#include "cgroups/resources.h"
#include "util/error.h"

struct bpf_insn;

/* Assemble the program for rules[0..n); free(*ret).  Cannot fail on rules from berth_cgroup_resources_parse(). */
int berth_cgroup_bpf_devices_build(const struct berth_cgroup_device_rule *rules, size_t n, struct bpf_insn **ret,
				   size_t *ret_n, struct berth_error *err);

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
