#include "oci/json-locate.h"

#include <string.h>

#include "tap.h"

#define K(k) { .key = (k) }
#define I(i) { .key = NULL, .index = (i) }

/* Locate path in text and check the position and the number of resolved steps. */
static void check(const char *what, const char *text, const struct berth_json_path_elem *path, size_t n,
		  unsigned line, unsigned col, size_t resolved)
{
	unsigned l = 0, c = 0;
	size_t r = berth_json_locate(text, strlen(text), path, n, &l, &c);

	tap_ok(l == line && c == col && r == resolved, "%s: got %u:%u (%zu steps), want %u:%u (%zu)", what, l, c, r,
	       line, col, resolved);
}

static void test_basic(void)
{
	check("top level", "  {\"a\": 1}", NULL, 0, 1, 3, 0);
	check("member", "{\"a\": 1}", (struct berth_json_path_elem[]){ K("a") }, 1, 1, 7, 1);
	check("second member", "{\"a\": 1, \"bb\" :\t\"x\"}", (struct berth_json_path_elem[]){ K("bb") }, 1, 1, 17, 1);
	check("empty key", "{\"\": [1]}", (struct berth_json_path_elem[]){ K(""), I(0) }, 2, 1, 7, 2);
	check("prefix key is not a match", "{\"ab\": 1, \"a\": 2}", (struct berth_json_path_elem[]){ K("a") }, 1, 1, 16,
	      1);
	check("longer key is not a match", "{\"a\": 1, \"ab\": 2}", (struct berth_json_path_elem[]){ K("ab") }, 1, 1, 16,
	      1);
}

static void test_nested(void)
{
	const char *text = "{\n"
			   "  \"process\": {\n"
			   "    \"args\": [\n"
			   "      \"sh\",\n"
			   "      42\n"
			   "    ],\n"
			   "    \"user\": {\"uid\": 0, \"gid\": {\"x\": [1, {\"y\": true}]}}\n"
			   "  }\r\n"
			   "}\n";

	check("object in object", text, (struct berth_json_path_elem[]){ K("process") }, 1, 2, 14, 1);
	check("array element", text, (struct berth_json_path_elem[]){ K("process"), K("args"), I(1) }, 3, 5, 7, 3);
	check("first array element", text, (struct berth_json_path_elem[]){ K("process"), K("args"), I(0) }, 3, 4, 7,
	      3);
	check("deep", text,
	      (struct berth_json_path_elem[]){ K("process"), K("user"), K("gid"), K("x"), I(1), K("y") }, 6, 7, 47, 6);
	check("nested arrays", "[[1, 2], [3, [4, 5]]]", (struct berth_json_path_elem[]){ I(1), I(1), I(0) }, 3, 1, 15,
	      3);
	check("empty array", "{\"a\": [], \"b\": 1}", (struct berth_json_path_elem[]){ K("b") }, 1, 1, 16, 1);
	check("empty object", "{\"a\": {}, \"b\": 1}", (struct berth_json_path_elem[]){ K("b") }, 1, 1, 16, 1);
	check("skips nested values", "{\"a\": {\"b\": [1, {\"c\": \"}\"}]}, \"b\": 7}",
	      (struct berth_json_path_elem[]){ K("b") }, 1, 1, 36, 1);
}

static void test_escapes(void)
{
	check("escaped quote in key", "{\"a\\\"b\": 1, \"ab\": 2}", (struct berth_json_path_elem[]){ K("a\"b") }, 1, 1, 10,
	      1);
	check("\\u escape in key", "{\"x\": 0, \"a\\u0062\": 2}", (struct berth_json_path_elem[]){ K("ab") }, 1, 1, 21, 1);
	check("escapes \\n \\t \\/ \\\\", "{\"a\\n\\t\\/\\\\\": 3}", (struct berth_json_path_elem[]){ K("a\n\t/\\") }, 1, 1,
	      15, 1);
	check("brackets and quotes inside strings", "{\"x\": \"a}\\\"]{[\", \"y\": 2}",
	      (struct berth_json_path_elem[]){ K("y") }, 1, 1, 23, 1);
	check("backslash at string end", "{\"x\": \"a\\\\\", \"y\": 2}", (struct berth_json_path_elem[]){ K("y") }, 1, 1,
	      19, 1);
}

static void test_unicode(void)
{
	/* columns count characters: "é" is one column though two bytes */
	check("raw UTF-8 key", "{\"é\": 1, \"ü\": 2}", (struct berth_json_path_elem[]){ K("ü") }, 1, 1, 15, 1);
	check("\\u00e9 matches raw é", "{\"\\u00e9\": 1}", (struct berth_json_path_elem[]){ K("é") }, 1, 1, 12, 1);
	check("\\u20ac (3 bytes)", "{\"\\u20AC\": 1}", (struct berth_json_path_elem[]){ K("€") }, 1, 1, 12, 1);
	check("surrogate pair", "{\"\\ud83d\\ude00\": 1}", (struct berth_json_path_elem[]){ K("😀") }, 1, 1, 18, 1);
	check("4-byte raw char before value", "{\"k\": \"😀😀\", \"z\": 1}", (struct berth_json_path_elem[]){ K("z") }, 1,
	      1, 18, 1);
}

