/* bootstrap.c: not written yet */
