/*
 * berth load: a docker-archive or an OCI archive, plain or compressed, from
 * a file or a pipe, read once.
 *
 * A seekable plain tar is read twice: a quick pass over the headers that
 * reads only the small JSON members (the data of the others is skipped with
 * lseek), to learn the images and which of their layers the store already
 * has; then a pass that streams only the layers it lacks.  Anything else is
 * read in one pass that keeps the JSON members and streams every member
 * that looks like a layer (layers already there are dropped at the end),
 * unless the metadata came first (berth save writes it first), in which
 * case the plan is known before the first layer.
 *
 * A streamed layer goes into a blob writer (hashed and written to tmp/) as
 * it is read, and a layer job follows that writer in its own thread, so
 * layers unpack in parallel with reading.  Nothing is recorded until every
 * layer has been checked against its config's diff ids: a bad archive
 * leaves only garbage for prune (blobs, unpacked layers), never an image
 * or a name.
 */
#include "image.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blob-store.h"
#include "decompress.h"
#include "layer-store.h"
#include "load-internal.h"
#include "reference.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define READ_BUF_SIZE (1024 * 1024)
/* Layer jobs unpacking at once; more wait for the oldest (their bytes are safe in tmp/ meanwhile). */
#define MIN_RUNNING_JOBS 4
/* Links followed to find a member (docker's <id>/layer.tar -> ../<diffid>.tar). */
#define MAX_LINK_HOPS 8

void load_progress(struct load_ctx *ctx, const char *fmt, ...)
{
	_cleanup_free_ char *line = NULL;
	va_list ap;

	if (!ctx->progress)
		return;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	ctx->progress(ctx->opaque, line);
}

/* --- archive paths and members ------------------------------------------------ */

char *load_path_normalize(const char *dir, const char *path)
{
	_cleanup_free_ char *joined = NULL;
	_cleanup_free_ char *out = NULL;
	size_t n = 0;
	char *save = NULL;

	if (path[0] == '/' || !dir || !*dir)
		joined = berth_xstrdup(path);
	else
		joined = berth_xasprintf("%s/%s", dir, path);
	out = berth_xmalloc(strlen(joined) + 1);
	for (char *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (n == 0)
				return NULL;
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--; /* the separator */
			continue;
		}
		if (n > 0)
			out[n++] = '/';
		memcpy(out + n, c, strlen(c));
		n += strlen(c);
	}
	if (n == 0)
		return NULL;
	out[n] = '\0';
	return TAKE_PTR(out);
}

static struct load_member *member_get(struct load_ctx *ctx, const char *path)
{
	for (size_t i = 0; i < ctx->n_members; i++)
		if (strcmp(ctx->members[i]->path, path) == 0)
			return ctx->members[i];
	return NULL;
}

struct load_member *load_member_find(struct load_ctx *ctx, const char *path)
{
	_cleanup_free_ char *p = load_path_normalize(NULL, path);

	for (int hop = 0; p && hop <= MAX_LINK_HOPS; hop++) {
		struct load_member *m = member_get(ctx, p);

		if (!m || m->type != LOAD_MEMBER_LINK)
			return m;
		free(p);
		p = berth_xstrdup(m->target);
	}
	return NULL;
}

int load_member_json(struct load_ctx *ctx, const char *path, const char **ret_data, size_t *ret_len,
		     struct berth_error *err)
{
	struct load_member *m = load_member_find(ctx, path);

	if (m && m->data) {
		*ret_data = m->data;
		*ret_len = m->len;
		return 0;
	}
	if (!ctx->complete && (!m || !m->not_json))
		return 1;
	if (!m)
		return berth_error_setx(err, ENOENT, "archive member \"%s\" is missing", path);
	if (m->size > BERTH_MANIFEST_MAX_SIZE)
		return berth_error_setx(err, EFBIG, "archive member \"%s\" is larger than %d bytes", path,
					BERTH_MANIFEST_MAX_SIZE);
	return berth_error_setx(err, EINVAL, "archive member \"%s\" is not JSON", path);
}

char *load_blob_path(const char *digest)
{
	return berth_xasprintf("blobs/sha256/%s", berth_digest_hex(digest));
}

char *load_blob_path_digest(const char *path)
{
	_cleanup_free_ char *d = NULL;

	if (strncmp(path, "blobs/sha256/", 13) != 0)
		return NULL;
	d = berth_xasprintf("sha256:%s", path + 13);
	return berth_digest_is_valid(d) ? TAKE_PTR(d) : NULL;
}

int load_blob_json(struct load_ctx *ctx, const char *digest, int64_t size, const char **ret_data, size_t *ret_len,
		   struct berth_error *err)
{
	_cleanup_free_ char *path = NULL;
	char actual[BERTH_DIGEST_STR_LEN];
	int r;

	r = berth_digest_validate(digest, err);
	if (r < 0)
		return r;
	path = load_blob_path(digest);
	r = load_member_json(ctx, path, ret_data, ret_len, err);
	if (r != 0)
		return r;
	berth_digest_buffer(*ret_data, *ret_len, actual);
	if (strcmp(actual, digest) != 0)
		return berth_error_setx(err, EBADMSG, "archive member \"%s\": its digest is %s", path, actual);
	if (size >= 0 && (uint64_t)size != *ret_len)
		return berth_error_setx(err, EBADMSG, "archive member \"%s\": %zu bytes, the descriptor says %lld",
					path, *ret_len, (long long)size);
	return 0;
}

