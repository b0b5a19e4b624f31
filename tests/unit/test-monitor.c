/*
 * engine/monitor-spawn + berth-monitor: a shell stands in for the container
 * (the monitor does not care what made its child); checks the json-file log,
 * attach (output, stdin, exit), the exit record, the exit command, tty mode,
 * a failing create, and the monitor's resident size.
 */
#include "engine/monitor-spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/attach-proto.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static char dir[] = "/tmp/berth-test-monitor-XXXXXX";

struct shell {
	const char *script;
	bool tty;
	bool fail;
};

static int create_shell(void *opaque, const int stdio[3], int *ret_master, pid_t *ret_pid, struct berth_error *err)
{
	struct shell *sh = opaque;
	int master = -1, slave = -1;
	pid_t pid;

	if (sh->fail)
		return berth_error_setx(err, EINVAL, "no such image: \"nope\"");
	if (sh->tty && openpty(&master, &slave, NULL, NULL, NULL) < 0)
		return berth_error_set(err, errno, "openpty");
	pid = fork();
	if (pid < 0)
		return berth_error_set(err, errno, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (sh->tty) {
			setsid();
			ioctl(slave, TIOCSCTTY, 0);
			dup2(slave, 0);
			dup2(slave, 1);
			dup2(slave, 2);
		} else {
			dup2(stdio[0] >= 0 ? stdio[0] : null, 0);
			dup2(stdio[1], 1);
			dup2(stdio[2], 2);
		}
		execl("/bin/sh", "sh", "-c", sh->script, (char *)NULL);
		_exit(127);
	}
	if (sh->tty) {
		close(slave);
		*ret_master = master;
	}
	*ret_pid = pid;
	return 0;
}

static char *path(const char *name)
{
	return berth_xasprintf("%s/%s", dir, name);
}

static int spawn(struct shell *sh, const char *tag, bool open_stdin, char **exit_command, pid_t *ret_monitor,
		 struct berth_error *err)
{
	_cleanup_free_ char *log = path(tag), *exitf = NULL, *sock = NULL;
	pid_t init;
	struct berth_monitor_spawn s = {
		.monitor_path = getenv("BERTH_MONITOR"),
		.id = tag,
		.tty = sh->tty,
		.open_stdin = open_stdin,
		.exit_command = exit_command,
		.create = create_shell,
		.opaque = sh,
	};

	exitf = berth_xasprintf("%s/%s.exit", dir, tag);
	sock = berth_xasprintf("%s/%s.sock", dir, tag);
	free(log);
	log = berth_xasprintf("%s/%s.log", dir, tag);
	s.log_path = log;
	s.exit_path = exitf;
	s.attach_path = sock;
	return berth_monitor_spawn(&s, ret_monitor, &init, err);
}

