#pragma once
/*
 * Transfer progress as docker shows it.  On a terminal, one line per layer
 * ("a3ed95caeb02: Downloading [====>      ]  1.2MB/3.4MB"), redrawn in
 * place; otherwise plain lines, one per change of a layer's status (no
 * byte counts); quiet prints nothing.  The CLI makes one for its output
 * stream and hands it to the registry operations, which update it from
 * their transfer threads (it locks).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum berth_progress_mode {
	BERTH_PROGRESS_AUTO,  /* TTY when out is a terminal, else PLAIN */
	BERTH_PROGRESS_TTY,
	BERTH_PROGRESS_PLAIN,
	BERTH_PROGRESS_QUIET,
};

struct berth_progress;

struct berth_progress *berth_progress_new(FILE *out, enum berth_progress_mode mode);
void berth_progress_free(struct berth_progress *p);
static inline void berth_progress_freep(struct berth_progress **p)
{
	if (*p)
		berth_progress_free(*p);
}

/* A line of its own ("latest: Pulling from library/busybox"); p may be NULL. */
void berth_progress_message(struct berth_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A row's status ("Pulling fs layer", "Pull complete"); the row is made on first use. */
void berth_progress_status(struct berth_progress *p, const char *id, const char *status);
/* A row with a bar: current of total bytes (total < 0: unknown). */
void berth_progress_bytes(struct berth_progress *p, const char *id, const char *status, uint64_t current,
			  int64_t total);

/* docker's units.HumanSize: "1.23MB", "812kB", "0B" (powers of 1000, 4 significant digits). */
void berth_progress_human_size(double size, char *buf, size_t len);
