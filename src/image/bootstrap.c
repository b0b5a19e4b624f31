/*
 * The built-in image: the host's static busybox as a one-layer image, with
 * no registry.  The layer tar is made in memory with libarchive: fixed
 * owners and mtimes and sorted entries, so the same busybox always gives
 * the same layer, config and image id.
 */
#include "image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "image-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define DEFAULT_BUSYBOX "/bin/busybox"
#define BUSYBOX_MAX_SIZE (64 * 1024 * 1024)
#define APPLET_LIST_MAX (64 * 1024)

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
			     "bin:x:2:2:bin:/bin:/bin/false\n"
			     "sys:x:3:3:sys:/dev:/bin/false\n"
			     "sync:x:4:100:sync:/bin:/bin/sync\n"
			     "mail:x:8:8:mail:/var/spool/mail:/bin/false\n"
			     "www-data:x:33:33:www-data:/var/www:/bin/false\n"
			     "operator:x:37:37:Operator:/var:/bin/false\n"
			     "nobody:x:65534:65534:nobody:/home:/bin/false\n";

static const char group[] = "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nlp:x:7:\n"
			    "mail:x:8:\nkmem:x:9:\nwheel:x:10:root\ncdrom:x:11:\ndialout:x:18:\nfloppy:x:19:\n"
			    "video:x:28:\naudio:x:29:\ntape:x:32:\nwww-data:x:33:\noperator:x:37:\nutmp:x:43:\n"
			    "plugdev:x:46:\nstaff:x:50:\nlock:x:54:\nnetdev:x:82:\nusers:x:100:\nnogroup:x:65534:\n";

static const struct {
	const char *path;
	mode_t mode;
} dirs[] = {
	{ "bin", 0755 },  { "dev", 0755 },  { "etc", 0755 },  { "home", 0755 }, { "proc", 0755 }, { "root", 0700 },
	{ "sys", 0755 },  { "tmp", 01777 }, { "usr", 0755 },  { "usr/bin", 0755 }, { "usr/sbin", 0755 },
	{ "var", 0755 },  { "var/spool", 0755 }, { "var/spool/mail", 0755 }, { "var/www", 0755 },
};

