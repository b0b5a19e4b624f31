#pragma once
/*
 * Libraries that only some commands need (libcurl, libsystemd) are opened
 * with dlopen on first use rather than linked, so that every other process
 * pays nothing to load and relocate them.  The shims keep a table of
 * function pointers; this fills it.
 */
#include <stddef.h>

/*
 * dlopen soname and resolve names[i] into *slots[i] for each i < n.  Returns
 * 0, or -1 with *ret_error (malloc'd) saying why (dlerror(), or the first
 * missing symbol); the library is closed again then.
 */
int berth_dl_resolve(const char *soname, const char *const *names, void **const *slots, size_t n, char **ret_error);
