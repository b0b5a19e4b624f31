#include "image-db.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "digest.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 30000
/* pages of WAL that trigger a checkpoint at commit (SQLite's default: 1000) */
#define WAL_CHECKPOINT_PAGES "128"

struct berth_db {
	sqlite3 *h;
	char *path;
	unsigned savepoints; /* nesting depth of our own savepoints */
};

static const char schema_v1[] =
	"CREATE TABLE images ("
	" id TEXT PRIMARY KEY NOT NULL,"
	" manifest_digest TEXT NOT NULL,"
	" manifest_media_type TEXT NOT NULL,"
	" created INTEGER NOT NULL DEFAULT 0,"
	" added INTEGER NOT NULL,"
	" size INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE image_layers ("
	" image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL,"
	" chain_id TEXT NOT NULL,"
	" diff_id TEXT NOT NULL,"
	" blob_digest TEXT NOT NULL,"
	" media_type TEXT NOT NULL,"
	" blob_size INTEGER NOT NULL,"
	" diff_size INTEGER NOT NULL,"
	" PRIMARY KEY (image_id, idx));"
	"CREATE INDEX image_layers_chain_id ON image_layers(chain_id);"
	"CREATE INDEX image_layers_blob_digest ON image_layers(blob_digest);"
	"CREATE TABLE names ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
	"CREATE INDEX names_image_id ON names(image_id);"
	"CREATE TABLE repo_digests ("
	" image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	" repo_digest TEXT NOT NULL,"
	" PRIMARY KEY (image_id, repo_digest));"
	"CREATE TABLE layers ("
	" chain_id TEXT PRIMARY KEY NOT NULL,"
	" parent TEXT,"
	" diff_id TEXT NOT NULL,"
	" diff_size INTEGER NOT NULL);";

static void stmt_finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(stmt_finalizep)

static int errno_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return EACCES;
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_CONSTRAINT:
		return EEXIST;
	case SQLITE_CANTOPEN:
		return ENOENT;
	default:
		return EIO;
	}
}

static int db_error(struct berth_db *db, int rc, struct berth_error *err, const char *what)
{
	if ((rc & 0xff) == SQLITE_NOMEM)
		abort();
	return berth_error_setx(err, errno_of(rc), "database \"%s\": %s: %s", db->path, what,
				db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
}

static int exec(struct berth_db *db, const char *sql, struct berth_error *err)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_error(db, rc, err, sql);
	return 0;
}

static int prepare(struct berth_db *db, const char *sql, sqlite3_stmt **ret, struct berth_error *err)
{
	int rc = sqlite3_prepare_v2(db->h, sql, -1, ret, NULL);

	if (rc != SQLITE_OK)
		return db_error(db, rc, err, "prepare");
	return 0;
}

/* Bind text parameters 1..n (NULL binds NULL). */
static int bind_texts(struct berth_db *db, sqlite3_stmt *st, struct berth_error *err, int n, ...)
{
	va_list ap;
	int rc = SQLITE_OK;

	va_start(ap, n);
	for (int i = 1; i <= n && rc == SQLITE_OK; i++) {
		const char *s = va_arg(ap, const char *);

		rc = s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
	}
	va_end(ap);
	if (rc != SQLITE_OK)
		return db_error(db, rc, err, "bind");
	return 0;
}

/* Step a statement that returns no rows. */
static int step_done(struct berth_db *db, sqlite3_stmt *st, const char *what, struct berth_error *err)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(db, rc, err, what);
	return 0;
}

static char *column_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? berth_xstrdup((const char *)s) : NULL;
}

/* ---- transactions ---- */

int berth_db_begin(struct berth_db *db, struct berth_error *err)
{
	return exec(db, "BEGIN IMMEDIATE", err);
}

int berth_db_commit(struct berth_db *db, struct berth_error *err)
{
	return exec(db, "COMMIT", err);
}

