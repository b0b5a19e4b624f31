/* whiteouts.c: not written yet */
