/*
 * Resource usage in the JSON shape of runc's `events --stats` data (runc
 * types/events.go Stats): the Go field tags decide which zero values are
 * left out ("omitempty") and which stay.  jansson integers are signed, so a
 * u64 above INT64_MAX (v2's "max" limits) is written as INT64_MAX.
 *
 * A file that is missing (a controller the host lacks) leaves its numbers
 * at zero rather than failing: stats are best effort, as a monitoring tool
 * polling a container that is going away expects.
 */
#include "cgroups/cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_USEC 1000ULL
#define HUGEPAGES_DIR "/sys/kernel/mm/hugepages"

static json_t *jnum(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Go's omitempty: leave zeros out */
static void put(json_t *o, const char *key, uint64_t v, bool omitempty)
{
	if (!omitempty || v != 0)
		json_object_set_new(o, key, jnum(v));
}

/* The file's contents, or NULL when it cannot be read. */
static char *read_opt(const struct berth_cgroup_dir *dir, const char *file)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	char *buf = NULL;

	if (!dir || berth_read_file_at(dir->dfd, file, 0, &buf, NULL, &ignored) < 0)
		return NULL;
	return buf;
}

static uint64_t read_u64_opt(const struct berth_cgroup_dir *dir, const char *file)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;
	uint64_t v = 0;

	if (dir && berth_cgroup_file_exists(dir, file) && berth_cgroup_read_u64(dir, file, &v, &ignored) < 0)
		v = 0;
	return v;
}

static uint64_t keyed_opt(const char *buf, const char *key)
{
	uint64_t v = 0;

	if (buf)
		berth_cgroup_keyed_value(buf, key, &v);
	return v;
}

/* "k v" lines into an object of numbers (memory.stat) */
static json_t *keyed_to_object(const char *buf)
{
	json_t *o = json_object();

	for (const char *line = buf; line && *line;) {
		const char *sp = strchr(line, ' '), *nl = strchrnul(line, '\n');

		if (sp && sp < nl) {
			_cleanup_free_ char *key = berth_xstrndup(line, (size_t)(sp - line));

			json_object_set_new(o, key, jnum(strtoull(sp + 1, NULL, 10)));
		}
		line = *nl ? nl + 1 : nl;
	}
	return o;
}

/* whitespace separated numbers (cpuacct.usage_percpu) */
static json_t *numbers_to_array(const char *buf)
{
	json_t *a = json_array();
	char *end;

	for (const char *p = buf; p && *p; p = end) {
		uint64_t v = strtoull(p, &end, 10);

		if (end == p)
			break;
		json_array_append_new(a, jnum(v));
	}
	return a;
}

/* set key to arr unless empty (omitempty); takes arr */
static void put_array(json_t *o, const char *key, json_t *arr)
{
	if (json_array_size(arr) > 0)
		json_object_set_new(o, key, arr);
	else
		json_decref(arr);
}

/* --- cpu ------------------------------------------------------------------------- */

static json_t *cpu_object(json_t *usage, uint64_t periods, uint64_t throttled, uint64_t throttled_ns)
{
	json_t *cpu = json_object(), *thr = json_object();

	put(thr, "periods", periods, true);
	put(thr, "throttledPeriods", throttled, true);
	put(thr, "throttledTime", throttled_ns, true);
	json_object_set_new(cpu, "usage", usage);
	json_object_set_new(cpu, "throttling", thr);
	return cpu;
}

/* cpuacct.usage_all: "cpu user system" then one line per cpu */
static void v1_percpu_modes(const char *buf, json_t *usage)
{
	json_t *kernel = json_array(), *user = json_array();
	const char *line = buf ? strchr(buf, '\n') : NULL;

	while (line && *++line) {
		unsigned long long u, s;

		if (sscanf(line, "%*u %llu %llu", &u, &s) == 2) {
			json_array_append_new(user, jnum(u));
			json_array_append_new(kernel, jnum(s));
		}
		line = strchr(line, '\n');
	}
	put_array(usage, "percpu_kernel", kernel);
	put_array(usage, "percpu_user", user);
}

