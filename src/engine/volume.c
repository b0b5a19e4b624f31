/* Volumes: named and anonymous, docker's "local" driver, metadata in the store's database. */
#include "engine/volume.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "engine/container-copy.h"
#include "engine/container.h"
#include "engine/container-db.h"
#include "image/image-db.h"
#include "image/store.h"
#include "image/sql.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define VOLUME_SCHEMA_VERSION 1

static const char schema[] = "CREATE TABLE IF NOT EXISTS berth_schema ("
			     " component TEXT PRIMARY KEY NOT NULL,"
			     " version INTEGER NOT NULL);"
			     "CREATE TABLE IF NOT EXISTS volumes ("
			     " name TEXT PRIMARY KEY NOT NULL,"
			     " driver TEXT NOT NULL,"
			     " labels TEXT NOT NULL,"
			     " created INTEGER NOT NULL,"
			     " anonymous INTEGER NOT NULL DEFAULT 0);"
			     /* no foreign keys: a container row may go first after a crash; readers join */
			     "CREATE TABLE IF NOT EXISTS volume_users ("
			     " volume TEXT NOT NULL,"
			     " container TEXT NOT NULL,"
			     " PRIMARY KEY (volume, container));"
			     "CREATE INDEX IF NOT EXISTS volume_users_container ON volume_users(container);"
			     "INSERT OR IGNORE INTO berth_schema (component, version) VALUES ('volumes', 1);";

#define COLUMNS "name, driver, labels, created, anonymous"

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static int sql_error(sqlite3 *h, int rc, const char *what, struct berth_error *err)
{
	return berth_sql_error(h, rc, "volumes", what, err);
}

static int prepare(sqlite3 *h, const char *sql, sqlite3_stmt **ret, struct berth_error *err)
{
	return berth_sql_prepare(h, sql, ret, "volumes", err);
}

static int exec_sql(sqlite3 *h, const char *sql, struct berth_error *err)
{
	return berth_sql_exec(h, sql, "volumes", err);
}

/* An open write transaction; rolled back unless committed. */
struct tx {
	sqlite3 *h;
	bool open;
};

static int tx_begin(struct berth_engine *e, struct tx *tx, struct berth_error *err)
{
	int r;

	tx->h = berth_db_handle(e->store->db);
	if ((r = exec_sql(tx->h, "BEGIN IMMEDIATE", err)) < 0)
		return r;
	tx->open = true;
	return 0;
}

static int tx_commit(struct tx *tx, struct berth_error *err)
{
	int r = exec_sql(tx->h, "COMMIT", err);

	if (r == 0)
		tx->open = false;
	return r;
}

static void tx_end(struct tx *tx)
{
	if (tx->open)
		sqlite3_exec(tx->h, "ROLLBACK", NULL, NULL, NULL);
	tx->open = false;
}
#define _cleanup_tx_ _cleanup_(tx_end)

int berth_volume_db_init(struct berth_db *db, struct berth_error *err)
{
	return berth_sql_init_component(berth_db_handle(db), "volumes", VOLUME_SCHEMA_VERSION, schema, "volumes", err);
}

bool berth_volume_name_valid(const char *name)
{
	if (!name || !isalnum((unsigned char)name[0]) || !name[1])
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return strlen(name) <= 255;
}

void berth_volume_release(struct berth_volume *v)
{
	free(v->name);
	free(v->driver);
	free(v->mountpoint);
	berth_strv_free(v->labels);
	berth_strv_free(v->users);
	*v = (struct berth_volume){ 0 };
}

void berth_volume_array_free(struct berth_volume *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		berth_volume_release(&v[i]);
	free(v);
}

static char *volumes_dir(const struct berth_engine *e)
{
	return berth_xasprintf("%s/volumes", e->store->root);
}

