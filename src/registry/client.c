#include "client.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "auth.h"
#include "credentials.h"
#include "curl-load.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#include "berth-config.h"

#define DEFAULT_CERTS_D "/etc/berth/certs.d:/etc/containers/certs.d:/etc/docker/certs.d"
#define DEFAULT_REGISTRIES_CONF "/etc/berth/registries.conf"
#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
/* Error bodies are read this far (the message is at the start). */
#define ERROR_BODY_MAX (64 * 1024)
#define CA_FILE_MAX (16 * 1024 * 1024)

struct reg_client {
	char *domain;
	char *host;
	char *base_url; /* "https://host", set by the ping */
	bool verify;
	bool insecure;
	char *ca;	/* PEM: the system CAs and the registry's own; NULL = curl's default */
	size_t ca_len;
	char *client_cert, *client_key;
	char *username, *password;
	atomic_bool cancel;
	pthread_mutex_t ping_lock; /* one thread pings; base_url never changes after */

	pthread_mutex_t auth_lock;
	char **scopes;
	char *challenge;     /* the ping's WWW-Authenticate */
	char *authorization; /* what requests send: "Bearer …" / "Basic …" */

	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		abort();
}

/* --- names and URLs ---------------------------------------------------------- */

const char *reg_domain_host(const char *domain)
{
	return strcmp(domain, "docker.io") == 0 ? "registry-1.docker.io" : domain;
}

char *reg_api_path(const char *repo_path, const char *kind, const char *ref)
{
	return berth_xasprintf("/v2/%s/%s/%s", repo_path, kind, ref);
}

static char *url_encode(const char *s)
{
	char *out = berth_xmalloc(strlen(s) * 3 + 1), *o = out;

	for (; *s; s++) {
		if (isalnum((unsigned char)*s) || strchr("-._~", *s))
			*o++ = *s;
		else
			o += sprintf(o, "%%%02X", (unsigned char)*s);
	}
	*o = '\0';
	return out;
}

char *reg_url_add_query(const char *url, const char *name, const char *value)
{
	_cleanup_free_ char *enc = url_encode(value);

	return berth_xasprintf("%s%s%s=%s", url, strchr(url, '?') ? "&" : "?", name, enc);
}

char *reg_resolve_url(const char *base, const char *location)
{
	const char *p;

	if (strstr(location, "://"))
		return berth_xstrdup(location);
	p = strstr(base, "://");
	p = p ? p + 3 : base;
	if (location[0] == '/' && location[1] == '/') /* scheme-relative */
		return berth_xasprintf("%.*s%s", (int)(p - base - 2), base, location);
	if (location[0] == '/')
		return berth_xasprintf("%.*s%s", (int)(strcspn(p, "/?#") + (size_t)(p - base)), base, location);
	/* relative to the base's directory */
	{
		size_t end = strcspn(base, "?#");
		const char *slash = memrchr(base, '/', end);

		if (!slash || slash < p)
			return berth_xasprintf("%.*s/%s", (int)end, base, location);
		return berth_xasprintf("%.*s%s", (int)(slash - base + 1), base, location);
	}
}

char *reg_normalize_registry(const char *s)
{
	_cleanup_free_ char *k = NULL;

	if (!s || !*s)
		return berth_xstrdup("docker.io");
	k = reg_credentials_normalize_key(s);
	/* a registry name is a host[:port], maybe with a repository path for scoped credentials */
	if (!*k || strchr(k, '@') || strchr(k, '?') || strchr(k, '#') || strchr(k, ' ') || k[0] == '/')
		return NULL;
	return TAKE_PTR(k);
}

/* --- settings ------------------------------------------------------------------ */

char **reg_parse_registries_conf(const char *text)
{
	char **list = NULL;
	const char *p = text;

	while (p && *p) {
		const char *line = p, *q;

		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, "insecure", 8) != 0)
			continue;
		q = line + 8;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=')
			continue;
		q = strchr(q, '[');
		if (!q)
			continue;
		/* a list of quoted strings, maybe over several lines, '#' comments allowed between items */
		for (q++; *q && *q != ']'; q++) {
			const char *end;

			if (*q == '#') {
				q = strchr(q, '\n');
				if (!q)
					break;
				continue;
			}
			if (*q != '"')
				continue;
			end = strchr(q + 1, '"');
			if (!end)
				break;
			berth_strv_consume(&list, berth_xstrndup(q + 1, (size_t)(end - q - 1)));
			q = end;
		}
		p = q && *q ? strchr(q, '\n') : NULL;
		if (p)
			p++;
	}
	return list;
}

