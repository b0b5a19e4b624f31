#pragma once
/*
 * libcurl, opened on first use (curl-load.c).  Linked, libcurl and the two
 * dozen libraries under it (gnutls, krb5, ldap, ssh2, ...) cost every berth
 * process several milliseconds of loading and relocation, and only pull,
 * push and login make HTTP requests.
 */
#include "util/error.h"

/* Opens libcurl.so.4 once; 0, or ELIBACC saying why not.  Thread-safe. */
int reg_curl_load(struct berth_error *err);
