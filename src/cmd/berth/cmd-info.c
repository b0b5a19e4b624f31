/* berth info: docker's system-wide information (containers by state, images, the host). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "engine/container-info.h"
#include "image/image-db.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include "berth-config.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#define EXT4_SUPER_MAGIC 0xef53
#define XFS_SUPER_MAGIC 0x58465342
#define BTRFS_SUPER_MAGIC 0x9123683e
#define TMPFS_MAGIC 0x01021994

/* /etc/os-release's PRETTY_NAME (docker's Operating System). */
static char *os_name(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (berth_read_file("/etc/os-release", 1 << 16, &buf, &len, &err) < 0 &&
	    berth_read_file("/usr/lib/os-release", 1 << 16, &buf, &len, &err) < 0)
		return berth_xstrdup("<unknown>");
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t n;
		if (strncmp(l, "PRETTY_NAME=", 12) != 0)
			continue;
		l += 12;
		n = strlen(l);
		if (n >= 2 && (l[0] == '"' || l[0] == '\'') && l[n - 1] == l[0])
			return berth_xstrndup(l + 1, n - 2);
		return berth_xstrdup(l);
	}
	return berth_xstrdup("<unknown>");
}

/* docker's names for the backing filesystem of the storage driver. */
static const char *fs_name(const char *path)
{
	struct statfs st;

	if (statfs(path, &st) < 0)
		return "<unknown>";
	switch ((unsigned long)st.f_type) {
	case EXT4_SUPER_MAGIC:
		return "extfs";
	case XFS_SUPER_MAGIC:
		return "xfs";
	case BTRFS_SUPER_MAGIC:
		return "btrfs";
	case TMPFS_MAGIC:
		return "tmpfs";
	default:
		return "<unknown>";
	}
}

static int cgroup_version(void)
{
	struct statfs st;

	return statfs("/sys/fs/cgroup", &st) == 0 && (unsigned long)st.f_type == CGROUP2_SUPER_MAGIC ? 2 : 1;
}

/* Everything info shows, in docker's field names (what --format sees). */
static int collect(struct berth_engine *e, json_t **ret, struct berth_error *err)
{
	struct berth_ctr *v = NULL;
	struct berth_image *imgs = NULL;
	size_t n = 0, n_imgs = 0;
	int running = 0, paused = 0, stopped = 0, r;
	struct utsname u;
	char host[256] = "";
	_cleanup_free_ char *os = os_name();
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	char cgv[8];

	if ((r = berth_ctr_list(e, &v, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (v[i].state == BERTH_CTR_RUNNING)
			running++;
		else if (v[i].state == BERTH_CTR_PAUSED)
			paused++;
		else
			stopped++;
	}
	berth_ctr_array_free(v, n);
	if ((r = berth_db_list_images(e->store->db, &imgs, &n_imgs, err)) < 0)
		return r;
	berth_image_array_free(imgs, n_imgs);
	uname(&u);
	gethostname(host, sizeof(host) - 1);
	snprintf(cgv, sizeof(cgv), "%d", cgroup_version());
	*ret = json_pack("{si si si si si ss s[[ss][ss]] ss ss ss ss ss ss ss ss ss sI sI ss ss ss ss ss s[s] ss}",
			 "Containers", (int)n, "ContainersRunning", running, "ContainersPaused", paused,
			 "ContainersStopped", stopped, "Images", (int)n_imgs, "Driver", "overlay", "DriverStatus",
			 "Backing Filesystem", fs_name(e->store->root), "Supports d_type", "true", "LoggingDriver",
			 "json-file", "CgroupDriver", "cgroupfs", "CgroupVersion", cgv, "KernelVersion", u.release,
			 "OperatingSystem", os, "OSType", "linux", "Architecture", u.machine, "DefaultRuntime",
			 "berth-runtime", "InitBinary", "berth-init", "NCPU", (json_int_t)(cpus > 0 ? cpus : 1), "MemTotal",
			 (json_int_t)(pages > 0 && page > 0 ? pages * page : 0), "Name", host, "BerthRootDir",
			 e->store->root, "DockerRootDir", e->store->root, "BerthRunRoot", e->store->run_root,
			 "ServerVersion", BERTH_VERSION, "SecurityOptions", "name=seccomp,profile=builtin", "ID", "");
	return 0;
}

static void print_info(json_t *i)
{
	char mem[32];
#define S(key) (json_string_value(json_object_get(i, key)) ?: "")
#define I(key) ((long long)json_integer_value(json_object_get(i, key)))

	cli_bytes_size((uint64_t)I("MemTotal"), mem, sizeof(mem));
	printf("Client:\n Version:    %s\n Context:    default\n Debug Mode: false\n\n", BERTH_VERSION);
	printf("Server:\n");
	printf(" Containers: %lld\n  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n", I("Containers"),
	       I("ContainersRunning"), I("ContainersPaused"), I("ContainersStopped"));
	printf(" Images: %lld\n", I("Images"));
	printf(" Server Version: %s\n", S("ServerVersion"));
	printf(" Storage Driver: %s\n", S("Driver"));
	{
		size_t k;
		json_t *pair;
		json_array_foreach(json_object_get(i, "DriverStatus"), k, pair)
			printf("  %s: %s\n", json_string_value(json_array_get(pair, 0)),
			       json_string_value(json_array_get(pair, 1)));
	}
	printf(" Logging Driver: %s\n", S("LoggingDriver"));
	printf(" Cgroup Driver: %s\n", S("CgroupDriver"));
	printf(" Cgroup Version: %s\n", S("CgroupVersion"));
	printf(" Runtimes: berth-runtime\n Default Runtime: %s\n Init Binary: %s\n", S("DefaultRuntime"),
	       S("InitBinary"));
	printf(" Security Options:\n  seccomp\n   Profile: builtin\n");
	printf(" Kernel Version: %s\n", S("KernelVersion"));
	printf(" Operating System: %s\n", S("OperatingSystem"));
	printf(" OSType: %s\n", S("OSType"));
	printf(" Architecture: %s\n", S("Architecture"));
	printf(" CPUs: %lld\n", I("NCPU"));
	printf(" Total Memory: %s\n", mem);
	printf(" Name: %s\n", S("Name"));
	printf(" Berth Root Dir: %s\n", S("BerthRootDir"));
	printf(" Berth Run Root: %s\n", S("BerthRunRoot"));
	printf(" Debug Mode: false\n");
#undef S
#undef I
}

static int info_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "format", 'f', CLI_STRING, "Format output using a custom template: 'json' or a Go template" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_engine *e;
	json_t *info = NULL;
	int r, status = 0;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 0)))
		return r;
	e = cli_engine(g, &status);
	if (!e)
		return status;
	if (collect(e, &info, &err) < 0)
		return cli_fail(&err);
	if (cli_value(opts, "format") && *cli_value(opts, "format")) {
		json_t *rows = json_pack("[O]", info);
		status = cli_print_rows(rows, cli_value(opts, "format"), NULL, NULL, stdout);
		json_decref(rows);
	} else {
		print_info(info);
	}
	json_decref(info);
	return status;
}

const struct cli_command cmd_info = {
	.name = "info",
	.usage = "[OPTIONS]",
	.summary = "Display system-wide information",
	.run = info_run,
};
