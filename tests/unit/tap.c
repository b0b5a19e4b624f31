#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int n_run, n_failed, n_planned = -1;

void tap_plan(int n)
{
	n_planned = n;
	printf("1..%d\n", n);
}

bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	n_run++;
	if (!cond)
		n_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", n_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(77);
}

int tap_done(void)
{
	if (n_planned < 0)
		printf("1..%d\n", n_run);
	else if (n_planned != n_run) {
		printf("# planned %d tests but ran %d\n", n_planned, n_run);
		return 1;
	}
	return n_failed ? 1 : 0;
}