static void test_fallback(void)
{
	const char *text = "{\"a\": {\"b\": [10, 20]}, \"s\": \"str\"}";

	check("missing member -> parent", text, (struct berth_json_path_elem[]){ K("a"), K("zz") }, 2, 1, 7, 1);
	check("missing top member -> top", text, (struct berth_json_path_elem[]){ K("nope") }, 1, 1, 1, 0);
	check("index past end -> array", text, (struct berth_json_path_elem[]){ K("a"), K("b"), I(2) }, 3, 1, 13, 2);
	check("index into object -> object", text, (struct berth_json_path_elem[]){ K("a"), I(0) }, 2, 1, 7, 1);
	check("key into array -> array", text, (struct berth_json_path_elem[]){ K("a"), K("b"), K("c") }, 3, 1, 13, 2);
	check("step into scalar -> scalar", text, (struct berth_json_path_elem[]){ K("s"), K("x") }, 2, 1, 29, 1);
	check("empty array index", "{\"a\": []}", (struct berth_json_path_elem[]){ K("a"), I(0) }, 2, 1, 7, 1);
	check("duplicate key: last wins", "{\"a\": 1,\n \"a\": 2}", (struct berth_json_path_elem[]){ K("a") }, 1, 2, 7, 1);
	check("duplicate key, first one deeper", "{\"a\": {\"x\": 1}, \"a\": {\"y\": 2}}",
	      (struct berth_json_path_elem[]){ K("a"), K("y") }, 2, 1, 28, 2);
}

static void test_robustness(void)
{
	unsigned l, c;
	size_t off;

	/* not JSON: must stop without reading past len */
	check("truncated", "{\"a\": [1, 2", (struct berth_json_path_elem[]){ K("a"), I(5) }, 2, 1, 7, 1);
	check("truncated string", "{\"a", (struct berth_json_path_elem[]){ K("a") }, 1, 1, 1, 0);
	check("empty text", "", (struct berth_json_path_elem[]){ K("a") }, 1, 1, 1, 0);
	/* len shorter than the string: the member after it is out of reach */
	tap_ok(berth_json_locate("{\"a\": 1, \"b\": 2}", 9, (struct berth_json_path_elem[]){ K("b") }, 1, &l, &c) == 0,
	       "len is honoured");
	berth_json_locate_offset("{\"a\": 1}", 8, (struct berth_json_path_elem[]){ K("a") }, 1, &off);
	tap_ok(off == 6, "offset of member: %zu", off);
	berth_json_offset_to_position("ab\ncdé\nf", 9, 8, &l, &c);
	tap_ok(l == 3 && c == 1, "offset to position after multibyte: %u:%u", l, c);
}

static void test_big_integers(void)
{
	char t1[] = "{\"a\": 18446744073709551615, \"b\": [10000000000000000000]}";
	char t2[] = "{\"s\": \"18446744073709551615\", \"n\": -18446744073709551615, \"r\": 18446744073709551615.0,"
		    " \"e\": 18446744073709551615e1, \"x\": 18446744073709551616, \"y\": 9223372036854775808,"
		    " \"z\": 9223372036854775807, \"w\": 123456789012345678901}";
	char copy[sizeof(t2)];
	size_t n;

	n = berth_json_patch_big_integers(t1, strlen(t1));
	tap_ok(n == 2, "two literals patched (%zu)", n);
	tap_ok(strcmp(t1, "{\"a\": -1                  , \"b\": [-8446744073709551616]}") == 0, "patched text: %s", t1);

	memcpy(copy, t2, sizeof(t2));
	n = berth_json_patch_big_integers(t2, strlen(t2));
	tap_ok(n == 0 && strcmp(t2, copy) == 0, "strings, negatives, reals, overflow, 19 digits untouched (%zu)", n);

	tap_ok(berth_json_is_big_integer_at("9223372036854775808}", 20, 0), "19-digit above INT64_MAX is big");
	tap_ok(!berth_json_is_big_integer_at("9223372036854775807}", 20, 0), "INT64_MAX is not big");
	tap_ok(berth_json_is_big_integer_at("18446744073709551615", 20, 0), "UINT64_MAX is big");
	tap_ok(!berth_json_is_big_integer_at("-1 ", 3, 0), "-1 is not big");
	tap_ok(!berth_json_is_big_integer_at("18446744073709551615.5", 22, 0), "a real is not big");
}

int main(void)
{
	test_basic();
	test_nested();
	test_escapes();
	test_unicode();
	test_fallback();
	test_robustness();
	test_big_integers();
	return tap_done();
}
