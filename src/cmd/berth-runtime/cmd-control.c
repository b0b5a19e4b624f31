/* `pause`, `resume`, `ps`, `update` and `events`: verbs over a running container's cgroup. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int one_id(struct cli_global *g, const struct cli_command *cmd, struct cli_option *opts, int *argc, char **argv)
{
	int r = cli_parse(cmd, opts, argc, argv, false);

	if (r != 0)
		return r < 0 ? 1 : 0;
	r = cli_expect_args(g, cmd, *argc, 1, 1);
	return r ? r : -1;
}

static int run_pause(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = { { NULL } };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int r = one_id(g, &cmd_pause, opts, &argc, argv);

	if (r >= 0)
		return r;
	return berth_container_pause(g->root, argv[0], &err) < 0 ? cli_fail(g, &err) : 0;
}

static int run_resume(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = { { NULL } };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int r = one_id(g, &cmd_resume, opts, &argc, argv);

	if (r >= 0)
		return r;
	return berth_container_resume(g->root, argv[0], &err) < 0 ? cli_fail(g, &err) : 0;
}

/* One `ps -ef` style row from /proc, without running ps(1). */
static void print_ps_row(pid_t pid, long hz, time_t boot)
{
	char path[64], stat_buf[1024], cmd[4096], tty[32] = "?", stime[16], tbuf[64], user[33];
	_cleanup_free_ char *cmdline = NULL;
	size_t len = 0;
	unsigned long long utime = 0, stime_ticks = 0, start = 0;
	int ppid = 0, tty_nr = 0;
	struct tm tm;
	time_t started;
	char *p;
	struct passwd *pw;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_close_ int fd = -EBADF;
	ssize_t n;
	unsigned long total;
	uid_t uid = 0;
	_cleanup_fclose_ FILE *st = NULL;
	char line[256];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, stat_buf, sizeof(stat_buf) - 1);
	if (n <= 0)
		return;
	stat_buf[n] = '\0';
	p = strrchr(stat_buf, ')');
	if (!p)
		return;
	/* fields after comm: state ppid pgrp session tty_nr ... utime(14) stime(15) ... starttime(22) */
	sscanf(p + 2, "%*c %d %*d %*d %d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu", &ppid, &tty_nr,
	       &utime, &stime_ticks, &start);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	st = fopen(path, "re");
	while (st && fgets(line, sizeof(line), st))
		if (sscanf(line, "Uid: %u", &uid) == 1)
			break;
	pw = getpwuid(uid);
	snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "");
	if (!pw)
		snprintf(user, sizeof(user), "%u", uid);
	if (tty_nr) {
		unsigned maj = ((unsigned)tty_nr >> 8) & 0xfff, min = ((unsigned)tty_nr & 0xff) | (((unsigned)tty_nr >> 12) & 0xfff00);
		if (maj == 136)
			snprintf(tty, sizeof(tty), "pts/%u", min);
		else
			snprintf(tty, sizeof(tty), "%u:%u", maj, min);
	}
	started = boot + (time_t)(start / (unsigned long long)hz);
	localtime_r(&started, &tm);
	strftime(stime, sizeof(stime), time(NULL) - started > 86400 ? "%b%d" : "%H:%M", &tm);
	total = (unsigned long)((utime + stime_ticks) / (unsigned long long)hz);
	snprintf(tbuf, sizeof(tbuf), "%02lu:%02lu:%02lu", total / 3600, (total / 60) % 60, total % 60);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (berth_read_file(path, 1 << 16, &cmdline, &len, &err) < 0 || len == 0) {
		char *b = strchr(stat_buf, '('), *e = strrchr(stat_buf, ')');
		snprintf(cmd, sizeof(cmd), "[%.*s]", b && e ? (int)(e - b - 1) : 0, b ? b + 1 : "");
	} else {
		for (size_t i = 0; i + 1 < len; i++)
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
		snprintf(cmd, sizeof(cmd), "%s", cmdline);
	}
	printf("%-8s %7d %7d  0 %5s %-8s %8s %s\n", user, (int)pid, ppid, stime, tty, tbuf, cmd);
}

static time_t boot_time(void)
{
	struct timespec now, up;

	clock_gettime(CLOCK_REALTIME, &now);
	clock_gettime(CLOCK_BOOTTIME, &up);
	return now.tv_sec - up.tv_sec;
}

