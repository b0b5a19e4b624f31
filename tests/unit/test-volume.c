/* engine/volume and the copier's pre-fill: names, create/get/list/remove, in use, anonymous ones, prune, copy-up. */
#include "engine/volume.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/container-copy.h"
#include "engine/container-db.h"
#include "engine/container.h"
#include "image/store.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char dir[] = "/tmp/berth-test-volume-XXXXXX";

static struct berth_engine *open_engine(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *root = berth_xasprintf("%s/root", dir), *run = berth_xasprintf("%s/run", dir);
	struct berth_engine *e = NULL;

	if (berth_engine_open(root, run, NULL, &e, &err) < 0)
		tap_diag("open: %s", err.msg);
	return e;
}

static void test_names(void)
{
	TAP_OK(berth_volume_name_valid("data"));
	TAP_OK(berth_volume_name_valid("a1_b.c-d"));
	TAP_OK(!berth_volume_name_valid("a"));        /* docker: two characters at least */
	TAP_OK(!berth_volume_name_valid("_data"));
	TAP_OK(!berth_volume_name_valid(".rm-x"));    /* the trash names can never be volumes */
	TAP_OK(!berth_volume_name_valid("a/b"));
	TAP_OK(!berth_volume_name_valid("../x"));
	TAP_OK(!berth_volume_name_valid(""));
	TAP_OK(!berth_volume_name_valid(NULL));
}

static void test_create_get_remove(struct berth_engine *e)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_volume v = { 0 }, again = { 0 }, *list = NULL;
	size_t n = 0;
	struct stat st;
	json_t *j;

	TAP_OK(berth_volume_create(e, "data", (char *[]){ "k=v", "flag", NULL }, &v, &err) == 0);
	TAP_OK(v.name && strcmp(v.name, "data") == 0 && strcmp(v.driver, "local") == 0 && !v.anonymous);
	TAP_OK(v.labels && berth_strv_contains(v.labels, "k=v") && berth_strv_contains(v.labels, "flag="));
	TAP_OK(stat(v.mountpoint, &st) == 0 && S_ISDIR(st.st_mode));
	/* an existing name is returned as it is */
	TAP_OK(berth_volume_create(e, "data", NULL, &again, &err) == 0 && again.created == v.created &&
	       berth_strv_length(again.labels) == 2);
	j = berth_volume_inspect_json(&v);
	TAP_OK(strcmp(json_string_value(json_object_get(j, "Scope")), "local") == 0 &&
	       strcmp(json_string_value(json_object_get(json_object_get(j, "Labels"), "k")), "v") == 0 &&
	       json_is_object(json_object_get(j, "Options")));
	json_decref(j);
	berth_volume_release(&again);
	TAP_OK(berth_volume_create(e, "bad/name", NULL, &again, &err) == -EINVAL);
	berth_error_release(&err);
	TAP_OK(berth_volume_list(e, &list, &n, &err) == 0 && n == 1 && strcmp(list[0].name, "data") == 0);
	berth_volume_array_free(list, n);
	TAP_OK(berth_volume_remove(e, "data", &err) == 0);
	TAP_OK(stat(v.mountpoint, &st) < 0 && errno == ENOENT);
	TAP_OK(berth_volume_get(e, "data", &again, &err) == -ENOENT && strstr(err.msg, "No such volume: data"));
	berth_error_release(&err);
	TAP_OK(berth_volume_remove(e, "data", &err) == -ENOENT);
	berth_volume_release(&v);
}

/* A container row, so that the volume's use counts (users are joined with containers). */
static char *add_container(struct berth_engine *e)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	char *id = berth_ctr_new_id();
	_cleanup_free_ char *name = berth_xasprintf("c%.8s", id);
	struct berth_ctr c = { .id = id, .name = name, .image_id = "sha256:x", .image = "x", .config = json_object() };

	if (berth_ctr_db_insert(e->store->db, &c, &err) < 0)
		tap_diag("insert: %s", err.msg);
	json_decref(c.config);
	return id;
}

