/*
 * Unit tests for src/image/load*.c: archive paths, links between members,
 * and archives that must fail (and record nothing), each read from a file
 * (two passes) and from a pipe (one pass).  Round trips with podman and
 * skopeo are in tests/e2e/image-archive.bats.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/image-db.h"
#include "image/image.h"
#include "image/load-internal.h"
#include "image/store.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char base[] = "/tmp/berth-test-load-XXXXXX";
static int n_stores;

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

/* An archive being written in memory. */
struct tarw {
	struct archive *a;
	struct buf out;
};

static void tar_begin(struct tarw *t)
{
	*t = (struct tarw){ .a = archive_write_new() };
	archive_write_set_format_pax_restricted(t->a);
	archive_write_open(t->a, &t->out, NULL, mem_write, NULL);
}

static void tar_entry(struct tarw *t, const char *path, mode_t type, const void *data, size_t len,
		      const char *symlink, const char *hardlink)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, type == AE_IFREG && !hardlink ? (la_int64_t)len : 0);
	if (symlink)
		archive_entry_set_symlink(e, symlink);
	if (hardlink)
		archive_entry_set_hardlink(e, hardlink);
	archive_write_header(t->a, e);
	if (data && len && !hardlink)
		archive_write_data(t->a, data, len);
	archive_entry_free(e);
}

static void tar_file(struct tarw *t, const char *path, const void *data, size_t len)
{
	tar_entry(t, path, AE_IFREG, data, len, NULL, NULL);
}

static void tar_str(struct tarw *t, const char *path, const char *s)
{
	tar_file(t, path, s, strlen(s));
}

static struct buf tar_end(struct tarw *t)
{
	archive_write_close(t->a);
	archive_write_free(t->a);
	return t->out;
}

/* A layer: a tar with one file "f" holding content. */
static struct buf make_layer(const char *content, char diff_id[BERTH_DIGEST_STR_LEN])
{
	struct tarw t;
	struct buf b;

	tar_begin(&t);
	tar_str(&t, "f", content);
	b = tar_end(&t);
	berth_digest_buffer(b.data, b.len, diff_id);
	return b;
}

static char *make_config(char *const *diff_ids)
{
	_cleanup_free_ char *list = berth_xstrdup("");

	for (size_t i = 0; diff_ids[i]; i++) {
		char *l = berth_xasprintf("%s%s\"%s\"", list, i ? "," : "", diff_ids[i]);

		free(list);
		list = l;
	}
	return berth_xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
			       "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]}}",
			       list);
}

static struct berth_store *new_store(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *root = berth_xasprintf("%s/root%d", base, n_stores);
	_cleanup_free_ char *run = berth_xasprintf("%s/run%d", base, n_stores++);
	struct berth_store *s = NULL;

	if (berth_store_open(root, run, &s, &err) < 0) {
		tap_diag("store: %s", err.msg);
		abort();
	}
	return s;
}

struct feeder {
	int fd;
	struct buf b;
};

static void *feed(void *opaque)
{
	struct feeder *f = opaque;

	berth_write_all(f->fd, f->b.data, f->b.len);
	close(f->fd);
	return NULL;
}

/* Load an archive from a temp file (pipe false) or a pipe; err keeps the message. */
static int load(struct berth_store *s, struct buf b, bool pipe_in, char ***ret_loaded, struct berth_error *err)
{
	int r;

	if (pipe_in) {
		int p[2];
		pthread_t t;
		struct feeder f;

		if (pipe2(p, O_CLOEXEC) < 0)
			abort();
		f = (struct feeder){ .fd = p[1], .b = b };
		pthread_create(&t, NULL, feed, &f);
		r = berth_image_load(s, p[0], NULL, NULL, ret_loaded, err);
		close(p[0]); /* the feeder gets EPIPE if the load stopped early */
		pthread_join(t, NULL);
	} else {
		_cleanup_free_ char *path = berth_xasprintf("%s/archive.XXXXXX", base);
		_cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);

		if (fd < 0 || berth_write_all(fd, b.data, b.len) < 0 || lseek(fd, 0, SEEK_SET) < 0)
			abort();
		unlink(path);
		r = berth_image_load(s, fd, NULL, NULL, ret_loaded, err);
	}
	return r;
}

static size_t image_count(struct berth_store *s)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image *imgs = NULL;
	size_t n = 0;

	if (berth_db_list_images(s->db, &imgs, &n, &err) < 0)
		abort();
	berth_image_array_free(imgs, n);
	return n;
}

/* Expect the archive to fail in both modes with a message containing want, recording nothing. */
static void expect_failure(struct buf b, const char *want, const char *what)
{
	for (int mode = 0; mode < 2; mode++) {
		struct berth_store *s = new_store();
		struct berth_error err = BERTH_ERROR_INIT;
		int r = load(s, b, mode == 1, NULL, &err);

		tap_ok(r < 0 && err.msg && strstr(err.msg, want), "%s (%s): \"%s\"", what, mode ? "pipe" : "file",
		       err.msg ? err.msg : "(no error)");
		tap_ok(image_count(s) == 0, "%s (%s): nothing recorded", what, mode ? "pipe" : "file");
		berth_error_release(&err);
		berth_store_free(s);
	}
}

