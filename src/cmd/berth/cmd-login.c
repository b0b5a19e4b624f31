/* berth login / berth logout: registry credentials (checked with the registry, kept in auth.json). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "registry/registry.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* A line from fd without its newline (NULL at EOF with nothing read). */
static char *read_line(int fd)
{
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, cap = 0;

	for (;;) {
		char c;
		ssize_t k = read(fd, &c, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || c == '\n')
			break;
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 64;
			buf = berth_xrealloc(buf, cap);
		}
		buf[n++] = c;
	}
	if (!buf)
		return NULL;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return TAKE_PTR(buf);
}

/* Ask on the terminal (echo off for a password). */
static char *prompt(const char *question, bool secret)
{
	_cleanup_close_ int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios old, quiet;
	bool restore = false;
	char *line;

	if (fd < 0)
		return NULL;
	if (write(fd, question, strlen(question)) < 0)
		return NULL;
	if (secret && tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	line = read_line(fd);
	if (restore) {
		tcsetattr(fd, TCSAFLUSH, &old);
		if (write(fd, "\n", 1) < 0) {
			/* the newline the user typed was not echoed; nothing to do if this fails */
		}
	}
	return line;
}

static int login_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "username", 'u', CLI_STRING, "Username" },
		{ "password", 'p', CLI_STRING, "Password" },
		{ "password-stdin", 0, CLI_FLAG, "Take the password from stdin" },
		CLI_REGISTRY_OPTIONS,
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *user = NULL, *password = NULL, *key = NULL;
	struct berth_registry_options ro;
	bool tls_given = cli_registry_tls_given(argc, argv);
	int r;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 1)))
		return r;
	if ((r = cli_registry_options(opts, tls_given, &ro)))
		return r;
	if (cli_value(opts, "password") && cli_flag(opts, "password-stdin"))
		return cli_failf(CLI_EXIT_ENGINE, "--password and --password-stdin are mutually exclusive");
	if (cli_flag(opts, "password-stdin") && !cli_value(opts, "username"))
		return cli_failf(CLI_EXIT_ENGINE, "must provide --username with --password-stdin");
	user = berth_xstrdup_or_null(cli_value(opts, "username"));
	if (cli_value(opts, "password")) {
		fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
		password = berth_xstrdup(cli_value(opts, "password"));
	} else if (cli_flag(opts, "password-stdin")) {
		password = read_line(STDIN_FILENO);
	}
	if ((!user || !password) && !isatty(STDIN_FILENO))
		return cli_failf(CLI_EXIT_FAILURE, "cannot perform an interactive login from a non TTY device");
	if (!user)
		user = prompt("Username: ", false);
	if (!password)
		password = prompt("Password: ", true);
	if (!user || !*user)
		return cli_failf(CLI_EXIT_FAILURE, "username is required");
	if (!password || !*password)
		return cli_failf(CLI_EXIT_FAILURE, "password is required");
	r = berth_registry_login(argc > 0 ? argv[0] : NULL, user, password, &ro, &key, &err);
	explicit_bzero(password, strlen(password));
	if (r < 0) {
		cli_fail(&err);
		return CLI_EXIT_FAILURE;
	}
	printf("Login Succeeded\n");
	return CLI_EXIT_OK;
}

static int logout_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "authfile", 0, CLI_STRING, "Path of the authentication file", "path" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *key = NULL;
	struct berth_registry_options ro = BERTH_REGISTRY_OPTIONS_INIT;
	int r;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 1)))
		return r;
	ro.auth_file = cli_value(opts, "authfile");
	r = berth_registry_logout(argc > 0 ? argv[0] : NULL, &ro, &key, &err);
	if (r == -ENOENT) {
		/* as docker: nothing to forget is no failure */
		printf("Not logged in to %s\n", argc > 0 ? argv[0] : "docker.io");
		return CLI_EXIT_OK;
	}
	if (r < 0)
		return cli_fail(&err);
	printf("Removing login credentials for %s\n", key);
	return CLI_EXIT_OK;
}

const struct cli_command cmd_login = {
	.name = "login",
	.usage = "[OPTIONS] [SERVER]",
	.summary = "Log in to a registry",
	.run = login_run,
};

const struct cli_command cmd_logout = {
	.name = "logout",
	.usage = "[SERVER]",
	.summary = "Log out from a registry",
	.run = logout_run,
};
