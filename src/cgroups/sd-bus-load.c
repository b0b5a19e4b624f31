/*
 * The sd_bus_* functions cgroup-systemd.c calls, defined here and forwarded
 * to libsystemd.so.0, which berth_sd_bus_load() opens with dlopen: only the
 * systemd cgroup driver talks to the bus, and linked, libsystemd (with
 * gcrypt, lz4, lzma, zstd under it) costs every process of berth and
 * berth-runtime its loading and relocation.  The executables export none of
 * these (no shared library they link refers to them).
 *
 * Without the library a function fails as on a closed bus (-ENOTCONN); the
 * unref and free functions, which cleanup paths call on NULL or empty
 * objects, do nothing and load nothing.
 * The variadic sd_bus_message_append/read go through their va_list twins.
 */
#include "cgroups/cgroup-internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "util/cleanup.h"
#include "util/dl.h"

#define SYSTEMD_SONAME "libsystemd.so.0"

#define SD_FUNCS(X)                                                                                                    \
	X(sd_bus_open_system)                                                                                          \
	X(sd_bus_new)                                                                                                  \
	X(sd_bus_set_address)                                                                                          \
	X(sd_bus_start)                                                                                                \
	X(sd_bus_unref)                                                                                                \
	X(sd_bus_flush_close_unref)                                                                                    \
	X(sd_bus_is_bus_client)                                                                                        \
	X(sd_bus_call)                                                                                                 \
	X(sd_bus_process)                                                                                              \
	X(sd_bus_wait)                                                                                                 \
	X(sd_bus_match_signal)                                                                                         \
	X(sd_bus_slot_unref)                                                                                           \
	X(sd_bus_message_new_method_call)                                                                              \
	X(sd_bus_message_unref)                                                                                        \
	X(sd_bus_message_appendv)                                                                                      \
	X(sd_bus_message_append_basic)                                                                                 \
	X(sd_bus_message_open_container)                                                                               \
	X(sd_bus_message_close_container)                                                                              \
	X(sd_bus_message_readv)                                                                                        \
	X(sd_bus_error_free)                                                                                           \
	X(sd_bus_error_is_set)                                                                                         \
	X(sd_bus_error_has_name)

static struct {
#define FIELD(name) __typeof__(name) *name;
	SD_FUNCS(FIELD)
#undef FIELD
} fn;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char *load_error; /* why libsystemd could not be used; NULL once loaded */

static void load(void)
{
#define NAME(name) #name,
#define SLOT(name) (void **)&fn.name,
	static const char *const names[] = { SD_FUNCS(NAME) };
	void **const slots[] = { SD_FUNCS(SLOT) };
#undef NAME
#undef SLOT

	berth_dl_resolve(SYSTEMD_SONAME, names, slots, ARRAY_SIZE(names), &load_error);
}

int berth_sd_bus_load(struct berth_error *err)
{
	pthread_once(&load_once, load);
	if (load_error)
		return berth_error_setx(err, ELIBACC, "the systemd cgroup driver needs libsystemd (%s)", load_error);
	return 0;
}

static bool loaded(void)
{
	pthread_once(&load_once, load);
	return !load_error;
}

/* int functions: -ENOTCONN without the library */
#define FORWARD_INT(name, params, args)                                                                                \
	int name params                                                                                                \
	{                                                                                                              \
		return loaded() ? fn.name args : -ENOTCONN;                                                            \
	}
/* unref functions: nothing to release without the library */
#define FORWARD_UNREF(type, name)                                                                                      \
	type *name(type *p)                                                                                            \
	{                                                                                                              \
		return p && loaded() ? fn.name(p) : NULL;                                                              \
	}

FORWARD_INT(sd_bus_open_system, (sd_bus * *ret), (ret))
FORWARD_INT(sd_bus_new, (sd_bus * *ret), (ret))
FORWARD_INT(sd_bus_set_address, (sd_bus * bus, const char *address), (bus, address))
FORWARD_INT(sd_bus_start, (sd_bus * bus), (bus))
FORWARD_INT(sd_bus_is_bus_client, (sd_bus * bus), (bus))
FORWARD_INT(sd_bus_call, (sd_bus * bus, sd_bus_message *m, uint64_t usec, sd_bus_error *ret_error, sd_bus_message **reply),
	    (bus, m, usec, ret_error, reply))
FORWARD_INT(sd_bus_process, (sd_bus * bus, sd_bus_message **r), (bus, r))
FORWARD_INT(sd_bus_wait, (sd_bus * bus, uint64_t timeout_usec), (bus, timeout_usec))
FORWARD_INT(sd_bus_match_signal,
	    (sd_bus * bus, sd_bus_slot **ret, const char *sender, const char *path, const char *interface,
	     const char *member, sd_bus_message_handler_t callback, void *userdata),
	    (bus, ret, sender, path, interface, member, callback, userdata))
FORWARD_INT(sd_bus_message_new_method_call,
	    (sd_bus * bus, sd_bus_message **m, const char *destination, const char *path, const char *interface,
	     const char *member),
	    (bus, m, destination, path, interface, member))
FORWARD_INT(sd_bus_message_appendv, (sd_bus_message * m, const char *types, va_list ap), (m, types, ap))
FORWARD_INT(sd_bus_message_append_basic, (sd_bus_message * m, char type, const void *p), (m, type, p))
FORWARD_INT(sd_bus_message_open_container, (sd_bus_message * m, char type, const char *contents), (m, type, contents))
FORWARD_INT(sd_bus_message_close_container, (sd_bus_message * m), (m))
FORWARD_INT(sd_bus_message_readv, (sd_bus_message * m, const char *types, va_list ap), (m, types, ap))

FORWARD_UNREF(sd_bus, sd_bus_unref)
FORWARD_UNREF(sd_bus, sd_bus_flush_close_unref)
FORWARD_UNREF(sd_bus_slot, sd_bus_slot_unref)
FORWARD_UNREF(sd_bus_message, sd_bus_message_unref)

int sd_bus_message_append(sd_bus_message *m, const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = sd_bus_message_appendv(m, types, ap);
	va_end(ap);
	return r;
}

int sd_bus_message_read(sd_bus_message *m, const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = sd_bus_message_readv(m, types, ap);
	va_end(ap);
	return r;
}

/* an error with a name was set by the library: without one there is nothing to read or free */
void sd_bus_error_free(sd_bus_error *e)
{
	if (e && (e->name || e->message) && loaded())
		fn.sd_bus_error_free(e);
}

int sd_bus_error_is_set(const sd_bus_error *e)
{
	return e && e->name && loaded() ? fn.sd_bus_error_is_set(e) : 0;
}

int sd_bus_error_has_name(const sd_bus_error *e, const char *name)
{
	return e && e->name && loaded() ? fn.sd_bus_error_has_name(e, name) : 0;
}
