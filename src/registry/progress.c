#include "progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

/* Redraw a bar at most this often (ns): a fast transfer must not flood the terminal. */
#define REDRAW_INTERVAL_NS (100 * 1000 * 1000ULL)
#define BAR_WIDTH 50

struct row {
	char *id;
	char *status;  /* last status shown (plain mode: printed once per change) */
	size_t line;   /* TTY: its line, counted from the first line we printed */
	uint64_t last; /* TTY: when its bar was last drawn */
};

struct berth_progress {
	FILE *out;
	enum berth_progress_mode mode;
	pthread_mutex_t lock;
	struct row *rows;
	size_t n_rows;
	size_t lines; /* TTY: lines printed so far */
};

struct berth_progress *berth_progress_new(FILE *out, enum berth_progress_mode mode)
{
	struct berth_progress *p = berth_xzalloc(sizeof(*p));

	if (mode == BERTH_PROGRESS_AUTO)
		mode = isatty(fileno(out)) ? BERTH_PROGRESS_TTY : BERTH_PROGRESS_PLAIN;
	p->out = out;
	p->mode = mode;
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void berth_progress_free(struct berth_progress *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rows; i++) {
		free(p->rows[i].id);
		free(p->rows[i].status);
	}
	free(p->rows);
	pthread_mutex_destroy(&p->lock);
	fflush(p->out);
	free(p);
}

void berth_progress_human_size(double size, char *buf, size_t len)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	size_t i = 0;

	while (size >= 1000.0 && i + 1 < sizeof(units) / sizeof(units[0])) {
		size /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.4g%s", size, units[i]);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static size_t term_width(struct berth_progress *p)
{
	struct winsize ws;

	if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

void berth_progress_message(struct berth_progress *p, const char *fmt, ...)
{
	va_list ap;

	if (!p || p->mode == BERTH_PROGRESS_QUIET)
		return;
	pthread_mutex_lock(&p->lock);
	va_start(ap, fmt);
	vfprintf(p->out, fmt, ap);
	va_end(ap);
	fputc('\n', p->out);
	fflush(p->out);
	p->lines++;
	pthread_mutex_unlock(&p->lock);
}

static struct row *row_get(struct berth_progress *p, const char *id, bool *ret_new)
{
	struct row *r;

	*ret_new = false;
	for (size_t i = 0; i < p->n_rows; i++)
		if (strcmp(p->rows[i].id, id) == 0)
			return &p->rows[i];
	p->rows = berth_xreallocarray(p->rows, p->n_rows + 1, sizeof(*p->rows));
	r = &p->rows[p->n_rows++];
	*r = (struct row){ .id = berth_xstrdup(id) };
	*ret_new = true;
	return r;
}

/* TTY: (re)draw a row's line in place, cut to the terminal's width so that it never wraps. */
static void tty_draw(struct berth_progress *p, struct row *r, bool is_new, const char *text)
{
	size_t width = term_width(p), n = strlen(text);
	size_t up;

	if (n >= width)
		n = width > 1 ? width - 1 : 0;
	if (is_new) {
		r->line = p->lines++;
		fprintf(p->out, "%.*s\n", (int)n, text);
		fflush(p->out);
		return;
	}
	up = p->lines - r->line;
	fprintf(p->out, "\033[%zuA\r\033[2K%.*s\033[%zuB\r", up, (int)n, text, up);
	fflush(p->out);
}

void berth_progress_status(struct berth_progress *p, const char *id, const char *status)
{
	_cleanup_free_ char *text = NULL;
	struct row *r;
	bool is_new;

	if (!p || p->mode == BERTH_PROGRESS_QUIET)
		return;
	pthread_mutex_lock(&p->lock);
	r = row_get(p, id, &is_new);
	if (!is_new && r->status && strcmp(r->status, status) == 0 && p->mode == BERTH_PROGRESS_PLAIN) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	free(r->status);
	r->status = berth_xstrdup(status);
	text = berth_xasprintf("%s: %s", id, status);
	if (p->mode == BERTH_PROGRESS_TTY) {
		tty_draw(p, r, is_new, text);
	} else {
		fprintf(p->out, "%s\n", text);
		fflush(p->out);
	}
	r->last = 0;
	pthread_mutex_unlock(&p->lock);
}

/* docker's JSONProgress.String(): "[=====>     ]  1.2MB/3.4MB" */
static char *bar_text(uint64_t current, int64_t total, size_t room)
{
	char cur[32], tot[32];

	berth_progress_human_size((double)current, cur, sizeof(cur));
	if (total <= 0)
		return berth_xasprintf("%8s", cur);
	berth_progress_human_size((double)total, tot, sizeof(tot));
	if (room >= BAR_WIDTH + 4 + 20) {
		_cleanup_free_ char *bar = berth_xmalloc(BAR_WIDTH + 3);
		size_t filled = (size_t)((double)current * BAR_WIDTH / (double)total);

		if (filled > BAR_WIDTH)
			filled = BAR_WIDTH;
		memset(bar, '=', filled);
		bar[filled] = '>';
		memset(bar + filled + 1, ' ', BAR_WIDTH - filled);
		bar[BAR_WIDTH + 1] = '\0';
		return berth_xasprintf("[%s] %8s/%s", bar, cur, tot);
	}
	return berth_xasprintf("%8s/%s", cur, tot);
}

void berth_progress_bytes(struct berth_progress *p, const char *id, const char *status, uint64_t current,
			  int64_t total)
{
	_cleanup_free_ char *text = NULL, *bar = NULL;
	struct row *r;
	bool is_new, done = total >= 0 && current >= (uint64_t)total;
	size_t width, used;
	uint64_t t;

	if (!p || p->mode == BERTH_PROGRESS_QUIET)
		return;
	if (p->mode == BERTH_PROGRESS_PLAIN) {
		berth_progress_status(p, id, status);
		return;
	}
	t = now_ns();
	pthread_mutex_lock(&p->lock);
	r = row_get(p, id, &is_new);
	if (!is_new && !done && r->status && strcmp(r->status, status) == 0 && t - r->last < REDRAW_INTERVAL_NS) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	r->last = t;
	free(r->status);
	r->status = berth_xstrdup(status);
	width = term_width(p);
	used = strlen(id) + strlen(status) + 3;
	bar = bar_text(current, total, width > used ? width - used : 0);
	text = berth_xasprintf("%s: %s %s", id, status, bar);
	tty_draw(p, r, is_new, text);
	pthread_mutex_unlock(&p->lock);
}
