/* Unit tests for src/util: error chaining, string vectors, atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static void test_error_chain(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int r;

	r = berth_error_set(&err, ENOENT, "open `%s`", "/x");
	TAP_OK(r == -ENOENT);
	TAP_OK(strcmp(err.msg, "open `/x`: No such file or directory") == 0);
	r = berth_error_prefix(&err, "mount %s", "proc");
	TAP_OK(r == -ENOENT);
	TAP_OK(strcmp(err.msg, "mount proc: open `/x`: No such file or directory") == 0);
	r = berth_error_setx(&err, EINVAL, "bad %d", 3);
	TAP_OK(r == -EINVAL && strcmp(err.msg, "bad 3") == 0 && err.code == EINVAL);
	r = berth_error_set(&err, -EPERM, "negative errno is accepted");
	TAP_OK(r == -EPERM && err.code == EPERM);
}

static void test_strv(void)
{
	_cleanup_strv_free_ char **v = NULL, **c = NULL;

	TAP_OK(berth_strv_length(v) == 0);
	berth_strv_push(&v, "a");
	berth_strv_push(&v, "b");
	berth_strv_consume(&v, berth_xstrdup("c"));
	TAP_OK(berth_strv_length(v) == 3 && v[3] == NULL);
	c = berth_strv_copy(v);
	TAP_OK(berth_strv_contains(c, "b") && !berth_strv_contains(c, "d"));
}

static void test_atomic_write(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	char dir[] = "/tmp/berth-test-util-XXXXXX";
	_cleanup_close_ int dfd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	struct stat st;

	TAP_OK(mkdtemp(dir) != NULL);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	TAP_OK(berth_write_file_atomic(dfd, "f", "hello", 5, 0600, &err) == 0);
	TAP_OK(berth_read_file_at(dfd, "f", 0, &buf, &len, &err) == 0 && len == 5 && strcmp(buf, "hello") == 0);
	TAP_OK(fstatat(dfd, "f", &st, 0) == 0 && (st.st_mode & 0777) == 0600);
	free(buf);
	buf = NULL;
	TAP_OK(berth_read_file_at(dfd, "f", 3, &buf, &len, &err) == -EFBIG);
	TAP_OK(berth_read_file_at(dfd, "missing", 0, &buf, &len, &err) == -ENOENT && strstr(err.msg, "`missing`"));
	/* no temporary file stays behind */
	TAP_OK(fstatat(dfd, ".f.tmp", &st, 0) < 0);
	TAP_OK(berth_mkdir_p("/tmp/berth-test-util-mkdir/a/b", 0700, &err) == 0);
	TAP_OK(berth_rm_rf_at(AT_FDCWD, "/tmp/berth-test-util-mkdir", &err) == 0);
	TAP_OK(stat("/tmp/berth-test-util-mkdir", &st) < 0 && errno == ENOENT);
	TAP_OK(berth_rm_rf_at(AT_FDCWD, dir, &err) == 0);
}

int main(void)
{
	test_error_chain();
	test_strv();
	test_atomic_write();
	return tap_done();
}
