#include "oci/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth-config.h"
#include "oci/config.h"
#include "oci/features.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

extern char **environ;

/* Run argv with stdout and stderr to /dev/null; true when it exits 0. */
static bool run_quiet(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int status = 0;
	pid_t pid;
	bool ok;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ok = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0 && waitpid(pid, &status, 0) == pid &&
	     WIFEXITED(status) && WEXITSTATUS(status) == 0;
	posix_spawn_file_actions_destroy(&fa);
	return ok;
}

static char *read_text(const char *path)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *buf = NULL;
	size_t len = 0;

	if (berth_read_file(path, 0, &buf, &len, &err) < 0) {
		tap_diag("%s", err.msg);
		berth_error_release(&err);
		return NULL;
	}
	return buf;
}

/* Our default spec parses with our own parser and has runc's defaults. */
static void test_parses(bool rootless)
{
	json_auto_t *spec = berth_oci_spec_default(rootless);
	_cleanup_free_ char *text = berth_oci_spec_dumps(spec);
	_cleanup_(berth_oci_config_freep) struct berth_oci_config *c = NULL;
	struct berth_error err = BERTH_ERROR_INIT;
	const struct berth_oci_namespace *user;

	if (!tap_ok(berth_oci_config_parse("spec", text, strlen(text), &c, &err) == 0, "rootless=%d spec parses", rootless)) {
		tap_diag("%s", err.msg);
		berth_error_release(&err);
		return;
	}
	TAP_OK(strcmp(c->oci_version, BERTH_OCI_VERSION) == 0);
	TAP_OK(c->process && c->process->terminal && strcmp(c->process->args[0], "sh") == 0 && !c->process->args[1]);
	TAP_OK(c->n_mounts == 7 && c->linux_.n_namespaces == 5);
	user = berth_oci_config_find_namespace(c, BERTH_NS_USER);
	TAP_OK(rootless ? user && c->linux_.n_uid_mappings == 1 && c->linux_.uid_mappings[0].host_id == geteuid() &&
				  c->linux_.gid_mappings[0].host_id == getegid() && !c->linux_.resources :
			  !user && c->linux_.resources != NULL);
	TAP_OK(text[strlen(text) - 1] == '}' && strchr(text, '\t') && !strstr(text, "\n "));
}

/*
 * Compare with a runc-written file: the same JSON once ociVersion is
 * aligned, and byte for byte the same text (runc uses Go's MarshalIndent
 * with a tab, which berth_oci_spec_dumps() reproduces).
 */
static void compare_with(const char *what, const char *path, bool rootless)
{
	json_auto_t *ours = berth_oci_spec_default(rootless), *theirs = NULL;
	_cleanup_free_ char *text = read_text(path), *dumped = NULL;
	json_error_t jerr;

	if (!tap_ok(text != NULL, "%s: read %s", what, path))
		return;
	theirs = json_loads(text, 0, &jerr);
	if (!tap_ok(theirs != NULL, "%s: runc output is JSON", what))
		return;
	json_object_set(ours, "ociVersion", json_object_get(theirs, "ociVersion"));
	tap_ok(json_equal(ours, theirs), "%s: same content as runc", what);
	dumped = berth_oci_spec_dumps(ours);
	tap_ok(strcmp(dumped, text) == 0, "%s: same text as runc", what);
}

static void test_against_stored(void)
{
	/* data/ was written by `runc spec` (1.1.5) as root: the rootless mappings name uid/gid 0 */
	compare_with("stored runc spec", "data/runc-spec.json", false);
	if (geteuid() == 0 && getegid() == 0)
		compare_with("stored runc spec --rootless", "data/runc-spec-rootless.json", true);
}

static void test_against_runc(void)
{
	char dir[] = "/tmp/berth-test-spec-XXXXXX";
	_cleanup_free_ char *path = NULL;

	if (!mkdtemp(dir)) {
		tap_ok(false, "mkdtemp: %s", strerror(errno));
		return;
	}
	path = berth_xasprintf("%s/config.json", dir);
	if (!run_quiet((char *const[]){ "runc", "spec", "--bundle", dir, NULL })) {
		tap_diag("runc not available: skipping the live comparison");
		rmdir(dir);
		return;
	}
	compare_with("runc spec", path, false);
	unlink(path);
	if (run_quiet((char *const[]){ "runc", "spec", "--rootless", "--bundle", dir, NULL }))
		compare_with("runc spec --rootless", path, true);
	unlink(path);
	rmdir(dir);
}

static bool array_contains(const json_t *a, const char *s)
{
	size_t i;
	json_t *e;

	json_array_foreach(a, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), s) == 0)
			return true;
	return false;
}

static bool array_sorted(const json_t *a)
{
	for (size_t i = 1; i < json_array_size(a); i++)
		if (strcmp(json_string_value(json_array_get(a, i - 1)), json_string_value(json_array_get(a, i))) >= 0)
			return false;
	return true;
}

