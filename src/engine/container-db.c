#include "engine/container-db.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>


#include "image/sql.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const char *const state_names[] = {
	[BERTH_CTR_CREATED] = "created", [BERTH_CTR_RUNNING] = "running", [BERTH_CTR_PAUSED] = "paused",
	[BERTH_CTR_EXITED] = "exited",	 [BERTH_CTR_REMOVING] = "removing",
};

const char *berth_ctr_state_to_string(enum berth_ctr_state s)
{
	return s >= 0 && s < _BERTH_CTR_STATE_MAX ? state_names[s] : "unknown";
}

enum berth_ctr_state berth_ctr_state_from_string(const char *s)
{
	for (int i = 0; i < _BERTH_CTR_STATE_MAX; i++)
		if (s && strcmp(state_names[i], s) == 0)
			return (enum berth_ctr_state)i;
	return _BERTH_CTR_STATE_INVALID;
}

/*
 * The engine's tables carry their own version in berth_schema, apart from
 * the image tables' PRAGMA user_version, so either side can migrate alone.
 */
#define CTR_SCHEMA_VERSION 1

static const char schema[] = "CREATE TABLE IF NOT EXISTS berth_schema ("
			     " component TEXT PRIMARY KEY NOT NULL,"
			     " version INTEGER NOT NULL);"
			     "CREATE TABLE IF NOT EXISTS containers ("
			     " id TEXT PRIMARY KEY NOT NULL,"
			     " name TEXT NOT NULL UNIQUE,"
			     " image_id TEXT NOT NULL,"
			     " image TEXT NOT NULL,"
			     " config TEXT NOT NULL,"
			     " created INTEGER NOT NULL,"
			     " state TEXT NOT NULL,"
			     " pid INTEGER NOT NULL DEFAULT 0,"
			     " monitor_pid INTEGER NOT NULL DEFAULT 0,"
			     " exit_code INTEGER NOT NULL DEFAULT 0,"
			     " started_at INTEGER NOT NULL DEFAULT 0,"
			     " finished_at INTEGER NOT NULL DEFAULT 0,"
			     " restart_count INTEGER NOT NULL DEFAULT 0);"
			     "CREATE INDEX IF NOT EXISTS containers_image_id ON containers(image_id);"
			     "INSERT OR IGNORE INTO berth_schema (component, version) VALUES ('containers', 1);";

#define COLUMNS                                                                                                  \
	"id, name, image_id, image, config, created, state, pid, monitor_pid, exit_code, started_at, finished_at, " \
	"restart_count"

static int sql_error(sqlite3 *h, int rc, const char *what, struct berth_error *err)
{
	return berth_sql_error(h, rc, "containers", what, err);
}

static int prepare(sqlite3 *h, const char *sql, sqlite3_stmt **ret, struct berth_error *err)
{
	return berth_sql_prepare(h, sql, ret, "containers", err);
}

int berth_ctr_db_init(struct berth_db *db, struct berth_error *err)
{
	return berth_sql_init_component(berth_db_handle(db), "containers", CTR_SCHEMA_VERSION, schema, "containers",
					err);
}

static char *column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return berth_xstrdup(s ? (const char *)s : "");
}

static void row_to_ctr(sqlite3_stmt *st, struct berth_ctr *c)
{
	const char *config = (const char *)sqlite3_column_text(st, 4);

	*c = (struct berth_ctr){
		.id = column_text(st, 0),
		.name = column_text(st, 1),
		.image_id = column_text(st, 2),
		.image = column_text(st, 3),
		.config = config ? json_loads(config, 0, NULL) : NULL,
		.created = sqlite3_column_int64(st, 5),
		.state = berth_ctr_state_from_string((const char *)sqlite3_column_text(st, 6)),
		.pid = sqlite3_column_int(st, 7),
		.monitor_pid = sqlite3_column_int(st, 8),
		.exit_code = sqlite3_column_int(st, 9),
		.started_at = sqlite3_column_int64(st, 10),
		.finished_at = sqlite3_column_int64(st, 11),
		.restart_count = sqlite3_column_int(st, 12),
	};
	if (!c->config)
		c->config = json_object();
}

