/* blob-store.c: not written yet */
