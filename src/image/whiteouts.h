#pragma once
/*
 * Whiteouts.  In a layer tar (OCI form) ".wh.NAME" deletes NAME from the
 * layers below and ".wh..wh..opq" makes its directory hide theirs; unpacked
 * layers hold the overlayfs form instead: a 0:0 character device NAME, and
 * the xattr trusted.overlay.opaque="y" on the directory.
 */
#include <stdbool.h>
#include <sys/stat.h>

#include "util/error.h"

#define BERTH_WHITEOUT_PREFIX ".wh."
#define BERTH_WHITEOUT_META_PREFIX ".wh..wh."
#define BERTH_WHITEOUT_OPAQUE_NAME ".wh..wh..opq"
#define BERTH_OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"

enum berth_whiteout {
	BERTH_WHITEOUT_NONE,   /* an ordinary name */
	BERTH_WHITEOUT_FILE,   /* ".wh.NAME": NAME is deleted */
	BERTH_WHITEOUT_OPAQUE, /* ".wh..wh..opq": the parent directory is opaque */
	BERTH_WHITEOUT_META,   /* any other ".wh..wh.*" (aufs metadata such as .wh..wh.plnk): skipped */
};

/*
 * Classify one path component of a tar entry.  For BERTH_WHITEOUT_FILE,
 * ret_name points to NAME inside base.  -EINVAL for malformed whiteouts:
 * ".wh." (no name), ".wh.." and ".wh...", a NAME with a "/".
 */
int berth_whiteout_classify(const char *base, enum berth_whiteout *ret, const char **ret_name, struct berth_error *err);

/* Replace dirfd/name (whatever it is, a directory recursively) with an overlay whiteout. */
int berth_whiteout_make(int dirfd, const char *name, struct berth_error *err);

/* Mark the directory open at dirfd (not O_PATH) opaque. */
int berth_whiteout_make_opaque(int dirfd, struct berth_error *err);

/* An overlay whiteout: a character device 0:0. */
static inline bool berth_whiteout_is_overlay(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

/*
 * The "copy" rootfs driver: apply one unpacked layer (overlay form) on top
 * of dest, as overlayfs would show it.  Files, directories, symlinks,
 * devices and fifos are copied with owners, modes, times and xattrs (but no
 * trusted.overlay.*), file data with copy_file_range() (reflinks where the
 * filesystem has them), hardlinks inside the layer stay hardlinks.  A
 * whiteout removes dest's entry (recursively); an opaque directory empties
 * dest's directory first.  Nothing in dest is followed: a symlink in dest
 * where the layer has a directory is replaced by the directory.
 * Both fds are directories (O_PATH is fine).
 */
int berth_layer_copy_over(int layer_dirfd, int dest_dirfd, struct berth_error *err);
