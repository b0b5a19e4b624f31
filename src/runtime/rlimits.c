#include "runtime/rlimits.h"

#include <errno.h>
#include <sys/resource.h>

static const char *rlimit_name(const struct berth_oci_rlimit *l)
{
	return l->type ? l->type : "(unnamed)";
}

int berth_rlimits_apply(const struct berth_oci_rlimit *r, size_t n, struct berth_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct berth_oci_rlimit *l = &r[i];
		struct rlimit new = { .rlim_cur = (rlim_t)l->soft, .rlim_max = (rlim_t)l->hard };
		struct rlimit old;
		int e;

		if (l->soft > l->hard)
			return berth_error_setx(err, EINVAL, "rlimit `%s`: soft limit %llu is above hard limit %llu",
						rlimit_name(l), (unsigned long long)l->soft,
						(unsigned long long)l->hard);
		if (prlimit(0, (__rlimit_resource_t)l->resource, &new, NULL) == 0)
			continue;
		e = errno;
		if (e == EPERM && prlimit(0, (__rlimit_resource_t)l->resource, NULL, &old) == 0 &&
		    new.rlim_max > old.rlim_max)
			return berth_error_set(err, e,
					       "set rlimit `%s` to soft %llu hard %llu: raising the hard limit "
					       "above %llu needs CAP_SYS_RESOURCE",
					       rlimit_name(l), (unsigned long long)l->soft, (unsigned long long)l->hard,
					       (unsigned long long)old.rlim_max);
		return berth_error_set(err, e, "set rlimit `%s` to soft %llu hard %llu", rlimit_name(l),
				       (unsigned long long)l->soft, (unsigned long long)l->hard);
	}
	return 0;
}