static int cmp_pid(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

static int run_ps(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "format", 'f', CLI_STRING, "select one of: table or json (default: \"table\")" },
		{ NULL },
	};
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ pid_t *pids = NULL;
	const char *format;
	size_t n = 0;
	int r = cli_parse(&cmd_ps, opts, &argc, argv, false);

	if (r != 0)
		return r < 0 ? 1 : 0;
	r = cli_expect_args(g, &cmd_ps, argc, 1, -1);
	if (r)
		return r;
	format = cli_opt(opts, "format")->value ? cli_opt(opts, "format")->value : "table";
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_failf(g, "invalid format option `%s`", format);
	/* the table is ps -ef's; other ps(1) arguments would need running ps itself, which berth never does */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-ef") != 0 && strcmp(argv[i], "-e") != 0 && strcmp(argv[i], "-f") != 0)
			return cli_failf(g, "ps argument `%s` is not supported (the table is `ps -ef`; use --format json)",
					 argv[i]);
	if (berth_container_pids(g->root, argv[0], &pids, &n, &err) < 0)
		return cli_fail(g, &err);
	qsort(pids, n, sizeof(pid_t), cmp_pid);
	if (strcmp(format, "json") == 0) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		return 0;
	}
	printf("%-8s %7s %7s %2s %5s %-8s %8s %s\n", "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD");
	for (size_t i = 0; i < n; i++)
		print_ps_row(pids[i], sysconf(_SC_CLK_TCK), boot_time());
	return 0;
}

