#include "auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* RFC 7230 tchar */
static bool is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token68_char(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("-._~+/", c));
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static char *lower_ndup(const char *s, size_t n)
{
	char *d = berth_xstrndup(s, n);

	for (char *c = d; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return d;
}

/* A quoted-string at p (after the opening quote): the unescaped value; *end after the closing quote. */
static char *parse_quoted(const char *p, const char **end)
{
	_cleanup_free_ char *out = berth_xmalloc(strlen(p) + 1);
	size_t n = 0;

	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		out[n++] = *p;
	}
	if (*p != '"')
		return NULL;
	out[n] = '\0';
	*end = p + 1;
	return TAKE_PTR(out);
}

/* The length of a token68 at p when it is one (followed by the end or a comma), else 0. */
static size_t token68_len(const char *p)
{
	size_t n = 0;

	while (is_token68_char(p[n]))
		n++;
	if (n == 0)
		return 0;
	while (p[n] == '=')
		n++;
	return *skip_ows(p + n) == '\0' || *skip_ows(p + n) == ',' ? n : 0;
}

/* The parameters of one challenge; stops before the next scheme (a token not followed by '='). */
static int parse_params(const char **pp, char ***params, struct berth_error *err)
{
	const char *p = *pp;

	for (;;) {
		const char *name, *q;
		char *value = NULL;
		size_t nlen = 0;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		name = p;
		while (is_tchar(name[nlen]))
			nlen++;
		if (nlen == 0)
			return berth_error_setx(err, EINVAL, "unexpected \"%c\"", *p);
		q = skip_ows(name + nlen);
		if (*q != '=')
			break; /* the next challenge's scheme */
		q = skip_ows(q + 1);
		if (*q == '"') {
			value = parse_quoted(q + 1, &q);
			if (!value)
				return berth_error_setx(err, EINVAL, "unterminated quoted string");
		} else {
			size_t vlen = 0;

			while (is_tchar(q[vlen]) || q[vlen] == '/' || q[vlen] == ':')
				vlen++;
			value = berth_xstrndup(q, vlen);
			q += vlen;
		}
		berth_strv_consume(params, lower_ndup(name, nlen));
		berth_strv_consume(params, value);
		p = skip_ows(q);
		if (*p && *p != ',')
			return berth_error_setx(err, EINVAL, "unexpected \"%c\" after parameter", *p);
	}
	*pp = p;
	return 0;
}

void reg_challenges_free(struct reg_challenge *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].scheme);
		berth_strv_free(c[i].params);
	}
	free(c);
}

int reg_challenges_parse(const char *header, struct reg_challenge **ret, size_t *ret_n, struct berth_error *err)
{
	struct reg_challenge *v = NULL;
	size_t n = 0;
	const char *p = header;
	int r;

	for (;;) {
		struct reg_challenge c = { 0 };
		size_t slen = 0, t68;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		while (is_tchar(p[slen]))
			slen++;
		if (slen == 0) {
			reg_challenges_free(v, n);
			return berth_error_setx(err, EINVAL, "WWW-Authenticate \"%s\": unexpected \"%c\"", header, *p);
		}
		c.scheme = lower_ndup(p, slen);
		p += slen;
		if (*p && *p != ' ' && *p != '\t' && *p != ',') {
			free(c.scheme);
			reg_challenges_free(v, n);
			return berth_error_setx(err, EINVAL, "WWW-Authenticate \"%s\": bad scheme", header);
		}
		p = skip_ows(p);
		t68 = token68_len(p);
		if (t68 > 0) {
			/* "Negotiate abc==": a token68, kept as the parameter "token68" */
			berth_strv_push(&c.params, "token68");
			berth_strv_consume(&c.params, berth_xstrndup(p, t68));
			p += t68;
		} else {
			r = parse_params(&p, &c.params, err);
			if (r < 0) {
				free(c.scheme);
				berth_strv_free(c.params);
				reg_challenges_free(v, n);
				return berth_error_prefix(err, "WWW-Authenticate \"%s\"", header);
			}
		}
		v = berth_xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = c;
	}
	if (n == 0)
		return berth_error_setx(err, EINVAL, "WWW-Authenticate \"%s\": no challenge", header);
	*ret = v;
	*ret_n = n;
	return 0;
}

const char *reg_challenge_param(const struct reg_challenge *c, const char *name)
{
	for (size_t i = 0; c->params && c->params[i] && c->params[i + 1]; i += 2)
		if (strcasecmp(c->params[i], name) == 0)
			return c->params[i + 1];
	return NULL;
}

int reg_token_parse(const char *body, size_t len, char **ret_token, int64_t *ret_expires_in, struct berth_error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(body, len, 0, &jerr);
	const char *token = NULL;
	json_t *exp;

	if (!doc || !json_is_object(doc)) {
		json_decref(doc);
		return berth_error_setx(err, EINVAL, "token server answer is not a JSON object");
	}
	token = json_string_value(json_object_get(doc, "token"));
	if (!token || !*token)
		token = json_string_value(json_object_get(doc, "access_token"));
	if (!token || !*token) {
		json_decref(doc);
		return berth_error_setx(err, EINVAL, "token server answer has no token");
	}
	exp = json_object_get(doc, "expires_in");
	*ret_token = berth_xstrdup(token);
	if (ret_expires_in)
		*ret_expires_in = json_is_integer(exp) ? (int64_t)json_integer_value(exp) : 0;
	json_decref(doc);
	return 0;
}

char *reg_base64_encode(const void *buf, size_t len)
{
	char *out = berth_xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return out;
}

char *reg_base64_decode(const char *s, size_t *ret_len)
{
	size_t len = strlen(s), pad = 0;
	_cleanup_free_ unsigned char *out = NULL;
	int n;

	if (len % 4 != 0)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		bool padding = s[i] == '=';

		if (!padding && (pad > 0 || !(isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '/')))
			return NULL;
		if (padding && ++pad > 2)
			return NULL;
	}
	out = berth_xmalloc(len / 4 * 3 + 1);
	n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n < pad)
		return NULL;
	n -= (int)pad; /* EVP_DecodeBlock counts the padding as zero bytes */
	out[n] = '\0';
	if (ret_len)
		*ret_len = (size_t)n;
	return (char *)TAKE_PTR(out);
}

char *reg_basic_authorization(const char *user, const char *password)
{
	_cleanup_free_ char *pair = berth_xasprintf("%s:%s", user, password);
	_cleanup_free_ char *b64 = reg_base64_encode(pair, strlen(pair));

	return berth_xasprintf("Basic %s", b64);
}