static void test_features(void)
{
	json_auto_t *f = berth_oci_features();
	json_t *l = json_object_get(f, "linux"), *sc = json_object_get(l, "seccomp"), *e;
	size_t i;

	TAP_OK(strcmp(json_string_value(json_object_get(f, "ociVersionMin")), "1.0.0") == 0);
	TAP_OK(strcmp(json_string_value(json_object_get(f, "ociVersionMax")), BERTH_OCI_VERSION) == 0);
	TAP_OK(json_array_size(json_object_get(f, "hooks")) == 6 &&
	       array_contains(json_object_get(f, "hooks"), "createContainer"));
	TAP_OK(array_sorted(json_object_get(f, "mountOptions")) &&
	       array_contains(json_object_get(f, "mountOptions"), "rbind"));
	TAP_OK(json_array_size(json_object_get(l, "namespaces")) == 8 && array_sorted(json_object_get(l, "namespaces")) &&
	       array_contains(json_object_get(l, "namespaces"), "time"));
	TAP_OK(json_array_size(json_object_get(l, "capabilities")) == 41 &&
	       strcmp(json_string_value(json_array_get(json_object_get(l, "capabilities"), 40)),
		      "CAP_CHECKPOINT_RESTORE") == 0);
	TAP_OK(json_is_true(json_object_get(json_object_get(l, "cgroup"), "v2")));
	TAP_OK(json_is_true(json_object_get(sc, "enabled")) && json_array_size(json_object_get(sc, "actions")) == 9 &&
	       array_sorted(json_object_get(sc, "actions")) && json_array_size(json_object_get(sc, "operators")) == 7 &&
	       array_sorted(json_object_get(sc, "archs")) && array_contains(json_object_get(sc, "archs"), "SCMP_ARCH_X86_64"));
	json_array_foreach(json_object_get(sc, "supportedFlags"), i, e)
		tap_ok(array_contains(json_object_get(sc, "knownFlags"), json_string_value(e)), "supported flag %s is known",
		       json_string_value(e));
	/* any kernel berth runs on (>= 4.17) has SPEC_ALLOW; under valgrind seccomp(2) is ENOSYS and none show */
	if (json_array_size(json_object_get(sc, "supportedFlags")) > 0)
		TAP_OK(array_contains(json_object_get(sc, "supportedFlags"), "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
	else
		tap_diag("seccomp(2) cannot be probed here: no supportedFlags");
	TAP_OK(json_is_false(json_object_get(json_object_get(l, "apparmor"), "enabled")) &&
	       json_is_false(json_object_get(json_object_get(l, "selinux"), "enabled")) &&
	       json_is_false(json_object_get(json_object_get(l, "intelRdt"), "enabled")) &&
	       json_is_false(json_object_get(json_object_get(json_object_get(l, "mountExtensions"), "idmap"), "enabled")));
	TAP_OK(strcmp(json_string_value(json_object_get(json_object_get(f, "annotations"), "io.github.berth.version")),
		      BERTH_VERSION) == 0);
}

/* Where runc is installed, the lists that do not depend on its version must match ours. */
static void test_features_against_runc(void)
{
	json_auto_t *ours = berth_oci_features(), *theirs = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL;
	char dir[] = "/tmp/berth-test-features-XXXXXX";
	json_t *ol, *tl;
	size_t i;
	json_t *e;

	if (!mkdtemp(dir))
		return;
	path = berth_xasprintf("%s/features.json", dir);
	/* a shell-free redirect: run runc with stdout on the file */
	{
		posix_spawn_file_actions_t fa;
		int status = 0;
		pid_t pid;

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
		if (posix_spawnp(&pid, "runc", &fa, NULL, (char *const[]){ "runc", "features", NULL }, environ) != 0 ||
		    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			posix_spawn_file_actions_destroy(&fa);
			tap_diag("runc features not available: skipping");
			unlink(path);
			rmdir(dir);
			return;
		}
		posix_spawn_file_actions_destroy(&fa);
	}
	text = read_text(path);
	unlink(path);
	rmdir(dir);
	theirs = text ? json_loads(text, 0, NULL) : NULL;
	if (!tap_ok(theirs != NULL, "runc features output is JSON"))
		return;
	ol = json_object_get(ours, "linux");
	tl = json_object_get(theirs, "linux");
	TAP_OK(json_equal(json_object_get(ours, "hooks"), json_object_get(theirs, "hooks")));
	TAP_OK(json_equal(json_object_get(ours, "mountOptions"), json_object_get(theirs, "mountOptions")));
	TAP_OK(json_equal(json_object_get(ol, "capabilities"), json_object_get(tl, "capabilities")));
	TAP_OK(json_equal(json_object_get(json_object_get(ol, "seccomp"), "actions"),
			  json_object_get(json_object_get(tl, "seccomp"), "actions")));
	TAP_OK(json_equal(json_object_get(json_object_get(ol, "seccomp"), "operators"),
			  json_object_get(json_object_get(tl, "seccomp"), "operators")));
	json_array_foreach(json_object_get(tl, "namespaces"), i, e)
		tap_ok(array_contains(json_object_get(ol, "namespaces"), json_string_value(e)), "namespace %s listed",
		       json_string_value(e));
	json_array_foreach(json_object_get(json_object_get(tl, "seccomp"), "archs"), i, e)
		tap_ok(array_contains(json_object_get(json_object_get(ol, "seccomp"), "archs"), json_string_value(e)),
		       "arch %s listed", json_string_value(e));
}

int main(void)
{
	/* meson runs this in tests/unit; also allow a run from the top of the tree */
	if (access("data", F_OK) < 0 && chdir("tests/unit") < 0)
		tap_diag("data/ not found: %s", strerror(errno));
	test_parses(false);
	test_parses(true);
	test_against_stored();
	test_against_runc();
	test_features();
	test_features_against_runc();
	return tap_done();
}