/* A dynamically linked busybox would not run in the image: it has a PT_INTERP program header. */
static int check_static(const char *path, const char *buf, size_t len, struct berth_error *err)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;

	if (len < sizeof(Elf64_Ehdr) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return berth_error_setx(err, EINVAL, "\"%s\" is not an ELF executable", path);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return berth_error_setx(err, EINVAL, "\"%s\" is not a 64-bit ELF executable", path);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > len ||
	    (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return berth_error_setx(err, EINVAL, "\"%s\": bad ELF program headers", path);
	for (size_t i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(buf + eh->e_phoff + i * sizeof(Elf64_Phdr));
		if (ph->p_type == PT_INTERP)
			return berth_error_setx(err, EINVAL,
						"\"%s\" is dynamically linked: a static busybox is needed (Debian: apt install busybox-static)",
						path);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* `busybox --list` of the host's own busybox (never a program from an image), sorted. */
static int list_applets(const char *path, char ***ret, struct berth_error *err)
{
	_cleanup_close_ int rfd = -EBADF;
	_cleanup_free_ char *out = NULL;
	_cleanup_strv_free_ char **applets = NULL;
	char *argv[] = { (char *)path, (char *)"--list", NULL }, *envp[] = { NULL };
	posix_spawn_file_actions_t fa;
	int pipefd[2], status = 0;
	size_t len = 0, cap = 4096;
	pid_t pid;
	int r;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	r = posix_spawn(&pid, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	rfd = pipefd[0];
	if (r != 0)
		return berth_error_set(err, r, "run \"%s --list\"", path);
	out = berth_xmalloc(cap);
	for (;;) {
		ssize_t n;
		if (len + 1 >= cap) {
			if (cap >= APPLET_LIST_MAX)
				break;
			cap *= 2;
			out = berth_xrealloc(out, cap);
		}
		n = read(rfd, out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_error_setx(err, EIO, "\"%s --list\" failed", path);
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		/* applet names are plain words: nothing else may become a path */
		if (!*l || strchr(l, '/') || strcmp(l, ".") == 0 || strcmp(l, "..") == 0 || strcmp(l, "busybox") == 0)
			continue;
		if (!berth_strv_contains(applets, l))
			berth_strv_push(&applets, l);
	}
	if (!applets || !berth_strv_contains(applets, "sh"))
		return berth_error_setx(err, EINVAL, "\"%s\" has no sh applet", path);
	qsort(applets, berth_strv_length(applets), sizeof(char *), cmp_str);
	*ret = TAKE_PTR(applets);
	return 0;
}

struct tar {
	struct archive *a;
	struct berth_error *err;
};

static int tar_fail(struct tar *t, const char *what)
{
	return berth_error_setx(t->err, EIO, "write the layer: %s: %s", what, archive_error_string(t->a));
}

/* One entry: owner root, mtime 0 (reproducible). */
static int tar_add(struct tar *t, const char *path, mode_t type, mode_t perm, const void *data, size_t len,
		   const char *link)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, 0, 0);
	if (link)
		archive_entry_set_symlink(e, link);
	archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
	if (archive_write_header(t->a, e) != ARCHIVE_OK)
		r = tar_fail(t, path);
	if (r == 0 && type == AE_IFREG && len > 0 && archive_write_data(t->a, data, len) != (la_ssize_t)len)
		r = tar_fail(t, path);
	archive_entry_free(e);
	return r;
}

static int write_layer(int fd, const char *busybox, size_t busybox_len, char *const *applets, struct berth_error *err)
{
	struct tar t = { .a = archive_write_new(), .err = err };
	int r = 0;

	/* ustar: no pax timestamps or other per-run headers */
	if (archive_write_set_format_ustar(t.a) != ARCHIVE_OK || archive_write_add_filter_none(t.a) != ARCHIVE_OK ||
	    archive_write_open_fd(t.a, fd) != ARCHIVE_OK)
		r = tar_fail(&t, "open");
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(dirs); i++)
		r = tar_add(&t, dirs[i].path, AE_IFDIR, dirs[i].mode, NULL, 0, NULL);
	if (r == 0)
		r = tar_add(&t, "bin/busybox", AE_IFREG, 0755, busybox, busybox_len, NULL);
	for (char *const *a = applets; r == 0 && *a; a++) {
		_cleanup_free_ char *path = berth_xasprintf("bin/%s", *a);
		r = tar_add(&t, path, AE_IFLNK, 0777, NULL, 0, "busybox");
	}
	if (r == 0)
		r = tar_add(&t, "etc/group", AE_IFREG, 0644, group, strlen(group), NULL);
	if (r == 0)
		r = tar_add(&t, "etc/passwd", AE_IFREG, 0644, passwd, strlen(passwd), NULL);
	if (r == 0 && archive_write_close(t.a) != ARCHIVE_OK)
		r = tar_fail(&t, "close");
	archive_write_free(t.a);
	return r;
}

int berth_image_bootstrap(struct berth_store *s, const char *busybox_path, const char *name, char **ret_id,
			  struct berth_error *err)
{
	static const char *const changes[] = {
		"ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"CMD [\"sh\"]",
		NULL,
	};
	_cleanup_free_ char *bin = NULL;
	_cleanup_strv_free_ char **applets = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *path = busybox_path ? busybox_path : DEFAULT_BUSYBOX;
	size_t len = 0;
	int r;

	r = berth_read_file(path, BUSYBOX_MAX_SIZE, &bin, &len, err);
	if (r < 0)
		return berth_error_prefix(err, "bootstrap");
	r = check_static(path, bin, len, err);
	if (r >= 0)
		r = list_applets(path, &applets, err);
	if (r < 0)
		return berth_error_prefix(err, "bootstrap");
	fd = memfd_create("berth-bootstrap", MFD_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "bootstrap: memfd_create");
	r = write_layer(fd, bin, len, applets, err);
	if (r < 0)
		return berth_error_prefix(err, "bootstrap");
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berth_error_set(err, errno, "bootstrap: lseek");
	r = berth_image_import_full(s, fd, name, (char *const *)changes, NULL, 0, "berth image bootstrap", ret_id, err);
	if (r < 0)
		return berth_error_prefix(err, "bootstrap");
	return 0;
}
