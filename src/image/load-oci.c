/* load-oci.c: not written yet */
