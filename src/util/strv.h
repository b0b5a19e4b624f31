#pragma once
/* NULL-terminated string vectors. */
#include <stdbool.h>
#include <stddef.h>

size_t berth_strv_length(char *const *v);
/* Append a copy of s; *v may be NULL. */
void berth_strv_push(char ***v, const char *s);
/* Append s itself, taking ownership. */
void berth_strv_consume(char ***v, char *s);
char **berth_strv_copy(char *const *v);
bool berth_strv_contains(char *const *v, const char *s);
/* berth_strv_free() is declared in cleanup.h */
