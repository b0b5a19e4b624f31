#pragma once
/*
 * Shared pieces of the berth command line: global options, a docker-style
 * option parser, error reporting with docker's exit codes, and the output
 * formatting helpers (human sizes and durations, tables, Go-template subset).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "util/error.h"

struct berth_store;
struct berth_engine;

/* Exit statuses, as docker's CLI uses them. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1, /* the operation failed on its object ("No such image") */
	CLI_EXIT_ENGINE = 125, /* usage errors, engine failures */
};

enum cli_log_level {
	CLI_LOG_ERROR,
	CLI_LOG_WARN,
	CLI_LOG_INFO,
	CLI_LOG_DEBUG,
};

struct cli_global {
	const char *root;     /* --root or NULL ($BERTH_ROOT / default, resolved by the store) */
	const char *run_root; /* --runroot or NULL */
	enum cli_log_level log_level;
	struct berth_store *store; /* opened on first use by cli_store() */
	struct berth_engine *engine; /* opened on first use by cli_engine(); owns store then */
	const char *self_path; /* the real berth binary (for the monitor's exit command), or NULL */
	char **argv;           /* main's argv as given, for berth_cloned_binary_ensure() */
};

enum cli_arg {
	CLI_FLAG,   /* boolean: --x, --x=true|false */
	CLI_STRING, /* one value; the last one given wins */
	CLI_LIST,   /* repeatable: every value collected in order */
};

struct cli_option {
	const char *name; /* long name: --name, --name=value, --name value */
	char short_name;  /* 0 = none; -x, -xVALUE, -x VALUE, combinable (-aq) */
	enum cli_arg arg;
	const char *help;
	const char *value_name; /* for the help text ("string", "file"); NULL = by type */
	/* filled by cli_parse */
	bool set;
	const char *value;
	char **values; /* CLI_LIST; free with cli_options_release() */
};

struct cli_command {
	const char *name;
	const char *aliases; /* space-separated other names ("ls list"), or NULL */
	const char *usage;   /* after the command path: "[OPTIONS] IMAGE [IMAGE...]" */
	const char *summary;
	/* argv[0] is the command name, as main() would get it */
	int (*run)(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv);
	const struct cli_command *const *subcommands; /* NULL-terminated, for groups ("image") */
	bool hidden; /* not listed in help (`container cleanup`, run by the monitor) */
};

/* The command path for messages ("berth image ls"): the dispatchers append each word. */
void cli_path_push(const char *word);
const char *cli_path(void);

/*
 * Parse the options of one command (opts ends with a {NULL} entry).  argv[0]
 * is the command name and is skipped.  Options may come before, between and
 * after positional arguments unless stop_at_positional (commands that take a
 * command line: everything after the first positional is kept as is).  "--"
 * ends options.  On return argv[0..*argc) are the positional arguments.
 * Returns 0, 1 after printing the help for -h/--help (exit 0), or a negative
 * value after printing a usage error (exit 125).
 */
int cli_parse(const struct cli_command *cmd, struct cli_option *opts, int *argc, char **argv, bool stop_at_positional);
/* Free what cli_parse allocated (CLI_LIST values). */
void cli_options_release(struct cli_option *opts);
static inline void cli_options_releasep(struct cli_option **opts)
{
	cli_options_release(*opts);
}
#define _cleanup_options_ __attribute__((cleanup(cli_options_releasep), unused))

/* The option called name (aborts when there is none: a programming error). */
struct cli_option *cli_opt(struct cli_option *opts, const char *name);
static inline bool cli_flag(struct cli_option *opts, const char *name)
{
	return cli_opt(opts, name)->set;
}
static inline const char *cli_value(struct cli_option *opts, const char *name)
{
	return cli_opt(opts, name)->value;
}

void cli_print_help(const struct cli_command *cmd, const struct cli_option *opts);

/*
 * Check the count of positional arguments (max -1 = any), printing docker's
 * `"berth tag" requires exactly 2 arguments.` message.  Returns 0 or 125.
 */
int cli_expect_args(const struct cli_command *cmd, int argc, int min, int max);

/*
 * Print "berth: <msg>" on stderr.  Returns the exit status: 1 for a missing
 * object (ENOENT with docker's "No such image: x"), 125 for everything else.
 */