void berth_db_rollback(struct berth_db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * Make a multi-statement change atomic whether or not the caller has a
 * transaction open: our own BEGIN IMMEDIATE (a write lock from the start,
 * so the busy timeout applies and no SQLITE_BUSY_SNAPSHOT can happen), or a
 * savepoint inside the caller's.
 */
struct tx {
	struct berth_db *db;
	bool own;
	bool open;
};

static int tx_begin(struct berth_db *db, struct tx *tx, struct berth_error *err)
{
	int r;

	tx->db = db;
	tx->own = sqlite3_get_autocommit(db->h) != 0;
	r = exec(db, tx->own ? "BEGIN IMMEDIATE" : "SAVEPOINT berth_tx", err);
	if (r < 0)
		return r;
	tx->open = true;
	return 0;
}

static int tx_commit(struct tx *tx, struct berth_error *err)
{
	int r = exec(tx->db, tx->own ? "COMMIT" : "RELEASE berth_tx", err);

	if (r < 0)
		return r;
	tx->open = false;
	return 0;
}

static void tx_cleanup(struct tx *tx)
{
	if (!tx->open)
		return;
	if (tx->own)
		berth_db_rollback(tx->db);
	else
		sqlite3_exec(tx->db->h, "ROLLBACK TO berth_tx; RELEASE berth_tx", NULL, NULL, NULL);
	tx->open = false;
}
#define _cleanup_tx_ _cleanup_(tx_cleanup)

/* ---- open ---- */

static int user_version(struct berth_db *db, int *ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(db, "PRAGMA user_version", &st, err);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return db_error(db, rc, err, "read the schema version");
	*ret = sqlite3_column_int(st, 0);
	return 0;
}

static int migrate(struct berth_db *db, struct berth_error *err)
{
	_cleanup_tx_ struct tx tx = { 0 };
	int version = 0, r;

	r = user_version(db, &version, err);
	if (r < 0)
		return r;
	if (version == SCHEMA_VERSION)
		return 0;
	/* under the write lock, look again: another process may have just created it */
	r = tx_begin(db, &tx, err);
	if (r < 0)
		return r;
	r = user_version(db, &version, err);
	if (r < 0)
		return r;
	if (version > SCHEMA_VERSION)
		return berth_error_setx(err, EPROTO,
					"database \"%s\": schema version %d is newer than this berth knows (%d)",
					db->path, version, SCHEMA_VERSION);
	if (version == 0) {
		r = exec(db, schema_v1, err);
		if (r < 0)
			return r;
		/* a PRAGMA takes no bound parameters; the version is our constant */
		r = exec(db, "PRAGMA user_version = 1", err);
		if (r < 0)
			return r;
	}
	return tx_commit(&tx, err);
}

/* journal_mode=WAL takes an exclusive lock the first time; the busy handler does not cover it everywhere. */
static int set_wal(struct berth_db *db, struct berth_error *err)
{
	int rc = SQLITE_OK;

	for (int attempt = 0; attempt < BUSY_TIMEOUT_MS / 10; attempt++) {
		rc = sqlite3_exec(db->h, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		usleep(10000);
	}
	if (rc != SQLITE_OK)
		return db_error(db, rc, err, "set journal_mode=WAL");
	return 0;
}

int berth_db_open(const char *path, struct berth_db **ret, struct berth_error *err)
{
	struct berth_db *db = berth_xzalloc(sizeof(*db));
	int rc, r;

	db->path = berth_xstrdup(path);
	/* FULLMUTEX: layer jobs run on threads of their own */
	rc = sqlite3_open_v2(path, &db->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX |
				     SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE,
			     NULL);
	if (rc != SQLITE_OK) {
		r = db_error(db, rc, err, "open");
		berth_db_free(db);
		return r;
	}
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	/*
	 * Each berth command is a short process, most often the database's only
	 * connection: closing would checkpoint the WAL into the database (two
	 * fsyncs) and delete it, for the next command to create it again (a
	 * directory and a header fsync).  The WAL stays instead, checkpointed
	 * as it grows past WAL_CHECKPOINT_PAGES: few, since an opener that finds
	 * no other connection reads all of it to rebuild its index.
	 */
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	r = set_wal(db, err);
	/*
	 * synchronous=NORMAL, WAL's usual setting: commits are not fsynced,
	 * checkpoints are.  The database stays consistent whatever happens; a
	 * power cut (not a crash of berth) may roll back the last commits.
	 * Every file a row names (blobs, layers) is fsynced before the row is
	 * written, so a lost commit leaves unrecorded files, which prune
	 * removes, never a row without its files.  docs/engine.md, "Durability".
	 */
	if (r >= 0)
		r = exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint="
			     WAL_CHECKPOINT_PAGES, err);
	if (r >= 0)
		r = migrate(db, err);
	if (r < 0) {
		berth_db_free(db);
		return r;
	}
	*ret = db;
	return 0;
}

void berth_db_free(struct berth_db *db)
{
	if (!db)
		return;
	if (db->h)
		sqlite3_close_v2(db->h);
	free(db->path);
	free(db);
}

struct sqlite3 *berth_db_handle(struct berth_db *db)
{
	return db->h;
}

/* ---- layers ---- */

int berth_db_add_layer(struct berth_db *db, const char *chain_id, const char *parent_chain_id, const char *diff_id,
		       int64_t diff_size, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if (berth_digest_validate(chain_id, err) < 0 || berth_digest_validate(diff_id, err) < 0 ||
	    (parent_chain_id && *parent_chain_id && berth_digest_validate(parent_chain_id, err) < 0))
		return berth_error_prefix(err, "record layer");
	r = prepare(db,
		    "INSERT INTO layers (chain_id, parent, diff_id, diff_size) VALUES (?1, ?2, ?3, ?4)"
		    " ON CONFLICT (chain_id) DO NOTHING",
		    &st, err);
	if (r < 0)
		return r;
	r = bind_texts(db, st, err, 3, chain_id, parent_chain_id && *parent_chain_id ? parent_chain_id : NULL,
		       diff_id);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 4, diff_size);
	r = step_done(db, st, "add layer", err);
	if (r < 0)
		return berth_error_prefix(err, "record layer %s", chain_id);
	return 0;
}

