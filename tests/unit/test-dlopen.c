/*
 * The libraries berth opens when it needs them: libcurl (registry/curl-load.c)
 * and libsystemd (cgroups/sd-bus-load.c).  Every function the shims forward
 * resolves, and calls go through with their arguments intact.
 */
#include <string.h>

#include <curl/curl.h>

#include "berth-config.h"
#include "cgroups/cgroup-internal.h"
#include "registry/curl-load.h"
#include "tap.h"
#include "util/cleanup.h"

#if BERTH_HAVE_SYSTEMD
#include <systemd/sd-bus.h>
#endif

static size_t sink(char *p, size_t size, size_t n, void *opaque)
{
	return size * n;
}

static void lock_fn(CURL *h, curl_lock_data data, curl_lock_access access, void *opaque)
{
}

static void unlock_fn(CURL *h, curl_lock_data data, void *opaque)
{
}

static void test_curl(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct curl_slist *l = NULL;
	CURLSH *sh;
	CURL *h;

	if (!tap_ok(reg_curl_load(&err) == 0, "libcurl loads (%s)", err.msg ? err.msg : "ok"))
		return;
	TAP_OK(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
	TAP_OK(strcmp(curl_easy_strerror(CURLE_OK), "No error") == 0);
	h = curl_easy_init();
	sh = curl_share_init();
	if (!tap_ok(h && sh, "easy and share handles"))
		return;
	/* one option of each argument type: long, string, function, curl_off_t, object */
	TAP_OK(curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L) == CURLE_OK);
	TAP_OK(curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/") == CURLE_OK);
	TAP_OK(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink) == CURLE_OK);
	TAP_OK(curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)1 << 33) == CURLE_OK);
	TAP_OK(curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, lock_fn) == CURLSHE_OK);
	TAP_OK(curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, unlock_fn) == CURLSHE_OK);
	TAP_OK(curl_share_setopt(sh, CURLSHOPT_USERDATA, NULL) == CURLSHE_OK);
	TAP_OK(curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK);
	TAP_OK(curl_easy_setopt(h, CURLOPT_SHARE, sh) == CURLE_OK);
	/* an option the shim does not know the type of is refused, not passed on wrong */
	TAP_OK(curl_share_setopt(sh, (CURLSHoption)99, 0) == CURLSHE_BAD_OPTION);
	l = curl_slist_append(l, "Expect:");
	TAP_OK(l && strcmp(l->data, "Expect:") == 0);
	TAP_OK(curl_easy_setopt(h, CURLOPT_HTTPHEADER, l) == CURLE_OK);
	/* nothing listens on port 1: the transfer itself fails, through the real curl_easy_perform */
	TAP_OK(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 2L) == CURLE_OK);
	TAP_OK(curl_easy_perform(h) == CURLE_COULDNT_CONNECT);
	curl_easy_cleanup(h);
	curl_share_cleanup(sh);
	curl_slist_free_all(l);
}

static void test_sd_bus(void)
{
#if BERTH_HAVE_SYSTEMD
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;

	/* empty errors and NULL objects need no library */
	sd_bus_error_free(&e);
	TAP_OK(!sd_bus_error_is_set(&e));
	TAP_OK(sd_bus_unref(NULL) == NULL);
	if (!tap_ok(berth_sd_bus_load(&err) == 0, "libsystemd loads (%s)", err.msg ? err.msg : "ok"))
		return;
	TAP_OK(sd_bus_new(&bus) >= 0 && bus);
	TAP_OK(sd_bus_set_address(bus, "unix:path=/nonexistent/berth-test") >= 0);
	TAP_OK(sd_bus_start(bus) < 0);
	TAP_OK(sd_bus_unref(bus) == NULL);
#else
	tap_ok(true, "# SKIP built without libsystemd");
#endif
}

int main(void)
{
	test_curl();
	test_sd_bus();
	return tap_done();
}
