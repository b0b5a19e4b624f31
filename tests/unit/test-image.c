/*
 * Unit tests for src/image/image.c (resolve, tag, rmi rules) and the
 * RFC 3339 parser of inspect.c, over a temp store with made-up images whose
 * ids are chosen (to share prefixes) rather than hashed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/blob-store.h"
#include "image/digest.h"
#include "image/image-internal.h"
#include "image/image.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char base[] = "/tmp/berth-test-image-XXXXXX";

/* ids: "sha256:" + hex4 + 60 zeros */
static char *fake_id(const char *hex4)
{
	return berth_xasprintf("sha256:%s%060d", hex4, 0);
}

static void put_image(struct berth_store *s, const char *id, char manifest[BERTH_DIGEST_STR_LEN])
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *text = berth_xasprintf("{\"manifest of\":\"%s\"}", id);
	struct berth_image img = { 0 };

	if (berth_blob_put(s, text, strlen(text), manifest, &err) < 0)
		abort();
	img.id = (char *)id;
	img.manifest_digest = manifest;
	img.manifest_media_type = (char *)"application/vnd.oci.image.manifest.v1+json";
	img.created = 1;
	if (berth_db_put_image(s->db, &img, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
}

static void set_name(struct berth_store *s, const char *name, const char *id)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	if (berth_db_set_name(s->db, name, id, &err) < 0)
		abort();
}

/* Resolve ref; returns the id found (static buffer) or the error message prefixed by '!'. */
static const char *resolve(struct berth_store *s, const char *ref)
{
	static char out[512];
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image img = { 0 };

	if (berth_image_resolve(s, ref, &img, &err) < 0) {
		snprintf(out, sizeof(out), "!%d %s", err.code, err.msg);
		return out;
	}
	snprintf(out, sizeof(out), "%s", img.id);
	berth_image_release(&img);
	return out;
}

static void test_resolve(struct berth_store *s, const char *id1, const char *id2, const char *id3, const char *m1)
{
	_cleanup_free_ char *by_digest = berth_xasprintf("alpine@%s", m1);
	_cleanup_free_ char *by_digest_other = berth_xasprintf("other@%s", m1);
	_cleanup_free_ char *no_prefix = berth_xstrdup(id3 + 7);

	TAP_OK(strcmp(resolve(s, "alpine:3"), id1) == 0);
	TAP_OK(strcmp(resolve(s, "docker.io/library/alpine:3"), id1) == 0);
	TAP_OK(strcmp(resolve(s, "index.docker.io/library/alpine:3"), id1) == 0);
	TAP_OK(strcmp(resolve(s, "tool"), id2) == 0);		   /* localhost/ fallback */
	TAP_OK(strcmp(resolve(s, "localhost/tool:latest"), id2) == 0);
	TAP_OK(strcmp(resolve(s, id1), id1) == 0);		   /* full id */
	TAP_OK(strcmp(resolve(s, no_prefix), id3) == 0);	   /* full hex */
	TAP_OK(strcmp(resolve(s, "abc1"), id1) == 0);		   /* unique prefix */
	TAP_OK(strcmp(resolve(s, "sha256:abc2"), id2) == 0);
	TAP_OK(strncmp(resolve(s, "abc"), "!22 ambiguous image id \"abc\"", 28) == 0);
	tap_diag("abc: %s", resolve(s, "abc"));
	TAP_OK(strncmp(resolve(s, "ab"), "!2 No such image: ab", 20) == 0); /* too short for an id */
	TAP_OK(strcmp(resolve(s, "nosuch"), "!2 No such image: nosuch") == 0);
	TAP_OK(strcmp(resolve(s, "alpine:4"), "!2 No such image: alpine:4") == 0);
	TAP_OK(strcmp(resolve(s, by_digest), id1) == 0);
	TAP_OK(strncmp(resolve(s, by_digest_other), "!2 ", 3) == 0); /* the digest under another repository */
	TAP_OK(resolve(s, "")[0] == '!');
	TAP_OK(strncmp(resolve(s, "UPPER"), "!2 No such image", 16) == 0);
	/* a name wins over an id prefix, as in docker */
	set_name(s, "docker.io/library/def0:latest", id2);
	TAP_OK(strcmp(resolve(s, "def0"), id2) == 0);
	TAP_OK(strcmp(resolve(s, "sha256:def0"), id3) == 0);
}

static bool index_has(struct berth_store *s, const char *name)
{
	_cleanup_free_ char *buf = NULL, *needle = berth_xasprintf("\"%s\"", name);
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	if (berth_read_file_at(s->root_fd, "index.json", 0, &buf, NULL, &err) < 0)
		return false;
	return strstr(buf, needle) != NULL;
}

