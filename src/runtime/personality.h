#pragma once
/* linux.personality: the execution domain (LINUX, LINUX32) and flags. */
#include "oci/config.h"
#include "util/error.h"

/*
 * personality(2) with the domain and the flags.  Flag names are those of
 * <sys/personality.h> ("ADDR_NO_RANDOMIZE", ...); names this build does not
 * know are ignored, as runc ignores all flags.  NULL p is a no-op.
 */
int berth_personality_apply(const struct berth_oci_personality *p, struct berth_error *err);

/* Persona value for p, or -EINVAL for an unknown domain. */
int berth_personality_value(const struct berth_oci_personality *p, unsigned long *ret);
