/*
 * The curl_* functions client.c calls, defined here and forwarded to
 * libcurl.so.4, which reg_curl_load() opens with dlopen: client.c keeps
 * using <curl/curl.h> as usual, and berth links no libcurl.  An executable
 * exports none of these (no shared library it links refers to them), so
 * libcurl's own calls stay inside libcurl.
 *
 * curl_easy_setopt and curl_share_setopt are variadic: the option's number
 * says the type of its one argument (the ranges of <curl/curl.h>, which
 * libcurl reads the same way), and it is passed on with that type.
 */
#include "curl-load.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

#include <curl/curl.h>

#include "util/cleanup.h"
#include "util/dl.h"

/* the macros of <curl/typecheck-gcc.h>, for callers: here are the definitions */
#undef curl_easy_setopt
#undef curl_share_setopt

#define CURL_SONAME "libcurl.so.4"

#define CURL_FUNCS(X)                                                                                                  \
	X(curl_global_init)                                                                                            \
	X(curl_easy_init)                                                                                              \
	X(curl_easy_setopt)                                                                                            \
	X(curl_easy_perform)                                                                                           \
	X(curl_easy_cleanup)                                                                                           \
	X(curl_easy_strerror)                                                                                          \
	X(curl_share_init)                                                                                             \
	X(curl_share_setopt)                                                                                           \
	X(curl_share_cleanup)                                                                                          \
	X(curl_slist_append)                                                                                           \
	X(curl_slist_free_all)

static struct {
#define FIELD(name) __typeof__(name) *name;
	CURL_FUNCS(FIELD)
#undef FIELD
} fn;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char *load_error; /* why libcurl could not be used; NULL once loaded */

static void load(void)
{
#define NAME(name) #name,
#define SLOT(name) (void **)&fn.name,
	static const char *const names[] = { CURL_FUNCS(NAME) };
	void **const slots[] = { CURL_FUNCS(SLOT) };
#undef NAME
#undef SLOT

	berth_dl_resolve(CURL_SONAME, names, slots, ARRAY_SIZE(names), &load_error);
}

int reg_curl_load(struct berth_error *err)
{
	pthread_once(&load_once, load);
	if (load_error)
		return berth_error_setx(err, ELIBACC, "the registry client needs libcurl (%s)", load_error);
	return 0;
}

/* Callers go through reg_curl_load() first: without libcurl they fail as curl would. */
static bool loaded(void)
{
	pthread_once(&load_once, load);
	return !load_error;
}

CURLcode curl_global_init(long flags)
{
	return loaded() ? fn.curl_global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
	return loaded() ? fn.curl_easy_init() : NULL;
}

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	CURLcode rc;
	va_list ap;

	if (!loaded())
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, curl_off_t));
	else
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, struct curl_blob *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *h)
{
	return loaded() ? fn.curl_easy_perform(h) : CURLE_FAILED_INIT;
}

void curl_easy_cleanup(CURL *h)
{
	if (h && loaded())
		fn.curl_easy_cleanup(h);
}

const char *curl_easy_strerror(CURLcode rc)
{
	return loaded() ? fn.curl_easy_strerror(rc) : "libcurl is not available";
}

CURLSH *curl_share_init(void)
{
	return loaded() ? fn.curl_share_init() : NULL;
}

/* the types libcurl's curl_share_setopt() reads for each option */
CURLSHcode curl_share_setopt(CURLSH *sh, CURLSHoption opt, ...)
{
	CURLSHcode rc;
	va_list ap;

	if (!loaded())
		return CURLSHE_NOT_BUILT_IN;
	va_start(ap, opt);
	switch (opt) {
	case CURLSHOPT_SHARE:
	case CURLSHOPT_UNSHARE:
		rc = fn.curl_share_setopt(sh, opt, va_arg(ap, int));
		break;
	case CURLSHOPT_LOCKFUNC:
		rc = fn.curl_share_setopt(sh, opt, va_arg(ap, curl_lock_function));
		break;
	case CURLSHOPT_UNLOCKFUNC:
		rc = fn.curl_share_setopt(sh, opt, va_arg(ap, curl_unlock_function));
		break;
	case CURLSHOPT_USERDATA:
		rc = fn.curl_share_setopt(sh, opt, va_arg(ap, void *));
		break;
	default:
		rc = CURLSHE_BAD_OPTION;
		break;
	}
	va_end(ap);
	return rc;
}

CURLSHcode curl_share_cleanup(CURLSH *sh)
{
	return loaded() ? fn.curl_share_cleanup(sh) : CURLSHE_INVALID;
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	return loaded() ? fn.curl_slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
	if (l && loaded())
		fn.curl_slist_free_all(l);
}
