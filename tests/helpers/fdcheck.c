/*
 * fdcheck: list this process's open file descriptors, one per line as
 *	FD TARGET
 * (TARGET is the readlink of /proc/self/fd/FD), in ascending order, leaving
 * out the descriptor used to read the directory.  The end-to-end tests copy
 * it (statically linked) into a container rootfs and assert that only 0, 1,
 * 2 and the preserved fds reach the container process.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int fds[4096];
	size_t n = 0;

	if (!d) {
		perror("fdcheck: /proc/self/fd");
		return 1;
	}
	while ((de = readdir(d)) && n < sizeof(fds) / sizeof(fds[0])) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (de->d_name[0] == '.' || *end || fd == dirfd(d))
			continue;
		fds[n++] = (int)fd;
	}
	qsort(fds, n, sizeof(fds[0]), cmp_int);

	for (size_t i = 0; i < n; i++) {
		char link[64], target[PATH_MAX];
		ssize_t len;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[i]);
		len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			len = 0;
		target[len] = '\0';
		printf("%d %s\n", fds[i], target);
	}
	closedir(d);
	return 0;
}