bool reg_registry_is_insecure(const char *domain)
{
	const char *env = getenv("BERTH_INSECURE_REGISTRIES");
	const char *conf = getenv("BERTH_REGISTRIES_CONF");
	struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_strv_free_ char **list = NULL;
	_cleanup_free_ char *text = NULL;

	if (env) {
		_cleanup_free_ char *copy = berth_xstrdup(env);
		char *save = NULL;

		for (char *t = strtok_r(copy, ", \t\n", &save); t; t = strtok_r(NULL, ", \t\n", &save))
			if (strcmp(t, domain) == 0)
				return true;
	}
	if (berth_read_file(conf && *conf ? conf : DEFAULT_REGISTRIES_CONF, 1024 * 1024, &text, NULL, &err) < 0) {
		berth_error_release(&err);
		return false;
	}
	list = reg_parse_registries_conf(text);
	return berth_strv_contains(list, domain);
}

/* --- TLS material ---------------------------------------------------------------- */

static int append_file(char **buf, size_t *len, const char *path, struct berth_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t n = 0;
	int r;

	r = berth_read_file(path, CA_FILE_MAX, &data, &n, err);
	if (r < 0)
		return r;
	*buf = berth_xrealloc(*buf, *len + n + 2);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[(*len)++] = '\n';
	(*buf)[*len] = '\0';
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The directory's .crt files (CAs, after the system's) and .cert/.key pair, as docker reads certs.d. */
static int load_cert_dir(struct reg_client *c, const char *dir, struct berth_error *err)
{
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	DIR *d = opendir(dir);
	int r;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		return berth_error_set(err, errno, "open \"%s\"", dir);
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			berth_strv_push(&names, de->d_name);
	closedir(d);
	if (!names)
		return 0;
	qsort(names, berth_strv_length(names), sizeof(char *), name_cmp);
	for (char **n = names; *n; n++) {
		_cleanup_free_ char *path = berth_xasprintf("%s/%s", dir, *n);

		if (has_suffix(*n, ".crt")) {
			if (!c->ca) {
				r = append_file(&c->ca, &c->ca_len, SYSTEM_CA_FILE, err);
				if (r < 0 && r != -ENOENT)
					return r;
				berth_error_release(err);
			}
			r = append_file(&c->ca, &c->ca_len, path, err);
			if (r < 0)
				return r;
		} else if (has_suffix(*n, ".cert")) {
			_cleanup_free_ char *key = berth_xasprintf("%.*s.key", (int)(strlen(path) - 5), path);

			if (access(key, R_OK) < 0)
				return berth_error_setx(err, ENOENT, "client certificate \"%s\" has no key \"%s\"", path, key);
			free(c->client_cert);
			free(c->client_key);
			c->client_cert = TAKE_PTR(path);
			c->client_key = TAKE_PTR(key);
		}
	}
	return 0;
}

static int load_tls(struct reg_client *c, const char *cert_dir, struct berth_error *err)
{
	const char *env = getenv("BERTH_CERTS_D");
	_cleanup_free_ char *bases = berth_xstrdup(env && *env ? env : DEFAULT_CERTS_D);
	char *save = NULL;

	if (cert_dir)
		return load_cert_dir(c, cert_dir, err);
	/* the first base with a directory for this registry is the one used */
	for (char *b = strtok_r(bases, ":", &save); b; b = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *dir = berth_xasprintf("%s/%s", b, c->domain);

		if (access(dir, F_OK) == 0)
			return load_cert_dir(c, dir, err);
	}
	return 0;
}

/* --- the client ------------------------------------------------------------------ */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *opaque)
{
	struct reg_client *c = opaque;

	pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *opaque)
{
	struct reg_client *c = opaque;

	pthread_mutex_unlock(&c->share_locks[data]);
}

void reg_client_free(struct reg_client *c)
{
	if (!c)
		return;
	if (c->share)
		curl_share_cleanup(c->share);
	for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_locks[i]);
	pthread_mutex_destroy(&c->auth_lock);
	pthread_mutex_destroy(&c->ping_lock);
	free(c->domain);
	free(c->host);
	free(c->base_url);
	free(c->ca);
	free(c->client_cert);
	free(c->client_key);
	free(c->username);
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	berth_strv_free(c->scopes);
	free(c->challenge);
	free(c->authorization);
	free(c);
}

