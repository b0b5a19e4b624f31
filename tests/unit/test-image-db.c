/* Unit tests for src/image/image-db.c and the store's index.json: images, names, layers, concurrency. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/blob-store.h"
#include "image/digest.h"
#include "image/image-db.h"
#include "image/manifest.h"
#include "image/store.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char base[] = "/tmp/berth-test-image-db-XXXXXX";

static void digest_of(const char *s, char out[BERTH_DIGEST_STR_LEN])
{
	berth_digest_buffer(s, strlen(s), out);
}

/* An image with n layers whose ids derive from tag, so tests can make many distinct ones. */
struct fake_image {
	struct berth_image img;
	struct berth_image_layer layers[4];
	char id[BERTH_DIGEST_STR_LEN], manifest[BERTH_DIGEST_STR_LEN];
	char diff[4][BERTH_DIGEST_STR_LEN], chain[4][BERTH_DIGEST_STR_LEN], blob[4][BERTH_DIGEST_STR_LEN];
};

static void fake_image(struct fake_image *f, const char *tag, size_t n, const char *shared_bottom)
{
	char buf[128];

	memset(f, 0, sizeof(*f));
	snprintf(buf, sizeof(buf), "config %s", tag);
	digest_of(buf, f->id);
	snprintf(buf, sizeof(buf), "manifest %s", tag);
	digest_of(buf, f->manifest);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 && shared_bottom)
			snprintf(buf, sizeof(buf), "diff %s", shared_bottom);
		else
			snprintf(buf, sizeof(buf), "diff %s %zu", tag, i);
		digest_of(buf, f->diff[i]);
		berth_chain_id(i ? f->chain[i - 1] : NULL, f->diff[i], f->chain[i]);
		snprintf(buf, sizeof(buf), "blob %s", f->diff[i]);
		digest_of(buf, f->blob[i]);
		f->layers[i] = (struct berth_image_layer){
			.chain_id = f->chain[i],
			.diff_id = f->diff[i],
			.blob_digest = f->blob[i],
			.media_type = (char *)BERTH_MT_OCI_LAYER_GZIP,
			.blob_size = 100 + (int64_t)i,
			.diff_size = 1000 * (int64_t)(i + 1),
		};
	}
	f->img = (struct berth_image){
		.id = f->id,
		.manifest_digest = f->manifest,
		.manifest_media_type = (char *)BERTH_MT_OCI_MANIFEST,
		.created = 1700000000,
		.layers = f->layers,
		.n_layers = n,
	};
}

static struct berth_db *open_db(const char *name)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_xasprintf("%s/%s", base, name);
	struct berth_db *db = NULL;

	if (berth_db_open(path, &db, &err) < 0) {
		tap_diag("open db: %s", err.msg);
		abort();
	}
	return db;
}

static void test_schema(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_db *db = open_db("schema.db");
	_cleanup_free_ char *path = berth_xasprintf("%s/schema.db", base);
	sqlite3_stmt *st = NULL;

	sqlite3_prepare_v2(berth_db_handle(db), "PRAGMA journal_mode", -1, &st, NULL);
	TAP_OK(sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0);
	sqlite3_finalize(st);
	sqlite3_prepare_v2(berth_db_handle(db), "PRAGMA foreign_keys", -1, &st, NULL);
	TAP_OK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1);
	sqlite3_finalize(st);
	sqlite3_prepare_v2(berth_db_handle(db), "PRAGMA user_version", -1, &st, NULL);
	TAP_OK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1);
	sqlite3_finalize(st);
	/* a database from a newer berth is refused, not damaged */
	TAP_OK(sqlite3_exec(berth_db_handle(db), "PRAGMA user_version = 7", NULL, NULL, NULL) == SQLITE_OK);
	berth_db_free(db);
	db = NULL;
	TAP_OK(berth_db_open(path, &db, &err) < 0 && strstr(err.msg, "schema version 7 is newer"));
	/* reopening an up-to-date one is fine */
	db = open_db("schema2.db");
	berth_db_free(db);
	db = open_db("schema2.db");
	berth_db_free(db);
}

