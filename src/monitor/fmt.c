#include "monitor/fmt.h"

#include <string.h>

size_t fmt_int(char *out, int64_t v)
{
	char tmp[24];
	size_t n = 0, o = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[o++] = '-';
	while (n)
		out[o++] = tmp[--n];
	return o;
}

static void digits(char *out, long v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

size_t fmt_rfc3339_nano(char *out, int64_t sec, long nsec)
{
	/* days since the epoch to a civil date: Howard Hinnant's algorithm */
	int64_t days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400, rem = sec - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;

	y += m <= 2;
	digits(out, (long)y, 4);
	out[4] = '-';
	digits(out + 5, (long)m, 2);
	out[7] = '-';
	digits(out + 8, (long)d, 2);
	out[10] = 'T';
	digits(out + 11, (long)(rem / 3600), 2);
	out[13] = ':';
	digits(out + 14, (long)(rem / 60 % 60), 2);
	out[16] = ':';
	digits(out + 17, (long)(rem % 60), 2);
	out[19] = '.';
	digits(out + 20, nsec, 9);
	out[29] = 'Z';
	return 30;
}
