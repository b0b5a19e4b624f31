#pragma once
/*
 * Containers in the store's SQLite database (berth.db, beside the images),
 * so that 50 concurrent `berth run -d` get 50 distinct rows and names stay
 * unique (a UNIQUE constraint, not a check-then-insert race).
 *
 * The row holds what the engine decided at create time (config: the run
 * options as JSON) and the last known state.  The truth about a running
 * container is its process and the monitor's exit record; the engine
 * reconciles the row with them whenever it looks (container.c).
 */
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "image/image-db.h"
#include "util/error.h"

enum berth_ctr_state {
	BERTH_CTR_CREATED,
	BERTH_CTR_RUNNING,
	BERTH_CTR_PAUSED,
	BERTH_CTR_EXITED,
	BERTH_CTR_REMOVING,
	_BERTH_CTR_STATE_MAX,
	_BERTH_CTR_STATE_INVALID = -1,
};

const char *berth_ctr_state_to_string(enum berth_ctr_state s); /* docker's: "created", "running", ... */
enum berth_ctr_state berth_ctr_state_from_string(const char *s);

struct berth_ctr {
	char *id;       /* 64 hex */
	char *name;     /* without docker's leading '/' */
	char *image_id; /* config digest */
	char *image;    /* the image as the user named it */
	json_t *config; /* the create request: run options, labels, stop signal, … */
	int64_t created; /* unix ns */
	enum berth_ctr_state state;
	pid_t pid;         /* the init, in berth's pid namespace; 0 when not running */
	pid_t monitor_pid;
	int exit_code;
	int64_t started_at, finished_at; /* unix ns, 0 = never */
	int restart_count;
};

void berth_ctr_release(struct berth_ctr *c);
void berth_ctr_array_free(struct berth_ctr *v, size_t n);

/* Create the containers table if needed (idempotent, safe under concurrency). */
int berth_ctr_db_init(struct berth_db *db, struct berth_error *err);

/* Insert; a taken name fails with -EEXIST and docker's "Conflict. The container name …" message. */
int berth_ctr_db_insert(struct berth_db *db, const struct berth_ctr *c, struct berth_error *err);
/* Find by full id, name, or unique id prefix: -ENOENT "No such container: REF", -EINVAL when ambiguous. */
int berth_ctr_db_lookup(struct berth_db *db, const char *ref, struct berth_ctr *ret, struct berth_error *err);
/* Every container, newest first. */
int berth_ctr_db_list(struct berth_db *db, struct berth_ctr **ret, size_t *ret_n, struct berth_error *err);
/* Write the state fields (state, pid, monitor_pid, exit_code, started_at, finished_at, restart_count). */
int berth_ctr_db_update_state(struct berth_db *db, const struct berth_ctr *c, struct berth_error *err);
int berth_ctr_db_update_config(struct berth_db *db, const char *id, json_t *config, struct berth_error *err);
int berth_ctr_db_rename(struct berth_db *db, const char *id, const char *name, struct berth_error *err);
int berth_ctr_db_delete(struct berth_db *db, const char *id, struct berth_error *err);
/* How many containers use the image (rmi refuses to remove one in use). */
int berth_ctr_db_count_using_image(struct berth_db *db, const char *image_id, int *ret, struct berth_error *err);

/* docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool berth_ctr_name_valid(const char *name);
/* A docker-style random name, "adjective_noun" (malloc'd). */
char *berth_ctr_random_name(void);
/* A new random 64-hex id (malloc'd). */
char *berth_ctr_new_id(void);
