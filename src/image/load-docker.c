/* load-docker.c: not written yet */
