#include "runtime/personality.h"

#include <errno.h>
#include <string.h>
#include <sys/personality.h>

static const struct {
	const char *name;
	unsigned long flag;
} personality_flags[] = {
	{ "UNAME26", UNAME26 },
	{ "ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE },
	{ "FDPIC_FUNCPTRS", FDPIC_FUNCPTRS },
	{ "MMAP_PAGE_ZERO", MMAP_PAGE_ZERO },
	{ "ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT },
	{ "READ_IMPLIES_EXEC", READ_IMPLIES_EXEC },
	{ "ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT },
	{ "SHORT_INODE", SHORT_INODE },
	{ "WHOLE_SECONDS", WHOLE_SECONDS },
	{ "STICKY_TIMEOUTS", STICKY_TIMEOUTS },
	{ "ADDR_LIMIT_3GB", ADDR_LIMIT_3GB },
};

int berth_personality_value(const struct berth_oci_personality *p, unsigned long *ret)
{
	unsigned long v;

	if (!p->domain || strcmp(p->domain, "LINUX") == 0)
		v = PER_LINUX;
	else if (strcmp(p->domain, "LINUX32") == 0)
		v = PER_LINUX32;
	else
		return -EINVAL;
	for (char **f = p->flags; f && *f; f++)
		for (size_t i = 0; i < sizeof(personality_flags) / sizeof(personality_flags[0]); i++)
			if (strcmp(*f, personality_flags[i].name) == 0)
				v |= personality_flags[i].flag;
	*ret = v;
	return 0;
}

int berth_personality_apply(const struct berth_oci_personality *p, struct berth_error *err)
{
	unsigned long v;

	if (!p)
		return 0;
	if (berth_personality_value(p, &v) < 0)
		return berth_error_setx(err, EINVAL, "unknown personality domain `%s`", p->domain);
	if (personality(v) < 0)
		return berth_error_set(err, errno, "set personality %#lx", v);
	return 0;
}
