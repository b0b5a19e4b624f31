/* save.c: not written yet */
