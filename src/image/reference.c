#include "reference.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* distribution/reference's limits and defaults */
#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128
#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_REPO_PREFIX "library/"
#define DEFAULT_TAG "latest"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | "__" | "-"+ */
static bool path_component_valid(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	while (i < len) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
		} else if (s[i] == '-') {
			while (i < len && s[i] == '-')
				i++;
		} else {
			return false;
		}
		/* a separator is always followed by an alphanumeric */
		if (i >= len || !is_lower_alnum(s[i]))
			return false;
	}
	return true;
}

static bool path_valid(const char *path)
{
	const char *p = path;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (!path_component_valid(p, len))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool domain_component_valid(const char *s, size_t len)
{
	if (len == 0 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* host [":" port]; host is a domain name, an IPv4 address (same shape) or "[" IPv6 "]" */
static bool domain_valid(const char *d)
{
	const char *port = NULL;
	size_t host_len;

	if (d[0] == '[') {
		const char *end = strchr(d, ']');
		if (!end || end == d + 1)
			return false;
		for (const char *p = d + 1; p < end; p++)
			if (!strchr("0123456789abcdefABCDEF:", *p))
				return false;
		if (end[1] != '\0' && end[1] != ':')
			return false;
		port = end[1] == ':' ? end + 2 : NULL;
		host_len = 0;
	} else {
		const char *colon = strchr(d, ':');
		const char *p = d;

		host_len = colon ? (size_t)(colon - d) : strlen(d);
		port = colon ? colon + 1 : NULL;
		while (p < d + host_len) {
			const char *dot = memchr(p, '.', (size_t)(d + host_len - p));
			size_t len = dot ? (size_t)(dot - p) : (size_t)(d + host_len - p);

			if (!domain_component_valid(p, len))
				return false;
			if (!dot)
				break;
			p = dot + 1;
			if (p == d + host_len)
				return false; /* trailing dot */
		}
		if (host_len == 0)
			return false;
	}
	if (port) {
		if (!*port)
			return false;
		for (const char *p = port; *p; p++)
			if (*p < '0' || *p > '9')
				return false;
	}
	return true;
}

static bool tag_valid(const char *t)
{
	size_t len = strlen(t);

	if (len == 0 || len > TAG_MAX_LEN || !is_word(t[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_word(t[i]) && t[i] != '.' && t[i] != '-')
			return false;
	return true;
}

static bool is_64_hex(const char *s)
{
	size_t len = strlen(s);

	if (len != BERTH_DIGEST_HEX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * distribution/reference's splitDockerDomain: the first component is a
 * domain when it has a '.' or ':', is "localhost", or has uppercase letters
 * (which a repository path may not).
 */
static bool first_component_is_domain(const char *s, size_t len)
{
	if (len == 9 && strncmp(s, "localhost", 9) == 0)
		return true;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '.' || s[i] == ':' || (s[i] >= 'A' && s[i] <= 'Z'))
			return true;
	return false;
}

void berth_reference_release(struct berth_reference *ref)
{
	if (!ref)
		return;
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	*ref = (struct berth_reference){ 0 };
}

static int invalid(struct berth_error *err, const char *s, const char *why)
{
	return berth_error_setx(err, EINVAL, "invalid reference \"%.*s%s\": %s", 300, s, strlen(s) > 300 ? "..." : "",
				why);
}

int berth_reference_parse(const char *s, struct berth_reference *ret, struct berth_error *err)
{
	_cleanup_free_ char *name = NULL, *domain = NULL, *path = NULL, *tag = NULL, *digest = NULL;
	const char *at, *slash, *colon, *remainder;
	size_t name_len;

	if (!s || !*s)
		return berth_error_setx(err, EINVAL, "invalid reference format: empty");

	at = strchr(s, '@');
	if (at) {
		if (berth_digest_validate(at + 1, err) < 0)
			return berth_error_prefix(err, "invalid reference \"%.*s\"", 300, s);
		digest = berth_xstrdup(at + 1);
		name = berth_xstrndup(s, (size_t)(at - s));
	} else {
		name = berth_xstrdup(s);
	}

	/* a tag follows the last ':' when no '/' comes after it (else it is a port) */
	colon = strrchr(name, ':');
	slash = strrchr(name, '/');
	if (colon && (!slash || colon > slash)) {
		tag = berth_xstrdup(colon + 1);
		name[colon - name] = '\0';
		if (!tag_valid(tag))
			return invalid(err, s, "invalid tag");
	}
	if (!*name)
		return invalid(err, s, "empty repository name");
	if (is_64_hex(name))
		return invalid(err, s, "cannot specify 64-byte hexadecimal strings as a repository name");

	slash = strchr(name, '/');
	if (slash && first_component_is_domain(name, (size_t)(slash - name))) {
		domain = berth_xstrndup(name, (size_t)(slash - name));
		remainder = slash + 1;
	} else {
		domain = berth_xstrdup(DEFAULT_DOMAIN);
		remainder = name;
	}
	if (strcmp(domain, LEGACY_DEFAULT_DOMAIN) == 0) {
		free(domain);
		domain = berth_xstrdup(DEFAULT_DOMAIN);
	}
	for (const char *p = remainder; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			return invalid(err, s, "repository name must be lowercase");
	if (!domain_valid(domain))
		return invalid(err, s, "invalid domain");
	if (!path_valid(remainder))
		return invalid(err, s, "invalid repository name");
	if (strcmp(domain, DEFAULT_DOMAIN) == 0 && !strchr(remainder, '/'))
		path = berth_xasprintf(OFFICIAL_REPO_PREFIX "%s", remainder);
	else
		path = berth_xstrdup(remainder);

	name_len = strlen(domain) + 1 + strlen(path);
	if (name_len > NAME_MAX_LEN)
		return invalid(err, s, "repository name must not be more than 255 characters");

	if (!tag && !digest)
		tag = berth_xstrdup(DEFAULT_TAG);

	*ret = (struct berth_reference){
		.domain = TAKE_PTR(domain),
		.path = TAKE_PTR(path),
		.tag = TAKE_PTR(tag),
		.digest = TAKE_PTR(digest),
		.short_name = !(slash && first_component_is_domain(name, (size_t)(slash - name))),
	};
	return 0;
}

char *berth_reference_string(const struct berth_reference *ref)
{
	return berth_xasprintf("%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
			       ref->digest ? "@" : "", ref->digest ? ref->digest : "");
}

char *berth_reference_repository(const struct berth_reference *ref)
{
	return berth_xasprintf("%s/%s", ref->domain, ref->path);
}

char *berth_reference_familiar(const char *repository)
{
	const char *p = repository;

	if (strncmp(p, DEFAULT_DOMAIN "/", strlen(DEFAULT_DOMAIN "/")) != 0)
		return berth_xstrdup(repository);
	p += strlen(DEFAULT_DOMAIN "/");
	/* official images: "library/x" but not a nested "library/a/b" */
	if (strncmp(p, OFFICIAL_REPO_PREFIX, strlen(OFFICIAL_REPO_PREFIX)) == 0 &&
	    !strchr(p + strlen(OFFICIAL_REPO_PREFIX), '/'))
		p += strlen(OFFICIAL_REPO_PREFIX);
	return berth_xstrdup(p);
}