int reg_client_new(const char *domain, const struct berth_registry_options *opts, struct reg_client **ret,
		   struct berth_error *err)
{
	_cleanup_(reg_client_freep) struct reg_client *c = NULL;
	int r;

	if ((r = reg_curl_load(err)) < 0)
		return r;
	pthread_once(&curl_once, curl_init_once);
	c = berth_xzalloc(sizeof(*c));
	pthread_mutex_init(&c->auth_lock, NULL);
	pthread_mutex_init(&c->ping_lock, NULL);
	for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_locks[i], NULL);
	atomic_init(&c->cancel, false);
	c->domain = berth_xstrdup(domain);
	c->host = berth_xstrdup(reg_domain_host(domain));
	c->insecure = opts->tls_verify == 0 || (opts->tls_verify < 0 && reg_registry_is_insecure(domain));
	c->verify = !c->insecure;

	c->share = curl_share_init();
	if (!c->share)
		abort();
	curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);

	r = load_tls(c, opts->cert_dir, err);
	if (r < 0)
		return berth_error_prefix(err, "registry %s: certificates", domain);

	if (opts->username && opts->password) {
		c->username = berth_xstrdup(opts->username);
		c->password = berth_xstrdup(opts->password);
	} else {
		r = reg_credentials_get(opts->auth_file, domain, NULL, &c->username, &c->password, err);
		if (r < 0 && r != -ENOENT)
			return berth_error_prefix(err, "registry %s: credentials", domain);
		berth_error_release(err);
	}
	*ret = TAKE_PTR(c);
	return 0;
}

void reg_client_add_scope(struct reg_client *c, const char *scope)
{
	pthread_mutex_lock(&c->auth_lock);
	if (!berth_strv_contains(c->scopes, scope)) {
		berth_strv_push(&c->scopes, scope);
		/* a bearer token is for the scopes it was asked for: get a new one next time */
		if (c->authorization && strncmp(c->authorization, "Bearer ", 7) == 0) {
			free(c->authorization);
			c->authorization = NULL;
		}
	}
	pthread_mutex_unlock(&c->auth_lock);
}

const char *reg_client_base_url(const struct reg_client *c)
{
	return c->base_url;
}

/* Credentials go to the registry only, never to where it redirects or points uploads elsewhere. */
static bool same_origin(const struct reg_client *c, const char *url)
{
	size_t n = strlen(c->base_url);

	return url[0] == '/' || (strncmp(url, c->base_url, n) == 0 && (url[n] == '/' || url[n] == '\0'));
}

void reg_client_cancel(struct reg_client *c)
{
	atomic_store(&c->cancel, true);
}

bool reg_client_cancelled(struct reg_client *c)
{
	return atomic_load(&c->cancel);
}

void reg_response_release(struct reg_response *r)
{
	free(r->content_type);
	free(r->location);
	free(r->docker_digest);
	free(r->www_authenticate);
	free(r->content_range);
	free(r->range);
	free(r->body);
	*r = (struct reg_response){ .content_length = -1 };
}

/* --- one exchange ------------------------------------------------------------------ */

struct xfer {
	struct reg_client *c;
	const struct reg_request *req;
	struct reg_response *resp;
	struct berth_error *err;
	int sink_r;	  /* a sink's error (err is set) */
	bool too_large;	  /* a 2xx body over max_body */
	uint64_t sent;	  /* request body bytes handed to curl */
	size_t body_cap;
};

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *v, *end = line + len;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	v = line + n + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return berth_xstrndup(v, (size_t)(end - v));
}

static void set_header(char **field, char *value)
{
	if (!value)
		return;
	free(*field);
	*field = value;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *opaque)
{
	struct xfer *x = opaque;
	struct reg_response *r = x->resp;
	size_t len = size * nmemb;
	_cleanup_free_ char *cl = NULL;

	if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* a new response (after a redirect or a 100): forget the previous one's headers */
		struct reg_response fresh = { .content_length = -1 };
		const char *sp = memchr(line, ' ', len);

		reg_response_release(r);
		*r = fresh;
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return len;
	}
	set_header(&r->content_type, header_value(line, len, "Content-Type"));
	set_header(&r->location, header_value(line, len, "Location"));
	set_header(&r->docker_digest, header_value(line, len, "Docker-Content-Digest"));
	set_header(&r->www_authenticate, header_value(line, len, "WWW-Authenticate"));
	set_header(&r->content_range, header_value(line, len, "Content-Range"));
	set_header(&r->range, header_value(line, len, "Range"));
	cl = header_value(line, len, "Content-Length");
	if (cl)
		r->content_length = strtoll(cl, NULL, 10);
	return len;
}

