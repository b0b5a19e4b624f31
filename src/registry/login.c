/* berth login / logout: check credentials against the registry, then keep them in the credential file. */
#include "registry.h"

#include <errno.h>
#include <string.h>

#include "client.h"
#include "credentials.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int berth_registry_login(const char *registry, const char *user, const char *password,
			 const struct berth_registry_options *opts, char **ret_key, struct berth_error *err)
{
	_cleanup_(reg_client_freep) struct reg_client *c = NULL;
	_cleanup_free_ char *key = reg_normalize_registry(registry);
	_cleanup_free_ char *domain = NULL;
	struct berth_registry_options o = *opts;
	int r;

	if (!key)
		return berth_error_setx(err, EINVAL, "login: \"%s\" is not a registry", registry);
	if (!user || !*user)
		return berth_error_setx(err, EINVAL, "login %s: no username", key);
	if (!password || !*password)
		return berth_error_setx(err, EINVAL, "login %s: no password", key);
	domain = berth_xstrndup(key, strcspn(key, "/"));
	o.username = user;
	o.password = password;
	r = reg_client_new(domain, &o, &c, err);
	if (r == 0)
		r = reg_client_login(c, err);
	if (r == 0)
		r = reg_credentials_set(opts->auth_file, key, user, password, err);
	if (r < 0)
		return berth_error_prefix(err, "login %s", key);
	if (ret_key)
		*ret_key = TAKE_PTR(key);
	return 0;
}

int berth_registry_logout(const char *registry, const struct berth_registry_options *opts, char **ret_key,
			  struct berth_error *err)
{
	_cleanup_free_ char *key = reg_normalize_registry(registry);
	int r;

	if (!key)
		return berth_error_setx(err, EINVAL, "logout: \"%s\" is not a registry", registry);
	r = reg_credentials_remove(opts->auth_file, key, err);
	if (r == -ENOENT)
		r = berth_error_setx(err, ENOENT, "not logged in to %s", key);
	if (r < 0)
		return r;
	if (ret_key)
		*ret_key = TAKE_PTR(key);
	return 0;
}
