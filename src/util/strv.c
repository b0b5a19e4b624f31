#include "strv.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "xalloc.h"

void berth_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t berth_strv_length(char *const *v)
{
	size_t n = 0;

	if (v)
		while (v[n])
			n++;
	return n;
}

void berth_strv_consume(char ***v, char *s)
{
	size_t n = berth_strv_length(*v);

	*v = berth_xreallocarray(*v, n + 2, sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

void berth_strv_push(char ***v, const char *s)
{
	berth_strv_consume(v, berth_xstrdup(s));
}

char **berth_strv_copy(char *const *v)
{
	size_t n = berth_strv_length(v);
	char **r = berth_xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		r[i] = berth_xstrdup(v[i]);
	return r;
}

bool berth_strv_contains(char *const *v, const char *s)
{
	if (v)
		for (; *v; v++)
			if (strcmp(*v, s) == 0)
				return true;
	return false;
}
