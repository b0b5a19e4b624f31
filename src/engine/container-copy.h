#pragma once
/*
 * `berth cp`: files between a container and the host, both ways, or as a
 * tar stream, with docker's rules:
 *
 *   SRC a file       DEST missing: made as that file; DEST missing with a
 *                    trailing '/': error; DEST a file: overwritten; DEST a
 *                    directory: copied into it under SRC's name
 *   SRC a directory  DEST missing: made as a copy of SRC; DEST a file:
 *                    error; DEST a directory: SRC copied into it, or only
 *                    SRC's contents when SRC ends in "/."
 *
 * Modes and times are kept, owners become root unless archive (-a).
 *
 * Every path inside the container is resolved with openat2(RESOLVE_IN_ROOT
 * | RESOLVE_NO_MAGICLINKS) from the container's root: /proc/<pid>/root of
 * a running container (so its volumes and tmpfs mounts are seen, as
 * docker does), else its root filesystem, mounted for the time of the copy.
 * The last component is never followed (unless follow_link for SRC) and
 * every file is made with *at() calls on its parent's fd, so no symlink in
 * the container, made before or during the copy, can make berth read or
 * write outside of it.  Entries of a tar stream with ".." are refused.
 */
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/error.h"

struct berth_copy_options {
	bool follow_link; /* -L: follow SRC when it is a symlink */
	bool archive;     /* -a: keep the source's uid/gid; else files are root's */
	uint64_t copied;  /* out: bytes of file content copied */
};

/* CONTAINER:SRC to the host path dest. */
int berth_ctr_copy_from(struct berth_engine *e, const char *ref, const char *src, const char *dest,
			struct berth_copy_options *o, struct berth_error *err);
/* The host path src to CONTAINER:DEST. */
int berth_ctr_copy_to(struct berth_engine *e, const char *ref, const char *src, const char *dest,
		      struct berth_copy_options *o, struct berth_error *err);
/* CONTAINER:SRC as a tar stream written to out_fd (`berth cp CTR:SRC -`): entries under SRC's base name. */
int berth_ctr_copy_from_tar(struct berth_engine *e, const char *ref, const char *src, int out_fd,
			    struct berth_copy_options *o, struct berth_error *err);
/* A tar stream read from in_fd, extracted into the directory CONTAINER:DEST (`berth cp - CTR:DEST`). */
int berth_ctr_copy_to_tar(struct berth_engine *e, const char *ref, int in_fd, const char *dest,
			  struct berth_copy_options *o, struct berth_error *err);

/*
 * For volumes (docker's copy-up): what the directory path holds in the tree
 * of root_fd (resolved inside it) is copied into the directory dest_fd,
 * owners, modes and times kept, and dest_fd takes the directory's own owner
 * and mode.  Nothing happens when path is not a directory there.
 */
int berth_copy_prefill(int root_fd, const char *path, int dest_fd, struct berth_error *err);