/* the image's tree: /etc/conf (0640, 1000:1000), /etc/sub/f, /etc/link -> /host/secret; /etc 0750 owned by 7:7 */
static int make_image_root(char **ret)
{
	_cleanup_free_ char *root = berth_xasprintf("%s/image", dir);
	_cleanup_free_ char *etc = berth_xasprintf("%s/etc", root), *sub = berth_xasprintf("%s/etc/sub", root);
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_close_ int fd = -EBADF;

	if (mkdir(root, 0755) < 0 || mkdir(etc, 0750) < 0 || mkdir(sub, 0755) < 0 || chown(etc, 7, 7) < 0)
		return -1;
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || berth_write_file_atomic(fd, "etc/conf", "c\n", 2, 0640, &err) < 0 ||
	    berth_write_file_atomic(fd, "etc/sub/f", "f\n", 2, 0644, &err) < 0 ||
	    fchownat(fd, "etc/conf", 1000, 1000, 0) < 0 || symlinkat("/host/secret", fd, "etc/link") < 0 ||
	    symlinkat("../../../../..", fd, "up") < 0)
		return -1;
	*ret = TAKE_PTR(root);
	return open(*ret, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void test_mounts(struct berth_engine *e)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *id = add_container(e), *id2 = add_container(e), *image = NULL, *conf = NULL;
	_cleanup_close_ int root = make_image_root(&image);
	json_t *config = json_pack("{s{s{s{}s{}}}}", "config", "Volumes", "/etc", "/anon");
	struct berth_mount_spec in[] = {
		{ .kind = BERTH_MOUNT_VOLUME, .source = "named", .target = "/etc", .readonly = true },
		{ .kind = BERTH_MOUNT_BIND, .source = "/srv", .target = "/srv" },
	};
	struct berth_mount_spec *out = NULL;
	struct berth_volume v = { 0 }, *list = NULL;
	size_t n = 0, nl = 0;
	struct stat st;
	char buf[64];
	ssize_t len;
	int anon = 0;

	TAP_OK(root >= 0);
	TAP_OK(berth_volume_prepare_mounts(e, id, root, config, in, 2, &out, &n, &err) == 0);
	/* the named one at /etc (over the image's /etc VOLUME), the bind, the image's /anon */
	TAP_OK(n == 3 && out[0].kind == BERTH_MOUNT_BIND && out[0].readonly && strstr(out[0].source, "/volumes/named/_data") &&
	       strcmp(out[1].source, "/srv") == 0 && strcmp(out[2].target, "/anon") == 0 && out[2].kind == BERTH_MOUNT_BIND);
	/* pre-filled from the image: contents, modes, owners, symlinks as they are */
	conf = n ? berth_xasprintf("%s/conf", out[0].source) : berth_xstrdup("");
	TAP_OK(stat(conf, &st) == 0 && (st.st_mode & 07777) == 0640 && st.st_uid == 1000);
	TAP_OK(n && stat(out[0].source, &st) == 0 && (st.st_mode & 07777) == 0750 && st.st_uid == 7);
	{
		_cleanup_free_ char *link = n ? berth_xasprintf("%s/link", out[0].source) : berth_xstrdup("");
		len = readlink(link, buf, sizeof(buf) - 1);
		TAP_OK(len == 12 && memcmp(buf, "/host/secret", 12) == 0);
	}
	berth_volume_mounts_free(out, n);
	TAP_OK(berth_volume_list(e, &list, &nl, &err) == 0 && nl == 2);
	for (size_t i = 0; i < nl; i++)
		if (list[i].anonymous) {
			anon++;
			TAP_OK(strlen(list[i].name) == 64 && berth_strv_contains(list[i].labels, BERTH_VOLUME_ANONYMOUS_LABEL "="));
		}
	TAP_OK(anon == 1);
	berth_volume_array_free(list, nl);
	/* in use: refused, with the user's id */
	TAP_OK(berth_volume_remove(e, "named", &err) == -EBUSY && strstr(err.msg, "volume is in use") && strstr(err.msg, id));
	berth_error_release(&err);
	/* a second user; a non-empty volume is not filled again */
	unlink(conf);
	TAP_OK(berth_volume_prepare_mounts(e, id2, root, NULL, in, 1, &out, &n, &err) == 0);
	berth_volume_mounts_free(out, n);
	TAP_OK(stat(conf, &st) < 0);
	/* rm -v of the first: its anonymous volume goes, the named one stays (the second uses it) */
	TAP_OK(berth_volume_release_ctr(e, id, true, &err) == 0);
	TAP_OK(berth_volume_list(e, &list, &nl, &err) == 0 && nl == 1 && strcmp(list[0].name, "named") == 0);
	berth_volume_array_free(list, nl);
	TAP_OK(berth_volume_remove(e, "named", &err) == -EBUSY);
	berth_error_release(&err);
	/* a user row whose container is gone does not hold the volume */
	TAP_OK(berth_ctr_db_delete(e->store->db, id2, &err) == 0);
	TAP_OK(berth_volume_get(e, "named", &v, &err) == 0 && !v.users);
	berth_volume_release(&v);
	TAP_OK(berth_volume_remove(e, "named", &err) == 0);
	json_decref(config);
}

