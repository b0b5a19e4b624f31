/* Docker-style option parsing (pflag's rules), help text, errors and exit statuses. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char path_buf[128] = "berth";

void cli_path_push(const char *word)
{
	size_t len = strlen(path_buf);
	snprintf(path_buf + len, sizeof(path_buf) - len, " %s", word);
}

const char *cli_path(void)
{
	return path_buf;
}

void cli_print_help(const struct cli_command *cmd, const struct cli_option *opts)
{
	printf("\nUsage:  %s %s\n\n%s\n", cli_path(), cmd->usage ? cmd->usage : "", cmd->summary);
	if (cmd->aliases) {
		_cleanup_free_ char *a = berth_xstrdup(cmd->aliases);
		printf("\nAliases:\n  %s", cmd->name);
		for (char *save = NULL, *w = strtok_r(a, " ", &save); w; w = strtok_r(NULL, " ", &save))
			printf(", %s", w);
		printf("\n");
	}
	if (cmd->subcommands) {
		printf("\nCommands:\n");
		for (const struct cli_command *const *c = cmd->subcommands; *c; c++)
			if (!(*c)->hidden)
				printf("  %-12s%s\n", (*c)->name, (*c)->summary);
		printf("\nRun '%s COMMAND --help' for more information on a command.\n", cli_path());
		return;
	}
	printf("\nOptions:\n");
	for (const struct cli_option *o = opts; o && o->name; o++) {
		char left[64];
		const char *v = o->value_name ? o->value_name : o->arg == CLI_LIST ? "list" : "string";
		const char *vv = o->arg == CLI_FLAG ? "" : v;

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s %s", o->short_name, o->name, vv);
		else
			snprintf(left, sizeof(left), "    --%s %s", o->name, vv);
		printf("  %-26s %s\n", left, o->help ? o->help : "");
	}
	printf("  %-26s %s\n", "-h, --help", "Print usage");
}

struct cli_option *cli_opt(struct cli_option *opts, const char *name)
{
	for (struct cli_option *o = opts; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	abort();
}

void cli_options_release(struct cli_option *opts)
{
	for (struct cli_option *o = opts; o && o->name; o++) {
		berth_strv_free(o->values);
		o->values = NULL;
	}
}

static struct cli_option *find_long(struct cli_option *opts, const char *name, size_t len)
{
	for (struct cli_option *o = opts; o && o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static struct cli_option *find_short(struct cli_option *opts, char c)
{
	for (struct cli_option *o = opts; o && o->name; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

static bool has_own_help(struct cli_option *opts, bool short_form)
{
	return short_form ? find_short(opts, 'h') != NULL : find_long(opts, "help", 4) != NULL;
}

static int set_value(const struct cli_command *cmd, struct cli_option *o, const char *value)
{
	o->set = true;
	if (o->arg == CLI_FLAG) {
		if (!value || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
			return 0;
		if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0) {
			o->set = false;
			return 0;
		}
		return cli_usage_error(cmd, "invalid argument \"%s\" for \"--%s\" flag: expected true or false", value,
				       o->name);
	}
	o->value = value;
	if (o->arg == CLI_LIST)
		berth_strv_push(&o->values, value);
	return 0;
}

/* -abc, -ofile, -o=file, -o file; returns how many extra words were used, or a negative status. */
static int parse_short(const struct cli_command *cmd, struct cli_option *opts, char *a, char *next)
{
	for (char *p = a + 1; *p; p++) {
		struct cli_option *o = find_short(opts, *p);

		if (!o && *p == 'h' && !has_own_help(opts, true)) {
			cli_print_help(cmd, opts);
			return -1000;
		}
		if (!o) {
			cli_usage_error(cmd, "unknown shorthand flag: '%c' in %s", *p, a);
			return -125;
		}
		if (o->arg == CLI_FLAG) {
			if (p[1] == '=')
				return set_value(cmd, o, p + 2) ? -125 : 0;
			if (set_value(cmd, o, NULL))
				return -125;
			continue;
		}
		if (p[1] != '\0')
			return set_value(cmd, o, p[1] == '=' ? p + 2 : p + 1) ? -125 : 0;
		if (!next) {
			cli_usage_error(cmd, "flag needs an argument: '%c' in %s", *p, a);
			return -125;
		}
		return set_value(cmd, o, next) ? -125 : 1;
	}
	return 0;
}

