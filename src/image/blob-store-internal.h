#pragma once
/* Inside the image library only: what layer jobs need from a blob writer beyond blob-store.h. */
#include <stdatomic.h>

#include "blob-store.h"

/*
 * berth_blob_writer_follow() that also returns -ECANCELED once *cancel is
 * true; whoever sets it calls berth_blob_writer_wake() so a waiting follower
 * sees it.  Stops one follower without aborting the blob for everyone.
 */
ssize_t berth_blob_writer_follow_cancellable(struct berth_blob_writer *w, uint64_t *offset, void *buf, size_t len,
					     const atomic_bool *cancel);
void berth_blob_writer_wake(struct berth_blob_writer *w);
/* The digest the writer was created with, or NULL. */
const char *berth_blob_writer_expected_digest(const struct berth_blob_writer *w);