/* --- the plan's images ------------------------------------------------------ */

void load_image_release(struct load_image *img)
{
	free(img->config_member);
	berth_image_config_release(&img->config);
	free(img->manifest_media_type);
	berth_strv_free(img->names);
	for (size_t i = 0; i < img->n_layers; i++) {
		struct load_layer *l = &img->layers[i];

		free(l->member);
		free(l->blob_digest);
		free(l->media_type);
		free(l->rec.chain_id);
		free(l->rec.diff_id);
		free(l->rec.blob_digest);
		free(l->rec.media_type);
	}
	free(img->layers);
	*img = (struct load_image){ 0 };
}

int load_add_image(struct load_ctx *ctx, const char *config_member, const char *data, size_t len,
		   struct load_image **ret, struct berth_error *err)
{
	struct load_image img = { 0 };
	char id[BERTH_DIGEST_STR_LEN];
	int r;

	berth_digest_buffer(data, len, id);
	for (size_t i = 0; i < ctx->n_images; i++)
		if (strcmp(ctx->images[i].id, id) == 0) {
			*ret = &ctx->images[i];
			return 0;
		}

	memcpy(img.id, id, sizeof(id));
	img.config_data = data;
	img.config_len = len;
	img.config_member = berth_xstrdup(config_member);
	r = berth_image_config_parse(data, len, &img.config, err);
	if (r < 0) {
		load_image_release(&img);
		return berth_error_prefix(err, "image config \"%s\"", config_member);
	}
	img.n_layers = img.config.n_diff_ids;
	img.layers = berth_xcalloc(img.n_layers ? img.n_layers : 1, sizeof(*img.layers));
	for (size_t i = 0; i < img.n_layers; i++) {
		struct load_layer *l = &img.layers[i];
		const char *parent = i > 0 ? img.layers[i - 1].chain_id : NULL;

		l->blob_size = -1;
		snprintf(l->diff_id, sizeof(l->diff_id), "%s", img.config.diff_ids[i]);
		snprintf(l->parent_chain_id, sizeof(l->parent_chain_id), "%s", parent ? parent : "");
		berth_chain_id(parent, l->diff_id, l->chain_id);
	}
	ctx->images = berth_xreallocarray(ctx->images, ctx->n_images + 1, sizeof(*ctx->images));
	ctx->images[ctx->n_images] = img;
	*ret = &ctx->images[ctx->n_images++];
	return 0;
}

int load_image_add_name(struct load_image *img, const char *ref, struct berth_error *err)
{
	struct berth_reference parsed = { 0 };
	_cleanup_free_ char *name = NULL;
	int r;

	r = berth_reference_parse(ref, &parsed, err);
	if (r < 0)
		return berth_error_prefix(err, "image name \"%s\"", ref);
	if (parsed.digest) {
		berth_reference_release(&parsed);
		return berth_error_setx(err, EINVAL, "image name \"%s\": a name with a digest cannot be a tag", ref);
	}
	name = berth_reference_string(&parsed);
	berth_reference_release(&parsed);
	if (!berth_strv_contains(img->names, name))
		berth_strv_consume(&img->names, TAKE_PTR(name));
	return 0;
}

static void plan_reset(struct load_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_images; i++)
		load_image_release(&ctx->images[i]);
	free(ctx->images);
	ctx->images = NULL;
	ctx->n_images = 0;
	ctx->planned = false;
}

/* --- layers the store has ------------------------------------------------------ */

static int load_known(struct load_ctx *ctx, struct berth_error *err)
{
	int r;

	if (ctx->known_loaded)
		return 0;
	r = berth_db_list_images(ctx->s->db, &ctx->known, &ctx->n_known, err);
	if (r < 0)
		return berth_error_prefix(err, "list images");
	ctx->known_loaded = true;
	return 0;
}

/*
 * The store's record of a layer with this chain id, when the layer is
 * unpacked and its blob is there (the one the archive names, for OCI): a
 * load then takes it as it is.
 */
static const struct berth_image_layer *known_layer(struct load_ctx *ctx, const struct load_layer *l)
{
	if (!berth_layer_exists(ctx->s, l->chain_id))
		return NULL;
	for (size_t i = 0; i < ctx->n_known; i++)
		for (size_t j = 0; j < ctx->known[i].n_layers; j++) {
			const struct berth_image_layer *k = &ctx->known[i].layers[j];

			if (strcmp(k->chain_id, l->chain_id) != 0)
				continue;
			if (berth_blob_exists(ctx->s, l->blob_digest ? l->blob_digest : k->blob_digest))
				return k;
		}
	return NULL;
}

/* Whether a layer before layer j of image i has the same chain (one progress line each). */
static bool chain_seen(struct load_ctx *ctx, size_t i, size_t j)
{
	const char *chain = ctx->images[i].layers[j].chain_id;

	for (size_t a = 0; a <= i; a++)
		for (size_t b = 0; b < (a == i ? j : ctx->images[a].n_layers); b++)
			if (strcmp(ctx->images[a].layers[b].chain_id, chain) == 0)
				return true;
	return false;
}

