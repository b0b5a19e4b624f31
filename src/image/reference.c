/* reference.c: not written yet */