static char *mountpoint(const struct berth_engine *e, const char *name)
{
	return berth_xasprintf("%s/volumes/%s/_data", e->store->root, name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "k=v" labels from the JSON object in the row */
static char **labels_from_json(const char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	char **labels = NULL;
	const char *k;
	json_t *v;

	json_object_foreach(j, k, v)
		berth_strv_consume(&labels, berth_xasprintf("%s=%s", k, json_string_value(v) ?: ""));
	json_decref(j);
	if (labels)
		qsort(labels, berth_strv_length(labels), sizeof(*labels), cmp_str);
	return labels;
}

static json_t *labels_json(char *const *labels)
{
	json_t *o = json_object();

	for (; labels && *labels; labels++) {
		_cleanup_free_ char *k = berth_xstrdup(*labels);
		char *eq = strchr(k, '=');
		if (eq)
			*eq = '\0';
		json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
	}
	return o;
}

static void row_to_volume(const struct berth_engine *e, sqlite3_stmt *st, struct berth_volume *v)
{
	const char *name = (const char *)sqlite3_column_text(st, 0), *driver = (const char *)sqlite3_column_text(st, 1);

	*v = (struct berth_volume){
		.name = berth_xstrdup(name ? name : ""),
		.driver = berth_xstrdup(driver ? driver : "local"),
		.labels = labels_from_json((const char *)sqlite3_column_text(st, 2)),
		.created = sqlite3_column_int64(st, 3),
		.anonymous = sqlite3_column_int(st, 4) != 0,
	};
	v->mountpoint = mountpoint(e, v->name);
}

/* The ids of the existing containers that reference the volume. */
static int volume_users(sqlite3 *h, const char *name, char ***ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_strv_free_ char **ids = NULL;
	int r, rc;

	if ((r = prepare(h,
			 "SELECT u.container FROM volume_users u JOIN containers c ON c.id = u.container"
			 " WHERE u.volume = ? ORDER BY u.container",
			 &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		berth_strv_push(&ids, (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		return sql_error(h, rc, "list the users of a volume", err);
	*ret = TAKE_PTR(ids);
	return 0;
}

static int lookup(struct berth_engine *e, sqlite3 *h, const char *name, struct berth_volume *ret,
		  struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = prepare(h, "SELECT " COLUMNS " FROM volumes WHERE name = ?", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return berth_error_setx(err, ENOENT, "No such volume: %s", name);
	if (rc != SQLITE_ROW)
		return sql_error(h, rc, "look up a volume", err);
	row_to_volume(e, st, ret);
	if ((r = volume_users(h, name, &ret->users, err)) < 0)
		berth_volume_release(ret);
	return r;
}

int berth_volume_get(struct berth_engine *e, const char *name, struct berth_volume *ret, struct berth_error *err)
{
	return lookup(e, berth_db_handle(e->store->db), name, ret, err);
}

int berth_volume_list(struct berth_engine *e, struct berth_volume **ret, size_t *ret_n, struct berth_error *err)
{
	sqlite3 *h = berth_db_handle(e->store->db);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct berth_volume *v = NULL;
	size_t n = 0;
	int r, rc;

	if ((r = prepare(h, "SELECT " COLUMNS " FROM volumes ORDER BY name", &st, err)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = berth_xreallocarray(v, n + 1, sizeof(*v));
		row_to_volume(e, st, &v[n++]);
		if ((r = volume_users(h, v[n - 1].name, &v[n - 1].users, err)) < 0) {
			berth_volume_array_free(v, n);
			return r;
		}
	}
	if (rc != SQLITE_DONE) {
		berth_volume_array_free(v, n);
		return sql_error(h, rc, "list the volumes", err);
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* <root>/volumes, made on first use; the volumes' files are no business of other host users. */
static int open_volumes_dir(struct berth_engine *e, struct berth_error *err)
{
	_cleanup_free_ char *dir = volumes_dir(e);
	int fd;

	if (mkdirat(e->store->root_fd, "volumes", 0701) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "create \"%s\"", dir);
	fd = openat(e->store->root_fd, "volumes", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open \"%s\"", dir);
	return fd;
}

/* Make <name>/_data; inside the caller's transaction, so a directory without a row is crash litter. */
static int make_volume_dir(int vdir, const char *name, struct berth_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (mkdirat(vdir, name, 0701) < 0) {
		if (errno != EEXIST)
			return berth_error_set(err, errno, "create volume directory \"%s\"", name);
		if ((r = berth_rm_rf_at(vdir, name, err)) < 0)
			return r;
		if (mkdirat(vdir, name, 0701) < 0)
			return berth_error_set(err, errno, "create volume directory \"%s\"", name);
	}
	fd = openat(vdir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || mkdirat(fd, "_data", 0755) < 0)
		return berth_error_set(err, errno, "create volume directory \"%s/_data\"", name);
	return 0;
}

/* Create or take the volume, inside the caller's transaction. */
static int create_in_tx(struct berth_engine *e, sqlite3 *h, int vdir, const char *name, char *const *labels,
			bool anonymous, struct berth_volume *ret, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *text = NULL;
	json_t *lj;
	int r, rc;

	r = lookup(e, h, name, ret, err);
	if (r != -ENOENT)
		return r;
	berth_error_release(err);
	if ((r = make_volume_dir(vdir, name, err)) < 0)
		return r;
	lj = labels_json(labels);
	if (anonymous)
		json_object_set_new(lj, BERTH_VOLUME_ANONYMOUS_LABEL, json_string(""));
	text = json_dumps(lj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(lj);
	if ((r = prepare(h, "INSERT INTO volumes (" COLUMNS ") VALUES (?,?,?,?,?)", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "local", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, berth_now_ns());
	sqlite3_bind_int(st, 5, anonymous);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return sql_error(h, rc, "insert a volume", err);
	return lookup(e, h, name, ret, err);
}

int berth_volume_create(struct berth_engine *e, const char *name, char *const *labels, struct berth_volume *ret,
			struct berth_error *err)
{
	_cleanup_tx_ struct tx tx = { 0 };
	_cleanup_close_ int vdir = -EBADF;
	_cleanup_free_ char *random = NULL;
	struct berth_volume v = { 0 };
	int r;

	if (name && !berth_volume_name_valid(name))
		return berth_error_setx(err, EINVAL,
					"create %s: \"%s\" includes invalid characters for a local volume name, only "
					"\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
					"directory, use absolute path",
					name, name);
	if (!name)
		name = random = berth_ctr_new_id();
	if ((vdir = open_volumes_dir(e, err)) < 0)
		return vdir;
	if ((r = tx_begin(e, &tx, err)) < 0)
		return r;
	if ((r = create_in_tx(e, tx.h, vdir, name, labels, random != NULL, &v, err)) < 0 ||
	    (r = tx_commit(&tx, err)) < 0) {
		berth_volume_release(&v);
		return r;
	}
	*ret = v;
	return 0;
}

/*
 * Inside one transaction: refuse a volume in use, move its directory out of
 * the way (to a name no volume can have), delete the rows.  The files go
 * after the commit; a crash leaves ".rm-*" litter that prune sweeps.
 */
static int remove_one(struct berth_engine *e, int vdir, const char *name, struct berth_error *err)
{
	_cleanup_tx_ struct tx tx = { 0 };
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *trash = NULL, *rnd = NULL;
	struct berth_volume v = { 0 };
	bool moved = false;
	int r, rc;

	if ((r = tx_begin(e, &tx, err)) < 0)
		return r;
	if ((r = lookup(e, tx.h, name, &v, err)) < 0)
		return r;
	if (v.users) {
		_cleanup_free_ char *list = berth_xstrdup("");
		for (char **u = v.users; *u; u++) {
			char *next = berth_xasprintf("%s%s%s", list, u == v.users ? "" : ", ", *u);
			free(list);
			list = next;
		}
		berth_volume_release(&v);
		return berth_error_setx(err, EBUSY, "remove %s: volume is in use - [%s]", name, list);
	}
	berth_volume_release(&v);
	rnd = berth_ctr_new_id();
	trash = berth_xasprintf(".rm-%.16s", rnd);
	if (renameat(vdir, name, vdir, trash) == 0)
		moved = true;
	else if (errno != ENOENT)
		return berth_error_set(err, errno, "remove %s: move its directory", name);
	if ((r = prepare(tx.h, "DELETE FROM volumes WHERE name = ?1; ", &st, err)) < 0)
		goto undo;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sql_error(tx.h, rc, "delete a volume", err);
		goto undo;
	}
	sqlite3_finalize(TAKE_PTR(st));
	if ((r = prepare(tx.h, "DELETE FROM volume_users WHERE volume = ?1", &st, err)) < 0)
		goto undo;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sql_error(tx.h, rc, "delete a volume", err);
		goto undo;
	}
	if ((r = tx_commit(&tx, err)) < 0)
		goto undo;
	return moved ? berth_rm_rf_at(vdir, trash, err) : 0;
undo:
	if (moved)
		(void)renameat(vdir, trash, vdir, name);
	return r;
}

int berth_volume_remove(struct berth_engine *e, const char *name, struct berth_error *err)
{
	_cleanup_close_ int vdir = -EBADF;

	if ((vdir = open_volumes_dir(e, err)) < 0)
		return vdir;
	return remove_one(e, vdir, name, err);
}

static int64_t tree_size(int dirfd)
{
	_cleanup_(closedirp) DIR *d = NULL;
	int64_t total = 0;
	struct dirent *de;
	int fd;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		total += (int64_t)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = openat(dirfd, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				total += tree_size(sub);
		}
	}
	return total;
}

int64_t berth_volume_size(const struct berth_volume *v)
{
	_cleanup_close_ int fd = open(v->mountpoint, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -1 : tree_size(fd);
}

/* Leftovers of removals that crashed between the commit and the files. */
static void sweep_trash(int vdir)
{
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	int fd = openat(vdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (strncmp(de->d_name, ".rm-", 4) == 0)
			berth_strv_push(&names, de->d_name);
	for (char **n = names; n && *n; n++) {
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		berth_rm_rf_at(vdir, *n, &ignore);
	}
}

int berth_volume_prune(struct berth_engine *e, bool all, char ***ret_names, uint64_t *ret_space,
		       struct berth_error *err)
{
	_cleanup_close_ int vdir = -EBADF;
	struct berth_volume *v = NULL;
	size_t n = 0;
	int r;

	if ((vdir = open_volumes_dir(e, err)) < 0)
		return vdir;
	sweep_trash(vdir);
	if ((r = berth_volume_list(e, &v, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		int64_t size;
		if (v[i].users || (!all && !v[i].anonymous))
			continue;
		size = berth_volume_size(&v[i]);
		r = remove_one(e, vdir, v[i].name, err);
		/* taken or removed meanwhile: not ours to prune */
		if (r == -EBUSY || r == -ENOENT) {
			berth_error_release(err);
			r = 0;
			continue;
		}
		if (r == 0) {
			berth_strv_push(ret_names, v[i].name);
			*ret_space += size > 0 ? (uint64_t)size : 0;
		}
	}
	berth_volume_array_free(v, n);
	return r;
}

json_t *berth_volume_inspect_json(const struct berth_volume *v)
{
	json_t *labels = json_object();
	time_t secs = (time_t)(v->created / 1000000000);
	struct tm tm;
	char buf[64];

	for (char **l = v->labels; l && *l; l++) {
		_cleanup_free_ char *k = berth_xstrdup(*l);
		char *eq = strchr(k, '=');
		if (eq)
			*eq = '\0';
		json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
	}
	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* docker's field order (its struct's) */
	return json_pack("{ss ss so ss ss so ss}", "CreatedAt", buf, "Driver", v->driver, "Labels", labels, "Mountpoint",
			 v->mountpoint, "Name", v->name, "Options", json_object(), "Scope", "local");
}

void berth_volume_mounts_free(struct berth_mount_spec *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].source);
		free(m[i].target);
		free(m[i].propagation);
	}
	free(m);
}

/* "/data/" and "/data" are one mount point. */
static bool same_target(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncmp(a, b, la) == 0;
}

static void push_mount(struct berth_mount_spec **v, size_t *n, const struct berth_mount_spec *m)
{
	*v = berth_xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = (struct berth_mount_spec){
		.kind = m->kind,
		.source = berth_xstrdup_or_null(m->source),
		.target = berth_xstrdup(m->target),
		.readonly = m->readonly,
		.propagation = berth_xstrdup_or_null(m->propagation),
		.tmpfs_size = m->tmpfs_size,
		.tmpfs_mode = m->tmpfs_mode,
	};
}

/* The mounts asked for, then the image's VOLUMEs nothing covers (anonymous, sorted). */
static int collect_mounts(json_t *image_config, const struct berth_mount_spec *in, size_t n_in,
			  struct berth_mount_spec **ret, size_t *ret_n, struct berth_error *err)
{
	json_t *vols = json_object_get(json_object_get(image_config, "config"), "Volumes");
	_cleanup_strv_free_ char **image_targets = NULL;
	struct berth_mount_spec *v = NULL;
	size_t n = 0;
	const char *k;
	json_t *x;

	for (size_t i = 0; i < n_in; i++) {
		for (size_t j = 0; j < i; j++)
			if (same_target(in[i].target, in[j].target)) {
				berth_volume_mounts_free(v, n);
				return berth_error_setx(err, EINVAL, "Duplicate mount point: %s", in[i].target);
			}
		push_mount(&v, &n, &in[i]);
	}
	json_object_foreach(vols, k, x)
		if (k[0] == '/')
			berth_strv_push(&image_targets, k);
	if (image_targets)
		qsort(image_targets, berth_strv_length(image_targets), sizeof(char *), cmp_str);
	for (char **t = image_targets; t && *t; t++) {
		bool covered = false;
		for (size_t i = 0; i < n_in && !covered; i++)
			covered = same_target(in[i].target, *t);
		if (!covered)
			push_mount(&v, &n, &(struct berth_mount_spec){ .kind = BERTH_MOUNT_VOLUME, .target = *t });
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int add_user(sqlite3 *h, const char *volume, const char *id, struct berth_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = prepare(h, "INSERT OR IGNORE INTO volume_users (volume, container) VALUES (?, ?)", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, volume, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : sql_error(h, rc, "record a volume's user", err);
}

static bool dir_is_empty(int fd)
{
	_cleanup_(closedirp) DIR *d = NULL;
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return false;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			return false;
	return true;
}

/*
 * docker's copy-up: an empty volume takes what the image has at the mount
 * point.  The volume's directory lock keeps two containers that take the
 * same new volume from filling it at once.
 */
static int prefill(struct berth_engine *e, int vdir, int root_fd, const char *name, const char *target,
		   struct berth_error *err)
{
	_cleanup_close_ int lock = -EBADF, data = -EBADF;
	int r;

	lock = openat(vdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lock < 0)
		return berth_error_set(err, errno, "open volume \"%s\"", name);
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR)
			return berth_error_set(err, errno, "lock volume \"%s\"", name);
	data = openat(lock, "_data", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (data < 0 && errno == ENOENT) {
		/* a removal that crashed before its commit took the directory: make it again */
		if (mkdirat(lock, "_data", 0755) < 0 && errno != EEXIST)
			return berth_error_set(err, errno, "create volume directory \"%s/_data\"", name);
		data = openat(lock, "_data", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (data < 0)
		return berth_error_set(err, errno, "open volume directory \"%s/_data\"", name);
	if (!dir_is_empty(data))
		return 0;
	(void)e;
	if ((r = berth_copy_prefill(root_fd, target, data, err)) < 0)
		return berth_error_prefix(err, "fill volume %s from the image's %s", name, target);
	return 0;
}

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* Create or take each volume and record the container as its user, in one transaction. */
static int take_volumes(struct berth_engine *e, int vdir, const char *id, struct berth_mount_spec *v, size_t n,
			char **names, struct berth_error *err)
{
	_cleanup_tx_ struct tx tx = { 0 };
	int r;

	if ((r = tx_begin(e, &tx, err)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct berth_volume vol = { 0 };
		_cleanup_free_ char *random = NULL;
		const char *name = v[i].source;
		if (v[i].kind != BERTH_MOUNT_VOLUME)
			continue;
		if (!name)
			name = random = berth_ctr_new_id();
		else if (!berth_volume_name_valid(name))
			return berth_error_setx(err, EINVAL,
						"create %s: \"%s\" includes invalid characters for a local volume name, "
						"only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
						name, name);
		if ((r = create_in_tx(e, tx.h, vdir, name, NULL, random != NULL, &vol, err)) < 0)
			return r;
		if ((r = add_user(tx.h, vol.name, id, err)) == 0) {
			names[i] = berth_xstrdup(vol.name);
			free(v[i].source);
			v[i].source = TAKE_PTR(vol.mountpoint);
			v[i].kind = BERTH_MOUNT_BIND;
			if (!v[i].propagation)
				v[i].propagation = berth_xstrdup("rprivate");
		}
		berth_volume_release(&vol);
	}
	return r == 0 ? tx_commit(&tx, err) : r;
}

int berth_volume_prepare_mounts(struct berth_engine *e, const char *id, int root_fd, json_t *image_config,
				const struct berth_mount_spec *in, size_t n_in, struct berth_mount_spec **ret,
				size_t *ret_n, struct berth_error *err)
{
	_cleanup_close_ int vdir = -EBADF;
	struct berth_mount_spec *v = NULL;
	char **names = NULL;
	bool any = false;
	size_t n = 0;
	int r;

	if ((r = collect_mounts(image_config, in, n_in, &v, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		any = any || v[i].kind == BERTH_MOUNT_VOLUME;
	if (any) {
		names = berth_xcalloc(n, sizeof(*names));
		if ((vdir = open_volumes_dir(e, err)) < 0)
			r = vdir;
		else
			r = take_volumes(e, vdir, id, v, n, names, err);
		for (size_t i = 0; i < n && r == 0 && root_fd >= 0; i++)
			if (names[i])
				r = prefill(e, vdir, root_fd, names[i], v[i].target, err);
		names_free(names, n);
	}
	if (r < 0) {
		berth_volume_mounts_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int berth_volume_release_ctr(struct berth_engine *e, const char *id, bool remove_anonymous, struct berth_error *err)
{
	_cleanup_tx_ struct tx tx = { 0 };
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_strv_free_ char **anon = NULL;
	_cleanup_close_ int vdir = -EBADF;
	int r, rc;

	if ((r = tx_begin(e, &tx, err)) < 0)
		return r;
	if ((r = prepare(tx.h,
			 "SELECT u.volume FROM volume_users u JOIN volumes v ON v.name = u.volume"
			 " WHERE u.container = ? AND v.anonymous = 1",
			 &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		berth_strv_push(&anon, (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		return sql_error(tx.h, rc, "list a container's volumes", err);
	sqlite3_finalize(TAKE_PTR(st));
	if ((r = prepare(tx.h, "DELETE FROM volume_users WHERE container = ?", &st, err)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return sql_error(tx.h, rc, "forget a container's volumes", err);
	if ((r = tx_commit(&tx, err)) < 0)
		return r;
	if (!remove_anonymous || !anon)
		return 0;
	/* best effort: one another container took, or that fails to go, stays dangling for prune */
	if ((vdir = open_volumes_dir(e, err)) < 0) {
		berth_error_release(err);
		return 0;
	}
	for (char **a = anon; *a; a++) {
		_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
		remove_one(e, vdir, *a, &ignore);
	}
	return 0;
}

static bool ends_with_data(const char *s)
{
	size_t n = strlen(s);

	return n >= 6 && strcmp(s + n - 6, "/_data") == 0;
}

/* The volume a resolved mount's source is, or NULL (malloc'd). */
static char *volume_of(const struct berth_engine *e, const char *source)
{
	_cleanup_free_ char *prefix = berth_xasprintf("%s/volumes/", e->store->root);
	size_t plen = strlen(prefix), slen = source ? strlen(source) : 0;

	if (!source || slen <= plen + 6 || strncmp(source, prefix, plen) != 0 || !ends_with_data(source))
		return NULL;
	return berth_xstrndup(source + plen, slen - plen - 6);
}

json_t *berth_volume_mounts_json(const struct berth_engine *e, const struct berth_mount_spec *m, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *vol = m[i].kind == BERTH_MOUNT_TMPFS ? NULL : volume_of(e, m[i].source);
		json_t *o;
		if (vol)
			o = json_pack("{ss ss ss ss ss ss sb ss}", "Type", "volume", "Name", vol, "Source", m[i].source,
				      "Destination", m[i].target, "Driver", "local", "Mode", "", "RW", !m[i].readonly,
				      "Propagation", "");
		else
			o = json_pack("{ss ss ss ss sb ss}", "Type", m[i].kind == BERTH_MOUNT_TMPFS ? "tmpfs" : "bind",
				      "Source", m[i].source ? m[i].source : "", "Destination", m[i].target, "Mode", "", "RW",
				      !m[i].readonly, "Propagation",
				      m[i].kind == BERTH_MOUNT_TMPFS ? "" : m[i].propagation ? m[i].propagation : "rprivate");
		json_array_append_new(a, o);
	}
	return a;
}
