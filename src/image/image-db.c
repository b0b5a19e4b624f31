/* image-db.c: not written yet */
