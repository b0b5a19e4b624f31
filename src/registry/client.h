#pragma once
/*
 * The HTTP side of the registry client (libcurl): one struct reg_client per
 * registry and operation, shared by the threads that transfer blobs (each
 * request has its own easy handle; connections, DNS and TLS sessions are
 * shared).
 *
 * Transport: HTTPS with the system CAs plus the registry's own from the
 * first of $BERTH_CERTS_D's directories (default /etc/berth/certs.d,
 * /etc/containers/certs.d, /etc/docker/certs.d) that has HOST[:PORT]/,
 * or --cert-dir: *.crt are CAs, a *.cert with its *.key a client
 * certificate.  An insecure registry (--tls-verify=false, or listed in
 * $BERTH_INSECURE_REGISTRIES or the "insecure" list of
 * /etc/berth/registries.conf, $BERTH_REGISTRIES_CONF) is tried over HTTPS
 * without verification, then over plain HTTP.
 *
 * Auth: the ping (GET /v2/) learns the registry's challenge; requests then
 * carry basic credentials or a bearer token for the client's scopes,
 * fetched (again) when a 401 says so.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "registry.h"
#include "util/error.h"

struct reg_client;

struct reg_response {
	long status;
	char *content_type;
	char *location;
	char *docker_digest; /* Docker-Content-Digest */
	char *www_authenticate;
	char *content_range;
	char *range;
	int64_t content_length; /* -1 unknown */
	/* the body, when not streamed to a sink (or for an error status) */
	char *body;
	size_t body_len;
	/* how many bytes a sink has been given */
	uint64_t streamed;
};

void reg_response_release(struct reg_response *r);

/* Called with the body of a 2xx response, in pieces; resp has the status and headers. */
typedef int (*reg_sink_fn)(void *opaque, const struct reg_response *resp, const void *buf, size_t len,
			   struct berth_error *err);

struct reg_request {
	const char *method; /* NULL = GET */
	const char *url;    /* absolute, or a path ("/v2/…") on the registry */
	const char *accept;
	const char *content_type;
	const char *range;
	const char *content_range;
	bool follow;  /* follow redirects (blob GETs: storage backends) */
	bool no_auth; /* send no credentials (the ping) */
	/* request body: from memory, or body_size bytes of body_fd from body_offset */
	const void *body;
	size_t body_len;
	int body_fd; /* -1 = none */
	uint64_t body_offset, body_size;
	/* the upload's progress (bytes sent so far), may be NULL */
	void (*sent)(void *opaque, uint64_t now);
	/* response body: to sink (2xx only), else into resp->body up to max_body (0 = 64 KiB) */
	reg_sink_fn sink;
	void *opaque;
	size_t max_body;
};

/*
 * A client for the registry domain (a reference's domain: "docker.io",
 * "localhost:5000").  Credentials come from opts (username/password) or the
 * credential files.
 */
int reg_client_new(const char *domain, const struct berth_registry_options *opts, struct reg_client **ret,
		   struct berth_error *err);
void reg_client_free(struct reg_client *c);
static inline void reg_client_freep(struct reg_client **c)
{
	if (*c)
		reg_client_free(*c);
}

/* "https://host[:port]" once pinged, else NULL. */
const char *reg_client_base_url(const struct reg_client *c);

/* Add a token scope ("repository:library/busybox:pull") before the requests that need it. */
void reg_client_add_scope(struct reg_client *c, const char *scope);
/* Stop every transfer in progress or to come (ECANCELED). */
void reg_client_cancel(struct reg_client *c);
bool reg_client_cancelled(struct reg_client *c);

/* GET /v2/: pick the scheme (HTTPS, or HTTP for an insecure registry) and learn the challenge. */
int reg_client_ping(struct reg_client *c, struct berth_error *err);
/*
 * Authenticate now, for login: the credentials must be accepted (a token
 * fetched with them, or /v2/ answering 200 with them).
 */
int reg_client_login(struct reg_client *c, struct berth_error *err);

/*
 * One request: 0 with any HTTP status in resp (the caller judges it and
 * releases resp), after one retry with fresh credentials on a 401; -errno
 * on a transport or authentication error (resp is released then).
 */
int reg_client_do(struct reg_client *c, const struct reg_request *req, struct reg_response *resp,
		  struct berth_error *err);

/*
 * Turn an unexpected status into an error: the registry's JSON error
 * message when it sent one ("what: message"; what may be "").  -EACCES for 401/403, -ENOENT for 404, -EAGAIN
 * for the statuses worth a retry (408, 429, 5xx), -EPROTO otherwise.
 */
int reg_http_error(const struct reg_response *resp, struct berth_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error worth retrying (a dropped connection, a timeout, a 5xx). */
bool reg_error_transient(int r);

/* "/v2/<path>/<kind>/<ref>" (malloc'd). */
char *reg_api_path(const char *repo_path, const char *kind, const char *ref);
/* A Location header resolved against the URL of the request that got it (malloc'd). */
char *reg_resolve_url(const char *base, const char *location);
/* url with "name=value" added to its query (value percent-encoded; malloc'd). */
char *reg_url_add_query(const char *url, const char *name, const char *value);
/* The host berth connects to for a reference domain ("docker.io" -> "registry-1.docker.io"). */
const char *reg_domain_host(const char *domain);
/*
 * A registry as login/logout take it ("https://host:5000/v1/", "host:5000",
 * NULL = docker.io) -> its reference domain (malloc'd); NULL when invalid.
 */
char *reg_normalize_registry(const char *s);
/* Whether domain is listed insecure by $BERTH_INSECURE_REGISTRIES or the registries.conf. */
bool reg_registry_is_insecure(const char *domain);
/* The "insecure = [ … ]" list of a registries.conf text (malloc'd strv). */
char **reg_parse_registries_conf(const char *text);
