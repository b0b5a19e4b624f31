/* Unit tests for src/image/store.c and blob-store.c: the store root, blobs, followers, crash safety. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/blob-store.h"
#include "image/store.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char base[] = "/tmp/berth-test-blob-store-XXXXXX";

static size_t count_entries(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(fd);
	struct dirent *de;
	size_t n = 0;

	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static struct berth_store *open_store(const char *name)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *root = berth_xasprintf("%s/%s", base, name);
	_cleanup_free_ char *run = berth_xasprintf("%s/%s-run", base, name);
	struct berth_store *s = NULL;

	if (berth_store_open(root, run, &s, &err) < 0) {
		tap_diag("open store: %s", err.msg);
		abort();
	}
	return s;
}

static void test_parse_size(void)
{
	static const struct {
		const char *in;
		uint64_t want;
	} good[] = {
		{ "0", 0 },
		{ "123", 123 },
		{ "10K", 10240 },
		{ "10k", 10240 },
		{ "10KB", 10240 },
		{ "10KiB", 10240 },
		{ "2M", 2 << 20 },
		{ "1.5G", 3ULL << 29 },
		{ "64G", 64ULL << 30 },
		{ "1T", 1ULL << 40 },
		{ "0.5K", 512 },
		{ "100B", 100 },
	};
	static const char *const bad[] = { "", "K", "-1", "1.", ".5", "1X", "1 K", "1KK", "abc", "1.5.5", "1e3",
					   "99999999999999999999", "20000000T" };
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		tap_ok(berth_parse_size(good[i].in, &v) == 0 && v == good[i].want, "parse size \"%s\" = %llu",
		       good[i].in, (unsigned long long)good[i].want);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		tap_ok(berth_parse_size(bad[i], &v) < 0, "parse size \"%s\" is refused", bad[i]);
	TAP_OK(berth_parse_size("18446744073709551615", &v) == 0 && v == UINT64_MAX);
}

static void test_open_layout(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = open_store("layout");
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	int fd;

	TAP_OK(s->root[0] == '/' && strstr(s->root, "/layout"));
	TAP_OK(fstat(s->root_fd, &st) == 0 && (st.st_mode & 07777) == 0700);
	TAP_OK(fstatat(s->root_fd, "blobs/sha256", &st, 0) == 0 && S_ISDIR(st.st_mode));
	TAP_OK(fstatat(s->root_fd, "layers", &st, 0) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	TAP_OK(fstatat(s->root_fd, "tmp", &st, 0) == 0 && S_ISDIR(st.st_mode));
	TAP_OK(fstatat(s->root_fd, "berth.db", &st, 0) == 0 && S_ISREG(st.st_mode));
	TAP_OK(berth_read_file_at(s->root_fd, "oci-layout", 0, &buf, NULL, &err) == 0 &&
	       strcmp(buf, "{\"imageLayoutVersion\":\"1.0.0\"}") == 0);
	free(buf);
	buf = NULL;
	TAP_OK(berth_read_file_at(s->root_fd, "index.json", 0, &buf, NULL, &err) == 0 &&
	       strstr(buf, "\"manifests\":[]") && strstr(buf, "\"schemaVersion\":2"));
	TAP_OK(s->limits.max_size == 64ULL << 30 && s->limits.max_entries == 4194304);
	TAP_OK(strstr(s->run_root, "layout-run") && stat(s->run_root, &st) == 0);

	/* the lock is held shared: another shared locker gets in, an exclusive one does not */
	fd = openat(s->root_fd, "lock", O_RDWR | O_CLOEXEC);
	TAP_OK(flock(fd, LOCK_SH | LOCK_NB) == 0);
	TAP_OK(flock(fd, LOCK_UN) == 0);
	TAP_OK(flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK);
	close(fd);
}