static bool member_task(struct load_ctx *ctx, const char *path)
{
	struct load_member *m = load_member_find(ctx, path);

	return m && m->task;
}

/*
 * Build the plan from the JSON members and mark the members whose layers
 * the store lacks.  1 while members it needs are still unread.
 */
static int plan(struct load_ctx *ctx, struct berth_error *err)
{
	bool docker;
	int r;

	if (ctx->planned)
		return 0;
	/* docker 25+ writes an OCI layout beside manifest.json: the latter has the names */
	docker = load_member_find(ctx, "manifest.json") != NULL;
	if (!docker && !load_member_find(ctx, "index.json")) {
		if (!ctx->complete)
			return 1;
		return berth_error_setx(err, EINVAL,
					"not a docker or OCI archive (or cut short): no \"manifest.json\" or \"index.json\" member");
	}
	r = docker ? load_docker_plan(ctx, err) : load_oci_plan(ctx, err);
	if (r == 0 && ctx->n_images == 0)
		r = berth_error_setx(err, EINVAL, "the archive has no images");
	if (r != 0) {
		plan_reset(ctx);
		return r;
	}
	r = load_known(ctx, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ctx->n_images; i++)
		for (size_t j = 0; j < ctx->images[i].n_layers; j++) {
			struct load_layer *l = &ctx->images[i].layers[j];

			l->have = known_layer(ctx, l) != NULL;
			if (l->have && !member_task(ctx, l->member) && !chain_seen(ctx, i, j))
				load_progress(ctx, "Copying blob %s skipped: already exists",
					      l->blob_digest ? l->blob_digest : l->diff_id);
			else if (ctx->complete && !load_member_find(ctx, l->member))
				return berth_error_setx(err, ENOENT, "archive member \"%s\" (a layer of image %s) is missing",
							l->member, ctx->images[i].id);
		}
	ctx->planned = true;
	return 0;
}

/*
 * Whether the plan needs this member's bytes as a layer the store lacks.
 * Before the whole archive has been seen, a layer whose member cannot be
 * resolved yet (it may be a link still to come) makes every candidate
 * wanted, except the members of layers the store has.
 */
static bool member_wanted(struct load_ctx *ctx, const struct load_member *m)
{
	bool unresolved = false, had = false;

	for (size_t i = 0; i < ctx->n_images; i++)
		for (size_t j = 0; j < ctx->images[i].n_layers; j++) {
			const struct load_layer *l = &ctx->images[i].layers[j];
			const struct load_member *lm = load_member_find(ctx, l->member);

			if (l->have)
				had |= lm == m;
			else if (lm == m)
				return true;
			else
				unresolved |= !lm && !ctx->complete;
		}
	return unresolved && !had;
}

/* --- layer tasks ------------------------------------------------------------- */

static int task_wait(struct load_task *t)
{
	if (!t->waited) {
		t->rc = berth_layer_job_wait(t->job, &t->res, &t->err);
		t->waited = true;
	}
	return t->rc;
}

static void task_free(struct load_task *t)
{
	if (t->writer && !t->blob_committed)
		berth_blob_writer_abort(t->writer); /* the follower stops */
	if (t->job)
		berth_layer_job_free(t->job);
	if (t->writer)
		berth_blob_writer_free(t->writer);
	berth_error_release(&t->err);
	free(t->member);
	free(t);
}

/* Keep at most max_running jobs unpacking: wait for the oldest. */
static void tasks_throttle(struct load_ctx *ctx)
{
	size_t running = 0;

	for (size_t i = 0; i < ctx->n_tasks; i++)
		if (ctx->tasks[i]->job && !ctx->tasks[i]->waited)
			running++;
	for (size_t i = 0; i < ctx->n_tasks && running >= ctx->max_running; i++)
		if (ctx->tasks[i]->job && !ctx->tasks[i]->waited) {
			task_wait(ctx->tasks[i]);
			running--;
		}
}

static struct load_task *task_new(struct load_ctx *ctx, struct load_member *m)
{
	struct load_task *t = berth_xzalloc(sizeof(*t));

	t->member = berth_xstrdup(m->path);
	ctx->tasks = berth_xreallocarray(ctx->tasks, ctx->n_tasks + 1, sizeof(*ctx->tasks));
	ctx->tasks[ctx->n_tasks++] = t;
	m->task = t;
	return t;
}

/* The expected digest of a member that is a blob: the plan's, or the one its path names. */
static char *member_expected_digest(struct load_ctx *ctx, const struct load_member *m)
{
	for (size_t i = 0; i < ctx->n_images; i++)
		for (size_t j = 0; j < ctx->images[i].n_layers; j++) {
			const struct load_layer *l = &ctx->images[i].layers[j];

			if (l->blob_digest && load_member_find(ctx, l->member) == m)
				return berth_xstrdup(l->blob_digest);
		}
	return load_blob_path_digest(m->path);
}

/* Read the next data block of the current member: 1 with a block, 0 at its end. */
static int member_block(struct archive *a, const char *path, const void **buf, size_t *len, int64_t *pos,
			struct berth_error *err)
{
	la_int64_t off = 0;
	int r;

