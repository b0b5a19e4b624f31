#pragma once
/*
 * Small SQLite helpers for the tables that other subsystems keep in the
 * store's database beside the images (containers, volumes, networks):
 * errno mapping and messages, prepared statements, and the schema of one
 * component created once, under the write lock.
 */
#include <sqlite3.h>

#include "util/cleanup.h"
#include "util/error.h"

static inline void berth_sql_finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(berth_sql_finalizep)

/*
 * "<db_name> database: <what>: <sqlite's message>", with busy -> EBUSY,
 * constraint -> EEXIST, anything else EIO.  Out of memory aborts.
 */
int berth_sql_error(sqlite3 *h, int rc, const char *db_name, const char *what, struct berth_error *err);
int berth_sql_prepare(sqlite3 *h, const char *sql, sqlite3_stmt **ret, const char *db_name, struct berth_error *err);
int berth_sql_exec(sqlite3 *h, const char *sql, const char *db_name, struct berth_error *err);

/* The version berth_schema records for component (0: none yet). */
int berth_sql_component_version(sqlite3 *h, const char *component);

/*
 * Create a component's tables: a read when berth_schema already has the
 * component at version or newer, else schema (idempotent SQL that also
 * records the version) in one BEGIN IMMEDIATE transaction.
 */
int berth_sql_init_component(sqlite3 *h, const char *component, int version, const char *schema,
			     const char *db_name, struct berth_error *err);
