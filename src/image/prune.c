/*
 * Garbage: images nobody named (or, with all, every image not in use), then
 * unpacked layers no image uses, blobs nothing refers to, and tmp/ litter
 * (swept when the exclusive lock is taken).  Everything here runs under the
 * exclusive store lock, so no concurrent command is halfway through adding
 * an image that would use what is removed.
 */
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob-store.h"
#include "digest.h"
#include "image-internal.h"
#include "layer-store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Bytes of the files under dirfd/name (apparent sizes, like docker's sizes), without following symlinks. */
static uint64_t du_at(int parent_fd, const char *name, unsigned depth)
{
	struct stat st;
	uint64_t total = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? (uint64_t)st.st_size : 0;
	if (depth > 256)
		return 0;
	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			total += du_at(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	return total;
}

static void add_line(char ***lines, const char *prefix, const char *what)
{
	if (lines)
		berth_strv_consume(lines, berth_xasprintf("%s%s", prefix, what));
}

/* Layer directories without a database row: a crash between publishing and recording. */
static int remove_unrecorded_layers(struct berth_store *s, const char *prefix, char ***lines, uint64_t *reclaimed,
				    struct berth_error *err)
{
	_cleanup_strv_free_ char **orphans = NULL;
	int fd = openat(s->layers_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return berth_error_set(err, errno, "open \"%s/layers\"", s->root);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return berth_error_set(err, errno, "open \"%s/layers\"", s->root);
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *chain = NULL;
		if (de->d_name[0] == '.')
			continue;
		chain = berth_xasprintf("sha256:%s", de->d_name);
		if (!berth_digest_is_valid(chain) || !berth_db_has_layer(s->db, chain))
			berth_strv_push(&orphans, de->d_name);
	}
	closedir(d);
	for (char **o = orphans; o && *o; o++) {
		uint64_t size = du_at(s->layers_fd, *o, 0);
		int r = berth_rm_rf_at(s->layers_fd, *o, err);
		if (r < 0)
			return berth_error_prefix(err, "remove unrecorded layer \"%s\"", *o);
		*reclaimed += size;
		add_line(lines, prefix, *o);
	}
	return 0;
}

static int remove_layers(struct berth_store *s, char *const *only, const char *prefix, char ***lines,
			 uint64_t *reclaimed, struct berth_error *err)
{
	_cleanup_strv_free_ char **unused = NULL;
	int r;

	r = berth_db_unused_layers(s->db, &unused, err);
	if (r < 0)
		return berth_error_prefix(err, "find unused layers");
	for (char **c = unused; *c; c++) {
		uint64_t size;
		if (only && !berth_strv_contains(only, *c))
			continue;
		if (berth_digest_validate(*c, err) < 0)
			return berth_error_prefix(err, "layer in the database");
		size = du_at(s->layers_fd, berth_digest_hex(*c), 0);
		r = berth_layer_remove(s, *c, err);
		if (r < 0)
			return r;
		*reclaimed += size;
		add_line(lines, prefix, *c);
	}
	return 0;
}

static int remove_blobs(struct berth_store *s, char *const *only, uint64_t *reclaimed, struct berth_error *err)
{
	_cleanup_strv_free_ char **referenced = NULL, **all = NULL, **done = NULL;
	char *const *candidates = only;
	int r;

	r = berth_db_referenced_blobs(s->db, &referenced, err);
	if (r < 0)
		return berth_error_prefix(err, "find referenced blobs");
	if (!only) {
		r = berth_blob_list(s, &all, err);
		if (r < 0)
			return r;
		candidates = all;
	}
	for (char *const *b = candidates; b && *b; b++) {
		struct stat st;
		if (berth_strv_contains(referenced, *b) || berth_strv_contains(done, *b) || !berth_digest_is_valid(*b))
			continue;
		berth_strv_push(&done, *b);
		if (fstatat(s->blobs_fd, berth_digest_hex(*b), &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		r = berth_blob_remove(s, *b, err);
		if (r < 0 && r != -ENOENT)
			return r;
		*reclaimed += (uint64_t)st.st_size;
	}
	return 0;
}

int berth_image_collect_garbage(struct berth_store *s, char *const *only_layers, char *const *only_blobs,
				const char *line_prefix, char ***lines, uint64_t *reclaimed, struct berth_error *err)
{
	int r;

	r = remove_layers(s, only_layers, line_prefix, lines, reclaimed, err);
	if (r >= 0 && !only_layers)
		r = remove_unrecorded_layers(s, line_prefix, lines, reclaimed, err);
	if (r >= 0)
		r = remove_blobs(s, only_blobs, reclaimed, err);
	return r;
}

static int delete_unused_images(struct berth_store *s, bool all, char ***lines, struct berth_error *err)
{
	struct berth_image *imgs = NULL;
	size_t n = 0;
	int r;

	r = berth_db_list_images(s->db, &imgs, &n, err);
	if (r < 0)
		return r;
	r = berth_db_begin(s->db, err);
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct berth_image *img = &imgs[i];
		if ((!all && img->names && img->names[0]) || berth_image_is_mounted(s, img->id))
			continue;
		for (char **name = img->names; name && *name; name++) {
			_cleanup_free_ char *familiar = berth_image_familiar_name(*name);
			add_line(lines, "untagged: ", familiar);
		}
		r = berth_db_remove_image(s->db, img->id, err);
		if (r >= 0)
			add_line(lines, "deleted: ", img->id);
	}
	if (r >= 0)
		r = berth_db_commit(s->db, err);
	if (r < 0)
		berth_db_rollback(s->db);
	berth_image_array_free(imgs, n);
	return r;
}

int berth_image_prune(struct berth_store *s, bool all, char ***ret_deleted, uint64_t *ret_reclaimed,
		      struct berth_error *err)
{
	_cleanup_strv_free_ char **lines = NULL;
	uint64_t reclaimed = 0;
	int r;

	*ret_deleted = NULL;
	*ret_reclaimed = 0;
	r = berth_store_lock_exclusive(s, err);
	if (r >= 0)
		r = delete_unused_images(s, all, &lines, err);
	if (r >= 0)
		r = berth_image_collect_garbage(s, NULL, NULL, "deleted: ", &lines, &reclaimed, err);
	if (r >= 0)
		r = berth_store_write_index(s, err);
	*ret_deleted = TAKE_PTR(lines);
	*ret_reclaimed = reclaimed;
	if (r < 0)
		return berth_error_prefix(err, "prune");
	return 0;
}