static void test_images(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_db *db = open_db("images.db");
	struct fake_image a, b;
	struct berth_image got = { 0 }, *list = NULL;
	_cleanup_strv_free_ char **ids = NULL, **blobs = NULL, **unused = NULL;
	char *id = NULL;
	size_t n = 0;

	fake_image(&a, "a", 3, "base");
	fake_image(&b, "b", 2, "base");
	a.img.added = 100;
	b.img.added = 200;
	TAP_OK(berth_db_put_image(db, &a.img, &err) == 0);
	TAP_OK(berth_db_put_image(db, &b.img, &err) == 0);

	TAP_OK(berth_db_get_image(db, a.id, &got, &err) == 0);
	TAP_OK(strcmp(got.id, a.id) == 0 && strcmp(got.manifest_digest, a.manifest) == 0);
	TAP_OK(strcmp(got.manifest_media_type, BERTH_MT_OCI_MANIFEST) == 0 && got.created == 1700000000 &&
	       got.added == 100);
	TAP_OK(got.n_layers == 3 && strcmp(got.layers[2].chain_id, a.chain[2]) == 0 &&
	       strcmp(got.layers[0].diff_id, a.diff[0]) == 0 && strcmp(got.layers[1].blob_digest, a.blob[1]) == 0);
	TAP_OK(got.layers[1].blob_size == 101 && got.layers[2].diff_size == 3000 && got.size == 6000);
	TAP_OK(got.names && got.names[0] == NULL && got.repo_digests && got.repo_digests[0] == NULL);
	berth_image_release(&got);
	TAP_OK(berth_db_get_image(db, "sha256:0000000000000000000000000000000000000000000000000000000000000000", &got,
				  &err) == -ENOENT);

	/* names: set, move, remove */
	TAP_OK(berth_db_set_name(db, "docker.io/library/a:latest", a.id, &err) == 0);
	TAP_OK(berth_db_set_name(db, "docker.io/library/a:1", a.id, &err) == 0);
	TAP_OK(berth_db_set_name(db, "docker.io/library/b:latest", b.id, &err) == 0);
	TAP_OK(berth_db_find_by_name(db, "docker.io/library/a:1", &id, &err) == 0 && strcmp(id, a.id) == 0);
	free(id);
	TAP_OK(berth_db_set_name(db, "docker.io/library/a:1", b.id, &err) == 0);
	TAP_OK(berth_db_find_by_name(db, "docker.io/library/a:1", &id, &err) == 0 && strcmp(id, b.id) == 0);
	free(id);
	TAP_OK(berth_db_find_by_name(db, "docker.io/library/zz:1", &id, &err) == -ENOENT &&
	       strstr(err.msg, "no image named \"docker.io/library/zz:1\""));
	TAP_OK(berth_db_set_name(db, "x:1", "sha256:0000000000000000000000000000000000000000000000000000000000000000",
				 &err) == -ENOENT);
	TAP_OK(berth_db_remove_name(db, "docker.io/library/a:latest", &err) == 0);
	TAP_OK(berth_db_remove_name(db, "docker.io/library/a:latest", &err) == -ENOENT);
	TAP_OK(berth_db_set_name(db, "docker.io/library/a:latest", a.id, &err) == 0);
	TAP_OK(berth_db_add_repo_digest(db, a.id, "docker.io/library/a@sha256:1", &err) == 0);
	TAP_OK(berth_db_add_repo_digest(db, a.id, "docker.io/library/a@sha256:1", &err) == 0);
	TAP_OK(berth_db_add_repo_digest(db, "sha256:nope", "x@y", &err) == -ENOENT);

	TAP_OK(berth_db_get_image(db, b.id, &got, &err) == 0);
	TAP_OK(berth_strv_length(got.names) == 2 && strcmp(got.names[0], "docker.io/library/a:1") == 0 &&
	       strcmp(got.names[1], "docker.io/library/b:latest") == 0);
	berth_image_release(&got);

	/* list: newest first */
	TAP_OK(berth_db_list_images(db, &list, &n, &err) == 0 && n == 2);
	TAP_OK(n == 2 && strcmp(list[0].id, b.id) == 0 && strcmp(list[1].id, a.id) == 0);
	TAP_OK(n == 2 && berth_strv_length(list[1].names) == 1 && berth_strv_length(list[1].repo_digests) == 1);
	berth_image_array_free(list, n);

	/* id prefixes */
	TAP_OK(berth_db_find_by_id_prefix(db, berth_digest_hex(a.id), &ids, &err) == 0 && berth_strv_length(ids) == 1);
	berth_strv_free(ids);
	ids = NULL;
	{
		char pfx[4] = { berth_digest_hex(a.id)[0], berth_digest_hex(a.id)[1], berth_digest_hex(a.id)[2], 0 };

		TAP_OK(berth_db_find_by_id_prefix(db, pfx, &ids, &err) == 0 && berth_strv_contains(ids, a.id));
		berth_strv_free(ids);
		ids = NULL;
	}
	TAP_OK(berth_db_find_by_id_prefix(db, "", &ids, &err) == -EINVAL);
	TAP_OK(berth_db_find_by_id_prefix(db, "%", &ids, &err) == -EINVAL);
	TAP_OK(berth_db_find_by_id_prefix(db, "ABC", &ids, &err) == -EINVAL);

	/* a new manifest for a known image replaces the old one, names stay */
	{
		struct fake_image a2;

		fake_image(&a2, "a", 3, "base");
		digest_of("manifest a, recompressed", a2.manifest);
		a2.img.manifest_media_type = (char *)BERTH_MT_DOCKER_MANIFEST;
		a2.blob[0][10] = 'f';
		TAP_OK(berth_db_put_image(db, &a2.img, &err) == 0);
		TAP_OK(berth_db_get_image(db, a.id, &got, &err) == 0);
		TAP_OK(strcmp(got.manifest_digest, a2.manifest) == 0 && got.added == 100 &&
		       strcmp(got.manifest_media_type, BERTH_MT_DOCKER_MANIFEST) == 0);
		TAP_OK(got.n_layers == 3 && strcmp(got.layers[0].blob_digest, a2.blob[0]) == 0);
		TAP_OK(berth_strv_length(got.names) == 1);
		berth_image_release(&got);
		a2.blob[0][10] = a.blob[0][10];
		TAP_OK(berth_db_put_image(db, &a.img, &err) == 0);
	}

	/* referenced blobs: manifests, configs, layer blobs */
	TAP_OK(berth_db_referenced_blobs(db, &blobs, &err) == 0);
	TAP_OK(berth_strv_contains(blobs, a.id) && berth_strv_contains(blobs, a.manifest) &&
	       berth_strv_contains(blobs, b.blob[1]) && berth_strv_contains(blobs, a.blob[0]));
	/* 2 manifests, 2 configs, layer blobs base (shared), a1, a2, b1 */
	TAP_OK(berth_strv_length(blobs) == 8);

	/* digests become paths later: invalid ones never get in */
	{
		struct fake_image bad;

		fake_image(&bad, "bad", 2, NULL);
		bad.layers[1].chain_id = (char *)"sha256:../../etc";
		TAP_OK(berth_db_put_image(db, &bad.img, &err) == -EINVAL && strstr(err.msg, "layer 1"));
		fake_image(&bad, "bad", 2, NULL);
		bad.img.manifest_digest = (char *)"md5:x";
		TAP_OK(berth_db_put_image(db, &bad.img, &err) == -EINVAL);
		TAP_OK(berth_db_get_image(db, bad.id, &got, &err) == -ENOENT);
		TAP_OK(berth_db_add_layer(db, "../x", NULL, a.diff[0], 1, &err) == -EINVAL);
		TAP_OK(berth_db_add_layer(db, a.chain[1], "sha256:zz", a.diff[1], 1, &err) == -EINVAL);
	}

	/* layers: added once, in use by images, unused once the images go */
	for (size_t i = 0; i < 3; i++)
		TAP_OK(berth_db_add_layer(db, a.chain[i], i ? a.chain[i - 1] : NULL, a.diff[i], 1000, &err) == 0);
	TAP_OK(berth_db_add_layer(db, a.chain[0], NULL, a.diff[0], 1000, &err) == 0);
	TAP_OK(berth_db_add_layer(db, b.chain[1], b.chain[0], b.diff[1], 1000, &err) == 0);
	TAP_OK(berth_db_has_layer(db, a.chain[1]) && !berth_db_has_layer(db, a.id));
	TAP_OK(berth_db_unused_layers(db, &unused, &err) == 0 && berth_strv_length(unused) == 0);
	berth_strv_free(unused);
	unused = NULL;

	TAP_OK(berth_db_remove_image(db, a.id, &err) == 0);
	TAP_OK(berth_db_remove_image(db, a.id, &err) == -ENOENT && strstr(err.msg, "no such image"));
	TAP_OK(berth_db_find_by_name(db, "docker.io/library/a:latest", &id, &err) == -ENOENT);
	TAP_OK(berth_db_unused_layers(db, &unused, &err) == 0 && berth_strv_length(unused) == 2 &&
	       berth_strv_contains(unused, a.chain[1]) && berth_strv_contains(unused, a.chain[2]));
	TAP_OK(berth_db_remove_layer(db, a.chain[1], &err) == 0 && !berth_db_has_layer(db, a.chain[1]));

	/* a rolled-back transaction leaves nothing */
	TAP_OK(berth_db_begin(db, &err) == 0);
	TAP_OK(berth_db_put_image(db, &a.img, &err) == 0);
	TAP_OK(berth_db_set_name(db, "docker.io/library/a:rolled", a.id, &err) == 0);
	berth_db_rollback(db);
	TAP_OK(berth_db_get_image(db, a.id, &got, &err) == -ENOENT);
	TAP_OK(berth_db_begin(db, &err) == 0);
	TAP_OK(berth_db_put_image(db, &a.img, &err) == 0);
	TAP_OK(berth_db_set_name(db, "docker.io/library/a:committed", a.id, &err) == 0);
	TAP_OK(berth_db_commit(db, &err) == 0);
	TAP_OK(berth_db_find_by_name(db, "docker.io/library/a:committed", &id, &err) == 0);
	free(id);
	berth_db_free(db);
}

