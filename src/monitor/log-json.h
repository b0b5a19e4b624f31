#pragma once
/*
 * docker's json-file log driver format: one JSON object per line,
 *	{"log":"hello\n","stream":"stdout","time":"2026-11-23T13:40:00.123456789Z"}
 * A line is cut at '\n'; a partial line is written as it is (without the
 * newline) once LOG_JSON_LINE_MAX bytes are pending or the stream ends, as
 * docker does.  Self-contained (no JSON library): the monitor stays small.
 */
#include <stddef.h>
#include <stdint.h>

#define LOG_JSON_LINE_MAX (16 * 1024)

struct log_json_stream {
	const char *name; /* "stdout" / "stderr" */
	char buf[LOG_JSON_LINE_MAX];
	size_t len;
};

/* Feed bytes of one stream; complete lines go to fd (O_APPEND). Returns 0 or -errno. */
int log_json_feed(int fd, struct log_json_stream *s, const char *data, size_t len);
/* Write out a pending partial line (at the end of the stream). */
int log_json_flush(int fd, struct log_json_stream *s);
/* Format one record into out (at least 6 * len + 96 bytes); returns its length. For tests. */
size_t log_json_format(char *out, const char *stream, const char *data, size_t len, int64_t sec, long nsec);
