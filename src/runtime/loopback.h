#pragma once
#include "util/error.h"

/* Bring up `lo` in the current network namespace, as runc does for a new one. */
int berth_loopback_up(struct berth_error *err);
