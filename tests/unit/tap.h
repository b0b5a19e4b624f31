#pragma once
/* A minimal TAP producer for the unit tests (meson runs them with protocol: 'tap'). */
#include <stdbool.h>

void tap_plan(int n);
/* Record one result; returns cond so callers can chain. */
bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_skip_all(const char *why) __attribute__((noreturn));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the plan if not yet printed and return the exit status. */
int tap_done(void);

#define TAP_OK(cond) tap_ok((cond), "%s:%d: %s", __FILE__, __LINE__, #cond)
