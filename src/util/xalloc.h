#pragma once
/* Allocation helpers: out of memory aborts (house rule), so callers need no checks. */
#include <stddef.h>

void *berth_xmalloc(size_t n);
void *berth_xzalloc(size_t n);
void *berth_xcalloc(size_t nmemb, size_t size);
void *berth_xrealloc(void *p, size_t n);
/* realloc to nmemb * size, aborting on multiplication overflow */
void *berth_xreallocarray(void *p, size_t nmemb, size_t size);
char *berth_xstrdup(const char *s);
/* NULL in, NULL out */
char *berth_xstrdup_or_null(const char *s);
char *berth_xstrndup(const char *s, size_t n);
char *berth_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