static size_t on_write(char *buf, size_t size, size_t nmemb, void *opaque)
{
	struct xfer *x = opaque;
	struct reg_response *r = x->resp;
	size_t len = size * nmemb;
	bool ok = r->status >= 200 && r->status < 300;
	size_t max;

	if (ok && x->req->sink) {
		x->sink_r = x->req->sink(x->req->opaque, r, buf, len, x->err);
		if (x->sink_r < 0)
			return 0; /* curl stops with CURLE_WRITE_ERROR */
		r->streamed += len;
		return len;
	}
	max = x->req->max_body && ok ? x->req->max_body : ERROR_BODY_MAX;
	if (r->body_len + len > max) {
		if (!ok)
			len = max - r->body_len; /* an error's start is enough */
		else {
			x->too_large = true;
			return 0;
		}
	}
	if (r->body_len + len + 1 > x->body_cap) {
		x->body_cap = (r->body_len + len + 1) * 2;
		if (x->body_cap > max + 1)
			x->body_cap = max + 1;
		r->body = berth_xrealloc(r->body, x->body_cap);
	}
	memcpy(r->body + r->body_len, buf, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return size * nmemb;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *opaque)
{
	struct xfer *x = opaque;
	const struct reg_request *req = x->req;
	uint64_t total = req->body_fd >= 0 ? req->body_size : req->body_len;
	size_t want = size * nmemb;
	ssize_t n;

	if (x->sent >= total)
		return 0;
	if (want > total - x->sent)
		want = (size_t)(total - x->sent);
	if (req->body_fd < 0) {
		memcpy(buf, (const char *)req->body + x->sent, want);
		n = (ssize_t)want;
	} else {
		do
			n = pread(req->body_fd, buf, want, (off_t)(req->body_offset + x->sent));
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			x->sink_r = n < 0 ? berth_error_set(x->err, errno, "read the upload")
					  : berth_error_setx(x->err, EIO, "read the upload: file shrank");
			return CURL_READFUNC_ABORT;
		}
	}
	x->sent += (uint64_t)n;
	if (req->sent)
		req->sent(req->opaque, x->sent);
	return (size_t)n;
}

static int on_seek(void *opaque, curl_off_t offset, int origin)
{
	struct xfer *x = opaque;

	if (origin != SEEK_SET || offset < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	x->sent = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static int on_progress(void *opaque, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = opaque;

	return atomic_load(&x->c->cancel) ? 1 : 0;
}

static int curl_error(struct xfer *x, CURLcode rc, const char *errbuf, const char *method, const char *url)
{
	const char *msg = errbuf[0] ? errbuf : curl_easy_strerror(rc);
	int code;

	if (x->sink_r < 0)
		return x->sink_r;
	if (x->too_large)
		return berth_error_setx(x->err, EFBIG, "%s %s: the answer is larger than %zu bytes", method, url,
					x->req->max_body);
	switch (rc) {
	case CURLE_ABORTED_BY_CALLBACK:
		return berth_error_setx(x->err, ECANCELED, "%s %s: cancelled", method, url);
	case CURLE_COULDNT_RESOLVE_HOST:
		code = EHOSTUNREACH;
		break;
	case CURLE_COULDNT_CONNECT:
		code = ECONNREFUSED;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		code = ETIMEDOUT;
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		code = ECONNRESET;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
		return berth_error_setx(x->err, EPROTO, "%s %s: TLS: %s", method, url, msg);
	case CURLE_TOO_MANY_REDIRECTS:
		code = ELOOP;
		break;
	default:
		code = EIO;
		break;
	}
	return berth_error_setx(x->err, code, "%s %s: %s", method, url, msg);
}

static void setup_method(CURL *h, const struct reg_request *req, const char *method)
{
	curl_off_t size = req->body_fd >= 0 ? (curl_off_t)req->body_size : (curl_off_t)req->body_len;

	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
		if (strcmp(method, "PATCH") == 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, size);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
}

static void setup_tls(CURL *h, struct reg_client *c)
{
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->verify ? 2L : 0L);
	if (c->ca) {
		struct curl_blob blob = { .data = c->ca, .len = c->ca_len, .flags = CURL_BLOB_NOCOPY };

		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (c->client_cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->client_cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->client_key);
	}
}

static struct curl_slist *add_header(struct curl_slist *l, const char *name, const char *value)
{
	_cleanup_free_ char *line = NULL;
	struct curl_slist *n;

	if (!value)
		return l;
	line = berth_xasprintf("%s: %s", name, value);
	n = curl_slist_append(l, line);
	if (!n)
		abort();
	return n;
}

static int perform(struct reg_client *c, const struct reg_request *req, const char *authz,
		   struct reg_response *resp, struct berth_error *err)
{
	_cleanup_free_ char *url = NULL;
	const char *method = req->method ? req->method : "GET";
	struct xfer x = { .c = c, .req = req, .resp = resp, .err = err };
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *h;

	reg_response_release(resp);
	url = req->url[0] == '/' ? berth_xasprintf("%s%s", c->base_url, req->url) : berth_xstrdup(req->url);
	h = curl_easy_init();
	if (!h)
		abort();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, req->follow ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a transfer that stalls (under 1 kB/s for 30 s) is dropped and retried */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &x);
	curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(h, CURLOPT_SEEKDATA, &x);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	setup_tls(h, c);
	setup_method(h, req, method);

	headers = add_header(headers, "Authorization", authz);
	headers = add_header(headers, "Accept", req->accept);
	headers = add_header(headers, "Content-Type", req->content_type);
	headers = add_header(headers, "Range", req->range);
	headers = add_header(headers, "Content-Range", req->content_range);
	/* no "Expect: 100-continue" round trip before an upload */
	headers = curl_slist_append(headers, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);

	rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK)
		return curl_error(&x, rc, errbuf, method, url);
	return 0;
}