int cli_fail(const struct berth_error *err);
int cli_failf(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error: message, "See 'berth x --help'." hint, exit status 125. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_debugf(struct cli_global *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The store, opened on first use with the global --root/--runroot; NULL
 * after printing an error.  When the engine is open, its store.
 */
struct berth_store *cli_store(struct cli_global *g, int *ret_status);
/* The engine (containers), opened once with g->self_path; NULL after printing an error (125). */
struct berth_engine *cli_engine(struct cli_global *g, int *ret_status);
/*
 * Commands that put a process into a container (run, create, start,
 * restart, exec) call this first: berth re-executes itself from a sealed
 * copy (CVE-2019-5736).  Returns 0 or 125 after printing an error.
 */
int cli_protect_self(struct cli_global *g);

/* A command by name or alias in a NULL-terminated list, or NULL. */
const struct cli_command *cli_find_command(const struct cli_command *const *cmds, const char *name);
/* Run a group command ("image"): dispatches to its subcommands. */
int cli_run_group(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv);

/* --- formatting (format.c) --- */

/* docker's units.HumanSizeWithPrecision(size, 3): "4.26MB", "812kB", "0B" (powers of 1000). */
void cli_human_size(int64_t size, char *buf, size_t len);
/* docker's units.HumanDuration + " ago": "2 days ago", "About an hour ago". */
void cli_human_since(int64_t when, char *buf, size_t len);
/* Go's time.Time.String() in local time: "2024-01-02 15:04:05 +0000 UTC". */
void cli_time_string(int64_t when, char *buf, size_t len);
/* RFC 3339 with nanoseconds dropped, UTC ("2024-01-02T15:04:05Z"). */
void cli_time_rfc3339(int64_t when, char *buf, size_t len);
/* s shortened to max characters (UTF-8 aware) ending in "…", as docker's Ellipsis. */
char *cli_ellipsis(const char *s, size_t max);

/*
 * Tables aligned like Go's tabwriter with docker's settings (minimum column
 * width 10, padding 3): cells are separated by '\t' in each added line.
 */
struct cli_table;
struct cli_table *cli_table_new(void);
void cli_table_add(struct cli_table *t, const char *line);
void cli_table_print(struct cli_table *t, FILE *out);
void cli_table_free(struct cli_table *t);

/*
 * A Go text/template subset over JSON values, as docker's --format:
 * "{{.Field}}", "{{.A.B}}", "{{json .}}", "{{json .Field}}",
 * "{{index .List 0}}", "{{join .List \",\"}}", "{{upper .X}}", "{{lower .X}}",
 * literal text, and the escapes \t and \n.  A leading "table " prints a
 * header row (headers maps field names to column titles, NULL = the names
 * in upper case) and aligns the columns.
 */
struct cli_template;
int cli_template_parse(const char *text, struct cli_template **ret, struct berth_error *err);
bool cli_template_is_table(const struct cli_template *t);
/* Render one value; appends to *out (malloc'd, may start NULL). */
int cli_template_render(const struct cli_template *t, json_t *value, char **out, struct berth_error *err);
/* The header line of a table template, cells separated by '\t'. */
char *cli_template_header(const struct cli_template *t, const char *const *headers);
void cli_template_free(struct cli_template *t);
static inline void cli_template_freep(struct cli_template **t)
{
	if (*t)
		cli_template_free(*t);
}

/*
 * Print rows (JSON objects) with --format: "table" / NULL = default_format
 * as a table, "json" = one compact JSON object per line, anything else a
 * template.  headers: field name, title pairs, NULL-terminated.
 */
int cli_print_rows(json_t *rows, const char *format, const char *default_format, const char *const *headers,
		   FILE *out);

/* An image id as listed: 12 hex digits, or the whole "sha256:…" with no_trunc (malloc'd). */
char *cli_image_id(const char *id, bool no_trunc);

/* networks (cmd-network.c) */
extern const struct cli_command cmd_network;

/* containers (cmd-run.c, cmd-start.c, cmd-stop.c, cmd-rm.c, cmd-wait.c, cmd-attach.c, cmd-exec.c) */
extern const struct cli_command cmd_run, cmd_create, cmd_start, cmd_stop, cmd_restart, cmd_kill, cmd_rm, cmd_wait,
	cmd_attach, cmd_exec, cmd_container;
/* container subcommands besides the top-level verbs (cmd-container.c lists them all) */
extern const struct cli_command cmd_container_rm, cmd_container_cleanup;
/* looking at containers (cmd-ps.c, cmd-logs.c, cmd-top.c, cmd-stats.c, cmd-pause.c, cmd-rename.c, cmd-port.c,
 * cmd-inspect.c, cmd-container-prune.c) and the system (cmd-info.c) */
extern const struct cli_command cmd_ps, cmd_logs, cmd_top, cmd_stats, cmd_pause, cmd_unpause, cmd_rename, cmd_port,
	cmd_info, cmd_container_ls, cmd_container_inspect, cmd_container_prune;
/* docker's units.BytesSize: "1.5GiB", "512KiB" (powers of 1024, 4 significant digits). */
void cli_bytes_size(uint64_t size, char *buf, size_t len);
/* cp (cmd-cp.c) and the volume group (cmd-volume.c) */
extern const struct cli_command cmd_cp, cmd_container_cp, cmd_volume;

extern const struct cli_command cmd_images, cmd_rmi, cmd_tag, cmd_inspect, cmd_history, cmd_load, cmd_save,
	cmd_import, cmd_image, cmd_version;
/* image subcommands */
extern const struct cli_command cmd_image_ls, cmd_image_rm, cmd_image_tag, cmd_image_inspect, cmd_image_history,
	cmd_image_load, cmd_image_save, cmd_image_import, cmd_image_prune, cmd_image_bootstrap, cmd_image_mount,
	cmd_image_unmount;

/* --- registry commands (cmd-pull.c, cmd-push.c, cmd-login.c) --- */

struct berth_registry_options;
/* The options pull, push and login share (before the { NULL } end of an option table). */
#define CLI_REGISTRY_OPTIONS \
	{ "tls-verify", 0, CLI_FLAG, "Require HTTPS and verify certificates (false: also plain HTTP)" }, \
	{ "cert-dir", 0, CLI_STRING, "Use certificates (*.crt, *.cert, *.key) in this directory", "path" }, \
	{ "authfile", 0, CLI_STRING, "Path of the authentication file", "path" }
/* Whether --tls-verify is on the command line (before cli_parse; absent = verify unless listed insecure). */
bool cli_registry_tls_given(int argc, char **argv);
/* Fill the registry options from the parsed options (and --creds, when the table has it); 0 or an exit status. */
int cli_registry_options(struct cli_option *opts, bool tls_given, struct berth_registry_options *ret);
extern const struct cli_command cmd_pull, cmd_push, cmd_login, cmd_logout, cmd_image_pull, cmd_image_push;
