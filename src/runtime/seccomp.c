#include "runtime/seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* libseccomp's; see the end of runtime/seccomp.h */
#define BERTH_SECCOMP_WANT_LIBSECCOMP
#include <seccomp.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define X32_SYSCALL_BIT 0x40000000U
#define RET_ENOSYS (SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA))
#define MAX_SYSCALL_ARGS 6
/* runc's threshold: libseccomp <= 2.5.4 misbehaves with the binary tree and no rules */
#define OPTIMIZE_MIN_SYSCALLS 32

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

static int action_to_scmp(enum berth_seccomp_action a, bool has_errno_ret, unsigned errno_ret, uint32_t *ret,
			  struct berth_error *err)
{
	unsigned e = has_errno_ret ? errno_ret : EPERM;

	if ((has_errno_ret && (a == BERTH_SECCOMP_ERRNO || a == BERTH_SECCOMP_TRACE)) && errno_ret > 0xffff)
		return berth_error_setx(err, EINVAL, "errnoRet %u out of range", errno_ret);

	switch (a) {
	case BERTH_SECCOMP_KILL:
	case BERTH_SECCOMP_KILL_THREAD:
		*ret = SCMP_ACT_KILL_THREAD;
		return 0;
	case BERTH_SECCOMP_KILL_PROCESS:
		*ret = SCMP_ACT_KILL_PROCESS;
		return 0;
	case BERTH_SECCOMP_TRAP:
		*ret = SCMP_ACT_TRAP;
		return 0;
	case BERTH_SECCOMP_ERRNO:
		*ret = SCMP_ACT_ERRNO(e);
		return 0;
	case BERTH_SECCOMP_TRACE:
		*ret = SCMP_ACT_TRACE(e);
		return 0;
	case BERTH_SECCOMP_ALLOW:
		*ret = SCMP_ACT_ALLOW;
		return 0;
	case BERTH_SECCOMP_LOG:
		*ret = SCMP_ACT_LOG;
		return 0;
	case BERTH_SECCOMP_NOTIFY:
		*ret = SCMP_ACT_NOTIFY;
		return 0;
	default:
		return berth_error_setx(err, EINVAL, "invalid seccomp action %d", (int)a);
	}
}

