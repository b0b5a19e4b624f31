/*
 * `exec`: run one more process in a container.  Its own option parser:
 * several options repeat (-e, -g, -c, --cgroup), and options end at the
 * container id, as in runc (everything after it is the command line).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runtime/cloned-binary.h"
#include "runtime/exec.h"
#include "util/cleanup.h"
#include "util/strv.h"

enum {
	OPT_CONSOLE_SOCKET,
	OPT_CWD,
	OPT_ENV,
	OPT_TTY,
	OPT_USER,
	OPT_ADDITIONAL_GIDS,
	OPT_PROCESS,
	OPT_DETACH,
	OPT_PID_FILE,
	OPT_PROCESS_LABEL,
	OPT_APPARMOR,
	OPT_NO_NEW_PRIVS,
	OPT_CAP,
	OPT_PRESERVE_FDS,
	OPT_CGROUP,
	OPT_IGNORE_PAUSED,
	_OPT_MAX,
};

static const struct {
	const char *name;
	char short_name;
	bool value; /* takes a value */
	bool repeat;
	const char *help;
} exec_opts[_OPT_MAX] = {
	[OPT_CONSOLE_SOCKET] = { "console-socket", 0, true, false,
				 "path to an AF_UNIX socket which will receive a file descriptor referencing the master "
				 "end of the console's pseudoterminal" },
	[OPT_CWD] = { "cwd", 0, true, false, "current working directory in the container" },
	[OPT_ENV] = { "env", 'e', true, true, "set environment variables" },
	[OPT_TTY] = { "tty", 't', false, false, "allocate a pseudo-TTY" },
	[OPT_USER] = { "user", 'u', true, false, "UID (format: <uid>[:<gid>])" },
	[OPT_ADDITIONAL_GIDS] = { "additional-gids", 'g', true, true, "additional gids" },
	[OPT_PROCESS] = { "process", 'p', true, false, "path to the process.json" },
	[OPT_DETACH] = { "detach", 'd', false, false, "detach from the container's process" },
	[OPT_PID_FILE] = { "pid-file", 0, true, false, "specify the file to write the process id to" },
	[OPT_PROCESS_LABEL] = { "process-label", 0, true, false,
				"set the asm process label for the process commonly used with selinux" },
	[OPT_APPARMOR] = { "apparmor", 0, true, false, "set the apparmor profile for the process" },
	[OPT_NO_NEW_PRIVS] = { "no-new-privs", 0, false, false, "set the no new privileges value for the process" },
	[OPT_CAP] = { "cap", 'c', true, true, "add a capability to the bounding set for the process" },
	[OPT_PRESERVE_FDS] = { "preserve-fds", 0, true, false,
			       "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total) "
			       "(default: 0)" },
	[OPT_CGROUP] = { "cgroup", 0, true, true,
			 "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>." },
	[OPT_IGNORE_PAUSED] = { "ignore-paused", 0, false, false, "allow exec in a paused container" },
};

struct parsed {
	bool set[_OPT_MAX];
	const char *value[_OPT_MAX];
	char **values[_OPT_MAX]; /* repeated options, in order */
};

static void parsed_release(struct parsed *p)
{
	for (int i = 0; i < _OPT_MAX; i++)
		free(p->values[i]); /* the strings are argv's */
}

static void print_help(void)
{
	printf("NAME:\n   berth-runtime exec - %s\n\nUSAGE:\n   berth-runtime %s\n\nDESCRIPTION:\n%s\n\nOPTIONS:\n",
	       cmd_exec.summary, cmd_exec.usage, cmd_exec.description);
	for (int i = 0; i < _OPT_MAX; i++) {
		char left[64];

		if (exec_opts[i].short_name)
			snprintf(left, sizeof(left), "--%s%s, -%c%s", exec_opts[i].name, exec_opts[i].value ? " value" : "",
				 exec_opts[i].short_name, exec_opts[i].value ? " value" : "");
		else
			snprintf(left, sizeof(left), "--%s%s", exec_opts[i].name, exec_opts[i].value ? " value" : "");
		printf("   %-34s %s\n", left, exec_opts[i].help);
	}
	printf("   %-34s %s\n", "--help, -h", "show help");
}

static int find_opt(const char *name, size_t len)
{
	for (int i = 0; i < _OPT_MAX; i++) {
		if (len == 1 && exec_opts[i].short_name == name[0])
			return i;
		if (strlen(exec_opts[i].name) == len && strncmp(exec_opts[i].name, name, len) == 0)
			return i;
	}
	return -1;
}

static void add_value(struct parsed *p, int i, char *v)
{
	size_t n = berth_strv_length(p->values[i]);

	p->values[i] = realloc(p->values[i], (n + 2) * sizeof(char *));
	if (!p->values[i])
		abort();
	p->values[i][n] = v;
	p->values[i][n + 1] = NULL;
}

