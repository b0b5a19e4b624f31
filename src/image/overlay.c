/* overlay.c: not written yet */
