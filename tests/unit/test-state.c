/* Unit tests for container state: id validation, state files, signal names. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/idmap.h"
#include "runtime/state.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static void test_ids(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	char *long_id = berth_xmalloc(BERTH_ID_MAX + 2);

	TAP_OK(berth_state_validate_id("c1", &err) == 0);
	TAP_OK(berth_state_validate_id("a.b-c_d+e", &err) == 0);
	TAP_OK(berth_state_validate_id("..", &err) == -EINVAL);
	TAP_OK(berth_state_validate_id("../x", &err) == -EINVAL);
	TAP_OK(berth_state_validate_id("a/b", &err) == -EINVAL && strstr(err.msg, "a/b"));
	TAP_OK(berth_state_validate_id("", &err) == -EINVAL);
	TAP_OK(berth_state_validate_id(".hidden", &err) == -EINVAL);
	memset(long_id, 'a', BERTH_ID_MAX + 1);
	long_id[BERTH_ID_MAX + 1] = '\0';
	TAP_OK(berth_state_validate_id(long_id, &err) == -EINVAL);
	long_id[BERTH_ID_MAX] = '\0';
	TAP_OK(berth_state_validate_id(long_id, &err) == 0);
	free(long_id);
}

static void test_state_roundtrip(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	char root[] = "/tmp/berth-test-state-XXXXXX";
	_cleanup_close_ int dirfd = -EBADF, again = -EBADF;
	_cleanup_(berth_state_freep) struct berth_state *loaded = NULL;
	_cleanup_free_ char *json = NULL;
	struct berth_state s = {
		.id = "c1", .pid = getpid(), .bundle = "/b", .rootfs = "/b/rootfs", .created = "2026-01-01T00:00:00Z",
		.owner = "root", .cgroup_path = "/berth/c1",
	};

	TAP_OK(mkdtemp(root) != NULL);
	s.pid_start_time = berth_proc_start_time(getpid());
	TAP_OK(s.pid_start_time > 0);
	TAP_OK(berth_state_dir_create(root, "c1", &dirfd, &err) == 0);
	TAP_OK(berth_state_dir_create(root, "c1", &again, &err) == -EEXIST && strstr(err.msg, "exists"));
	TAP_OK(berth_state_save(dirfd, &s, &err) == 0);
	TAP_OK(berth_state_load(dirfd, &loaded, &err) == 0);
	TAP_OK(loaded && strcmp(loaded->id, "c1") == 0 && loaded->pid == s.pid &&
	       strcmp(loaded->cgroup_path, "/berth/c1") == 0);
	TAP_OK(berth_state_status(dirfd, loaded) == BERTH_STATUS_RUNNING);
	loaded->pid_start_time++;
	TAP_OK(berth_state_status(dirfd, loaded) == BERTH_STATUS_STOPPED);
	json = berth_state_to_oci_json(&s, BERTH_STATUS_RUNNING, false);
	TAP_OK(strstr(json, "\"status\":\"running\"") && strstr(json, "\"id\":\"c1\""));
	TAP_OK(berth_state_dir_open(root, "nope", false, &again, &err) == -ENOENT &&
	       strcmp(err.msg, "container `nope` does not exist") == 0);
	TAP_OK(berth_rm_rf_at(AT_FDCWD, root, &err) == 0);
}

static void test_signals(void)
{
	TAP_OK(berth_signal_parse("KILL") == SIGKILL);
	TAP_OK(berth_signal_parse("SIGTERM") == SIGTERM);
	TAP_OK(berth_signal_parse("sigusr1") == SIGUSR1);
	TAP_OK(berth_signal_parse("9") == 9);
	TAP_OK(berth_signal_parse("RTMIN+1") == SIGRTMIN + 1);
	TAP_OK(berth_signal_parse("NOPE") < 0);
	TAP_OK(berth_signal_parse("0") < 0);
	TAP_OK(berth_signal_parse("65") < 0);
}

static void test_idmap_format(void)
{
	struct berth_oci_id_mapping m[] = { { 0, 100000, 65536 }, { 65536, 1000, 1 } };
	_cleanup_free_ char *s = berth_idmap_format(m, 2);

	TAP_OK(strcmp(s, "0 100000 65536\n65536 1000 1\n") == 0);
}

int main(void)
{
	test_ids();
	test_state_roundtrip();
	test_signals();
	test_idmap_format();
	return tap_done();
}
