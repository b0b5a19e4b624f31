/*
 * Finding images (names, short names, digests, ids and id prefixes), naming
 * them (tag) and removing them (rmi), with docker's rules.
 */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "digest.h"
#include "image-internal.h"
#include "reference.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define MIN_ID_PREFIX 3

static void reference_releasep(struct berth_reference *r)
{
	berth_reference_release(r);
}
#define _cleanup_reference_ _cleanup_(reference_releasep)

char *berth_image_familiar_name(const char *name)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_reference_ struct berth_reference ref = { 0 };
	_cleanup_free_ char *repo = NULL, *familiar = NULL;

	if (berth_reference_parse(name, &ref, &err) < 0)
		return berth_xstrdup(name);
	repo = berth_reference_repository(&ref);
	familiar = berth_reference_familiar(repo);
	return berth_xasprintf("%s%s%s%s%s", familiar, ref.tag ? ":" : "", ref.tag ? ref.tag : "", ref.digest ? "@" : "",
			       ref.digest ? ref.digest : "");
}

bool berth_image_is_mounted(struct berth_store *s, const char *id)
{
	_cleanup_free_ char *path = NULL;
	struct statx stx;

	if (!berth_digest_is_valid(id))
		return false;
	path = berth_xasprintf("%s/image-mounts/%s/merged", s->run_root, berth_digest_hex(id));
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static bool is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int not_found(const char *ref, struct berth_error *err)
{
	/* docker's wording, which scripts look for */
	return berth_error_setx(err, ENOENT, "No such image: %s", ref);
}

/* name@digest: an image with that repo digest, or whose manifest is that digest under that repository. */
static int find_by_digest(struct berth_store *s, const struct berth_reference *ref, char **ret_id,
			  struct berth_error *err)
{
	_cleanup_free_ char *repo = berth_reference_repository(ref);
	_cleanup_free_ char *want = berth_xasprintf("%s@%s", repo, ref->digest);
	struct berth_image *imgs = NULL;
	size_t n = 0;
	int r;

	r = berth_db_list_images(s->db, &imgs, &n, err);
	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n && r == -ENOENT; i++) {
		if (berth_strv_contains(imgs[i].repo_digests, want)) {
			r = 0;
		} else if (strcmp(imgs[i].manifest_digest, ref->digest) == 0) {
			size_t len = strlen(repo);
			for (char **name = imgs[i].names; name && *name; name++)
				if (strncmp(*name, repo, len) == 0 && ((*name)[len] == ':' || (*name)[len] == '@'))
					r = 0;
		}
		if (r == 0)
			*ret_id = berth_xstrdup(imgs[i].id);
	}
	berth_image_array_free(imgs, n);
	return r;
}

/* By name: the normalised reference, then for a short name "localhost/<name>". */
static int find_by_name(struct berth_store *s, const char *input, char **ret_id, char **ret_name,
			struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference ref = { 0 };
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	_cleanup_free_ char *full = NULL;
	int r;

	if (berth_reference_parse(input, &ref, &ignored) < 0)
		return -ENOENT;
	if (ref.digest)
		return find_by_digest(s, &ref, ret_id, err);
	full = berth_reference_string(&ref);
	r = berth_db_find_by_name(s->db, full, ret_id, &ignored);
	if (r == 0) {
		*ret_name = TAKE_PTR(full);
		return 0;
	}
	if (r != -ENOENT)
		return berth_error_setx(err, -r, "%s", ignored.msg);
	if (ref.short_name) {
		_cleanup_reference_ struct berth_reference local = { 0 };
		_cleanup_free_ char *local_input = berth_xasprintf("localhost/%s", input);

		if (berth_reference_parse(local_input, &local, &ignored) < 0)
			return -ENOENT;
		free(full);
		full = berth_reference_string(&local);
		r = berth_db_find_by_name(s->db, full, ret_id, &ignored);
		if (r == 0) {
			*ret_name = TAKE_PTR(full);
			return 0;
		}
		if (r != -ENOENT)
			return berth_error_setx(err, -r, "%s", ignored.msg);
	}
	return -ENOENT;
}

