#include "layer-store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob-store-internal.h"
#include "image-db.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct berth_layer_job {
	struct berth_store *store;
	struct berth_blob_writer *writer; /* followed, not owned */
	uint64_t offset;		  /* how far the follower has read */
	int src_fd;			  /* the stored blob, when there is no writer */
	char *blob_digest;		  /* for messages; NULL when unknown */
	char *tmp_name;			  /* the directory under tmp/ we unpack into */
	int dest_fd;

	pthread_t thread;
	bool running; /* started and not joined yet */
	atomic_bool cancel;

	/* what the thread found; read after the join */
	int result;
	struct berth_error err;
	struct berth_unpack_result res;
	bool waited;
	bool committed;
};

static ssize_t read_writer(void *opaque, void *buf, size_t len)
{
	struct berth_layer_job *j = opaque;

	return berth_blob_writer_follow_cancellable(j->writer, &j->offset, buf, len, &j->cancel);
}

static ssize_t read_blob(void *opaque, void *buf, size_t len)
{
	struct berth_layer_job *j = opaque;

	for (;;) {
		ssize_t n;

		if (atomic_load(&j->cancel))
			return -ECANCELED;
		n = read(j->src_fd, buf, len);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
	}
}

static void *job_main(void *arg)
{
	struct berth_layer_job *j = arg;

	j->result = berth_unpack_stream(j->writer ? read_writer : read_blob, j, j->dest_fd, &j->store->limits, &j->res,
					&j->err);
	/* the layer's files reach the disk before the rename publishes them */
	if (j->result >= 0 && syncfs(j->dest_fd) < 0)
		j->result = berth_error_set(&j->err, errno, "sync the unpacked layer");
	return NULL;
}

static void remove_tmp_dir(struct berth_layer_job *j)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (!j->tmp_name)
		return;
	/* best effort: litter left here goes at the next exclusive lock */
	berth_rm_rf_at(j->store->tmp_fd, j->tmp_name, &err);
	berth_error_release(&err);
	free(j->tmp_name);
	j->tmp_name = NULL;
}

void berth_layer_job_free(struct berth_layer_job *j)
{
	if (!j)
		return;
	if (j->running) {
		atomic_store(&j->cancel, true);
		if (j->writer)
			berth_blob_writer_wake(j->writer);
		pthread_join(j->thread, NULL);
		j->running = false;
	}
	if (j->dest_fd >= 0)
		close(j->dest_fd);
	if (j->src_fd >= 0)
		close(j->src_fd);
	if (!j->committed)
		remove_tmp_dir(j);
	free(j->tmp_name);
	free(j->blob_digest);
	berth_error_release(&j->err);
	free(j);
}

int berth_layer_job_start(struct berth_store *s, struct berth_blob_writer *w, const char *blob_digest,
			  struct berth_layer_job **ret, struct berth_error *err)
{
	_cleanup_(berth_layer_job_freep) struct berth_layer_job *j = NULL;
	int r;

	j = berth_xzalloc(sizeof(*j));
	j->store = s;
	j->writer = w;
	j->src_fd = -EBADF;
	j->dest_fd = -EBADF;
	atomic_init(&j->cancel, false);
	if (w) {
		j->blob_digest = berth_xstrdup_or_null(berth_blob_writer_expected_digest(w));
	} else {
		if (!blob_digest)
			return berth_error_setx(err, EINVAL, "unpack layer: no blob given");
		r = berth_blob_open(s, blob_digest, &j->src_fd, err);
		if (r < 0)
			return berth_error_prefix(err, "unpack layer");
		j->blob_digest = berth_xstrdup(blob_digest);
	}

