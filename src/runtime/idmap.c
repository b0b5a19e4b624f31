#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

char *berth_idmap_format(const struct berth_oci_id_mapping *m, size_t n)
{
	size_t cap = n * 36 + 1, len = 0;
	char *buf = berth_xmalloc(cap);

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
	return buf;
}

static int write_map(pid_t pid, const char *file, const struct berth_oci_id_mapping *m, size_t n,
		     struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (n == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	text = berth_idmap_format(m, n);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open `%s`", path);
	/* the kernel wants the whole map in one write() */
	r = (int)write(fd, text, strlen(text));
	if (r < 0)
		return berth_error_set(err, errno, "write `%s`", path);
	return 0;
}

int berth_idmap_write(pid_t pid, const struct berth_oci_linux *l, struct berth_error *err)
{
	int r = write_map(pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err);

	if (r < 0)
		return r;
	return write_map(pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err);
}