/* Many berth processes add images and names at once: every change lands, none sees SQLITE_BUSY. */
#define N_PROCS 20
static void test_concurrency(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_xasprintf("%s/concurrent.db", base);
	struct berth_image *list = NULL;
	struct berth_db *db = NULL;
	pid_t pids[N_PROCS];
	int go[2];
	int failures = 0;
	size_t n = 0;

	TAP_OK(pipe(go) == 0);
	for (int i = 0; i < N_PROCS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct berth_error e = BERTH_ERROR_INIT;
			struct fake_image f;
			struct berth_db *cdb = NULL;
			char tag[32], name[64];
			char c;

			close(go[1]);
			/* all start together, on a database none has created yet */
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			snprintf(tag, sizeof(tag), "img%d", i);
			fake_image(&f, tag, 3, "shared-base");
			if (berth_db_open(path, &cdb, &e) < 0) {
				fprintf(stderr, "child %d: %s\n", i, e.msg);
				_exit(1);
			}
			for (int round = 0; round < 5; round++) {
				if (berth_db_begin(cdb, &e) < 0 || berth_db_put_image(cdb, &f.img, &e) < 0)
					goto fail;
				for (size_t l = 0; l < 3; l++)
					if (berth_db_add_layer(cdb, f.chain[l], l ? f.chain[l - 1] : NULL, f.diff[l], 1,
							       &e) < 0)
						goto fail;
				snprintf(name, sizeof(name), "docker.io/library/%s:latest", tag);
				if (berth_db_set_name(cdb, name, f.id, &e) < 0)
					goto fail;
				/* everyone fights over one name too */
				if (berth_db_set_name(cdb, "docker.io/library/contended:latest", f.id, &e) < 0)
					goto fail;
				if (berth_db_commit(cdb, &e) < 0)
					goto fail;
			}
			berth_db_free(cdb);
			_exit(0);
		fail:
			fprintf(stderr, "child %d: %s\n", i, e.msg);
			_exit(2);
		}
	}
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < N_PROCS; i++) {
		int status = 0;

		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failures++;
	}
	tap_ok(failures == 0, "%d concurrent writers all succeeded (%d failed)", N_PROCS, failures);
	db = open_db("concurrent.db");
	TAP_OK(berth_db_list_images(db, &list, &n, &err) == 0 && n == N_PROCS);
	for (size_t i = 0; i < n; i++) {
		size_t names = berth_strv_length(list[i].names);

		if (names < 1 || names > 2 || list[i].n_layers != 3)
			failures++;
	}
	TAP_OK(failures == 0);
	berth_image_array_free(list, n);
	{
		_cleanup_strv_free_ char **unused = NULL;
		sqlite3_stmt *st = NULL;

		sqlite3_prepare_v2(berth_db_handle(db), "SELECT count(*) FROM layers", -1, &st, NULL);
		/* one shared bottom layer and two of each image's own */
		TAP_OK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1 + 2 * N_PROCS);
		sqlite3_finalize(st);
		sqlite3_prepare_v2(berth_db_handle(db), "SELECT count(*) FROM names", -1, &st, NULL);
		TAP_OK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == N_PROCS + 1);
		sqlite3_finalize(st);
	}
	berth_db_free(db);
}