/* Options up to the container id (or "--"); returns the index of the id, -1 on error, -2 after --help. */
static int parse(int argc, char **argv, struct parsed *p)
{
	int i;

	for (i = 0; i < argc; i++) {
		char *a = argv[i];
		const char *name, *eq;
		size_t len;
		int o;

		if (strcmp(a, "--") == 0)
			return i + 1;
		if (a[0] != '-' || a[1] == '\0')
			return i;
		name = a + (a[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if ((len == 4 && strncmp(name, "help", 4) == 0) || (len == 1 && name[0] == 'h')) {
			print_help();
			return -2;
		}
		o = find_opt(name, len);
		if (o < 0) {
			fprintf(stderr, "berth-runtime exec: flag provided but not defined: -%.*s\n", (int)len, name);
			return -1;
		}
		p->set[o] = true;
		if (!exec_opts[o].value) {
			if (eq && strcmp(eq + 1, "true") != 0 && strcmp(eq + 1, "false") != 0) {
				fprintf(stderr, "berth-runtime exec: invalid boolean value `%s` for -%s\n", eq + 1,
					exec_opts[o].name);
				return -1;
			}
			p->set[o] = !(eq && strcmp(eq + 1, "false") == 0);
			continue;
		}
		if (eq) {
			p->value[o] = eq + 1;
		} else if (i + 1 < argc) {
			p->value[o] = argv[++i];
		} else {
			fprintf(stderr, "berth-runtime exec: flag needs an argument: -%s\n", exec_opts[o].name);
			return -1;
		}
		if (exec_opts[o].repeat)
			add_value(p, o, (char *)p->value[o]);
	}
	return i;
}

static int fill_options(struct cli_global *g, struct parsed *p, struct berth_exec_options *o)
{
	const char *pfds = p->value[OPT_PRESERVE_FDS];

	o->root = g->root;
	o->process_path = p->value[OPT_PROCESS];
	o->tty = p->set[OPT_TTY];
	o->cwd = p->value[OPT_CWD];
	o->env = p->values[OPT_ENV];
	o->user = p->value[OPT_USER];
	o->additional_gids = p->values[OPT_ADDITIONAL_GIDS];
	o->caps = p->values[OPT_CAP];
	o->no_new_privs = p->set[OPT_NO_NEW_PRIVS];
	o->apparmor = p->value[OPT_APPARMOR];
	o->process_label = p->value[OPT_PROCESS_LABEL];
	o->detach = p->set[OPT_DETACH];
	o->console_socket = p->value[OPT_CONSOLE_SOCKET];
	o->pid_file = p->value[OPT_PID_FILE];
	o->ignore_paused = p->set[OPT_IGNORE_PAUSED];
	o->cgroups = p->values[OPT_CGROUP];
	if (pfds) {
		char *end;
		long n = strtol(pfds, &end, 10);

		if (!*pfds || *end || n < 0 || n > 65536)
			return cli_failf(g, "invalid value \"%s\" for flag -preserve-fds", pfds);
		o->preserve_fds = (int)n;
	}
	return 0;
}

static int run_exec(struct cli_global *g, int argc, char **argv)
{
	struct parsed p = { 0 };
	struct berth_exec_options o = { 0 };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT, warn = BERTH_ERROR_INIT;
	int status = 0, idx, r;

	idx = parse(argc, argv, &p);
	if (idx < 0) {
		parsed_release(&p);
		return idx == -2 ? 0 : 1;
	}
	if (idx >= argc) {
		parsed_release(&p);
		return cli_failf(g, "exec: requires at least 1 argument, got 0 (usage: berth-runtime %s)", cmd_exec.usage);
	}
	o.id = argv[idx];
	o.args = argv + idx + 1;
	/* `exec ID -- CMD...`: the separator is not part of the command */
	if (o.args[0] && strcmp(o.args[0], "--") == 0)
		o.args++;
	r = fill_options(g, &p, &o);
	if (r) {
		parsed_release(&p);
		return r;
	}
	/* CVE-2019-5736: the process we start runs our code inside the container until execve */
	if (berth_cloned_binary_ensure(g->argv0, &err) < 0) {
		parsed_release(&p);
		return cli_fail(g, &err);
	}
	cli_debug(g, "exec %s", o.id);
	r = berth_container_exec(&o, &status, &warn, &err);
	parsed_release(&p);
	cli_warn(g, &warn);
	if (r < 0) {
		/* like runc: "exec failed: ..." and exit status 255, so it never looks like the process's own */
		berth_error_prefix(&err, "exec failed");
		cli_fail(g, &err);
		return 255;
	}
	return status;
}

const struct cli_command cmd_exec = {
	.name = "exec",
	.usage = "exec [command options] <container-id> <command> [command options]  || -p process.json <container-id>",
	.summary = "execute new process inside the container",
	.description = "   Where \"<container-id>\" is the name for the instance of the container and\n"
		       "   \"<command>\" is the command to be executed in the container.\n"
		       "   \"<command>\" can't be empty unless a \"-p\" flag provided.\n\n"
		       "   For example, if the container is configured to run the linux ps command the\n"
		       "   following will output a list of processes running in the container:\n\n"
		       "       # berth-runtime exec <container-id> ps",
	.run = run_exec,
};
