#pragma once
/*
 * Blobs moving in parallel (pull's downloads, push's uploads): a few
 * threads take items in order; the first real failure stops the others (it
 * cancels the client's transfers) and is the error reported, not the
 * cancellations it caused.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "client.h"
#include "util/error.h"

struct reg_transfers {
	/* set by the caller */
	struct reg_client *client;
	size_t n;
	bool (*wanted)(void *opaque, size_t i); /* NULL: every item */
	int (*run)(void *opaque, size_t i, struct berth_error *err);
	void *opaque;
	const char *what; /* "download", "upload" */
	/* private */
	pthread_mutex_t lock;
	size_t next;
	atomic_bool failed;
	struct berth_error first_err;
	int first_r;
};

/* Run the wanted items on up to max threads (0: the default); the first failure, if any. */
int reg_transfers_run(struct reg_transfers *t, unsigned max, struct berth_error *err);

/* Whether an item failed: the others stop retrying. */
static inline bool reg_transfers_failed(struct reg_transfers *t)
{
	return atomic_load(&t->failed);
}