static void test_tag_and_remove(struct berth_store *s, const char *id1)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_strv_free_ char **lines = NULL;
	struct berth_image img = { 0 };
	int r;

	TAP_OK(berth_image_tag(s, "abc1", "new:1", &err) == 0);
	TAP_OK(index_has(s, "docker.io/library/new:1"));
	TAP_OK(strcmp(resolve(s, "new:1"), id1) == 0);
	r = berth_image_tag(s, "abc1", "bad:Tag@sha256:0", &err);
	TAP_OK(r == -EINVAL);
	r = berth_image_tag(s, "nosuch", "x", &err);
	TAP_OK(r == -ENOENT && strcmp(err.msg, "No such image: nosuch") == 0);

	/* id1 has alpine:3 and new:1: by id needs force, by name only untags */
	r = berth_image_remove(s, "abc1", false, &lines, &err);
	TAP_OK(r == -EBUSY && strstr(err.msg, "referenced in multiple repositories"));
	berth_strv_free(lines);
	lines = NULL;
	TAP_OK(berth_image_remove(s, "new:1", false, &lines, &err) == 0);
	TAP_OK(lines && strcmp(lines[0], "Untagged: new:1") == 0 && !lines[1]);
	TAP_OK(!index_has(s, "docker.io/library/new:1"));
	TAP_OK(strcmp(resolve(s, "abc1"), id1) == 0);
	berth_strv_free(lines);
	lines = NULL;
	/* the last name deletes the image, with its repo digest */
	TAP_OK(berth_image_remove(s, "alpine:3", false, &lines, &err) == 0);
	TAP_OK(berth_strv_length(lines) == 3);
	TAP_OK(lines && strcmp(lines[0], "Untagged: alpine:3") == 0);
	TAP_OK(lines && lines[1] && strncmp(lines[1], "Untagged: alpine@sha256:", 24) == 0);
	TAP_OK(lines && lines[2] && strncmp(lines[2], "Deleted: ", 9) == 0 && strcmp(lines[2] + 9, id1) == 0);
	TAP_OK(berth_db_get_image(s->db, id1, &img, &err) == -ENOENT);
	berth_strv_free(lines);
	lines = NULL;
	r = berth_image_remove(s, "alpine:3", false, &lines, &err);
	TAP_OK(r == -ENOENT && strcmp(err.msg, "No such image: alpine:3") == 0 && !lines);
}

static void test_rfc3339(void)
{
	int64_t t = 0;

	TAP_OK(berth_parse_rfc3339("2024-01-02T03:04:05Z", &t) == 0 && t == 1704164645);
	TAP_OK(berth_parse_rfc3339("2024-01-02T03:04:05.123456789Z", &t) == 0 && t == 1704164645);
	TAP_OK(berth_parse_rfc3339("2024-01-02T04:04:05+01:00", &t) == 0 && t == 1704164645);
	TAP_OK(berth_parse_rfc3339("2024-01-02T02:34:05-00:30", &t) == 0 && t == 1704164645);
	TAP_OK(berth_parse_rfc3339("1970-01-01T00:00:00Z", &t) == 0 && t == 0);
	TAP_OK(berth_parse_rfc3339("2024-01-02", &t) == -EINVAL);
	TAP_OK(berth_parse_rfc3339("2024-13-02T03:04:05Z", &t) == -EINVAL);
	TAP_OK(berth_parse_rfc3339("2024-01-02T03:04:05", &t) == -EINVAL);
	TAP_OK(berth_parse_rfc3339("2024-01-02T03:04:05Zjunk", &t) == -EINVAL);
	TAP_OK(berth_parse_rfc3339(NULL, &t) == -EINVAL);
}

int main(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = NULL;
	_cleanup_free_ char *id1 = fake_id("abc1"), *id2 = fake_id("abc2"), *id3 = fake_id("def0");
	_cleanup_free_ char *root = NULL, *run = NULL, *repo_digest = NULL;
	char m1[BERTH_DIGEST_STR_LEN], m2[BERTH_DIGEST_STR_LEN], m3[BERTH_DIGEST_STR_LEN];

	if (!mkdtemp(base))
		tap_skip_all("mkdtemp");
	root = berth_xasprintf("%s/root", base);
	run = berth_xasprintf("%s/run", base);
	if (berth_store_open(root, run, &s, &err) < 0) {
		tap_diag("%s", err.msg);
		tap_skip_all("cannot open a store");
	}
	put_image(s, id1, m1);
	put_image(s, id2, m2);
	put_image(s, id3, m3);
	set_name(s, "docker.io/library/alpine:3", id1);
	set_name(s, "localhost/tool:latest", id2);
	repo_digest = berth_xasprintf("docker.io/library/alpine@%s", m1);
	if (berth_db_add_repo_digest(s->db, id1, repo_digest, &err) < 0)
		abort();

	test_resolve(s, id1, id2, id3, m1);
	test_tag_and_remove(s, id1);
	test_rfc3339();

	berth_store_free(TAKE_PTR(s));
	{
		_cleanup_error_ struct berth_error e = BERTH_ERROR_INIT;
		berth_rm_rf_at(AT_FDCWD, base, &e);
	}
	return tap_done();
}
