/* decompress.c: not written yet */