static void test_write_index(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *root = berth_xasprintf("%s/store", base), *run = berth_xasprintf("%s/run", base);
	_cleanup_(berth_store_freep) struct berth_store *s = NULL;
	_cleanup_free_ char *buf = NULL;
	static const char manifest[] = "{\"schemaVersion\":2,\"mediaType\":\"" BERTH_MT_OCI_MANIFEST "\"}";
	char mdigest[BERTH_DIGEST_STR_LEN];
	struct fake_image a;
	json_t *idx = NULL, *m;
	json_error_t jerr;

	TAP_OK(berth_store_open(root, run, &s, &err) == 0);
	fake_image(&a, "indexed", 1, NULL);
	TAP_OK(berth_blob_put(s, manifest, strlen(manifest), mdigest, &err) == 0);
	a.img.manifest_digest = mdigest;
	TAP_OK(berth_db_put_image(s->db, &a.img, &err) == 0);
	TAP_OK(berth_db_set_name(s->db, "localhost/zz:1", a.id, &err) == 0);
	TAP_OK(berth_db_set_name(s->db, "docker.io/library/indexed:latest", a.id, &err) == 0);
	TAP_OK(berth_store_write_index(s, &err) == 0);
	TAP_OK(berth_read_file_at(s->root_fd, "index.json", 0, &buf, NULL, &err) == 0);
	idx = json_loads(buf, 0, &jerr);
	TAP_OK(idx && json_integer_value(json_object_get(idx, "schemaVersion")) == 2);
	TAP_OK(strcmp(json_string_value(json_object_get(idx, "mediaType")), BERTH_MT_OCI_INDEX) == 0);
	TAP_OK(json_array_size(json_object_get(idx, "manifests")) == 2);
	m = json_array_get(json_object_get(idx, "manifests"), 0);
	TAP_OK(strcmp(json_string_value(json_object_get(m, "digest")), mdigest) == 0);
	TAP_OK(json_integer_value(json_object_get(m, "size")) == (json_int_t)strlen(manifest));
	TAP_OK(strcmp(json_string_value(json_object_get(m, "mediaType")), BERTH_MT_OCI_MANIFEST) == 0);
	TAP_OK(strcmp(json_string_value(json_object_get(json_object_get(m, "annotations"),
							 "org.opencontainers.image.ref.name")),
		      "docker.io/library/indexed:latest") == 0);
	json_decref(idx);

	/* inside a transaction of the caller's too */
	TAP_OK(berth_db_begin(s->db, &err) == 0);
	TAP_OK(berth_db_remove_name(s->db, "localhost/zz:1", &err) == 0);
	TAP_OK(berth_store_write_index(s, &err) == 0);
	TAP_OK(berth_db_commit(s->db, &err) == 0);
	free(buf);
	buf = NULL;
	TAP_OK(berth_read_file_at(s->root_fd, "index.json", 0, &buf, NULL, &err) == 0 && !strstr(buf, "zz:1") &&
	       strstr(buf, "indexed:latest"));
}

int main(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	if (!mkdtemp(base))
		tap_skip_all("mkdtemp");
	test_schema();
	test_images();
	test_concurrency();
	test_write_index();
	berth_rm_rf_at(AT_FDCWD, base, &err);
	return tap_done();
}