bool berth_db_has_layer(struct berth_db *db, const char *chain_id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM layers WHERE chain_id = ?1", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, chain_id, -1, SQLITE_TRANSIENT);
	return sqlite3_step(st) == SQLITE_ROW;
}

int berth_db_remove_layer(struct berth_db *db, const char *chain_id, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(db, "DELETE FROM layers WHERE chain_id = ?1", &st, err);
	if (r < 0)
		return r;
	r = bind_texts(db, st, err, 1, chain_id);
	if (r < 0)
		return r;
	r = step_done(db, st, "remove layer", err);
	if (r < 0)
		return berth_error_prefix(err, "remove layer %s", chain_id);
	return 0;
}

/* Run a query whose first column is a string; collect the rows (never NULL on success). */
static int query_strv(struct berth_db *db, const char *sql, const char *param, char ***ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_strv_free_ char **v = NULL;
	int r, rc;

	r = prepare(db, sql, &st, err);
	if (r < 0)
		return r;
	if (param) {
		r = bind_texts(db, st, err, 1, param);
		if (r < 0)
			return r;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *s = sqlite3_column_text(st, 0);

		if (s)
			berth_strv_push(&v, (const char *)s);
	}
	if (rc != SQLITE_DONE)
		return db_error(db, rc, err, "query");
	if (!v)
		v = berth_xcalloc(1, sizeof(char *));
	*ret = TAKE_PTR(v);
	return 0;
}

int berth_db_unused_layers(struct berth_db *db, char ***ret, struct berth_error *err)
{
	return query_strv(db,
			  "SELECT chain_id FROM layers WHERE chain_id NOT IN (SELECT chain_id FROM image_layers)"
			  " ORDER BY chain_id",
			  NULL, ret, err);
}

/* ---- images ---- */

void berth_image_release(struct berth_image *img)
{
	if (!img)
		return;
	free(img->id);
	free(img->manifest_digest);
	free(img->manifest_media_type);
	berth_strv_free(img->repo_digests);
	berth_strv_free(img->names);
	for (size_t i = 0; i < img->n_layers; i++) {
		free(img->layers[i].chain_id);
		free(img->layers[i].diff_id);
		free(img->layers[i].blob_digest);
		free(img->layers[i].media_type);
	}
	free(img->layers);
	*img = (struct berth_image){ 0 };
}