static json_t *v1_cpu(struct berth_cgroup *cg)
{
	const struct berth_cgroup_dir *acct = berth_cgroup_v1_dir(cg, "cpuacct");
	const struct berth_cgroup_dir *cpu = berth_cgroup_v1_dir(cg, "cpu");
	_cleanup_free_ char *percpu = read_opt(acct, "cpuacct.usage_percpu");
	_cleanup_free_ char *all = read_opt(acct, "cpuacct.usage_all");
	_cleanup_free_ char *stat = read_opt(acct, "cpuacct.stat");
	_cleanup_free_ char *cstat = read_opt(cpu, "cpu.stat");
	json_t *usage = json_object();
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t tick_ns = hz > 0 ? NSEC_PER_SEC / (uint64_t)hz : 0;

	put(usage, "total", read_u64_opt(acct, "cpuacct.usage"), true);
	put_array(usage, "percpu", numbers_to_array(percpu));
	v1_percpu_modes(all, usage);
	/* cpuacct.stat counts USER_HZ ticks */
	put(usage, "kernel", keyed_opt(stat, "system") * tick_ns, false);
	put(usage, "user", keyed_opt(stat, "user") * tick_ns, false);
	return cpu_object(usage, keyed_opt(cstat, "nr_periods"), keyed_opt(cstat, "nr_throttled"),
			  keyed_opt(cstat, "throttled_time"));
}

static json_t *v2_cpu(const struct berth_cgroup_dir *dir)
{
	_cleanup_free_ char *stat = read_opt(dir, "cpu.stat");
	json_t *usage = json_object();

	put(usage, "total", keyed_opt(stat, "usage_usec") * NSEC_PER_USEC, true);
	put(usage, "kernel", keyed_opt(stat, "system_usec") * NSEC_PER_USEC, false);
	put(usage, "user", keyed_opt(stat, "user_usec") * NSEC_PER_USEC, false);
	return cpu_object(usage, keyed_opt(stat, "nr_periods"), keyed_opt(stat, "nr_throttled"),
			  keyed_opt(stat, "throttled_usec") * NSEC_PER_USEC);
}

/* --- cpuset ------------------------------------------------------------------------ */

/* "0-2,5" -> [0,1,2,5] */
static json_t *list_to_array(const char *buf)
{
	json_t *a = json_array();
	char *end;

	for (const char *p = buf; p && *p && *p != '\n';) {
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			break;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (unsigned long i = lo; i <= hi && i <= UINT16_MAX; i++)
			json_array_append_new(a, json_integer((json_int_t)i));
		p = *end == ',' ? end + 1 : end;
	}
	return a;
}

static json_t *cpuset_object(const struct berth_cgroup_dir *dir)
{
	static const char *const fields[][2] = {
		{ "cpu_exclusive", "cpuset.cpu_exclusive" },
		{ "mem_hardwall", "cpuset.mem_hardwall" },
		{ "mem_exclusive", "cpuset.mem_exclusive" },
		{ "memory_migrate", "cpuset.memory_migrate" },
		{ "memory_spread_page", "cpuset.memory_spread_page" },
		{ "memory_spread_slab", "cpuset.memory_spread_slab" },
		{ "memory_pressure", "cpuset.memory_pressure" },
		{ "sched_load_balance", "cpuset.sched_load_balance" },
	};
	_cleanup_free_ char *cpus = read_opt(dir, "cpuset.cpus");
	_cleanup_free_ char *mems = read_opt(dir, "cpuset.mems");
	_cleanup_free_ char *relax = read_opt(dir, "cpuset.sched_relax_domain_level");
	json_t *o = json_object();

	put_array(o, "cpus", list_to_array(cpus));
	put_array(o, "mems", list_to_array(mems));
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		put(o, fields[i][0], read_u64_opt(dir, fields[i][1]), false);
	json_object_set_new(o, "sched_relax_domain_level", json_integer(relax ? strtoll(relax, NULL, 10) : 0));
	return o;
}

/* --- memory --------------------------------------------------------------------------- */

static json_t *memory_entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
	json_t *e = json_object();

	put(e, "limit", limit, false);
	put(e, "usage", usage, true);
	put(e, "max", max, true);
	put(e, "failcnt", failcnt, false);
	return e;
}