	r = archive_read_data_block(a, buf, len, &off);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN)
		return berth_error_setx(err, archive_errno(a) > 0 ? archive_errno(a) : EIO,
					"read archive member \"%s\": %s", path, archive_error_string(a));
	if (off != *pos)
		return berth_error_setx(err, EINVAL, "archive member \"%s\" is sparse", path);
	*pos += (int64_t)*len;
	return 1;
}

/*
 * Stream the current member into a new blob and start a layer job that
 * follows it.  first/first_len: a block already read (sniffed).
 */
static int stream_layer(struct load_ctx *ctx, struct archive *a, struct load_member *m, const void *first,
			size_t first_len, int64_t pos, struct berth_error *err)
{
	_cleanup_free_ char *expected = member_expected_digest(ctx, m);
	struct load_task *t = task_new(ctx, m);
	const void *buf = first;
	size_t len = first_len;
	int r;

	load_progress(ctx, "Copying blob %s", expected ? expected : m->path);
	r = berth_blob_writer_new(ctx->s, expected, m->size, 0, &t->writer, err);
	if (r < 0)
		return berth_error_prefix(err, "archive member \"%s\"", m->path);
	tasks_throttle(ctx);
	r = berth_layer_job_start(ctx->s, t->writer, NULL, &t->job, err);
	if (r < 0)
		return berth_error_prefix(err, "archive member \"%s\"", m->path);
	for (;;) {
		if (len > 0) {
			r = berth_blob_writer_write(t->writer, buf, len, err);
			if (r < 0)
				return berth_error_prefix(err, "archive member \"%s\"", m->path);
		}
		r = member_block(a, m->path, &buf, &len, &pos, err);
		if (r < 0)
			return r;
		if (r == 0)
			break;
	}
	r = berth_blob_writer_commit(t->writer, t->blob_digest, err);
	if (r < 0)
		return berth_error_prefix(err, "archive member \"%s\"", m->path);
	t->blob_committed = true;
	return 0;
}

/* --- reading the archive ---------------------------------------------------- */

struct reader {
	int fd;
	bool seekable;
	off_t size; /* of the file, when seekable */
	char *buf;
	/* one pass: gzip and zstd are inflated here (ISA-L when built with it), faster than libarchive's zlib */
	struct berth_decompressor *d;
	struct berth_error err;
};

static ssize_t fd_read(void *opaque, void *buf, size_t len)
{
	int fd = *(int *)opaque;

	for (;;) {
		ssize_t n = read(fd, buf, len);

		if (n >= 0 || errno != EINTR)
			return n < 0 ? -errno : n;
	}
}

static la_ssize_t reader_read(struct archive *a, void *opaque, const void **ret_buf)
{
	struct reader *rd = opaque;

	if (rd->d) {
		ssize_t n = berth_decompressor_read(rd->d, rd->buf, READ_BUF_SIZE, &rd->err);

		if (n < 0) {
			archive_set_error(a, rd->err.code, "%s", rd->err.msg);
			return -1;
		}
		*ret_buf = rd->buf;
		return n;
	}
	for (;;) {
		ssize_t n = read(rd->fd, rd->buf, READ_BUF_SIZE);

		if (n >= 0) {
			*ret_buf = rd->buf;
			return n;
		}
		if (errno != EINTR) {
			archive_set_error(a, errno, "read: %s", strerror(errno));
			return -1;
		}
	}
}

/*
 * Skipping a member's data: lseek on a file (libarchive reads through it on
 * a pipe).  Never past the end, so a truncated file reads as truncated.
 */
static la_int64_t reader_skip(struct archive *a, void *opaque, la_int64_t request)
{
	struct reader *rd = opaque;
	off_t pos;

	if (!rd->seekable || request <= 0)
		return 0;
	pos = lseek(rd->fd, 0, SEEK_CUR);
	if (pos < 0 || pos >= rd->size)
		return 0;
	if (request > rd->size - pos)
		request = rd->size - pos;
	if (lseek(rd->fd, request, SEEK_CUR) < 0)
		return 0;
	return request;
}

enum walk_mode {
	WALK_SCAN,   /* seekable, first pass: read the JSON members, skip the rest */
	WALK_LAYERS, /* seekable, second pass: stream the layers the plan wants */
	WALK_ALL,    /* the only pass: JSON into memory, layers streamed */
};

enum member_kind {
	KIND_JSON,
	KIND_LAYER,
	KIND_SNIFF, /* blobs/sha256/<hex> and unknown names: JSON or a layer, by content */
	KIND_IGNORE,
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static enum member_kind member_kind(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (has_suffix(base, ".json") || strcmp(base, "json") == 0 || strcmp(path, "repositories") == 0 ||
	    strcmp(path, "oci-layout") == 0)
		return KIND_JSON;
	if (has_suffix(base, ".tar") || has_suffix(base, ".tar.gz") || has_suffix(base, ".tgz") ||
	    has_suffix(base, ".tar.zst"))
		return KIND_LAYER;
	if (strcmp(base, "VERSION") == 0)
		return KIND_IGNORE;
	return KIND_SNIFF;
}

static bool looks_like_json(const void *buf, size_t len)
{
	const char *p = buf;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
			continue;
		return p[i] == '{' || p[i] == '[';
	}
	return false;
}

/*
 * Read a member's data into memory.  sniff: look at the first block and
 * stop (returning 1 with that block in *first) unless it looks like JSON.
 */
