/*
 * systemd cgroup driver (--systemd-cgroup), after runc's
 * libcontainer/cgroups/systemd and crun's cgroup-systemd.c.
 *
 * With systemd as PID 1 a container's cgroup must belong to a unit, or
 * systemd may move or remove it.  cgroupsPath "slice:prefix:name" names the
 * transient scope "<prefix>-<name>.scope" in the slice; berth_cgroup_create()
 * gets its cgroup path (berth_cgroup_path_resolve()) and the unit is its last
 * component.
 *
 * create: systemd refuses an empty scope, and berth's init joins its cgroup
 * itself, before it runs anything (cgroup-self-enter.c).  So a placeholder
 * child is put in the scope: StartTransientUnit(PIDs=[placeholder],
 * Delegate=yes, Slice=..., accounting on), wait for the job (JobRemoved),
 * then make the directories systemd did not (v1 hierarchies systemd does not
 * manage: freezer, cpuset, net_cls, ...).  The placeholder is killed by
 * berth_cgroup_drop_placeholder() once the init is in.
 *
 * apply_resources: the memory, cpu, pids and io limits as unit properties
 * (SetUnitProperties, runtime), so systemd's view matches and a daemon-reload
 * keeps them; then the cgroupfs code writes everything (Delegate=yes makes
 * that legal), as runc does.  The device rules go to systemd as well
 * (DevicePolicy=, DeviceAllow=; see append_devices()).
 *
 * destroy: StopUnit and wait, ResetFailedUnit, then remove what is left
 * (directories systemd does not manage).  A unit that is already gone (the
 * scope stops by itself when its last process exits) is fine.
 *
 * The bus: the system bus (dbus-daemon), as runc and crun; when it is not
 * there and we are root, systemd's private socket, as systemctl does.
 */
#include "cgroups/cgroup-internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth-config.h"
#include "cgroups/devices.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* The check sd_booted() does: systemd creates this directory early at boot. */
#define SYSTEMD_RUNNING_DIR "/run/systemd/system"

#if !BERTH_HAVE_SYSTEMD

int berth_cgroup_systemd_check(struct berth_error *err)
{
	return berth_error_setx(err, ENOTSUP, "systemd cgroup driver requested but berth was built without systemd "
					      "support (libsystemd)");
}

void berth_cgroup_systemd_release(struct berth_cgroup *cg)
{
}

void berth_cgroup_systemd_drop_placeholder(struct berth_cgroup *cg)
{
}

static int systemd_create(struct berth_cgroup *cg, struct berth_error *err)
{
	return berth_cgroup_systemd_check(err);
}

/* a container made by a build with systemd support: its directories can still go */
static int systemd_destroy(struct berth_cgroup *cg, struct berth_error *err)
{
	return cg->fs_ops->destroy(cg, err);
}

static int systemd_apply_resources(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, bool update,
				   struct berth_error *err)
{
	return berth_cgroup_systemd_check(err);
}

#else

#include <systemd/sd-bus.h>

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_PRIVATE_ADDRESS "unix:path=/run/systemd/private"

/* as runc: how long to wait for systemd to run a job */
#define JOB_TIMEOUT_USEC (30ULL * 1000 * 1000)
#define USEC_INFINITY UINT64_MAX
/* runc's default when a quota comes without a period */
#define DEFAULT_CPU_PERIOD 100000

static inline void bus_errorp(sd_bus_error *e)
{
	sd_bus_error_free(e);
}

static inline void bus_messagep(sd_bus_message **m)
{
	sd_bus_message_unref(*m);
}

static inline void bus_slotp(sd_bus_slot **s)
{
	sd_bus_slot_unref(*s);
}

#define _cleanup_bus_error_ _cleanup_(bus_errorp)
#define _cleanup_bus_message_ _cleanup_(bus_messagep)
#define _cleanup_bus_slot_ _cleanup_(bus_slotp)

int berth_cgroup_systemd_check(struct berth_error *err)
{
	if (access(SYSTEMD_RUNNING_DIR, F_OK) < 0)
		return berth_error_setx(err, ENOTSUP,
					"systemd cgroup driver requested but systemd is not running (%s missing)",
					SYSTEMD_RUNNING_DIR);
	return 0;
}

