#pragma once
/*
 * `berth logs`: read the container's json-file log (written by its
 * monitor), with docker's --tail, --since, --until, -t and -f (following
 * ends when the container stops, as with docker).
 */
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

struct berth_logs_options {
	bool follow;
	long tail;      /* -1 = all */
	bool timestamps;
	int64_t since, until; /* unix ns; 0 = unbounded */
	int stdout_fd, stderr_fd;
};

int berth_ctr_logs(struct berth_engine *e, const char *ref, const struct berth_logs_options *o,
		   struct berth_error *err);

/* docker's --since/--until values: RFC 3339 times, unix seconds ("1700000000.5"), or durations ("10m", "1h30m") before now. */
int berth_parse_since(const char *s, int64_t now_ns, int64_t *ret, struct berth_error *err);