static int read_json(struct load_ctx *ctx, struct archive *a, struct load_member *m, bool sniff, const void **first,
		     size_t *first_len, int64_t *pos, struct berth_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	const void *buf = NULL;
	size_t n = 0;
	int r;

	if (m->size < 0 || m->size > BERTH_MANIFEST_MAX_SIZE) {
		m->not_json = true;
		return 1;
	}
	data = berth_xmalloc((size_t)m->size + 1);
	for (;;) {
		r = member_block(a, m->path, &buf, &n, pos, err);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (n == 0)
			continue;
		if (len == 0 && sniff && !looks_like_json(buf, n)) {
			m->not_json = true;
			*first = buf;
			*first_len = n;
			return 1;
		}
		if (len + n > (size_t)m->size)
			return berth_error_setx(err, EINVAL, "archive member \"%s\" is longer than its header says",
						m->path);
		memcpy(data + len, buf, n);
		len += n;
	}
	if (len == 0 && sniff) {
		m->not_json = true;
		return 1;
	}
	data[len] = '\0';
	m->data = TAKE_PTR(data);
	m->len = len;
	return 0;
}

static int add_member(struct load_ctx *ctx, struct archive_entry *e, const char *path, struct load_member **ret,
		      struct berth_error *err)
{
	_cleanup_free_ char *dir = NULL;
	struct load_member *m = NULL;
	const char *hardlink = archive_entry_hardlink(e);
	const char *slash = strrchr(path, '/');

	m = member_get(ctx, path);
	if (m) {
		if (m->type == LOAD_MEMBER_OTHER && archive_entry_filetype(e) == AE_IFDIR)
			return 0;
		return berth_error_setx(err, EINVAL, "archive member \"%s\" appears twice", path);
	}
	m = berth_xzalloc(sizeof(*m));
	m->path = berth_xstrdup(path);
	m->size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
	if (hardlink) {
		m->type = LOAD_MEMBER_LINK;
		m->target = load_path_normalize(NULL, hardlink);
	} else if (archive_entry_filetype(e) == AE_IFLNK) {
		dir = slash ? berth_xstrndup(path, (size_t)(slash - path)) : NULL;
		m->type = LOAD_MEMBER_LINK;
		m->target = load_path_normalize(dir, archive_entry_symlink(e));
	} else {
		m->type = archive_entry_filetype(e) == AE_IFREG ? LOAD_MEMBER_FILE : LOAD_MEMBER_OTHER;
	}
	if (m->type == LOAD_MEMBER_LINK && !m->target)
		m->type = LOAD_MEMBER_OTHER; /* pointing outside the archive: never followed */
	ctx->members = berth_xreallocarray(ctx->members, ctx->n_members + 1, sizeof(*ctx->members));
	ctx->members[ctx->n_members++] = m;
	*ret = m;
	return 0;
}

/* One member in WALK_ALL: JSON kept, layers streamed (only the wanted ones once the plan is known). */
static int walk_all_member(struct load_ctx *ctx, struct archive *a, struct load_member *m, struct berth_error *err)
{
	enum member_kind kind = member_kind(m->path);
	const void *first = NULL;
	size_t first_len = 0;
	int64_t pos = 0;
	int r;

	if (kind == KIND_IGNORE)
		return 0;
	if (ctx->planned && kind != KIND_JSON && !member_wanted(ctx, m))
		return 0; /* a layer the store has, or not a layer at all */
	if (kind == KIND_JSON || kind == KIND_SNIFF) {
		r = read_json(ctx, a, m, kind == KIND_SNIFF, &first, &first_len, &pos, err);
		if (r <= 0 || kind == KIND_JSON)
			return r < 0 ? r : 0;
	}
	if (!ctx->planned) {
		r = plan(ctx, err);
		if (r < 0)
			return r;
		if (r == 0 && !member_wanted(ctx, m))
			return 0;
	}
	return stream_layer(ctx, a, m, first, first_len, pos, err);
}

static int walk_member(struct load_ctx *ctx, struct archive *a, struct archive_entry *e, enum walk_mode mode,
		       struct berth_error *err)
{
	_cleanup_free_ char *path = load_path_normalize(NULL, archive_entry_pathname(e));
	struct load_member *m = NULL;
	const void *first = NULL;
	size_t first_len = 0;
	int64_t pos = 0;
	int r;

	if (!path)
		return 0; /* "./" */
	if (mode == WALK_LAYERS) {
		m = member_get(ctx, path);
		if (!m || m->type != LOAD_MEMBER_FILE || m->task || !member_wanted(ctx, m))
			return 0;
		return stream_layer(ctx, a, m, NULL, 0, 0, err);
	}
	r = add_member(ctx, e, path, &m, err);
	if (r < 0 || !m || m->type != LOAD_MEMBER_FILE)
		return r;
	if (mode == WALK_ALL)
		return walk_all_member(ctx, a, m, err);
	switch (member_kind(path)) {
	case KIND_JSON:
	case KIND_SNIFF:
		r = read_json(ctx, a, m, member_kind(path) == KIND_SNIFF, &first, &first_len, &pos, err);
		return r < 0 ? r : 0;
	default:
		return 0;
	}
}

