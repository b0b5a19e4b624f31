#include "oci/json-locate.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scan {
	const char *s;
	size_t len;
	size_t pos;
};

static void skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos];

		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
		sc->pos++;
	}
}

/* At the opening quote; leaves pos after the closing one. */
static bool skip_string(struct scan *sc)
{
	sc->pos++;
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos++];

		if (c == '\\')
			sc->pos++;
		else if (c == '"')
			return sc->pos <= sc->len;
	}
	return false;
}

static bool is_scalar_char(char c)
{
	return c != '\0' && !strchr(",:{}[]\" \t\r\n", c);
}

/* Skip one value of any kind; containers are matched iteratively so nesting costs no stack. */
static bool skip_value(struct scan *sc)
{
	size_t depth = 0;

	if (sc->pos >= sc->len)
		return false;
	if (sc->s[sc->pos] == '"')
		return skip_string(sc);
	if (sc->s[sc->pos] != '{' && sc->s[sc->pos] != '[') {
		while (sc->pos < sc->len && is_scalar_char(sc->s[sc->pos]))
			sc->pos++;
		return true;
	}
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos];

		if (c == '"') {
			if (!skip_string(sc))
				return false;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (--depth == 0) {
				sc->pos++;
				return true;
			}
		}
		sc->pos++;
	}
	return false;
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t utf8_encode(uint32_t cp, unsigned char buf[4])
{
	if (cp < 0x80) {
		buf[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = 0xC0 | (cp >> 6);
		buf[1] = 0x80 | (cp & 0x3F);
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = 0xE0 | (cp >> 12);
		buf[1] = 0x80 | ((cp >> 6) & 0x3F);
		buf[2] = 0x80 | (cp & 0x3F);
		return 3;
	}
	buf[0] = 0xF0 | (cp >> 18);
	buf[1] = 0x80 | ((cp >> 12) & 0x3F);
	buf[2] = 0x80 | ((cp >> 6) & 0x3F);
	buf[3] = 0x80 | (cp & 0x3F);
	return 4;
}

/* Decode one escape after the backslash into buf; returns its length in bytes (0 on garbage). */
static size_t decode_escape(struct scan *sc, unsigned char buf[4])
{
	char e;
	int cp, lo;

	if (sc->pos >= sc->len)
		return 0;
	e = sc->s[sc->pos++];
	switch (e) {
	case 'b': buf[0] = '\b'; return 1;
	case 'f': buf[0] = '\f'; return 1;
	case 'n': buf[0] = '\n'; return 1;
	case 'r': buf[0] = '\r'; return 1;
	case 't': buf[0] = '\t'; return 1;
	case 'u': break;
	default: buf[0] = e; return 1;
	}
	if (sc->len - sc->pos < 4 || (cp = hex4(sc->s + sc->pos)) < 0)
		return 0;
	sc->pos += 4;
	/* a surrogate pair is written as two escapes */
	if (cp >= 0xD800 && cp < 0xDC00 && sc->len - sc->pos >= 6 && sc->s[sc->pos] == '\\' &&
	    sc->s[sc->pos + 1] == 'u' && (lo = hex4(sc->s + sc->pos + 2)) >= 0xDC00 && lo < 0xE000) {
		sc->pos += 6;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	return utf8_encode(cp, buf);
}

/* At the opening quote of a member name: consume it and compare its decoded text with key. */
static bool key_equals(struct scan *sc, const char *key)
{
	const unsigned char *k = (const unsigned char *)key;
	bool eq = true;

	sc->pos++;
	while (sc->pos < sc->len) {
		unsigned char buf[4];
		size_t n = 1;
		char c = sc->s[sc->pos++];

		if (c == '"')
			return eq && *k == '\0';
		if (c == '\\')
			n = decode_escape(sc, buf);
		else
			buf[0] = c;
		if (n == 0)
			return false;
		for (size_t i = 0; i < n; i++) {
			if (eq && *k == buf[i])
				k++;
			else
				eq = false;
		}
	}
	return false;
}

/* At '{': move to the value of the (last) member named key. */
static bool find_member(struct scan *sc, const char *key)
{
	size_t found = SIZE_MAX;

	sc->pos++;
	for (;;) {
		bool eq;

		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
			break;
		eq = key_equals(sc, key);
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
			break;
		sc->pos++;
		skip_ws(sc);
		if (eq)
			found = sc->pos;
		if (!skip_value(sc))
			break;
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ',')
			break;
		sc->pos++;
	}
	if (found == SIZE_MAX)
		return false;
	sc->pos = found;
	return true;
}

/* At '[': move to element number index. */
static bool find_index(struct scan *sc, size_t index)
{
	sc->pos++;
	for (size_t i = 0;; i++) {
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] == ']')
			return false;
		if (i == index)
			return true;
		if (!skip_value(sc))
			return false;
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ',')
			return false;
		sc->pos++;
	}
}

