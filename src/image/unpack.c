/* unpack.c: not written yet */