static int attach(const char *tag)
{
	_cleanup_free_ char *sock = berth_xasprintf("%s/%s.sock", dir, tag);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

/* Collect output until the exit packet; returns the exit code or -1. */
static int collect(int fd, char *out, size_t outlen, char *errbuf, size_t errlen)
{
	char pkt[ATTACH_PACKET_MAX + 1];
	size_t o = 0, e = 0;

	out[0] = errbuf[0] = '\0';
	for (;;) {
		ssize_t n = recv(fd, pkt, sizeof(pkt) - 1, 0);
		if (n <= 0)
			return -1;
		pkt[n] = '\0';
		if (pkt[0] == ATTACH_STDOUT && o + (size_t)n < outlen) {
			memcpy(out + o, pkt + 1, (size_t)n - 1);
			o += (size_t)n - 1;
			out[o] = '\0';
		} else if (pkt[0] == ATTACH_STDERR && e + (size_t)n < errlen) {
			memcpy(errbuf + e, pkt + 1, (size_t)n - 1);
			e += (size_t)n - 1;
			errbuf[e] = '\0';
		} else if (pkt[0] == ATTACH_EXIT) {
			return atoi(pkt + 1);
		}
	}
}

static bool wait_file(const char *p)
{
	for (int i = 0; i < 500; i++) {
		if (access(p, F_OK) == 0)
			return true;
		usleep(10000);
	}
	return false;
}

static long rss_kb(pid_t pid)
{
	_cleanup_free_ char *p = berth_xasprintf("/proc/%d/status", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(p, "re");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	return kb;
}

static void test_pipes(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct shell sh = { .script = "read x; echo out; echo err >&2; echo \"got $x\"; exit 3" };
	_cleanup_free_ char *log = path("pipes.log"), *exitf = path("pipes.exit"), *text = NULL;
	char out[4096], errb[4096], pkt[16] = { ATTACH_STDIN };
	pid_t mon;
	int fd, code;
	size_t len = 0;

	if (!TAP_OK(spawn(&sh, "pipes", true, NULL, &mon, &err) == 0)) {
		tap_diag("%s", err.msg);
		return;
	}
	fd = attach("pipes");
	TAP_OK(fd >= 0);
	memcpy(pkt + 1, "hello\n", 6);
	TAP_OK(send(fd, pkt, 7, 0) == 7);
	code = collect(fd, out, sizeof(out), errb, sizeof(errb));
	close(fd);
	TAP_OK(code == 3);
	TAP_OK(strcmp(out, "out\ngot hello\n") == 0);
	TAP_OK(strcmp(errb, "err\n") == 0);
	TAP_OK(wait_file(exitf));
	TAP_OK(berth_read_file(exitf, 0, &text, &len, &err) == 0 && strstr(text, "\"exitCode\":3,"));
	free(text);
	text = NULL;
	TAP_OK(berth_read_file(log, 0, &text, &len, &err) == 0);
	if (text) {
		/* three json-file records, in order, each a JSON object with log/stream/time */
		char *save = NULL;
		int n = 0;
		static const char *const want[][2] = { { "out\n", "stdout" }, { "err\n", "stderr" }, { "got hello\n", "stdout" } };
		for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
			json_t *j = json_loads(line, 0, NULL);
			const char *t = json_string_value(json_object_get(j, "time"));
			if (n < 3) {
				/* stdout and stderr may interleave: compare as a set */
				bool found = false;
				for (int k = 0; k < 3; k++)
					found |= j && strcmp(json_string_value(json_object_get(j, "log")), want[k][0]) == 0 &&
						 strcmp(json_string_value(json_object_get(j, "stream")), want[k][1]) == 0;
				tap_ok(found && t && strlen(t) == 30 && t[29] == 'Z', "log record %d: %s", n, line);
			}
			json_decref(j);
		}
		TAP_OK(n == 3);
	}
}

static void test_exit_command_signal_and_rss(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *marker = path("cmd.marker"), *exitf = path("sig.exit"), *text = NULL,
			    *script = berth_xasprintf("echo gone > %s", marker);
	char *cmd[] = { "/bin/sh", "-c", script, NULL };
	struct shell sh = { .script = "kill -9 $$" };
	struct shell sleeper = { .script = "exec sleep 0.5" };
	pid_t mon;
	size_t len;
	long kb;

	TAP_OK(spawn(&sh, "sig", false, cmd, &mon, &err) == 0);
	TAP_OK(wait_file(exitf) && berth_read_file(exitf, 0, &text, &len, &err) == 0 &&
	       strstr(text, "\"exitCode\":137,\"signal\":9"));
	TAP_OK(wait_file(marker));

	TAP_OK(spawn(&sleeper, "rss", false, NULL, &mon, &err) == 0);
	usleep(100000);
	kb = rss_kb(mon);
	tap_diag("berth-monitor resident size: %ld kB", kb);
	tap_ok(kb > 0 && kb <= 512, "monitor RSS %ld kB <= 512 kB", kb);
}

static void test_tty(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct shell sh = { .script = "read x; tty; exit 0", .tty = true };
	char out[4096] = "", errb[64] = "", go[] = { ATTACH_STDIN, 'g', 'o', '\n' };
	pid_t mon;
	int fd;

	TAP_OK(spawn(&sh, "tty", true, NULL, &mon, &err) == 0);
	fd = attach("tty");
	/* the shell waits for a line, so its output comes after the attach */
	TAP_OK(fd >= 0 && send(fd, go, sizeof(go), 0) == sizeof(go));
	TAP_OK(fd >= 0 && collect(fd, out, sizeof(out), errb, sizeof(errb)) == 0);
	TAP_OK(strstr(out, "/dev/pts/") != NULL);
	if (fd >= 0)
		close(fd);
}

static void test_create_fails(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct shell sh = { .fail = true };
	pid_t mon = 0;

	TAP_OK(spawn(&sh, "fail", false, NULL, &mon, &err) == -EINVAL);
	TAP_OK(err.msg && strcmp(err.msg, "no such image: \"nope\"") == 0);
}

int main(void)
{
	if (!getenv("BERTH_MONITOR"))
		tap_skip_all("BERTH_MONITOR not set");
	if (!mkdtemp(dir))
		return 1;
	signal(SIGCHLD, SIG_DFL);
	test_pipes();
	test_exit_command_signal_and_rss();
	test_tty();
	test_create_fails();
	{
		_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
		berth_rm_rf_at(AT_FDCWD, dir, &err);
	}
	return tap_done();
}