static int find_by_id(struct berth_store *s, const char *input, char **ret_id, struct berth_error *err)
{
	const char *hex = strncmp(input, "sha256:", 7) == 0 ? input + 7 : input;
	_cleanup_strv_free_ char **ids = NULL;
	size_t n;
	int r;

	if (strlen(hex) < MIN_ID_PREFIX || strlen(hex) > BERTH_DIGEST_HEX_LEN || !is_hex(hex))
		return -ENOENT;
	r = berth_db_find_by_id_prefix(s->db, hex, &ids, err);
	if (r < 0)
		return r;
	n = berth_strv_length(ids);
	if (n == 0)
		return -ENOENT;
	if (n > 1)
		return berth_error_setx(err, EINVAL, "ambiguous image id \"%s\": it is the start of %zu image ids", input,
					n);
	*ret_id = berth_xstrdup(ids[0]);
	return 0;
}

int berth_image_resolve_name(struct berth_store *s, const char *ref, struct berth_image *ret, char **ret_name,
			     struct berth_error *err)
{
	_cleanup_free_ char *id = NULL, *name = NULL;
	const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
	int r = -ENOENT;

	if (!ref || !*ref)
		return berth_error_setx(err, EINVAL, "empty image reference");
	/* a full id is an id; otherwise names win over id prefixes, as in docker */
	if (strlen(hex) == BERTH_DIGEST_HEX_LEN && is_hex(hex))
		r = find_by_id(s, ref, &id, err);
	else if (hex == ref)
		r = find_by_name(s, ref, &id, &name, err);
	if (r == -ENOENT && !id)
		r = find_by_id(s, ref, &id, err);
	if (r == -ENOENT)
		return not_found(ref, err);
	if (r < 0)
		return r;
	r = berth_db_get_image(s->db, id, ret, err);
	if (r == -ENOENT) /* removed between the two reads */
		return not_found(ref, err);
	if (r < 0)
		return r;
	if (ret_name)
		*ret_name = TAKE_PTR(name);
	return 0;
}

int berth_image_resolve(struct berth_store *s, const char *ref, struct berth_image *ret, struct berth_error *err)
{
	return berth_image_resolve_name(s, ref, ret, NULL, err);
}

/* ---- tag ---- */

int berth_image_tag(struct berth_store *s, const char *src, const char *dst, struct berth_error *err)
{
	_cleanup_reference_ struct berth_reference ref = { 0 };
	_cleanup_free_ char *name = NULL;
	struct berth_image img = { 0 };
	int r;

	r = berth_reference_parse(dst, &ref, err);
	if (r < 0)
		return berth_error_prefix(err, "tag");
	if (ref.digest)
		return berth_error_setx(err, EINVAL, "tag \"%s\": refusing to create a tag with a digest reference", dst);
	name = berth_reference_string(&ref);
	r = berth_image_resolve(s, src, &img, err);
	if (r < 0)
		return r;
	/* an image being removed right now can vanish before the name lands: the foreign key says so */
	r = berth_db_begin(s->db, err);
	if (r >= 0)
		r = berth_db_set_name(s->db, name, img.id, err);
	if (r >= 0)
		r = berth_db_commit(s->db, err);
	berth_image_release(&img);
	if (r < 0) {
		berth_db_rollback(s->db);
		return berth_error_prefix(err, "tag \"%s\"", dst);
	}
	return berth_store_write_index(s, err);
}

/* ---- rmi ---- */

static void add_line(char ***lines, const char *prefix, const char *what)
{
	berth_strv_consume(lines, berth_xasprintf("%s%s", prefix, what));
}

