/* berth version: docker's Client/Server shape (the "server" is berth itself: there is no daemon). */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <archive.h>
#include <jansson.h>
#include <sqlite3.h>

#include "cli.h"

#include "berth-config.h"

/* Go's GOARCH names, which docker prints, for uname's machine. */
static const char *go_arch(const char *machine)
{
	static const char *const map[][2] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i686", "386" },     { "i386", "386" },
		{ "armv7l", "arm" },   { "ppc64le", "ppc64le" }, { "s390x", "s390x" }, { "riscv64", "riscv64" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(machine, map[i][0]) == 0)
			return map[i][1];
	return machine;
}

static json_t *version_json(void)
{
	struct utsname u;
	const char *arch;

	uname(&u);
	arch = go_arch(u.machine);
	return json_pack("{s{ss ss ss ss} s{s{ss} ss ss ss ss s[{ss ss s{ss ss ss}} {ss ss s{ss}} {ss ss}]}}", "Client",
			 "Version", BERTH_VERSION, "Os", "linux", "Arch", arch, "Context", "default", "Server", "Platform",
			 "Name", "berth (daemonless)", "Version", BERTH_VERSION, "Os", "linux", "Arch", arch,
			 "KernelVersion", u.release, "Components", "Name", "Engine", "Version", BERTH_VERSION, "Details",
			 "Libarchive", archive_version_string(), "Sqlite", sqlite3_libversion(), "Jansson", JANSSON_VERSION,
			 "Name", "berth-runtime", "Version", BERTH_VERSION, "Details", "OciVersion", BERTH_OCI_VERSION,
			 "Name", "berth-init", "Version", BERTH_VERSION);
}

static void print_version(json_t *v)
{
	json_t *client = json_object_get(v, "Client"), *server = json_object_get(v, "Server"), *comp;
	size_t i;
#define S(o, key) (json_string_value(json_object_get(o, key)) ?: "")

	printf("Client:\n");
	printf(" Version:           %s\n", S(client, "Version"));
	printf(" OS/Arch:           %s/%s\n", S(client, "Os"), S(client, "Arch"));
	printf(" Context:           %s\n\n", S(client, "Context"));
	printf("Server: %s\n", S(json_object_get(server, "Platform"), "Name"));
	json_array_foreach(json_object_get(server, "Components"), i, comp) {
		json_t *d = json_object_get(comp, "Details");
		printf(" %s:\n", S(comp, "Name"));
		printf("  Version:          %s\n", S(comp, "Version"));
		if (i == 0) {
			printf("  OS/Arch:          %s/%s\n", S(server, "Os"), S(server, "Arch"));
			printf("  Kernel Version:   %s\n", S(server, "KernelVersion"));
			printf("  libarchive:       %s\n", S(d, "Libarchive"));
			printf("  SQLite:           %s\n", S(d, "Sqlite"));
			printf("  jansson:          %s\n", S(d, "Jansson"));
		} else if (json_object_get(d, "OciVersion")) {
			printf("  OCI spec:         %s\n", S(d, "OciVersion"));
		}
	}
#undef S
}

static int version_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "format", 'f', CLI_STRING, "Format the output using the given Go template" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	json_t *v;
	int r;

	(void)g;
	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 0)))
		return r;
	v = version_json();
	if (cli_value(opts, "format") && *cli_value(opts, "format")) {
		json_t *rows = json_pack("[O]", v);
		r = cli_print_rows(rows, cli_value(opts, "format"), NULL, NULL, stdout);
		json_decref(rows);
	} else {
		print_version(v);
	}
	json_decref(v);
	return r;
}

const struct cli_command cmd_version = {
	.name = "version",
	.usage = "[OPTIONS]",
	.summary = "Show the berth version information",
	.run = version_run,
};