static void test_env(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *root = berth_xasprintf("%s/envroot", base), *run = berth_xasprintf("%s/envrun", base);
	struct berth_store *s = NULL;

	setenv("BERTH_ROOT", root, 1);
	setenv("BERTH_RUN_ROOT", run, 1);
	setenv("BERTH_MAX_LAYER_SIZE", "1.5M", 1);
	setenv("BERTH_MAX_LAYER_ENTRIES", "1000", 1);
	TAP_OK(berth_store_open(NULL, NULL, &s, &err) == 0);
	TAP_OK(s && strcmp(s->root, root) == 0 && strcmp(s->run_root, run) == 0);
	TAP_OK(s && s->limits.max_size == 3 << 19 && s->limits.max_entries == 1000);
	berth_store_free(s);
	s = NULL;
	setenv("BERTH_MAX_LAYER_SIZE", "lots", 1);
	TAP_OK(berth_store_open(NULL, NULL, &s, &err) == -EINVAL && strstr(err.msg, "$BERTH_MAX_LAYER_SIZE \"lots\""));
	unsetenv("BERTH_ROOT");
	unsetenv("BERTH_RUN_ROOT");
	unsetenv("BERTH_MAX_LAYER_SIZE");
	unsetenv("BERTH_MAX_LAYER_ENTRIES");
}