static void test_prune(struct berth_engine *e)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_strv_free_ char **gone = NULL;
	_cleanup_free_ char *id = add_container(e);
	struct berth_mount_spec in[] = { { .kind = BERTH_MOUNT_VOLUME, .target = "/a" },
					 { .kind = BERTH_MOUNT_VOLUME, .source = "kept", .target = "/k" } };
	struct berth_mount_spec *out = NULL;
	struct berth_volume v = { 0 };
	uint64_t space = 0;
	size_t n = 0;

	TAP_OK(berth_volume_create(e, "loose", NULL, &v, &err) == 0);
	berth_volume_release(&v);
	TAP_OK(berth_volume_create(e, NULL, NULL, &v, &err) == 0 && v.anonymous);
	berth_volume_release(&v);
	TAP_OK(berth_volume_prepare_mounts(e, id, -EBADF, NULL, in, 2, &out, &n, &err) == 0);
	berth_volume_mounts_free(out, n);
	/* anonymous and unused only */
	TAP_OK(berth_volume_prune(e, false, &gone, &space, &err) == 0 && berth_strv_length(gone) == 1);
	berth_strv_free(TAKE_PTR(gone));
	/* -a: "loose" too; what the container uses stays */
	TAP_OK(berth_volume_prune(e, true, &gone, &space, &err) == 0 && berth_strv_length(gone) == 1 &&
	       strcmp(gone[0], "loose") == 0);
	TAP_OK(berth_volume_release_ctr(e, id, false, &err) == 0);
	berth_strv_free(TAKE_PTR(gone));
	TAP_OK(berth_volume_prune(e, true, &gone, &space, &err) == 0 && berth_strv_length(gone) == 2);
}

/* the pre-fill resolves the mount point inside the root: a symlink to "/" there is the root itself */
static void test_prefill_in_root(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *image = berth_xasprintf("%s/image", dir), *dest = berth_xasprintf("%s/dest", dir);
	_cleanup_free_ char *check = berth_xasprintf("%s/etc/conf", dest), *out = berth_xasprintf("%s/conf", dest);
	_cleanup_close_ int root = open(image, O_PATH | O_DIRECTORY | O_CLOEXEC), dfd = -EBADF;
	struct stat st;

	TAP_OK(mkdir(dest, 0755) == 0);
	dfd = open(dest, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* /up is ../../../../.. : inside the root it is the root, never the host's / */
	TAP_OK(berth_copy_prefill(root, "/up/up/etc/../up", dfd, &err) == 0);
	TAP_OK(stat(check, &st) == 0);
	TAP_OK(stat(out, &st) < 0); /* not the root's etc contents at the top: the root's own tree */
	TAP_OK(berth_copy_prefill(root, "/nothing", dfd, &err) == 0);
}

int main(void)
{
	struct berth_engine *e;

	if (geteuid() != 0)
		tap_skip_all("needs root (owners are kept)");
	if (!mkdtemp(dir))
		tap_skip_all("mkdtemp failed");
	setenv("BERTH_ROOT", dir, 1);
	test_names();
	e = open_engine();
	TAP_OK(e != NULL);
	if (e) {
		test_create_get_remove(e);
		test_mounts(e);
		test_prune(e);
		berth_engine_free(e);
	}
	test_prefill_in_root();
	{
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		berth_rm_rf_at(AT_FDCWD, dir, &err);
	}
	return tap_done();
}