static int walk(struct load_ctx *ctx, int fd, bool seekable, enum walk_mode mode, struct berth_error *err)
{
	_cleanup_free_ char *buf = berth_xmalloc(READ_BUF_SIZE);
	_cleanup_free_ char *last = NULL;
	struct reader rd = { .fd = fd, .seekable = seekable, .buf = buf };
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	struct stat st;
	int r = 0;

	if (seekable) {
		if (fstat(fd, &st) < 0)
			return berth_error_set(err, errno, "stat the archive");
		rd.size = st.st_size;
	} else {
		r = berth_decompressor_new(fd_read, &rd.fd, &rd.d, err);
		if (r < 0)
			return berth_error_prefix(err, "read archive");
	}
	a = archive_read_new();
	/* not _all: some of those run external programs */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_format_tar(a);
	archive_read_set_read_callback(a, reader_read);
	archive_read_set_skip_callback(a, reader_skip);
	archive_read_set_callback_data(a, &rd);
	if (archive_read_open1(a) != ARCHIVE_OK) {
		r = berth_error_setx(err, archive_errno(a) > 0 ? archive_errno(a) : EINVAL, "read archive: %s",
				     archive_error_string(a));
	}
	while (r == 0) {
		int ar = archive_read_next_header(a, &e);

		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			/* skipping the previous member's data fails here when it is cut short */
			r = berth_error_setx(err, archive_errno(a) > 0 ? archive_errno(a) : EIO, "read archive%s%s%s: %s",
					     last ? " after member \"" : "", last ? last : "", last ? "\"" : "",
					     archive_error_string(a));
			break;
		}
		free(last);
		last = berth_xstrdup(archive_entry_pathname(e));
		r = walk_member(ctx, a, e, mode, err);
		if (r < 0)
			break;
	}
	archive_read_free(a);
	if (rd.d)
		berth_decompressor_free(rd.d);
	berth_error_release(&rd.err);
	if (r == 0)
		ctx->complete = true;
	return r;
}

/* --- checking and recording ----------------------------------------------------- */

static const char *layer_media_type(const struct load_layer *l, enum berth_compression c)
{
	if (l->media_type)
		return l->media_type;
	switch (c) {
	case BERTH_COMPRESSION_GZIP:
		return BERTH_MT_DOCKER_LAYER_GZIP;
	case BERTH_COMPRESSION_ZSTD:
		return BERTH_MT_OCI_LAYER_ZSTD;
	default:
		return BERTH_MT_DOCKER_LAYER;
	}
}

/* A layer member that was read as JSON (it looked like it): store it and unpack from the blob. */
static int task_from_memory(struct load_ctx *ctx, struct load_member *m, struct berth_error *err)
{
	struct load_task *t = task_new(ctx, m);
	int r;

	r = berth_blob_put(ctx->s, m->data, m->len, t->blob_digest, err);
	if (r < 0)
		return r;
	t->blob_committed = true;
	return berth_layer_job_start(ctx->s, NULL, t->blob_digest, &t->job, err);
}

/* The task that unpacked a layer, waited for, its diff id checked. */
static int check_layer_task(struct load_ctx *ctx, const struct load_layer *l, struct load_task **ret,
			    struct berth_error *err)
{
	struct load_member *m = load_member_find(ctx, l->member);
	struct load_task *t = NULL;
	int r;

	if (!m || m->type != LOAD_MEMBER_FILE)
		return berth_error_setx(err, ENOENT, "archive member \"%s\" is missing", l->member);
	if (!m->task && m->data) {
		r = task_from_memory(ctx, m, err);
		if (r < 0)
			return berth_error_prefix(err, "archive member \"%s\"", l->member);
	}
	t = m->task;
	if (!t)
		return berth_error_setx(err, ENOENT, "archive member \"%s\" was not read", l->member);
	if (task_wait(t) < 0)
		return berth_error_setx(err, t->err.code ? t->err.code : EIO, "archive member \"%s\": %s", l->member,
					t->err.msg ? t->err.msg : "unpack failed");
	if (strcmp(t->res.diff_id, l->diff_id) != 0)
		return berth_error_setx(err, EBADMSG,
					"archive member \"%s\": its diff id is %s, but the image config says %s",
					l->member, t->res.diff_id, l->diff_id);
	if (l->blob_size >= 0 && t->res.blob_size != (uint64_t)l->blob_size)
		return berth_error_setx(err, EBADMSG, "archive member \"%s\": %llu bytes, the manifest says %lld",
					l->member, (unsigned long long)t->res.blob_size, (long long)l->blob_size);
	*ret = t;
	return 0;
}

static void set_record(struct load_layer *l, const char *blob_digest, const char *media_type, int64_t blob_size,
		       int64_t diff_size)
{
	l->rec.chain_id = berth_xstrdup(l->chain_id);
	l->rec.diff_id = berth_xstrdup(l->diff_id);
	l->rec.blob_digest = berth_xstrdup(blob_digest);
	l->rec.media_type = berth_xstrdup(media_type);
	l->rec.blob_size = blob_size;
	l->rec.diff_size = diff_size;
}

