/*
 * Compiled seccomp filters, cached by profile under the runtime's root.
 *
 * libseccomp takes ~11 ms to compile the engine's default profile (some 400
 * syscalls on three architectures), a quarter of a whole `berth run`; every
 * container made with the same capabilities has the same profile.  So the
 * filter is kept in ROOT/.seccomp-cache/<hash>.bpf, as crun does: the
 * directory is the runtime's own (its root is 0700; container ids start with
 * an alphanumeric, so the name never meets one).
 *
 * The key is everything the compiled program depends on: the profile as
 * parsed (length-prefixed strings, so nothing is ambiguous), berth's and
 * libseccomp's versions and the kernel release (libseccomp probes the
 * kernel's seccomp API).  The file holds the key itself, compared byte for
 * byte on load: the hash only names the file, a collision costs a compile.
 * Written with a rename, never fsynced (a lost entry is compiled again); a
 * full directory (CACHE_MAX) is emptied before the next entry.
 */
#include "runtime/seccomp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define BERTH_SECCOMP_WANT_LIBSECCOMP
#include <seccomp.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include "berth-config.h"

#define CACHE_DIR ".seccomp-cache"
#define CACHE_MAX 256
#define KEY_MAX (1U << 20)

struct cache_head {
	char magic[8]; /* "berthsc1" */
	uint32_t key_len;
	uint32_t flags;
	uint32_t n_insns;
	uint32_t pad;
};

static void put_str(FILE *f, const char *s)
{
	fprintf(f, "%zu:%s;", s ? strlen(s) : (size_t)0, s ? s : "");
}

static void put_strv(FILE *f, char *const *v)
{
	size_t n = 0;

	for (char *const *p = v; p && *p; p++)
		n++;
	fprintf(f, "[%zu", n);
	for (char *const *p = v; p && *p; p++)
		put_str(f, *p);
	fputc(']', f);
}

/* What the compiled filter depends on, serialised; NULL when it cannot be made. */
static char *cache_key(const struct berth_oci_seccomp *s, size_t *ret_len)
{
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!v || uname(&u) < 0)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	put_str(f, "berth " BERTH_VERSION);
	fprintf(f, "libseccomp %u.%u.%u;", v->major, v->minor, v->micro);
	put_str(f, u.release);
	put_str(f, u.machine);
	fprintf(f, "default %d %d %u;", (int)s->default_action, s->has_default_errno_ret, s->default_errno_ret);
	put_strv(f, s->architectures);
	put_strv(f, s->flags);
	put_str(f, s->listener_path);
	put_str(f, s->listener_metadata);
	fprintf(f, "%zu{", s->n_syscalls);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		const struct berth_oci_seccomp_syscall *sc = &s->syscalls[i];

		put_strv(f, sc->names);
		fprintf(f, "%d %d %u %zu(", (int)sc->action, sc->has_errno_ret, sc->errno_ret, sc->n_args);
		for (size_t a = 0; a < sc->n_args; a++)
			fprintf(f, "%u %d %#llx %#llx;", sc->args[a].index, (int)sc->args[a].op,
				(unsigned long long)sc->args[a].value, (unsigned long long)sc->args[a].value_two);
		fputc(')', f);
	}
	fputc('}', f);
	if (fclose(f) != 0 || len > KEY_MAX) {
		free(buf);
		return NULL;
	}
	*ret_len = len;
	return buf;
}

/* FNV-1a: names the file only */
static uint64_t key_hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 0x100000001b3ULL;
	return h;
}

static struct berth_seccomp_filter *cache_load(int dirfd, const char *name, const char *key, size_t key_len)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	_cleanup_free_ char *buf = NULL;
	struct berth_seccomp_filter *f;
	struct cache_head h;
	size_t len = 0, body;

	if (berth_read_file_at(dirfd, name, sizeof(h) + KEY_MAX + BPF_MAXINSNS * sizeof(struct sock_filter), &buf,
			       &len, &ignored) < 0 ||
	    len < sizeof(h))
		return NULL;
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, "berthsc1", sizeof(h.magic)) != 0 || h.key_len != key_len || h.n_insns == 0 ||
	    h.n_insns > BPF_MAXINSNS)
		return NULL;
	body = sizeof(h) + key_len;
	if (len != body + h.n_insns * sizeof(struct sock_filter) || memcmp(buf + sizeof(h), key, key_len) != 0)
		return NULL;
	f = berth_xzalloc(sizeof(*f));
	f->flags = h.flags;
	f->n_insns = h.n_insns;
	f->insns = berth_xmalloc(h.n_insns * sizeof(struct sock_filter));
	memcpy(f->insns, buf + body, h.n_insns * sizeof(struct sock_filter));
	return f;
}

/* A directory of CACHE_MAX entries is emptied: distinct profiles are few, a flood of them is not worth keeping. */
static void cache_trim(int dirfd)
{
	_cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return;
	TAKE_FD(fd);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	if (n >= CACHE_MAX) {
		rewinddir(d);
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				unlinkat(dirfd, de->d_name, 0);
	}
	closedir(d);
}

/* Best effort: without the entry the next container compiles again. */
static void cache_store(int dirfd, const char *name, const char *key, size_t key_len,
			const struct berth_seccomp_filter *f)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	size_t insns = f->n_insns * sizeof(struct sock_filter), len = sizeof(struct cache_head) + key_len + insns;
	_cleanup_free_ char *buf = berth_xmalloc(len);
	struct cache_head h = { .key_len = (uint32_t)key_len, .flags = f->flags, .n_insns = (uint32_t)f->n_insns };

	memcpy(h.magic, "berthsc1", sizeof(h.magic));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), key, key_len);
	memcpy(buf + sizeof(h) + key_len, f->insns, insns);
	cache_trim(dirfd);
	berth_write_file_replace(dirfd, name, buf, len, 0600, &ignored);
}

int berth_seccomp_compile_cached(const struct berth_oci_seccomp *s, int root_fd, struct berth_seccomp_filter **ret,
				 struct berth_error *err)
{
	_cleanup_free_ char *key = NULL;
	_cleanup_close_ int dirfd = -EBADF;
	char name[32];
	size_t key_len = 0;
	int r;

	if (root_fd >= 0 && (key = cache_key(s, &key_len))) {
		if (mkdirat(root_fd, CACHE_DIR, 0700) < 0 && errno != EEXIST)
			return berth_seccomp_compile(s, ret, err);
		dirfd = openat(root_fd, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (dirfd < 0)
		return berth_seccomp_compile(s, ret, err);
	snprintf(name, sizeof(name), "%016llx.bpf", (unsigned long long)key_hash(key, key_len));
	*ret = cache_load(dirfd, name, key, key_len);
	if (*ret)
		return 0;
	r = berth_seccomp_compile(s, ret, err);
	if (r < 0)
		return r;
	cache_store(dirfd, name, key, key_len, *ret);
	return 0;
}
