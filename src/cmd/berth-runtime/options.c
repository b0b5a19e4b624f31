#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

static void print_help(const struct cli_command *cmd, const struct cli_option *opts)
{
	printf("NAME:\n   berth-runtime %s - %s\n\nUSAGE:\n   berth-runtime %s\n", cmd->name, cmd->summary, cmd->usage);
	if (cmd->description)
		printf("\nDESCRIPTION:\n%s\n", cmd->description);
	printf("\nOPTIONS:\n");
	for (const struct cli_option *o = opts; o->name; o++) {
		char left[64];
		if (o->short_name)
			snprintf(left, sizeof(left), "--%s%s, -%c", o->name, o->arg == CLI_STRING ? " value" : "",
				 o->short_name);
		else
			snprintf(left, sizeof(left), "--%s%s", o->name, o->arg == CLI_STRING ? " value" : "");
		printf("   %-28s %s\n", left, o->help);
	}
	printf("   %-28s %s\n", "--help, -h", "show help");
}

struct cli_option *cli_opt(struct cli_option *opts, const char *name)
{
	for (struct cli_option *o = opts; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	abort();
}

static struct cli_option *find(struct cli_option *opts, const char *name, size_t len)
{
	for (struct cli_option *o = opts; o->name; o++) {
		if (len == 1 && o->short_name == name[0])
			return o;
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	}
	return NULL;
}

int cli_parse(const struct cli_command *cmd, struct cli_option *opts, int *argc, char **argv, bool stop_at_positional)
{
	int n = *argc, out = 0, i;

	for (i = 0; i < n; i++) {
		char *a = argv[i];
		const char *name, *eq;
		struct cli_option *o;
		size_t len;

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
		name = a + (a[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if ((len == 4 && strncmp(name, "help", 4) == 0) || (len == 1 && name[0] == 'h')) {
			print_help(cmd, opts);
			return 1;
		}
		o = find(opts, name, len);
		if (!o) {
			fprintf(stderr, "berth-runtime %s: flag provided but not defined: -%.*s\n", cmd->name, (int)len, name);
			return -1;
		}
		o->set = true;
		if (o->arg == CLI_FLAG) {
			if (eq && strcmp(eq + 1, "true") != 0 && strcmp(eq + 1, "false") != 0) {
				fprintf(stderr, "berth-runtime %s: invalid boolean value `%s` for -%s\n", cmd->name, eq + 1,
					o->name);
				return -1;
			}
			if (eq && strcmp(eq + 1, "false") == 0)
				o->set = false;
			continue;
		}
		if (eq) {
			o->value = eq + 1;
		} else if (i + 1 < n) {
			o->value = argv[++i];
		} else {
			fprintf(stderr, "berth-runtime %s: flag needs an argument: -%s\n", cmd->name, o->name);
			return -1;
		}
	}
	for (; i < n; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	*argc = out;
	return 0;
}

static void log_line(struct cli_global *g, const char *level, const char *msg)
{
	_cleanup_close_ int fd = -EBADF;
	char ts[64];
	struct timespec now;
	struct tm tm;

	if (!g->log_path)
		return;
	fd = open(g->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	if (g->log_json) {
		/* escape the message for JSON by hand: it is short and this path must not fail */
		FILE *f = fdopen(TAKE_FD(fd), "a");
		if (!f)
			return;
		fprintf(f, "{\"level\":\"%s\",\"msg\":\"", level);
		for (const char *p = msg; *p; p++) {
			unsigned char c = (unsigned char)*p;
			if (c == '"' || c == '\\')
				fprintf(f, "\\%c", c);
			else if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
		fprintf(f, "\",\"time\":\"%s.%09ldZ\"}\n", ts, now.tv_nsec);
		fclose(f);
	} else {
		dprintf(fd, "time=\"%s.%09ldZ\" level=%s msg=\"%s\"\n", ts, now.tv_nsec, level, msg);
	}
}

int cli_fail(struct cli_global *g, const struct berth_error *err)
{
	const char *msg = err->msg ? err->msg : strerror(err->code ? err->code : EIO);

	log_line(g, "error", msg);
	fprintf(stderr, "berth-runtime: %s\n", msg);
	return 1;
}

int cli_failf(struct cli_global *g, const char *fmt, ...)
{
	struct berth_error err = BERTH_ERROR_INIT;
	va_list ap;
	int r;

	va_start(ap, fmt);
	berth_error_setv(&err, EINVAL, 0, fmt, ap);
	va_end(ap);
	r = cli_fail(g, &err);
	berth_error_release(&err);
	return r;
}

void cli_warn(struct cli_global *g, const struct berth_error *warn)
{
	if (!warn->msg)
		return;
	log_line(g, "warning", warn->msg);
	fprintf(stderr, "berth-runtime: warning: %s\n", warn->msg);
}

void cli_debug(struct cli_global *g, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (!g->debug)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	log_line(g, "debug", msg);
	if (!g->log_path)
		fprintf(stderr, "berth-runtime: debug: %s\n", msg);
}

int cli_expect_args(struct cli_global *g, const struct cli_command *cmd, int argc, int min, int max)
{
	if (argc < min || (max >= 0 && argc > max)) {
		if (min == max)
			return cli_failf(g, "%s: %s %d argument%s, got %d (usage: berth-runtime %s)", cmd->name,
					 "requires exactly", min, min == 1 ? "" : "s", argc, cmd->usage);
		return cli_failf(g, "%s: requires at least %d argument%s, got %d (usage: berth-runtime %s)", cmd->name, min,
				 min == 1 ? "" : "s", argc, cmd->usage);
	}
	return 0;
}
