#pragma once
/*
 * Scope-bound cleanup helpers, in the style of systemd's fd-util.h and
 * bubblewrap's utils.h.  Initialise every cleaned-up variable at its
 * declaration (= NULL, = -EBADF) and hand ownership out with TAKE_PTR/TAKE_FD.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* Free a NULL-terminated array of strings and the array itself. */
void berth_strv_free(char **v);

static inline void strv_freep(char ***v)
{
	berth_strv_free(*v);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

#define TAKE_PTR(p)                              \
	({                                       \
		__typeof__(p) _ptr_ = (p);       \
		(p) = NULL;                      \
		_ptr_;                           \
	})

#define TAKE_FD(fd)                              \
	({                                       \
		int _fd_ = (fd);                 \
		(fd) = -EBADF;                   \
		_fd_;                            \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
