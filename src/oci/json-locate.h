#pragma once
/*
 * Source positions for JSON values.  jansson builds a tree without node
 * positions, so when the config parser finds a semantic error it asks this
 * small scanner where the offending value is written: the message can then
 * point at `config.json:12:17` like a compiler would.
 *
 * The scanner assumes the text is valid JSON (jansson already accepted it);
 * on anything else it stops early and never reads past `len`.
 */
#include <stdbool.h>
#include <stddef.h>

/* One step of a path: an object member (`key` set) or an array element (`key` NULL, `index`). */
struct berth_json_path_elem {
	const char *key; /* decoded member name (UTF-8, escapes resolved) */
	size_t index;
};

/*
 * Find the value at `path` (n_path steps from the top-level value) and
 * store its 1-based line and column; the column counts characters (UTF-8
 * sequences), as jansson's error columns do.  Where the path leads nowhere
 * (a missing member, an index past the end, a step into a scalar) the
 * position of the deepest value that exists is stored instead.  With a
 * member written twice the last one wins, as in jansson.  Returns the number
 * of path steps resolved (n_path on a full match).
 */
size_t berth_json_locate(const char *text, size_t len, const struct berth_json_path_elem *path, size_t n_path,
			 unsigned *ret_line, unsigned *ret_column);

/* As berth_json_locate(), but return the byte offset of the value. */
size_t berth_json_locate_offset(const char *text, size_t len, const struct berth_json_path_elem *path, size_t n_path,
				size_t *ret_offset);

/* 1-based line and character column of byte offset `offset` in `text`. */
void berth_json_offset_to_position(const char *text, size_t len, size_t offset, unsigned *ret_line,
				   unsigned *ret_column);

/*
 * jansson stores integers as long long and rejects larger literals, but the
 * runtime-spec has uint64 fields (rlimits, seccomp argument values) where
 * 18446744073709551615 is common.  This rewrites, in place, each integer
 * literal in (INT64_MAX, UINT64_MAX] whose two's complement int64 fits in
 * the same number of characters (all 20-digit ones) to that negative
 * value, padded with spaces, so positions do not move and
 * (uint64_t)json_integer_value() gives the value back.  Returns the number
 * of literals rewritten.
 */
size_t berth_json_patch_big_integers(char *text, size_t len);

/*
 * Is the value at byte `offset` a literal that berth_json_patch_big_integers()
 * would rewrite (i.e. a positive integer above INT64_MAX)?  Lets a reader of
 * the patched tree tell such a value from a negative number written as such.
 */
bool berth_json_is_big_integer_at(const char *text, size_t len, size_t offset);
