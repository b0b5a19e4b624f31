/* What a container is doing now: reconcile the row, docker's status words, inspect. */
#include "engine/container.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/container-network.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

char *berth_format_time(int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (ns <= 0)
		return berth_xstrdup("0001-01-01T00:00:00Z");
	gmtime_r(&t, &tm);
	return berth_xasprintf("%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			       tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)(ns % 1000000000));
}

int64_t berth_parse_time(const char *s)
{
	struct tm tm = { 0 };
	long long frac = 0;
	int digits = 0;
	const char *p;

	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	p = strchr(s, '.');
	if (p)
		for (p++; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
			frac = frac * 10 + (*p - '0');
	while (digits++ < 9)
		frac *= 10;
	return (int64_t)timegm(&tm) * 1000000000 + frac;
}

char *berth_human_duration(int64_t ns)
{
	int64_t s = ns / 1000000000, m = s / 60, h = m / 60, d = h / 24;

	if (s < 1)
		return berth_xstrdup("Less than a second");
	if (s == 1)
		return berth_xstrdup("1 second");
	if (s < 60)
		return berth_xasprintf("%lld seconds", (long long)s);
	if (m == 1)
		return berth_xstrdup("About a minute");
	if (m < 60)
		return berth_xasprintf("%lld minutes", (long long)m);
	if (h == 1)
		return berth_xstrdup("About an hour");
	if (h < 48)
		return berth_xasprintf("%lld hours", (long long)h);
	if (d < 14)
		return berth_xasprintf("%lld days", (long long)d);
	if (d < 60)
		return berth_xasprintf("%lld weeks", (long long)(d / 7));
	if (d < 365 * 2)
		return berth_xasprintf("%lld months", (long long)(d / 30));
	return berth_xasprintf("%lld years", (long long)(d / 365));
}

char *berth_ctr_status_string(const struct berth_ctr *c, int64_t now)
{
	_cleanup_free_ char *d = NULL;

	switch (c->state) {
	case BERTH_CTR_CREATED:
		return berth_xstrdup("Created");
	case BERTH_CTR_RUNNING:
		d = berth_human_duration(now - c->started_at);
		return berth_xasprintf("Up %s", d);
	case BERTH_CTR_PAUSED:
		d = berth_human_duration(now - c->started_at);
		return berth_xasprintf("Up %s (Paused)", d);
	case BERTH_CTR_EXITED:
		d = berth_human_duration(now - c->finished_at);
		return berth_xasprintf("Exited (%d) %s ago", c->exit_code, d);
	case BERTH_CTR_REMOVING:
		return berth_xstrdup("Removal In Progress");
	default:
		return berth_xstrdup("Dead");
	}
}

/* The monitor's record: {"exitCode":N,"signal":S,"finishedAt":"…"}; -ENOENT when the container has not exited. */
static int read_exit_record(struct berth_engine *e, const char *id, int *ret_code, int64_t *ret_at)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_engine_ctr_path(e, id, "exit.json"), *buf = NULL;
	size_t len;
	json_t *j;

	if (berth_read_file(path, 4096, &buf, &len, &err) < 0)
		return -ENOENT;
	j = json_loads(buf, 0, NULL);
	if (!j)
		return -EINVAL;
	*ret_code = (int)json_integer_value(json_object_get(j, "exitCode"));
	*ret_at = berth_parse_time(json_string_value(json_object_get(j, "finishedAt")));
	json_decref(j);
	return 0;
}

/* The container's monitor still runs: it will write the exit record (it drains output first). */
bool berth_ctr_monitor_alive(pid_t pid)
{
	char path[64], stat[128] = "";
	_cleanup_fclose_ FILE *f = NULL;

	if (pid <= 0 || kill(pid, 0) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f || !fgets(stat, sizeof(stat), f))
		return false;
	/* "PID (berth-monitor) S ...": a killed monitor nobody reaped yet (a zombie) is dead all the same */
	return strstr(stat, " (berth-monitor) ") && !strstr(stat, " (berth-monitor) Z ");
}

/* The parent of pid when it is a live berth-monitor, else 0. */
static pid_t monitor_of(pid_t pid)
{
	char path[64], stat[256] = "";
	_cleanup_fclose_ FILE *f = NULL;
	const char *p;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f || !fgets(stat, sizeof(stat), f) || !(p = strrchr(stat, ')')) || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid > 0 && berth_ctr_monitor_alive(ppid) ? ppid : 0;
}

/*
 * A start killed after the runtime started the process but before the row
 * said so: the row says created, the runtime running.  The runtime is right.
 */
static int refresh_created(struct berth_engine *e, struct berth_ctr *c, struct berth_error *err)
{
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	_cleanup_free_ char *state = NULL;
	const char *status;
	json_t *j;

	if (berth_container_state(e->runtime_root, c->id, &state, &ignore) < 0)
		return 0;
	j = json_loads(state, 0, NULL);
	status = json_string_value(json_object_get(j, "status"));
	if (status && (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0)) {
		c->state = strcmp(status, "running") == 0 ? BERTH_CTR_RUNNING : BERTH_CTR_PAUSED;
		c->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
		c->monitor_pid = monitor_of(c->pid);
		c->exit_code = 0;
		c->started_at = berth_now_ns();
		c->finished_at = 0;
	}
	json_decref(j);
	return c->state != BERTH_CTR_CREATED ? berth_ctr_db_update_state(e->store->db, c, err) : 0;
}

int berth_ctr_refresh(struct berth_engine *e, struct berth_ctr *c, struct berth_error *err)
{
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	_cleanup_free_ char *state = NULL;
	enum berth_ctr_state was = c->state;
	int code = 0;
	int64_t at = 0;

	if (c->state == BERTH_CTR_CREATED)
		return refresh_created(e, c, err);
	if (c->state != BERTH_CTR_RUNNING && c->state != BERTH_CTR_PAUSED)
		return 0;
	if (read_exit_record(e, c->id, &code, &at) == 0) {
		c->state = BERTH_CTR_EXITED;
		c->exit_code = code;
		c->finished_at = at ? at : berth_now_ns();
	} else if (berth_container_state(e->runtime_root, c->id, &state, &ignore) == 0) {
		json_t *j = json_loads(state, 0, NULL);
		const char *status = json_string_value(json_object_get(j, "status"));
		if (status && strcmp(status, "paused") == 0)
			c->state = BERTH_CTR_PAUSED;
		else if (status && strcmp(status, "running") == 0)
			c->state = BERTH_CTR_RUNNING;
		else if (status && strcmp(status, "stopped") == 0 && !berth_ctr_monitor_alive(c->monitor_pid)) {
			/* the init is gone and no monitor recorded it (the monitor was killed): the code is lost */
			c->state = BERTH_CTR_EXITED;
			c->exit_code = 255;
			c->finished_at = berth_now_ns();
		}
		json_decref(j);
	} else if (!berth_ctr_monitor_alive(c->monitor_pid)) {
		/* no runtime state and no record: a crash between start and the runtime (or a reboot) */
		c->state = BERTH_CTR_EXITED;
		c->exit_code = 255;
		c->finished_at = berth_now_ns();
	}
	if (c->state == BERTH_CTR_EXITED)
		c->pid = 0;
	if (c->state != was)
		return berth_ctr_db_update_state(e->store->db, c, err);
	return 0;
}

int berth_ctr_get(struct berth_engine *e, const char *ref, struct berth_ctr *ret, struct berth_error *err)
{
	int r = berth_ctr_db_lookup(e->store->db, ref, ret, err);

	if (r < 0)
		return r;
	if ((r = berth_ctr_refresh(e, ret, err)) < 0)
		berth_ctr_release(ret);
	return r;
}

int berth_ctr_rename(struct berth_engine *e, const char *ref, const char *name, struct berth_error *err)
{
	struct berth_ctr c = { 0 };
	int r;

	if (!berth_ctr_name_valid(name))
		return berth_error_setx(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
					name);
	if ((r = berth_ctr_db_lookup(e->store->db, ref, &c, err)) < 0)
		return r;
	if (strcmp(c.name, name) == 0)
		r = berth_error_setx(err, EINVAL, "Renaming a container with the same name as its current name");
	else
		r = berth_ctr_db_rename(e->store->db, c.id, name, err);
	/* the peers on its networks know it by the new name (container-network.c) */
	if (r == 0)
		r = berth_net_rename(e->net, c.id, name, err);
	berth_ctr_release(&c);
	return r;
}

/* docker's Args when the record has none (records made before it kept them): the command without its first word. */
static json_t *legacy_args(json_t *cfg)
{
	json_t *args = json_array(), *v;
	bool first = true;
	size_t i;

	json_array_foreach(json_object_get(cfg, "Entrypoint"), i, v) {
		if (!first)
			json_array_append(args, v);
		first = false;
	}
	json_array_foreach(json_object_get(cfg, "Cmd"), i, v) {
		if (!first)
			json_array_append(args, v);
		first = false;
	}
	return args;
}

static json_t *state_json(const struct berth_ctr *c)
{
	_cleanup_free_ char *started = berth_format_time(c->started_at), *finished = berth_format_time(c->finished_at);
	bool up = c->state == BERTH_CTR_RUNNING || c->state == BERTH_CTR_PAUSED;

	return json_pack("{ss sb sb sb sb sb si si ss ss ss}", "Status", berth_ctr_state_to_string(c->state), "Running",
			 up, "Paused", c->state == BERTH_CTR_PAUSED, "Restarting", 0, "OOMKilled", 0, "Dead", 0, "Pid",
			 up ? c->pid : 0, "ExitCode", c->exit_code, "Error", "", "StartedAt", started, "FinishedAt",
			 finished);
}

int berth_ctr_inspect(struct berth_engine *e, const struct berth_ctr *c, json_t **ret, struct berth_error *err)
{
	_cleanup_free_ char *created = berth_format_time(c->created), *name = berth_xasprintf("/%s", c->name),
			    *rootfs = berth_engine_run_path(e, c->id, "rootfs"),
			    *resolv = berth_engine_ctr_path(e, c->id, "resolv.conf"),
			    *hostname = berth_engine_ctr_path(e, c->id, "hostname"),
			    *hosts = berth_engine_ctr_path(e, c->id, "hosts"), *log = berth_engine_ctr_path(e, c->id, "ctr.log"),
			    *upper = berth_engine_ctr_path(e, c->id, "upper"), *work = berth_engine_ctr_path(e, c->id, "work");
	json_t *cfg = json_object_get(c->config, "Config"), *host = json_object_get(c->config, "HostConfig");
	json_t *path = json_object_get(c->config, "Path"), *args = json_object_get(c->config, "Args");
	json_t *mounts = json_object_get(c->config, "Mounts");
	const char *driver = json_string_value(json_object_get(c->config, "Driver"));
	json_t *o;

	(void)err;
	/* copies: the row's config is the caller's, and inspect adds to it */
	cfg = json_is_object(cfg) ? json_deep_copy(cfg) : json_object();
	host = json_is_object(host) ? json_deep_copy(host) : json_object();
	/* records of an earlier berth kept Path in HostConfig */
	if (!json_is_string(path))
		path = json_object_get(host, "Path");
	json_object_del(host, "Path");
	/* what berth always does, in docker's words */
	if (!json_object_get(host, "LogConfig"))
		json_object_set_new(host, "LogConfig", json_pack("{ss s{}}", "Type", "json-file", "Config"));
	if (!json_object_get(host, "RestartPolicy"))
		json_object_set_new(host, "RestartPolicy", json_pack("{ss si}", "Name", "no", "MaximumRetryCount", 0));
	args = json_is_array(args) ? json_deep_copy(args) : legacy_args(cfg);
	json_object_set_new(cfg, "Image", json_string(c->image));
	o = json_pack("{ss ss ss so so ss ss ss ss ss ss si ss ss ss ss ss sn}", "Id", c->id, "Created", created, "Path",
		      json_is_string(path) ? json_string_value(path) : "", "Args", args, "State", state_json(c), "Image",
		      c->image_id, "ResolvConfPath", resolv, "HostnamePath", hostname, "HostsPath", hosts, "LogPath", log,
		      "Name", name, "RestartCount", c->restart_count, "Driver", driver ? driver : "overlay", "Platform",
		      "linux", "MountLabel", "", "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs");
	json_object_set_new(o, "HostConfig", host);
	json_object_set_new(o, "GraphDriver", json_pack("{s{ss ss ss} ss}", "Data", "MergedDir", rootfs, "UpperDir", upper,
							"WorkDir", work, "Name", driver ? driver : "overlay"));
	json_object_set_new(o, "Mounts", json_is_array(mounts) ? json_deep_copy(mounts) : json_array());
	json_object_set_new(o, "Config", cfg);
	json_object_set_new(o, "NetworkSettings", berth_ctr_network_settings(e, c));
	*ret = o;
	return 0;
}