/* Delete the image's rows (names, repo digests and layer references go with it). */
static int delete_image(struct berth_store *s, const struct berth_image *img, char ***lines, struct berth_error *err)
{
	int r;

	for (char **name = img->names; name && *name; name++) {
		_cleanup_free_ char *familiar = berth_image_familiar_name(*name);
		add_line(lines, "Untagged: ", familiar);
	}
	for (char **d = img->repo_digests; d && *d; d++) {
		_cleanup_free_ char *familiar = berth_image_familiar_name(*d);
		add_line(lines, "Untagged: ", familiar);
	}
	r = berth_db_remove_image(s->db, img->id, err);
	if (r < 0)
		return r;
	add_line(lines, "Deleted: ", img->id);
	return 0;
}

/* The layers and blobs only this image may have used: candidates for removal once it is gone. */
static void image_garbage(const struct berth_image *img, char ***layers, char ***blobs)
{
	berth_strv_push(blobs, img->id);
	berth_strv_push(blobs, img->manifest_digest);
	for (size_t i = 0; i < img->n_layers; i++) {
		berth_strv_push(layers, img->layers[i].chain_id);
		berth_strv_push(blobs, img->layers[i].blob_digest);
	}
}

/*
 * Decide what rmi does: 0 = delete the image, 1 = only untag name.
 * Refusals follow docker: an id naming an image with several names needs
 * force; an image in use (mounted) is never deleted, only untagged with force.
 */
static int rmi_plan(struct berth_store *s, const struct berth_image *img, const char *ref, const char *name, bool force,
		    struct berth_error *err)
{
	size_t n_names = berth_strv_length(img->names);
	_cleanup_free_ char *short_id = berth_xstrndup(berth_digest_hex(img->id), 12);

	if (name && n_names > 1)
		return 1;
	if (!name && n_names > 1 && !force)
		return berth_error_setx(err, EBUSY,
					"conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories",
					short_id);
	if (berth_image_is_mounted(s, img->id)) {
		if (!force)
			return berth_error_setx(err, EBUSY,
						"conflict: unable to remove repository reference \"%s\" (must force) - image %s is mounted (berth image unmount %s)",
						ref, short_id, short_id);
		if (!name)
			return berth_error_setx(err, EBUSY, "conflict: unable to delete %s - image is mounted", short_id);
		return 1;
	}
	return 0;
}

int berth_image_remove(struct berth_store *s, const char *ref, bool force, char ***ret_lines, struct berth_error *err)
{
	_cleanup_strv_free_ char **lines = NULL, **layers = NULL, **blobs = NULL;
	_cleanup_free_ char *name = NULL;
	struct berth_image img = { 0 };
	uint64_t reclaimed = 0;
	int r, plan;

	*ret_lines = NULL;
	/* removing layers and blobs must not race with a command that is adding an image that uses them */
	r = berth_store_lock_exclusive(s, err);
	if (r < 0)
		return r;
	r = berth_image_resolve_name(s, ref, &img, &name, err);
	if (r < 0)
		return r;
	plan = rmi_plan(s, &img, ref, name, force, err);
	if (plan < 0) {
		berth_image_release(&img);
		return plan;
	}
	r = berth_db_begin(s->db, err);
	if (r >= 0 && plan == 1) {
		_cleanup_free_ char *familiar = berth_image_familiar_name(name);
		r = berth_db_remove_name(s->db, name, err);
		add_line(&lines, "Untagged: ", familiar);
	} else if (r >= 0) {
		r = delete_image(s, &img, &lines, err);
		image_garbage(&img, &layers, &blobs);
	}
	if (r >= 0)
		r = berth_db_commit(s->db, err);
	berth_image_release(&img);
	if (r < 0) {
		berth_db_rollback(s->db);
		return berth_error_prefix(err, "remove %s", ref);
	}
	/* the database is the truth from here: what is left on disk is prune's garbage */
	if (layers || blobs)
		r = berth_image_collect_garbage(s, layers, blobs, "Deleted: ", &lines, &reclaimed, err);
	if (r >= 0)
		r = berth_store_write_index(s, err);
	*ret_lines = TAKE_PTR(lines);
	return r;
}
