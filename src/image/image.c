/* image.c: not written yet */