static void expect_success(struct buf b, const char *id, const char *line, const char *what)
{
	for (int mode = 0; mode < 2; mode++) {
		struct berth_store *s = new_store();
		struct berth_error err = BERTH_ERROR_INIT;
		_cleanup_strv_free_ char **loaded = NULL;
		struct berth_image img = { 0 };
		int r = load(s, b, mode == 1, &loaded, &err);

		if (!tap_ok(r == 0, "%s (%s) loads", what, mode ? "pipe" : "file"))
			tap_diag("%s", err.msg);
		tap_ok(loaded && loaded[0] && strcmp(loaded[0], line) == 0, "%s (%s): \"%s\"", what,
		       mode ? "pipe" : "file", loaded && loaded[0] ? loaded[0] : "(nothing)");
		tap_ok(berth_db_get_image(s->db, id, &img, &err) == 0 && img.n_layers == 1, "%s (%s): image recorded",
		       what, mode ? "pipe" : "file");
		berth_image_release(&img);
		berth_error_release(&err);
		berth_store_free(s);
	}
}

static void test_paths(void)
{
	static const struct {
		const char *dir, *path, *want;
	} cases[] = {
		{ NULL, "./a//b/../c", "a/c" },
		{ NULL, "/abs/x.tar", "abs/x.tar" },
		{ NULL, "../x", NULL },
		{ NULL, "a/../../x", NULL },
		{ NULL, "./", NULL },
		{ NULL, "", NULL },
		{ "d848", "../80ce.tar", "80ce.tar" },
		{ "d/e", "../../f", "f" },
		{ "d", "../../f", NULL },
		{ "d", "/blobs/sha256/x", "blobs/sha256/x" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = load_path_normalize(cases[i].dir, cases[i].path);

		tap_ok((!got && !cases[i].want) || (got && cases[i].want && strcmp(got, cases[i].want) == 0),
		       "normalize (%s, \"%s\") = %s", cases[i].dir ? cases[i].dir : "top", cases[i].path,
		       got ? got : "NULL");
	}
}

/*
 * A docker-archive of one layer, the member "l.tar", which manifest.json
 * names as layer_path; symlink adds "0123/layer.tar" -> "../l.tar",
 * hardlink "h.tar" (a hard link to l.tar).  config_override replaces the
 * config (NULL: one that matches the layer).
 */
static struct buf docker_archive(const char *layer_path, bool symlink, bool hardlink,
				 const char *tags, const char *config_override, char id[BERTH_DIGEST_STR_LEN])
{
	char diff_id[BERTH_DIGEST_STR_LEN];
	struct buf layer = make_layer("hello\n", diff_id);
	char *ids[] = { diff_id, NULL };
	_cleanup_free_ char *config = config_override ? berth_xstrdup(config_override) : make_config(ids);
	_cleanup_free_ char *config_name = NULL;
	_cleanup_free_ char *manifest = NULL;
	struct tarw t;

	berth_digest_buffer(config, strlen(config), id);
	config_name = berth_xasprintf("%s.json", berth_digest_hex(id));
	manifest = berth_xasprintf("[{\"Config\":\"%s\",\"RepoTags\":%s,\"Layers\":[\"%s\"]}]", config_name, tags,
				   layer_path);
	tar_begin(&t);
	tar_file(&t, "l.tar", layer.data, layer.len);
	if (symlink) {
		tar_entry(&t, "0123/", AE_IFDIR, NULL, 0, NULL, NULL);
		tar_entry(&t, "0123/layer.tar", AE_IFLNK, NULL, 0, "../l.tar", NULL);
	}
	if (hardlink)
		tar_entry(&t, "h.tar", AE_IFREG, NULL, 0, NULL, "l.tar");
	tar_str(&t, config_name, config);
	tar_str(&t, "manifest.json", manifest);
	free(layer.data);
	return tar_end(&t);
}

static void test_docker(void)
{
	char id[BERTH_DIGEST_STR_LEN];
	struct buf b;

	b = docker_archive("l.tar", false, false, "[\"busybox\"]", NULL, id);
	expect_success(b, id, "Loaded image: docker.io/library/busybox:latest", "plain docker-archive");
	free(b.data);

	b = docker_archive("0123/layer.tar", true, false, "null", NULL, id);
	{
		_cleanup_free_ char *line = berth_xasprintf("Loaded image ID: %s", id);

		expect_success(b, id, line, "layer through a symlink, untagged");
	}
	free(b.data);

	b = docker_archive("./h.tar", false, true, "[\"localhost/h:1\"]", NULL, id);
	expect_success(b, id, "Loaded image: localhost/h:1", "layer through a hardlink");
	free(b.data);

	b = docker_archive("../l.tar", false, false, "[]", NULL, id);
	expect_failure(b, "bad layer path \"../l.tar\"", "layer path outside the archive");
	free(b.data);

	b = docker_archive("nope.tar", false, false, "[]", NULL, id);
	expect_failure(b, "\"nope.tar\"", "missing layer member");
	free(b.data);

	b = docker_archive("l.tar", false, false, "[\"Bad Name!\"]", NULL, id);
	expect_failure(b, "image name \"Bad Name!\"", "invalid RepoTags");
	free(b.data);

	{
		char *ids[] = { "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef", NULL };
		_cleanup_free_ char *config = make_config(ids);

		b = docker_archive("l.tar", false, false, "[]", config, id);
		expect_failure(b, "the image config says sha256:5f70bf18", "diff id mismatch");
		free(b.data);
	}
	{
		char *ids[] = { "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
				"sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef", NULL };
		_cleanup_free_ char *config = make_config(ids);

		b = docker_archive("l.tar", false, false, "[]", config, id);
		expect_failure(b, "lists 1 layers, its config", "layer count mismatch");
		free(b.data);
	}
	b = docker_archive("l.tar", false, false, "[]", "{\"rootfs\": 1", id);
	expect_failure(b, "image config", "config not JSON");
	free(b.data);
}

static void test_junk(void)
{
	struct tarw t;
	struct buf b;

	tar_begin(&t);
	tar_str(&t, "manifest.json", "[]");
	tar_str(&t, "manifest.json", "[]");
	b = tar_end(&t);
	expect_failure(b, "\"manifest.json\" appears twice", "duplicate member");
	free(b.data);

	tar_begin(&t);
	tar_str(&t, "manifest.json", "{\"Config\": 1}");
	b = tar_end(&t);
	expect_failure(b, "\"manifest.json\" is not an array", "manifest.json not an array");
	free(b.data);

	tar_begin(&t);
	tar_str(&t, "other", "x");
	b = tar_end(&t);
	expect_failure(b, "not a docker or OCI archive", "neither format");
	free(b.data);

	b.data = berth_xstrdup("plain text, not a tar at all, long enough for the sniffers");
	b.len = strlen(b.data);
	expect_failure(b, "read archive", "not a tar");
	free(b.data);
}

/* An OCI layout: index.json -> manifest (with the given layer media type) -> config + layer. */
static void test_oci(void)
{
	static const char *media_types[] = { BERTH_MT_OCI_LAYER, "application/vnd.example.unknown" };

	for (size_t k = 0; k < ARRAY_SIZE(media_types); k++) {
		char diff_id[BERTH_DIGEST_STR_LEN], cfg_digest[BERTH_DIGEST_STR_LEN], man_digest[BERTH_DIGEST_STR_LEN];
		struct buf layer = make_layer("oci\n", diff_id);
		char *ids[] = { diff_id, NULL };
		_cleanup_free_ char *config = make_config(ids);
		_cleanup_free_ char *manifest = NULL, *index = NULL, *p = NULL;
		struct tarw t;
		struct buf b;

		berth_digest_buffer(config, strlen(config), cfg_digest);
		manifest = berth_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\","
					   "\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
					   "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}]}",
					   BERTH_MT_OCI_MANIFEST, BERTH_MT_OCI_CONFIG, cfg_digest, strlen(config),
					   media_types[k], diff_id, layer.len);
		berth_digest_buffer(manifest, strlen(manifest), man_digest);
		index = berth_xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
					"\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref.name\":"
					"\"localhost/oci:%zu\"}}]}",
					BERTH_MT_OCI_MANIFEST, man_digest, strlen(manifest), k);
		tar_begin(&t);
		tar_str(&t, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
		p = load_blob_path(diff_id);
		tar_file(&t, p, layer.data, layer.len);
		free(p);
		p = load_blob_path(cfg_digest);
		tar_str(&t, p, config);
		free(p);
		p = load_blob_path(man_digest);
		tar_str(&t, p, manifest);
		tar_str(&t, "index.json", index);
		b = tar_end(&t);
		if (k == 0)
			expect_success(b, cfg_digest, "Loaded image: localhost/oci:0", "OCI archive");
		else
			expect_failure(b, "unsupported media type", "OCI layer of an unknown media type");
		free(b.data);
		free(layer.data);
	}
}

int main(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int r;

	if (geteuid() != 0)
		tap_skip_all("needs root (layers keep their owners)");
	if (!mkdtemp(base))
		tap_skip_all("mkdtemp failed");
	test_paths();
	test_docker();
	test_junk();
	test_oci();
	berth_rm_rf_at(AT_FDCWD, base, &err);
	berth_error_release(&err);
	r = tap_done();
	return r;
}