/* memory, memory.memsw, memory.kmem, memory.kmem.tcp */
static json_t *v1_memory_entry(const struct berth_cgroup_dir *dir, const char *prefix)
{
	char usage[64], max[64], failcnt[64], limit[64];

	snprintf(usage, sizeof(usage), "%s.usage_in_bytes", prefix);
	snprintf(max, sizeof(max), "%s.max_usage_in_bytes", prefix);
	snprintf(failcnt, sizeof(failcnt), "%s.failcnt", prefix);
	snprintf(limit, sizeof(limit), "%s.limit_in_bytes", prefix);
	return memory_entry(read_u64_opt(dir, limit), read_u64_opt(dir, usage), read_u64_opt(dir, max),
			    read_u64_opt(dir, failcnt));
}

static json_t *memory_object(json_t *usage, json_t *swap, json_t *kernel, json_t *kernel_tcp, char *stat,
			     const char *cache_key)
{
	json_t *m = json_object();

	put(m, "cache", keyed_opt(stat, cache_key), true);
	json_object_set_new(m, "usage", usage);
	json_object_set_new(m, "swap", swap);
	json_object_set_new(m, "kernel", kernel);
	json_object_set_new(m, "kernelTCP", kernel_tcp);
	if (stat)
		json_object_set_new(m, "raw", keyed_to_object(stat));
	return m;
}

static json_t *v1_memory(struct berth_cgroup *cg)
{
	const struct berth_cgroup_dir *dir = berth_cgroup_v1_dir(cg, "memory");
	_cleanup_free_ char *stat = read_opt(dir, "memory.stat");

	return memory_object(v1_memory_entry(dir, "memory"), v1_memory_entry(dir, "memory.memsw"),
			     v1_memory_entry(dir, "memory.kmem"), v1_memory_entry(dir, "memory.kmem.tcp"), stat,
			     "cache");
}

static json_t *v2_memory(const struct berth_cgroup_dir *dir)
{
	_cleanup_free_ char *stat = read_opt(dir, "memory.stat");
	uint64_t usage = read_u64_opt(dir, "memory.current"), limit = read_u64_opt(dir, "memory.max");
	uint64_t swap = read_u64_opt(dir, "memory.swap.current"), swap_limit = read_u64_opt(dir, "memory.swap.max");

	/* v1 reports memory+swap as "swap": add memory in, and leave the peak out as runc does */
	if (swap_limit != UINT64_MAX && limit != UINT64_MAX)
		swap_limit += limit;
	else
		swap_limit = UINT64_MAX;
	return memory_object(memory_entry(limit, usage, read_u64_opt(dir, "memory.peak"), 0),
			     memory_entry(swap_limit, swap + usage, 0, 0), memory_entry(0, 0, 0, 0),
			     memory_entry(0, 0, 0, 0), stat, "file");
}

/* --- pids -------------------------------------------------------------------------------- */

static json_t *pids_object(const struct berth_cgroup_dir *dir)
{
	json_t *p = json_object();
	uint64_t limit = read_u64_opt(dir, "pids.max");

	put(p, "current", read_u64_opt(dir, "pids.current"), true);
	/* "max" reads as no limit: 0, left out */
	put(p, "limit", limit == UINT64_MAX ? 0 : limit, true);
	return p;
}

/* --- blkio ---------------------------------------------------------------------------------- */

static json_t *blkio_entry(uint64_t major, uint64_t minor, const char *op, uint64_t value)
{
	json_t *e = json_object();

	put(e, "major", major, true);
	put(e, "minor", minor, true);
	if (op && op[0])
		json_object_set_new(e, "op", json_string(op));
	put(e, "value", value, true);
	return e;
}

/* "8:0 Read 4096" (or "8:0 4096") lines; "Total N" skipped */
static json_t *v1_blkio_entries(const char *buf)
{
	json_t *a = json_array();

	for (const char *line = buf; line && *line;) {
		const char *nl = strchrnul(line, '\n');
		unsigned long long major, minor, value;
		char op[32];

		if (sscanf(line, "%llu:%llu %31s %llu", &major, &minor, op, &value) == 4)
			json_array_append_new(a, blkio_entry(major, minor, op, value));
		else if (sscanf(line, "%llu:%llu %llu", &major, &minor, &value) == 3)
			json_array_append_new(a, blkio_entry(major, minor, NULL, value));
		line = *nl ? nl + 1 : nl;
	}
	return a;
}

