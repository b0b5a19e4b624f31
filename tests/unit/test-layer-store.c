/* Unit tests for src/image/layer-store.c: layer jobs (followed and stored blobs), commit races, removal. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image/blob-store.h"
#include "image/digest.h"
#include "image/image-db.h"
#include "image/layer-store.h"
#include "image/store.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char base[] = "/tmp/berth-test-layer-store-XXXXXX";

struct buf {
	char *data;
	size_t len;
};

static la_ssize_t mem_write(struct archive *a, void *opaque, const void *p, size_t n)
{
	struct buf *b = opaque;

	b->data = berth_xrealloc(b->data, b->len + n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return (la_ssize_t)n;
}

/* A tar (gzip'd when asked) with a directory, a file of file_size bytes and a whiteout. */
static struct buf make_layer(bool gzip, size_t file_size, char tar_digest[BERTH_DIGEST_STR_LEN])
{
	struct buf out = { 0 }, plain = { 0 };
	struct archive *a;
	struct archive_entry *e;
	char *content = berth_xmalloc(file_size + 1);

	for (size_t i = 0; i < file_size; i++)
		content[i] = (char)('a' + (i * 31 + i / 7) % 26);
	for (int pass = 0; pass < 2; pass++) {
		struct buf *b = pass == 0 ? &plain : &out;

		if (pass == 1 && !gzip) {
			out.data = berth_xmalloc(plain.len);
			memcpy(out.data, plain.data, plain.len);
			out.len = plain.len;
			break;
		}
		a = archive_write_new();
		archive_write_set_format_pax_restricted(a);
		if (pass == 1)
			archive_write_add_filter_gzip(a);
		archive_write_set_bytes_in_last_block(a, 1);
		archive_write_open(a, b, NULL, mem_write, NULL);
		e = archive_entry_new();
		archive_entry_set_pathname(e, "etc");
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
		archive_write_header(a, e);
		archive_entry_clear(e);
		archive_entry_set_pathname(e, "etc/hello");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)file_size);
		archive_write_header(a, e);
		archive_write_data(a, content, file_size);
		archive_entry_clear(e);
		archive_entry_set_pathname(e, "etc/.wh.gone");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 0);
		archive_write_header(a, e);
		archive_entry_free(e);
		archive_write_close(a);
		archive_write_free(a);
	}
	berth_digest_buffer(plain.data, plain.len, tar_digest);
	free(plain.data);
	free(content);
	return out;
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