/* Parse a --memory style value: bytes with an optional k/m/g suffix, or -1. */
static int parse_size(const char *s, int64_t *ret)
{
	char *end;
	double v = strtod(s, &end);
	int64_t mul = 1;

	if (end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mul = 1LL << 10; end++; break;
	case 'm': case 'M': mul = 1LL << 20; end++; break;
	case 'g': case 'G': mul = 1LL << 30; end++; break;
	case 't': case 'T': mul = 1LL << 40; end++; break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	*ret = (int64_t)(v * (double)mul);
	return 0;
}

static void set_path(json_t *root, const char *a, const char *b, json_t *v)
{
	json_t *o = json_object_get(root, a);

	if (!o) {
		o = json_object();
		json_object_set_new(root, a, o);
	}
	json_object_set_new(o, b, v);
}

static int run_update(struct cli_global *g, int argc, char **argv)
{
	static const struct {
		const char *flag, *group, *key;
		bool size, string;
	} map[] = {
		{ "memory", "memory", "limit", true },
		{ "memory-swap", "memory", "swap", true },
		{ "memory-reservation", "memory", "reservation", true },
		{ "kernel-memory", "memory", "kernel", true },
		{ "kernel-memory-tcp", "memory", "kernelTCP", true },
		{ "cpu-shares", "cpu", "shares" },
		{ "cpu-quota", "cpu", "quota" },
		{ "cpu-period", "cpu", "period" },
		{ "cpu-burst", "cpu", "burst" },
		{ "cpu-rt-period", "cpu", "realtimePeriod" },
		{ "cpu-rt-runtime", "cpu", "realtimeRuntime" },
		{ "cpu-idle", "cpu", "idle" },
		{ "cpuset-cpus", "cpu", "cpus", false, true },
		{ "cpuset-mems", "cpu", "mems", false, true },
		{ "pids-limit", "pids", "limit" },
		{ "blkio-weight", "blockIO", "weight" },
	};
	struct cli_option opts[] = {
		{ "resources", 'r', CLI_STRING, "path to a file with the resources to update, or \"-\" for stdin" },
		{ "memory", 0, CLI_STRING, "memory limit (in bytes)" },
		{ "memory-swap", 0, CLI_STRING, "total memory usage (memory + swap); set \"-1\" to enable unlimited swap" },
		{ "memory-reservation", 0, CLI_STRING, "memory reservation or soft limit (in bytes)" },
		{ "kernel-memory", 0, CLI_STRING, "kernel memory limit (in bytes)" },
		{ "kernel-memory-tcp", 0, CLI_STRING, "kernel memory limit (in bytes) for tcp buffer" },
		{ "cpu-shares", 0, CLI_STRING, "CPU shares (relative weight vs. other containers)" },
		{ "cpu-quota", 0, CLI_STRING, "CPU CFS hardcap limit (in usecs)" },
		{ "cpu-period", 0, CLI_STRING, "CPU CFS period to be used for hardcapping (in usecs)" },
		{ "cpu-burst", 0, CLI_STRING, "CPU CFS burst (in usecs)" },
		{ "cpu-rt-period", 0, CLI_STRING, "CPU realtime period (in usecs)" },
		{ "cpu-rt-runtime", 0, CLI_STRING, "CPU realtime hardcap limit (in usecs)" },
		{ "cpu-idle", 0, CLI_STRING, "set cgroup SCHED_IDLE or not, 0: default, 1: SCHED_IDLE" },
		{ "cpuset-cpus", 0, CLI_STRING, "CPU(s) to use" },
		{ "cpuset-mems", 0, CLI_STRING, "memory node(s) to use" },
		{ "pids-limit", 0, CLI_STRING, "maximum number of pids allowed in the container" },
		{ "blkio-weight", 0, CLI_STRING, "specifies per cgroup weight, range is from 10 to 1000" },
		{ NULL },
	};
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *text = NULL;
	json_t *res = NULL;
	const char *file;
	int r = one_id(g, &cmd_update, opts, &argc, argv);

	if (r >= 0)
		return r;
	file = cli_opt(opts, "resources")->value;
	if (file) {
		json_error_t jerr;
		size_t len;
		r = berth_read_file(strcmp(file, "-") == 0 ? "/dev/stdin" : file, 16 << 20, &text, &len, &err);
		if (r < 0)
			return cli_fail(g, &err);
		res = json_loadb(text, len, 0, &jerr);
		if (!res)
			return cli_failf(g, "%s:%d:%d: %s", strcmp(file, "-") == 0 ? "<stdin>" : file, jerr.line, jerr.column,
					 jerr.text);
	} else {
		res = json_object();
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const char *v = cli_opt(opts, map[i].flag)->value;
		int64_t n;
		char *end;

		if (!v)
			continue;
		if (map[i].string) {
			set_path(res, map[i].group, map[i].key, json_string(v));
			continue;
		}
		if (map[i].size ? parse_size(v, &n) < 0 : (n = strtoll(v, &end, 10), *end != '\0' || end == v)) {
			json_decref(res);
			return cli_failf(g, "invalid value `%s` for --%s", v, map[i].flag);
		}
		set_path(res, map[i].group, map[i].key, json_integer(n));
	}
	r = berth_container_update(g->root, argv[0], res, &err);
	json_decref(res);
	return r < 0 ? cli_fail(g, &err) : 0;
}

static volatile sig_atomic_t events_stop;

static void on_stop(int sig)
{
	events_stop = 1;
}

static void print_event(const char *type, const char *id, json_t *data)
{
	json_t *ev = json_pack("{s:s, s:s}", "type", type, "id", id);
	char *text;

	if (data)
		json_object_set(ev, "data", data);
	text = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	fflush(stdout);
	free(text);
	json_decref(ev);
}

static int run_events(struct cli_global *g, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "interval", 0, CLI_STRING, "set the stats collection interval (default: 5s)" },
		{ "stats", 0, CLI_FLAG, "display the container's stats then exit" },
		{ NULL },
	};
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	const char *iv;
	double interval = 5;
	uint64_t ooms = 0, now_ooms = 0;
	json_t *stats = NULL;
	int r = one_id(g, &cmd_events, opts, &argc, argv);

	if (r >= 0)
		return r;
	iv = cli_opt(opts, "interval")->value;
	if (iv) {
		char *end;
		interval = strtod(iv, &end);
		if (strcmp(end, "ms") == 0)
			interval /= 1000;
		else if (strcmp(end, "m") == 0)
			interval *= 60;
		else if (*end && strcmp(end, "s") != 0)
			return cli_failf(g, "invalid --interval `%s`", iv);
		if (interval <= 0)
			return cli_failf(g, "duration interval must be greater than 0");
	}
	if (cli_opt(opts, "stats")->set) {
		if (berth_container_stats(g->root, argv[0], &stats, NULL, &err) < 0)
			return cli_fail(g, &err);
		print_event("stats", argv[0], stats);
		json_decref(stats);
		return 0;
	}
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	if (berth_container_stats(g->root, argv[0], NULL, &ooms, &err) < 0)
		return cli_fail(g, &err);
	while (!events_stop) {
		/* OOMs are checked every 100 ms, stats every interval */
		for (double waited = 0; waited < interval && !events_stop; waited += 0.1) {
			poll(NULL, 0, 100);
			if (berth_container_stats(g->root, argv[0], NULL, &now_ooms, &err) < 0)
				return err.code == ESRCH || err.code == ENOENT ? 0 : cli_fail(g, &err);
			for (; ooms < now_ooms; ooms++)
				print_event("oom", argv[0], NULL);
		}
		if (events_stop)
			break;
		if (berth_container_stats(g->root, argv[0], &stats, NULL, &err) < 0)
			return err.code == ESRCH || err.code == ENOENT ? 0 : cli_fail(g, &err);
		print_event("stats", argv[0], stats);
		json_decref(stats);
		stats = NULL;
	}
	return 0;
}

const struct cli_command cmd_pause = {
	.name = "pause",
	.usage = "pause <container-id>",
	.summary = "pause suspends all processes inside the container",
	.run = run_pause,
};

const struct cli_command cmd_resume = {
	.name = "resume",
	.usage = "resume <container-id>",
	.summary = "resumes all processes that have been previously paused",
	.run = run_resume,
};

const struct cli_command cmd_ps = {
	.name = "ps",
	.usage = "ps [command options] <container-id> [-- ps options]",
	.summary = "ps displays the processes running inside a container",
	.run = run_ps,
};

const struct cli_command cmd_update = {
	.name = "update",
	.usage = "update [command options] <container-id>",
	.summary = "update container resource constraints",
	.run = run_update,
};

const struct cli_command cmd_events = {
	.name = "events",
	.usage = "events [command options] <container-id>",
	.summary = "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
	.run = run_events,
};