void berth_cgroup_systemd_drop_placeholder(struct berth_cgroup *cg)
{
	if (cg->placeholder <= 0)
		return;
	kill(cg->placeholder, SIGKILL);
	while (waitpid(cg->placeholder, NULL, 0) < 0 && errno == EINTR)
		;
	cg->placeholder = 0;
}

void berth_cgroup_systemd_release(struct berth_cgroup *cg)
{
	berth_cgroup_systemd_drop_placeholder(cg);
	cg->bus = sd_bus_flush_close_unref(cg->bus);
	cg->bus_subscribed = false;
}

/*
 * The message of a failed call.  NoSuchUnit reads as ENOENT and UnitExists
 * as EEXIST, for the callers that accept them.
 */
static int bus_fail(struct berth_error *err, int r, const sd_bus_error *e, const char *what)
{
	if (!e || !sd_bus_error_is_set(e))
		return berth_error_set(err, -r, "%s", what);
	if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
		r = -ENOENT;
	else if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists"))
		r = -EEXIST;
	return berth_error_setx(err, -r, "%s: %s", what, e->message ? e->message : e->name);
}

static int bus_connect(struct berth_cgroup *cg, struct berth_error *err)
{
	sd_bus *bus = NULL;
	int r;

	if (cg->bus)
		return 0;
	if ((r = berth_sd_bus_load(err)) < 0)
		return r;
	r = sd_bus_open_system(&bus);
	if (r >= 0) {
		cg->bus = bus;
		return 0;
	}
	/* no dbus-daemon: root may talk to systemd directly */
	if (geteuid() == 0) {
		int r2 = sd_bus_new(&bus);

		if (r2 >= 0)
			r2 = sd_bus_set_address(bus, SD_PRIVATE_ADDRESS);
		if (r2 >= 0)
			r2 = sd_bus_start(bus);
		if (r2 >= 0) {
			cg->bus = bus;
			return 0;
		}
		sd_bus_unref(bus);
	}
	return berth_error_set(err, -r, "connect to the system bus (for the systemd cgroup driver)");
}

static int call_manager(struct berth_cgroup *cg, const char *method, sd_bus_message **ret, struct berth_error *err,
			const char *types, ...)
{
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_bus_message_ sd_bus_message *m = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(cg->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, method);
	if (r >= 0 && types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r < 0)
		return berth_error_set(err, -r, "build %s call", method);
	r = sd_bus_call(cg->bus, m, JOB_TIMEOUT_USEC, &e, ret);
	if (r < 0)
		return bus_fail(err, r, &e, method);
	return 0;
}

/* Waiting for a job: JobRemoved signals (subscribed before the call) say when and how it ended. */
struct job_wait {
	char *path;   /* the job to wait for, from the method's reply */
	char *result; /* its result, once removed */
	char **removed_paths, **removed_results; /* jobs removed before we knew the path */
};

static void job_wait_release(struct job_wait *w)
{
	free(w->path);
	free(w->result);
	berth_strv_free(w->removed_paths);
	berth_strv_free(w->removed_results);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct job_wait *w = userdata;
	const char *path, *unit, *result;
	uint32_t id;

	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	berth_strv_push(&w->removed_paths, path);
	berth_strv_push(&w->removed_results, result);
	return 0;
}

