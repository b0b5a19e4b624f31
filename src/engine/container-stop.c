/* Signals and waiting: kill, stop, wait, pause, unpause. */
#include "engine/container.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/container-internal.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* How long the monitor may take to write its record after the init died (it drains output for up to 2 s). */
#define RECORD_WAIT_MS 5000

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait for the init to die (timeout_ms < 0: forever), then for the monitor's
 * record.  Returns 0 once the row says exited, -ETIMEDOUT if the init still runs.
 */
static int wait_exit(struct berth_engine *e, struct berth_ctr *c, int timeout_ms, struct berth_error *err)
{
	_cleanup_close_ int pidfd = c->pid > 0 ? (int)syscall(SYS_pidfd_open, c->pid, 0) : -EBADF;
	int64_t deadline;
	int r;

	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int n;
		do
			n = poll(&p, 1, timeout_ms);
		while (n < 0 && errno == EINTR);
		if (n == 0)
			return -ETIMEDOUT;
	}
	/* the pid may have been reused by now: the runtime's state and the record decide */
	deadline = mono_ms() + RECORD_WAIT_MS;
	for (;;) {
		if ((r = berth_ctr_refresh(e, c, err)) < 0)
			return r;
		if (c->state == BERTH_CTR_EXITED || c->state == BERTH_CTR_CREATED)
			return 0;
		if (mono_ms() > deadline)
			return pidfd >= 0 ? berth_error_setx(err, ETIMEDOUT, "container %.12s: no exit record", c->id)
					  : -ETIMEDOUT;
		usleep(10000);
	}
}

/* A container whose monitor was killed has nobody to run its cleanup: the stopper does (idempotent, locked). */
static void orphan_cleanup(struct berth_engine *e, const struct berth_ctr *c)
{
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;

	if (c->state == BERTH_CTR_EXITED && !berth_ctr_monitor_alive(c->monitor_pid))
		berth_ctr_cleanup(e, c->id, &ignore);
}

static int not_running(const struct berth_ctr *c, const char *what, struct berth_error *err)
{
	return berth_error_setx(err, EINVAL, "cannot %s container: %s: container %s is not running", what, c->name,
				c->id);
}

int berth_ctr_kill(struct berth_engine *e, const char *ref, const char *signal, struct berth_error *err)
{
	struct berth_ctr c = { 0 };
	int signo = berth_signal_parse(signal ? signal : "KILL"), r;

	if (signo < 0)
		return berth_error_setx(err, EINVAL, "invalid signal: %s", signal);
	if ((r = berth_ctr_get(e, ref, &c, err)) < 0)
		return r;
	if (c.state != BERTH_CTR_RUNNING && c.state != BERTH_CTR_PAUSED)
		r = not_running(&c, "kill", err);
	else
		r = berth_container_kill(e->runtime_root, c.id, signo, false, err);
	berth_ctr_release(&c);
	return r;
}

int berth_ctr_stop(struct berth_engine *e, const char *ref, int timeout, struct berth_error *err)
{
	struct berth_ctr c = { 0 };
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	json_t *cfg;
	const char *sig;
	int r, signo;

	if ((r = berth_ctr_get(e, ref, &c, err)) < 0)
		return r;
	if (c.state != BERTH_CTR_RUNNING && c.state != BERTH_CTR_PAUSED) {
		berth_ctr_release(&c);
		return 0; /* docker: stopping a stopped container is fine */
	}
	cfg = json_object_get(c.config, "Config");
	sig = json_string_value(json_object_get(cfg, "StopSignal"));
	signo = berth_signal_parse(sig ? sig : "TERM");
	if (timeout < 0)
		timeout = (int)json_integer_value(json_object_get(cfg, "StopTimeout"));
	/* a paused container cannot handle its signal: thaw it first, as docker does */
	if (c.state == BERTH_CTR_PAUSED)
		berth_ctr_unpause(e, c.id, &ignore);
	if (berth_container_kill(e->runtime_root, c.id, signo > 0 ? signo : SIGTERM, false, &ignore) == 0) {
		r = wait_exit(e, &c, timeout * 1000, err);
		if (r != -ETIMEDOUT) {
			orphan_cleanup(e, &c);
			berth_ctr_release(&c);
			return r;
		}
	}
	berth_error_release(&ignore);
	berth_container_kill(e->runtime_root, c.id, SIGKILL, true, &ignore);
	r = wait_exit(e, &c, -1, err);
	orphan_cleanup(e, &c);
	berth_ctr_release(&c);
	return r;
}

int berth_ctr_wait(struct berth_engine *e, const char *ref, int *ret_exit_code, struct berth_error *err)
{
	struct berth_ctr c = { 0 };
	int r;

	if ((r = berth_ctr_get(e, ref, &c, err)) < 0)
		return r;
	if (c.state == BERTH_CTR_RUNNING || c.state == BERTH_CTR_PAUSED)
		r = wait_exit(e, &c, -1, err);
	if (r == 0)
		*ret_exit_code = c.exit_code;
	berth_ctr_release(&c);
	return r;
}

static int set_paused(struct berth_engine *e, const char *ref, bool pause, struct berth_error *err)
{
	struct berth_ctr c = { 0 };
	int r;

	if ((r = berth_ctr_get(e, ref, &c, err)) < 0)
		return r;
	if (pause && c.state != BERTH_CTR_RUNNING)
		r = c.state == BERTH_CTR_PAUSED ? berth_error_setx(err, EINVAL, "container %s is already paused", c.id)
						 : berth_error_setx(err, EINVAL, "container %s is not running", c.id);
	else if (!pause && c.state != BERTH_CTR_PAUSED)
		r = berth_error_setx(err, EINVAL, "container %s is not paused", c.id);
	else
		r = pause ? berth_container_pause(e->runtime_root, c.id, err)
			  : berth_container_resume(e->runtime_root, c.id, err);
	if (r == 0) {
		c.state = pause ? BERTH_CTR_PAUSED : BERTH_CTR_RUNNING;
		r = berth_ctr_db_update_state(e->store->db, &c, err);
	}
	berth_ctr_release(&c);
	return r;
}

int berth_ctr_pause(struct berth_engine *e, const char *ref, struct berth_error *err)
{
	return set_paused(e, ref, true, err);
}

int berth_ctr_unpause(struct berth_engine *e, const char *ref, struct berth_error *err)
{
	return set_paused(e, ref, false, err);
}

int berth_ctr_kill_and_wait(struct berth_engine *e, struct berth_ctr *c, struct berth_error *err)
{
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;

	if (c->state == BERTH_CTR_PAUSED)
		berth_container_resume(e->runtime_root, c->id, &ignore);
	berth_container_kill(e->runtime_root, c->id, SIGKILL, true, &ignore);
	return wait_exit(e, c, -1, err);
}
