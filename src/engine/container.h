#pragma once
/*
 * The container lifecycle of `berth` (docker's verbs), over the engine.
 *
 *   create  image resolved, id and name taken (a row first, so a crash
 *           leaves something `rm -f` finds), dirs made, rootfs mounted,
 *           -u resolved in it, config.json written; nothing runs yet
 *   start   the runtime creates the container under a monitor
 *           (monitor-spawn.h), then starts it
 *   stop    the stop signal, then SIGKILL after the timeout
 *   cleanup what the monitor runs when the init exits: record the exit,
 *           delete the runtime state, unmount; --rm removes
 *   remove  everything: runtime state, mounts, dirs, row
 *
 * A command sees the truth: berth_ctr_refresh() reconciles a row with the
 * runtime's state and the monitor's exit record before anyone reads it.
 */
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "engine/container-db.h"
#include "engine/engine.h"
#include "engine/run-options.h"
#include "network/ports.h"

struct berth_create_request {
	const char *image;
	const char *name;  /* NULL = a random one */
	const char *user;  /* -u, resolved in the image */
	struct berth_run_options run; /* id, uid, gid, init_path are filled in */
	bool interactive;  /* -i: keep stdin open */
	bool auto_remove;  /* --rm */
	char **labels;     /* "k=v" */
	const char *stop_signal; /* NULL = the image's StopSignal or SIGTERM */
	int stop_timeout;        /* seconds; < 0 = 10 */
	/* networking (container-network.h) */
	const char *network;     /* NULL/"bridge"/"default", "none", "host", "container:NAME", a network */
	char **network_aliases;  /* --network-alias: more names on a user-defined network */
	struct berth_port_spec *ports; /* -p */
	size_t n_ports;
	bool publish_all; /* -P: every exposed port on a random host port */
	char **expose;    /* --expose: "80", "80/udp", "8000-8010" */
};

int berth_ctr_create(struct berth_engine *e, const struct berth_create_request *req, char **ret_id,
		     struct berth_error *err);

/* Bring a row up to date with the runtime and the monitor's exit record (and persist the change). */
int berth_ctr_refresh(struct berth_engine *e, struct berth_ctr *c, struct berth_error *err);
/* Lookup + refresh. */
int berth_ctr_get(struct berth_engine *e, const char *ref, struct berth_ctr *ret, struct berth_error *err);

/*
 * Start a created or exited container.  Returns once its process runs; the
 * monitor holds its stdio.  A running container is left alone (0).
 */
int berth_ctr_start(struct berth_engine *e, const char *ref, struct berth_error *err);
/*
 * The same, connected to the monitor's attach socket before the process
 * runs (run without -d, start -a): *ret_attach_fd is for berth_attach_session().
 */
int berth_ctr_start_attached(struct berth_engine *e, const char *ref, int *ret_attach_fd, struct berth_error *err);

/* Send a signal ("KILL", "9", "SIGTERM") to the init; the container must be running. */
int berth_ctr_kill(struct berth_engine *e, const char *ref, const char *signal, struct berth_error *err);

/* The stop signal, up to timeout seconds (< 0: the container's own), then SIGKILL; waits until it exited. */
int berth_ctr_stop(struct berth_engine *e, const char *ref, int timeout, struct berth_error *err);

/* Wait until the container is not running; its exit code. */
int berth_ctr_wait(struct berth_engine *e, const char *ref, int *ret_exit_code, struct berth_error *err);

/*
 * Remove: a running container only with force (killed first).  volumes:
 * also its anonymous volumes.  Idempotent against a concurrent cleanup.
 */
int berth_ctr_remove(struct berth_engine *e, const char *ref, bool force, bool volumes, struct berth_error *err);

/* The monitor's exit command: record, tear down, honour --rm. */
int berth_ctr_cleanup(struct berth_engine *e, const char *id, struct berth_error *err);

/* Mount the container's root at <runroot>/containers/<id>/rootfs unless it is mounted (idempotent). */
int berth_ctr_mount_rootfs(struct berth_engine *e, const struct berth_ctr *c, struct berth_error *err);

int berth_ctr_pause(struct berth_engine *e, const char *ref, struct berth_error *err);
int berth_ctr_unpause(struct berth_engine *e, const char *ref, struct berth_error *err);
int berth_ctr_rename(struct berth_engine *e, const char *ref, const char *name, struct berth_error *err);

/* docker inspect's object for a container. */
int berth_ctr_inspect(struct berth_engine *e, const struct berth_ctr *c, json_t **ret, struct berth_error *err);

/* docker's "Up 3 minutes", "Exited (0) 2 seconds ago", "Created" (malloc'd). */
char *berth_ctr_status_string(const struct berth_ctr *c, int64_t now_ns);

/* docker's HumanDuration: "Less than a second", "5 seconds", "About a minute", "3 hours", "2 weeks" (malloc'd). */
char *berth_human_duration(int64_t ns);
/* RFC 3339 with nanoseconds, UTC ("2026-11-23T13:41:27.187831599Z"); 0 -> "0001-01-01T00:00:00Z" like docker. */
char *berth_format_time(int64_t ns);
int64_t berth_parse_time(const char *s);

/* Nanoseconds since the epoch (CLOCK_REALTIME). */
int64_t berth_now_ns(void);

/* `berth exec`: a process in a running container, with this process's stdio. */
struct berth_exec_request {
	char **args;
	bool tty;
	bool interactive; /* -i: else stdin is /dev/null */
	bool detach;
	char **env;
	const char *user; /* -u, resolved in the container's root */
	const char *workdir;
	bool privileged;
};

/* *ret_status: the process's exit status (docker: 126 cannot run, 127 not found). */
int berth_ctr_exec(struct berth_engine *e, const char *ref, const struct berth_exec_request *req, int *ret_status,
		   struct berth_error *err);
