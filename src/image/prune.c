/* prune.c: not written yet */