/* --- authentication ----------------------------------------------------------------- */

static char *current_authorization(struct reg_client *c)
{
	char *a;

	pthread_mutex_lock(&c->auth_lock);
	a = berth_xstrdup_or_null(c->authorization);
	pthread_mutex_unlock(&c->auth_lock);
	return a;
}

static int fetch_token(struct reg_client *c, const struct reg_challenge *ch, struct berth_error *err)
{
	const char *realm = reg_challenge_param(ch, "realm");
	const char *service = reg_challenge_param(ch, "service");
	const char *scope = reg_challenge_param(ch, "scope");
	_cleanup_free_ char *url = NULL, *basic = NULL, *token = NULL;
	struct reg_request req = { .body_fd = -1, .no_auth = true, .follow = true };
	struct reg_response resp = { .content_length = -1 };
	int r;

	if (!realm || (strncmp(realm, "https://", 8) != 0 && strncmp(realm, "http://", 7) != 0))
		return berth_error_setx(err, EPROTO, "registry %s: bearer challenge without an http(s) realm", c->domain);
	url = berth_xstrdup(realm);
	if (service) {
		char *u = reg_url_add_query(url, "service", service);

		free(url);
		url = u;
	}
	if (scope && !berth_strv_contains(c->scopes, scope))
		berth_strv_push(&c->scopes, scope);
	for (char **s = c->scopes; s && *s; s++) {
		char *u = reg_url_add_query(url, "scope", *s);

		free(url);
		url = u;
	}
	if (c->username) {
		char *u = reg_url_add_query(url, "account", c->username);

		free(url);
		url = u;
		basic = reg_basic_authorization(c->username, c->password);
	}
	req.url = url;
	req.max_body = 1024 * 1024;
	r = perform(c, &req, basic, &resp, err);
	if (r < 0) {
		reg_response_release(&resp);
		return berth_error_prefix(err, "get a token from %s", realm);
	}
	if (resp.status == 401 || resp.status == 403) {
		reg_response_release(&resp);
		return berth_error_setx(err, EACCES, "get a token from %s: unauthorized: %s", realm,
					c->username ? "incorrect username or password" : "authentication required");
	}
	if (resp.status != 200) {
		r = reg_http_error(&resp, err, "get a token from %s", realm);
		reg_response_release(&resp);
		return r;
	}
	r = reg_token_parse(resp.body ? resp.body : "", resp.body_len, &token, NULL, err);
	reg_response_release(&resp);
	if (r < 0)
		return berth_error_prefix(err, "get a token from %s", realm);
	free(c->authorization);
	c->authorization = berth_xasprintf("Bearer %s", token);
	explicit_bzero(token, strlen(token));
	return 0;
}

