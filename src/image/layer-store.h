#pragma once
/*
 * Unpacked layers: layers/<chain-hex>/, one directory per chain id, shared
 * by every image that has that chain.  A layer is unpacked into tmp/ by a
 * job (a thread), then renamed into place and recorded in the database.
 * Two berth processes unpacking the same chain at once both succeed: the
 * second rename finds the layer there and drops its own copy.
 */
#include <stdbool.h>

#include "blob-store.h"
#include "unpack.h"

struct berth_layer_job;

/*
 * Start unpacking in a new thread: from a blob being written (w, followed
 * as it grows) or, with w NULL, from the stored blob_digest.
 */
int berth_layer_job_start(struct berth_store *s, struct berth_blob_writer *w, const char *blob_digest,
			  struct berth_layer_job **ret, struct berth_error *err);
/* Wait for the thread and return what it found (diff id, sizes). */
int berth_layer_job_wait(struct berth_layer_job *j, struct berth_unpack_result *ret, struct berth_error *err);
/*
 * Publish the unpacked directory as layers/<hex of chain_id> and record it
 * (parent NULL for a bottom layer).  Call after a successful wait.
 */
int berth_layer_job_commit(struct berth_layer_job *j, const char *chain_id, const char *parent_chain_id,
			   struct berth_error *err);
/*
 * Free; an uncommitted job's temp dir is removed (a running thread is
 * cancelled and joined first; the blob it follows is left alone).  Free a
 * job before the blob writer it follows.
 */
void berth_layer_job_free(struct berth_layer_job *j);
static inline void berth_layer_job_freep(struct berth_layer_job **j)
{
	if (*j)
		berth_layer_job_free(*j);
}

bool berth_layer_exists(struct berth_store *s, const char *chain_id);
/* Remove layers/<hex> and its database row (the caller holds the exclusive lock). */
int berth_layer_remove(struct berth_store *s, const char *chain_id, struct berth_error *err);