static int job_subscribe(struct berth_cgroup *cg, struct job_wait *w, sd_bus_slot **ret_slot, struct berth_error *err)
{
	int r;

	/* on the private socket there is no bus daemon: signals come without a sender */
	r = sd_bus_match_signal(cg->bus, ret_slot, sd_bus_is_bus_client(cg->bus) ? SD_DEST : NULL, SD_PATH, SD_MANAGER,
				"JobRemoved", on_job_removed, w);
	if (r < 0)
		return berth_error_set(err, -r, "subscribe to systemd job signals");
	/* systemd sends no job signals to a client that did not ask; asking twice is an error */
	if (cg->bus_subscribed)
		return 0;
	r = call_manager(cg, "Subscribe", NULL, err, NULL);
	if (r < 0)
		return r;
	cg->bus_subscribed = true;
	return 0;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int job_wait(struct berth_cgroup *cg, struct job_wait *w, const char *what, struct berth_error *err)
{
	uint64_t start = now_usec(), now;
	int r;

	for (;;) {
		for (size_t i = 0; w->removed_paths && w->removed_paths[i]; i++)
			if (strcmp(w->removed_paths[i], w->path) == 0) {
				if (strcmp(w->removed_results[i], "done") != 0)
					return berth_error_setx(err, EIO, "%s: systemd job failed (result `%s`)", what,
								w->removed_results[i]);
				return 0;
			}
		r = sd_bus_process(cg->bus, NULL);
		if (r < 0)
			return berth_error_set(err, -r, "%s: read from the bus", what);
		if (r > 0)
			continue;
		now = now_usec();
		if (now - start >= JOB_TIMEOUT_USEC)
			return berth_error_setx(err, ETIMEDOUT, "%s: timed out waiting for systemd", what);
		r = sd_bus_wait(cg->bus, JOB_TIMEOUT_USEC - (now - start));
		if (r < 0)
			return berth_error_set(err, -r, "%s: wait for the bus", what);
	}
}

/* Append one (sv) property; type is one basic D-Bus type. */
static int prop_basic(sd_bus_message *m, const char *name, char type, const void *value)
{
	char t[2] = { type, '\0' };
	int r;

	r = sd_bus_message_open_container(m, 'r', "sv");
	if (r >= 0)
		r = sd_bus_message_append_basic(m, 's', name);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', t);
	if (r >= 0)
		r = sd_bus_message_append_basic(m, type, value);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

static int prop_u64(sd_bus_message *m, const char *name, uint64_t v)
{
	return prop_basic(m, name, 't', &v);
}

static int prop_bool(sd_bus_message *m, const char *name, bool v)
{
	int b = v;

	return prop_basic(m, name, 'b', &b);
}

static int prop_str(sd_bus_message *m, const char *name, const char *v)
{
	return prop_basic(m, name, 's', v);
}

/* runc: memory -1 (or u64 max) is unlimited */
static uint64_t mem_value(int64_t v)
{
	return v < 0 ? USEC_INFINITY : (uint64_t)v;
}

/* runc's addCpuQuota: microseconds per second, rounded up to whole percents (10 ms) */
static int append_cpu_quota(sd_bus_message *m, const struct berth_cgroup_cpu *c)
{
	uint64_t period = c->period.set ? c->period.value : 0;
	int64_t quota = c->quota.set ? c->quota.value : 0;
	uint64_t per_sec = USEC_INFINITY;
	int r = 0;

	if (period)
		r = prop_u64(m, "CPUQuotaPeriodUSec", period);
	if (r < 0 || (quota == 0 && period == 0))
		return r;
	if (quota > 0) {
		per_sec = (uint64_t)quota * 1000000 / (period ? period : DEFAULT_CPU_PERIOD);
		if (per_sec % 10000)
			per_sec = (per_sec / 10000 + 1) * 10000;
	}
	return prop_u64(m, "CPUQuotaPerSecUSec", per_sec);
}

/* The name /proc/devices gives a major number of type 'c' or 'b' (runc's findDeviceGroup); NULL if none. */
static char *device_group(char type, int64_t major)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/devices", "re");
	_cleanup_free_ char *line = NULL;
	bool in_section = false;
	size_t size = 0;

	if (!f)
		return NULL;
	while (getline(&line, &size, f) > 0) {
		char name[256];
		long long m;

		if (strncmp(line, "Character devices:", 18) == 0 || strncmp(line, "Block devices:", 14) == 0) {
			in_section = line[0] == (type == 'c' ? 'C' : 'B');
			continue;
		}
		/* "char-/dev/vc/0" would be no valid DeviceAllow= */
		if (in_section && sscanf(line, "%lld %255s", &m, name) == 2 && m == major && !strchr(name, '/'))
			return berth_xstrdup(name);
	}
	return NULL;
}

static int device_allow_entry(sd_bus_message *m, const struct berth_cgroup_device_rule *d)
{
	const char *kind = d->type == 'b' ? "block" : "char";
	_cleanup_free_ char *path = NULL;

	if (d->major < 0)
		path = berth_xasprintf("%s-*", kind);
	else if (d->minor >= 0)
		path = berth_xasprintf("/dev/%s/%lld:%lld", kind, (long long)d->major, (long long)d->minor);
	else {
		_cleanup_free_ char *group = device_group(d->type, d->major);

		/* systemd names a whole major only by its driver; without one, leave it to our own rules */
		if (!group)
			return 0;
		path = berth_xasprintf("%s-%s", kind, group);
	}
	return sd_bus_message_append(m, "(ss)", path, d->access);
}

/*
 * The device rules as DevicePolicy= and DeviceAllow= (runc's
 * generateDeviceProperties): without them systemd writes "allow all" to a v1
 * scope whenever it re-applies the unit (daemon-reload, SetUnitProperties).
 * An allow-all default with exceptions (a deny list) systemd cannot express:
 * it gets deny-all, like in runc, and our own rules stay the ones in force.
 */
static int append_devices(sd_bus_message *m, const struct berth_cgroup_resources *res, struct berth_error *err)
{
	struct berth_cgroup_device_state st = { 0 };
	bool allow_all;
	int r;

	r = berth_cgroup_devices_state_for(res, &st, err);
	if (r < 0)
		return r;
	allow_all = st.default_allow && st.n_exceptions == 0;
	r = prop_str(m, "DevicePolicy", allow_all ? "auto" : "strict");
	/* an empty list first: a non-empty one would be added to what the unit has */
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)", "DeviceAllow", "a(ss)", 0);
	if (r >= 0 && !st.default_allow) {
		r = sd_bus_message_open_container(m, 'r', "sv");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", "DeviceAllow");
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'v', "a(ss)");
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'a', "(ss)");
		for (size_t i = 0; r >= 0 && i < st.n_exceptions; i++)
			r = device_allow_entry(m, &st.exceptions[i]);
		for (int k = 0; r >= 0 && k < 3; k++)
			r = sd_bus_message_close_container(m);
	}
	berth_cgroup_device_state_release(&st);
	if (r < 0)
		return berth_error_set(err, -r, "build device properties");
	return 0;
}