static json_t *v1_blkio(struct berth_cgroup *cg)
{
	static const char *const tables[][2] = {
		{ "ioServiceBytesRecursive", "io_service_bytes_recursive" },
		{ "ioServicedRecursive", "io_serviced_recursive" },
		{ "ioQueueRecursive", "io_queued_recursive" },
		{ "ioServiceTimeRecursive", "io_service_time_recursive" },
		{ "ioWaitTimeRecursive", "io_wait_time_recursive" },
		{ "ioMergedRecursive", "io_merged_recursive" },
		{ "ioTimeRecursive", "time_recursive" },
		{ "sectorsRecursive", "sectors_recursive" },
	};
	const struct berth_cgroup_dir *dir = berth_cgroup_v1_dir(cg, "blkio");
	const char *prefix = "blkio.throttle.";
	json_t *b = json_object();

	if (!dir)
		return b;
	/* CFQ's statistics, else BFQ's, else the throttling layer's, as runc */
	if (berth_cgroup_file_exists(dir, "blkio.io_serviced_recursive"))
		prefix = "blkio.";
	else if (berth_cgroup_file_exists(dir, "blkio.bfq.io_serviced_recursive"))
		prefix = "blkio.bfq.";
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		_cleanup_free_ char *file = berth_xasprintf("%s%s", prefix, tables[i][1]);
		_cleanup_free_ char *buf = read_opt(dir, file);

		put_array(b, tables[i][0], v1_blkio_entries(buf));
	}
	return b;
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" */
static json_t *v2_blkio(const struct berth_cgroup_dir *dir)
{
	_cleanup_free_ char *buf = read_opt(dir, "io.stat");
	json_t *bytes = json_array(), *ios = json_array(), *b = json_object();

	for (char *line = buf, *save = NULL, *l; buf && (l = strtok_r(line, "\n", &save)); line = NULL) {
		unsigned long long major, minor, v;
		char *tok, *tsave = NULL;

		if (sscanf(l, "%llu:%llu", &major, &minor) != 2)
			continue;
		strtok_r(l, " ", &tsave);
		while ((tok = strtok_r(NULL, " ", &tsave))) {
			if (sscanf(tok, "rbytes=%llu", &v) == 1)
				json_array_append_new(bytes, blkio_entry(major, minor, "Read", v));
			else if (sscanf(tok, "wbytes=%llu", &v) == 1)
				json_array_append_new(bytes, blkio_entry(major, minor, "Write", v));
			else if (sscanf(tok, "rios=%llu", &v) == 1)
				json_array_append_new(ios, blkio_entry(major, minor, "Read", v));
			else if (sscanf(tok, "wios=%llu", &v) == 1)
				json_array_append_new(ios, blkio_entry(major, minor, "Write", v));
		}
	}
	put_array(b, "ioServiceBytesRecursive", bytes);
	put_array(b, "ioServicedRecursive", ios);
	return b;
}

/* --- hugetlb -------------------------------------------------------------------------------- */

/* "hugepages-2048kB" -> "2MB", as runc's HugePageSizes() */
static char *pagesize_name(const char *dname)
{
	unsigned long long kb;

	if (sscanf(dname, "hugepages-%llukB", &kb) != 1 || kb == 0)
		return NULL;
	if (kb % (1024 * 1024) == 0)
		return berth_xasprintf("%lluGB", kb / (1024 * 1024));
	if (kb % 1024 == 0)
		return berth_xasprintf("%lluMB", kb / 1024);
	return berth_xasprintf("%lluKB", kb);
}

static json_t *hugetlb_object(const struct berth_cgroup_dir *dir, bool v1)
{
	json_t *h = json_object();
	struct dirent *de;
	DIR *d;

	if (!dir || !(d = opendir(HUGEPAGES_DIR)))
		return h;
	while ((de = readdir(d))) {
		_cleanup_free_ char *size = pagesize_name(de->d_name), *file = NULL, *events = NULL;
		json_t *e;

		if (!size)
			continue;
		e = json_object();
		if (v1) {
			file = berth_xasprintf("hugetlb.%s.usage_in_bytes", size);
			put(e, "usage", read_u64_opt(dir, file), true);
			free(file);
			file = berth_xasprintf("hugetlb.%s.max_usage_in_bytes", size);
			put(e, "max", read_u64_opt(dir, file), true);
			free(file);
			file = berth_xasprintf("hugetlb.%s.failcnt", size);
			put(e, "failcnt", read_u64_opt(dir, file), false);
		} else {
			file = berth_xasprintf("hugetlb.%s.current", size);
			put(e, "usage", read_u64_opt(dir, file), true);
			free(file);
			file = berth_xasprintf("hugetlb.%s.events", size);
			events = read_opt(dir, file);
			put(e, "failcnt", keyed_opt(events, "max"), false);
		}
		json_object_set_new(h, size, e);
	}
	closedir(d);
	return h;
}