void berth_image_array_free(struct berth_image *imgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		berth_image_release(&imgs[i]);
	free(imgs);
}

static int insert_layers(struct berth_db *db, const struct berth_image *img, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *del = NULL, *ins = NULL;
	int r;

	r = prepare(db, "DELETE FROM image_layers WHERE image_id = ?1", &del, err);
	if (r < 0)
		return r;
	r = bind_texts(db, del, err, 1, img->id);
	if (r < 0)
		return r;
	r = step_done(db, del, "replace image layers", err);
	if (r < 0)
		return r;
	r = prepare(db,
		    "INSERT INTO image_layers (image_id, idx, chain_id, diff_id, blob_digest, media_type,"
		    " blob_size, diff_size) VALUES (?1, ?5, ?2, ?3, ?4, ?6, ?7, ?8)",
		    &ins, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct berth_image_layer *l = &img->layers[i];

		sqlite3_reset(ins);
		r = bind_texts(db, ins, err, 4, img->id, l->chain_id, l->diff_id, l->blob_digest);
		if (r < 0)
			return r;
		sqlite3_bind_int64(ins, 5, (sqlite3_int64)i);
		sqlite3_bind_text(ins, 6, l->media_type ? l->media_type : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 7, l->blob_size);
		sqlite3_bind_int64(ins, 8, l->diff_size);
		r = step_done(db, ins, "add image layer", err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int insert_repo_digests(struct berth_db *db, const struct berth_image *img, struct berth_error *err)
{
	for (char **d = img->repo_digests; d && *d; d++) {
		int r = berth_db_add_repo_digest(db, img->id, *d, err);

		if (r < 0)
			return r;
	}
	return 0;
}

int berth_db_put_image(struct berth_db *db, const struct berth_image *img, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_tx_ struct tx tx = { 0 };
	int64_t size = 0;
	int r;

	/* digests here become paths later: only valid ones get in */
	if (!img->manifest_media_type)
		return berth_error_setx(err, EINVAL, "store image: no manifest media type");
	if (berth_digest_validate(img->id, err) < 0)
		return berth_error_prefix(err, "store image: id");
	if (berth_digest_validate(img->manifest_digest, err) < 0)
		return berth_error_prefix(err, "store image %s: manifest", img->id);
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct berth_image_layer *l = &img->layers[i];

		if (berth_digest_validate(l->chain_id, err) < 0 || berth_digest_validate(l->diff_id, err) < 0 ||
		    berth_digest_validate(l->blob_digest, err) < 0)
			return berth_error_prefix(err, "store image %s: layer %zu", img->id, i);
	}
	for (size_t i = 0; i < img->n_layers; i++)
		size += img->layers[i].diff_size;

	r = tx_begin(db, &tx, err);
	if (r < 0)
		return berth_error_prefix(err, "store image %s", img->id);
	/* a new manifest for a known image replaces the old one; when it was added stays */
	r = prepare(db,
		    "INSERT INTO images (id, manifest_digest, manifest_media_type, created, added, size)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET"
		    " manifest_digest = excluded.manifest_digest, manifest_media_type = excluded.manifest_media_type,"
		    " created = excluded.created, size = excluded.size",
		    &st, err);
	if (r >= 0)
		r = bind_texts(db, st, err, 3, img->id, img->manifest_digest, img->manifest_media_type);
	if (r >= 0) {
		sqlite3_bind_int64(st, 4, img->created);
		sqlite3_bind_int64(st, 5, img->added ? img->added : (int64_t)time(NULL));
		sqlite3_bind_int64(st, 6, size);
		r = step_done(db, st, "add image", err);
	}
	if (r >= 0)
		r = insert_layers(db, img, err);
	if (r >= 0)
		r = insert_repo_digests(db, img, err);
	if (r >= 0)
		r = tx_commit(&tx, err);
	if (r < 0)
		return berth_error_prefix(err, "store image %s", img->id);
	return 0;
}

static int load_layers(struct berth_db *db, struct berth_image *img, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int r, rc;

	r = prepare(db,
		    "SELECT chain_id, diff_id, blob_digest, media_type, blob_size, diff_size FROM image_layers"
		    " WHERE image_id = ?1 ORDER BY idx",
		    &st, err);
	if (r < 0)
		return r;
	r = bind_texts(db, st, err, 1, img->id);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct berth_image_layer *l;

		if (img->n_layers == cap) {
			cap = cap ? cap * 2 : 8;
			img->layers = berth_xreallocarray(img->layers, cap, sizeof(*img->layers));
		}
		l = &img->layers[img->n_layers++];
		l->chain_id = column_strdup(st, 0);
		l->diff_id = column_strdup(st, 1);
		l->blob_digest = column_strdup(st, 2);
		l->media_type = column_strdup(st, 3);
		l->blob_size = sqlite3_column_int64(st, 4);
		l->diff_size = sqlite3_column_int64(st, 5);
	}
	if (rc != SQLITE_DONE)
		return db_error(db, rc, err, "read image layers");
	return 0;
}

static int fill_image(struct berth_db *db, sqlite3_stmt *row, struct berth_image *ret, struct berth_error *err)
{
	struct berth_image img = {
		.id = column_strdup(row, 0),
		.manifest_digest = column_strdup(row, 1),
		.manifest_media_type = column_strdup(row, 2),
		.created = sqlite3_column_int64(row, 3),
		.added = sqlite3_column_int64(row, 4),
		.size = sqlite3_column_int64(row, 5),
	};
	int r;

	r = query_strv(db, "SELECT name FROM names WHERE image_id = ?1 ORDER BY name", img.id, &img.names, err);
	if (r >= 0)
		r = query_strv(db, "SELECT repo_digest FROM repo_digests WHERE image_id = ?1 ORDER BY repo_digest",
			       img.id, &img.repo_digests, err);
	if (r >= 0)
		r = load_layers(db, &img, err);
	if (r < 0) {
		berth_image_release(&img);
		return r;
	}
	*ret = img;
	return 0;
}

#define IMAGE_COLUMNS "id, manifest_digest, manifest_media_type, created, added, size"

int berth_db_get_image(struct berth_db *db, const char *id, struct berth_image *ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_tx_ struct tx tx = { 0 };
	int r, rc;

	/* one snapshot for the image and its names and layers */
	if (sqlite3_get_autocommit(db->h)) {
		r = exec(db, "BEGIN", err);
		if (r < 0)
			return r;
		tx = (struct tx){ .db = db, .own = true, .open = true };
	}
	r = prepare(db, "SELECT " IMAGE_COLUMNS " FROM images WHERE id = ?1", &st, err);
	if (r < 0)
		return r;
	r = bind_texts(db, st, err, 1, id);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return berth_error_setx(err, ENOENT, "no such image %s", id);
	if (rc != SQLITE_ROW)
		return db_error(db, rc, err, "read image");
	return fill_image(db, st, ret, err);
}

static bool is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int berth_db_find_by_id_prefix(struct berth_db *db, const char *hex_prefix, char ***ret, struct berth_error *err)
{
	_cleanup_free_ char *low = NULL, *high = NULL;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_strv_free_ char **v = NULL;
	int r, rc;

	if (!hex_prefix || !*hex_prefix || strlen(hex_prefix) > 64 || !is_hex(hex_prefix))
		return berth_error_setx(err, EINVAL, "invalid image id prefix \"%s\"", hex_prefix ? hex_prefix : "");
	/* a range over the primary key: "sha256:<prefix>" <= id < "sha256:<prefix>~" ('~' sorts after hex) */
	low = berth_xasprintf("sha256:%s", hex_prefix);
	high = berth_xasprintf("sha256:%s~", hex_prefix);
	r = prepare(db, "SELECT id FROM images WHERE id >= ?1 AND id < ?2 ORDER BY id", &st, err);
	if (r < 0)
		return r;
	r = bind_texts(db, st, err, 2, low, high);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		berth_strv_push(&v, (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		return db_error(db, rc, err, "find image");
	if (!v)
		v = berth_xcalloc(1, sizeof(char *));
	*ret = TAKE_PTR(v);
	return 0;
}

int berth_db_find_by_name(struct berth_db *db, const char *name, char **ret_id, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(db, "SELECT image_id FROM names WHERE name = ?1", &st, err);
	if (r < 0)
		return r;
	r = bind_texts(db, st, err, 1, name);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return berth_error_setx(err, ENOENT, "no image named \"%s\"", name);
	if (rc != SQLITE_ROW)
		return db_error(db, rc, err, "find image by name");
	*ret_id = column_strdup(st, 0);
	return 0;
}

int berth_db_list_images(struct berth_db *db, struct berth_image **ret, size_t *ret_n, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_tx_ struct tx tx = { 0 };
	struct berth_image *imgs = NULL;
	size_t n = 0, cap = 0;
	int r, rc;

	if (sqlite3_get_autocommit(db->h)) {
		r = exec(db, "BEGIN", err);
		if (r < 0)
			return r;
		tx = (struct tx){ .db = db, .own = true, .open = true };
	}
	r = prepare(db, "SELECT " IMAGE_COLUMNS " FROM images ORDER BY added DESC, id", &st, err);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			imgs = berth_xreallocarray(imgs, cap, sizeof(*imgs));
		}
		r = fill_image(db, st, &imgs[n], err);
		if (r < 0) {
			berth_image_array_free(imgs, n);
			return r;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		berth_image_array_free(imgs, n);
		return db_error(db, rc, err, "list images");
	}
	*ret = imgs ? imgs : berth_xcalloc(1, sizeof(*imgs));
	*ret_n = n;
	return 0;
}

/* Run a one-row change; -ENOENT (with what) when it changed nothing. */
static int change_one(struct berth_db *db, const char *sql, const char *a, const char *b, const char *what,
		      bool must_exist, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(db, sql, &st, err);
	if (r < 0)
		return r;
	r = bind_texts(db, st, err, b ? 2 : 1, a, b);
	if (r < 0)
		return r;
	r = step_done(db, st, what, err);
	if (r < 0)
		return r;
	if (must_exist && sqlite3_changes(db->h) == 0)
		return berth_error_setx(err, ENOENT, "%s", what);
	return 0;
}

int berth_db_remove_image(struct berth_db *db, const char *id, struct berth_error *err)
{
	_cleanup_free_ char *what = berth_xasprintf("no such image %s", id);

	/* names, layers rows and repo digests go with it (ON DELETE CASCADE) */
	return change_one(db, "DELETE FROM images WHERE id = ?1", id, NULL, what, true, err);
}

int berth_db_set_name(struct berth_db *db, const char *name, const char *id, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(db,
		    "INSERT INTO names (name, image_id) VALUES (?1, ?2)"
		    " ON CONFLICT (name) DO UPDATE SET image_id = excluded.image_id",
		    &st, err);
	if (r < 0)
		return r;
	r = bind_texts(db, st, err, 2, name, id);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return berth_error_setx(err, ENOENT, "name \"%s\": no such image %s", name, id);
	if (rc != SQLITE_DONE)
		return db_error(db, rc, err, "set name");
	return 0;
}

int berth_db_remove_name(struct berth_db *db, const char *name, struct berth_error *err)
{
	_cleanup_free_ char *what = berth_xasprintf("no image named \"%s\"", name);

	return change_one(db, "DELETE FROM names WHERE name = ?1", name, NULL, what, true, err);
}

int berth_db_add_repo_digest(struct berth_db *db, const char *id, const char *repo_digest, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(db, "INSERT INTO repo_digests (image_id, repo_digest) VALUES (?1, ?2) ON CONFLICT DO NOTHING", &st,
		    err);
	if (r < 0)
		return r;
	r = bind_texts(db, st, err, 2, id, repo_digest);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return berth_error_setx(err, ENOENT, "repo digest \"%s\": no such image %s", repo_digest, id);
	if (rc != SQLITE_DONE)
		return db_error(db, rc, err, "add repo digest");
	return 0;
}

int berth_db_referenced_blobs(struct berth_db *db, char ***ret, struct berth_error *err)
{
	return query_strv(db,
			  "SELECT manifest_digest FROM images UNION SELECT id FROM images"
			  " UNION SELECT blob_digest FROM image_layers ORDER BY 1",
			  NULL, ret, err);
}
