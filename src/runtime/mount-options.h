#pragma once
/*
 * The OCI mount "options" array, parsed into what the mount syscalls take:
 * mount(2) flags (set and explicitly cleared), propagation changes in order,
 * recursive mount_setattr(2) attributes and the filesystem data string.
 *
 * The table follows runc (libcontainer/specconv parseMountOptions):
 *
 *   ro rw suid nosuid dev nodev exec noexec sync async dirsync mand nomand
 *   atime noatime diratime nodiratime relatime norelatime strictatime
 *   nostrictatime symfollow nosymfollow lazytime nolazytime iversion
 *   noiversion silent loud remount defaults
 *   bind rbind                        MS_BIND, MS_BIND|MS_REC
 *   [r]private [r]shared [r]slave [r]unbindable   propagation, kept in order
 *   rro rrw rnosuid rsuid rnodev rdev rnoexec rexec rnodiratime rdiratime
 *   rnosymfollow rsymfollow rnoatime ratime rrelatime rnorelatime
 *   rstrictatime rnostrictatime      recursive, for mount_setattr(AT_RECURSIVE)
 *   tmpcopyup                         tmpfs: copy the directory's contents up
 *   x-*, X-*, ""                      userspace-only, ignored (as mount(8) does)
 *
 * Anything else is filesystem data, joined with "," in order
 * ("size=65536k,mode=755").  For flag options the last one wins ("ro","rw" is
 * rw).  The recursive atime options set the whole atime mode, because
 * mount_setattr() treats it as one value: rnoatime = noatime, rstrictatime =
 * strictatime, and ratime, rrelatime and rnostrictatime = relatime (the kernel
 * default); rnorelatime, like norelatime with mount(2), changes nothing.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define BERTH_MOUNT_MAX_PROPAGATION 8

struct berth_mount_options {
	unsigned long flags;       /* MS_* asked for: MS_RDONLY, MS_NOSUID, ..., MS_BIND, MS_REC, MS_REMOUNT */
	unsigned long clear_flags; /* MS_* explicitly turned off: "rw", "suid", "dev", "exec", "atime", ... */
	/* MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE, each maybe | MS_REC, in the order given */
	unsigned long propagation[BERTH_MOUNT_MAX_PROPAGATION];
	size_t n_propagation;
	uint64_t rec_attr_set; /* MOUNT_ATTR_* to set on the whole tree */
	uint64_t rec_attr_clr; /* MOUNT_ATTR_* to clear on the whole tree */
	char *data;            /* filesystem options, NULL if none */
	bool tmpcopyup;
};

/*
 * Parse a NULL-terminated option array (NULL is an empty one) into *ret,
 * which the caller releases.  Fails with EINVAL on more than
 * BERTH_MOUNT_MAX_PROPAGATION propagation options; "idmap" and "ridmap" fail
 * with EOPNOTSUPP (the config model carries no mount id mappings).
 */
int berth_mount_options_parse(char *const *options, struct berth_mount_options *ret, struct berth_error *err);

void berth_mount_options_release(struct berth_mount_options *o);

/*
 * The non-recursive mount attribute changes as mount_setattr(2) wants them:
 * MOUNT_ATTR_RDONLY, NOSUID, NODEV, NOEXEC, NODIRATIME, NOSYMFOLLOW and the
 * atime mode.  Flags asked for go to *ret_set, explicitly cleared ones to
 * *ret_clr.  The atime mode is only touched when an atime option was given;
 * like mount(2), strictatime beats noatime beats relatime, and atime or
 * nostrictatime alone mean relatime.  *ret_set is also what fsmount(2) takes
 * for a new filesystem.
 */
void berth_mount_options_attr(const struct berth_mount_options *o, uint64_t *ret_set, uint64_t *ret_clr);

/*
 * Parse linux.rootfsPropagation ("shared", "rslave", ...) into MS_* flags
 * (with MS_REC for the r-variants).  EINVAL for anything else.
 */
int berth_mount_propagation_parse(const char *s, unsigned long *ret, struct berth_error *err);
