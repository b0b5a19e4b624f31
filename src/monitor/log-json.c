#include "monitor/log-json.h"

#include "monitor/fmt.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static size_t escape(char *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':  out[o++] = '\\'; out[o++] = '"'; break;
		case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
		case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
		case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
		case '\t': out[o++] = '\\'; out[o++] = 't'; break;
		default:
			/* control characters as \u00XX; bytes >= 0x80 pass through (docker keeps UTF-8 as is) */
			if (c < 0x20 || c == 0x7f) {
				memcpy(out + o, "\\u00", 4);
				o += 4;
				out[o++] = hex[c >> 4];
				out[o++] = hex[c & 15];
			} else {
				out[o++] = (char)c;
			}
		}
	}
	return o;
}

size_t log_json_format(char *out, const char *stream, const char *data, size_t len, int64_t sec, long nsec)
{
	size_t o = 0;

	memcpy(out, "{\"log\":\"", 8);
	o = 8;
	o += escape(out + o, data, len);
	memcpy(out + o, "\",\"stream\":\"", 12);
	o += 12;
	memcpy(out + o, stream, strlen(stream));
	o += strlen(stream);
	memcpy(out + o, "\",\"time\":\"", 10);
	o += 10;
	o += fmt_rfc3339_nano(out + o, sec, nsec);
	memcpy(out + o, "\"}\n", 3);
	return o + 3;
}

static int write_record(int fd, const char *stream, const char *data, size_t len)
{
	static char out[6 * LOG_JSON_LINE_MAX + 128];
	struct timespec ts;
	size_t n, off = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = log_json_format(out, stream, data, len, ts.tv_sec, ts.tv_nsec);
	/* one write per record: O_APPEND keeps records whole for concurrent readers */
	while (off < n) {
		ssize_t w = write(fd, out + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)w;
	}
	return 0;
}

int log_json_feed(int fd, struct log_json_stream *s, const char *data, size_t len)
{
	while (len > 0) {
		size_t room = sizeof(s->buf) - s->len;
		const char *nl = memchr(data, '\n', len < room ? len : room);
		size_t take = nl ? (size_t)(nl - data) + 1 : (len < room ? len : room);
		int r;

		memcpy(s->buf + s->len, data, take);
		s->len += take;
		data += take;
		len -= take;
		if (nl || s->len == sizeof(s->buf)) {
			if ((r = write_record(fd, s->name, s->buf, s->len)) < 0)
				return r;
			s->len = 0;
		}
	}
	return 0;
}

int log_json_flush(int fd, struct log_json_stream *s)
{
	int r = 0;

	if (s->len > 0)
		r = write_record(fd, s->name, s->buf, s->len);
	s->len = 0;
	return r;
}