/*
 * Answer a challenge: a token for the scopes, or basic credentials.  used
 * is the authorization the rejected request carried: when another thread
 * has already replaced it, there is nothing to do.
 */
static int authenticate(struct reg_client *c, const char *header, const char *used, struct berth_error *err)
{
	struct reg_challenge *ch = NULL;
	const struct reg_challenge *pick = NULL;
	size_t n = 0;
	int r = 0;

	pthread_mutex_lock(&c->auth_lock);
	if (c->authorization && (!used || strcmp(c->authorization, used) != 0))
		goto out;
	r = reg_challenges_parse(header, &ch, &n, err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n && !pick; i++)
		if (strcmp(ch[i].scheme, "bearer") == 0)
			pick = &ch[i];
	for (size_t i = 0; i < n && !pick; i++)
		if (strcmp(ch[i].scheme, "basic") == 0)
			pick = &ch[i];
	if (!pick) {
		r = berth_error_setx(err, ENOTSUP, "registry %s: unsupported authentication \"%s\"", c->domain, header);
	} else if (strcmp(pick->scheme, "bearer") == 0) {
		r = fetch_token(c, pick, err);
	} else if (!c->username) {
		r = berth_error_setx(err, EACCES, "registry %s: unauthorized: authentication required", c->domain);
	} else {
		_cleanup_free_ char *basic = reg_basic_authorization(c->username, c->password);

		if (used && strcmp(used, basic) == 0)
			r = berth_error_setx(err, EACCES, "registry %s: unauthorized: incorrect username or password",
					     c->domain);
		else {
			free(c->authorization);
			c->authorization = TAKE_PTR(basic);
		}
	}
out:
	pthread_mutex_unlock(&c->auth_lock);
	reg_challenges_free(ch, n);
	return r;
}

int reg_client_do(struct reg_client *c, const struct reg_request *req, struct reg_response *resp,
		  struct berth_error *err)
{
	_cleanup_free_ char *authz = NULL;
	int r;

	pthread_mutex_lock(&c->ping_lock);
	r = c->base_url ? 0 : reg_client_ping(c, err);
	pthread_mutex_unlock(&c->ping_lock);
	if (r < 0)
		return r;
	if (!req->no_auth && c->challenge) {
		/* the ping said what it wants: answer before the first request, not after its 401 */
		authz = current_authorization(c);
		if (!authz) {
			r = authenticate(c, c->challenge, NULL, err);
			if (r < 0)
				return r;
		}
	}
	for (int attempt = 0;; attempt++) {
		free(authz);
		authz = req->no_auth || !same_origin(c, req->url) ? NULL : current_authorization(c);
		r = perform(c, req, authz, resp, err);
		if (r < 0)
			break;
		if (resp->status != 401 || req->no_auth || attempt > 0 || !resp->www_authenticate)
			return 0;
		r = authenticate(c, resp->www_authenticate, authz, err);
		if (r < 0)
			break;
	}
	reg_response_release(resp);
	return r;
}

/* --- ping and login ------------------------------------------------------------------- */

int reg_client_ping(struct reg_client *c, struct berth_error *err)
{
	static const char *const secure[] = { "https", NULL };
	static const char *const insecure[] = { "https", "http", NULL };
	_cleanup_free_ char *first = NULL;
	struct reg_request req = { .url = "/v2/", .no_auth = true, .body_fd = -1 };
	struct reg_response resp = { .content_length = -1 };
	int r = 0;

	for (const char *const *s = c->insecure ? insecure : secure; *s; s++) {
		free(c->base_url);
		c->base_url = berth_xasprintf("%s://%s", *s, c->host);
		r = perform(c, &req, NULL, &resp, err);
		if (r < 0) {
			if (!first)
				first = berth_xstrdup(err->msg);
			continue;
		}
		berth_error_release(err); /* HTTPS failed, HTTP worked */
		break;
	}
	if (r < 0) {
		reg_response_release(&resp);
		free(c->base_url);
		c->base_url = NULL;
		if (c->insecure)
			return berth_error_prefix(err, "ping registry %s: %s; over HTTP", c->domain, first);
		if (r == -EPROTO && err->msg && strstr(err->msg, "wrong version number"))
			return berth_error_prefix(err, "ping registry %s (a plain-HTTP registry needs --tls-verify=false "
						       "or a place in the insecure registries)",
						  c->domain);
		if (r == -EPROTO && err->msg && strstr(err->msg, "certificate"))
			return berth_error_prefix(err, "ping registry %s (a registry's own CA goes in certs.d/%s/ca.crt "
						       "or a --cert-dir)",
						  c->domain, c->domain);
		return berth_error_prefix(err, "ping registry %s", c->domain);
	}
	if (resp.status == 401 && resp.www_authenticate) {
		free(c->challenge);
		c->challenge = TAKE_PTR(resp.www_authenticate);
	} else if (resp.status != 200 && resp.status != 401) {
		r = reg_http_error(&resp, err, "ping registry %s: GET %s/v2/", c->domain, c->base_url);
		free(c->base_url);
		c->base_url = NULL;
	}
	reg_response_release(&resp);
	return r;
}

