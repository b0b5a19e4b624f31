#include "engine/logs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

int berth_parse_since(const char *s, int64_t now, int64_t *ret, struct berth_error *err)
{
	char *end;
	double v;

	if (strchr(s, 'T') || (strlen(s) == 10 && s[4] == '-')) {
		*ret = berth_parse_time(s);
		if (*ret == 0)
			return berth_error_setx(err, EINVAL, "invalid time value: \"%s\"", s);
		return 0;
	}
	/* unix seconds with up to 9 decimals, exactly (a double loses the nanoseconds) */
	if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789.") == strlen(s) && strchr(s, '.') == strrchr(s, '.')) {
		const char *dot = strchr(s, '.');
		int64_t frac = 0;
		int digits = 0;
		for (const char *p = dot ? dot + 1 : ""; *p && digits < 9; p++, digits++)
			frac = frac * 10 + (*p - '0');
		while (digits++ < 9)
			frac *= 10;
		*ret = (int64_t)strtoll(s, NULL, 10) * 1000000000 + frac;
		return 0;
	}
	v = strtod(s, &end);
	if (end != s && *end == '\0') {
		*ret = (int64_t)(v * 1e9);
		return 0;
	}
	/* a Go duration: sequences of number + unit (h, m, s, ms) */
	{
		const char *p = s;
		double total = 0;
		while (*p) {
			double n = strtod(p, &end);
			if (end == p)
				return berth_error_setx(err, EINVAL, "invalid duration or time: \"%s\"", s);
			p = end;
			if (strncmp(p, "ms", 2) == 0)
				total += n / 1000, p += 2;
			else if (*p == 'h')
				total += n * 3600, p++;
			else if (*p == 'm')
				total += n * 60, p++;
			else if (*p == 's')
				total += n, p++;
			else
				return berth_error_setx(err, EINVAL, "invalid duration or time: \"%s\"", s);
		}
		*ret = now - (int64_t)(total * 1e9);
	}
	return 0;
}

/* Print one json-file record; false to stop (past --until). */
static bool emit(const struct berth_logs_options *o, const char *line, size_t len)
{
	json_t *j = json_loadb(line, len, 0, NULL);
	json_t *log = json_object_get(j, "log");
	const char *stream = json_string_value(json_object_get(j, "stream"));
	const char *time = json_string_value(json_object_get(j, "time"));
	int64_t t = berth_parse_time(time);
	int fd = stream && strcmp(stream, "stderr") == 0 ? o->stderr_fd : o->stdout_fd;
	bool more = !(o->until && t > o->until);

	if (json_is_string(log) && more && !(o->since && t < o->since)) {
		if (o->timestamps && time) {
			berth_write_all(fd, time, strlen(time));
			berth_write_all(fd, " ", 1);
		}
		berth_write_all(fd, json_string_value(log), json_string_length(log));
	}
	json_decref(j);
	return more;
}

/* Offset where the last n records start. */
static off_t tail_offset(int fd, long n)
{
	struct stat st;
	char buf[65536];
	off_t pos;
	long seen = 0;

	if (fstat(fd, &st) < 0 || n < 0)
		return 0;
	pos = st.st_size;
	while (pos > 0) {
		size_t chunk = pos < (off_t)sizeof(buf) ? (size_t)pos : sizeof(buf);
		ssize_t got = pread(fd, buf, chunk, pos - (off_t)chunk);
		if (got <= 0)
			return 0;
		for (ssize_t i = got - 1; i >= 0; i--) {
			/* the newline that ends the file does not start a record */
			if (buf[i] == '\n' && pos - (off_t)chunk + i != st.st_size - 1 && ++seen == n)
				return pos - (off_t)chunk + i + 1;
		}
		pos -= (off_t)chunk;
	}
	return n == 0 ? st.st_size : 0;
}

/* Print the complete records from *off on; advance *off past them. */
static bool drain(int fd, off_t *off, const struct berth_logs_options *o)
{
	static char buf[1 << 20];
	size_t have = 0;

	for (;;) {
		ssize_t n = pread(fd, buf + have, sizeof(buf) - have, *off + (off_t)have);
		char *start = buf, *nl;
		if (n <= 0)
			return true;
		have += (size_t)n;
		while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
			if (!emit(o, start, (size_t)(nl - start)))
				return false;
			start = nl + 1;
		}
		*off += start - buf;
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
		if (have == sizeof(buf))
			return true; /* a record larger than the buffer cannot be a monitor's: stop reading */
	}
}

int berth_ctr_logs(struct berth_engine *e, const char *ref, const struct berth_logs_options *o,
		   struct berth_error *err)
{
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	struct berth_ctr c = { 0 };
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -EBADF, ino = -EBADF;
	off_t off;
	int r;

	if ((r = berth_ctr_get(e, ref, &c, err)) < 0)
		return r;
	path = berth_engine_ctr_path(e, c.id, "ctr.log");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		berth_ctr_release(&c);
		return berth_error_set(err, errno, "open \"%s\"", path);
	}
	if (fd < 0) {
		/* never started (the monitor makes the log before the process runs): nothing logged */
		berth_ctr_release(&c);
		return 0;
	}
	off = tail_offset(fd, o->tail);
	if (!drain(fd, &off, o) || !o->follow) {
		berth_ctr_release(&c);
		return 0;
	}
	ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino >= 0)
		inotify_add_watch(ino, path, IN_MODIFY);
	/* docker follows a running container only: a created or exited one gives what it has */
	while (c.state == BERTH_CTR_RUNNING || c.state == BERTH_CTR_PAUSED) {
		struct pollfd p = { .fd = ino, .events = POLLIN };
		char evbuf[4096];
		poll(&p, 1, 250);
		while (ino >= 0 && read(ino, evbuf, sizeof(evbuf)) > 0)
			;
		if (!drain(fd, &off, o))
			break;
		/* a row that cannot be written now (a busy database) is no reason to stop: the state was read */
		berth_ctr_refresh(e, &c, &ignore);
		berth_error_release(&ignore);
	}
	drain(fd, &off, o);
	berth_ctr_release(&c);
	return 0;
}
