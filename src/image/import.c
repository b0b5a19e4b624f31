/* import.c: not written yet */
