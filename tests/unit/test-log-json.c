/* monitor/log-json and monitor/fmt: docker's json-file records, checked against jansson and gmtime. */
#include "monitor/log-json.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor/fmt.h"
#include "tap.h"

static void test_time(void)
{
	static const int64_t samples[] = { 0, 951782400 /* 2000-02-29 */, 1795430400, 4102444799, 86399 };
	char out[32], want[96];

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		time_t t = (time_t)samples[i];
		struct tm tm;
		gmtime_r(&t, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.000000042Z", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		out[fmt_rfc3339_nano(out, samples[i], 42)] = '\0';
		tap_ok(strcmp(out, want) == 0, "time %lld: %s", (long long)samples[i], out);
	}
	out[fmt_int(out, -1234)] = '\0';
	TAP_OK(strcmp(out, "-1234") == 0);
	out[fmt_int(out, 0)] = '\0';
	TAP_OK(strcmp(out, "0") == 0);
}

static void test_escape(void)
{
	static const char data[] = "q\" b\\ \t\x01\x7f h\xc3\xa9\n";
	static char out[1024];
	size_t n = log_json_format(out, "stderr", data, sizeof(data) - 1, 0, 5);
	json_error_t e;
	json_t *j;

	TAP_OK(n > 0 && out[n - 1] == '\n');
	out[n] = '\0';
	j = json_loads(out, 0, &e);
	TAP_OK(j != NULL);
	TAP_OK(j && strcmp(json_string_value(json_object_get(j, "log")), data) == 0);
	TAP_OK(j && strcmp(json_string_value(json_object_get(j, "stream")), "stderr") == 0);
	TAP_OK(j && strcmp(json_string_value(json_object_get(j, "time")), "1970-01-01T00:00:00.000000005Z") == 0);
	json_decref(j);
}

static void test_lines(void)
{
	char path[] = "/tmp/berth-test-log-XXXXXX", buf[65536];
	struct log_json_stream s = { .name = "stdout" };
	static char big[LOG_JSON_LINE_MAX + 10];
	int fd = mkstemp(path), lines = 0;
	ssize_t n;

	memset(big, 'x', sizeof(big));
	/* two lines in one write, a line split over two writes, one line longer than the limit, a tail */
	log_json_feed(fd, &s, "a\nb\n", 4);
	log_json_feed(fd, &s, "par", 3);
	log_json_feed(fd, &s, "tial\n", 5);
	log_json_feed(fd, &s, big, sizeof(big));
	log_json_feed(fd, &s, "\ntail", 5);
	log_json_flush(fd, &s);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf; (p = strchr(p, '\n')); p++)
		lines++;
	TAP_OK(lines == 6);
	TAP_OK(strstr(buf, "{\"log\":\"a\\n\",\"stream\":\"stdout\"") == buf);
	TAP_OK(strstr(buf, "\"log\":\"partial\\n\"") != NULL);
	TAP_OK(strstr(buf, "\"log\":\"tail\",") != NULL);
	close(fd);
	unlink(path);
}

int main(void)
{
	test_time();
	test_escape();
	test_lines();
	return tap_done();
}