static int op_to_scmp(enum berth_seccomp_op op, enum scmp_compare *ret)
{
	switch (op) {
	case BERTH_SECCOMP_OP_NOT_EQUAL:
		*ret = SCMP_CMP_NE;
		return 0;
	case BERTH_SECCOMP_OP_LESS_THAN:
		*ret = SCMP_CMP_LT;
		return 0;
	case BERTH_SECCOMP_OP_LESS_EQUAL:
		*ret = SCMP_CMP_LE;
		return 0;
	case BERTH_SECCOMP_OP_EQUAL_TO:
		*ret = SCMP_CMP_EQ;
		return 0;
	case BERTH_SECCOMP_OP_GREATER_EQUAL:
		*ret = SCMP_CMP_GE;
		return 0;
	case BERTH_SECCOMP_OP_GREATER_THAN:
		*ret = SCMP_CMP_GT;
		return 0;
	case BERTH_SECCOMP_OP_MASKED_EQUAL:
		*ret = SCMP_CMP_MASKED_EQ;
		return 0;
	default:
		return -EINVAL;
	}
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token (SCMP_ARCH_X86_64). */
static int arch_from_oci(const char *name, uint32_t *ret, struct berth_error *err)
{
	char lower[64];
	const char *p = name;
	size_t i;
	uint32_t token;

	if (strncmp(p, "SCMP_ARCH_", 10) == 0)
		p += 10;
	for (i = 0; p[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)p[i]);
	lower[i] = '\0';
	token = seccomp_arch_resolve_name(lower);
	if (token == 0)
		return berth_error_setx(err, EINVAL, "seccomp architecture `%s` is not supported by libseccomp", name);
	*ret = token;
	return 0;
}

/* Kernel filter flags asked for by the profile; WAIT_KILLABLE_RECV reported apart (needs a listener). */
static int flags_from_oci(char *const *flags, unsigned *ret, bool *ret_wait_killable, struct berth_error *err)
{
	unsigned f = 0;

	*ret_wait_killable = false;
	for (size_t i = 0; flags && flags[i]; i++) {
		if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_TSYNC") == 0)
			f |= SECCOMP_FILTER_FLAG_TSYNC;
		else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_LOG") == 0)
			f |= SECCOMP_FILTER_FLAG_LOG;
		else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			f |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
			*ret_wait_killable = true;
		else
			return berth_error_setx(err, EINVAL, "seccomp flag `%s` is not known", flags[i]);
	}
	*ret = f;
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct berth_oci_seccomp_syscall *sc, const char *name,
		    uint32_t action, struct berth_error *err)
{
	struct scmp_arg_cmp conds[MAX_SYSCALL_ARGS * 8];
	unsigned per_index[MAX_SYSCALL_ARGS] = { 0 };
	bool split = false;
	size_t n = sc->n_args;
	int nr, r;

	if (!name || !*name)
		return berth_error_setx(err, EINVAL, "empty syscall name");

	/* Unknown here: the profile is newer than this libseccomp, like runc skip it. */
	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0;

	if (n > ARRAY_SIZE(conds))
		return berth_error_setx(err, E2BIG, "syscall `%s`: too many args (%zu)", name, n);
	for (size_t i = 0; i < n; i++) {
		const struct berth_oci_seccomp_arg *a = &sc->args[i];
		enum scmp_compare op;

		if (a->index >= MAX_SYSCALL_ARGS)
			return berth_error_setx(err, EINVAL, "syscall `%s`: arg index %u out of range", name, a->index);
		if (op_to_scmp(a->op, &op) < 0)
			return berth_error_setx(err, EINVAL, "syscall `%s`: invalid operator %d", name, (int)a->op);
		/* for SCMP_CMP_MASKED_EQ: datum_a is the mask, datum_b the value (as in the spec) */
		conds[i] = (struct scmp_arg_cmp){
			.arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two
		};
		if (++per_index[a->index] > 1)
			split = true;
	}

	if (!split) {
		r = seccomp_rule_add_array(ctx, action, nr, (unsigned)n, n ? conds : NULL);
		if (r < 0)
			return berth_error_set(err, -r, "add seccomp rule for syscall `%s`", name);
		return 0;
	}
	/* runc: conditions on a repeated index cannot be AND-ed by libseccomp, one rule each (OR) */
	for (size_t i = 0; i < n; i++) {
		r = seccomp_rule_add_array(ctx, action, nr, 1, &conds[i]);
		if (r < 0)
			return berth_error_set(err, -r, "add seccomp rule for syscall `%s`", name);
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_n, struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ struct sock_filter *insns = NULL;
	struct stat st;
	ssize_t got;
	int r;

	fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return berth_error_set(err, -r, "export seccomp filter");
	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "stat exported seccomp filter");
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0)
		return berth_error_setx(err, EINVAL, "exported seccomp filter has a bad size (%lld)",
					(long long)st.st_size);
	insns = berth_xmalloc((size_t)st.st_size);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berth_error_set(err, errno, "seek exported seccomp filter");
	got = berth_read_all(fd, insns, (size_t)st.st_size);
	if (got < 0)
		return berth_error_set(err, (int)-got, "read exported seccomp filter");
	if (got != st.st_size)
		return berth_error_setx(err, EIO, "short read of exported seccomp filter");
	*ret_n = (size_t)st.st_size / sizeof(struct sock_filter);
	*ret = TAKE_PTR(insns);
	return 0;
}

/* ---- the -ENOSYS stub (runc's patchbpf) ---- */

#define STUB_MAX_ARCHES 32
#define STUB_MAX_INSNS 512
#define LABEL_FILTER (-1)

struct stub_arch {
	uint32_t audit;    /* AUDIT_ARCH_* seen in seccomp_data.arch */
	uint32_t last;     /* highest syscall number in the profile (x86_64: the non-x32 part) */
	uint32_t last_x32; /* x86_64 only: highest x32 number, X32_SYSCALL_BIT included */
	bool has_last, has_x32;
	unsigned start; /* index of the section */
};

struct stub {
	struct sock_filter insns[STUB_MAX_INSNS];
	int label[STUB_MAX_INSNS]; /* for BPF_JA: LABEL_FILTER or an arch index; -2 when resolved */
	unsigned n;
};

