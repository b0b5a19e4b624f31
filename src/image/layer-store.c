/* layer-store.c: not written yet */
