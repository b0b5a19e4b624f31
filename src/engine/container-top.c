/* `berth top`: the container's processes, as the host's `ps -ef` prints them (docker runs ps and filters). */
#include "engine/container-info.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* What ps -ef needs of one process, from /proc/PID/{stat,status,cmdline}. */
struct proc_info {
	pid_t pid, ppid;
	uid_t uid;
	int tty_nr;
	unsigned long long utime, stime, start; /* clock ticks */
	char comm[64];
	char *cmdline; /* arguments joined by spaces; "" for kernel threads and zombies */
};

static int read_proc(pid_t pid, struct proc_info *p)
{
	char path[64];
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *stat = NULL, *status = NULL;
	size_t len = 0;
	char *close_paren, *uid;

	*p = (struct proc_info){ .pid = pid };
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (berth_read_file(path, 4096, &stat, &len, &err) < 0)
		return -ESRCH;
	/* comm may hold spaces and parentheses: the last ')' ends it */
	close_paren = strrchr(stat, ')');
	if (!close_paren || !strchr(stat, '('))
		return -EINVAL;
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(close_paren - strchr(stat, '(') - 1), strchr(stat, '(') + 1);
	/* fields from 3 on: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
	 * cutime cstime priority nice num_threads itrealvalue starttime */
	if (sscanf(close_paren + 2, "%*c %d %*d %*d %d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
		   &p->ppid, &p->tty_nr, &p->utime, &p->stime, &p->start) != 5)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (berth_read_file(path, 1 << 16, &status, &len, &err) == 0 && (uid = strstr(status, "\nUid:")))
		p->uid = (uid_t)strtoul(uid + 5, NULL, 10);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (berth_read_file(path, 1 << 20, &p->cmdline, &len, &err) < 0) {
		p->cmdline = berth_xstrdup("");
		return 0;
	}
	while (len > 0 && p->cmdline[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len; i++)
		if (p->cmdline[i] == '\0')
			p->cmdline[i] = ' ';
	p->cmdline[len] = '\0';
	return 0;
}

static char *user_name(uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		return berth_xstrdup(res->pw_name);
	return berth_xasprintf("%u", (unsigned)uid);
}

/* procps' dev_to_tty: pts, the virtual consoles and serial ports; "?" for none. */
static char *tty_name(int tty_nr)
{
	unsigned dev = (unsigned)tty_nr;
	unsigned major = (dev >> 8) & 0xfff, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);

	if (tty_nr == 0)
		return berth_xstrdup("?");
	if (major >= 136 && major <= 143)
		return berth_xasprintf("pts/%u", minor + (major - 136) * 256);
	if (major == 4 && minor < 64)
		return berth_xasprintf("tty%u", minor);
	if (major == 4)
		return berth_xasprintf("ttyS%u", minor - 64);
	return berth_xstrdup("?");
}

/* The host's boot time (/proc/stat btime) and uptime in seconds. */
static void boot_times(time_t *ret_boot, double *ret_uptime)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *stat = NULL, *uptime = NULL;
	size_t len;
	char *b;

	*ret_boot = 0;
	*ret_uptime = 0;
	if (berth_read_file("/proc/stat", 1 << 20, &stat, &len, &err) == 0 && (b = strstr(stat, "\nbtime ")))
		*ret_boot = (time_t)strtoll(b + 7, NULL, 10);
	berth_error_release(&err);
	if (berth_read_file("/proc/uptime", 4096, &uptime, &len, &err) == 0)
		*ret_uptime = strtod(uptime, NULL);
}

static json_t *proc_row(const struct proc_info *p, time_t boot, double uptime, long hz)
{
	_cleanup_free_ char *user = user_name(p->uid), *tty = tty_name(p->tty_nr), *cmd = NULL;
	unsigned long long cpu = (p->utime + p->stime) / (unsigned long long)hz;
	double elapsed = uptime - (double)p->start / (double)hz;
	time_t started = boot + (time_t)(p->start / (unsigned long long)hz), now = time(NULL);
	char c[16], stime[32], ctime_s[32], pid[16], ppid[16];
	struct tm tm;
	unsigned pcpu = 0;

	/* ps' C: lifetime CPU use in percent, truncated, at most 99 */
	if (elapsed > 0)
		pcpu = (unsigned)((double)(p->utime + p->stime) * 100.0 / (double)hz / elapsed);
	snprintf(c, sizeof(c), "%u", pcpu > 99 ? 99 : pcpu);
	localtime_r(&started, &tm);
	/* ps' STIME: the time today, the date this year, else the year */
	strftime(stime, sizeof(stime), now - started < 24 * 3600 ? "%H:%M" : now - started < 365 * 24 * 3600 ? "%b%d" : "%Y",
		 &tm);
	if (cpu >= 24 * 3600)
		snprintf(ctime_s, sizeof(ctime_s), "%llu-%02llu:%02llu:%02llu", cpu / 86400, cpu / 3600 % 24, cpu / 60 % 60,
			 cpu % 60);
	else
		snprintf(ctime_s, sizeof(ctime_s), "%02llu:%02llu:%02llu", cpu / 3600, cpu / 60 % 60, cpu % 60);
	cmd = p->cmdline[0] ? berth_xstrdup(p->cmdline) : berth_xasprintf("[%s]", p->comm);
	snprintf(pid, sizeof(pid), "%d", (int)p->pid);
	snprintf(ppid, sizeof(ppid), "%d", (int)p->ppid);
	return json_pack("[ssssssss]", user, pid, ppid, c, stime, tty, ctime_s, cmd);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

int berth_ctr_top(struct berth_engine *e, const char *ref, json_t **ret, struct berth_error *err)
{
	struct berth_ctr c = { 0 };
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	json_t *procs;
	time_t boot;
	double uptime;
	long hz = sysconf(_SC_CLK_TCK);
	int r;

	if ((r = berth_ctr_get(e, ref, &c, err)) < 0)
		return r;
	if (c.state != BERTH_CTR_RUNNING && c.state != BERTH_CTR_PAUSED) {
		r = berth_error_setx(err, EINVAL, "container %s is not running", c.id);
		berth_ctr_release(&c);
		return r;
	}
	r = berth_container_pids(e->runtime_root, c.id, &pids, &n, err);
	berth_ctr_release(&c);
	if (r < 0)
		return r == -ESRCH ? berth_error_setx(err, EINVAL, "container %s is not running", ref) : r;
	if (hz <= 0)
		hz = 100;
	boot_times(&boot, &uptime);
	qsort(pids, n, sizeof(*pids), cmp_pid);
	procs = json_array();
	for (size_t i = 0; i < n; i++) {
		struct proc_info p;
		/* a process that exits while we read is not listed */
		if (read_proc(pids[i], &p) < 0) {
			free(p.cmdline);
			continue;
		}
		json_array_append_new(procs, proc_row(&p, boot, uptime, hz));
		free(p.cmdline);
	}
	*ret = json_pack("{s[ssssssss] so}", "Titles", "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD",
			 "Processes", procs);
	return 0;
}