int reg_client_login(struct reg_client *c, struct berth_error *err)
{
	struct reg_request req = { .url = "/v2/", .body_fd = -1 };
	struct reg_response resp = { .content_length = -1 };
	int r;

	r = reg_client_ping(c, err);
	if (r < 0)
		return r;
	if (!c->challenge)
		return 0; /* the registry wants no credentials: they are stored all the same, as docker does */
	r = authenticate(c, c->challenge, NULL, err);
	if (r < 0)
		return r;
	r = reg_client_do(c, &req, &resp, err);
	if (r < 0)
		return r;
	if (resp.status == 401 || resp.status == 403)
		r = berth_error_setx(err, EACCES, "registry %s: unauthorized: incorrect username or password", c->domain);
	else if (resp.status != 200)
		r = reg_http_error(&resp, err, "GET %s/v2/", c->base_url);
	reg_response_release(&resp);
	return r;
}

/* --- errors ------------------------------------------------------------------------------- */

/* docker's form of an error code: "MANIFEST_UNKNOWN" -> "manifest unknown" (malloc'd). */
static char *code_words(const char *code)
{
	char *w = berth_xstrdup(code);

	for (char *p = w; *p; p++)
		*p = *p == '_' ? ' ' : (char)tolower((unsigned char)*p);
	return w;
}

/* "code: message" of the registry's {"errors": [{"code", "message", "detail"}]} (malloc'd) or NULL. */
static char *registry_message(const struct reg_response *resp)
{
	json_error_t jerr;
	json_t *doc, *errors;
	char *out = NULL;
	size_t i;
	json_t *e;

	if (!resp->body || resp->body_len == 0)
		return NULL;
	doc = json_loadb(resp->body, resp->body_len, 0, &jerr);
	errors = json_object_get(doc, "errors");
	json_array_foreach(errors, i, e) {
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		_cleanup_free_ char *words = code ? code_words(code) : NULL;
		char *next;

		if (!code && !msg)
			continue;
		next = berth_xasprintf("%s%s%s%s%s", out ? out : "", out ? "; " : "", words ? words : "",
				       words && msg ? ": " : "", msg ? msg : "");
		free(out);
		out = next;
	}
	json_decref(doc);
	return out;
}

int reg_http_error(const struct reg_response *resp, struct berth_error *err, const char *fmt, ...)
{
	_cleanup_free_ char *what = NULL, *msg = registry_message(resp);
	va_list ap;
	int code;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		abort();
	va_end(ap);
	switch (resp->status) {
	case 401:
	case 403:
		code = EACCES;
		break;
	case 404:
		code = ENOENT;
		break;
	case 408:
	case 429:
		code = EAGAIN;
		break;
	default:
		code = resp->status >= 500 ? EAGAIN : EPROTO;
		break;
	}
	if (!msg && resp->status == 401)
		msg = berth_xstrdup("unauthorized: authentication required");
	else if (!msg && resp->status == 403)
		msg = berth_xstrdup("denied: requested access to the resource is denied");
	else if (!msg)
		msg = berth_xasprintf("HTTP status %ld", resp->status);
	return berth_error_setx(err, code, "%s%s%s", what, *what ? ": " : "", msg);
}

bool reg_error_transient(int r)
{
	switch (r < 0 ? -r : r) {
	case EAGAIN:
	case ECONNRESET:
	case ECONNREFUSED:
	case ECONNABORTED:
	case ETIMEDOUT:
	case EPIPE:
	case EIO:
		return true;
	default:
		return false;
	}
}
