#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

int berth_error_setv(struct berth_error *err, int errnum, int with_strerror, const char *fmt, va_list ap)
{
	char *base = NULL;

	if (errnum < 0)
		errnum = -errnum;
	if (errnum == 0)
		errnum = EIO;

	if (vasprintf(&base, fmt, ap) < 0)
		abort();

	free(err->msg);
	if (with_strerror) {
		err->msg = berth_xasprintf("%s: %s", base, strerror(errnum));
		free(base);
	} else {
		err->msg = base;
	}
	err->code = errnum;
	return -errnum;
}

int berth_error_set(struct berth_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = berth_error_setv(err, errnum, 1, fmt, ap);
	va_end(ap);
	return r;
}

int berth_error_setx(struct berth_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = berth_error_setv(err, errnum, 0, fmt, ap);
	va_end(ap);
	return r;
}

int berth_error_prefix(struct berth_error *err, const char *fmt, ...)
{
	char *ctx = NULL;
	char *msg;
	va_list ap;

	if (err->code == 0)
		err->code = EIO;

	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		abort();
	va_end(ap);

	msg = berth_xasprintf("%s: %s", ctx, err->msg ? err->msg : strerror(err->code));
	free(ctx);
	free(err->msg);
	err->msg = msg;
	return -err->code;
}

void berth_error_release(struct berth_error *err)
{
	free(err->msg);
	err->msg = NULL;
	err->code = 0;
}
