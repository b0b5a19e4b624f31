/* engine/container-db: names unique under concurrency, lookups like docker's, state updates. */
#include "engine/container-db.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static char dir[] = "/tmp/berth-test-ctrdb-XXXXXX";

static struct berth_db *open_db(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_xasprintf("%s/berth.db", dir);
	struct berth_db *db = NULL;

	if (berth_db_open(path, &db, &err) < 0 || berth_ctr_db_init(db, &err) < 0) {
		tap_diag("open: %s", err.msg);
		berth_db_free(db);
		return NULL;
	}
	return db;
}

static int insert(struct berth_db *db, const char *id, const char *name, struct berth_error *err)
{
	struct berth_ctr c = { .id = (char *)id, .name = (char *)name, .image_id = "sha256:img", .image = "busybox",
			       .config = json_pack("{sb}", "Tty", 0), .created = time(NULL) };
	int r = berth_ctr_db_insert(db, &c, err);

	json_decref(c.config);
	return r;
}

/* 50 processes create at once, 25 of them fighting over 5 names: every row lands, each name once. */
static void test_concurrent(void)
{
	pid_t pids[50];
	int ok = 0, conflicts = 0;
	struct berth_db *db;
	struct berth_ctr *v = NULL;
	size_t n = 0;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	for (int i = 0; i < 50; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			_cleanup_error_ struct berth_error e = BERTH_ERROR_INIT;
			struct berth_db *d = open_db();
			_cleanup_free_ char *id = berth_ctr_new_id();
			_cleanup_free_ char *name = i < 25 ? berth_xasprintf("shared%d", i % 5) : berth_xasprintf("own%d", i);
			int r = d ? insert(d, id, name, &e) : -1;
			berth_db_free(d);
			_exit(r == 0 ? 0 : r == -EEXIST && strstr(e.msg, "is already in use by container") ? 1 : 2);
		}
	}
	for (int i = 0; i < 50; i++) {
		int st;
		waitpid(pids[i], &st, 0);
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
		conflicts += WIFEXITED(st) && WEXITSTATUS(st) == 1;
	}
	tap_ok(ok == 30 && conflicts == 20, "concurrent creates: %d made, %d name conflicts", ok, conflicts);
	db = open_db();
	TAP_OK(db && berth_ctr_db_list(db, &v, &n, &err) == 0 && n == 30);
	berth_ctr_array_free(v, n);
	berth_db_free(db);
}

static void test_lookup_update(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_db *db = open_db();
	struct berth_ctr c = { 0 };
	const char *a = "abc1000000000000000000000000000000000000000000000000000000000001";
	const char *b = "abc2000000000000000000000000000000000000000000000000000000000002";

	if (!db)
		return;
	TAP_OK(insert(db, a, "web", &err) == 0 && insert(db, b, "db", &err) == 0);
	TAP_OK(berth_ctr_db_lookup(db, "web", &c, &err) == 0 && strcmp(c.id, a) == 0 &&
	       json_is_false(json_object_get(c.config, "Tty")));
	berth_ctr_release(&c);
	TAP_OK(berth_ctr_db_lookup(db, "/db", &c, &err) == 0 && strcmp(c.id, b) == 0);
	berth_ctr_release(&c);
	TAP_OK(berth_ctr_db_lookup(db, "abc2", &c, &err) == 0 && strcmp(c.name, "db") == 0);
	c.state = BERTH_CTR_EXITED;
	c.exit_code = 42;
	c.finished_at = 7;
	TAP_OK(berth_ctr_db_update_state(db, &c, &err) == 0);
	berth_ctr_release(&c);
	TAP_OK(berth_ctr_db_lookup(db, b, &c, &err) == 0 && c.state == BERTH_CTR_EXITED && c.exit_code == 42);
	berth_ctr_release(&c);
	TAP_OK(berth_ctr_db_lookup(db, "abc", &c, &err) == -EINVAL && strstr(err.msg, "multiple IDs found"));
	TAP_OK(berth_ctr_db_lookup(db, "nope", &c, &err) == -ENOENT && strcmp(err.msg, "No such container: nope") == 0);
	TAP_OK(berth_ctr_db_rename(db, a, "db", &err) == -EEXIST && strstr(err.msg, "Conflict"));
	TAP_OK(berth_ctr_db_rename(db, a, "www", &err) == 0 && berth_ctr_db_lookup(db, "www", &c, &err) == 0);
	berth_ctr_release(&c);
	TAP_OK(berth_ctr_db_delete(db, a, &err) == 0 && berth_ctr_db_lookup(db, "www", &c, &err) == -ENOENT);
	TAP_OK(berth_ctr_db_delete(db, a, &err) == -ENOENT);
	berth_db_free(db);
}

static void test_names(void)
{
	_cleanup_free_ char *id = berth_ctr_new_id(), *name = berth_ctr_random_name();

	TAP_OK(strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64);
	TAP_OK(berth_ctr_name_valid(name) && strchr(name, '_'));
	TAP_OK(berth_ctr_name_valid("a.b-c_1") && !berth_ctr_name_valid("-x") && !berth_ctr_name_valid("a") &&
	       !berth_ctr_name_valid("a/b") && !berth_ctr_name_valid(""));
}

int main(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	if (!mkdtemp(dir))
		return 1;
	test_concurrent();
	test_lookup_update();
	test_names();
	berth_rm_rf_at(AT_FDCWD, dir, &err);
	return tap_done();
}