/* The limits systemd knows about, in its terms (runc's genV1/genV2ResourcesProperties). */
static int append_resources(sd_bus_message *m, bool unified, const struct berth_cgroup_resources *res,
			    bool update, size_t *n, struct berth_error *err)
{
	const struct berth_cgroup_memory *mem = &res->memory;
	const struct berth_cgroup_cpu *c = &res->cpu;
	int r = 0;

#define ADD(call)                 \
	do {                      \
		if (r >= 0) {     \
			r = call; \
			(*n)++;   \
		}                 \
	} while (0)
	if (mem->limit.set && mem->limit.value)
		ADD(prop_u64(m, unified ? "MemoryMax" : "MemoryLimit", mem_value(mem->limit.value)));
	if (unified && mem->reservation.set && mem->reservation.value)
		ADD(prop_u64(m, "MemoryLow", mem_value(mem->reservation.value)));
	if (unified && mem->swap.set && mem->swap.value) {
		int64_t swap;

		r = berth_cgroup_swap_to_v2(mem->swap.value, mem->limit.set ? mem->limit.value : 0, &swap, err);
		if (r < 0)
			return r;
		ADD(prop_u64(m, "MemorySwapMax", mem_value(swap)));
	}
	if (c->shares.set && c->shares.value) {
		if (unified)
			ADD(prop_u64(m, "CPUWeight", berth_cgroup_shares_to_weight(c->shares.value)));
		else
			ADD(prop_u64(m, "CPUShares", c->shares.value));
	}
	if ((c->quota.set && c->quota.value) || (c->period.set && c->period.value))
		ADD(append_cpu_quota(m, c));
	if (res->block_io.weight.set && res->block_io.weight.value) {
		if (unified)
			ADD(prop_u64(m, "IOWeight", berth_cgroup_blkio_weight_to_io(res->block_io.weight.value)));
		else
			ADD(prop_u64(m, "BlockIOWeight", res->block_io.weight.value));
	}
	if (res->pids.limit.set && res->pids.limit.value)
		ADD(prop_u64(m, "TasksMax", res->pids.limit.value < 0 ? UINT64_MAX : (uint64_t)res->pids.limit.value));
#undef ADD
	if (r < 0)
		return berth_error_set(err, -r, "build unit properties");
	/* as the cgroupfs code: at create always (the defaults), on update when given */
	if (!update || res->has_devices) {
		r = append_devices(m, res, err);
		if (r < 0)
			return r;
		(*n)++;
	}
	return 0;
}