/* --- top level --------------------------------------------------------------------------------- */

static json_t *stats_object(json_t *cpu, json_t *cpuset, json_t *memory, json_t *pids, json_t *blkio, json_t *hugetlb)
{
	json_t *s = json_object();

	json_object_set_new(s, "cpu", cpu);
	json_object_set_new(s, "cpuset", cpuset);
	json_object_set_new(s, "memory", memory);
	json_object_set_new(s, "pids", pids);
	json_object_set_new(s, "blkio", blkio);
	json_object_set_new(s, "hugetlb", hugetlb);
	json_object_set_new(s, "intel_rdt", json_object());
	json_object_set_new(s, "network_interfaces", json_null());
	return s;
}

int berth_cgroup_v1_stats(struct berth_cgroup *cg, json_t **ret, struct berth_error *err)
{
	const struct berth_cgroup_dir *hugetlb = berth_cgroup_v1_dir(cg, "hugetlb");
	bool hugetlb_v1 = hugetlb != NULL;

	/* hybrid hosts may keep hugetlb on the cgroup2 mount */
	if (!hugetlb)
		hugetlb = berth_cgroup_unified_dir(cg);
	*ret = stats_object(v1_cpu(cg), cpuset_object(berth_cgroup_v1_dir(cg, "cpuset")), v1_memory(cg),
			    pids_object(berth_cgroup_v1_dir(cg, "pids")), v1_blkio(cg), hugetlb_object(hugetlb, hugetlb_v1));
	return 0;
}

int berth_cgroup_v2_stats(struct berth_cgroup *cg, json_t **ret, struct berth_error *err)
{
	const struct berth_cgroup_dir *dir = berth_cgroup_unified_dir(cg);
	json_t *cpuset = json_object();

	if (!dir)
		return berth_error_setx(err, ENOENT, "cgroup `%s` does not exist", cg->location);
	/* runc has no cpuset statistics on v2: the zeros its Go struct gives */
	put(cpuset, "cpu_exclusive", 0, false);
	put(cpuset, "mem_hardwall", 0, false);
	put(cpuset, "mem_exclusive", 0, false);
	put(cpuset, "memory_migrate", 0, false);
	put(cpuset, "memory_spread_page", 0, false);
	put(cpuset, "memory_spread_slab", 0, false);
	put(cpuset, "memory_pressure", 0, false);
	put(cpuset, "sched_load_balance", 0, false);
	put(cpuset, "sched_relax_domain_level", 0, false);
	*ret = stats_object(v2_cpu(dir), cpuset, v2_memory(dir), pids_object(dir), v2_blkio(dir),
			    hugetlb_object(dir, false));
	return 0;
}

/* --- OOM kills -------------------------------------------------------------------------------------- */

int berth_cgroup_v1_oom_count(struct berth_cgroup *cg, uint64_t *ret, struct berth_error *err)
{
	const struct berth_cgroup_dir *dir = berth_cgroup_v1_dir(cg, "memory");
	_cleanup_free_ char *buf = NULL;
	int r;

	*ret = 0;
	if (!dir)
		return 0;
	r = berth_cgroup_read(dir, "memory.oom_control", &buf, err);
	if (r < 0)
		return r;
	/* oom_kill since Linux 4.13; before, only whether the cgroup is under OOM now */
	if (!berth_cgroup_keyed_value(buf, "oom_kill", ret))
		berth_cgroup_keyed_value(buf, "under_oom", ret);
	return 0;
}

int berth_cgroup_v2_oom_count(struct berth_cgroup *cg, uint64_t *ret, struct berth_error *err)
{
	const struct berth_cgroup_dir *dir = berth_cgroup_unified_dir(cg);
	_cleanup_free_ char *buf = NULL;
	int r;

	*ret = 0;
	if (!dir || !berth_cgroup_file_exists(dir, "memory.events"))
		return 0;
	r = berth_cgroup_read(dir, "memory.events", &buf, err);
	if (r < 0)
		return r;
	berth_cgroup_keyed_value(buf, "oom_kill", ret);
	return 0;
}