static void test_put_read(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = open_store("put");
	_cleanup_strv_free_ char **list = NULL;
	_cleanup_free_ char *buf = NULL;
	char d[BERTH_DIGEST_STR_LEN], d2[BERTH_DIGEST_STR_LEN];
	struct stat st;
	size_t len = 0;
	int fd = -1;

	TAP_OK(berth_blob_put(s, "hello", 5, d, &err) == 0);
	TAP_OK(strcmp(d, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824") == 0);
	TAP_OK(berth_blob_exists(s, d));
	TAP_OK(fstatat(s->blobs_fd, berth_digest_hex(d), &st, 0) == 0 && st.st_size == 5);
	TAP_OK(berth_blob_read(s, d, 100, &buf, &len, &err) == 0 && len == 5 && strcmp(buf, "hello") == 0);
	TAP_OK(berth_blob_read(s, d, 4, &buf, &len, &err) == -EFBIG);
	TAP_OK(berth_blob_put(s, "hello", 5, d2, &err) == 0 && strcmp(d, d2) == 0);
	TAP_OK(berth_blob_open(s, d, &fd, &err) == 0 && fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	close(fd);
	TAP_OK(berth_blob_put(s, "", 0, d2, &err) == 0 && berth_blob_exists(s, d2));
	TAP_OK(berth_blob_list(s, &list, &err) == 0 && berth_strv_length(list) == 2 && berth_strv_contains(list, d) &&
	       berth_strv_contains(list, d2));

	/* digests are validated before they become paths */
	TAP_OK(!berth_blob_exists(s, "sha256:../../etc/passwd"));
	TAP_OK(berth_blob_open(s, "sha256:../../../etc/passwd", &fd, &err) == -EINVAL && strstr(err.msg, "invalid digest"));
	TAP_OK(berth_blob_remove(s, "../x", &err) == -EINVAL);
	TAP_OK(berth_blob_open(s, "sha256:0000000000000000000000000000000000000000000000000000000000000000", &fd, &err) ==
		       -ENOENT &&
	       strstr(err.msg, "not found"));

	/* a blob changed on disk is caught when read */
	fd = openat(s->blobs_fd, berth_digest_hex(d), O_WRONLY | O_CLOEXEC);
	TAP_OK(write(fd, "j", 1) == 1);
	close(fd);
	free(buf);
	buf = NULL;
	TAP_OK(berth_blob_read(s, d, 100, &buf, &len, &err) == -EIO && strstr(err.msg, "corrupt"));

	TAP_OK(berth_blob_remove(s, d, &err) == 0 && !berth_blob_exists(s, d));
	TAP_OK(berth_blob_remove(s, d, &err) == 0);
	TAP_OK(count_entries(s->tmp_fd) == 0);
}

static void test_writer(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = open_store("writer");
	struct berth_blob_writer *w = NULL;
	char data[10000], d[BERTH_DIGEST_STR_LEN], got[BERTH_DIGEST_STR_LEN];
	struct stat st1, st2;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	berth_digest_buffer(data, sizeof(data), d);

	/* in pieces, with the expected digest and size */
	TAP_OK(berth_blob_writer_new(s, d, sizeof(data), 0, &w, &err) == 0);
	for (size_t off = 0; off < sizeof(data); off += 999)
		TAP_OK(berth_blob_writer_write(w, data + off, off + 999 > sizeof(data) ? sizeof(data) - off : 999, &err) ==
		       0);
	TAP_OK(berth_blob_writer_size(w) == sizeof(data));
	TAP_OK(!berth_blob_exists(s, d));
	TAP_OK(berth_blob_writer_commit(w, got, &err) == 0 && strcmp(got, d) == 0 && berth_blob_exists(s, d));
	TAP_OK(berth_blob_writer_write(w, "x", 1, &err) == -EINVAL);
	berth_blob_writer_free(w);
	w = NULL;
	TAP_OK(fstatat(s->blobs_fd, berth_digest_hex(d), &st1, 0) == 0 && st1.st_size == sizeof(data) &&
	       (st1.st_mode & 0777) == 0644);

	/* the same blob again, digest unknown up front: the one there is kept */
	TAP_OK(berth_blob_writer_new(s, NULL, -1, 0, &w, &err) == 0);
	TAP_OK(berth_blob_writer_write(w, data, sizeof(data), &err) == 0);
	TAP_OK(berth_blob_writer_commit(w, got, &err) == 0 && strcmp(got, d) == 0);
	berth_blob_writer_free(w);
	w = NULL;
	TAP_OK(fstatat(s->blobs_fd, berth_digest_hex(d), &st2, 0) == 0 && st2.st_ino == st1.st_ino);

	/* a wrong digest: both are named, nothing is left */
	TAP_OK(berth_blob_writer_new(s, "sha256:1111111111111111111111111111111111111111111111111111111111111111", -1, 0,
				     &w, &err) == 0);
	TAP_OK(berth_blob_writer_write(w, "abc", 3, &err) == 0);
	TAP_OK(berth_blob_writer_commit(w, NULL, &err) == -EIO);
	TAP_OK(strstr(err.msg, "expected sha256:1111111111111111111111111111111111111111111111111111111111111111") &&
	       strstr(err.msg, "got sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	TAP_OK(berth_blob_writer_commit(w, NULL, &err) == -EINVAL);
	berth_blob_writer_free(w);
	w = NULL;
	TAP_OK(!berth_blob_exists(s, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	TAP_OK(count_entries(s->blobs_fd) == 1 && count_entries(s->tmp_fd) == 0);

	/* more than the expected size fails at the write that crosses it */
	TAP_OK(berth_blob_writer_new(s, NULL, 4, 0, &w, &err) == 0);
	TAP_OK(berth_blob_writer_write(w, "abc", 3, &err) == 0);
	TAP_OK(berth_blob_writer_write(w, "de", 2, &err) == -EFBIG && strstr(err.msg, "expected 4 bytes"));
	TAP_OK(berth_blob_writer_commit(w, NULL, &err) < 0);
	berth_blob_writer_free(w);
	w = NULL;
	/* fewer fails at commit */
	TAP_OK(berth_blob_writer_new(s, NULL, 4, 0, &w, &err) == 0);
	TAP_OK(berth_blob_writer_write(w, "abc", 3, &err) == 0);
	TAP_OK(berth_blob_writer_commit(w, NULL, &err) == -EIO && strstr(err.msg, "size mismatch"));
	berth_blob_writer_free(w);
	w = NULL;
	/* max_size */
	TAP_OK(berth_blob_writer_new(s, NULL, -1, 4, &w, &err) == 0);
	TAP_OK(berth_blob_writer_write(w, "abcde", 5, &err) == -EFBIG && strstr(err.msg, "limit of 4 bytes"));
	berth_blob_writer_free(w);
	w = NULL;
	TAP_OK(berth_blob_writer_new(s, NULL, 10, 4, &w, &err) == -EFBIG);
	TAP_OK(berth_blob_writer_new(s, "sha256:nope", 10, 4, &w, &err) == -EINVAL);
	/* freed without commit: nothing */
	TAP_OK(berth_blob_writer_new(s, NULL, -1, 0, &w, &err) == 0);
	TAP_OK(berth_blob_writer_write(w, "zzz", 3, &err) == 0);
	berth_blob_writer_free(w);
	w = NULL;
	TAP_OK(count_entries(s->blobs_fd) == 1 && count_entries(s->tmp_fd) == 0);
}

struct follower {
	struct berth_blob_writer *w;
	size_t chunk;
	char digest[BERTH_DIGEST_STR_LEN];
	uint64_t total;
	ssize_t last;
};

static void *follow_thread(void *arg)
{
	struct follower *f = arg;
	struct berth_sha256 *h = berth_sha256_new();
	uint64_t off = 0;
	char buf[4096];

	for (;;) {
		ssize_t n = berth_blob_writer_follow(f->w, &off, buf, f->chunk < sizeof(buf) ? f->chunk : sizeof(buf));

		f->last = n;
		if (n <= 0)
			break;
		berth_sha256_update(h, buf, (size_t)n);
		f->total += (uint64_t)n;
	}
	berth_sha256_final(h, f->digest);
	berth_sha256_free(h);
	return NULL;
}

static void test_follow(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = open_store("follow");
	struct follower f[2] = { { .chunk = 100 }, { .chunk = 4096 } };
	struct berth_blob_writer *w = NULL;
	char d[BERTH_DIGEST_STR_LEN];
	struct berth_sha256 *h = berth_sha256_new();
	pthread_t t[2];
	char chunk[3000];

	TAP_OK(berth_blob_writer_new(s, NULL, -1, 0, &w, &err) == 0);
	for (int i = 0; i < 2; i++) {
		f[i].w = w;
		pthread_create(&t[i], NULL, follow_thread, &f[i]);
	}
	/* the followers start before any data and catch up with a producer that pauses */
	for (int i = 0; i < 200; i++) {
		memset(chunk, 'a' + i % 26, sizeof(chunk));
		chunk[i % sizeof(chunk)] = (char)i;
		berth_sha256_update(h, chunk, sizeof(chunk));
		berth_blob_writer_write(w, chunk, sizeof(chunk), &err);
		if (i % 50 == 0)
			usleep(2000);
	}
	berth_sha256_final(h, d);
	berth_sha256_free(h);
	TAP_OK(berth_blob_writer_commit(w, NULL, &err) == 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		tap_ok(f[i].last == 0 && f[i].total == 200 * sizeof(chunk) && strcmp(f[i].digest, d) == 0,
		       "follower %d read the whole blob (%llu bytes, last %zd)", i, (unsigned long long)f[i].total,
		       f[i].last);
	}
	berth_blob_writer_free(w);
	w = NULL;

	/* an abort wakes a follower that waits for data */
	memset(f, 0, sizeof(f));
	TAP_OK(berth_blob_writer_new(s, NULL, -1, 0, &w, &err) == 0);
	TAP_OK(berth_blob_writer_write(w, "abc", 3, &err) == 0);
	f[0].w = w;
	f[0].chunk = 100;
	pthread_create(&t[0], NULL, follow_thread, &f[0]);
	usleep(20000);
	berth_blob_writer_abort(w);
	pthread_join(t[0], NULL);
	TAP_OK(f[0].last == -ECANCELED && f[0].total == 3);
	berth_blob_writer_free(w);
	w = NULL;

	/* so does a failed commit */
	memset(f, 0, sizeof(f));
	TAP_OK(berth_blob_writer_new(s, "sha256:1111111111111111111111111111111111111111111111111111111111111111", -1, 0,
				     &w, &err) == 0);
	f[0].w = w;
	f[0].chunk = 100;
	pthread_create(&t[0], NULL, follow_thread, &f[0]);
	TAP_OK(berth_blob_writer_write(w, "abc", 3, &err) == 0);
	TAP_OK(berth_blob_writer_commit(w, NULL, &err) == -EIO);
	pthread_join(t[0], NULL);
	TAP_OK(f[0].last == -ECANCELED);
	berth_blob_writer_free(w);
}

/* A process killed half way through a blob leaves nothing in blobs/; the next exclusive locker sweeps tmp/. */
static void test_crash(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = open_store("crash");
	char data[1 << 16], d[BERTH_DIGEST_STR_LEN];
	int pipefd[2];
	char c;
	pid_t pid;
	int status;

	memset(data, 'q', sizeof(data));
	berth_digest_buffer(data, sizeof(data), d);
	TAP_OK(pipe(pipefd) == 0);
	pid = fork();
	if (pid == 0) {
		struct berth_store *cs = open_store("crash");
		struct berth_blob_writer *w = NULL;
		char *dir = NULL;

		close(pipefd[0]);
		if (berth_blob_writer_new(cs, d, sizeof(data), 0, &w, &err) < 0 ||
		    berth_blob_writer_write(w, data, sizeof(data) / 2, &err) < 0 ||
		    berth_store_mkdtemp(cs, &dir, &err) < 0 ||
		    berth_write_file_atomic(cs->tmp_fd, "half-written", data, 100, 0600, &err) < 0)
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	TAP_OK(read(pipefd[0], &c, 1) == 1);
	close(pipefd[0]);
	kill(pid, SIGKILL);
	TAP_OK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));

	TAP_OK(!berth_blob_exists(s, d));
	TAP_OK(count_entries(s->blobs_fd) == 0);
	TAP_OK(count_entries(s->tmp_fd) >= 2);
	TAP_OK(berth_store_lock_exclusive(s, &err) == 0);
	TAP_OK(count_entries(s->tmp_fd) == 0);
}

/* The exclusive lock waits for shared holders in other processes. */
static void test_exclusive_waits(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = NULL;
	int to_child[2], from_child[2];
	char c;
	pid_t pid;
	int status;

	TAP_OK(pipe(to_child) == 0 && pipe(from_child) == 0);
	pid = fork();
	if (pid == 0) {
		struct berth_store *cs = open_store("excl");

		if (write(from_child[1], "r", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(1);
		/* releases the shared lock */
		berth_store_free(cs);
		_exit(0);
	}
	TAP_OK(read(from_child[0], &c, 1) == 1);
	s = open_store("excl");
	{
		int fd = openat(s->root_fd, "lock", O_RDWR | O_CLOEXEC);

		TAP_OK(flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK);
		close(fd);
	}
	TAP_OK(write(to_child[1], "g", 1) == 1);
	TAP_OK(berth_store_lock_exclusive(s, &err) == 0);
	TAP_OK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(to_child[0]);
	close(to_child[1]);
	close(from_child[0]);
	close(from_child[1]);
}

static void test_mkdtemp(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = open_store("mkdtemp");
	_cleanup_free_ char *a = NULL, *b = NULL;
	struct stat st;

	TAP_OK(berth_store_mkdtemp(s, &a, &err) == 0 && berth_store_mkdtemp(s, &b, &err) == 0);
	TAP_OK(strcmp(a, b) != 0 && !strchr(a, '/'));
	TAP_OK(fstatat(s->tmp_fd, a, &st, 0) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
}

int main(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	if (!mkdtemp(base))
		tap_skip_all("mkdtemp");
	test_parse_size();
	test_open_layout();
	test_env();
	test_put_read();
	test_writer();
	test_follow();
	test_crash();
	test_exclusive_waits();
	test_mkdtemp();
	berth_rm_rf_at(AT_FDCWD, base, &err);
	return tap_done();
}