	r = berth_store_mkdtemp(s, &j->tmp_name, err);
	if (r < 0)
		return berth_error_prefix(err, "unpack layer %s", j->blob_digest ? j->blob_digest : "");
	j->dest_fd = openat(s->tmp_fd, j->tmp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (j->dest_fd < 0)
		return berth_error_set(err, errno, "open \"%s/tmp/%s\"", s->root, j->tmp_name);
	/* a layer root is 0755 unless the tar says otherwise ("./"); tmp/ and layers/ keep others out */
	if (fchmod(j->dest_fd, 0755) < 0)
		return berth_error_set(err, errno, "chmod \"%s/tmp/%s\"", s->root, j->tmp_name);

	r = pthread_create(&j->thread, NULL, job_main, j);
	if (r != 0)
		return berth_error_set(err, r, "unpack layer: start a thread");
	j->running = true;
	*ret = TAKE_PTR(j);
	return 0;
}

int berth_layer_job_wait(struct berth_layer_job *j, struct berth_unpack_result *ret, struct berth_error *err)
{
	if (j->running) {
		pthread_join(j->thread, NULL);
		j->running = false;
	}
	j->waited = true;
	if (j->result < 0) {
		berth_error_setx(err, j->err.code ? j->err.code : EIO, "%s", j->err.msg ? j->err.msg : "failed");
		if (j->blob_digest)
			return berth_error_prefix(err, "unpack layer %s", j->blob_digest);
		return berth_error_prefix(err, "unpack layer");
	}
	if (ret)
		*ret = j->res;
	return 0;
}

int berth_layer_job_commit(struct berth_layer_job *j, const char *chain_id, const char *parent_chain_id,
			   struct berth_error *err)
{
	struct berth_store *s = j->store;
	const char *hex;
	int r;

	if (!j->waited || j->result < 0 || j->committed || !j->tmp_name)
		return berth_error_setx(err, EINVAL, "commit layer: the unpack did not succeed or was committed");
	if (berth_digest_validate(chain_id, err) < 0)
		return berth_error_prefix(err, "commit layer");
	if (parent_chain_id && *parent_chain_id && berth_digest_validate(parent_chain_id, err) < 0)
		return berth_error_prefix(err, "commit layer %s: parent", chain_id);
	hex = berth_digest_hex(chain_id);

	if (renameat2(s->tmp_fd, j->tmp_name, s->layers_fd, hex, RENAME_NOREPLACE) == 0) {
		free(j->tmp_name);
		j->tmp_name = NULL;
	} else if (errno == EEXIST || errno == ENOTEMPTY) {
		/* another process unpacked the same chain first: theirs stays, ours goes */
		remove_tmp_dir(j);
	} else {
		return berth_error_set(err, errno, "rename \"%s/tmp/%s\" to \"%s/layers/%s\"", s->root, j->tmp_name,
				       s->root, hex);
	}
	j->committed = true;
	if (fsync(s->layers_fd) < 0)
		return berth_error_set(err, errno, "fsync \"%s/layers\"", s->root);
	r = berth_db_add_layer(s->db, chain_id, parent_chain_id, j->res.diff_id, (int64_t)j->res.diff_size, err);
	if (r < 0)
		return berth_error_prefix(err, "commit layer %s", chain_id);
	return 0;
}

bool berth_layer_exists(struct berth_store *s, const char *chain_id)
{
	struct stat st;

	if (!berth_digest_is_valid(chain_id))
		return false;
	/* both: the directory (what mounts use) and the record (what prune counts) */
	return fstatat(s->layers_fd, berth_digest_hex(chain_id), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode) && berth_db_has_layer(s->db, chain_id);
}

int berth_layer_remove(struct berth_store *s, const char *chain_id, struct berth_error *err)
{
	_cleanup_free_ char *tmp = NULL;
	const char *hex;
	int r;

	if (berth_digest_validate(chain_id, err) < 0)
		return berth_error_prefix(err, "remove layer");
	hex = berth_digest_hex(chain_id);
	/*
	 * Move it out of layers/ in one step, then forget it, then delete it:
	 * a crash never leaves a half-deleted directory under its chain id.
	 */
	r = berth_store_mkdtemp(s, &tmp, err);
	if (r < 0)
		return berth_error_prefix(err, "remove layer %s", chain_id);
	if (renameat(s->layers_fd, hex, s->tmp_fd, tmp) < 0) {
		r = -errno;
		unlinkat(s->tmp_fd, tmp, AT_REMOVEDIR);
		if (r != -ENOENT)
			return berth_error_set(err, -r, "remove layer %s: rename \"%s/layers/%s\"", chain_id, s->root,
					       hex);
	}
	r = berth_db_remove_layer(s->db, chain_id, err);
	if (r < 0)
		return r;
	r = berth_rm_rf_at(s->tmp_fd, tmp, err);
	if (r < 0)
		return berth_error_prefix(err, "remove layer %s", chain_id);
	return 0;
}