static void emit(struct stub *s, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	s->label[s->n] = -2;
	s->insns[s->n++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

static void emit_ja(struct stub *s, int label)
{
	s->label[s->n] = label;
	s->insns[s->n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
}

/* if (nr > last) return ENOSYS; else goto filter */
static void emit_check(struct stub *s, uint32_t last)
{
	emit(s, BPF_JMP | BPF_JGT | BPF_K, last, 0, 1);
	emit(s, BPF_RET | BPF_K, RET_ENOSYS, 0, 0);
	emit_ja(s, LABEL_FILTER);
}

static void emit_section(struct stub *s, struct stub_arch *a)
{
	a->start = s->n;
	emit(s, BPF_LD | BPF_W | BPF_ABS, (uint32_t)offsetof(struct seccomp_data, nr), 0, 0);
	/* s390(x): unknown "large" syscalls reach the filter as setup(2) = 0 */
	if (a->audit == AUDIT_ARCH_S390 || a->audit == AUDIT_ARCH_S390X) {
		emit(s, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1);
		emit(s, BPF_RET | BPF_K, RET_ENOSYS, 0, 0);
	}
	if (a->audit == AUDIT_ARCH_X86_64) {
		/* x32 calls come in as x86_64 with X32_SYSCALL_BIT set in nr */
		emit(s, BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, a->has_last ? 3 : 1, 0);
		if (a->has_last)
			emit_check(s, a->last);
		else
			emit_ja(s, LABEL_FILTER);
		if (a->has_x32)
			emit_check(s, a->last_x32);
		else
			emit_ja(s, LABEL_FILTER);
		return;
	}
	emit_check(s, a->last);
}

static bool stub_wanted(const struct berth_oci_seccomp *s)
{
	if (s->has_default_errno_ret && s->default_errno_ret == ENOSYS)
		return false;
	/* permissive defaults already let new syscalls through; TRACE: the tracer handles ENOSYS itself */
	return s->default_action != BERTH_SECCOMP_ALLOW && s->default_action != BERTH_SECCOMP_LOG &&
	       s->default_action != BERTH_SECCOMP_TRACE;
}

/* Highest syscall number the profile names on one libseccomp arch; false if none. */
static bool last_syscall(const struct berth_oci_seccomp *s, uint32_t token, uint32_t *ret)
{
	int last = -1;

	for (size_t i = 0; i < s->n_syscalls; i++)
		for (char **name = s->syscalls[i].names; name && *name; name++) {
			int nr = seccomp_syscall_resolve_name_arch(token, *name);
			if (nr > last)
				last = nr; /* pseudo-syscalls and errors are negative */
		}
	if (last <= 0)
		return false;
	*ret = (uint32_t)last;
	return true;
}

static struct stub_arch *stub_arch_get(struct stub_arch *arches, size_t *n, uint32_t audit)
{
	for (size_t i = 0; i < *n; i++)
		if (arches[i].audit == audit)
			return &arches[i];
	if (*n == STUB_MAX_ARCHES)
		return NULL;
	arches[*n] = (struct stub_arch){ .audit = audit };
	return &arches[(*n)++];
}

/*
 * Like runc, only the architectures listed in the profile get a section; the
 * others (the native one included when not listed) go straight to the
 * libseccomp filter.
 */
static int build_stub(const struct berth_oci_seccomp *s, struct stub *st, struct berth_error *err)
{
	struct stub_arch arches[STUB_MAX_ARCHES] = { 0 };
	size_t n_arches = 0;
	int r;

	st->n = 0;
	if (!stub_wanted(s))
		return 0;
	for (char **a = s->architectures; a && *a; a++) {
		struct stub_arch *sa;
		uint32_t token = 0, last = 0;

		r = arch_from_oci(*a, &token, err);
		if (r < 0)
			return r;
		if (!last_syscall(s, token, &last))
			continue;
		sa = stub_arch_get(arches, &n_arches, token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token);
		if (!sa)
			return berth_error_setx(err, E2BIG, "too many seccomp architectures");
		if (token == SCMP_ARCH_X32) {
			sa->has_x32 = true;
			sa->last_x32 = last;
		} else {
			sa->has_last = true;
			sa->last = last;
		}
	}
	if (n_arches == 0)
		return 0;

	emit(st, BPF_LD | BPF_W | BPF_ABS, (uint32_t)offsetof(struct seccomp_data, arch), 0, 0);
	for (size_t i = 0; i < n_arches; i++) {
		emit(st, BPF_JMP | BPF_JEQ | BPF_K, arches[i].audit, 0, 1);
		emit_ja(st, (int)i);
	}
	emit_ja(st, LABEL_FILTER); /* other arches: libseccomp's bad-arch action */
	for (size_t i = 0; i < n_arches; i++)
		emit_section(st, &arches[i]);

	/* the filter starts right after the stub; BPF_JA has a 32-bit offset, no long-jump games */
	for (unsigned pc = 0; pc < st->n; pc++) {
		int l = st->label[pc];
		unsigned target;

		if (l == -2)
			continue;
		target = l == LABEL_FILTER ? st->n : arches[l].start;
		st->insns[pc].k = target - pc - 1;
	}
	return 0;
}

static int check_notify(const struct berth_oci_seccomp *s, bool *ret_notify, struct berth_error *err)
{
	*ret_notify = false;
	if (s->default_action == BERTH_SECCOMP_NOTIFY)
		return berth_error_setx(err, EINVAL, "SCMP_ACT_NOTIFY cannot be used as the default action");
	for (size_t i = 0; i < s->n_syscalls; i++) {
		if (s->syscalls[i].action != BERTH_SECCOMP_NOTIFY)
			continue;
		*ret_notify = true;
		/* the init writes the listener fd to its parent once the filter is loaded */
		for (char **name = s->syscalls[i].names; name && *name; name++)
			if (strcmp(*name, "write") == 0)
				return berth_error_setx(err, EINVAL,
							"SCMP_ACT_NOTIFY cannot be used for the write syscall");
	}
	return 0;
}

static int build_ctx(const struct berth_oci_seccomp *s, uint32_t def, scmp_filter_ctx ctx, struct berth_error *err)
{
	size_t n_names = 0;
	int r;

	for (char **a = s->architectures; a && *a; a++) {
		uint32_t token = 0;

		r = arch_from_oci(*a, &token, err);
		if (r < 0)
			return r;
		r = seccomp_arch_add(ctx, token);
		if (r < 0 && r != -EEXIST)
			return berth_error_set(err, -r, "add seccomp architecture `%s`", *a);
	}

	for (size_t i = 0; i < s->n_syscalls; i++)
		n_names += berth_strv_length(s->syscalls[i].names);
	if (n_names > OPTIMIZE_MIN_SYSCALLS)
		(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* best effort: older libseccomp */

	for (size_t i = 0; i < s->n_syscalls; i++) {
		const struct berth_oci_seccomp_syscall *sc = &s->syscalls[i];
		uint32_t action;

		r = action_to_scmp(sc->action, sc->has_errno_ret, sc->errno_ret, &action, err);
		if (r < 0)
			return berth_error_prefix(err, "linux.seccomp.syscalls[%zu]", i);
		if (action == def)
			continue; /* redundant, and libseccomp would refuse it */
		for (char **name = sc->names; name && *name; name++) {
			r = add_rule(ctx, sc, *name, action, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int berth_seccomp_compile(const struct berth_oci_seccomp *s, struct berth_seccomp_filter **ret,
			  struct berth_error *err)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
	_cleanup_free_ struct sock_filter *body = NULL;
	_cleanup_free_ struct stub *stub = NULL;
	struct berth_seccomp_filter *f;
	unsigned flags = 0;
	size_t n_body = 0;
	bool notify = false, wait_killable = false;
	uint32_t def;
	int r;

	r = check_notify(s, &notify, err);
	if (r < 0)
		return r;
	r = action_to_scmp(s->default_action, s->has_default_errno_ret, s->default_errno_ret, &def, err);
	if (r < 0)
		return berth_error_prefix(err, "linux.seccomp.defaultAction");
	r = flags_from_oci(s->flags, &flags, &wait_killable, err);
	if (r < 0)
		return r;

	ctx = seccomp_init(def);
	if (!ctx)
		return berth_error_setx(err, EINVAL, "initialise seccomp filter (default action %s)",
					berth_seccomp_action_to_string(s->default_action));
	r = build_ctx(s, def, ctx, err);
	if (r < 0)
		return r;
	r = export_bpf(ctx, &body, &n_body, err);
	if (r < 0)
		return r;

	stub = berth_xmalloc(sizeof(*stub));
	r = build_stub(s, stub, err);
	if (r < 0)
		return r;
	if (stub->n + n_body > BPF_MAXINSNS)
		return berth_error_setx(err, E2BIG, "seccomp filter has %zu instructions, more than the kernel's %d",
					stub->n + n_body, BPF_MAXINSNS);

	if (notify) {
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		if (wait_killable)
			flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		/* the kernel refuses TSYNC with NEW_LISTENER unless TSYNC failures report ESRCH */
		if (flags & SECCOMP_FILTER_FLAG_TSYNC)
			flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	}

	f = berth_xzalloc(sizeof(*f));
	f->flags = flags;
	f->n_insns = stub->n + n_body;
	f->insns = berth_xcalloc(f->n_insns, sizeof(struct sock_filter));
	memcpy(f->insns, stub->insns, stub->n * sizeof(struct sock_filter));
	memcpy(f->insns + stub->n, body, n_body * sizeof(struct sock_filter));
	*ret = f;
	return 0;
}

bool berth_seccomp_filter_has_listener(const struct berth_seccomp_filter *f)
{
	return f && (f->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

int berth_seccomp_install(const struct berth_seccomp_filter *f, int *ret_listener_fd, struct berth_error *err)
{
	struct sock_fprog prog = {
		.len = (unsigned short)f->n_insns,
		.filter = f->insns,
	};
	long r;

	if (ret_listener_fd)
		*ret_listener_fd = -EBADF;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog);
	if (r < 0)
		return berth_error_set(err, errno, "load seccomp filter (flags %#x)", f->flags);
	if (f->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
		if (ret_listener_fd)
			*ret_listener_fd = (int)r;
		else
			close((int)r);
	}
	return 0;
}

void berth_seccomp_filter_free(struct berth_seccomp_filter *f)
{
	if (!f)
		return;
	free(f->insns);
	free(f);
}