size_t berth_json_locate_offset(const char *text, size_t len, const struct berth_json_path_elem *path, size_t n_path,
				size_t *ret_offset)
{
	struct scan sc = { .s = text, .len = len, .pos = 0 };
	size_t best, i;

	skip_ws(&sc);
	best = sc.pos;
	for (i = 0; i < n_path; i++) {
		struct scan try = sc;

		if (try.pos >= len)
			break;
		if (path[i].key) {
			if (text[try.pos] != '{' || !find_member(&try, path[i].key))
				break;
		} else {
			if (text[try.pos] != '[' || !find_index(&try, path[i].index))
				break;
		}
		sc = try;
		best = sc.pos;
	}
	*ret_offset = best < len ? best : len;
	return i;
}

void berth_json_offset_to_position(const char *text, size_t len, size_t offset, unsigned *ret_line,
				   unsigned *ret_column)
{
	unsigned line = 1, column = 1;

	if (offset > len)
		offset = len;
	for (size_t i = 0; i < offset; i++) {
		unsigned char c = text[i];

		if (c == '\n') {
			line++;
			column = 1;
		} else if ((c & 0xC0) != 0x80) {
			column++;
		}
	}
	*ret_line = line;
	*ret_column = column;
}

size_t berth_json_locate(const char *text, size_t len, const struct berth_json_path_elem *path, size_t n_path,
			 unsigned *ret_line, unsigned *ret_column)
{
	size_t offset, n;

	n = berth_json_locate_offset(text, len, path, n_path, &offset);
	berth_json_offset_to_position(text, len, offset, ret_line, ret_column);
	return n;
}

/* Length of the integer literal (digits only) at p, 0 if the token there is anything else. */
static size_t plain_integer_len(const char *p, size_t avail)
{
	size_t n = 0;

	while (n < avail && p[n] >= '0' && p[n] <= '9')
		n++;
	if (n < avail && is_scalar_char(p[n]))
		return 0; /* a fraction, an exponent: not an integer */
	return n;
}

bool berth_json_is_big_integer_at(const char *text, size_t len, size_t offset)
{
	size_t n;

	if (offset >= len)
		return false;
	n = plain_integer_len(text + offset, len - offset);
	if (n == 19)
		return memcmp(text + offset, "9223372036854775807", 19) > 0;
	return n > 19;
}

size_t berth_json_patch_big_integers(char *text, size_t len)
{
	struct scan sc = { .s = text, .len = len, .pos = 0 };
	size_t count = 0;

	while (sc.pos < len) {
		char c = text[sc.pos];

		if (c == '"') {
			if (!skip_string(&sc))
				break;
			continue;
		}
		if (c < '0' || c > '9') {
			/* a whole token at a time, so "-123..." is never rewritten */
			do
				sc.pos++;
			while (c == '-' && sc.pos < len && is_scalar_char(text[sc.pos]));
			continue;
		}
		/* 20 digits are above INT64_MAX; rewrite those that fit in uint64 */
		if (plain_integer_len(text + sc.pos, len - sc.pos) == 20 &&
		    memcmp(text + sc.pos, "18446744073709551615", 20) <= 0) {
			char digits[21], buf[24];
			uint64_t v;
			int k;

			memcpy(digits, text + sc.pos, 20);
			digits[20] = '\0';
			v = strtoull(digits, NULL, 10);
			k = snprintf(buf, sizeof(buf), "%" PRId64, (int64_t)v);
			memset(text + sc.pos, ' ', 20);
			memcpy(text + sc.pos, buf, k);
			count++;
			sc.pos += 20;
			continue;
		}
		while (sc.pos < len && is_scalar_char(text[sc.pos]))
			sc.pos++;
	}
	return count;
}
