#pragma once
/*
 * Number and time formatting without stdio: printf and friends pull
 * glibc's locale machinery into the static monitor and double its
 * resident size.
 */
#include <stddef.h>
#include <stdint.h>

/* Decimal of v (a leading '-' when negative) at out; returns the length (at most 20). */
size_t fmt_int(char *out, int64_t v);
/* "YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ" (30 characters) for a UTC time; returns 30. */
size_t fmt_rfc3339_nano(char *out, int64_t sec, long nsec);
