#pragma once
/* Shared pieces of the berth-runtime command line: global options, option parsing, reporting. */
#include <stdbool.h>

#include "util/error.h"

struct cli_global {
	const char *root;
	const char *log_path;
	bool log_json;
	bool debug;
	bool systemd_cgroup;
	bool rootless;
	char **argv0; /* the full original argv, for re-exec */
};

enum cli_arg {
	CLI_FLAG,   /* boolean */
	CLI_STRING, /* takes a value */
};

struct cli_option {
	const char *name;  /* long name, matched as --name, -name, --name=value */
	char short_name;   /* 0 = none */
	enum cli_arg arg;
	const char *help;
	/* filled by cli_parse */
	bool set;
	const char *value;
};

struct cli_command {
	const char *name;
	const char *usage;  /* "create [command options] <container-id>" */
	const char *summary;
	const char *description;
	int (*run)(struct cli_global *g, int argc, char **argv);
};

/*
 * Parse options of one command (terminated by a {NULL} entry).  Options
 * may come before or between positional arguments unless stop_at_positional
 * is set (for commands that take a command line).  On return argv[0..*argc)
 * are the positional arguments.  -h/--help prints the command's help and
 * returns 1; an error prints and returns -1.
 */
int cli_parse(const struct cli_command *cmd, struct cli_option *opts, int *argc, char **argv, bool stop_at_positional);

struct cli_option *cli_opt(struct cli_option *opts, const char *name);

/* Print "berth-runtime: <msg>" on stderr (and to --log) and return the exit status 1. */
int cli_fail(struct cli_global *g, const struct berth_error *err);
int cli_failf(struct cli_global *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A warning: printed, logged, exit status unchanged. */
void cli_warn(struct cli_global *g, const struct berth_error *warn);
void cli_debug(struct cli_global *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Check the number of positional arguments, printing runc-like messages. */
int cli_expect_args(struct cli_global *g, const struct cli_command *cmd, int argc, int min, int max);

extern const struct cli_command cmd_spec, cmd_create, cmd_exec, cmd_start, cmd_run, cmd_state, cmd_kill, cmd_delete,
	cmd_list, cmd_features, cmd_pause, cmd_resume, cmd_ps, cmd_update, cmd_events;