/* --name, --name=value, --name value; returns the extra words used, or a negative status. */
static int parse_long(const struct cli_command *cmd, struct cli_option *opts, char *a, char *next)
{
	const char *name = a + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	struct cli_option *o = find_long(opts, name, len);

	if (!o && len == 4 && strncmp(name, "help", 4) == 0 && !has_own_help(opts, false)) {
		cli_print_help(cmd, opts);
		return -1000;
	}
	if (!o) {
		cli_usage_error(cmd, "unknown flag: --%.*s", (int)len, name);
		return -125;
	}
	if (o->arg == CLI_FLAG || eq)
		return set_value(cmd, o, eq ? eq + 1 : NULL) ? -125 : 0;
	if (!next) {
		cli_usage_error(cmd, "flag needs an argument: --%s", o->name);
		return -125;
	}
	return set_value(cmd, o, next) ? -125 : 1;
}

int cli_parse(const struct cli_command *cmd, struct cli_option *opts, int *argc, char **argv, bool stop_at_positional)
{
	int n = *argc, out = 0, i;

	for (i = 1; i < n; i++) {
		char *a = argv[i], *next = i + 1 < n ? argv[i + 1] : NULL;
		int r;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			argv[out++] = a;
			if (stop_at_positional) {
				i++;
				break;
			}
			continue;
		}
		r = a[1] == '-' ? parse_long(cmd, opts, a, next) : parse_short(cmd, opts, a, next);
		if (r == -1000)
			return 1;
		if (r < 0)
			return -1;
		i += r;
	}
	for (; i < n; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	*argc = out;
	return 0;
}

int cli_expect_args(const struct cli_command *cmd, int argc, int min, int max)
{
	if (argc >= min && (max < 0 || argc <= max))
		return 0;
	if (min == max)
		fprintf(stderr, "berth: \"%s\" requires exactly %d argument%s.\n", cli_path(), min, min == 1 ? "" : "s");
	else if (argc < min)
		fprintf(stderr, "berth: \"%s\" requires at least %d argument%s.\n", cli_path(), min, min == 1 ? "" : "s");
	else
		fprintf(stderr, "berth: \"%s\" accepts at most %d argument%s.\n", cli_path(), max, max == 1 ? "" : "s");
	fprintf(stderr, "See '%s --help'.\n\nUsage:  %s %s\n\n%s\n", cli_path(), cli_path(), cmd->usage ? cmd->usage : "",
		cmd->summary);
	return CLI_EXIT_ENGINE;
}

int cli_fail(const struct berth_error *err)
{
	const char *msg = err->msg ? err->msg : strerror(err->code ? err->code : EIO);

	fprintf(stderr, "berth: %s\n", msg);
	/* docker's "No such image: x" (and later container, volume...) is the one exit status 1 */
	return err->code == ENOENT && strstr(msg, "No such ") ? CLI_EXIT_FAILURE : CLI_EXIT_ENGINE;
}

int cli_failf(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("berth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("berth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee '%s --help'.\n", cli_path());
	return CLI_EXIT_ENGINE;
}

void cli_warnf(const char *fmt, ...)
{
	va_list ap;

	fputs("berth: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_debugf(struct cli_global *g, const char *fmt, ...)
{
	va_list ap;

	if (g->log_level < CLI_LOG_DEBUG)
		return;
	fputs("berth: debug: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct berth_store *cli_store(struct cli_global *g, int *ret_status)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	if (g->engine)
		return g->engine->store;
	if (g->store)
		return g->store;
	if (berth_store_open(g->root, g->run_root, &g->store, &err) < 0) {
		*ret_status = cli_fail(&err);
		/* a store that cannot be opened is an engine error, whatever errno says */
		*ret_status = CLI_EXIT_ENGINE;
		return NULL;
	}
	return g->store;
}

static const struct cli_command *find_command(const struct cli_command *const *cmds, const char *name)
{
	for (const struct cli_command *const *c = cmds; *c; c++) {
		if (strcmp((*c)->name, name) == 0)
			return *c;
		if ((*c)->aliases) {
			_cleanup_free_ char *a = berth_xstrdup((*c)->aliases);
			for (char *save = NULL, *w = strtok_r(a, " ", &save); w; w = strtok_r(NULL, " ", &save))
				if (strcmp(w, name) == 0)
					return *c;
		}
	}
	return NULL;
}

int cli_run_group(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	const struct cli_command *sub;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		cli_print_help(cmd, NULL);
		return CLI_EXIT_OK;
	}
	if (argv[1][0] == '-')
		return cli_usage_error(cmd, "unknown flag: %s", argv[1]);
	sub = find_command(cmd->subcommands, argv[1]);
	if (!sub)
		return cli_usage_error(cmd, "unknown command \"%s\" for \"%s\"", argv[1], cli_path());
	cli_path_push(sub->name);
	return sub->run(g, sub, argc - 1, argv + 1);
}

const struct cli_command *cli_find_command(const struct cli_command *const *cmds, const char *name)
{
	return find_command(cmds, name);
}
