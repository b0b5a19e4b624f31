/* linux.resources.devices on cgroup v2: a hand-assembled BPF_PROG_TYPE_CGROUP_DEVICE program. */
#include "cgroups/devices.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroups/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define PROG_NAME "berth_devices"
#define LOG_SIZE (64 << 10)
/* BPF_PROG_QUERY: the kernel allows 64 programs per attach point; the buffer grows on ENOSPC */
#define QUERY_FIRST 64
#define ATTACH_ATTEMPTS 10

/* registers: r1 context, then r2 type, r3 access, r4 major, r5 minor */
enum { R0, R1, R2, R3, R4, R5 };

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

#define LDX_W(dst, src, off) insn(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) insn(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_IMM(op, dst, imm) insn(BPF_JMP | (op) | BPF_K, dst, 0, 0, imm) /* offset patched later */
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct prog {
	struct bpf_insn *insns;
	size_t n, cap;
};

static size_t emit(struct prog *p, struct bpf_insn i)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->insns = berth_xreallocarray(p->insns, p->cap, sizeof(*p->insns));
	}
	p->insns[p->n] = i;
	return p->n++;
}

static int access_bits(const char *access)
{
	int bits = 0;

	for (const char *a = access; *a; a++)
		bits |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : *a == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
	return bits;
}

/*
 * One exception: a run of "goto next if it does not match" tests, then
 * "return allow"; the jumps all land just past the block.  As in v1, an allow
 * exception must cover all of the access requested, a deny exception matches
 * when it shares any of it.
 */
static void emit_exception(struct prog *p, const struct berth_cgroup_device_rule *d)
{
	const int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
	int acc = access_bits(d->access);
	size_t jumps[4], n_jumps = 0;

	jumps[n_jumps++] = emit(p, JMP_IMM(BPF_JNE, R2, d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
	if (acc != all) {
		emit(p, MOV32_REG(R1, R3));
		if (d->allow) {
			emit(p, ALU32_IMM(BPF_AND, R1, all & ~acc));
			jumps[n_jumps++] = emit(p, JMP_IMM(BPF_JNE, R1, 0));
		} else {
			emit(p, ALU32_IMM(BPF_AND, R1, acc));
			jumps[n_jumps++] = emit(p, JMP_IMM(BPF_JEQ, R1, 0));
		}
	}
	if (d->major >= 0)
		jumps[n_jumps++] = emit(p, JMP_IMM(BPF_JNE, R4, (int32_t)d->major));
	if (d->minor >= 0)
		jumps[n_jumps++] = emit(p, JMP_IMM(BPF_JNE, R5, (int32_t)d->minor));
	emit(p, MOV64_IMM(R0, d->allow ? 1 : 0));
	emit(p, EXIT());
	for (size_t i = 0; i < n_jumps; i++)
		p->insns[jumps[i]].off = (int16_t)(p->n - jumps[i] - 1);
}

void berth_cgroup_bpf_devices_build(const struct berth_cgroup_device_state *st, struct bpf_insn **ret, size_t *ret_n)
{
	struct prog p = { 0 };

	/* ctx: struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } */
	emit(&p, LDX_W(R2, R1, 0));
	emit(&p, ALU32_IMM(BPF_AND, R2, 0xFFFF));
	emit(&p, LDX_W(R3, R1, 0));
	emit(&p, ALU32_IMM(BPF_RSH, R3, 16));
	emit(&p, LDX_W(R4, R1, 4));
	emit(&p, LDX_W(R5, R1, 8));
	/* every exception has the same verdict: their order does not matter */
	for (size_t i = 0; i < st->n_exceptions; i++) {
		const struct berth_cgroup_device_rule *d = &st->exceptions[i];

		if (d->major <= INT32_MAX && d->minor <= INT32_MAX && access_bits(d->access) != 0)
			emit_exception(&p, d);
	}
	emit(&p, MOV64_IMM(R0, st->default_allow ? 1 : 0));
	emit(&p, EXIT());
	*ret = p.insns;
	*ret_n = p.n;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* The last line of the verifier log: the reason. */
static const char *log_reason(char *log)
{
	size_t len = strlen(log);
	char *nl;

	while (len > 0 && log[len - 1] == '\n')
		log[--len] = '\0';
	nl = strrchr(log, '\n');
	return nl ? nl + 1 : log;
}

int berth_cgroup_bpf_devices_load(const struct bpf_insn *insns, size_t n, int *ret_fd, struct berth_error *err)
{
	_cleanup_free_ char *log = NULL;
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t) "Apache-2.0";
	memcpy(attr.prog_name, PROG_NAME, sizeof(PROG_NAME));
	/* bpf(2) fds are O_CLOEXEC always */
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0) {
		*ret_fd = fd;
		return 0;
	}
	if (errno != EINVAL && errno != EACCES)
		return berth_error_set(err, errno, "load the eBPF device program");

	/* again with the verifier log, to say why */
	log = berth_xzalloc(LOG_SIZE);
	attr.log_level = 1;
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = LOG_SIZE;
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0) {
		*ret_fd = fd;
		return 0;
	}
	return berth_error_set(err, errno, "load the eBPF device program (verifier: %s)", log_reason(log));
}

