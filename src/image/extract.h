#pragma once
/*
 * Safe extraction of tar entries (read with libarchive) into a directory,
 * for unpack.c.  Every entry's parent is resolved inside the destination
 * (openat2 RESOLVE_IN_ROOT; RESOLVE_NO_SYMLINKS for whiteouts), final
 * components are never followed, "../" names are refused, and metadata is
 * set with *at(..., AT_SYMLINK_NOFOLLOW) calls or on fds we created.
 */
#include <archive.h>
#include <archive_entry.h>

#include "util/error.h"

struct berth_extract;

/* dest_dirfd is borrowed: it must stay open until berth_extract_free(). */
struct berth_extract *berth_extract_new(int dest_dirfd);

/* Extract one entry, reading its data from a; whiteouts become overlay whiteouts. */
int berth_extract_entry(struct berth_extract *x, struct archive *a, struct archive_entry *e,
			struct berth_error *err);

/* After the last entry: directory times (deferred, as creating entries changes them). */
int berth_extract_finish(struct berth_extract *x, struct berth_error *err);

void berth_extract_free(struct berth_extract *x);
static inline void berth_extract_freep(struct berth_extract **x)
{
	if (*x)
		berth_extract_free(*x);
}