/* Every layer of every image: there, or unpacked from the archive with the right diff id. */
static int check_layers(struct load_ctx *ctx, struct berth_error *err)
{
	for (size_t i = 0; i < ctx->n_images; i++) {
		struct load_image *img = &ctx->images[i];

		for (size_t j = 0; j < img->n_layers; j++) {
			struct load_layer *l = &img->layers[j];
			const struct berth_image_layer *k = known_layer(ctx, l);
			struct load_task *t = NULL;
			int r;

			if (k && l->blob_digest) {
				set_record(l, l->blob_digest, l->media_type ? l->media_type : k->media_type,
					   l->blob_size >= 0 ? l->blob_size : k->blob_size, k->diff_size);
				continue;
			}
			if (k) {
				set_record(l, k->blob_digest, k->media_type, k->blob_size, k->diff_size);
				continue;
			}
			r = check_layer_task(ctx, l, &t, err);
			if (r < 0)
				return berth_error_prefix(err, "image %s", img->id);
			set_record(l, t->blob_digest, layer_media_type(l, t->res.compression), (int64_t)t->res.blob_size,
				   (int64_t)t->res.diff_size);
			l->task = t;
			if (!t->chain_id) {
				t->chain_id = l->chain_id;
				t->parent_chain_id = l->parent_chain_id;
			}
		}
	}
	return 0;
}

/* The same blob as a second chain (identical layers at two places): unpack it again from the store. */
static int unpack_again(struct load_ctx *ctx, const struct load_layer *l, struct berth_error *err)
{
	_cleanup_(berth_layer_job_freep) struct berth_layer_job *j = NULL;
	struct berth_unpack_result res;
	int r;

	r = berth_layer_job_start(ctx->s, NULL, l->rec.blob_digest, &j, err);
	if (r < 0)
		return r;
	r = berth_layer_job_wait(j, &res, err);
	if (r < 0)
		return r;
	if (strcmp(res.diff_id, l->diff_id) != 0)
		return berth_error_setx(err, EBADMSG, "blob %s: its diff id is %s, not %s", l->rec.blob_digest,
					res.diff_id, l->diff_id);
	return berth_layer_job_commit(j, l->chain_id, *l->parent_chain_id ? l->parent_chain_id : NULL, err);
}

/* Publish the unpacked layers, bottom first. */
static int commit_layers(struct load_ctx *ctx, struct berth_error *err)
{
	for (size_t i = 0; i < ctx->n_images; i++)
		for (size_t j = 0; j < ctx->images[i].n_layers; j++) {
			struct load_layer *l = &ctx->images[i].layers[j];
			struct load_task *t = l->task;
			int r = 0;

			if (!t || berth_layer_exists(ctx->s, l->chain_id))
				continue;
			if (t->layer_committed || strcmp(t->chain_id, l->chain_id) != 0)
				r = unpack_again(ctx, l, err);
			else
				r = berth_layer_job_commit(t->job, l->chain_id,
							   *l->parent_chain_id ? l->parent_chain_id : NULL, err);
			if (r < 0)
				return berth_error_prefix(err, "layer %s", l->chain_id);
			if (strcmp(t->chain_id, l->chain_id) == 0)
				t->layer_committed = true;
		}
	return 0;
}

/* docker-archive: berth makes the docker schema2 manifest. */
static int make_manifest(struct load_ctx *ctx, struct load_image *img, struct berth_error *err)
{
	struct berth_manifest m = { 0 };
	_cleanup_free_ struct berth_descriptor *layers = NULL;
	_cleanup_free_ char *json = NULL;
	bool oci = false;
	int r;

	layers = berth_xcalloc(img->n_layers ? img->n_layers : 1, sizeof(*layers));
	for (size_t i = 0; i < img->n_layers; i++) {
		layers[i].media_type = img->layers[i].rec.media_type;
		layers[i].digest = img->layers[i].rec.blob_digest;
		layers[i].size = img->layers[i].rec.blob_size;
		/* docker schema2 has no zstd layers */
		oci |= strstr(layers[i].media_type, "zstd") != NULL || strstr(layers[i].media_type, ".oci.") != NULL;
	}
	m.kind = BERTH_MANIFEST_IMAGE;
	m.media_type = oci ? BERTH_MT_OCI_MANIFEST : BERTH_MT_DOCKER_MANIFEST;
	m.config.media_type = oci ? BERTH_MT_OCI_CONFIG : BERTH_MT_DOCKER_CONFIG;
	m.config.digest = img->id;
	m.config.size = (int64_t)img->config_len;
	m.layers = layers;
	m.n_layers = img->n_layers;
	json = berth_manifest_serialize(&m);
	r = berth_blob_put(ctx->s, json, strlen(json), img->manifest_digest, err);
	if (r < 0)
		return berth_error_prefix(err, "store the manifest of image %s", img->id);
	img->manifest_media_type = berth_xstrdup(m.media_type);
	return 0;
}

