/*
 * berth-monitor: the per-container monitor (src/monitor/monitor.h).  Started
 * by the engine, never by hand:
 *
 *   berth-monitor --id ID --pid PID [--log PATH] [--exit-file PATH]
 *                 [--attach-fd N] [--tty] [--stdout-fd N] [--stderr-fd N]
 *                 [--stdin-fd N] [-- EXIT-COMMAND...]
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/monitor.h"

/* No stdio here: it would double the static binary's resident size (monitor.h). */
static int fail(const char *a, const char *b)
{
	const char *parts[] = { "berth-monitor: ", a, b, "\n" };

	for (size_t i = 0; i < 4; i++) {
		ssize_t w = write(2, parts[i], strlen(parts[i]));
		(void)w;
	}
	return 2;
}

static int number(const char *s, int *ret)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 1 << 30)
		return -1;
	*ret = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	struct monitor_options o = { .attach_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .stdin_fd = -1 };
	int pid = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (strcmp(a, "--") == 0) {
			o.exit_command = argv + i + 1;
			break;
		} else if (strcmp(a, "--tty") == 0) {
			o.tty = true;
			continue;
		}
		if (!v) {
			return fail(a, " needs a value");
		}
		i++;
		if (strcmp(a, "--id") == 0)
			o.id = v;
		else if (strcmp(a, "--pid") == 0)
			bad = number(v, &pid);
		else if (strcmp(a, "--log") == 0)
			o.log_path = v;
		else if (strcmp(a, "--exit-file") == 0)
			o.exit_path = v;
		else if (strcmp(a, "--attach-fd") == 0)
			bad = number(v, &o.attach_fd);
		else if (strcmp(a, "--stdout-fd") == 0)
			bad = number(v, &o.stdout_fd);
		else if (strcmp(a, "--stderr-fd") == 0)
			bad = number(v, &o.stderr_fd);
		else if (strcmp(a, "--stdin-fd") == 0)
			bad = number(v, &o.stdin_fd);
		else {
			return fail("unknown option ", a);
		}
		if (bad) {
			return fail(a, ": invalid value");
		}
	}
	if (!o.id || pid <= 0) {
		return fail("--id and --pid are required", "");
	}
	o.pid = pid;
	return monitor_run(&o);
}