/* The unit's slice: the parent directory's name, "-.slice" for the root. */
static char *unit_slice(const char *path)
{
	const char *end = strrchr(path, '/'), *start = end;

	while (start > path && start[-1] != '/')
		start--;
	if (start == end)
		return berth_xstrdup("-.slice");
	return berth_xstrndup(start, (size_t)(end - start));
}

static int start_unit_once(struct berth_cgroup *cg, struct berth_error *err)
{
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_bus_slot_ sd_bus_slot *slot = NULL;
	_cleanup_(job_wait_release) struct job_wait w = { 0 };
	_cleanup_free_ char *slice = unit_slice(cg->dirs[0].path);
	_cleanup_free_ char *desc = berth_xasprintf("berth container %s", cg->unit);
	bool unified = cg->mode == BERTH_CGROUP_UNIFIED;
	uint32_t pid = (uint32_t)cg->placeholder;
	const char *job;
	int r;

	r = job_subscribe(cg, &w, &slot, err);
	if (r < 0)
		return r;
	r = sd_bus_message_new_method_call(cg->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", cg->unit, "replace");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = prop_str(m, "Description", desc);
	/* a slice cannot be in a slice of its own name; "-.slice" needs no Slice= */
	if (r >= 0 && strcmp(slice, "-.slice") != 0)
		r = prop_str(m, "Slice", slice);
	if (r >= 0)
		r = prop_bool(m, "Delegate", true);
	if (r >= 0)
		r = prop_bool(m, "DefaultDependencies", false);
	if (r >= 0)
		r = prop_bool(m, "MemoryAccounting", true);
	if (r >= 0)
		r = prop_bool(m, "CPUAccounting", true);
	if (r >= 0)
		r = prop_bool(m, unified ? "IOAccounting" : "BlockIOAccounting", true);
	if (r >= 0)
		r = prop_bool(m, "TasksAccounting", true);
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, pid);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r < 0)
		return berth_error_set(err, -r, "build StartTransientUnit call");

	r = sd_bus_call(cg->bus, m, JOB_TIMEOUT_USEC, &e, &reply);
	if (r < 0)
		return bus_fail(err, r, &e, "StartTransientUnit");
	r = sd_bus_message_read(reply, "o", &job);
	if (r < 0)
		return berth_error_set(err, -r, "read StartTransientUnit reply");
	w.path = berth_xstrdup(job);
	return job_wait(cg, &w, "start unit", err);
}

static int stop_unit(struct berth_cgroup *cg, struct berth_error *err)
{
	_cleanup_bus_message_ sd_bus_message *reply = NULL;
	_cleanup_bus_slot_ sd_bus_slot *slot = NULL;
	_cleanup_(job_wait_release) struct job_wait w = { 0 };
	const char *job;
	int r;

	r = job_subscribe(cg, &w, &slot, err);
	if (r < 0)
		return r;
	r = call_manager(cg, "StopUnit", &reply, err, "ss", cg->unit, "replace");
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "o", &job);
	if (r < 0)
		return berth_error_set(err, -r, "read StopUnit reply");
	w.path = berth_xstrdup(job);
	return job_wait(cg, &w, "stop unit", err);
}

/* A failed unit stays loaded and keeps its name taken: let systemd forget it (errors ignored). */
static void reset_failed(struct berth_cgroup *cg)
{
	_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;

	call_manager(cg, "ResetFailedUnit", NULL, &ignored, "s", cg->unit);
}

/* A child that only waits to be killed: the scope's first process (see top of file). */
static int spawn_placeholder(struct berth_cgroup *cg, struct berth_error *err)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0)
		return berth_error_set(err, errno, "fork systemd scope placeholder");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		for (;;)
			pause();
	}
	cg->placeholder = pid;
	return 0;
}

static int systemd_create(struct berth_cgroup *cg, struct berth_error *err)
{
	int r;

	r = bus_connect(cg, err);
	if (r < 0)
		return r;
	r = spawn_placeholder(cg, err);
	if (r < 0)
		return r;
	r = start_unit_once(cg, err);
	if (r == -EEXIST) {
		/* as runc: maybe a failed leftover; reset it and try once more */
		berth_error_release(err);
		reset_failed(cg);
		r = start_unit_once(cg, err);
	}
	if (r < 0) {
		berth_cgroup_systemd_drop_placeholder(cg);
		if (r == -EEXIST)
			return berth_error_setx(err, EEXIST, "systemd unit `%s` already exists", cg->unit);
		return berth_error_prefix(err, "systemd unit `%s`", cg->unit);
	}
	/* systemd made the directories of the hierarchies it manages; the walk makes the others */
	r = cg->fs_ops->create(cg, err);
	if (r < 0) {
		_cleanup_error_ struct berth_error ignored = BERTH_ERROR_INIT;

		berth_cgroup_systemd_drop_placeholder(cg);
		stop_unit(cg, &ignored);
		reset_failed(cg);
	}
	return r;
}