/* The ids of the device programs attached directly to cgroup_fd. */
static int query(int cgroup_fd, uint32_t **ret, size_t *ret_n, struct berth_error *err)
{
	_cleanup_free_ uint32_t *ids = NULL;
	union bpf_attr attr;

	for (uint32_t cap = QUERY_FIRST;; cap *= 2) {
		ids = berth_xreallocarray(ids, cap, sizeof(*ids));
		memset(&attr, 0, sizeof(attr));
		attr.query.target_fd = (uint32_t)cgroup_fd;
		attr.query.attach_type = BPF_CGROUP_DEVICE;
		attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
		attr.query.prog_cnt = cap;
		if (sys_bpf(BPF_PROG_QUERY, &attr) == 0)
			break;
		if (errno != ENOSPC || cap >= 65536)
			return berth_error_set(err, errno, "query eBPF device programs");
	}
	*ret_n = attr.query.prog_cnt;
	*ret = TAKE_PTR(ids);
	return 0;
}

int berth_cgroup_bpf_devices_count(int cgroup_fd, size_t *ret, struct berth_error *err)
{
	_cleanup_free_ uint32_t *ids = NULL;

	return query(cgroup_fd, &ids, ret, err);
}

/* -ENOENT when the program went away meanwhile (a concurrent update). */
static int prog_fd_by_id(uint32_t id)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	return fd < 0 ? -errno : fd;
}

static int detach_all(int cgroup_fd, const char *name, const uint32_t *ids, size_t n, struct berth_error *err)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int fd = prog_fd_by_id(ids[i]);
		union bpf_attr attr;

		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return berth_error_set(err, -fd, "open eBPF device program %u of `%s`", ids[i], name);
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)cgroup_fd;
		attr.attach_bpf_fd = (uint32_t)fd;
		attr.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
			return berth_error_set(err, errno, "detach the old eBPF device program from `%s`", name);
	}
	return 0;
}

int berth_cgroup_bpf_devices_attach(int cgroup_fd, const char *name, int prog_fd, struct berth_error *err)
{
	bool use_replace = true;

	for (int attempt = 0;; attempt++) {
		_cleanup_free_ uint32_t *ids = NULL;
		_cleanup_close_ int replace_fd = -EBADF;
		union bpf_attr attr;
		size_t n = 0;
		int r;

		r = query(cgroup_fd, &ids, &n, err);
		if (r < 0)
			return berth_error_prefix(err, "cgroup `%s`", name);
		if (use_replace && n == 1) {
			replace_fd = prog_fd_by_id(ids[0]);
			if (replace_fd == -ENOENT && attempt < ATTACH_ATTEMPTS)
				continue;
			if (replace_fd < 0)
				return berth_error_set(err, -replace_fd, "open the eBPF device program of `%s`", name);
		}
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)cgroup_fd;
		attr.attach_bpf_fd = (uint32_t)prog_fd;
		attr.attach_type = BPF_CGROUP_DEVICE;
		attr.attach_flags = BPF_F_ALLOW_MULTI;
		if (replace_fd >= 0) {
			attr.attach_flags |= BPF_F_REPLACE;
			attr.replace_bpf_fd = (uint32_t)replace_fd;
		}
		if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) {
			if (errno == ENOENT && replace_fd >= 0 && attempt < ATTACH_ATTEMPTS)
				continue; /* replaced by someone else meanwhile */
			if (errno == EINVAL && replace_fd >= 0) {
				use_replace = false; /* kernel before 5.6 */
				continue;
			}
			return berth_error_set(err, errno, "attach the eBPF device program to `%s`", name);
		}
		/* the new program is in force: now drop the old ones */
		return replace_fd >= 0 ? 0 : detach_all(cgroup_fd, name, ids, n, err);
	}
}

int berth_cgroup_v2_apply_devices(struct berth_cgroup *cg, const struct berth_cgroup_resources *r, bool update,
				  struct berth_error *err)
{
	struct berth_cgroup_device_state st = { 0 };
	_cleanup_free_ struct bpf_insn *insns = NULL;
	_cleanup_close_ int prog_fd = -EBADF;
	struct berth_cgroup_dir *dir = berth_cgroup_unified_dir(cg);
	size_t n_insns;
	int ret;

	if (update && !r->has_devices)
		return 0;
	if (!dir)
		return berth_error_setx(err, ENOENT, "no cgroup v2 directory for the device rules");
	ret = berth_cgroup_devices_state_for(r, &st, err);
	if (ret < 0)
		return ret;
	berth_cgroup_bpf_devices_build(&st, &insns, &n_insns);
	berth_cgroup_device_state_release(&st);
	ret = berth_cgroup_bpf_devices_load(insns, n_insns, &prog_fd, err);
	if (ret < 0)
		return ret;
	return berth_cgroup_bpf_devices_attach(dir->dfd, dir->full, prog_fd, err);
}
