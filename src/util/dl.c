#include "dl.h"

#include <dlfcn.h>

#include "xalloc.h"

int berth_dl_resolve(const char *soname, const char *const *names, void **const *slots, size_t n, char **ret_error)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		*ret_error = berth_xasprintf("%s", dlerror());
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		*slots[i] = dlsym(h, names[i]);
		if (!*slots[i]) {
			*ret_error = berth_xasprintf("%s: no %s", soname, names[i]);
			dlclose(h);
			return -1;
		}
	}
	return 0;
}
