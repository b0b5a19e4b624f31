#pragma once
/*
 * The container commands' shared pieces: docker's run/create flags and
 * their mapping to a create request (run-options.c), and attaching the
 * caller's terminal to a container (terminal.c).
 */
#include <stdbool.h>
#include <sys/types.h>

#include "cli.h"
#include "engine/container.h"

/* docker run/create flags, alphabetical as docker lists them (run adds -d, --detach-keys, --sig-proxy). */
#define CLI_CREATE_OPTIONS                                                                                           \
	{ "cap-add", 0, CLI_LIST, "Add Linux capabilities" },                                                       \
	{ "cap-drop", 0, CLI_LIST, "Drop Linux capabilities" },                                                     \
	{ "cpu-shares", 'c', CLI_STRING, "CPU shares (relative weight)", "int" },                                   \
	{ "cpus", 0, CLI_STRING, "Number of CPUs", "decimal" },                                                     \
	{ "cpuset-cpus", 0, CLI_STRING, "CPUs in which to allow execution (0-3, 0,1)" },                            \
	{ "cpuset-mems", 0, CLI_STRING, "MEMs in which to allow execution (0-3, 0,1)" },                            \
	{ "device", 0, CLI_LIST, "Add a host device to the container" },                                            \
	{ "domainname", 0, CLI_STRING, "Container NIS domain name" },                                               \
	{ "entrypoint", 0, CLI_STRING, "Overwrite the default ENTRYPOINT of the image" },                           \
	{ "env", 'e', CLI_LIST, "Set environment variables" },                                                      \
	{ "env-file", 0, CLI_LIST, "Read in a file of environment variables" },                                     \
	{ "expose", 0, CLI_LIST, "Expose a port or a range of ports" },                                             \
	{ "group-add", 0, CLI_LIST, "Add additional groups to join" },                                              \
	{ "hostname", 'h', CLI_STRING, "Container host name" },                                                     \
	{ "init", 0, CLI_FLAG, "Run an init inside the container that forwards signals and reaps processes" },     \
	{ "interactive", 'i', CLI_FLAG, "Keep STDIN open even if not attached" },                                   \
	{ "label", 'l', CLI_LIST, "Set meta data on a container" },                                                 \
	{ "memory", 'm', CLI_STRING, "Memory limit", "bytes" },                                                     \
	{ "memory-reservation", 0, CLI_STRING, "Memory soft limit", "bytes" },                                      \
	{ "memory-swap", 0, CLI_STRING, "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",     \
	  "bytes" },                                                                                                 \
	{ "mount", 0, CLI_LIST, "Attach a filesystem mount to the container", "mount" },                           \
	{ "name", 0, CLI_STRING, "Assign a name to the container" },                                                \
	{ "net", 0, CLI_STRING, "Connect a container to a network (alias of --network)", "network" },              \
	{ "network", 0, CLI_STRING, "Connect a container to a network (\"bridge\", \"none\", \"host\", \"container:NAME\", a network)", "network" }, \
	{ "network-alias", 0, CLI_LIST, "Add network-scoped alias for the container" },                             \
	{ "pids-limit", 0, CLI_STRING, "Tune container pids limit (set -1 for unlimited)", "int" },                 \
	{ "privileged", 0, CLI_FLAG, "Give extended privileges to this container" },                               \
	{ "publish", 'p', CLI_LIST, "Publish a container's port(s) to the host" },                                  \
	{ "publish-all", 'P', CLI_FLAG, "Publish all exposed ports to random ports" },                              \
	{ "read-only", 0, CLI_FLAG, "Mount the container's root filesystem as read only" },                        \
	{ "rm", 0, CLI_FLAG, "Automatically remove the container when it exits" },                                 \
	{ "security-opt", 0, CLI_LIST, "Security Options" },                                                        \
	{ "shm-size", 0, CLI_STRING, "Size of /dev/shm", "bytes" },                                                 \
	{ "stop-signal", 0, CLI_STRING, "Signal to stop the container" },                                           \
	{ "stop-timeout", 0, CLI_STRING, "Timeout (in seconds) to stop a container", "int" },                       \
	{ "tmpfs", 0, CLI_LIST, "Mount a tmpfs directory" },                                                        \
	{ "tty", 't', CLI_FLAG, "Allocate a pseudo-TTY" },                                                          \
	{ "ulimit", 0, CLI_LIST, "Ulimit options", "ulimit" },                                                      \
	{ "user", 'u', CLI_STRING, "Username or UID (format: <name|uid>[:<group|gid>])" },                          \
	{ "volume", 'v', CLI_LIST, "Bind mount a volume" },                                                         \
	{ "workdir", 'w', CLI_STRING, "Working directory inside the container" }

/* A create request and everything its pointers own. */
struct cli_run_request {
	struct berth_create_request req;
	char **strings; /* what req points at, freed together */
};

/*
 * Fill r from the parsed run/create options and the positional arguments
 * (IMAGE [COMMAND] [ARG...]).  Returns 0, or 125 after printing docker's
 * "invalid argument" message.
 */
int cli_run_request_build(const struct cli_command *cmd, struct cli_option *opts, int argc, char **argv,
			  struct cli_run_request *r);
void cli_run_request_release(struct cli_run_request *r);

/* The network flags (run-network.c), called by cli_run_request_build() and cli_run_request_release(). */
int cli_run_network_build(const struct cli_command *cmd, struct cli_option *opts, struct cli_run_request *r);
void cli_run_network_release(struct cli_run_request *r);

/*
 * docker's --detach-keys ("ctrl-p,ctrl-q", "a,ctrl-b", "ctrl-@") as bytes;
 * NULL (default) = ctrl-p ctrl-q; "" = none.  Returns NULL and prints an
 * error on a bad value (*ret_ok false).
 */
char *cli_detach_keys(const char *spec, bool *ret_ok);

struct cli_attach {
	int sock;            /* from berth_ctr_start_attached() or berth_attach_connect() */
	bool tty;            /* the container has a terminal */
	bool forward_stdin;          /* forward our stdin (-i, attach without --no-stdin) */
	const char *detach_keys; /* bytes (cli_detach_keys) or NULL */
	bool sig_proxy;      /* forward SIGINT, SIGTERM... to the container's init */
	pid_t pid;           /* the init, for sig_proxy */
};

/*
 * Attach the caller's stdio to the container until it exits: raw mode on our
 * terminal when the container has one and we forward stdin (restored after,
 * also on a fatal signal), and the container's output on our stdout/stderr.
 * Returns 0 with the exit code, 1 when the user detached, or -errno.
 */
int cli_attach_run(const struct cli_attach *a, int *ret_exit_code, struct berth_error *err);

/* The status for a failed start: docker's 126 (cannot invoke) and 127 (not found), else 125. */
int cli_start_failure_status(const struct berth_error *err);
