/* Every container at once: the list ps shows, their sizes, and container prune. */
#include "engine/container-info.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

int berth_ctr_list(struct berth_engine *e, struct berth_ctr **ret, size_t *ret_n, struct berth_error *err)
{
	struct berth_ctr *v = NULL;
	size_t n = 0;
	int r;

	if ((r = berth_ctr_db_list(e->store->db, &v, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		/* one container's trouble (its state unreadable) must not hide the others */
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		berth_ctr_refresh(e, &v[i], &ignore);
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Inodes already counted: hard links are one file. */
struct seen {
	struct {
		dev_t dev;
		ino_t ino;
	} *v;
	size_t n;
};

static bool seen_add(struct seen *s, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].dev == dev && s->v[i].ino == ino)
			return false;
	s->v = berth_xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n].dev = dev;
	s->v[s->n].ino = ino;
	s->n++;
	return true;
}

/* docker's directory.Size: the apparent size of everything but directories, never following symlinks. */
static int dir_size(int dfd, int depth, struct seen *seen, int64_t *total)
{
	DIR *d;
	struct dirent *de;

	if (depth > 256)
		return -ELOOP;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* removed while we walk: the container may be running */
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				dir_size(sub, depth + 1, seen, total);
			continue;
		}
		if (st.st_nlink > 1 && !seen_add(seen, st.st_dev, st.st_ino))
			continue;
		*total += st.st_size;
	}
	closedir(d);
	return 0;
}

int berth_ctr_size(struct berth_engine *e, const struct berth_ctr *c, int64_t *ret_rw, int64_t *ret_rootfs,
		   struct berth_error *err)
{
	_cleanup_free_ char *upper = berth_engine_ctr_path(e, c->id, "upper");
	struct seen seen = { 0 };
	int64_t rw = 0;
	int fd;

	fd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		dir_size(fd, 0, &seen, &rw);
	else if (errno != ENOENT)
		return berth_error_set(err, errno, "open \"%s\"", upper);
	free(seen.v);
	if (ret_rw)
		*ret_rw = rw;
	if (ret_rootfs) {
		struct berth_image img = { 0 };
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		*ret_rootfs = rw;
		/* the image may be gone (rmi -f): then the container's own bytes are all there is */
		if (berth_image_resolve(e->store, c->image_id, &img, &ignore) == 0) {
			*ret_rootfs += img.size;
			berth_image_release(&img);
		}
	}
	return 0;
}

/* One docker label filter ("k" or "k=v") against a labels object. */
static bool label_matches(json_t *labels, const char *filter)
{
	const char *eq = strchr(filter, '=');
	_cleanup_free_ char *key = eq ? berth_xstrndup(filter, (size_t)(eq - filter)) : berth_xstrdup(filter);
	json_t *v = json_object_get(labels, key);

	if (!v)
		return false;
	return !eq || (json_is_string(v) && strcmp(json_string_value(v), eq + 1) == 0);
}

bool berth_ctr_labels_match(const struct berth_ctr *c, char *const *labels, char *const *not_labels)
{
	json_t *l = json_object_get(json_object_get(c->config, "Config"), "Labels");

	for (char *const *f = labels; f && *f; f++)
		if (!label_matches(l, *f))
			return false;
	for (char *const *f = not_labels; f && *f; f++)
		if (label_matches(l, *f))
			return false;
	return true;
}

int berth_ctr_prune(struct berth_engine *e, const struct berth_prune_filters *f, char ***ret_ids,
		    uint64_t *ret_reclaimed, struct berth_error *err)
{
	_cleanup_strv_free_ char **ids = NULL;
	struct berth_ctr *v = NULL;
	uint64_t reclaimed = 0;
	size_t n = 0;
	int r;

	if ((r = berth_ctr_list(e, &v, &n, err)) < 0)
		return r;
	ids = berth_xzalloc(sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		int64_t rw = 0;

		if (v[i].state != BERTH_CTR_CREATED && v[i].state != BERTH_CTR_EXITED)
			continue;
		if (f && f->until && v[i].created >= f->until)
			continue;
		if (f && !berth_ctr_labels_match(&v[i], f->labels, f->not_labels))
			continue;
		berth_ctr_size(e, &v[i], &rw, NULL, &ignore);
		berth_error_release(&ignore);
		/* not forced: a container started meanwhile stays, as with docker */
		if (berth_ctr_remove(e, v[i].id, false, false, &ignore) < 0)
			continue;
		berth_strv_push(&ids, v[i].id);
		reclaimed += (uint64_t)rw;
	}
	berth_ctr_array_free(v, n);
	*ret_ids = TAKE_PTR(ids);
	*ret_reclaimed = reclaimed;
	return 0;
}
