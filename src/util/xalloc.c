#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p)
{
	if (!p)
		abort();
	return p;
}

void *berth_xmalloc(size_t n)
{
	return check(malloc(n ? n : 1));
}

void *berth_xzalloc(size_t n)
{
	return check(calloc(1, n ? n : 1));
}

void *berth_xcalloc(size_t nmemb, size_t size)
{
	return check(calloc(nmemb ? nmemb : 1, size ? size : 1));
}

void *berth_xrealloc(void *p, size_t n)
{
	return check(realloc(p, n ? n : 1));
}

void *berth_xreallocarray(void *p, size_t nmemb, size_t size)
{
	return check(reallocarray(p, nmemb ? nmemb : 1, size ? size : 1));
}

char *berth_xstrdup(const char *s)
{
	return check(strdup(s));
}

char *berth_xstrdup_or_null(const char *s)
{
	return s ? berth_xstrdup(s) : NULL;
}

char *berth_xstrndup(const char *s, size_t n)
{
	return check(strndup(s, n));
}

char *berth_xasprintf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}