static int store_blobs(struct load_ctx *ctx, struct berth_error *err)
{
	for (size_t i = 0; i < ctx->n_images; i++) {
		struct load_image *img = &ctx->images[i];
		char digest[BERTH_DIGEST_STR_LEN];
		int r;

		r = berth_blob_put(ctx->s, img->config_data, img->config_len, digest, err);
		if (r < 0)
			return berth_error_prefix(err, "store the config of image %s", img->id);
		load_progress(ctx, "Copying config %s", img->id);
		if (img->manifest_data)
			r = berth_blob_put(ctx->s, img->manifest_data, img->manifest_len, img->manifest_digest, err);
		else
			r = make_manifest(ctx, img, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* RFC 3339 ("2024-01-02T03:04:05.123Z", "…+02:00") to unix seconds; 0 when unparsable. */
static int64_t parse_created(const char *s)
{
	struct tm tm = { 0 };
	const char *p = NULL;
	int64_t t;

	if (!s)
		return 0;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return 0;
	t = (int64_t)timegm(&tm);
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if ((*p == '+' || *p == '-') && strlen(p) >= 6) {
		int h = (p[1] - '0') * 10 + (p[2] - '0'), m = (p[4] - '0') * 10 + (p[5] - '0');
		int64_t off = (int64_t)h * 3600 + m * 60;

		t += *p == '+' ? -off : off;
	}
	return t > 0 ? t : 0;
}

static int record_images(struct load_ctx *ctx, struct berth_error *err)
{
	int r;

	r = berth_db_begin(ctx->s->db, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ctx->n_images && r == 0; i++) {
		struct load_image *img = &ctx->images[i];
		_cleanup_free_ struct berth_image_layer *layers = NULL;
		struct berth_image rec = {
			.id = img->id,
			.manifest_digest = img->manifest_digest,
			.manifest_media_type = img->manifest_media_type,
			.created = parse_created(img->config.created),
			.added = (int64_t)time(NULL),
			.n_layers = img->n_layers,
		};

		layers = berth_xcalloc(img->n_layers ? img->n_layers : 1, sizeof(*layers));
		for (size_t j = 0; j < img->n_layers; j++) {
			layers[j] = img->layers[j].rec;
			rec.size += layers[j].diff_size;
		}
		rec.layers = layers;
		r = berth_db_put_image(ctx->s->db, &rec, err);
		for (size_t j = 0; r == 0 && img->names && img->names[j]; j++)
			r = berth_db_set_name(ctx->s->db, img->names[j], img->id, err);
		if (r < 0)
			berth_error_prefix(err, "record image %s", img->id);
	}
	if (r < 0) {
		berth_db_rollback(ctx->s->db);
		return r;
	}
	r = berth_db_commit(ctx->s->db, err);
	if (r < 0)
		return r;
	return berth_store_write_index(ctx->s, err);
}

static int finish(struct load_ctx *ctx, struct berth_error *err)
{
	int r;

	r = plan(ctx, err);
	if (r < 0)
		return r;
	r = check_layers(ctx, err);
	if (r < 0)
		return r;
	r = commit_layers(ctx, err);
	if (r < 0)
		return r;
	r = store_blobs(ctx, err);
	if (r < 0)
		return r;
	load_progress(ctx, "Writing manifest to image destination");
	return record_images(ctx, err);
}

static void ctx_release(struct load_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_tasks; i++)
		task_free(ctx->tasks[i]);
	free(ctx->tasks);
	plan_reset(ctx);
	for (size_t i = 0; i < ctx->n_members; i++) {
		free(ctx->members[i]->path);
		free(ctx->members[i]->target);
		free(ctx->members[i]->data);
		free(ctx->members[i]);
	}
	free(ctx->members);
	if (ctx->known_loaded)
		berth_image_array_free(ctx->known, ctx->n_known);
}

/* A plain (uncompressed) tar in a regular file: the two-pass case. */
static bool plain_tar_file(int fd, off_t *ret_start)
{
	char magic[8];
	struct stat st;
	off_t start;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	start = lseek(fd, 0, SEEK_CUR);
	if (start < 0)
		return false;
	if (pread(fd, magic, 5, start + 257) != 5 || memcmp(magic, "ustar", 5) != 0)
		return false;
	*ret_start = start;
	return true;
}

int berth_image_load(struct berth_store *s, int fd, berth_progress_fn progress, void *opaque, char ***ret_loaded,
		     struct berth_error *err)
{
	struct load_ctx ctx = { .s = s, .progress = progress, .opaque = opaque };
	_cleanup_strv_free_ char **loaded = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	off_t start = 0;
	int r;

	ctx.max_running = ncpu > MIN_RUNNING_JOBS / 2 ? (size_t)ncpu * 2 : MIN_RUNNING_JOBS;
	if (plain_tar_file(fd, &start)) {
		r = walk(&ctx, fd, true, WALK_SCAN, err);
		if (r == 0)
			r = plan(&ctx, err);
		if (r == 0 && lseek(fd, start, SEEK_SET) < 0)
			r = berth_error_set(err, errno, "seek the archive");
		if (r == 0)
			r = walk(&ctx, fd, true, WALK_LAYERS, err);
	} else {
		r = walk(&ctx, fd, false, WALK_ALL, err);
	}
	if (r == 0)
		r = finish(&ctx, err);
	for (size_t i = 0; r == 0 && i < ctx.n_images; i++) {
		if (!ctx.images[i].names)
			berth_strv_consume(&loaded, berth_xasprintf("Loaded image ID: %s", ctx.images[i].id));
		for (size_t j = 0; ctx.images[i].names && ctx.images[i].names[j]; j++)
			berth_strv_consume(&loaded, berth_xasprintf("Loaded image: %s", ctx.images[i].names[j]));
	}
	ctx_release(&ctx);
	if (r < 0)
		return berth_error_prefix(err, "load");
	if (ret_loaded)
		*ret_loaded = TAKE_PTR(loaded);
	return 0;
}
