#pragma once
/*
 * One error convention for all of berth: a function that can fail returns
 * 0 or a negative errno and fills the error object passed as its last
 * argument.  Callers add context on the way up, so the user reads a chain:
 *
 *	create "c1": mount "/proc": mount proc on "/x/rootfs/proc": Permission denied
 *
 * Library code never prints; only the CLI prints err->msg.
 */
#include <stdarg.h>

struct berth_error {
	int code;  /* positive errno value, 0 when no error is set */
	char *msg; /* heap-allocated, no capital, no trailing full stop */
};

#define BERTH_ERROR_INIT { 0, NULL }

/*
 * Set the error to the formatted message followed by ": strerror(errnum)"
 * and return -errnum.  errnum is a positive errno (pass errno directly).
 * An error already set is replaced.
 */
int berth_error_set(struct berth_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As berth_error_set(), but without the strerror() suffix. */
int berth_error_setx(struct berth_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int berth_error_setv(struct berth_error *err, int errnum, int with_strerror, const char *fmt, va_list ap);

/*
 * Prepend "context: " to the message of a set error and return -err->code,
 * so a caller can write: return berth_error_prefix(err, "mount %s", dst);
 */
int berth_error_prefix(struct berth_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Free the message and reset the object so it can be reused. */
void berth_error_release(struct berth_error *err);

static inline void berth_error_releasep(struct berth_error *err)
{
	berth_error_release(err);
}

#define _cleanup_error_ __attribute__((cleanup(berth_error_releasep)))