int berth_ctr_db_insert(struct berth_db *db, const struct berth_ctr *c, struct berth_error *err)
{
	sqlite3 *h = berth_db_handle(db);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *config = json_dumps(c->config, JSON_COMPACT | JSON_SORT_KEYS);
	int r, rc;

	if ((r = prepare(h, "INSERT INTO containers (" COLUMNS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->image_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->image, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, config ? config : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, c->created);
	sqlite3_bind_text(st, 7, berth_ctr_state_to_string(c->state), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, c->pid);
	sqlite3_bind_int(st, 9, c->monitor_pid);
	sqlite3_bind_int(st, 10, c->exit_code);
	sqlite3_bind_int64(st, 11, c->started_at);
	sqlite3_bind_int64(st, 12, c->finished_at);
	sqlite3_bind_int(st, 13, c->restart_count);
	rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		struct berth_ctr other = { 0 };
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		if (berth_ctr_db_lookup(db, c->name, &other, &ignore) == 0 && strcmp(other.name, c->name) == 0) {
			r = berth_error_setx(err, EEXIST,
					     "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
					     "You have to remove (or rename) that container to be able to reuse that name.",
					     c->name, other.id);
			berth_ctr_release(&other);
			return r;
		}
		berth_ctr_release(&other);
	}
	if (rc != SQLITE_DONE)
		return sql_error(h, rc, "insert", err);
	return 0;
}

static bool is_hex(const char *s)
{
	return *s && strspn(s, "0123456789abcdef") == strlen(s);
}

int berth_ctr_db_lookup(struct berth_db *db, const char *ref, struct berth_ctr *ret, struct berth_error *err)
{
	sqlite3 *h = berth_db_handle(db);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *pattern = NULL;
	const char *name = ref[0] == '/' ? ref + 1 : ref;
	int r, rc;

	/* exact id or name first: a name may look like an id prefix */
	if ((r = prepare(h, "SELECT " COLUMNS " FROM containers WHERE id = ?1 OR name = ?2", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row_to_ctr(st, ret);
		return 0;
	}
	if (rc != SQLITE_DONE)
		return sql_error(h, rc, "lookup", err);
	if (!is_hex(ref))
		return berth_error_setx(err, ENOENT, "No such container: %s", ref);
	sqlite3_finalize(st);
	st = NULL;
	pattern = berth_xasprintf("%s*", ref);
	if ((r = prepare(h, "SELECT " COLUMNS " FROM containers WHERE id GLOB ?1 LIMIT 2", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return berth_error_setx(err, ENOENT, "No such container: %s", ref);
	if (rc != SQLITE_ROW)
		return sql_error(h, rc, "lookup", err);
	row_to_ctr(st, ret);
	if (sqlite3_step(st) == SQLITE_ROW) {
		berth_ctr_release(ret);
		return berth_error_setx(err, EINVAL, "multiple IDs found with provided prefix: %s", ref);
	}
	return 0;
}

int berth_ctr_db_list(struct berth_db *db, struct berth_ctr **ret, size_t *ret_n, struct berth_error *err)
{
	sqlite3 *h = berth_db_handle(db);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct berth_ctr *v = NULL;
	size_t n = 0;
	int r, rc;

	if ((r = prepare(h, "SELECT " COLUMNS " FROM containers ORDER BY created DESC, id", &st, err)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = berth_xreallocarray(v, n + 1, sizeof(*v));
		row_to_ctr(st, &v[n++]);
	}
	if (rc != SQLITE_DONE) {
		berth_ctr_array_free(v, n);
		return sql_error(h, rc, "list", err);
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Run a one-row change; -ENOENT when no row matched. */
static int change(sqlite3 *h, sqlite3_stmt *st, const char *what, const char *id, struct berth_error *err)
{
	int rc = sqlite3_step(st);

	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return berth_error_setx(err, EEXIST, "%s: the name is already in use", what);
	if (rc != SQLITE_DONE)
		return sql_error(h, rc, what, err);
	if (sqlite3_changes(h) == 0)
		return berth_error_setx(err, ENOENT, "No such container: %s", id);
	return 0;
}

int berth_ctr_db_update_state(struct berth_db *db, const struct berth_ctr *c, struct berth_error *err)
{
	sqlite3 *h = berth_db_handle(db);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(h,
			 "UPDATE containers SET state = ?2, pid = ?3, monitor_pid = ?4, exit_code = ?5, "
			 "started_at = ?6, finished_at = ?7, restart_count = ?8 WHERE id = ?1",
			 &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, berth_ctr_state_to_string(c->state), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, c->pid);
	sqlite3_bind_int(st, 4, c->monitor_pid);
	sqlite3_bind_int(st, 5, c->exit_code);
	sqlite3_bind_int64(st, 6, c->started_at);
	sqlite3_bind_int64(st, 7, c->finished_at);
	sqlite3_bind_int(st, 8, c->restart_count);
	return change(h, st, "update", c->id, err);
}

int berth_ctr_db_update_config(struct berth_db *db, const char *id, json_t *config, struct berth_error *err)
{
	sqlite3 *h = berth_db_handle(db);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *text = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
	int r;

	if ((r = prepare(h, "UPDATE containers SET config = ?2 WHERE id = ?1", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	return change(h, st, "update", id, err);
}

int berth_ctr_db_rename(struct berth_db *db, const char *id, const char *name, struct berth_error *err)
{
	sqlite3 *h = berth_db_handle(db);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(h, "UPDATE containers SET name = ?2 WHERE id = ?1", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	r = change(h, st, "rename", id, err);
	if (r == -EEXIST) {
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		struct berth_ctr other = { 0 };
		/* docker names the container that holds the name */
		bool found = berth_ctr_db_lookup(db, name, &other, &ignore) == 0 && strcmp(other.name, name) == 0;
		r = berth_error_setx(err, EEXIST,
				     "Conflict. The container name \"/%s\" is already in use by container \"%s\". You have "
				     "to remove (or rename) that container to be able to reuse that name.",
				     name, found ? other.id : "");
		berth_ctr_release(&other);
	}
	return r;
}

int berth_ctr_db_delete(struct berth_db *db, const char *id, struct berth_error *err)
{
	sqlite3 *h = berth_db_handle(db);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if ((r = prepare(h, "DELETE FROM containers WHERE id = ?1", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return change(h, st, "delete", id, err);
}

int berth_ctr_db_count_using_image(struct berth_db *db, const char *image_id, int *ret, struct berth_error *err)
{
	sqlite3 *h = berth_db_handle(db);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = prepare(h, "SELECT COUNT(*) FROM containers WHERE image_id = ?1", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, image_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return sql_error(h, rc, "count", err);
	*ret = sqlite3_column_int(st, 0);
	return 0;
}

bool berth_ctr_name_valid(const char *name)
{
	if (!isalnum((unsigned char)name[0]) || !name[1])
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return true;
}

/* berth's own word lists: moods and things found in a harbour. */
static const char *const adjectives[] = {
	"brave",   "calm",    "clever", "eager",  "fond",	"gentle", "happy",   "jolly",  "keen",   "kind",
	"lively",  "lucky",   "merry",  "nimble", "patient", "proud",  "quiet",   "quick",  "serene", "sharp",
	"shy",	   "steady",  "sunny",  "swift",  "tender",  "upbeat", "vibrant", "wise",   "witty",  "zealous",
	"amber",   "bold",    "cosmic", "dapper", "elated",	"frosty", "golden",  "hardy",  "icy",	 "misty",
};
static const char *const nouns[] = {
	"anchor",  "barge",   "beacon",  "bollard", "buoy",	"cabin",    "capstan", "cargo",    "compass",
	"crane",   "dinghy",  "dock",	 "ferry",   "galleon",	"gangway",  "harbor",  "hawser",   "helm",
	"hull",	   "jetty",   "keel",	 "ketch",   "lantern",	"lighthouse", "mast",  "mooring",  "pier",
	"pilot",   "quay",    "rudder",	 "sail",    "schooner", "skiff",    "sloop",   "tide",	   "trawler",
	"tug",	   "wharf",   "windlass", "yawl",
};

char *berth_ctr_random_name(void)
{
	uint32_t r[2] = { 0, 0 };

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		r[0] = (uint32_t)getpid(), r[1] = (uint32_t)time(NULL);
	return berth_xasprintf("%s_%s", adjectives[r[0] % ARRAY_SIZE(adjectives)], nouns[r[1] % ARRAY_SIZE(nouns)]);
}

char *berth_ctr_new_id(void)
{
	unsigned char b[32];
	char *id = berth_xmalloc(65);
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0 && errno != EINTR)
			abort();
		if (n > 0)
			got += (size_t)n;
	}
	/* docker re-draws ids whose short form is all digits: they would read as numbers */
	for (size_t i = 0; i < sizeof(b); i++)
		sprintf(id + 2 * i, "%02x", b[i]);
	if (strspn(id, "0123456789") >= 12)
		id[0] = 'a';
	return id;
}

void berth_ctr_release(struct berth_ctr *c)
{
	free(c->id);
	free(c->name);
	free(c->image_id);
	free(c->image);
	json_decref(c->config);
	*c = (struct berth_ctr){ 0 };
}

void berth_ctr_array_free(struct berth_ctr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		berth_ctr_release(&v[i]);
	free(v);
}
