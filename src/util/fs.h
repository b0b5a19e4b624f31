#pragma once
/* File and path helpers shared by every subsystem. */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Read a whole file (at most max_size bytes, 0 = no limit) into a NUL-terminated buffer. */
int berth_read_file(const char *path, size_t max_size, char **ret_buf, size_t *ret_len, struct berth_error *err);
int berth_read_file_at(int dirfd, const char *path, size_t max_size, char **ret_buf, size_t *ret_len,
		       struct berth_error *err);
/* The same from an open fd (read from its current offset); name is for messages. */
int berth_read_fd(int fd, const char *name, size_t max_size, char **ret_buf, size_t *ret_len, struct berth_error *err);

/*
 * Write data to dirfd/name atomically: a temporary name in the same
 * directory, fsync, rename over name, fsync the directory.  Readers see the
 * old contents or the new, never a mix.
 */
int berth_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			    struct berth_error *err);

/*
 * Like berth_write_file_atomic() without the fsyncs: for runtime state that
 * does not outlive a reboot anyway (runc and crun do not sync theirs either),
 * where an fsync costs ~1 ms on a disk-backed /run.  Still atomic for readers.
 */
int berth_write_file_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			     struct berth_error *err);

/* Write a string to an existing file (sysfs, procfs, cgroupfs), no truncation games. */
int berth_write_file_string(int dirfd, const char *path, const char *value, struct berth_error *err);

/* mkdir -p; existing directories are fine. */
int berth_mkdir_p(const char *path, mode_t mode, struct berth_error *err);

/* openat2() with the given resolve flags; returns an fd or -errno (no error object: hot path). */
int berth_openat2(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve);

/* Remove a directory tree below dirfd/name without following symlinks. */
int berth_rm_rf_at(int dirfd, const char *name, struct berth_error *err);

/* Loop over write(2) until all of buf is written. */
int berth_write_all(int fd, const void *buf, size_t len);

/* Loop over read(2) until len bytes or EOF; returns bytes read or -errno. */
ssize_t berth_read_all(int fd, void *buf, size_t len);