static int systemd_destroy(struct berth_cgroup *cg, struct berth_error *err)
{
	int r;

	berth_cgroup_systemd_drop_placeholder(cg);
	if (!cg->unit)
		return cg->fs_ops->destroy(cg, err);
	r = bus_connect(cg, err);
	if (r >= 0)
		r = stop_unit(cg, err);
	/* the scope stops by itself once its last process exits */
	if (r == -ENOENT) {
		berth_error_release(err);
		r = 0;
	}
	if (r < 0)
		return berth_error_prefix(err, "systemd unit `%s`", cg->unit);
	reset_failed(cg);
	return cg->fs_ops->destroy(cg, err);
}

static int set_properties(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, bool update,
			  struct berth_error *err)
{
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_bus_message_ sd_bus_message *m = NULL;
	size_t n = 0;
	int r;

	r = sd_bus_message_new_method_call(cg->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "SetUnitProperties");
	if (r >= 0)
		r = sd_bus_message_append(m, "sb", cg->unit, 1);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r < 0)
		return berth_error_set(err, -r, "build SetUnitProperties call");
	r = append_resources(m, cg->mode == BERTH_CGROUP_UNIFIED, res, update, &n, err);
	if (r < 0)
		return r;
	if (n == 0)
		return 0;
	r = sd_bus_message_close_container(m);
	if (r < 0)
		return berth_error_set(err, -r, "build SetUnitProperties call");
	r = sd_bus_call(cg->bus, m, JOB_TIMEOUT_USEC, &e, NULL);
	if (r < 0)
		return bus_fail(err, r, &e, "SetUnitProperties");
	return 0;
}

static int systemd_apply_resources(struct berth_cgroup *cg, const struct berth_cgroup_resources *res, bool update,
				   struct berth_error *err)
{
	int r;

	if (cg->unit) {
		r = bus_connect(cg, err);
		if (r >= 0)
			r = set_properties(cg, res, update, err);
		if (r < 0)
			return berth_error_prefix(err, "systemd unit `%s`", cg->unit);
	}
	return cg->fs_ops->apply_resources(cg, res, update, err);
}

#endif

static int systemd_enter(struct berth_cgroup *cg, pid_t pid, struct berth_error *err)
{
	return cg->fs_ops->enter(cg, pid, err);
}

static int systemd_get_pids(struct berth_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error *err)
{
	return cg->fs_ops->get_pids(cg, ret, ret_n, err);
}

static int systemd_kill_all(struct berth_cgroup *cg, int signo, struct berth_error *err)
{
	return cg->fs_ops->kill_all(cg, signo, err);
}

static int systemd_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error *err)
{
	return cg->fs_ops->freeze(cg, frozen, err);
}

static int systemd_is_frozen(struct berth_cgroup *cg, bool *ret, struct berth_error *err)
{
	return cg->fs_ops->is_frozen(cg, ret, err);
}

static int systemd_stats(struct berth_cgroup *cg, json_t **ret, struct berth_error *err)
{
	return cg->fs_ops->stats(cg, ret, err);
}

static int systemd_oom_count(struct berth_cgroup *cg, uint64_t *ret, struct berth_error *err)
{
	return cg->fs_ops->oom_count(cg, ret, err);
}

const struct berth_cgroup_ops berth_cgroup_ops_systemd = {
	.name = "systemd",
	.create = systemd_create,
	.enter = systemd_enter,
	.get_pids = systemd_get_pids,
	.kill_all = systemd_kill_all,
	.destroy = systemd_destroy,
	.apply_resources = systemd_apply_resources,
	.freeze = systemd_freeze,
	.is_frozen = systemd_is_frozen,
	.stats = systemd_stats,
	.oom_count = systemd_oom_count,
};
