#include "image/sql.h"

#include <errno.h>
#include <stdlib.h>

int berth_sql_error(sqlite3 *h, int rc, const char *db_name, const char *what, struct berth_error *err)
{
	int e = (rc & 0xff) == SQLITE_BUSY ? EBUSY : (rc & 0xff) == SQLITE_CONSTRAINT ? EEXIST : EIO;

	if ((rc & 0xff) == SQLITE_NOMEM)
		abort();
	return berth_error_setx(err, e, "%s database: %s: %s", db_name, what, sqlite3_errmsg(h));
}

int berth_sql_prepare(sqlite3 *h, const char *sql, sqlite3_stmt **ret, const char *db_name, struct berth_error *err)
{
	int rc = sqlite3_prepare_v2(h, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : berth_sql_error(h, rc, db_name, "prepare", err);
}

int berth_sql_exec(sqlite3 *h, const char *sql, const char *db_name, struct berth_error *err)
{
	int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : berth_sql_error(h, rc, db_name, sql, err);
}

int berth_sql_component_version(sqlite3 *h, const char *component)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	/* no berth_schema table yet reads as version 0 */
	if (sqlite3_prepare_v2(h, "SELECT version FROM berth_schema WHERE component = ?1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, component, -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
}

int berth_sql_init_component(sqlite3 *h, const char *component, int version, const char *schema,
			     const char *db_name, struct berth_error *err)
{
	int rc;

	/* every command opens the store: the common case is a read */
	if (berth_sql_component_version(h, component) >= version)
		return 0;
	if ((rc = sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
		return berth_sql_error(h, rc, db_name, "begin", err);
	rc = sqlite3_exec(h, schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		int r = berth_sql_error(h, rc, db_name, "create the tables", err);
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return 0;
}