static bool layer_looks_right(struct berth_store *s, const char *chain_id, size_t file_size)
{
	_cleanup_free_ char *path = berth_xasprintf("%s/etc/hello", berth_digest_hex(chain_id));
	_cleanup_free_ char *wh = berth_xasprintf("%s/etc/gone", berth_digest_hex(chain_id));
	struct stat st, root;

	return fstatat(s->layers_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	       (size_t)st.st_size == file_size && fstatat(s->layers_fd, wh, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISCHR(st.st_mode) && st.st_rdev == 0 &&
	       fstatat(s->layers_fd, berth_digest_hex(chain_id), &root, AT_SYMLINK_NOFOLLOW) == 0 &&
	       (root.st_mode & 07777) == 0755;
}

/* The layer unpacks while its blob is written, and both finish together. */
static void test_follow(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = open_store("follow");
	struct berth_blob_writer *w = NULL;
	struct berth_layer_job *j = NULL;
	struct berth_unpack_result res;
	char tar_digest[BERTH_DIGEST_STR_LEN], blob_digest[BERTH_DIGEST_STR_LEN];
	struct buf layer = make_layer(true, 3 << 20, tar_digest);

	berth_digest_buffer(layer.data, layer.len, blob_digest);
	TAP_OK(berth_blob_writer_new(s, blob_digest, (int64_t)layer.len, 0, &w, &err) == 0);
	TAP_OK(berth_layer_job_start(s, w, NULL, &j, &err) == 0);
	for (size_t off = 0; off < layer.len; off += 65536) {
		size_t n = layer.len - off < 65536 ? layer.len - off : 65536;

		berth_blob_writer_write(w, layer.data + off, n, &err);
		if (off % (1 << 19) == 0)
			usleep(1000);
	}
	TAP_OK(berth_blob_writer_commit(w, NULL, &err) == 0);
	tap_ok(berth_layer_job_wait(j, &res, &err) == 0, "job: %s", err.msg ? err.msg : "ok");
	TAP_OK(strcmp(res.diff_id, tar_digest) == 0 && strcmp(res.blob_digest, blob_digest) == 0);
	TAP_OK(res.blob_size == layer.len && res.compression == BERTH_COMPRESSION_GZIP && res.entries == 3);
	TAP_OK(berth_layer_job_commit(j, res.diff_id, NULL, &err) == 0);
	TAP_OK(berth_layer_job_commit(j, res.diff_id, NULL, &err) == -EINVAL);
	berth_layer_job_free(j);
	berth_blob_writer_free(w);
	TAP_OK(berth_layer_exists(s, res.diff_id) && berth_db_has_layer(s->db, res.diff_id));
	TAP_OK(layer_looks_right(s, res.diff_id, 3 << 20));
	TAP_OK(count_entries(s->tmp_fd) == 0 && berth_blob_exists(s, blob_digest));
	free(layer.data);
}

/* From a stored blob; a second unpack of the same chain keeps the first. */
static void test_stored_and_duplicate(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = open_store("stored");
	struct berth_layer_job *j = NULL;
	struct berth_unpack_result res;
	char tar_digest[BERTH_DIGEST_STR_LEN], blob_digest[BERTH_DIGEST_STR_LEN], chain[BERTH_DIGEST_STR_LEN];
	struct buf layer = make_layer(false, 1000, tar_digest);
	struct stat st1, st2;

	TAP_OK(berth_blob_put(s, layer.data, layer.len, blob_digest, &err) == 0);
	/* the parent need not be unpacked here: only its id goes in the record */
	berth_chain_id("sha256:1111111111111111111111111111111111111111111111111111111111111111", tar_digest, chain);
	for (int i = 0; i < 2; i++) {
		TAP_OK(berth_layer_job_start(s, NULL, blob_digest, &j, &err) == 0);
		TAP_OK(berth_layer_job_wait(j, &res, &err) == 0);
		TAP_OK(strcmp(res.diff_id, tar_digest) == 0 && res.compression == BERTH_COMPRESSION_NONE);
		TAP_OK(berth_layer_job_commit(j, chain,
					      "sha256:1111111111111111111111111111111111111111111111111111111111111111",
					      &err) == 0);
		berth_layer_job_free(j);
		j = NULL;
		TAP_OK(fstatat(s->layers_fd, berth_digest_hex(chain), i == 0 ? &st1 : &st2, 0) == 0);
	}
	TAP_OK(st1.st_ino == st2.st_ino && count_entries(s->tmp_fd) == 0 && count_entries(s->layers_fd) == 1);
	TAP_OK(layer_looks_right(s, chain, 1000));

	TAP_OK(berth_layer_job_start(s, NULL, "sha256:nope", &j, &err) == -EINVAL);
	TAP_OK(berth_layer_job_start(s, NULL, "sha256:2222222222222222222222222222222222222222222222222222222222222222",
				     &j, &err) == -ENOENT);
	TAP_OK(count_entries(s->tmp_fd) == 0);

	/* commit checks its chain ids */
	TAP_OK(berth_layer_job_start(s, NULL, blob_digest, &j, &err) == 0);
	TAP_OK(berth_layer_job_wait(j, &res, &err) == 0);
	TAP_OK(berth_layer_job_commit(j, "../../etc", NULL, &err) == -EINVAL);
	TAP_OK(berth_layer_job_commit(j, chain, "bad", &err) == -EINVAL);
	berth_layer_job_free(j);
	TAP_OK(count_entries(s->tmp_fd) == 0);

	/* removal: directory and record go, twice is fine */
	TAP_OK(berth_layer_remove(s, chain, &err) == 0);
	TAP_OK(!berth_layer_exists(s, chain) && !berth_db_has_layer(s->db, chain));
	TAP_OK(count_entries(s->layers_fd) == 0 && count_entries(s->tmp_fd) == 0);
	TAP_OK(berth_layer_remove(s, chain, &err) == 0);
	TAP_OK(berth_layer_remove(s, "sha256:../x", &err) == -EINVAL);
	free(layer.data);
}

/* Freeing a job stops a thread that waits for data, without aborting the blob. */
static void test_cancel(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = open_store("cancel");
	struct berth_blob_writer *w = NULL;
	struct berth_layer_job *j = NULL;
	struct berth_unpack_result res;
	char tar_digest[BERTH_DIGEST_STR_LEN], blob_digest[BERTH_DIGEST_STR_LEN];
	struct buf layer = make_layer(true, 100000, tar_digest);
	struct timespec t0, t1;

	berth_digest_buffer(layer.data, layer.len, blob_digest);
	TAP_OK(berth_blob_writer_new(s, blob_digest, (int64_t)layer.len, 0, &w, &err) == 0);
	TAP_OK(berth_layer_job_start(s, w, NULL, &j, &err) == 0);
	TAP_OK(berth_blob_writer_write(w, layer.data, layer.len / 2, &err) == 0);
	usleep(20000);
	TAP_OK(count_entries(s->tmp_fd) == 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	berth_layer_job_free(j);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TAP_OK(t1.tv_sec - t0.tv_sec < 2);
	TAP_OK(count_entries(s->tmp_fd) == 0);
	TAP_OK(berth_blob_writer_write(w, layer.data + layer.len / 2, layer.len - layer.len / 2, &err) == 0);
	TAP_OK(berth_blob_writer_commit(w, NULL, &err) == 0 && berth_blob_exists(s, blob_digest));
	berth_blob_writer_free(w);
	w = NULL;

	/* an aborted blob fails its job */
	TAP_OK(berth_blob_writer_new(s, NULL, -1, 0, &w, &err) == 0);
	TAP_OK(berth_layer_job_start(s, w, NULL, &j, &err) == 0);
	TAP_OK(berth_blob_writer_write(w, layer.data, layer.len / 2, &err) == 0);
	berth_blob_writer_abort(w);
	TAP_OK(berth_layer_job_wait(j, &res, &err) < 0 && strstr(err.msg, "unpack layer"));
	TAP_OK(berth_layer_job_commit(j, tar_digest, NULL, &err) == -EINVAL);
	berth_layer_job_free(j);
	berth_blob_writer_free(w);
	TAP_OK(count_entries(s->tmp_fd) == 0 && count_entries(s->layers_fd) == 0);

	/* so does a wrong digest, found at the blob's commit */
	TAP_OK(berth_blob_writer_new(s, "sha256:1111111111111111111111111111111111111111111111111111111111111111",
				     (int64_t)layer.len, 0, &w, &err) == 0);
	TAP_OK(berth_layer_job_start(s, w, NULL, &j, &err) == 0);
	TAP_OK(berth_blob_writer_write(w, layer.data, layer.len, &err) == 0);
	TAP_OK(berth_blob_writer_commit(w, NULL, &err) == -EIO);
	TAP_OK(berth_layer_job_wait(j, &res, &err) < 0);
	berth_layer_job_free(j);
	berth_blob_writer_free(w);
	TAP_OK(count_entries(s->tmp_fd) == 0);
	free(layer.data);
}

static void test_bad_input(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = open_store("bad");
	struct berth_layer_job *j = NULL;
	struct berth_unpack_result res;
	char tar_digest[BERTH_DIGEST_STR_LEN], d[BERTH_DIGEST_STR_LEN];
	struct buf layer = make_layer(true, 200000, tar_digest);

	/* a truncated gzip stream */
	TAP_OK(berth_blob_put(s, layer.data, layer.len / 2, d, &err) == 0);
	TAP_OK(berth_layer_job_start(s, NULL, d, &j, &err) == 0);
	TAP_OK(berth_layer_job_wait(j, &res, &err) < 0 && strstr(err.msg, d));
	berth_layer_job_free(j);
	TAP_OK(count_entries(s->tmp_fd) == 0 && count_entries(s->layers_fd) == 0);

	/* over the store's size limit */
	s->limits.max_size = 100000;
	TAP_OK(berth_blob_put(s, layer.data, layer.len, d, &err) == 0);
	TAP_OK(berth_layer_job_start(s, NULL, d, &j, &err) == 0);
	TAP_OK(berth_layer_job_wait(j, &res, &err) == -EFBIG);
	berth_layer_job_free(j);
	TAP_OK(count_entries(s->tmp_fd) == 0);
	free(layer.data);
}

/* Processes that unpack the same chain at once all succeed; one directory remains. */
#define N_RACERS 6
static void test_race(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = open_store("race");
	char tar_digest[BERTH_DIGEST_STR_LEN], blob_digest[BERTH_DIGEST_STR_LEN];
	struct buf layer = make_layer(true, 500000, tar_digest);
	pid_t pids[N_RACERS];
	int failures = 0;

	TAP_OK(berth_blob_put(s, layer.data, layer.len, blob_digest, &err) == 0);
	for (int i = 0; i < N_RACERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct berth_error e = BERTH_ERROR_INIT;
			struct berth_store *cs = open_store("race");
			struct berth_layer_job *cj = NULL;
			struct berth_unpack_result r;

			if (berth_layer_job_start(cs, NULL, blob_digest, &cj, &e) < 0 ||
			    berth_layer_job_wait(cj, &r, &e) < 0 || berth_layer_job_commit(cj, r.diff_id, NULL, &e) < 0) {
				fprintf(stderr, "racer %d: %s\n", i, e.msg);
				_exit(1);
			}
			berth_layer_job_free(cj);
			berth_store_free(cs);
			_exit(0);
		}
	}
	for (int i = 0; i < N_RACERS; i++) {
		int status = 0;

		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failures++;
	}
	TAP_OK(failures == 0);
	TAP_OK(count_entries(s->layers_fd) == 1 && count_entries(s->tmp_fd) == 0);
	TAP_OK(berth_layer_exists(s, tar_digest) && layer_looks_right(s, tar_digest, 500000));
	free(layer.data);
}

int main(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	if (geteuid() != 0)
		tap_skip_all("whiteouts need root (mknod)");
	if (!mkdtemp(base))
		tap_skip_all("mkdtemp");
	test_follow();
	test_stored_and_duplicate();
	test_cancel();
	test_bad_input();
	test_race();
	berth_rm_rf_at(AT_FDCWD, base, &err);
	return tap_done();
}
